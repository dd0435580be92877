"""Typesetting in parts (issue 12): the joined file reads as one document of the same HTML.

Each check lays a project's final HTML out twice: through the parts route `build` uses
(parts.py, joining.py) and as one WeasyPrint document of the same HTML (with the charts
where the parts route placed them), and compares what a reader and a screen reader get:
page count, the text of every page (pdftotext), the outline, every link's target page, the
sequence of structure roles and /Lang. Then: a changed figure lays out again exactly the
parts that show it, and a rebuild from cached parts is the same file, byte for byte, as a
build from nothing.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "data" / "settings.yaml").is_file())


def prepare(project: Path, print_profile: bool = False):
    """The project's final HTML and CSS as `build` renders them (charts drawn into its cache)."""
    from report.build import _load, chart_style
    from report.charts import ChartCache
    from report.html import DocumentBuilder

    loaded, values, formatter, charts = _load(project)
    cache = ChartCache(loaded.root, chart_style(loaded))
    builder = DocumentBuilder(loaded, values, formatter, charts, cache, print_profile=print_profile)
    cache.draw_all([charts[name] for name in builder.charts_used() if name in charts], formatter)
    html, css = builder.render()
    roots = [loaded.root, *loaded.template_dirs, *loaded.font_dirs]
    return html, css, loaded, roots


def typesetter(html_css_loaded_roots, cache_dir: Path | None = None, variant: str | None = None):
    from report.parts import Settings, Typesetter
    from report.pdf import make_fetcher

    _, css, loaded, roots = html_css_loaded_roots
    options: dict = {"pdf_identifier": b"report", "pdf_tags": True}
    if variant:
        options["pdf_variant"] = variant
    settings = Settings(css, loaded.root.as_uri() + "/", options, (), "")
    return Typesetter(
        settings, make_fetcher(roots, loaded.font_dirs, loaded.root / ".report-cache" / "charts"), cache_dir
    )


def in_parts(prepared, cache_dir: Path | None = None) -> tuple[bytes, object]:
    from report.joining import join

    setter = typesetter(prepared, cache_dir)
    written, layouts = setter.typeset(prepared[0])
    return join(written, setter.font_files(written, layouts)), setter


def as_one_document(prepared, html: str) -> bytes:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from report.pdf import make_fetcher

    _, css, loaded, roots = prepared
    fonts = FontConfiguration()
    fetcher = make_fetcher(roots, loaded.font_dirs, loaded.root / ".report-cache" / "charts")
    base = loaded.root.as_uri() + "/"
    stylesheet = weasyprint.CSS(string=css, base_url=base, url_fetcher=fetcher, font_config=fonts)
    document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher).render(
        stylesheets=[stylesheet], font_config=fonts, pdf_tags=True
    )
    return document.write_pdf(pdf_tags=True, pdf_identifier=b"report")


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
            target = annotation.get("/Dest")
            action = annotation.get("/A")
            if target is None and action is not None:
                target = action.get("/D") or action.get("/URI")
            if isinstance(target, str) and target in named:
                target = reader.get_destination_page_number(named[target])
            links.append((number, str(target)))
    roles: list[str] = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, dict):
            if "/S" in node:
                roles.append(str(node["/S"]))
                if node.get("/Alt"):
                    roles.append(f"alt:{node['/Alt']}")
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, list) else [kids]:
                    walk(kid)

    catalog = reader.trailer["/Root"]
    if catalog.get("/StructTreeRoot") is not None:
        walk(catalog["/StructTreeRoot"])
    return {
        "pages": pages,
        "outline": outline(reader.outline),
        "links": links,
        "roles": roles,
        "lang": str(catalog.get("/Lang")),
    }


def differences(one: dict, other: dict) -> list[str]:
    problems = []
    if len(one["pages"]) != len(other["pages"]):
        problems.append(f"page count {len(one['pages'])} != {len(other['pages'])}")
    for number, (a, b) in enumerate(zip(one["pages"], other["pages"], strict=False), 1):
        if a != b:
            problems.append(f"text of page {number} differs")
    for key in ("outline", "links", "roles", "lang"):
        if one[key] != other[key]:
            problems.append(f"{key} differs")
    return problems


def final_html(prepared, setter) -> str:
    """The document's HTML with each part as the parts route laid it out (charts moved)."""
    from report.parts import split

    head, _, tail = split(prepared[0])
    return head + "".join(setter.final_pieces) + tail


