"""The default briefing, as a reader gets it: text, figures, fonts, structure, metadata."""

from __future__ import annotations

import re
import subprocess

import pytest
from pypdf import PdfReader

from conftest import ROOT, squash


def test_page_structure(default_pdf, default_project):
    project, _, _ = default_project
    pages = default_pdf.pages
    assert 12 <= len(pages) <= 40
    # The cover carries the title, issuer, Moroccan date and Hijri date; no page footer.
    cover = squash(pages[0])
    settings = project.settings
    for text in (settings.title, settings.issuer, "17ماي2024", "9ذيالقعدة1445", settings.classification):
        assert squash(text) in cover
    assert "صفحة" not in cover
    # Every other page: "صفحة X من Y" with the real page count.
    for number, page in enumerate(pages[1:], start=2):
        assert f"صفحة{number}من{len(pages)}" in squash(page), f"footer of page {number}"


def test_fonts_are_ours_embedded_and_subset(default_pdf):
    out = subprocess.run(["pdffonts", str(default_pdf.path)], capture_output=True, text=True, check=True)
    rows = [line.split() for line in out.stdout.splitlines()[2:]]
    assert rows, "no fonts in the PDF"
    names = {row[0].split("+", 1)[1] for row in rows}
    assert names <= {"Report-Naskh", "Report-Naskh-Bold", "Report-Latin", "Report-Latin-Bold"}, names
    assert {"Report-Naskh", "Report-Naskh-Bold"} <= names
    for row in rows:
        assert re.match(r"^[A-Z]{6}\+", row[0]), f"{row[0]} is not subset"
        # Columns: emb sub uni, then the object id.
        assert row[-5:-2] == ["yes", "yes", "yes"], row


def test_metadata_and_outline(default_pdf, default_project):
    project, _, _ = default_project
    reader = PdfReader(default_pdf.path)
    meta = reader.metadata
    settings = project.settings
    assert meta.title == settings.title
    assert meta.author == (settings.author or settings.issuer)
    assert meta.subject == settings.subject
    assert reader.trailer["/Root"]["/Lang"] == "ar"
    assert meta["/CreationDate"].startswith("D:" + settings.date.strftime("%Y%m%d"))
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    titles = [section.text.splitlines()[0].lstrip("# ").strip() for section in project.sections]
    for title in titles:
        assert title in outline
    assert outline.index(titles[0]) < outline.index(titles[-1])


def test_contents_page_numbers_match_headings(default_pdf, default_project):
    project, _, _ = default_project
    pages = default_pdf.pages
    entries = {}
    for page in pages[1:4]:
        for line in page.splitlines():
            match = re.match(r"^(.*?)\s*(\d+)\s*\.{3,}\s*$", line.strip()) or re.match(
                r"^(.*?)\s*\.{3,}\s*(\d+)\s*$", line.strip()
            )
            if match:
                entries[squash(match.group(1))] = int(match.group(2))
    titles = [section.text.splitlines()[0].lstrip("# ").strip() for section in project.sections]
    assert len(entries) > len(titles)

    def top(page: str) -> list[str]:
        return [squash(line) for line in page.splitlines() if line.strip()][:4]

    for title in titles:
        number = entries[squash(title)]
        # Sections open a page: the heading (and the running header) top that page,
        # and the page before belongs to something else.
        assert squash(title) in top(pages[number - 1]), title
        assert squash(title) not in top(pages[number - 2]), title


def test_running_header_names_the_section(default_pdf, default_project):
    project, _, _ = default_project
    title = project.sections[1].text.splitlines()[0].lstrip("# ").strip()
    pages_with_title = [i for i, page in enumerate(default_pdf.pages) if squash(title) in squash(page)]
    # The title shows in the contents, on its first page and in the header of the pages after.
    body_pages = [i for i in pages_with_title if i > 3]
    assert len(body_pages) >= 2
    first_lines = [line for line in default_pdf.pages[body_pages[1]].splitlines() if line.strip()][:3]
    assert any(squash(title) == squash(line) for line in first_lines)


def test_every_figure_appears_formatted_as_settings_say(default_pdf, default_project):
    project, values, fmt = default_project
    text = default_pdf.flat
    missing = []
    for name, resolved in values.items():
        numbers = [resolved.value] if resolved.value is not None else list((resolved.series or {}).values())
        for number in numbers:
            forms = {fmt.number(number), fmt.press(number), fmt.percent(number), fmt.plain(number)}
            if not any(squash(form) in text for form in forms):
                missing.append(f"{name}={number}")
    assert not missing, f"figures not in the PDF: {missing}"
    # The key figures in Moroccan grouping, as written in the executive summary.
    total = values["followers_total"].number
    assert fmt.number(total) == "1.127.944"
    assert "1.127.944" in text


