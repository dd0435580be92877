"""Page geometry: the paper of each `page_size`, its margins and the width of the text block.

One place computes them, so the stylesheet's @page rules, the cover and the width the
charts are drawn at agree on every page size (a chart drawn at the text width prints its
text at the size it was drawn at).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

# Portrait paper in millimetres; "-landscape" turns it.
PAPER_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "letter": (215.9, 279.4)}


@dataclass(frozen=True)
class PageGeometry:
    """The page box and margins of one paper size (all in millimetres).

    `inner` is the margin on the binding side, `outer` the other side; pages are mirrored
    for duplex printing bound on the right.
    """

    name: str
    width: float
    height: float
    top: float
    bottom: float
    inner: float
    outer: float

    TEMPLATE_PROPERTIES = ("css_size", "text_width")

    @property
    def css_size(self) -> str:
        """The value of @page { size }: 'A4', 'A5 landscape', 'letter'."""
        paper, _, turned = self.name.partition("-")
        return f"{paper} landscape" if turned else paper

    @property
    def text_width(self) -> float:
        return self.width - self.inner - self.outer

    @property
    def text_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def cover_scale(self) -> float:
        """The cover's type: the short side rules, a landscape page keeps portrait's sizes."""
        return round(min(1.0, min(self.width, self.height) / 210.0), 3)


def page_geometry(page_size: str) -> PageGeometry:
    """The geometry of a settings `page_size` ('A4', 'A5', 'letter', 'A4-landscape'...)."""
    paper, _, turned = page_size.partition("-")
    width, height = PAPER_MM[paper]
    if turned:
        width, height = height, width
    if min(width, height) >= 200:
        # A4 and letter, portrait or landscape: the margins the default briefing was set with.
        return PageGeometry(page_size, width, height, top=22, bottom=24, inner=27, outer=18)
    # A5: 45 mm of side margins would leave a 103 mm column; keep the proportions of a book
    # page instead (binding side wider, foot deeper than head).
    return PageGeometry(page_size, width, height, top=16, bottom=19, inner=18, outer=13)


def cover_metrics(geometry: PageGeometry, print_profile: bool = False) -> dict[str, float]:
    """The cover's box, padding and type sizes for a page (millimetres and points).

    Spacing follows the page (a tenth of its height above and below, an eighth of its width
    at the sides); type shrinks half as fast as the page, so that an A5 cover stays legible.
    With the print profile the cover runs 3 mm into the bleed on every side.
    """
    short = min(geometry.width, geometry.height)
    scale = min(1.0, short / 210.0)
    type_scale = (1 + scale) / 2
    bleed = 3.0 if print_profile else 0.0
    side = min(25.0, geometry.width * 0.12)
    return {
        "height": round(geometry.height + 2 * bleed, 2),
        "bleed": bleed,
        "pad_block": round(geometry.height * 0.1 + bleed, 2),
        "pad_side": round(side + bleed, 2),
        "title_pt": round(28 * type_scale, 1),
        "subtitle_pt": round(15 * type_scale, 1),
        "issuer_pt": round(14 * type_scale, 1),
        "meta_pt": round(12 * type_scale, 1),
        "classification_pt": round(10 * type_scale, 1),
        "rule_pad": round(8 * scale, 2),
        # The width the title is set in: the page less the side padding, rule and its padding.
        "title_width": round(geometry.width - 2 * side - 8 * scale - 1.1, 2),
    }


def balance_title(title: str, font: str | None, size_pt: float, width_mm: float) -> list[str]:
    """Split a title into lines of even length, so that no word stands alone on the last one.

    The words are measured shaped (Pillow with libraqm, in the cover's bold face); the fewest
    lines that hold the title at 95 % of the width are found, then the split among them that
    makes the longest line shortest. Without libraqm or a font the title comes back whole.
    """
    words = title.split()
    if len(words) < 3 or font is None:
        return [title]
    try:
        from PIL import ImageFont, features

        if not features.check("raqm"):
            return [title]
        face = ImageFont.truetype(font, 200, layout_engine=ImageFont.Layout.RAQM)
    except (ImportError, OSError):
        return [title]
    points = 72 / 25.4 * width_mm * 0.95 * 200 / size_pt  # the line width in font units at 200 px
    space = face.getlength(" ")
    sizes = [face.getlength(word, direction="rtl", features=["-liga"]) for word in words]

    def width(start: int, end: int) -> float:
        return sum(sizes[start:end]) + space * (end - start - 1)

    if width(0, len(words)) <= points:
        return [title]
    for lines in range(2, len(words) + 1):
        best = _best_split(len(words), lines, width)
        if best is not None and best[0] <= points:
            cuts = [0, *best[1], len(words)]
            return [" ".join(words[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)]
    return [title]


def _best_split(count: int, lines: int, width) -> tuple[float, list[int]] | None:
    """The cut points giving `lines` lines whose longest is shortest (the last of 2 words or more)."""

    @functools.cache
    def best(start: int, left: int) -> tuple[float, tuple[int, ...]] | None:
        if left == 1:
            # The last line keeps two words at least: one alone there is what balancing avoids.
            return (width(start, count), ()) if count - start >= 2 else None
        found = None
        for cut in range(start + 1, count - left + 2):
            rest = best(cut, left - 1)
            if rest is None:
                continue
            candidate = (max(width(start, cut), rest[0]), (cut, *rest[1]))
            if found is None or candidate[0] < found[0]:
                found = candidate
        return found

    result = best(0, lines)
    return None if result is None else (result[0], list(result[1]))
