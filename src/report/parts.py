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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from .joining import WrittenPart

logger = logging.getLogger(__name__)

ARTICLE = '<article class="section">'
SOURCES = '<section class="sources">'
CACHE_FOLDER = ".report-cache/parts"
ROUNDS = 3
# Bumped when what a cached part holds, or how it is made, changes.
FORMAT = "parts-1"
_TARGET_COUNTER = re.compile(r"target-counter\(\s*attr\(\s*href\s*\)\s*,\s*page\s*(?:,\s*([\w-]+)\s*)?\)")
_LINK = re.compile(r'<a\b([^>]*?)\bhref="#([^"]+)"([^>]*)>')
_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def split(html: str) -> tuple[str, list[str], str]:
    """Head (through <body>), the parts' HTML, the tail (from </body>)."""
    start = html.index("<body>") + len("<body>") if "<body>" in html else 0
    end = html.rindex("</body>") if "</body>" in html else len(html)
    head, body, tail = html[:start], html[start:end], html[end:]
    if start == 0 or ARTICLE not in body:
        return head, [body], tail
    pieces = body.split(ARTICLE)
    parts = [pieces[0]] + [ARTICLE + piece for piece in pieces[1:]]
    last = parts[-1]
    at = last.find(SOURCES)
    if at > 0:
        parts[-1:] = [last[:at], last[at:]]
    if not parts[0].strip():
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


_RECORDING: list | None = None