def test_text_is_in_logical_order_and_searchable(default_pdf, default_project):
    project, _, _ = default_project
    text = default_pdf.flat
    for quote in project.data.quotes.values():
        assert squash(quote.text) in text, quote.name
        assert squash(quote.speaker) in text, quote.name
    for source in project.data.sources.values():
        assert squash(source.title) in text
    # Words that ligatures or a wrong face break on extraction (see fonts/README.md).
    for word in ("للاستعمال", "الإلكترونية", "الأمن", "الإعلام"):
        assert word in text, word
    # A reversed string would read backwards: the first section's title must not.
    title = project.sections[0].text.splitlines()[0].lstrip("# ").strip()
    assert squash(title) in text and squash(title[::-1]) not in text


def test_mirrored_margins_for_right_hand_binding(default_pdf):
    """Page 1 is a left page; a left page's binding margin is on its right side."""

    def text_edges(page):
        words = [w for w in default_pdf.words(page) if 70 < w[1] < 770]
        return min(w[0] for w in words), max(w[2] for w in words)

    left_page, right_page = 5, 6  # odd pages are left pages in a right-to-left document
    left_min, left_max = text_edges(left_page)
    right_min, right_max = text_edges(right_page)
    width = 595.3
    assert width - left_max > width - right_max + 15  # wider right margin on left pages
    assert right_min > left_min + 15  # wider left margin on right pages


def test_narrative_never_retypes_a_figure():
    """Digits in sections only inside template expressions: figures come from data/."""
    offenders = []
    for path in sorted((ROOT / "data" / "sections").glob("*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            outside = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", line)
            if re.search(r"[0-9٠-٩]", outside):
                offenders.append(f"{path.name}:{number}")
    assert not offenders


@pytest.mark.parametrize("name", ["open_days", "followers_by_platform"])
def test_tables_are_numbered_with_caption_and_source(default_pdf, default_project, name):
    project, _, _ = default_project
    table = project.data.tables[name]
    # pdftotext puts the colon of "الجدول 1: ..." on either side of the number.
    match = re.search(r"الجدول(?:\d+:|:\d+)" + re.escape(squash(table.caption)), default_pdf.flat)
    assert match, table.caption
    source = project.data.sources[table.source]
    assert squash("المصدر: " + source.title) in default_pdf.flat


@pytest.mark.parametrize("route", ["harfbuzz", "fonttools"])
def test_the_joined_face_keeps_each_used_glyph_as_drawn_and_drops_the_rest(route):
    """Joining embeds one subset per face (joining.py): each glyph a part uses keeps its id and
    outline, the names (the licence) stay, the layout tables and the other outlines go."""
    import io

    from fontTools.ttLib import TTFont

    from report import hbsubset
    from report.joining import _DROPPED_TABLES, _fonttools_subset

    source = (ROOT / "fonts" / "NotoNaskhArabic-Regular.ttf").read_bytes()
    original = TTFont(io.BytesIO(source))
    order = original.getGlyphOrder()
    wanted = (0, *range(5, 900, 7))
    if route == "harfbuzz":
        if not hbsubset.available():
            pytest.skip("libharfbuzz-subset is not installed")
        made = hbsubset.subset(source, wanted, _DROPPED_TABLES)
    else:
        made = _fonttools_subset(source, wanted)
    face = TTFont(io.BytesIO(made))
    kept = face.getGlyphOrder()  # glyph names may go (post format 3): ids are what PDF uses
    for glyph in wanted:
        here, there = kept[glyph], order[glyph]
        assert (
            face["glyf"][here].getCoordinates(face["glyf"])[0]
            == original["glyf"][there].getCoordinates(original["glyf"])[0]
        ), glyph
        assert face["hmtx"][here] == original["hmtx"][there]
    drawn = [name for name in kept if face["glyf"][name].numberOfContours]
    assert len(drawn) < len(order) / 4
    assert "GSUB" not in face and "GPOS" not in face
    assert {record.nameID for record in face["name"].names} == {r.nameID for r in original["name"].names}
    assert hbsubset.subset(b"not a font" * 10, wanted, _DROPPED_TABLES) is None