def check_equivalent(project: Path, print_profile: bool = False) -> tuple[dict, object]:
    prepared = prepare(project, print_profile)
    joined, setter = in_parts(prepared)
    reference = as_one_document(prepared, final_html(prepared, setter))
    described = describe(joined)
    assert differences(describe(reference), described) == []
    assert described["lang"] == "ar"
    return described, setter


@pytest.fixture()
def scratch(tmp_path) -> Path:
    return tmp_path


def copy_of(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("output", ".report-cache", ".git", "tests"))
    return target


def styled(source: Path, target: Path, css: str) -> Path:
    """A copy of a project with `css` added to its templates/style.css."""
    project = copy_of(source, target)
    style = project / "templates" / "style.css"
    style.parent.mkdir(exist_ok=True)
    style.write_text(
        (style.read_text(encoding="utf-8") if style.exists() else "") + "\n" + css, encoding="utf-8"
    )
    return project


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_reads_as_one_document(example, tmp_path):
    described, setter = check_equivalent(copy_of(example, tmp_path / example.name))
    assert len(setter.final_pieces) >= 3  # front matter, sections, sources: really in parts


def test_default_briefing_reads_as_one_document_in_both_profiles(tmp_path):
    project = copy_of(ROOT, tmp_path / "default")
    screen, _ = check_equivalent(project)
    printed, _ = check_equivalent(project, print_profile=True)
    # Recto starts: the print profile has blank versos the screen file does not.
    assert len(printed["pages"]) > len(screen["pages"])
    assert any(not page.strip() for page in printed["pages"])
    # "Page X of Y" on the last page counts the pages of every part.
    last = re.sub("[\u202a-\u202e\u2066-\u2069]", "", screen["pages"][-1])
    total = len(screen["pages"])
    assert re.search(rf"صفحة\s*{total}\s*من\s*{total}", last), last[-200:]


