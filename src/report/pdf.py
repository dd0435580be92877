"""Typeset the briefing's HTML with WeasyPrint and write the PDF atomically."""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from struct import error as struct_error
from urllib.parse import unquote, urlsplit

from . import chart_forms, files, limits
from .charts import CACHE_FOLDER, CHART_SCHEME, unsealed_chart
from .errors import Location, ReportError
from .files import read_cached
from .project import find_font

logger = logging.getLogger(__name__)

FONT_SCHEME = "font:"


def make_fetcher(roots: list[Path], font_dirs: list[Path], charts: Path | None = None):
    """Return a WeasyPrint URL fetcher that serves the project's own files and fonts only.

    `roots[0]` is the project folder, the others its template and font folders. Every file
    is read through files.read_bytes: inside the roots once links are followed, a regular
    file, within the size limit.
    """
    from . import weasy

    weasy.load()
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class ProjectFetcher(URLFetcher):
        """Serve files inside the project, its templates and fonts; refuse everything else.

        A refusal raises WeasyPrint's fatal error, so layout stops before anything is fetched.
        """

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",))
            self.roots = [root.resolve() for root in roots]
            self.font_dirs = list(font_dirs)
            self.refused: list[ReportError] = []
            self.served: list[Path] = []  # every file the document used, for the manifest

        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            try:
                path, data = self._read(url)
            except ReportError as error:
                return self._refuse(error)
            self.served.append(path)
            stand_in = chart_forms.stand_in(url, path, data)
            if stand_in is not None:
                # Not a file: URL, or WeasyPrint would read the file again as the image.
                return URLFetcherResponse(f"report-chart:{path.name}", stand_in)
            return URLFetcherResponse(path.as_uri(), data)

        def _read(self, url: str) -> tuple[Path, bytes]:
            if url.startswith(CHART_SCHEME):
                name = url[len(CHART_SCHEME) :]
                shown = name if len(name) <= 60 else name[:60] + "..."
                if charts is None or not _CHART_FILE.fullmatch(name):
                    raise ReportError(
                        f"refused: {CHART_SCHEME}{shown} names no chart (charts are placed with chart())"
                    )
                path = charts / name
                data = read_cached(path)
                if data is None:
                    raise ReportError(
                        f"{CHART_SCHEME}{shown} names no chart drawn by this build "
                        "(place charts with chart())"
                    )
                if unsealed_chart(data, name) is None:
                    raise ReportError(
                        "a drawn chart was altered while building (build again)", Location(path)
                    )
                return path, data
            if url.startswith(FONT_SCHEME):
                name = url[len(FONT_SCHEME) :]
                path = find_font(name, font_dirs, self.roots)
                if path is None:
                    raise ReportError(f"font file not found in fonts/: {name}")
                data = files.read_bytes(path, self.roots)
                problem = font_problem(data)
                if problem:
                    # WeasyPrint would silently fall back to a system font.
                    raise ReportError(f"not a usable font file ({problem})", Location(path))
                return path, data
            parts = urlsplit(url)
            # Where the URL points before any link is followed; files.read_bytes checks the rest.
            path = Path(os.path.abspath(unquote(parts.path))) if parts.scheme == "file" else None
            if path is None or not any(path.is_relative_to(root) for root in self.roots):
                raise ReportError(f"refused to fetch {url}: only files inside the project may be used")
            if not os.path.exists(path):
                raise ReportError(f"file not found: {path}")
            data = files.read_bytes(path, self.roots)
            _check_image(path, data)
            return Path(os.path.realpath(path)), data

        def _refuse(self, error: ReportError):
            self.refused.append(error)
            raise FatalURLFetchingError(error.message)

    return ProjectFetcher()


# Fonts found usable in this process, by the SHA-256 of their bytes (`--watch` checks each once).
_USABLE_FONTS: set[bytes] = set()


