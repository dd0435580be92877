"""Place charts so that no page inside a section is left more than a third empty.

A chart is one block: when it does not fit below the text, the browser model moves it whole
to the next page and leaves a gap behind it. A typesetter would move the chart after the
next paragraph and let the paragraph fill the gap. WeasyPrint has no floats to the top of
the next page, so this is done the long way: lay out, find each chart that opens a page
whose previous page is more than a third empty, move it after the paragraph that follows it
in the HTML, and lay out again (a few rounds at most, only when a gap was found). A move
is kept only when it leaves less empty space inside sections than before.
"""

from __future__ import annotations

import re

EMPTY_LIMIT = 1 / 3
MAX_ROUNDS = 3
# A chart that opens a page: its anchor within this many CSS pixels of the content's top.
_TOP = 24


def gap_score(document) -> float:
    """How much of the pages inside sections is left empty past the limit (0 when none is)."""
    from weasyprint.formatting_structure import boxes

    score = 0.0
    for previous, page in zip(document.pages, document.pages[1:], strict=False):
        if _opens_section(page):
            continue
        score += max(0.0, _empty(previous, boxes) - EMPTY_LIMIT)
    return score


def _opens_section(page) -> bool:
    return any(a.startswith("section-") and "-" not in a[len("section-") :] for a in page.anchors)


def _empty(page, boxes) -> float:
    box = page._page_box
    height = box.height
    return (box.content_box_y() + height - _content_bottom(box, boxes)) / height if height else 0.0


def gaps_before_charts(document) -> list[str]:
    """Charts to move: on each page inside a section that is more than a third empty, the
    chart that opens the next page, or else the last chart of the page itself (the text after
    it went to the next page whole: a paragraph kept with the quotation it introduces)."""
    from weasyprint.formatting_structure import boxes

    found = []
    for previous, page in zip(document.pages, document.pages[1:], strict=False):
        top = page._page_box.content_box_y()
        if _opens_section(page):
            continue  # a gap at a section's end is allowed
        if _empty(previous, boxes) <= EMPTY_LIMIT:
            continue
        # Anchors are (x0, y0, x1, y1) boxes in CSS pixels.
        opening = [a for a, b in page.anchors.items() if a.startswith("figure-") and b[1] - top < _TOP]
        own = sorted((b[1], a) for a, b in previous.anchors.items() if a.startswith("figure-"))
        found.extend(opening or [a for _, a in own[-1:]])
    return found


def _content_bottom(page_box, boxes) -> float:
    """The lowest line or image of the page's body (running heads, footers and footnotes left
    out: the footnote area stands at the foot of the page whatever the body's height)."""
    bottom = page_box.content_box_y()
    for child in page_box.children:
        if isinstance(child, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            continue
        for box in child.descendants():
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox)):
                bottom = max(bottom, box.position_y + box.margin_height())
    return bottom


def move_after_next_paragraph(html: str, anchor: str) -> str:
    """The chart `anchor` moved after the paragraph that follows it; unchanged when a heading,
    a table or another chart follows (a chart never leaves its sub-section)."""
    opening = re.search(rf'<figure class="chart" id="{re.escape(anchor)}"', html)
    if opening is None:
        return html
    closing = html.find("</figure>", opening.end())
    if closing < 0:
        return html
    end = closing + len("</figure>")
    # The paragraph, and the quotation it introduces (they are kept together).
    following = re.match(r"\s*<p>.*?</p>(\s*<blockquote class=\"quote\">.*?</blockquote>)?", html[end:], re.S)
    if following is None:
        return html
    if re.match(r"\s*<figure", html[end + following.end() :]):
        return html  # that paragraph introduces the next chart or table: it stays with it
    chart, paragraph = html[opening.start() : end], following.group()
    return html[: opening.start()] + paragraph.strip() + "\n" + chart + html[end + following.end() :]
