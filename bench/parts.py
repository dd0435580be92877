"""Prototype for issue 12: typeset the briefing in parts, join them, compare with one document.

    PYTHONPATH=src python bench/parts.py [PROJECT ...]     # default briefing if none
    PYTHONPATH=src python bench/parts.py --generate 50      # a generated N = 50 project

A part is the front matter (cover, contents, lists, key figures, what's new), each section
and the sources: each opens a page in the single document. Every part is laid out as its
own WeasyPrint document with:

- `counter-reset: footnote N` on its root (N: the notes of the parts before it, counted in
  the HTML, no layout needed);
- a leading pad page (dropped) when it must start on the other side (mirrored margins);
- its margin boxes (page X of Y, running head) made again after layout with the part's page
  offset and the total, through WeasyPrint's own make_margin_boxes (kept context and page
  state): a page-count change elsewhere costs no layout of this part;
- for the front matter, the contents' page numbers written in as text (attr(data-page)).

The laid-out pages are joined with Document.copy() and written once (one structure tree,
one outline, links resolved across parts at write time). The check compares page count,
pdftotext text per page, outline, link targets and structure roles with one document of
the same HTML. Timings: median of 3 runs, in one process, for the single document, a cold
parts build, a one-section change with the laid-out parts kept in memory, and 2 forked
workers laying out parts (returning PDF bytes per part, joined with pypdf).

Screen profile only: the print profile's recto starts are not handled (see docs/design/parts.md).
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

ARTICLE = '<article class="section">'
DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


# ---------------------------------------------------------------- inputs


def prepare(project: Path):
    """The project's final HTML and CSS (charts drawn into its cache), and its fetcher roots."""
    from report.build import _load
    from report.charts import ChartCache, ChartStyle
    from report.html import DocumentBuilder
    from report.layout import page_geometry

    loaded, values, formatter, charts = _load(project)
    settings = loaded.settings
    style = ChartStyle(
        settings.locale,
        settings.digits,
        [str(loaded.find_font(f)) for f in settings.chart_fonts],
        width_mm=page_geometry(settings.page_size).text_width,
    )
    cache = ChartCache(loaded.root, style)
    builder = DocumentBuilder(loaded, values, formatter, charts, cache)
    cache.draw_all([charts[name] for name in builder.charts_used() if name in charts], formatter)
    html, css = builder.render()
    roots = [loaded.root, *loaded.template_dirs, *loaded.font_dirs]
    return html, css, loaded.root, roots, loaded.font_dirs


def split(html: str) -> tuple[str, list[str], str]:
    """Head (up to <body>), parts, tail: front matter, each section, the sources."""
    start = html.index("<body>") + len("<body>")
    end = html.rindex("</body>")
    head, body, tail = html[:start], html[start:end], html[end:]
    pieces = body.split(ARTICLE)
    parts = [pieces[0]] + [ARTICLE + piece for piece in pieces[1:]]
    last = parts[-1]
    at = last.find('<section class="sources">')
    if at > 0:
        parts[-1:] = [last[:at], last[at:]]
    return head, parts, tail


# ---------------------------------------------------------------- layout of one part

_MARGINS: list | None = None


def _hook_margin_boxes() -> None:
    """Record the context and page state WeasyPrint makes each page's margin boxes with."""
    import weasyprint.layout as layout

    if getattr(layout.make_margin_boxes, "recording", False):
        return
    original = layout.make_margin_boxes

    def recording(context, page, state):
        if _MARGINS is not None:
            _MARGINS.append((context, context.current_page, state))
        return original(context, page, state)

    recording.recording = True
    recording.original = original
    layout.make_margin_boxes = recording