def _hook_margin_boxes() -> None:
    """Record the context and page state WeasyPrint makes each page's margin boxes with."""
    import weasyprint.layout as layout

    if getattr(layout.make_margin_boxes, "report_parts", False):
        return
    original = layout.make_margin_boxes

    def recording(context, page, state):
        if _RECORDING is not None:
            _RECORDING.append((context, context.current_page, state))
        return original(context, page, state)

    recording.report_parts = True
    recording.original = original
    layout.make_margin_boxes = recording


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
    written: dict[str, WrittenPart] = field(default_factory=dict)

    def footers(self, offset: int, total: int, carried: dict[str, str]) -> None:
        """Make the margin boxes again: page numbers from offset + 1 of `total`, with the
        running-head strings the parts before left set where this part has set none yet."""
        import weasyprint.layout as layout
        from weasyprint.formatting_structure import boxes
        from weasyprint.layout.background import layout_backgrounds

        make = layout.make_margin_boxes.original
        for number, (page, (context, current, state)) in enumerate(
            zip(self.pages, self.margins, strict=True), 1
        ):
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
                if any(number in store for number in range(1, _context.current_page + 1)):
                    return found
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
        page_limit: Callable[[int], object] | None = None,
    ):
        self.settings = settings
        self.fetcher = fetcher
        self.disk = _DiskCache(cache_dir) if cache_dir is not None else None
        self.remembered = remembered if remembered is not None else {}
        self.used: dict[str, LaidOut] = {}
        self.page_limit = page_limit
        self.css, self.link_styles = link_page_css(settings.css)
        self._stylesheet = None
        self._fonts = None
        self._hashes: dict[str, str] = {}
        self._font_bytes: dict[str, bytes] = {}
        self._stylesheet_files: list = []
        self.laid_out = 0
        self.written = 0
        self.final_pieces: list[str] = []

    # -- layout

    def _weasy(self):
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        if self._stylesheet is None:
            _hook_margin_boxes()
            _hook_font_files()
            self._fonts = FontConfiguration()
            self._stylesheet = weasyprint.CSS(
                string=self.css,
                base_url=self.settings.base_url,
                url_fetcher=self.fetcher,
                font_config=self._fonts,
            )
            # The stylesheet's own files (its fonts) belong to every part's layout.
            self._stylesheet_files = list(self.fetcher.served)
        return weasyprint

    def _layout_key(self, html: str, extra_css: str, pad: int) -> str:
        digest = hashlib.sha256()
        for piece in (FORMAT, _weasyprint_version(), self.css, extra_css, str(pad), html):
            digest.update(piece.encode())
            digest.update(b"\0")
        return digest.hexdigest()

    def layout_of(self, html: str, extra_css: str, pad: int) -> tuple[str, Layout]:
        """The part's layout facts, from memory or disk when its inputs are unchanged."""
        key = self._layout_key(html, extra_css, pad)
        if key in self.remembered:
            self.used[key] = self.remembered[key]
            return key, self.remembered[key].layout
        if key in self.used:
            return key, self.used[key].layout
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
            html = html.replace("<body>", '<body><div style="break-after: page"></div>', 1)
        stylesheets = [self._stylesheet]
        if extra_css:
            stylesheets.append(weasyprint.CSS(string=extra_css, font_config=self._fonts))
        served_before = len(self.fetcher.served)

        def render(text: str):
            global _RECORDING
            _RECORDING = []
            try:
                document = weasyprint.HTML(
                    string=text, base_url=self.settings.base_url, url_fetcher=self.fetcher
                ).render(stylesheets=stylesheets, font_config=self._fonts, **self.settings.options)
                return document, _RECORDING
            finally:
                _RECORDING = None

        if self.page_limit is not None:
            self.page_limit(len(html))
        document, margins = render(html)
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
            trial, trial_margins = render(moved)
            trial_view = SimpleNamespace(pages=trial.pages[pad:])
            trial_score = placement.gap_score(trial_view)
            if trial_score >= score:
                break
            html, document, margins, view, score = moved, trial, trial_margins, trial_view, trial_score
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
        )
        laid = LaidOut(document, pages, margins[pad:], layout)
        self.used[key] = laid
        if self.disk is not None:
            self.disk.write_json(f"L-{key}", layout.to_json())
        return laid

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
        layout = laid.layout if laid is not None else None
        if layout is None:
            _, layout = self.layout_of(html, extra_css, pad)
        stand_ins = sorted(set(layout.links) & known - set(layout.anchors))
        digest = hashlib.sha256(key.encode())
        extras = [offset, total, sorted(carried.items()), stand_ins, first and self.settings.attachments_key]
        digest.update(json.dumps([extras, sorted(self.settings.options.items())], default=str).encode())
        written_key = digest.hexdigest()
        if laid is not None and written_key in laid.written:
            return laid.written[written_key]
        if self.disk is not None and laid is None:
            data = self.disk.read_bytes(f"W-{written_key}")
            header, _, pdf = (data or b"").partition(b"\n")
            try:
                fonts = json.loads(header) if data else None
            except ValueError:
                fonts = None
            if isinstance(fonts, dict) and pdf.startswith(b"%PDF"):
                return _written(pdf, layout, fonts)
        if laid is None:
            laid = self.lay_out(key, html, extra_css, pad)
        laid.footers(offset, total, carried)
        if not laid.pages:
            stand_ins = []
        first_page = laid.pages[0] if laid.pages else None
        for name in stand_ins:
            first_page.anchors[name] = (0, 0, 0, 0)
        options = dict(self.settings.options)
        if first and self.settings.attachments:
            options["attachments"] = list(self.settings.attachments)
        _FONT_FILES.clear()
        try:
            pdf = laid.document.copy(laid.pages).write_pdf(**options)
            fonts = {name: self._remember_font(content) for name, content in _FONT_FILES.items()}
        finally:
            for name in stand_ins:
                first_page.anchors.pop(name, None)
        self.written += 1
        # Only the bytes of the last build are kept per part: a rebuild replaces them.
        laid.written = {written_key: _written(pdf, laid.layout, fonts)}
        if self.disk is not None:
            self.disk.write_bytes(f"W-{written_key}", json.dumps(fonts).encode() + b"\n" + pdf)
        return laid.written[written_key]

    # -- the whole document

    def typeset(self, html: str) -> tuple[list[WrittenPart], list[Layout]]:
        head, pieces, tail = split(html)
        notes = [piece.count('class="footnote"') for piece in pieces]
        numbered = bool(self.link_styles) and any('href="#' in piece for piece in pieces)
        style = self.link_styles.get("style", "decimal")
        numbers: dict[str, str] = {}
        for _ in range(ROUNDS):
            plan, offset, found = [], 0, {}
            for index, piece in enumerate(pieces):
                text = head + (_with_pages(piece, numbers) if numbered else piece) + tail
                extra = f"html {{ counter-reset: footnote {sum(notes[:index])}; }}\n" if index else ""
                pad = offset % 2
                key, layout = self.layout_of(text, extra, pad)
                for name, page in layout.anchors.items():
                    found.setdefault(name, offset + page + 1)
                plan.append((key, (text, extra, pad), offset, layout))
                offset += layout.pages
            wanted = {name: _digits(page, style) for name, page in found.items()}
            if not numbered or wanted == numbers:
                break
            numbers = wanted
        total = offset
        known = set(found)
        self.final_pieces = [_moved(piece, entry[3].moved) for piece, entry in zip(pieces, plan, strict=True)]
        written: list[WrittenPart] = []
        carried: dict[str, str] = {}
        for index, (key, part, start, layout) in enumerate(plan):
            written.append(self.written_part(key, part, start, total, dict(carried), known, index == 0))
            carried.update(layout.strings)
        return written, [entry[3] for entry in plan]

    def _remember_font(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        self._font_bytes[digest] = content
        return digest

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
        return all(self._hash(Path(path)) == digest for path, digest in fetched.items())

    def _hash(self, path: Path) -> str:
        name = str(path)
        if name not in self._hashes:
            try:
                self._hashes[name] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            except OSError:
                self._hashes[name] = ""
        return self._hashes[name]


def _written(pdf: bytes, layout: Layout, fonts: dict[str, str]) -> WrittenPart:
    return WrittenPart(
        pdf=pdf,
        anchors=tuple(layout.anchors),
        bookmarks=tuple(tuple(page) for page in layout.bookmarks),
        heights=tuple(layout.heights),
        fonts=tuple(sorted(fonts.items())),
    )


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
        self.usable = not (folder.is_symlink() or folder.parent.is_symlink())

    def read_bytes(self, name: str) -> bytes | None:
        if not self.usable:
            return None
        data = _read_regular(self.folder / name)
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
            if entry.name not in self.touched and entry.name[:2] in ("L-", "W-", ".p"):
                try:
                    if stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                        os.unlink(entry.path)
                except OSError:
                    pass


def _read_regular(path: Path) -> bytes | None:
    from .limits import max_file_bytes

    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode) or status.st_size > max_file_bytes():
            return None
        with os.fdopen(os.dup(handle), "rb") as stream:
            return stream.read()
    except OSError:
        return None
    finally:
        os.close(handle)
