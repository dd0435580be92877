"""Measure a built PDF's pages: word boxes (pdftotext -bbox) and ink (pdftoppm).

Used by the layout tests, and from the command line to audit a PDF:

    python tests/pages.py output/briefing.pdf

prints the pages left more than a third empty that do not end a section.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MM = 72 / 25.4  # points per millimetre
# The page margins of briefing.css.j2 (top and bottom are the same on every page).
TOP_MM = 22.0
BOTTOM_MM = 24.0
FOOTNOTE_HEIGHT = (13.5, 15.0)  # height of an 8.5 pt word's box in Noto Naskh Arabic
DPI = 36

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


@dataclass
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Page:
    number: int  # 1-based
    width: float
    height: float
    words: list[Word]


def read_pages(pdf: Path) -> list[Page]:
    """Every page's size and word boxes, in points from the top left corner."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = []
    for number, (width, height, body) in enumerate(_PAGE.findall(out.stdout), start=1):
        words = [Word(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in _WORD.findall(body)]
        pages.append(Page(number, float(width), float(height), words))
    return pages


def overlaps(a: Word, b: Word, slack: float = 0.5) -> bool:
    """Two word boxes share more than a sliver (Naskh boxes are tall: shrink them a little)."""
    return (
        min(a.x1, b.x1) - max(a.x0, b.x0) > slack
        and min(a.y1 - a.height * 0.25, b.y1 - b.height * 0.25)
        - max(a.y0 + a.height * 0.25, b.y0 + b.height * 0.25)
        > slack
    )


def ink_rows(pdf: Path, page: int) -> list[int]:
    """The pixel rows (at DPI) of a page that carry ink."""
    out = subprocess.run(
        ["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(DPI), "-gray", str(pdf)],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    # A PGM: "P5\n<w> <h>\n255\n" then the pixels.
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", out)
    assert header, "pdftoppm did not give a PGM"
    width, height = int(header.group(1)), int(header.group(2))
    pixels = out[header.end() :]
    return [y for y in range(height) if min(pixels[y * width : (y + 1) * width]) < 200]


@dataclass
class Fill:
    page: int
    ends_section: bool
    empty: float  # share of the text block left empty below the content


def page_fill(pdf: Path, top_mm: float = TOP_MM, bottom_mm: float = BOTTOM_MM) -> list[Fill]:
    """How full each page after the cover is.

    The content ends at the lowest ink in the text block above the footnote area (charts are
    drawn as paths, so words alone would miss them); the footnotes (8.5 pt lines at the
    bottom of the block) count as filled. A page ends a section when the next page has no
    running header (a section's first page and the front matter have none; a classification
    printed on every page does not count), or is the last.
    """
    pages = read_pages(pdf)
    # A classification stands in every page's top margin; a section title only in some.
    headers = [{w.text for w in page.words if w.y1 < top_mm * MM} for page in pages[1:]]
    always = set.intersection(*headers) if headers else set()
    fills = []
    for index, page in enumerate(pages[1:], start=1):
        top, bottom = top_mm * MM, page.height - bottom_mm * MM
        block = [w for w in page.words if w.y0 >= top - 2 and w.y1 <= bottom + 2]
        lines = sorted({round(w.y1, 0): w.height for w in block}.items())
        floor = bottom
        for y1, height in reversed(lines):  # footnote lines from the bottom up
            if not FOOTNOTE_HEIGHT[0] <= height <= FOOTNOTE_HEIGHT[1]:
                break
            floor = y1 - height
        if floor < bottom:
            floor -= 5 * MM  # the footnote rule and its margin
        rows = [y * 72 / DPI for y in ink_rows(pdf, page.number)]
        inked = [y for y in rows if top <= y < floor]
        content = max(inked, default=top)
        following = pages[index + 1] if index + 1 < len(pages) else None
        ends = following is None or headers[index] <= always
        fills.append(Fill(page.number, ends, max(0.0, floor - content) / (bottom - top)))
    return fills


def half_empty(pdf: Path, limit: float = 1 / 3) -> list[Fill]:
    """Pages more than `limit` empty that do not end a section."""
    return [f for f in page_fill(pdf) if f.empty > limit and not f.ends_section]


if __name__ == "__main__":
    for name in sys.argv[1:]:
        fills = page_fill(Path(name))
        bad = [f for f in fills if f.empty > 1 / 3 and not f.ends_section]
        print(f"{name}: {len(fills) + 1} pages, {len(bad)} more than a third empty inside a section")
        for f in fills:
            flag = "  <--" if f in bad else ""
            print(
                f"  page {f.page:3d}: {f.empty:5.0%} empty{' (section end)' if f.ends_section else ''}{flag}"
            )