def test_generated_fifty_sections_read_as_one_document(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    described, setter = check_equivalent(generate(50, tmp_path / "n50"))
    assert len(setter.final_pieces) >= 50
    assert len(described["pages"]) > 100


@pytest.mark.parametrize("cache", [True, False], ids=["with a disk cache", "without"])
def test_parts_let_go_while_others_are_laid_out_give_the_same_bytes(tmp_path, monkeypatch, cache):
    """Memory is bounded: past MAX_HELD_PAGES a process lets its oldest laid-out parts go and
    lays them out again to write them. The file is the same bytes as with every part kept,
    and a part is laid out at most twice."""
    import report.parts

    prepared = prepare(copy_of(ROOT / "examples" / "water", tmp_path / "water"))
    kept, setter = in_parts(prepared, tmp_path / "kept" if cache else None)
    laid_out = setter.laid_out
    monkeypatch.setattr(report.parts, "MAX_HELD_PAGES", 2)
    bounded, setter = in_parts(prepared, tmp_path / "bounded" if cache else None)
    assert bounded == kept
    assert laid_out < setter.laid_out <= 2 * laid_out


def test_a_changed_figure_lays_out_only_the_parts_that_show_it_and_gives_the_same_bytes(tmp_path):
    from report.parts import split

    project = copy_of(ROOT / "examples" / "water", tmp_path / "water")
    cache = tmp_path / "cache"
    before = prepare(project)
    first, setter = in_parts(before, cache)
    assert setter.laid_out >= len(split(before[0])[1])

    # Nothing changed: a new process (a new typesetter) lays nothing out and writes nothing.
    again, setter = in_parts(prepare(project), cache)
    assert (setter.laid_out, setter.written) == (0, 0)
    assert again == first

    figures = project / "data" / "figures.yaml"
    text = figures.read_text()
    assert text.count("value: 68\n") == 1  # the sanitation coverage, shown in one section
    figures.write_text(text.replace("value: 68\n", "value: 69\n"))
    after = prepare(project)
    changed = [a != b for a, b in zip(split(before[0])[1], split(after[0])[1], strict=True)]
    assert 0 < sum(changed) < len(changed)
    rebuilt, setter = in_parts(after, cache)
    # Every part that changed is laid out once (the page numbers of the last build are the
    # first guess, and right); none that did not change.
    assert setter.laid_out == sum(changed)
    cold, _ = in_parts(after, tmp_path / "empty-cache")
    assert rebuilt == cold
    assert rebuilt != first


def test_a_tampered_cache_is_not_used(tmp_path):
    project = copy_of(ROOT / "examples" / "trade", tmp_path / "trade")
    cache = tmp_path / "cache"
    first, _ = in_parts(prepare(project), cache)
    for path in cache.iterdir():
        if path.name.startswith("W-"):
            data = path.read_bytes()
            path.write_bytes(data.replace(b"%PDF", b"%PDX", 1))
        elif path.name.startswith("L-"):
            path.write_bytes(path.read_bytes()[:64] + b"\n" + b'{"pages": 1}')
    again, setter = in_parts(prepare(project), cache)
    assert again == first
    assert setter.laid_out > 0 and setter.written > 0


def test_one_part_document_without_markers(tmp_path):
    """A project's own template without the section markers is typeset as one part."""
    from report.joining import join
    from report.parts import split

    prepared = prepare(copy_of(ROOT / "examples" / "health", tmp_path / "health"))
    html = prepared[0].replace('<article class="section">', '<article class="chapter">')
    html = html.replace('<section class="sources">', '<section class="references">')
    html = html.replace('<nav class="contents">', '<nav class="toc">')
    html = html.replace('<section class="key-figures">', '<section class="numbers">')
    html = html.replace('<section class="whats-new">', '<section class="changes">')
    assert len(split(html)[1]) == 1
    setter = typesetter(prepared)
    written, layouts = setter.typeset(html)
    joined = join(written, setter.font_files(written, layouts))
    head, _, tail = split(html)
    reference = as_one_document(prepared, head + "".join(setter.final_pieces) + tail)
    assert differences(describe(reference), describe(joined)) == []


@pytest.mark.parametrize("print_profile", [False, True], ids=["screen", "print"])
def test_a_part_moved_to_the_other_side_is_the_part_laid_out_there(tmp_path, monkeypatch, print_profile):
    """Parts are laid out once, behind a pad page, and fitted to the side they start on:
    flipped (mirrored margins swapped) on screen, their leading blank page dropped in print.
    The file is the same, byte for byte, as with every part laid out on its own side."""
    import report.parts as parts

    prepared = prepare(copy_of(ROOT / "examples" / "health", tmp_path / "health"), print_profile)
    fitted, setter = in_parts(prepared)
    arrangements = [
        layout.arrangement(1, start % 2)
        for _, (_, _, pad), start, layout in setter.plan
        if pad == 1 and layout.arrangement(1, start % 2) is not None
    ]
    assert any(a != (0, False) for a in arrangements)  # the check is not empty
    original = parts.Layout.arrangement

    def laid_out_again(self, pad, parity):
        found = original(self, pad, parity)
        return None if found and found != (0, False) else found

    monkeypatch.setattr(parts.Layout, "arrangement", laid_out_again)
    direct, again = in_parts(prepared)
    assert again.laid_out > setter.laid_out
    assert direct == fitted


def test_first_page_rules_and_running_heads_carried_across_parts(tmp_path):
    """`@page :first` styles the document's first page only; pages of a section whose title
    sets no running head show the one the section before it left set."""
    project = styled(
        ROOT / "examples" / "trade",
        tmp_path / "trade",
        "@page :first { size: A3 landscape; }\nh1#section-2 { string-set: none; }\n",
    )
    described, setter = check_equivalent(project)
    from pypdf import PdfReader

    joined, _ = in_parts(prepare(project))
    widths = [float(page.mediabox.width) for page in PdfReader(io.BytesIO(joined)).pages]
    assert widths[0] > widths[1] and widths[1:] == [widths[1]] * (len(widths) - 1)
    second = next(layout for key, _, _, layout in setter.plan if "section-2" in layout.anchors)
    assert not second.strings  # it sets no running head: what its pages show is carried in
    first_title = "الصادرات حسب الوجهة"
    pages_of_second = [page for page in described["pages"] if "مواكبة المقاولات" in page]
    assert any(first_title in page for page in pages_of_second[1:] or pages_of_second)


ONE_PART_STYLESHEETS = {
    "counts across the document": "article.section:nth-of-type(2) h1 { color: #a00; }\n",
    "sections run on": "article.section { break-before: auto !important; }\n",
    "escaped pseudo-class": "article.section:nth\\-child(odd) h1 { color: #a00; }\n",
    "page number in the content": '.section h1::after { content: " " counter(page); }\n',
    "running element": ".cover-titles { position: running(titles); }\n"
    "@page { @top-left { content: element(titles); } }\n",
}


@pytest.mark.parametrize("css", ONE_PART_STYLESHEETS.values(), ids=ONE_PART_STYLESHEETS.keys())
def test_a_stylesheet_that_cutting_would_change_is_typeset_as_one_part(tmp_path, css):
    described, setter = check_equivalent(styled(ROOT / "examples" / "trade", tmp_path / "trade", css))
    assert len(setter.final_pieces) == 1


def test_an_anchor_moved_into_the_margin_stays_a_link_target(tmp_path):
    """A running element keeps its id: margin boxes holding document elements are made at
    layout too (parts._MARGINS_WHEN_WRITTEN), so the layout reports the anchor."""
    from pypdf import PdfReader

    css = "h1#section-2 { position: running(title); }\n@page { @top-left { content: element(title); } }\n"
    joined, setter = in_parts(prepare(styled(ROOT / "examples" / "trade", tmp_path / "trade", css)))
    assert len(setter.final_pieces) == 1
    reader = PdfReader(io.BytesIO(joined))
    assert "section-2" in reader.named_destinations
    page = reader.get_destination_page_number(reader.named_destinations["section-2"])
    assert "مواكبة المقاولات" in reader.pages[page].extract_text()


def test_a_character_no_face_has_leaves_the_other_parts_sharing_one_subset(tmp_path):
    """WeasyPrint embeds a face with its own CMap in a part whose text has a character no
    font has; the parts without one still share one subset of that face."""
    import pikepdf

    project = copy_of(ROOT / "examples" / "water", tmp_path / "water")
    section = sorted((project / "data" / "sections").glob("*.md"))[1]
    section.write_text(section.read_text(encoding="utf-8") + "\n\nرمز: 中\n", encoding="utf-8")
    joined, setter = in_parts(prepare(project))
    assert len(setter.final_pieces) > 3
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        faces = [
            thing
            for thing in pdf.objects
            if isinstance(thing, pikepdf.Dictionary) and thing.get("/Type") == "/FontDescriptor"
        ]
        naskh = [face for face in faces if str(face.FontName).endswith("+Report-Naskh")]
        assert len(naskh) == 2  # the shared subset, and the one of the part with 中
    assert any("رمز" in page for page in describe(joined)["pages"])  # its text still reads


def test_errors_met_in_worker_processes_are_reported_as_in_one_process(tmp_path):
    """The sections are laid out in worker processes on a cold build: a file they may not
    read, or pages too small for their content, is the same one-line error, exit code 2,
    the previous PDF kept."""
    from conftest import build_fails, copy_project

    project = copy_project(ROOT, tmp_path / "refused")
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates" / "style.css").write_text(
        '.section h2 { background: url("file:///etc/passwd"); }\n', encoding="utf-8"
    )
    build_fails(project, ["refused to fetch file:///etc/passwd: only files inside the project may be used"])

    project = copy_project(ROOT, tmp_path / "tiny")
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates" / "style.css").write_text(".section { font-size: 400pt; }\n", encoding="utf-8")
    output = project / "output"
    output.mkdir()
    (output / "briefing.pdf").write_bytes(b"previous")
    from conftest import run_cli

    result = run_cli("build", str(project), timeout=300)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("the document runs past "), result.stderr
    assert (output / "briefing.pdf").read_bytes() == b"previous"