def font_problem(font: Path | bytes) -> str | None:
    """Return why a font (a file, or its bytes as read by files.read_bytes) cannot be used, or None."""
    if isinstance(font, bytes):
        digest = hashlib.sha256(font).digest()
        if digest in _USABLE_FONTS:
            return None
        problem = _font_problem(font)
        if problem is None:
            _USABLE_FONTS.add(digest)
        return problem
    return _font_problem(font)


def _font_problem(font: Path | bytes) -> str | None:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(io.BytesIO(font) if isinstance(font, bytes) else str(font), lazy=True) as opened:
            if "cmap" not in opened or opened.getBestCmap() is None:
                return "it has no character map"
    except (TTLibError, OSError, AssertionError, KeyError, ValueError, struct_error) as error:
        return str(error) or type(error).__name__
    return None


def _check_image(path: Path, data: bytes) -> None:
    """Refuse images that expand without end when drawn.

    An SVG whose parts reuse others (`<use>`, patterns, markers, masks, filters) can nest a
    billion shapes in two kilobytes; one without them costs its size, which is bounded.
    Raster images are held to a pixel count.
    """
    head = data[:2048].lstrip().lower()
    if path.suffix.lower() in (".svg", ".svgz") or head.startswith((b"<svg", b"<?xml")) and b"<svg" in head:
        if len(data) > limits.MAX_SVG_BYTES or _SVG_REUSE.search(data):
            raise ReportError(
                "refused: an SVG image that reuses parts or images (<use>, <image>, patterns, markers, "
                f"masks, filters) or is over {limits.MAX_SVG_BYTES // 1000} KB: it can expand without end; "
                "use PNG or a plain SVG",
                Location(path),
            )
        return
    try:
        from PIL import Image, UnidentifiedImageError

        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
    except (ImportError, UnidentifiedImageError, OSError, ValueError):
        return  # not an image (a stylesheet, a font): WeasyPrint reports what it cannot use
    if width * height > limits.MAX_IMAGE_PIXELS:
        raise ReportError(
            f"refused: an image of {width} x {height} pixels; at most {limits.MAX_IMAGE_PIXELS:,} pixels",
            Location(path),
        )


_CHART_FILE = re.compile(r"[\w-]+\.pdf")

_SVG_REUSE = re.compile(
    rb"<\s*(?:\w+:)?(?:use|pattern|marker|mask|filter|symbol|tref|image|feImage)\b", re.IGNORECASE
)


