"""Layout on any page size: real PDFs measured with pdftotext -bbox and pdftoppm.

A project the default briefing was not tuned for (the water example with a long CSV table,
a source URL and a note call after a year) is built on A5, letter and A4 landscape.
"""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from conftest import ROOT, read_pdf, squash
from layout_projects import layout_project
from pages import half_empty, overlaps, read_pages

SIZES = ["A5", "letter", "A4-landscape"]
POINTS = {"A5": (419.5, 595.3), "letter": (612.0, 792.0), "A4-landscape": (841.9, 595.3)}


@pytest.fixture(scope="module", params=SIZES)
def sized(request, tmp_path_factory):
    """(page size, PDF path) of the layout project built on that size."""
    from report.build import build

    root = layout_project(tmp_path_factory.mktemp(request.param), request.param)
    target = root / "output" / "briefing.pdf"
    build(root, target)
    return request.param, target


def test_every_word_on_every_page_is_inside_the_page(sized):
    size, pdf = sized
    pages = read_pages(pdf)
    width, height = POINTS[size]
    for page in pages:
        assert (round(page.width), round(page.height)) == (round(width), round(height))
        outside = [
            w.text for w in page.words if w.x0 < 0 or w.y0 < 0 or w.x1 > page.width or w.y1 > page.height
        ]
        assert not outside, f"page {page.number}: {outside}"


def test_the_cover_is_complete_and_nothing_overlaps_on_it(sized):
    size, pdf = sized
    cover = read_pages(pdf)[0]
    text = squash(read_pdf(pdf).pages[0])
    # Date, Hijri date and edition: what an A5 cover used to push below the page edge.
    for expected in ("١٥أبريل٢٠٢٤", "هـ", "الإصدارالفصلالأول", "وثيقةعمل"):
        assert expected in text, f"{size}: {expected} missing from the cover"
    lowest = max(w.y1 for w in cover.words)
    assert lowest < cover.height - 10, f"{size}: cover text down to {lowest:.0f} of {cover.height:.0f} pt"
    clashes = [
        (a.text, b.text) for i, a in enumerate(cover.words) for b in cover.words[i + 1 :] if overlaps(a, b)
    ]
    assert not clashes, clashes


def test_a_long_table_splits_and_repeats_its_header(sized):
    _, pdf = sized
    document = read_pdf(pdf)
    header = squash("عدد عمليات الربط")  # the header's first line, wherever it wraps
    pages = [number for number, text in enumerate(document.pages, start=1) if header in squash(text)]
    assert len(pages) >= 2, "the 40-row table did not split across pages"
    assert pages == list(range(pages[0], pages[0] + len(pages))), pages
    # Every row of the table is printed once: 40 rows of "حوالي" in the qualified column.
    rows = sum(squash(document.pages[p - 1]).count("حوالي") for p in pages)
    assert rows >= 40


def test_no_page_inside_a_section_is_more_than_a_third_empty(sized):
    size, pdf = sized
    if size == "A5":
        # Known gap: on A5 the paragraph that introduces a quotation is kept with it and both
        # do not fit below the chart (36 % of page 4 left empty); moving the chart after them
        # leaves a larger gap, so the placement pass keeps it (src/report/placement.py).
        pytest.xfail("a paragraph kept with its quotation leaves a gap below a chart on A5")
    assert [f.page for f in half_empty(pdf)] == []


def test_table_columns_are_never_narrower_than_their_longest_word(sized):
    """The label column is not squeezed to a word per line: its widest line holds two words."""
    _, pdf = sized
    pages = read_pages(pdf)
    document = read_pdf(pdf)
    number = next(
        i for i, t in enumerate(document.pages, start=1) if squash("جماعة وادي الزيتون") in squash(t)
    )
    words = pages[number - 1].words
    # Words of one line share a baseline; "وادي" and "الزيتون" of one label sit side by side.
    line_of: dict[int, list[str]] = {}
    for w in words:
        line_of.setdefault(round(w.y1), []).append(w.text[::-1])  # -bbox gives visual order
    assert any({"وادي", "الزيتون"} <= set(line) for line in line_of.values())


def test_contents_list_tables_with_page_numbers(default_pdf, default_project):
    project, _, _ = default_project
    contents = next(text for text in default_pdf.pages[1:4] if "قائمة الجداول" in text)
    listed = contents.split("قائمة الجداول", 1)[1]
    # pdftotext gives "الجدول :1<caption> 6 ......" (the number before its colon in logical order)
    # and an entry may wrap onto a second line before its leader.
    entries = []
    for chunk in re.split(r"(?=الجدول\s*:?\s*\d)", listed)[1:]:
        number = re.match(r"الجدول\s*:?\s*(\d+)", chunk).group(1)
        entries.append((number, re.search(r"(\d+)\s*\.{3,}", chunk).group(1)))
    assert len(entries) == len(project.data.tables), listed
    for number, page in entries:
        on_page = squash(default_pdf.pages[int(page) - 1])
        assert f"الجدول{number}:" in on_page or f"الجدول:{number}" in on_page, (number, page)


