"""Typeset the briefing in parts, so that a rebuild lays out and writes only what changed.

The single document already breaks pages where a part begins: the front matter (cover,
contents, lists, key figures, what's new), each `<article class="section">` and the
sources. Each part is laid out as its own WeasyPrint document and written as its own
tagged PDF; joining.py joins them. What crosses parts is carried across by hand, so the
joined file reads as one document of the same HTML would:

- footnote numbers: the part's root resets the counter to the notes of the parts before it
  (counted in the HTML, no layout needed);
- left and right pages (mirrored margins, recto starts in the print profile): a part that
  starts on the other side is laid out behind a pad page, dropped afterwards;
- "page X of Y" and running heads: WeasyPrint makes margin boxes last, from each page's
  state; they are made again once every part's page count is known, with the page number
  moved on by the pages before the part, the document's total, and the running-head
  strings the parts before it left set;
- page numbers of links (the contents, the lists, any `target-counter(attr(href), page)`):
  written into the links as `data-page` and shown with `attr(data-page)`; parts are laid
  out again until the numbers settle (three rounds at most, one in practice);
- links to another part's anchors: a part is written with stand-ins for them, and the
  joined file's one name tree points them at the right page.

A part is kept, laid out, in memory for `--watch`, and written, on disk under
`.report-cache/parts/`, sealed like the chart cache and keyed by everything it was made
from (its HTML, the stylesheet, its side, the files it fetched, its page numbers and
running-head strings), so a rebuild in a new process reuses every part a change left alone.
A document without these markers (a project's own template) is one part.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import os
import re
import stat
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from . import chart_forms
from .errors import ReportError
from .files import read_cached
from .joining import WrittenPart

logger = logging.getLogger(__name__)

# Where parts start, and the <article> tags around them (to tell the top level).
_PART_TAGS = re.compile(
    r'(?P<open><article\b(?P<section> class="section"[\s>])?)|(?P<close></article\s*>)'
    r'|(?P<sources><(?:section class="(?:sources|key-figures|whats-new)"|nav class="contents")[\s>])',
    re.IGNORECASE,
)
_STYLE_IN_BODY = re.compile(r"<(?:style|link)\b", re.IGNORECASE)
CACHE_FOLDER = ".report-cache/parts"
ROUNDS = 3
# Bumped when what a cached part holds, or how it is made, changes.
FORMAT = "parts-3"
_TARGET_COUNTER = re.compile(r"target-counter\(\s*attr\(\s*href\s*\)\s*,\s*page\s*(?:,\s*([\w-]+)\s*)?\)")
_LINK = re.compile(r'<a\b([^>]*?)\bhref="#([^"]+)"([^>]*)>')
_SIDE_BREAK = re.compile(r"break-(?:before|after)\s*:\s*(?:left|right|recto|verso)\b", re.IGNORECASE)
# What counts elements or pages across the whole document, or moves content between pages:
# a stylesheet using any of these is typeset as one part.
_WHOLE_DOCUMENT = re.compile(
    r":\s*(?:nth-child|nth-last-child|nth-of-type|nth-last-of-type|first-child|last-child|first-of-type"
    r"|last-of-type|only-child|only-of-type)\b|:\s*nth\(|\belement\(|\brunning\("
    r"|\btarget-text\(|\btarget-counters?\(",
    re.IGNORECASE,
)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", re.DOTALL)


def _whole_document_reason(css: str) -> str:
    """Why this stylesheet needs the document in one part ('' when it does not)."""

    def unescape(match: re.Match) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        return match.group(2)

    plain = _CSS_ESCAPE.sub(unescape, _CSS_COMMENT.sub("", css))
    # The page number in the content (not in a page's margin boxes, which are made again
    # with the document's numbers) would count from 1 in every part.
    if _PAGE_COUNTER.search(_without_page_rules(plain)):
        return "the stylesheet prints the page number in the content (counter(page) outside @page)"
    found = _WHOLE_DOCUMENT.search(plain)
    if found is None:
        return ""
    name = re.sub(r"\s+", "", found.group(0)).lower()
    name = name[:-1] + "()" if name.endswith("(") else name
    return f"the stylesheet uses {name}, which counts or moves content across the whole document"


_PAGE_COUNTER = re.compile(r"\bcounters?\(\s*pages?\s*[,)]", re.IGNORECASE)


def _without_page_rules(css: str) -> str:
    """The stylesheet without its @page rules (and the margin rules nested in them)."""
    kept, at = [], 0
    for found in re.finditer(r"@page\b", css, re.IGNORECASE):
        if found.start() < at:
            continue
        opening = css.find("{", found.end())
        if opening < 0:
            break
        depth, index = 0, opening
        while index < len(css):
            depth += {"{": 1, "}": -1}.get(css[index], 0)
            if depth == 0:
                break
            index += 1
        kept.append(css[at : found.start()])
        at = index + 1
    kept.append(css[at:])
    return "".join(kept)


_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def split(html: str) -> tuple[str, list[str], str]:
    """Head (through <body>), the parts' HTML, the tail (from </body>).

    A part starts at `<article class="section">`, `<section class="sources">`, and in the
    front matter at `<nav class="contents">`, `<section class="key-figures">` and
    `<section class="whats-new">`, standing at the top of the body: one inside another
    element (raw HTML in a section, say) does not cut it. A changed key figure then costs
    its own page, not the contents. A body holding its own <style> or <link> (raw HTML) is
    one part: a stylesheet there applies to the whole document.
    """
    start = html.index("<body>") + len("<body>") if "<body>" in html else 0
    end = html.rindex("</body>") if "</body>" in html else len(html)
    head, body, tail = html[:start], html[start:end], html[end:]
    if start == 0 or _STYLE_IN_BODY.search(body):
        return head, [body], tail
    cuts, depth = [], 0
    for match in _PART_TAGS.finditer(body):
        if (match.group("section") or match.group("sources")) and depth == 0 and match.start() > 0:
            cuts.append(match.start())
        if match.group("open"):
            depth += 1
        elif match.group("close"):
            depth = max(0, depth - 1)
    bounds = [0, *cuts, len(body)]
    parts = [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    if len(parts) > 1 and not parts[0].strip():
        parts = parts[1:]
    return head, parts, tail


def link_page_css(css: str) -> tuple[str, dict[str, str]]:
    """The stylesheet with `target-counter(attr(href), page[, style])` read from `data-page`.

    Returns it with the counter style each link number is shown in ('decimal' or
    'arabic-indic'; the first one found stands for all).
    """
    styles: dict[str, str] = {}

    def one(match: re.Match) -> str:
        styles.setdefault("style", match.group(1) or "decimal")
        return "attr(data-page)"

    return _TARGET_COUNTER.sub(one, css), styles


# ---------------------------------------------------------------- one part laid out

# PDF font name -> the face's file as WeasyPrint read it, recorded when a part is written.
_FONT_FILES: dict[str, bytes] = {}


def _hook_font_files() -> None:
    """Record each embedded face's whole file before WeasyPrint subsets it (joining.py
    makes one subset per face for the joined file)."""
    from weasyprint.pdf import fonts

    if getattr(fonts.Font.clean, "report_parts", False):
        return
    original = fonts.Font.clean

    def clean(self, to_unicode, hinting):
        content = self.file_content
        if self.index == 0 and isinstance(content, bytes) and not content.startswith(b"ttcf"):
            _FONT_FILES[self.name.decode()] = content
        return original(self, to_unicode, hinting)

    clean.report_parts = True
    fonts.Font.clean = clean


def _hook_array_types() -> None:
    """Allocate WeasyPrint's `hb_codepoint_t[N]` arrays as `hb_codepoint_t[]` of their items.

    WeasyPrint subsets each font of each part with arrays typed by their length; cffi parses
    every new length as a new C type (pycparser, several milliseconds each), and each part's
    glyphs give new lengths: a tenth of writing a short part. The open array type is parsed
    once; the memory and values are the same.
    """
    from weasyprint.text import ffi as bindings

    ffi = bindings.ffi
    if getattr(ffi.new, "report_parts", False):
        return
    original = ffi.new

    def new(cdecl, init=None):
        if isinstance(cdecl, str) and isinstance(init, (list, tuple)):
            match = _SIZED_ARRAY.fullmatch(cdecl)
            if match and int(match.group(2)) == len(init):
                return original(match.group(1) + "[]", init)
        return original(cdecl, init)

    new.report_parts = True
    ffi.new = new
    ffi.typeof("hb_codepoint_t[]")  # parsed here, not in the first part written


_WEASYPRINT_FAILURES = (
    TypeError,
    AttributeError,
    IndexError,
    KeyError,
    ValueError,
    AssertionError,
    ZeroDivisionError,
)
_SIZED_ARRAY = re.compile(r"\s*(\w+)\s*\[(\d+)\]\s*")
_RECORDING: list | None = None
# Whether margin boxes wait for LaidOut.footers: not when the stylesheet moves elements into
# them (`element()`), whose anchors and links the layout reports (Layout.anchors).
_MARGINS_WHEN_WRITTEN = True
_ELEMENT_IN_MARGIN = re.compile(r"\belement\(")
_FONT_URL = re.compile(r"""url\(\s*["']?font:([^"')\s]+)""")

# The last parsed stylesheet and its font configuration, with the files it read and their
# hashes: reused by the next build in this process when nothing it depends on changed.
_STYLESHEET: dict[tuple, tuple] = {}


def _hook_margin_boxes() -> None:
    """Record the context and page state WeasyPrint makes each page's margin boxes with."""
    import weasyprint.layout as layout

    if getattr(layout.make_margin_boxes, "report_parts", False):
        return
    original = layout.make_margin_boxes

    def recording(context, page, state):
        if _RECORDING is not None:
            _RECORDING.append((context, context.current_page, state))
            if _MARGINS_WHEN_WRITTEN:
                # A part's margin boxes are made when it is written (LaidOut.footers), with
                # its page numbers: made here they would be thrown away (half the layout of
                # a short part, and all of its pad page's).
                return ()
        return original(context, page, state)

    recording.report_parts = True
    recording.original = original
    layout.make_margin_boxes = recording

    import weasyprint.document as document

    laying_out = document.layout_document

    def recording_html(html, root_box, context, *args, **kwargs):
        if _RECORDING is not None:
            _RECORDING.append(html)
        return laying_out(html, root_box, context, *args, **kwargs)

    document.layout_document = recording_html


@dataclass
class Layout:
    """What a part's layout tells the parts around it; cached on disk beside the written part."""

    pages: int
    anchors: dict[str, int]  # anchor -> page index in the part, first occurrence
    links: list[str]  # internal link targets, in order
    strings: dict[str, str]  # running-head strings as the part leaves them
    bookmarks: list[list]  # per page
    heights: list[float]
    fetched: dict[str, str]  # file -> sha256, everything the layout read
    moved: list[str] = field(default_factory=list)  # charts moved after the next paragraph (placement.py)
    # Laid out behind a pad page and opening with a blank page (a recto start): at an even
    # offset the blank goes too. Flippable: no forced side anywhere, so the part can move to
    # the other side (mirrored margins swapped) without being laid out again.
    lead_blank: bool = False
    flippable: bool = False
    # Its first block forces a page break: in one document it starts a page too.
    opens_page: bool = True
    footnotes: int = 0  # footnotes laid out: the HTML count the next parts start from must match

    def arrangement(self, pad: int, parity: int) -> tuple[int, bool] | None:
        """(pages dropped at the start, flipped) to start the part at an offset of `parity`
        when it was laid out behind `pad` pad pages; None when it must be laid out again."""
        if pad % 2 == parity:
            return 0, False
        if self.lead_blank and pad == 1:
            return 1, False
        if self.flippable:
            return 0, True
        return None

    def count(self, pad: int, parity: int) -> int:
        return self.pages - self.arrangement(pad, parity)[0]

    def anchor_pages(self, pad: int, parity: int) -> dict[str, int]:
        dropped = self.arrangement(pad, parity)[0]
        return {name: page - dropped for name, page in self.anchors.items()}

    def to_json(self) -> dict:
        return self.__dict__

    @classmethod
    def from_json(cls, data: dict) -> Layout:
        layout = cls(**data)
        layout.bookmarks = [[(b[0], b[1], tuple(b[2]), b[3]) for b in page] for page in layout.bookmarks]
        return layout


@dataclass
class LaidOut:
    """A part laid out in this process: WeasyPrint's document, pad page dropped."""

    document: object
    pages: list
    margins: list
    layout: Layout
    html: object  # WeasyPrint's HTML, for the styles of the other side's pages
    pad: int
    written: dict[str, WrittenPart] = field(default_factory=dict)
    flipped: bool = False

    def arrange(self, parity: int) -> tuple[list, list]:
        """The pages (and their margin records) that start the part at an offset of `parity`."""
        dropped, flipped = self.layout.arrangement(self.pad, parity)
        if flipped != self.flipped:
            self._flip()
        return self.pages[dropped:], self.margins[dropped:]

    def can_flip(self) -> bool:
        """Whether each page's other side is the same page moved across."""
        return all(self._other_side(page, context) is not None for page, (context, _, _) in self._records())

    def _flip(self) -> None:
        """Move every page to the other side: the other side's page style (mirrored margins),
        the content moved across, margin boxes made again later (footers). The text block
        keeps its width (can_flip), so no line or page break moves."""
        from weasyprint.formatting_structure import boxes

        for page, (context, _, _) in self._records():
            old = page._page_box
            new, dx = self._other_side(page, context)
            kept = tuple(child for child in old.children if not isinstance(child, boxes.MarginBox))
            for child in kept:
                child.translate(dx, 0)
            new.children = kept
            page._page_box = new
            page.anchors = {
                name: (x0 + dx, y0, x1 + dx, y1) for name, (x0, y0, x1, y1) in page.anchors.items()
            }
            page.links = [
                (kind, target, (x0 + dx, y0, x1 + dx, y1), box)
                for kind, target, (x0, y0, x1, y1), box in page.links
            ]
            page.bookmarks = [
                (level, label, (x + dx, y), state) for level, label, (x, y), state in page.bookmarks
            ]
        self.flipped = not self.flipped

    def _records(self):
        return zip(self.pages, self.margins, strict=True)

    def _other_side(self, page, context):
        """The page box of the other side for this page, and how far the content moves; None
        when that page differs in more than its left and right margins."""
        from weasyprint.formatting_structure import boxes
        from weasyprint.layout.page import page_height, page_width, set_page_type_computed_styles
        from weasyprint.layout.percent import resolve_percentages

        old = page._page_box
        side = "left" if old.page_type.side == "right" else "right"
        page_type = old.page_type._replace(side=side)
        set_page_type_computed_styles(page_type, self.html, context.style_for)
        style = context.style_for(page_type)
        style["overflow"] = old.style["overflow"]
        new = boxes.PageBox(page_type, style)
        size = new.style["size"]
        resolve_percentages(new, size)
        new.position_x = new.position_y = 0
        page_width(new, context, size[0])
        page_height(new, context, size[1])
        if (new.width, new.height, new.content_box_y()) != (old.width, old.height, old.content_box_y()):
            return None
        if (new.margin_width(), new.margin_height()) != (old.margin_width(), old.margin_height()):
            return None
        return new, new.content_box_x() - old.content_box_x()

    def footers(self, pages: list, margins: list, offset: int, total: int, carried: dict[str, str]) -> None:
        """Make the margin boxes again: page numbers from offset + 1 of `total`, with the
        running-head strings the parts before left set where this part has set none yet."""
        import weasyprint.layout as layout
        from weasyprint.formatting_structure import boxes
        from weasyprint.layout.background import layout_backgrounds

        make = layout.make_margin_boxes.original
        for number, (page, (context, current, state)) in enumerate(zip(pages, margins, strict=True), 1):
            box = page._page_box
            kept = tuple(child for child in box.children if not isinstance(child, boxes.MarginBox))
            state = copy.deepcopy(state)
            state[1]["page"] = [offset + number]
            state[1]["pages"] = [total]
            context.current_page = current
            original = context.get_string_set_for

            def carrying(page_box, name, keyword="first", _original=original, _context=context):
                found = _original(page_box, name, keyword)
                if found or name not in carried or keyword == "all-once":
                    return found
                store = _context.string_set.get(name, {})
                current = _context.current_page
                if current in store and keyword != "start":
                    return found  # set on this page: `first-except` is rightly empty
                if any(number in store for number in range(1, current)):
                    return found
                # Nothing set before this page in the part: the value the parts before left
                # (for `start`, also on a page that sets it after its first line).
                return (carried[name],)

            context.get_string_set_for = carrying
            try:
                box.children = kept + tuple(make(context, box, state))
            finally:
                del context.get_string_set_for
            layout_backgrounds(box, context.get_image_from_uri)


# ---------------------------------------------------------------- the typesetter


@dataclass(frozen=True)
class Settings:
    """What every part is made with."""

    css: str
    base_url: str
    options: dict  # write_pdf options shared by every part (tags, variant)
    attachments: tuple  # WeasyPrint attachments, carried by the first part
    attachments_key: str


class Typesetter:
    """Lays out, writes and joins parts, reusing what an earlier build of the same inputs made."""

    def __init__(
        self,
        settings: Settings,
        fetcher,
        cache_dir: Path | None,
        remembered: dict[str, LaidOut] | None = None,
        on_part: Callable[[int, int], object] | None = None,
    ):
        self.settings = settings
        self.fetcher = fetcher
        self.disk = _DiskCache(cache_dir) if cache_dir is not None else None
        self.remembered = remembered if remembered is not None else {}
        self.keep = remembered is not None  # laid-out parts stay for the next build (--watch)
        self.used: dict[str, LaidOut] = {}
        # Told (HTML characters, pages before) as each part is laid out: page budget, progress.
        self.on_part = on_part
        self.pages_before = 0
        self.css, self.link_styles = link_page_css(settings.css)
        self.side_breaks = bool(_SIDE_BREAK.search(self.css))
        self._stylesheet = None
        self._fonts = None
        self._hashes: dict[str, str] = {}
        self._font_bytes: dict[str, bytes] = {}
        self._font_files_found: str | None = None
        self._stylesheet_files: list = []
        self.laid_out = 0
        self.written = 0
        self.final_pieces: list[str] = []
        self.plan: list = []  # (layout key, (HTML, CSS, pad), first page index, layout) per part
        self.held: dict[str, int] = {}  # layout key -> the worker holding that part laid out
        self.facts: dict[str, Layout] = {}  # what the workers reported of their parts
        self.workers: list[_Worker] = []
        # While parts are laid out (not with --watch): at most MAX_HELD_PAGES pages are kept
        # laid out; older parts are let go, their facts kept, and laid out again when written.
        self.bounded = False
        self._held_pages: list[tuple[str, int]] = []
        self.starting: list[_Worker] = []

    # -- layout

    def _weasy(self):
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        if self._stylesheet is None:
            _hook_margin_boxes()
            _hook_font_files()
            _hook_array_types()
            chart_forms.hook_images()
            key = self._stylesheet_key()
            kept = _STYLESHEET.get(key)
            if kept is not None and all(self._hash(path) == digest for path, digest in kept[2]):
                # The same stylesheet and font files as the last build in this process
                # (--watch): its faces are loaded already.
                self._stylesheet, self._fonts = kept[0], kept[1]
                self._stylesheet_files = [path for path, _ in kept[2]]
                self.fetcher.served.extend(self._stylesheet_files)
                return weasyprint
            self._fonts = FontConfiguration()
            self._stylesheet = weasyprint.CSS(
                string=self.css,
                base_url=self.settings.base_url,
                url_fetcher=self.fetcher,
                font_config=self._fonts,
            )
            # The stylesheet's own files (its fonts) belong to every part's layout.
            self._stylesheet_files = list(self.fetcher.served)
            _STYLESHEET.clear()
            if not getattr(self.fetcher, "refused", None):
                files = [(path, self._hash(path)) for path in self._stylesheet_files]
                _STYLESHEET[key] = (self._stylesheet, self._fonts, files)
        return weasyprint

    def _stylesheet_key(self) -> tuple:
        """What the parsed stylesheet depends on besides its files' bytes: its text, where it
        is, and which file each font name finds (_fonts_found)."""
        roots = tuple(str(root) for root in getattr(self.fetcher, "roots", ()))
        return (self.css, self.settings.base_url, roots, self._fonts_found())

    def _layout_key(self, html: str, extra_css: str, pad: int) -> str:
        digest = hashlib.sha256()
        fonts = self._fonts_found()
        for piece in (FORMAT, _weasyprint_version(), fonts, self.css, extra_css, str(pad), html):
            digest.update(piece.encode())
            digest.update(b"\0")
        return digest.hexdigest()

    def _fonts_found(self) -> str:
        """Which file each font the stylesheet names is found in. A cached layout checks the
        bytes of the files it read, but a font added to the project's fonts/ can take over a
        built-in font's name while the built-in file stays the same."""
        if self._font_files_found is None:
            from .project import find_font

            found = []
            roots = list(getattr(self.fetcher, "roots", ()))
            for name in sorted(set(_FONT_URL.findall(self.css))):
                try:
                    path = find_font(name, list(getattr(self.fetcher, "font_dirs", ())), roots)
                except ReportError as error:
                    path = error.message
                found.append(f"{name}={path}")
            self._font_files_found = "\n".join(found)
        return self._font_files_found

    def layout_of(self, html: str, extra_css: str, pad: int) -> tuple[str, Layout]:
        """The part's layout facts, from memory or disk when its inputs are unchanged."""
        key = self._layout_key(html, extra_css, pad)
        if key in self.remembered and self._unchanged(self.remembered[key].layout.fetched):
            # Kept from the last build in this process (--watch), every file it read the same
            # (a font replaced under its own name changes no HTML).
            self.used[key] = self.remembered[key]
            return key, self.remembered[key].layout
        if key in self.used:
            return key, self.used[key].layout
        if key in self.facts and key not in self.held:
            return key, self.facts[key]  # laid out here, then let go (Typesetter._hold)
        if key in self.held:
            # Laid out by a worker: wait for its report.
            worker = self.workers[self.held[key]]
            while key not in self.facts:
                reported, layout = worker.next_layout()
                self.facts[reported] = layout
            return key, self.facts[key]
        if self.disk is not None:
            data = self.disk.read_json(f"L-{key}")
            if data is not None:
                try:
                    layout = Layout.from_json(data)
                except (TypeError, ValueError, IndexError, KeyError):
                    layout = None
                if layout is not None and self._unchanged(layout.fetched):
                    return key, layout
        return key, self.lay_out(key, html, extra_css, pad).layout

    def lay_out(self, key: str, html: str, extra_css: str, pad: int) -> LaidOut:
        global _RECORDING
        from . import placement

        weasyprint = self._weasy()
        if pad:
            html = html.replace("<body>", "<body>" + '<div style="break-after: page"></div>' * pad, 1)
        stylesheets = [self._stylesheet]
        if extra_css:
            stylesheets.append(weasyprint.CSS(string=extra_css, font_config=self._fonts))
        served_before = len(self.fetcher.served)

        def render(text: str):
            global _RECORDING, _MARGINS_WHEN_WRITTEN
            _RECORDING = []
            _MARGINS_WHEN_WRITTEN = not _ELEMENT_IN_MARGIN.search(self.css)
            try:
                document = weasyprint.HTML(
                    string=text, base_url=self.settings.base_url, url_fetcher=self.fetcher
                ).render(stylesheets=stylesheets, font_config=self._fonts, **self.settings.options)
                # The HTML first (layout_document), then a margin record per page.
                return document, _RECORDING[1:], _RECORDING[0]
            except _WEASYPRINT_FAILURES as error:
                # WeasyPrint fails on some CSS it parses (`position: running()` on an inline
                # element, say): the project's stylesheet or raw HTML, not a bug to trace.
                raise ReportError(
                    f"WeasyPrint cannot lay this document out ({type(error).__name__}: {error}): a "
                    "rule of the project's stylesheet or raw HTML in a section uses what it does "
                    "not support; undo the last change to templates/ or the sections"
                ) from error
            finally:
                _RECORDING = None

        if self.on_part is not None:
            self.on_part(len(html), self.pages_before)
        document, margins, tree = render(html)
        # A chart pushed whole to the next page behind a large gap goes after the next
        # paragraph, and the part is laid out again; kept only when the gaps shrink.
        view = SimpleNamespace(pages=document.pages[pad:])
        score = placement.gap_score(view)
        moves: list[str] = []
        for _ in range(placement.MAX_ROUNDS if score else 0):
            moved, anchors = html, placement.gaps_before_charts(view)
            for anchor in anchors:
                moved = placement.move_after_next_paragraph(moved, anchor)
            if moved == html:
                break
            trial, trial_margins, trial_tree = render(moved)
            trial_view = SimpleNamespace(pages=trial.pages[pad:])
            trial_score = placement.gap_score(trial_view)
            if trial_score >= score:
                break
            html, document, margins, tree, view = moved, trial, trial_margins, trial_tree, trial_view
            score = trial_score
            moves.extend(anchors)
            logger.info("moved a chart after the next paragraph to fill a page")
        self.laid_out += 1
        pages = document.pages[pad:]
        anchors: dict[str, int] = {}
        links: list[str] = []
        for index, page in enumerate(pages):
            for name in page.anchors:
                anchors.setdefault(name, index)
            links.extend(target for kind, target, _, _ in page.links if kind == "internal")
        context = margins[-1][0] if margins else None
        strings = {}
        if context is not None:
            for name, store in context.string_set.items():
                if store:
                    strings[name] = store[max(store)][-1]
        read = [*self._stylesheet_files, *self.fetcher.served[served_before:]]
        fetched = {str(path): self._hash(path) for path in read}
        layout = Layout(
            pages=len(pages),
            anchors=anchors,
            links=links,
            strings=strings,
            bookmarks=[list(page.bookmarks) for page in pages],
            heights=[page.height for page in pages],
            fetched=fetched,
            moved=moves,
            lead_blank=bool(pad and pages and pages[0]._page_box.page_type.blank),
        )
        layout.opens_page = not pad or _opens_page(pages)
        layout.footnotes = _footnotes_laid_out(pages)
        laid = LaidOut(document, pages, margins[pad:], layout, tree, pad)
        layout.flippable = (
            not self.side_breaks
            and not any(page._page_box.page_type.blank for page in pages)
            and laid.can_flip()
        )
        self.used[key] = laid
        if self.disk is not None:
            self.disk.write_json(f"L-{key}", layout.to_json())
        if self.bounded:
            self._hold(key, len(pages))
        return laid

    def _hold(self, key: str, pages: int) -> None:
        """Keep the part laid out, letting the oldest go past MAX_HELD_PAGES (memory is bounded:
        no part can be written before the page count of the whole document is known)."""
        self._held_pages.append((key, pages))
        while len(self._held_pages) > 1 and sum(count for _, count in self._held_pages) > MAX_HELD_PAGES:
            gone, _ = self._held_pages.pop(0)
            laid = self.used.pop(gone, None)
            if laid is not None:
                self.facts[gone] = laid.layout

    # -- writing

    def written_part(
        self,
        key: str,
        part: tuple[str, str, int],
        offset: int,
        total: int,
        carried: dict[str, str],
        known: set[str],
        first: bool,
    ) -> WrittenPart:
        """The part written as a PDF with its final page numbers and running heads."""
        html, extra_css, pad = part
        laid = self.used.get(key)
        layout = laid.layout if laid is not None else self.layout_of(html, extra_css, pad)[1]
        laid = laid or self.used.get(key)  # laid out just now, when neither cache had its facts
        stand_ins = sorted(set(layout.links) & known - set(layout.anchors))
        digest = hashlib.sha256(key.encode())
        extras = [offset, total, sorted(carried.items()), stand_ins, first and self.settings.attachments_key]
        digest.update(json.dumps([extras, sorted(self.settings.options.items())], default=str).encode())
        written_key = digest.hexdigest()
        if laid is not None and written_key in laid.written:
            return laid.written[written_key]
        if self.disk is not None and laid is None:
            found = _read_written(self.disk.read_bytes(f"W-{written_key}"))
            if found is not None:
                return found
        if laid is None:
            laid = self.lay_out(key, html, extra_css, pad)
        pages, margins = laid.arrange(offset % 2)
        laid.footers(pages, margins, offset, total, carried)
        first_page = pages[0] if pages else None
        if first_page is None:
            stand_ins = []
        for name in stand_ins:
            first_page.anchors[name] = (0, 0, 0, 0)
        options = dict(self.settings.options)
        if first and self.settings.attachments:
            options["attachments"] = list(self.settings.attachments)
        _FONT_FILES.clear()
        chart_forms.start_write()
        try:
            pdf = chart_forms.place_charts(laid.document.copy(pages).write_pdf(**options))
            fonts = {name: self._remember_font(content) for name, content in _FONT_FILES.items()}
        finally:
            for name in stand_ins:
                first_page.anchors.pop(name, None)
        self.written += 1
        part_written = WrittenPart(
            pdf=pdf,
            anchors=tuple(name for page in pages for name in page.anchors if name not in stand_ins),
            bookmarks=tuple(tuple(page.bookmarks) for page in pages),
            heights=tuple(page.height for page in pages),
            fonts=tuple(sorted(fonts.items())),
        )
        # Only the bytes of the last build are kept per part: a rebuild replaces them.
        laid.written = {written_key: part_written}
        if self.disk is not None:
            self.disk.write_bytes(f"W-{written_key}", _header(part_written) + b"\n" + pdf)
        return part_written

    # -- the whole document

    def typeset(self, html: str) -> tuple[list[WrittenPart], list[Layout]]:
        """Every part written, in order, with the layout facts of each."""
        try:
            typeset = self._typeset(html)
            if self.keep and self._stylesheet is None:
                # --watch, every part from the disk cache: the stylesheet and its faces are
                # made now, not on the first change (they are kept for the next build).
                self._weasy()
            return typeset
        finally:
            for worker in self.workers:
                worker.stop()
            self.workers, self.held = [], {}

    def _typeset(self, html: str, whole: str = "") -> tuple[list[WrittenPart], list[Layout]]:
        head, pieces, tail = split(html)
        reason = "" if len(pieces) == 1 else whole or _whole_document_reason(self.css)
        if reason:
            logger.info("typeset as one part: %s", reason)
            pieces = ["".join(pieces)]
        notes = [piece.count('class="footnote"') for piece in pieces]
        numbered = bool(self.link_styles) and any('href="#' in piece for piece in pieces)
        style = self.link_styles.get("style", "decimal")
        # The page numbers the last build settled on: with nothing moved, one round.
        numbers = self._previous_numbers() if numbered else {}
        first_round = [head + (_with_pages(piece, numbers) if numbered else piece) + tail for piece in pieces]
        workers = self._start_workers(
            [(text, _footnotes(notes, index), 1) for index, text in enumerate(first_round) if index]
        )
        self.bounded = not self.keep
        for _ in range(ROUNDS):
            plan, offset, found = [], 0, {}
            for index, piece in enumerate(pieces):
                text = head + (_with_pages(piece, numbers) if numbered else piece) + tail
                extra = _footnotes(notes, index)
                # Every part but the first is laid out behind a pad page, whatever side it
                # starts on: arrangement() fits it to either side without a new layout.
                pad, parity = (1 if index else 0), offset % 2
                self.pages_before = offset
                key, layout = self.layout_of(text, extra, pad)
                if layout.arrangement(pad, parity) is None:
                    # Laid out again on its own side, still behind a pad page (never :first).
                    pad = parity or 2
                    key, layout = self.layout_of(text, extra, pad)
                for name, page in layout.anchor_pages(pad, parity).items():
                    found.setdefault(name, offset + page + 1)
                plan.append((key, (text, extra, pad), offset, layout))
                offset += layout.count(pad, parity)
            wanted = {name: _digits(page, style) for name, page in found.items()}
            if not numbered or wanted == numbers:
                break
            numbers = wanted
        if len(plan) > 1:
            problem = ""
            if not all(layout.opens_page for *_, layout in plan[1:]):
                problem = "a section does not start a new page, so the document is not cut there"
            elif any(layout.footnotes != count for (*_, layout), count in zip(plan, notes, strict=True)):
                problem = "footnotes made otherwise than by cite() are numbered across the document"
            if problem:
                for worker in self.workers:
                    worker.stop()
                self.workers, self.held = [], {}
                return self._typeset(html, problem)
        self.bounded = False  # parts laid out again to be written are let go once written
        total = offset
        known = set(found)
        self.plan = plan
        if numbered and self.disk is not None:
            self.disk.write_json("N-numbers", numbers)
        self.final_pieces = [_moved(piece, entry[3].moved) for piece, entry in zip(pieces, plan, strict=True)]
        jobs, carried = [], {}
        for index, (key, part, start, layout) in enumerate(plan):
            jobs.append((key, part, start, total, dict(carried), known, index == 0))
            carried.update(layout.strings)
        # Parts a worker holds are written by that worker, while this process writes its own.
        by_worker: dict[int, list] = {}
        for job in jobs:
            if job[0] in self.held:
                by_worker.setdefault(self.held[job[0]], []).append(job)
        for number, worker in enumerate(workers):
            worker.write(by_worker.get(number, []))
        written: dict[str, WrittenPart] = {}
        for job in self.held_first(jobs):
            if job[0] not in self.held:
                written[job[0]] = self.written_part(*job)
                if not self.keep:
                    self.used.pop(job[0], None)  # its pages are written: the layout can go
        for worker in workers:
            written.update(worker.finish())
        return [written[job[0]] for job in jobs], [entry[3] for entry in plan]

    def held_first(self, jobs: list) -> list:
        """The parts still laid out first: written, their pages go before a part let go is
        laid out again (Typesetter._hold), so the two are not held at once."""
        return sorted(jobs, key=lambda job: job[0] not in self.used)

    # -- parallel layout

    def _start_workers(self, parts: list[tuple[str, str, int]]) -> list[_Worker]:
        """Lay out in worker processes the parts neither memory nor the disk cache holds.

        Every part but the first is laid out behind a pad page whatever side it starts on
        (Layout.arrangement), so the parts do not wait for each other: each worker lays out
        its share, this process lays out its own and plans the pages from what the workers
        report (laying out the front matter again with the page numbers), then each process
        writes its share with its page numbers. Each holds at most MAX_HELD_PAGES laid out.
        """
        self.held: dict[str, int] = {}
        missing = []
        for html, extra, pad in parts:
            key = self._layout_key(html, extra, pad)
            if key not in self.remembered and key not in self.used and not self._on_disk(key):
                missing.append((key, html, extra, pad))
        count = min(_cores(), len(missing) // 2)
        if count < 2:
            return []
        # This process is one of the `count`: it lays out the first parts (the front matter
        # first, which it lays out again with the page numbers), each worker a run of the
        # parts after, of about the same size; so no process waits for another's first parts.
        # The front matter costs this process more than its HTML says: the contents' leaders,
        # its second layout with the page numbers, its write; and the join comes after.
        front = True
        weights = []
        for job in missing:
            front = front and '<article class="section"' not in job[1]
            weights.append(len(job[1]) * (FRONT_MATTER_WEIGHT if front else 1))
        size = sum(weights)
        shares: list[list] = [[] for _ in range(count)]
        done = 0
        for job, weight in zip(missing, weights, strict=True):
            share = min(count - 1, done * count // max(size, 1))
            shares[share].append(job)
            done += weight
        shares = [share for share in shares[1:] if share]
        if not shares:
            return []
        logger.info("laying out %d parts in %d processes", len(missing), len(shares) + 1)
        self.starting = []
        workers = [_Worker(self, number, share) for number, share in enumerate(shares)]
        for worker in workers:
            for key, *_ in worker.share:
                self.held[key] = worker.number
        self.workers = workers
        return workers

    def _previous_numbers(self) -> dict[str, str]:
        data = self.disk.read_json("N-numbers") if self.disk is not None else None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return {}
        return data

    def _on_disk(self, key: str) -> bool:
        if self.disk is None:
            return False
        data = self.disk.read_json(f"L-{key}")
        try:
            layout = Layout.from_json(data) if data is not None else None
        except (TypeError, ValueError, IndexError, KeyError):
            return False
        return layout is not None and self._unchanged(layout.fetched)

    def _remember_font(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        self._font_bytes[digest] = content
        return digest

    def subsets(self):
        """Where joining keeps its font subsets: beside the parts."""
        return _DiskSubsets(self.disk) if self.disk is not None else None

    def font_files(self, written: list[WrittenPart], layouts: list[Layout]) -> dict[str, bytes]:
        """PDF font name -> the face's file, for every face the parts embed (joining.py)."""
        wanted = {name: digest for part in written for name, digest in part.fonts}
        missing = set(wanted.values()) - set(self._font_bytes)
        if missing:
            # Parts taken from the disk cache: their faces are among the files layouts read.
            for layout in layouts:
                for path, digest in layout.fetched.items():
                    if digest in missing:
                        try:
                            self._font_bytes[digest] = Path(path).read_bytes()
                        except OSError:
                            pass
        return {
            name: self._font_bytes[digest]
            for name, digest in wanted.items()
            if digest in self._font_bytes and hashlib.sha256(self._font_bytes[digest]).hexdigest() == digest
        }

    def _unchanged(self, fetched: dict[str, str]) -> bool:
        """Whether every file a cached layout read is still there, the same, and one this build
        may read: a cache made by `report` installed elsewhere names that install's fonts."""
        roots = [Path(root) for root in getattr(self.fetcher, "roots", ())]
        return all(
            any(Path(path).is_relative_to(root) for root in roots) and self._hash(Path(path)) == digest
            for path, digest in fetched.items()
        )

    def _hash(self, path: Path) -> str:
        name = str(path)
        if name not in self._hashes:
            try:
                self._hashes[name] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            except OSError:
                self._hashes[name] = ""
        return self._hashes[name]


_FORCED = ("page", "left", "right", "recto", "verso")
_PART_ELEMENTS = ("article", "section", "nav")


def _opens_page(pages: list) -> bool:
    """Whether the part's first block (or the first block inside it) forces a page break."""
    from weasyprint.formatting_structure import boxes

    for page in pages:
        if page._page_box.page_type.blank:
            continue
        box = next(
            (b for b in page._page_box.descendants() if getattr(b, "element_tag", None) in _PART_ELEMENTS),
            None,
        )
        # Breaks apply to blocks in the normal flow only (not to a float or an inline-block).
        while isinstance(box, boxes.BlockBox) and box.is_in_normal_flow():
            if box.style["break_before"] in _FORCED:
                return True
            box = box.children[0] if box.children else None
        return False
    return False


def _footnotes_laid_out(pages: list) -> int:
    from weasyprint.formatting_structure import boxes

    return sum(
        len(child.children)
        for page in pages
        for child in page._page_box.children
        if isinstance(child, boxes.FootnoteAreaBox)
    )


def _footnotes(notes: list[int], index: int) -> str:
    """The part's footnotes number on from the notes of the parts before it."""
    return f"html {{ counter-reset: footnote {sum(notes[:index])}; }}\n" if index else ""


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# The pages a process keeps laid out while the others are laid out (about 0.8 MiB each): a
# longer share is laid out again when written (a 100-page briefing: a few parts).
MAX_HELD_PAGES = 48
# How much more a character of front matter costs this process than one of a section.
FRONT_MATTER_WEIGHT = 2


class _Worker:
    """A forked process that lays out a share of the parts, keeps them, then writes them.

    Laid-out parts hold Pango and cairo objects and cannot be sent between processes: the
    worker reports each part's layout facts, and later sends back the written PDF.
    """

    def __init__(self, setter: Typesetter, number: int, share: list) -> None:
        import multiprocessing

        self.number = number
        self.setter = setter
        self.share = share
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        # The worker closes this process's ends (its own pipe's and earlier workers'): holding
        # them, it would never see this process gone and would wait forever.
        ends = [self.connection, *(worker.connection for worker in setter.starting)]
        self.process = context.Process(target=_work, args=(setter, child, share, ends), daemon=True)
        self.process.start()
        child.close()
        setter.starting.append(self)

    def _receive(self):
        try:
            message = self.connection.recv()
        except EOFError:
            self.process.join()
            raise ReportError(f"a typesetting process stopped (exit code {self.process.exitcode})") from None
        if message[0] == "error":
            self.stop()
            raise message[1]
        return message

    def next_layout(self) -> tuple[str, Layout]:
        _, key, data = self._receive()
        self.setter.laid_out += 1
        return key, Layout.from_json(data)

    def send(self, message) -> None:
        self.connection.send(message)

    def write(self, jobs: list) -> None:
        """Have the worker write its parts, and read what it sends back as it comes.

        Read in a thread: a written part is larger than a pipe's buffer, so a worker whose
        parts were not read at once would wait for this process to finish its own writing.
        """
        self.send(("write", jobs))
        self._messages: list = []

        def drain() -> None:
            try:
                while True:
                    message = self.connection.recv()
                    self._messages.append(message)
                    if message[0] in ("done", "error"):
                        return
            except (EOFError, OSError):
                self._messages.append(("stopped",))

        self._drain = threading.Thread(target=drain, daemon=True)
        self._drain.start()

    def finish(self) -> dict[str, WrittenPart]:
        self._drain.join()
        written = {}
        for message in self._messages:
            if message[0] == "stopped":
                self.process.join()
                raise ReportError(f"a typesetting process stopped (exit code {self.process.exitcode})")
            if message[0] == "error":
                self.stop()
                raise message[1]
            if message[0] == "done":
                break
            written[message[1]] = _read_written(message[2])
            self.setter.written += 1
        _, touched, refused, charts = message
        if self.setter.disk is not None:
            self.setter.disk.touched.update(touched)
        self.setter.fetcher.refused.extend(refused)
        for handler in logging.getLogger("weasyprint").handlers:
            if hasattr(handler, "charts"):
                handler.charts.extend(charts)
        self.process.join()
        return written

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()


def _work(setter: Typesetter, connection, share: list, ends: list) -> None:
    """The worker's side of _Worker."""
    from weasyprint.urls import FatalURLFetchingError

    for end in ends:
        end.close()
    die_with_parent()

    logging.getLogger("report").setLevel(logging.WARNING)  # this process reports progress
    setter._stylesheet = setter._fonts = None  # its own fonts and stylesheet
    _STYLESHEET.clear()
    setter.used, setter.remembered, setter.keep = {}, {}, False
    setter.facts, setter._held_pages = {}, []
    if setter.disk is not None:
        setter.disk.touched = set()
    try:
        try:
            setter.bounded = True
            for key, html, extra, pad in share:
                laid = setter.lay_out(key, html, extra, pad)
                connection.send(("laid", key, laid.layout.to_json()))
            setter.bounded = False
            _, jobs = connection.recv()
            for job in setter.held_first(jobs):
                part = setter.written_part(*job)
                setter.used.pop(job[0], None)  # written: its pages can go
                connection.send(("written", job[0], _header(part) + b"\n" + part.pdf))
        except FatalURLFetchingError as error:
            raise (setter.fetcher.refused[0] if setter.fetcher.refused else ReportError(str(error))) from None
        handlers = logging.getLogger("weasyprint").handlers
        charts = [chart for handler in handlers if hasattr(handler, "charts") for chart in handler.charts]
        touched = sorted(setter.disk.touched) if setter.disk is not None else []
        connection.send(("done", touched, list(setter.fetcher.refused), charts))
    except ReportError as error:
        connection.send(("error", error))
    except Exception as error:  # noqa: BLE001 - reported in the main process, never lost
        connection.send(("error", ReportError(f"typesetting failed: {type(error).__name__}: {error}")))
    finally:
        folder = getattr(setter._fonts, "_folder", None)
        if folder is not None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        connection.close()
        os._exit(0)


def die_with_parent() -> None:
    """Have the kernel stop this forked process when the one that made it dies (killed, out
    of memory...), where it would otherwise be left waiting, holding its memory (Linux)."""
    import signal

    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the call
        os._exit(1)


def _header(part: WrittenPart) -> bytes:
    """What joining needs besides the PDF bytes, as one line of JSON."""
    return json.dumps(
        {"anchors": part.anchors, "bookmarks": part.bookmarks, "heights": part.heights, "fonts": part.fonts},
        ensure_ascii=False,
    ).encode()


def _read_written(data: bytes | None) -> WrittenPart | None:
    """A written part from the disk cache (sealed, so only shape is checked here)."""
    if data is None:
        return None
    header, _, pdf = data.partition(b"\n")
    try:
        facts = json.loads(header)
        return (
            WrittenPart(
                pdf=pdf,
                anchors=tuple(str(name) for name in facts["anchors"]),
                bookmarks=tuple(
                    tuple((int(b[0]), str(b[1]), (float(b[2][0]), float(b[2][1])), str(b[3])) for b in page)
                    for page in facts["bookmarks"]
                ),
                heights=tuple(float(height) for height in facts["heights"]),
                fonts=tuple((str(name), str(digest)) for name, digest in facts["fonts"]),
            )
            if pdf.startswith(b"%PDF")
            else None
        )
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def _moved(piece: str, anchors: list[str]) -> str:
    """The part's HTML with the charts placement.py moved, as it was laid out."""
    from . import placement

    for anchor in anchors:
        piece = placement.move_after_next_paragraph(piece, anchor)
    return piece


def _digits(number: int, style: str) -> str:
    return str(number).translate(_DIGITS) if style == "arabic-indic" else str(number)


def _with_pages(piece: str, numbers: dict[str, str]) -> str:
    """Every link to an anchor of the document with that anchor's page number as data-page."""

    def one(match: re.Match) -> str:
        before, anchor, after = match.groups()
        if "data-page=" in before + after:
            return match.group(0)
        return f'<a{before}href="#{anchor}" data-page="{numbers.get(anchor, "")}"{after}>'

    return _LINK.sub(one, piece)


def _weasyprint_version() -> str:
    import weasyprint

    return weasyprint.__version__


# ---------------------------------------------------------------- the disk cache


class _DiskSubsets:
    """Font subsets kept beside the parts (joining.SubsetStore)."""

    def __init__(self, disk: _DiskCache) -> None:
        self.disk = disk

    def get(self, key: str) -> bytes | None:
        return self.disk.read_bytes(f"S-{key}")

    def put(self, key: str, data: bytes) -> None:
        self.disk.write_bytes(f"S-{key}", data)


class _DiskCache:
    """Files under .report-cache/parts/, each sealed with the user's key (sealing.py).

    Best effort: a cache that cannot be read or written is a cache miss, never an error.
    A file that is not a regular file, or whose seal does not match, is not used.
    """

    def __init__(self, folder: Path) -> None:
        from .sealing import user_key

        self.folder = folder
        self.key = user_key()
        self.touched: set[str] = set()
        # Written only inside the project: no symbolic link on the way to it.
        culprit = next(
            (
                step
                for step in (folder.parent, folder)
                if step.is_symlink() or step.exists() and not step.is_dir()
            ),
            None,
        )
        self.usable = culprit is None
        if culprit is not None:
            shown = culprit.relative_to(folder.parents[2]).as_posix()
            logger.warning("the parts cache is not used: %s is a symbolic link or a file (delete it)", shown)

    def read_bytes(self, name: str) -> bytes | None:
        if not self.usable:
            return None
        data = read_cached(self.folder / name)
        if data is None or len(data) < 65:
            return None
        seal, body = data[:64], data[65:]
        expected = hmac.new(self.key, name.encode() + b"\0" + body, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(seal, expected):
            return None
        self.touched.add(name)
        return body

    def read_json(self, name: str) -> dict | None:
        data = self.read_bytes(name)
        try:
            return json.loads(data) if data is not None else None
        except ValueError:
            return None

    def write_bytes(self, name: str, body: bytes) -> None:
        if not self.usable:
            return
        seal = hmac.new(self.key, name.encode() + b"\0" + body, hashlib.sha256).hexdigest().encode()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".part.", suffix=".tmp", dir=self.folder)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(seal + b"\n" + body)
                os.replace(temporary, self.folder / name)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            logger.debug("part cache not written: %s", error)
            return
        self.touched.add(name)

    def write_json(self, name: str, data: dict) -> None:
        self.write_bytes(name, json.dumps(data, ensure_ascii=False).encode())

    def prune(self) -> None:
        """Keep what this build used: a cache never grows past one build's parts."""
        if not self.usable:
            return
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return
        for entry in entries:
            if entry.name not in self.touched and entry.name[:2] in ("L-", "W-", "S-", "N-", ".p"):
                try:
                    if stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                        os.unlink(entry.path)
                except OSError:
                    pass
