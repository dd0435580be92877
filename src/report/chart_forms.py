"""Charts in the PDF: a blank stand-in while WeasyPrint lays a part out, matplotlib's drawing after.

WeasyPrint parses an SVG chart and draws it path by path each time it writes the chart's
part; in the default briefing that cost more than the rest of the section. So a chart is
drawn once by matplotlib as a one-page PDF (drawing.draw_pdf) and placed as it is:

1. The fetcher serves, for a sealed chart file, a blank PNG of the chart's size in points
   (`stand_in`). WeasyPrint lays it out like the chart (its width and aspect ratio) and
   writes it as an image XObject whose name it derives from the URL: "i", the URL's MD5,
   then 0 or 1 (interpolation).
2. While WeasyPrint writes, `Stream.add_image` is watched: the stand-ins drawn are noted.
3. `place_charts` puts each chart's page, as a form XObject scaled to the unit square the
   image filled, under that name. The marked content, alt text and structure are WeasyPrint's.

A stand-in that cannot be replaced is an error, never a blank figure.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from .charts import unsealed_chart
from .errors import Location, ReportError
from .files import read_cached

# MD5 of a URL served as a stand-in -> the sealed chart file, for every stand-in served in
# this process (forked workers inherit it; `--watch` writes remembered parts again).
_STAND_INS: dict[str, Path] = {}
# Stand-in PNGs made in this process, by chart file name.
_MADE: dict[str, bytes] = {}
# A text chunk in every stand-in PNG, so that one drawn unrecognized is an error.
_MARK = "report-chart-stand-in"
# Image XObject names of stand-ins drawn by the write in progress.
_DRAWN: dict[str, Path] = {}


def stand_in(url: str, path: Path, data: bytes) -> bytes | None:
    """The PNG WeasyPrint gets for a sealed chart file, or None when `data` is not one."""
    drawing = unsealed_chart(data, path.name)
    if drawing is None:
        return None
    digest = hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()
    # The file name holds the hash of what shapes the chart: the same name, the same size.
    made = _MADE.get(path.name)
    if made is None:
        if len(_MADE) >= 4096:
            _MADE.clear()
        made = _MADE[path.name] = _blank_of_size(drawing, path.name)
    _STAND_INS[digest] = path
    return made


def _blank_of_size(drawing: bytes, name: str) -> bytes:
    import pikepdf
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    with pikepdf.open(io.BytesIO(drawing)) as pdf:
        left, bottom, right, top = (float(v) for v in pdf.pages[0].mediabox)
    # One pixel per point: drawing.py makes the chart's size whole points, so the ratio is exact.
    size = (max(1, round(right - left)), max(1, round(top - bottom)))
    buffer = io.BytesIO()
    marked = PngInfo()
    marked.add_text(_MARK, name)
    Image.new("L", size, 255).save(buffer, format="PNG", pnginfo=marked)
    return buffer.getvalue()


def hook_images() -> None:
    """Note the stand-ins WeasyPrint draws (its image names are made in `Stream.add_image`)."""
    from weasyprint.pdf import stream

    if getattr(stream.Stream.add_image, "report_charts", False):
        return
    original = stream.Stream.add_image

    def add_image(self, image, interpolate, ratio):
        name = original(self, image, interpolate, ratio)
        path = _STAND_INS.get(getattr(image, "id", None))
        if path is not None:
            _DRAWN[name] = path
        elif _MARK.encode() in _image_bytes(image)[:200]:
            # Served by a fetcher this process never heard of: it would stay a blank box.
            raise ReportError("a chart could not be placed in the PDF (its stand-in is not known here)")
        return name

    add_image.report_charts = True
    stream.Stream.add_image = add_image


def _image_bytes(image) -> bytes:
    """The bytes of an image served from memory (a stand-in is never a file WeasyPrint reads)."""
    held = getattr(image, "image_data", None)
    if type(held).__name__ != "LazyImage":
        return b""
    data = held.data
    return data if isinstance(data, bytes) else b""


def start_write() -> None:
    _DRAWN.clear()


def place_charts(pdf: bytes) -> bytes:
    """The written part with each stand-in drawn since `start_write` replaced by its chart."""
    if not _DRAWN:
        return pdf
    import pikepdf

    drawn = {f"/{name}": path for name, path in _DRAWN.items()}
    _DRAWN.clear()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        forms: dict[str, pikepdf.Object] = {}
        placed: set[str] = set()
        seen: set[tuple[int, int]] = set()
        resources = [page.obj.get("/Resources") for page in document.pages]
        while resources:
            found = resources.pop()
            if not isinstance(found, pikepdf.Dictionary) or _visited(found, seen):
                continue
            for kind in ("/XObject", "/Pattern"):
                named = found.get(kind)
                if not isinstance(named, pikepdf.Dictionary):
                    continue
                for name in list(named.keys()):
                    if kind == "/XObject" and name in drawn:
                        path = drawn[name]
                        if path not in forms:
                            forms[path] = _form(document, path)
                        named[name] = forms[path]
                        placed.add(name)
                    else:
                        inner = named[name]
                        if isinstance(inner, pikepdf.Stream | pikepdf.Dictionary):
                            resources.append(inner.get("/Resources"))
        missing = set(drawn) - placed
        if missing:
            path = drawn[sorted(missing)[0]]
            message = "a chart could not be placed in the PDF (its stand-in was not found)"
            raise ReportError(message, Location(path))
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def _visited(item, seen: set[tuple[int, int]]) -> bool:
    if not item.is_indirect:
        return False
    if item.objgen in seen:
        return True
    seen.add(item.objgen)
    return False


def _form(document, path: Path):
    """The chart's page as a form XObject drawn into the unit square (where an image goes)."""
    import pikepdf

    data = read_cached(path)
    drawing = unsealed_chart(data, path.name) if data is not None else None
    if drawing is None:
        message = "a chart could not be placed in the PDF (its file changed while building)"
        raise ReportError(message, Location(path))
    with pikepdf.open(io.BytesIO(drawing)) as chart:
        page = chart.pages[0]
        left, bottom, right, top = (float(v) for v in page.mediabox)
        form = document.copy_foreign(page.as_form_xobject())
    width, height = right - left, top - bottom
    form.Matrix = pikepdf.Array([1 / width, 0, 0, 1 / height, -left / width, -bottom / height])
    return form
