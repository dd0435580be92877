"""The gallery: every project in examples/ is built and its pages are checked automatically.

What is checked on every page of every example, none of which was tuned for the checks:
- no word outside the page, and no two words on top of each other (pdftotext -bbox);
- in an Arabic-Indic project, no Western digit in the text (URLs excepted);
- every chart's legend clear of its bars, points and value labels (the drawing's own boxes);
- chosen pages look like their approved pictures (tests/approved/*.png), within a tolerance.
  The pictures change only by an explicit command: `python tests/approve.py`.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, read_pdf

EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "data" / "settings.yaml").is_file())
APPROVED = Path(__file__).parent / "approved"
# Pages compared with their approved picture: the cover and the first page of the first section.
PAGES = (1, "first-section")
RESOLUTION = 30  # dots per inch: enough to see a moved block, small enough to commit
TOLERANCE = 0.01  # share of pixels that may differ (antialiasing, a glyph's rounding)


def build_example(example: Path, target: Path) -> Path:
    from report.build import build

    build(example, target)
    return target


@pytest.fixture(scope="module", params=EXAMPLES, ids=[p.name for p in EXAMPLES])
def example(request, tmp_path_factory):
    folder = request.param
    pdf = build_example(folder, tmp_path_factory.mktemp(folder.name) / "briefing.pdf")
    return folder, pdf


def _words(pdf: Path):
    """Pages as (width, height, words with their boxes), from pdftotext -bbox."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [
            (float(a), float(b), float(c), float(d), w)
            for a, b, c, d, w in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                page.group(3),
            )
        ]
        pages.append((float(page.group(1)), float(page.group(2)), words))
    return pages


def test_no_word_outside_the_page_or_on_another(example):
    folder, pdf = example
    problems = []
    for number, (width, height, words) in enumerate(_words(pdf), start=1):
        for x0, y0, x1, y1, word in words:
            if x0 < -0.5 or y0 < -0.5 or x1 > width + 0.5 or y1 > height + 0.5:
                problems.append(
                    f"page {number}: {word!r} outside the page ({x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f})"
                )
        boxes = sorted(words)
        for i, (ax0, ay0, ax1, ay1, aw) in enumerate(boxes):
            for bx0, by0, bx1, by1, bw in boxes[i + 1 :]:
                if bx0 >= ax1 - 1:
                    break
                # Neighbours in a line touch (Arabic letters reach past their advance); two words drawn
                # over each other share most of the smaller one's box.
                across = min(ax1, bx1) - max(ax0, bx0)
                down = min(ay1, by1) - max(ay0, by0)
                smaller = min(ax1 - ax0, bx1 - bx0), min(ay1 - ay0, by1 - by0)
                if across > 0.3 * smaller[0] and down > 0.5 * smaller[1]:
                    problems.append(f"page {number}: {aw!r} and {bw!r} overlap")
    assert not problems, "\n".join(problems[:10])


def test_one_digit_style_in_an_arabic_indic_project(example):
    folder, pdf = example
    if "arabic-indic" not in (folder / "data" / "settings.yaml").read_text(encoding="utf-8"):
        pytest.skip("a Western-digit project")
    text = read_pdf(pdf).text
    text = re.sub(r"\S*(https?://|www\.)\S*", "", text)
    western = sorted(set(re.findall(r"\S*[0-9]\S*", text)))
    assert not western, f"Western digits in an Arabic-Indic project: {western[:10]}"


def test_chart_legends_stay_clear_of_the_data(example):
    import matplotlib.pyplot as plt

    from report.build import _prepare
    from report.charts import ChartStyle
    from report.drawing import build_figure, chart_rc, register_fonts
    from report.project import load_project

    folder, _ = example
    project = load_project(folder)
    values, formatter, charts = _prepare(project)
    settings = project.settings
    style = ChartStyle(
        settings.locale, settings.digits, [str(project.find_font(f)) for f in settings.chart_fonts]
    )
    problems = []
    with plt.rc_context(chart_rc(register_fonts(style.fonts))):
        for name, chart in charts.items():
            figure = build_figure(chart, style, formatter)
            figure.canvas.draw()
            renderer = figure.canvas.get_renderer()
            for axes in figure.axes:
                legend = axes.get_legend()
                if legend is None:
                    continue
                box = legend.get_window_extent(renderer)
                data = [*axes.patches, *axes.lines, *axes.texts, *axes.collections]
                for artist in data:
                    if not artist.get_visible():
                        continue
                    other = artist.get_window_extent(renderer)
                    if other.width <= 0 or other.height <= 0:
                        continue
                    if box.overlaps(other) and (
                        min(box.x1, other.x1) - max(box.x0, other.x0) > 1
                        and min(box.y1, other.y1) - max(box.y0, other.y0) > 1
                    ):
                        problems.append(
                            f"{folder.name}: chart '{name}': the legend covers {type(artist).__name__}"
                        )
            plt.close(figure)
    assert not problems, "\n".join(problems)


def approved_pages(pdf: Path) -> dict[str, int]:
    """The pages compared with pictures: the cover and the page where the first section opens."""
    pages = read_pdf(pdf).pages
    first = next(
        (i for i, page in enumerate(pages, start=1) if i > 1 and "المحتويات" not in page and "أبرز الأرقام" not in page
         and "قائمة" not in page),
        1,
    )  # fmt: skip
    return {"cover": 1, "first-section": first}


def render(pdf: Path, page: int, target: Path) -> Path:
    stem = target.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(RESOLUTION),
            "-f",
            str(page),
            "-l",
            str(page),
            "-png",
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
    )
    return stem.with_suffix(".png")


def difference(a: Path, b: Path) -> float:
    """Share of pixels whose colour differs noticeably between two pictures of one page."""
    from PIL import Image, ImageChops

    first, second = Image.open(a).convert("L"), Image.open(b).convert("L")
    if first.size != second.size:
        return 1.0
    changed = ImageChops.difference(first, second).point(lambda v: 255 if v > 48 else 0)
    return sum(1 for v in changed.getdata() if v) / (first.size[0] * first.size[1])


def test_pages_look_as_approved(example, tmp_path):
    folder, pdf = example
    problems = []
    for label, page in approved_pages(pdf).items():
        approved = APPROVED / f"{folder.name}-{label}.png"
        if not approved.exists():
            problems.append(
                f"{approved.name} is missing: look at the page, then run `python tests/approve.py`"
            )
            continue
        rendered = render(pdf, page, tmp_path / f"{folder.name}-{label}.png")
        share = difference(rendered, approved)
        if share > TOLERANCE:
            problems.append(
                f"{folder.name} {label} (page {page}) differs from {approved.name} in {share:.1%} of its pixels "
                f"(tolerance {TOLERANCE:.0%}): see {rendered}; if the change is intended, run `python tests/approve.py`"
            )
    assert not problems, "\n".join(problems)