class Part:
    """One part laid out: its WeasyPrint document (pad page dropped) and what re-footering needs."""

    def __init__(self, document, margins, pad: int):
        self.document = document
        self.margins = margins[pad:]
        self.pages = document.pages[pad:]
        self.pad = pad

    def footers(self, offset: int, total: int) -> None:
        """Make the margin boxes again: page numbers from offset + 1, `total` pages in all."""
        import weasyprint.layout as layout
        from weasyprint.formatting_structure import boxes
        from weasyprint.layout.background import layout_backgrounds

        for number, (page, (context, current, state)) in enumerate(
            zip(self.pages, self.margins, strict=True), 1
        ):
            box = page._page_box
            kept = tuple(child for child in box.children if not isinstance(child, boxes.MarginBox))
            state = copy.deepcopy(state)
            state[1]["page"] = [offset + number]
            state[1]["pages"] = [total]
            context.current_page = current
            box.children = kept + tuple(layout.make_margin_boxes.original(context, box, state))
            layout_backgrounds(box, context.get_image_from_uri)


class Typesetter:
    def __init__(self, css: str, base: Path, roots: list[Path], font_dirs: list[Path]):
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        from report.pdf import make_fetcher

        _hook_margin_boxes()
        self.weasyprint = weasyprint
        self.fetcher = make_fetcher(roots, font_dirs)
        self.fonts = FontConfiguration()
        self.base_url = base.as_uri() + "/"
        self.css = css
        self.cache: dict[str, Part] = {}
        self.laid_out = 0

    def single(self, html: str):
        """The reference: one WeasyPrint document of the whole HTML."""
        stylesheet = self.weasyprint.CSS(string=self.css, base_url=self.base_url, font_config=self.fonts)
        return self.weasyprint.HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
            stylesheets=[stylesheet], font_config=self.fonts, pdf_tags=True
        )

    def part(self, html: str, extra_css: str, pad: int) -> Part:
        global _MARGINS
        if pad:
            html = html.replace("<body>", '<body><div style="break-after: page"></div>', 1)
        key = hashlib.sha256(f"{html}\0{self.css}\0{extra_css}".encode()).hexdigest()
        if key in self.cache:
            return self.cache[key]
        _MARGINS = []
        try:
            css = [
                self.weasyprint.CSS(
                    string=self.css + extra_css, base_url=self.base_url, font_config=self.fonts
                )
            ]
            document = self.weasyprint.HTML(
                string=html, base_url=self.base_url, url_fetcher=self.fetcher
            ).render(stylesheets=css, font_config=self.fonts, pdf_tags=True)
            part = Part(document, _MARGINS, pad)
        finally:
            _MARGINS = None
        self.laid_out += 1
        self.cache[key] = part
        return part

    def parts(self, html: str):
        """Lay out every part (from the cache when unchanged) and join them into one document."""
        head, pieces, tail = split(html)
        notes = [piece.count('class="footnote"') for piece in pieces]
        style = "arabic-indic" if "arabic-indic" in self.css else "decimal"
        front_css = "\n.contents a::after { content: leader(dotted) attr(data-page); }\n"

        def body_part(index: int, start: int) -> Part:
            extra = f"\nhtml {{ counter-reset: footnote {sum(notes[:index])}; }}\n"
            return self.part(head + pieces[index] + tail, extra, start % 2)

        # The front matter first with its page numbers unknown (its length is what the
        # sections need), the sections, then the front matter with the numbers written in.
        numbers: dict[str, str] = {}
        front = self.part(head + _with_pages(pieces[0], numbers) + tail, front_css, 0)
        for _ in range(3):
            start, laid = len(front.pages), []
            for index in range(1, len(pieces)):
                laid.append(body_part(index, start))
                start += len(laid[-1].pages)
            offset, found = len(front.pages), {}
            for part in laid:
                for number, page in enumerate(part.pages, offset + 1):
                    for anchor in page.anchors:
                        found.setdefault(anchor, number)
                offset += len(part.pages)
            for number, page in enumerate(front.pages, 1):
                for anchor in page.anchors:
                    found.setdefault(anchor, number)
            numbers = {a: _digits(n, style) for a, n in found.items()}
            again = self.part(head + _with_pages(pieces[0], numbers) + tail, front_css, 0)
            if len(again.pages) == len(front.pages):
                front = again
                break
            front = again
        every = [front, *laid]
        total = sum(len(part.pages) for part in every)
        offset = 0
        for part in every:
            part.footers(offset, total)
            offset += len(part.pages)
        pages = [page for part in every for page in part.pages]
        return front.document.copy(pages)