def test_what_would_cut_the_document_wrongly_is_not_cut():
    """A part starts only where one document starts a page at the top level: not at a
    section marker inside raw HTML, not when a <style> in a section applies everywhere (the
    stylesheets that would change: ONE_PART_STYLESHEETS)."""
    from report.parts import split

    nested = (
        '<html><body>F<article class="section">A<div><article class="section">X</article></div>'
        '<section class="sources">no</section></article><section class="sources">S</section></body></html>'
    )
    assert split(nested)[1] == [
        "F",
        '<article class="section">A<div><article class="section">X</article></div>'
        '<section class="sources">no</section></article>',
        '<section class="sources">S</section>',
    ]
    assert len(split(nested.replace("X", "<style>h1 { color: red }</style>"))[1]) == 1


def test_an_archival_pdf_is_the_same_bytes_from_a_warm_cache_a_cold_one_and_another_folder(tmp_path):
    from conftest import run_cli

    made = []
    for name in ("one", "two"):
        project = copy_of(ROOT / "examples" / "water", tmp_path / name / "water")
        for _ in range(2 if name == "one" else 1):  # "one" again from its cache, "two" cold
            result = run_cli("build", str(project), "--variant", "pdf/a-3b", "--force")
            assert result.returncode == 0, result.stderr
            made.append(next((project / "output").glob("*-pdfa.pdf")).read_bytes())
    assert made[0] == made[1] == made[2]