def test_numbers_in_a_column_line_up_on_their_units_digit(sized):
    """Every number of a column ends (its units digit, the right end of an LTR number) at one x."""
    _, pdf = sized
    document = read_pdf(pdf)
    pages = read_pages(pdf)
    header = squash("عدد عمليات الربط")
    table_pages = [n for n, t in enumerate(document.pages, start=1) if header in squash(t)]
    for number in table_pages[1:]:  # the pages the table continues on: rows only, no caption
        page = pages[number - 1]
        body = [w for w in page.words if 60 < w.y1 < page.height - 60]
        numbers = [w for w in body if re.fullmatch("[\u0660-\u0669\u066a-\u066c]+", w.text)]
        assert len(numbers) >= 9
        # Three numeric columns (year, connections, share): three right edges, to 0.5 pt.
        groups: list[list[float]] = []
        for x in sorted(w.x1 for w in numbers):
            if groups and x - groups[-1][-1] < 0.5:
                groups[-1].append(x)
            else:
                groups.append([x])
        assert len(groups) == 3, [(round(g[0], 1), len(g)) for g in groups]


def test_cover_title_leaves_no_word_alone(default_pdf):
    pages = read_pages(default_pdf.path)
    cover = pages[0]
    # Title lines: the largest words; the last line holds more than one word.
    sizes = sorted({round(w.height) for w in cover.words})
    title = [w for w in cover.words if round(w.height) == sizes[-1]]
    lines: dict[int, list[str]] = {}
    for w in title:
        lines.setdefault(round(w.y1), []).append(w.text)
    assert len(lines) >= 1 and all(len(words) >= 2 for words in lines.values()), lines


def test_no_break_rules_and_note_calls():
    from report.html import typeset, url_markup

    isle = "\u20662024\u2069"
    html = Markup(f'في سنة {isle} بلغ {isle} مشاهد.<span class="footnote">مصدر</span> ثم: لا')
    out = str(typeset(html))
    assert f"سنة\u00a0{isle}" in out
    assert f"{isle}\u00a0مشاهد" in out
    assert 'مشاهد<span class="footnote">مصدر</span>.' in out
    # Attributes are not touched.
    assert str(typeset(Markup('<a href="#x 2024 سنة">y</a>'))) == '<a href="#x 2024 سنة">y</a>'
    url = str(url_markup("https://example.org/a-b/c.csv"))
    assert url.count("<wbr>") == 4 and url.startswith('<span class="url" dir="ltr">')
    assert "a-b/" in url and '<span class="segment">c.csv</span>' in url


def test_a_source_url_is_whole_and_last_in_its_entry(sized):
    _, pdf = sized
    text = read_pdf(pdf).text
    flat = re.sub(r"[\s\u200b]", "", text)
    assert "https://data.example.org/water/quarterly-report/2024/connections-by-centre.csv" in flat
    assert ".https" not in flat.split("connections-by-centre.csv")[1][:3]


def test_charts_are_drawn_at_the_text_width(sized):
    """Drawn at the text block's width, a chart is printed at 100 %: its 8.5 pt text stays 8.5 pt."""
    from report.layout import page_geometry

    size, pdf = sized
    width_mm = page_geometry(size).text_width
    assert width_mm == {"A5": 117, "letter": 170.9, "A4-landscape": 252}[size]
    charts = sorted((pdf.parents[1] / ".report-cache" / "charts").glob("*.pdf"))
    assert charts
    for chart in charts:
        found = re.search(rb"/MediaBox \[ *0 0 ([\d.]+) ", chart.read_bytes())
        # Whole points (the stand-in WeasyPrint lays out has a pixel per point).
        assert found and abs(float(found.group(1)) - width_mm * 72 / 25.4) <= 0.5, chart.name


def test_a_chart_that_would_leave_a_gap_moves_after_the_next_paragraph(tmp_path):
    """The browser model moves a chart that does not fit whole to the next page; the placement
    pass moves it after the following paragraph instead, and keeps that only when it helps."""
    from report.pdf import render_pdf
    from report.placement import move_after_next_paragraph

    filler = "<p>" + "نص تجريبي يملأ الصفحة. " * 60 + "</p>"
    after = "<p>" + "فقرة بعد الشكل تملأ الفراغ. " * 45 + "</p>"
    html = (
        '<html lang="ar" dir="rtl"><body><h1 id="section-1">عنوان</h1>'
        f'{filler}<figure class="chart" id="figure-1"><div style="height: 150mm; background: #ccc">'
        f"</div></figure>{after}<p>الخاتمة.</p></body></html>"
    )
    css = "@page { size: A4; margin: 20mm } figure.chart { break-inside: avoid; margin: 0 } p { margin: 0 0 4mm }"
    fonts = ROOT / "fonts"
    pdf, pages, _ = render_pdf(html, css, tmp_path, [tmp_path, fonts], [fonts])
    target = tmp_path / "moved.pdf"
    target.write_bytes(pdf)
    text = read_pdf(target).pages
    # The paragraph after the chart now fills the first page; the chart opens the second.
    assert squash("فقرة بعد الشكل") in squash(text[0])
    assert half_empty(target) == []
    # Unit: the move goes past one paragraph (and the quotation it introduces), never a heading.
    moved = move_after_next_paragraph(
        '<figure class="chart" id="figure-2">x</figure>\n<p>a</p><p>b</p>', "figure-2"
    )
    assert moved == '<p>a</p>\n<figure class="chart" id="figure-2">x</figure><p>b</p>'
    kept = '<figure class="chart" id="figure-2">x</figure>\n<h2>h</h2><p>a</p>'
    assert move_after_next_paragraph(kept, "figure-2") == kept