def _digits(number: int, style: str) -> str:
    return str(number).translate(DIGITS) if style == "arabic-indic" else str(number)


def _with_pages(front: str, numbers: dict[str, str]) -> str:
    """The contents' links with their target's page number as data-page (blank when unknown)."""

    def one(match: re.Match) -> str:
        anchor = match.group(1)
        return f'<a href="#{anchor}" data-page="{numbers.get(anchor, "")}">'

    head, sep, rest = front.partition('<nav class="contents">')
    nav, sep2, after = rest.partition("</nav>")
    return head + sep + re.sub(r'<a href="#([^"]+)">', one, nav) + sep2 + after


# ---------------------------------------------------------------- equivalence


def describe(pdf: bytes) -> dict:
    """Page count, text per page, outline, link targets and structure roles of a PDF."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        text = subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, check=True
        ).stdout
    pages = text.split("\f")[: len(reader.pages)]

    def outline(items, depth=0):
        found = []
        for item in items:
            if isinstance(item, list):
                found += outline(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))
        return found

    named = reader.named_destinations
    links = []
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            dest = annotation.get("/Dest")
            action = annotation.get("/A")
            if dest is None and action is not None:
                dest = action.get("/D") or action.get("/URI")
            if isinstance(dest, str) and dest in named:
                dest = reader.get_destination_page_number(named[dest])
            elif isinstance(dest, list):
                dest = reader.get_page_number(dest[0].get_object())
            links.append((number, str(dest)))

    roles = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, dict):
            if "/S" in node:
                roles.append(str(node["/S"]))
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, list) else [kids]:
                    walk(kid)

    tree = reader.trailer["/Root"].get("/StructTreeRoot")
    if tree is not None:
        walk(tree)
    lang = reader.trailer["/Root"].get("/Lang")
    return {"pages": pages, "outline": outline(reader.outline), "links": links, "roles": roles, "lang": lang}


def compare(one: dict, other: dict) -> list[str]:
    problems = []
    if len(one["pages"]) != len(other["pages"]):
        problems.append(f"page count {len(one['pages'])} != {len(other['pages'])}")
    differ = [n for n, (a, b) in enumerate(zip(one["pages"], other["pages"], strict=False), 1) if a != b]
    if differ:
        problems.append(f"text differs on {len(differ)} of {len(one['pages'])} pages (first: {differ[0]})")
    for key in ("outline", "links", "roles", "lang"):
        if one[key] != other[key]:
            problems.append(f"{key} differs ({len(one[key] or [])} / {len(other[key] or [])} items)")
    return problems


# ---------------------------------------------------------------- timings


def median(function, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def change_one_section(html: str) -> str:
    """Change one number in the second section's text, as a one-figure edit would."""
    head, pieces, tail = split(html)
    index = min(2, len(pieces) - 1)
    pieces[index] = re.sub(r"[0-9٠-٩]", lambda m: "7" if m.group(0) != "7" else "8", pieces[index], count=1)
    return head + "".join(pieces) + tail


def parallel(html: str, css: str, base: Path, roots, font_dirs, workers: int = 2) -> bytes:
    """Forked workers lay out and write parts (Documents do not pickle); joined with pypdf."""
    from multiprocessing import get_context

    from pypdf import PdfWriter

    head, pieces, tail = split(html)
    jobs = [head + piece + tail for piece in pieces]
    with get_context("fork").Pool(
        workers, initializer=_worker_init, initargs=(css, base, roots, font_dirs)
    ) as pool:
        results = pool.map(_worker_part, jobs, chunksize=1)
    writer = PdfWriter()
    for data in results:
        writer.append(io.BytesIO(data))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_WORKER: Typesetter | None = None