class _PageLimit(logging.Handler):
    """Stop a layout that runs past its page budget (a stylesheet can make pages 2 px high).

    The budget grows with the document: 100 pages, and one more for every 100 characters of
    HTML (a real page holds thousands), up to MAX_PAGES.
    """

    def __init__(self, html_characters: int) -> None:
        super().__init__()
        self.budget = self.whole = min(limits.MAX_PAGES, 100 + html_characters // 100)

    def start_part(self, html_characters: int) -> None:
        """Each part is held to the budget of its own HTML (never more than the whole's)."""
        self.budget = min(self.whole, 100 + html_characters // 100)

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("Step 5") and record.args and record.args[0] > self.budget:
            raise ReportError(
                f"the document runs past {self.budget:,} pages, more than its content can fill "
                "(a page size or margin in the stylesheet too small?)"
            )


class _Progress(logging.Handler):
    """Turn WeasyPrint's progress messages into a few lines a user can follow on long builds.

    Parts are laid out one after the other, each counting its pages from 1: the line counts
    the pages of the parts before too.
    """

    EVERY = 25

    def __init__(self) -> None:
        super().__init__()
        self.before = 0  # pages of the parts laid out already
        # A page is reported once: WeasyPrint lays pages out again for page-based counters,
        # and a part is laid out again when its page numbers or a chart move.
        self.reported = 0
        self.writing = False

    def start_part(self, pages_before: int) -> None:
        self.before = pages_before

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("Step 5") and record.args:
            page = self.before + record.args[0]
            if page > self.reported and page % self.EVERY == 0:
                self.reported = page
                logger.info("laying out page %d", page)
        elif record.msg.startswith("Step 6") and not self.writing:
            self.writing = True
            logger.info("writing the PDF")


class _FailedImages(logging.Handler):
    """Collect the images WeasyPrint could not load (it logs them and shows the alt text
    instead), and, in a PDF/UA file, images without the alt text it requires.

    `charts` holds (path, reason, kind): "chart", "image" or "alt"; worker processes send
    theirs back (parts.py).
    """

    def __init__(self, accessible: bool = False) -> None:
        super().__init__(logging.ERROR)
        self.accessible = accessible
        self.charts: list[tuple[str, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = str(record.msg)
        if message.startswith("Failed to load image") and len(record.args or ()) == 2:
            url, reason = record.args
            url = str(url)
            path = unquote(urlsplit(url).path)
            if url.startswith(CHART_SCHEME):
                self.charts.append((f"{CACHE_FOLDER}/{url[len(CHART_SCHEME) :]}", str(reason), "chart"))
            elif "/.report-cache/charts/" in path:
                self.charts.append((path, str(reason), "chart"))
            else:
                self.charts.append((path or url, str(reason), "image"))
        elif self.accessible and message.endswith("has no required alt description") and record.args:
            self.charts.append((str(record.args[0]), "", "alt"))

    def problem(self) -> ReportError | None:
        """The first problem worth stopping the build for: a chart, then an image, then alt text."""
        for kind in ("chart", "image", "alt"):
            for path, reason, found in self.charts:
                if found != kind:
                    continue
                shown = path if len(path) <= 80 else path[:80] + "..."
                if kind == "chart":
                    # WeasyPrint would show the alt text in place of the chart: never silently.
                    return ReportError(
                        f"a chart could not be placed in the PDF ({reason})", Location(Path(path))
                    )
                if kind == "image":
                    # WeasyPrint's reason is its exception's text, often empty.
                    return ReportError(
                        f"cannot use the image {shown}: not an image that can be read "
                        "(use PNG, JPEG or a plain SVG)"
                    )
                return ReportError(
                    f'the image "{shown}" has no alt text, which a PDF/UA file requires (add alt="...")'
                )
        return None


VARIANTS = ("pdf/a-3b", "pdf/ua-1")


@dataclass(frozen=True)
class Attachment:
    """A file carried inside an archival PDF (the source data, the build manifest)."""

    name: str
    data: bytes
    description: str
    # The date the file is stamped with inside the PDF (the briefing's own date, not the
    # time of the build: the same inputs give the same bytes).
    dated: datetime.date | None = None


# Parts laid out by the last build in this process, for `--watch` (keyed by their inputs).
_REMEMBERED: dict = {}


def render_pdf(
    html: str,
    css: str,
    base: Path,
    roots: list[Path],
    font_dirs: list[Path],
    variant: str | None = None,
    attachments: tuple[Attachment, ...] = (),
    cache_dir: Path | None = None,
    remember: bool = False,
) -> tuple[bytes, int, list[Path]]:
    """Lay the document out and return the PDF bytes, the page count and the files it used.

    The document is typeset in parts (parts.py) and joined (joining.py). `cache_dir` keeps
    written parts for the next build; `remember` keeps the laid-out parts in this process
    (`--watch`). `variant` is a PDF standard (PDF/A-3b for archives, PDF/UA-1 for
    accessibility); WeasyPrint writes one variant per file.
    """
    from . import weasy

    weasy.load()
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    from .joining import join
    from .parts import Settings, Typesetter

    fetcher = make_fetcher(roots, font_dirs, base / CACHE_FOLDER)
    base_url = base.as_uri() + "/"
    # Tagged: headings, tables and figures with their alt text reach assistive technology.
    options: dict = {"pdf_identifier": b"report", "pdf_tags": True}
    if variant:
        options["pdf_variant"] = variant
    carried = tuple(
        weasyprint.Attachment(
            string=a.data, name=a.name, description=a.description, relationship="Source", **_dates(a.dated)
        )
        for a in attachments
    )
    attachments_key = hashlib.sha256(
        b"".join(hashlib.sha256(a.name.encode() + b"\0" + a.data).digest() for a in attachments)
    ).hexdigest()
    failed_images = _FailedImages(accessible=variant == "pdf/ua-1")
    logging.getLogger("weasyprint").addHandler(failed_images)
    progress = logging.getLogger("weasyprint.progress")
    handler = _Progress()
    page_limit = _PageLimit(len(html))
    saved = progress.level, progress.propagate
    progress.addHandler(page_limit)
    progress.setLevel(logging.INFO)
    progress.propagate = False
    if logger.isEnabledFor(logging.INFO):
        progress.addHandler(handler)

    def on_part(characters: int, pages_before: int) -> None:
        page_limit.start_part(characters)
        handler.start_part(pages_before)

    setter = Typesetter(
        Settings(css, base_url, options, carried, attachments_key),
        fetcher,
        cache_dir,
        _REMEMBERED if remember else None,
        on_part,
    )
    try:
        written, layouts = setter.typeset(html)
        pages = sum(part.page_count for part in written)
        logger.info(
            "laid out %d pages in %d part%s (%d laid out, %d written, the others reused)",
            pages,
            len(written),
            "" if len(written) == 1 else "s",
            setter.laid_out,
            setter.written,
        )
        _release_memory()  # the laid-out pages are gone: the join starts from less
        pdf = join(written, setter.font_files(written, layouts), setter.subsets())
    except FatalURLFetchingError as error:
        raise (fetcher.refused[0] if fetcher.refused else ReportError(str(error))) from None
    finally:
        progress.removeHandler(handler)
        progress.removeHandler(page_limit)
        progress.level, progress.propagate = saved
        logging.getLogger("weasyprint").removeHandler(failed_images)
    if fetcher.refused:
        # Some fetches (fonts) are guarded by WeasyPrint itself, which only logs the failure.
        raise fetcher.refused[0]
    problem = failed_images.problem()
    if problem is not None:
        raise problem
    if remember:
        _REMEMBERED.clear()
        _REMEMBERED.update(setter.used)
    if setter.disk is not None:
        setter.disk.prune()
    fetched = {Path(path) for layout in layouts for path in layout.fetched}
    return pdf, pages, sorted(fetched | set(fetcher.served))


def _release_memory() -> None:
    """Collect the cycles laid-out pages leave, and give freed memory back to the system
    (glibc keeps it otherwise): the join, the build's last step, then peaks lower."""
    import gc

    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to give back this way


def _dates(day: datetime.date | None) -> dict:
    if day is None:
        return {}
    moment = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)
    return {"created": moment, "modified": moment}


def write_atomically(data: bytes, target: Path) -> None:
    """Write beside the target and rename, so a failed build never leaves a partial PDF."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned_temporaries(target)
        prefix = f".{target.name}.{os.getpid()}."
        handle, temporary = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)
    except (FileExistsError, NotADirectoryError):
        message = f"cannot write the output: {target.parent.name} is a file, not a folder"
        raise ReportError(message, Location(target)) from None
    except OSError as error:
        raise ReportError(f"cannot write the output: {error.strerror}", Location(target)) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        # Renaming replaces a symbolic link at `target` itself, never the file it points at.
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ReportError(f"cannot write the output: {error.strerror}", Location(target)) from None
    except BaseException:  # interrupted (Ctrl-C), out of memory: no temporary is left behind
        Path(temporary).unlink(missing_ok=True)
        raise


def _remove_abandoned_temporaries(target: Path) -> None:
    """Delete temporary files left by killed builds (their process is gone); keep live ones."""
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        pid = leftover.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