def test_more_that_would_differ_in_parts_is_typeset_as_one_or_carried(tmp_path):
    """Footnotes the HTML count misses, target-text() across parts, floated sections: one
    part; `string(name, start)` on a page that sets the string: the value carried in."""
    cases = {
        "raw footnote": ("data/sections", '\n<p>نص<span style="float: footnote">حاشية خام</span></p>\n'),
        "target-text": ("style", '.section h1::after { content: " " target-text(attr(id)); }\n'),
        "floated sections": ("style", "article.section { float: right; width: 100%; }\n"),
        "inline-block sections": ("style", "article.section { display: inline-block; width: 100%; }\n"),
    }
    for name, (where, text) in cases.items():
        folder = tmp_path / name.replace(" ", "-")
        if where == "style":
            project = styled(ROOT / "examples" / "health", folder, text)
        else:
            project = copy_of(ROOT / "examples" / "health", folder)
            settings = project / "data" / "settings.yaml"
            settings.write_text(
                settings.read_text(encoding="utf-8") + "markdown_html: true\n", encoding="utf-8"
            )
            first = sorted((project / "data" / "sections").glob("*.md"))[0]
            first.write_text(first.read_text(encoding="utf-8") + text, encoding="utf-8")
        described, setter = check_equivalent(project)
        assert len(setter.final_pieces) == 1, name

    project = styled(  # the default briefing: sub-headings in most sections
        ROOT,
        tmp_path / "start",
        'h2 { string-set: sub content(); }\n@page { @bottom-left { content: string(sub, first) "|" string(sub, start); } }\n',
    )
    described, setter = check_equivalent(project)
    assert len(setter.final_pieces) > 3


def test_a_cache_made_by_report_installed_elsewhere_is_not_used(tmp_path):
    """Cached layouts name the files they read, the tool's own fonts among them: those of
    another install are outside what this build may read, so the layouts are made again."""
    from conftest import copy_project, run_cli

    project = copy_project(ROOT / "examples" / "water", tmp_path / "water")
    elsewhere = tmp_path / "elsewhere"
    for folder in ("src", "fonts", "templates"):
        shutil.copytree(ROOT / folder, elsewhere / folder)
    import os

    first = subprocess.run(
        [sys.executable, "-m", "report", "build", str(project)],
        env={**os.environ, "PYTHONPATH": str(elsewhere / "src")}, capture_output=True, text=True,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert any(
        str(elsewhere) in line
        for line in (project / ".report-cache").rglob("L-*")
        for line in [line.read_text(errors="replace")]
    )
    again = run_cli("build", str(project), "--force")
    assert again.returncode == 0, again.stderr


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
def test_worker_processes_end_with_a_killed_build(tmp_path, signal_name):
    """A build killed while its workers lay out (a CI timeout, the out-of-memory killer)
    leaves no worker behind holding memory."""
    import os
    import signal
    import time

    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    project = generate(30, tmp_path / "n30")
    process = subprocess.Popen(
        [sys.executable, "-m", "report", "build", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in process.stdout:
        if "laying out" in line and "processes" in line:
            break
    deadline = time.monotonic() + 10
    workers = _children(process.pid)
    while not workers and time.monotonic() < deadline:
        time.sleep(0.05)
        workers = _children(process.pid)
    assert workers, "no worker process was started"
    time.sleep(0.5)  # laying out
    os.kill(process.pid, getattr(signal, signal_name))
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(_gone(pid) for pid in workers):
        time.sleep(0.1)
    assert all(_gone(pid) for pid in workers), "a worker outlived the build"