def _worker_init(css, base, roots, font_dirs) -> None:
    global _WORKER
    _WORKER = Typesetter(css, base, roots, font_dirs)


def _worker_part(html: str) -> bytes:
    return _WORKER.single(html).write_pdf(pdf_tags=True)


def run(project: Path, name: str, timings: bool = True) -> dict:
    html, css, base, roots, font_dirs = prepare(project)
    setter = Typesetter(css, base, roots, font_dirs)
    reference = setter.single(html).write_pdf(pdf_tags=True)
    joined = setter.parts(html).write_pdf(pdf_tags=True)
    problems = compare(describe(reference), describe(joined))
    same_bytes = joined == setter.parts(html).write_pdf(pdf_tags=True)
    result = {"name": name, "pages": len(describe(reference)["pages"]), "parts": len(split(html)[1])}
    result["problems"] = problems
    result["repeatable"] = same_bytes
    if not timings:
        return result

    changed = change_one_section(html)
    result["single"] = median(
        lambda: Typesetter(css, base, roots, font_dirs).single(html).write_pdf(pdf_tags=True)
    )
    result["single_layout"] = median(lambda: Typesetter(css, base, roots, font_dirs).single(html))
    result["cold"] = median(
        lambda: Typesetter(css, base, roots, font_dirs).parts(html).write_pdf(pdf_tags=True)
    )

    def warm_change():
        warm = Typesetter(css, base, roots, font_dirs)
        warm.parts(html)
        start = time.perf_counter()
        warm.laid_out = 0
        warm.parts(changed).write_pdf(pdf_tags=True)
        return time.perf_counter() - start, warm.laid_out

    warm = [warm_change() for _ in range(3)]
    result["one_section_warm"] = statistics.median(w[0] for w in warm)
    result["relaid"] = warm[0][1]
    joined_doc = setter.parts(html)
    result["write_only"] = median(lambda: joined_doc.write_pdf(pdf_tags=True))
    result["parallel"] = median(lambda: parallel(html, css, base, roots, font_dirs))
    merged = parallel(html, css, base, roots, font_dirs)
    result["parallel_problems"] = compare(describe(reference), describe(merged))
    return result


def main(arguments: list[str]) -> None:
    timings = "--check" not in arguments
    arguments = [a for a in arguments if a != "--check"]
    projects: list[tuple[str, Path]] = []
    scratch = Path(tempfile.mkdtemp(prefix="parts-"))
    if arguments[:1] == ["--generate"]:
        from generate import generate

        for size in arguments[1:]:
            projects.append((f"N = {size}", generate(int(size), scratch / f"n{size}")))
    else:
        projects = [(Path(p).name, Path(p)) for p in arguments] or [("default briefing", ROOT)]
    for name, project in projects:
        r = run(project, name, timings)
        if not timings:
            print(
                f"{name}: {r['pages']} pages, {r['parts']} parts; equivalence: "
                f"{'; '.join(r['problems']) or 'same'}; repeatable bytes: {r['repeatable']}",
                flush=True,
            )
            continue
        print(
            f"{r['name']}: {r['pages']} pages, {r['parts']} parts; equivalence: "
            f"{'; '.join(r['problems']) or 'same'}; repeatable bytes: {r['repeatable']}\n"
            f"  single document {r['single']:.2f} s (layout {r['single_layout']:.2f} s, "
            f"write of the joined pages {r['write_only']:.2f} s)\n"
            f"  parts cold {r['cold']:.2f} s = {r['cold'] / r['single']:.2f}x\n"
            f"  one-section change, parts in memory {r['one_section_warm']:.2f} s = "
            f"{r['one_section_warm'] / r['single']:.2f}x ({r['relaid']} parts laid out again)\n"
            f"  2 workers, pypdf join {r['parallel']:.2f} s = {r['parallel'] / r['single']:.2f}x; "
            f"breaks: {'; '.join(r['parallel_problems']) or 'nothing'}",
            flush=True,
        )
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
