"""The pipeline: load -> up to date? -> validate -> compute -> charts -> HTML -> PDF -> write."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import ErrorCollector, Location, ReportError
from .project import Project, find_project, load_project
from .schema import OUTPUT_FOLDER, output_problem

logger = logging.getLogger("report")


@dataclass
class BuildResult:
    output: Path
    pages: int
    seconds: float
    charts_drawn: int = 0
    charts_reused: int = 0
    up_to_date: bool = False


def _prepare(project: Project, errors: ErrorCollector | None = None):
    """Validate figures, charts and settings; return the resolved figures, the formatter, the charts.

    Given `errors`, the problems are left there (the formatter falls back to the default locale).
    """
    from babel import UnknownLocaleError

    from .charts import prepare_charts
    from .figures import resolve_figures
    from .formatting import Formatter

    collect = errors is not None
    errors = errors if errors is not None else ErrorCollector()
    values = resolve_figures(project.data, project.settings, errors)
    charts = prepare_charts(project.data, values, errors)
    for name in project.settings.chart_fonts if project.data.charts else ():
        try:
            project.find_font(name)
        except ReportError as error:
            errors.add(f"settings: chart_fonts: {error.message}", project.settings.location)
    try:
        formatter = Formatter(project.settings.locale, project.settings.digits)
    except (UnknownLocaleError, ValueError):
        errors.add(f"settings: unknown locale '{project.settings.locale}'", project.settings.location)
        formatter = Formatter(digits=project.settings.digits) if collect else None
    if not collect:
        errors.raise_if_any()
    return values, formatter, charts


CHART_FURNITURE_MM = 30.0


def chart_style(project: Project):
    """How the project's charts are drawn: its locale, digits and fonts, at the text block's
    width (a chart prints its text at the size it was drawn at)."""
    from .charts import ChartStyle
    from .layout import page_geometry

    settings = project.settings
    page = page_geometry(settings.page_size)
    return ChartStyle(
        settings.locale,
        settings.digits,
        [str(project.find_font(f)) for f in settings.chart_fonts],
        width_mm=page.text_width,
        # The caption above, the notes and source below: about 30 mm of the text block.
        most_height_mm=round(page.height - page.top - page.bottom - CHART_FURNITURE_MM, 1),
    )


def _load(path: Path | str | None):
    """Load and validate a project in one pass: every independent problem, reported together.

    Settings, data files, CSV, figures, charts and sections are all checked; what depends on a
    broken entry (a chart of a figure in error, a section naming it) is skipped, not reported again.
    """
    errors = ErrorCollector()
    project = load_project(path, errors)
    values, formatter, charts = _prepare(project, errors)
    if errors.errors:
        _check_sections(project, values, formatter, charts, errors)
        errors.raise_if_any()
    return project, values, formatter, charts


_NAMED = ("unknown name", "unknown quote", "unknown table", "unknown chart", "unknown source")


def _check_sections(project: Project, values, formatter, charts, errors: ErrorCollector) -> None:
    """Check the sections against every name the data defines, broken ones included; render those
    that use no broken entry (their filters and expressions are checked too)."""
    import dataclasses

    from jinja2 import nodes

    from .html import DocumentBuilder

    data = project.data
    broken = set(data.broken)
    broken |= {name for name in data.figures if name not in values}
    broken |= {name for name in data.charts if name not in charts}
    broken |= {name for name, table in data.tables.items() if any(f not in values for f in table.figures)}
    facts = {name: value for name, value in data.facts.items() if name not in broken}
    usable = dataclasses.replace(project, data=dataclasses.replace(data, facts=facts))
    builder = DocumentBuilder(usable, values, formatter, charts)
    for name in broken:
        builder.narrative.context.setdefault(name, None)  # a known name: no "unknown name" error

    def placed(kind: str):
        block = builder.blocks[kind]
        # A broken chart or table is left out of the section, which is still checked.
        return lambda name, *args, **kwargs: "" if name in broken else block(name, *args, **kwargs)

    builder.narrative.blocks = {kind: placed(kind) for kind in builder.blocks}

    def skip(section) -> bool:
        """A section that names a broken figure or fact in an expression is not rendered."""
        try:
            tree = builder.narrative.env.parse(section.text)
        except Exception:  # noqa: BLE001 - reported with its place by the check
            return True
        return any(node.name in broken for node in tree.find_all(nodes.Name) if node.ctx == "load")

    if data.incomplete:
        # A data file could not be read: a name may be defined there, so only what does not
        # depend on the names is reported (template syntax, controls), and nothing is rendered.
        for section in project.sections:
            found = ErrorCollector()
            builder.narrative.check(section, found)
            errors.errors.extend(e for e in found.errors if not e.message.startswith(_NAMED))
        return
    builder.sections(errors, skip)


def check(path: Path | str | None):
    """Load and validate a project, sections included, without typesetting it.

    Returns the project and the language warnings (see `language`).
    """
    from .html import DocumentBuilder
    from .language import check_language

    project, values, formatter, charts = _load(path)
    DocumentBuilder(project, values, formatter, charts).render()
    warnings = check_language(project.data, project.sections, values, formatter)
    return project, warnings


def build(
    path: Path | str | None,
    output: Path | str | None = None,
    force: bool = False,
    print_profile: bool = False,
    variant: str | None = None,
    signing=None,
    remember_parts: bool = False,
) -> BuildResult:
    """Build the project's PDF and write it in place of the previous one when complete.

    Parts of the document written before are reused from `.report-cache/parts/` (parts.py);
    `remember_parts` also keeps them laid out in this process for the next build (`--watch`).

    `print_profile` adds bleed, crop marks and recto starts for the print shop; `variant`
    writes a PDF/A-3b (with the sources attached) or a PDF/UA-1 file. Both default to a
    file of their own beside the screen PDF.
    """
    from .manifest import fetched_hashes, fingerprint, previous_edition, write_manifest

    started = time.perf_counter()
    root = find_project(path)
    # `-o` comes from the person running the command: trusted. settings.output does not.
    target = Path(output).resolve() if output else output_target(root, print_profile, variant)
    inputs = fingerprint(root, target)
    inputs["options"] = {"print": print_profile, "variant": variant or "", "signing": _signing_id(signing)}
    manifest = _read_manifest(target, root)
    if (
        not force
        and manifest is not None
        and manifest.is_current(inputs, target)
        and _fetched_inside(manifest, root)
        and manifest.fetched_unchanged()
    ):
        # Nothing changed: no data loaded, no figures computed, no matplotlib, no WeasyPrint.
        seconds = time.perf_counter() - started
        return BuildResult(target, manifest.data.get("pages", 0), seconds, up_to_date=True)
    project, values, formatter, charts = _load(root)
    logger.info(
        "loaded %s: %d input files, %d sections",
        project.root,
        len(project.input_files),
        len(project.sections),
    )

    computed = sum(1 for v in values.values() if v.figure.compute)
    logger.info("checked %d figures (%d computed), %d charts", len(values), computed, len(charts))

    from .changes import compare, snapshot

    settings = project.settings
    edition = settings.edition or settings.date.isoformat()
    current = snapshot(project, values)
    previous = previous_edition(manifest, edition)
    changes = compare(previous[1], current) if previous else None

    from .charts import ChartCache
    from .html import DocumentBuilder

    cache = ChartCache(project.root, chart_style(project))
    builder = DocumentBuilder(
        project, values, formatter, charts, cache, changes, previous[0] if previous else None, print_profile
    )
    needed = [charts[name] for name in builder.charts_used() if name in charts]
    locations = {name: spec.location for name, spec in project.data.charts.items()}
    finish_charts = cache.start_drawing(needed, formatter, locations)
    try:
        # While the charts are drawn in worker processes: the HTML, and WeasyPrint's import.
        html, css = builder.render()
        logger.info("rendered the HTML (%d characters)", len(html))
        from .language import check_language

        warnings = check_language(project.data, project.sections, values, formatter)
        if warnings:
            count = len(warnings)
            logger.info(
                "%d language warning%s: python -m report check lists them", count, "s" if count > 1 else ""
            )
        from .pdf import render_pdf, write_atomically

        if needed:
            from . import weasy

            weasy.load()  # 0.35 s: imported while charts missing from the cache are drawn
    finally:
        finish_charts()
    if needed:
        logger.info("charts: %d drawn, %d reused", cache.drawn, cache.reused)

    typeset = time.perf_counter()
    roots = [project.root, *project.template_dirs, *project.font_dirs]
    attachments = _sources(project, inputs, current) if variant == "pdf/a-3b" else ()
    # One cache per output file: the screen, print and archival files differ in every part.
    target_key = hashlib.sha256(str(target).encode()).hexdigest()[:16]
    parts_cache = project.root / ".report-cache" / "parts" / target_key
    pdf, pages, fetched = render_pdf(
        html, css, project.root, roots, project.font_dirs, variant, attachments, parts_cache, remember_parts
    )
    logger.info("typeset %d pages in %.1f s", pages, time.perf_counter() - typeset)

    if signing is not None:
        from .signing import sign_pdf

        pdf = sign_pdf(pdf, signing, reason=settings.title)
        logger.info("signed with %s", signing.cert)
    write_atomically(pdf, target)
    if manifest is None:
        # Absent or malformed: a malformed one is replaced, not read again while writing the new one.
        _remove_malformed_manifest(target)
    write_manifest(
        target,
        {**inputs, "pages": pages, "fetched": fetched_hashes(project.root, fetched)},
        current,
        edition,
        pdf,
    )
    seconds = time.perf_counter() - started
    return BuildResult(target, pages, seconds, cache.drawn, cache.reused)


def output_target(root: Path, print_profile: bool = False, variant: str | None = None) -> Path:
    """The PDF the project's settings name (`output:`), checked: see `guard_output`.

    `root` is the project folder (find_project). A bad `output:` is reported on its line of
    data/settings.yaml. With `print_profile`/`variant`, the file beside it (*-print.pdf ...).
    """
    from .schema import Settings
    from .yamlfile import LocatedDict, load_yaml

    settings_path = root / "data" / "settings.yaml"
    mapping = load_yaml(settings_path)
    raw: object = Settings.output
    where = Location(settings_path)
    if isinstance(mapping, LocatedDict) and mapping.get("output") is not None:
        raw, where = mapping["output"], mapping.where("output")
    problem = output_problem(raw)
    if problem:
        raise ReportError(problem, where)
    screen = guard_output(root / str(raw).strip(), root, where)
    target = _variant_path(screen, print_profile, variant)
    return guard_output(target, root, where) if target != screen else screen


def guard_output(path: Path, root: Path, where: Location | None = None) -> Path:
    """Check a file or folder about to be written on the project's say, and return it (normalised).

    It must lie inside the project's output/ folder; no symbolic link may be on the way
    (the output/ folder included), nor be the file itself or the manifest beside it: a
    project cannot make a build write anywhere else. Nothing under data/, templates/ or
    fonts/ (wherever they point) is ever written. Refusals are located at `where`
    (default: data/settings.yaml, which decides the output).

    For every path derived from settings.output (copies, registers); `-o` is trusted.
    """
    from .manifest import MANIFEST_SUFFIX

    root = root.resolve()
    where = where or Location(root / "data" / "settings.yaml")
    folder = root / OUTPUT_FOLDER
    path = Path(os.path.normpath(root / path))
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if path == folder or not path.is_relative_to(folder):
        raise ReportError(f"refusing to write {shown}: the build writes only inside {OUTPUT_FOLDER}/", where)
    step = root
    for part in [*path.relative_to(root).parts, path.name + MANIFEST_SUFFIX]:
        link = step / part
        if link.is_symlink():
            name = link.relative_to(root).as_posix()
            raise ReportError(
                f"{name} is a symbolic link: the build writes only to real files and folders "
                f"inside {OUTPUT_FOLDER}/ (remove the link)",
                where,
            )
        if part != path.name:
            step = link
    real = path.resolve()
    for name in ("data", "templates", "fonts"):
        inputs = root / name
        # An input folder linked out of the project is refused when the project is read.
        inside = inputs.exists() and inputs.resolve().is_relative_to(root.resolve())
        if inside and real.is_relative_to(inputs.resolve()):
            raise ReportError(f"refusing to write {shown}: it is inside the project's {name}/ folder", where)
    return path


def _read_manifest(target: Path, root: Path):
    """The manifest beside the target, or None when absent or malformed.

    It lies in the project's folder, so it is input too: a structure other than the one
    written by write_manifest counts as no manifest (and is replaced by the build).
    """
    from .manifest import Manifest

    manifest = Manifest.read(target)
    if manifest is None or not isinstance(manifest.data, dict):
        return None
    editions = manifest.data.get("editions", {})
    if not isinstance(editions, dict) or not all(isinstance(snap, dict) for snap in editions.values()):
        return None
    if not isinstance(manifest.data.get("fetched", {}), dict):
        return None
    return manifest


def _fetched_inside(manifest, root: Path) -> bool:
    """The files the manifest says the layout used are regular files of the project or of report.

    Only then are they hashed again: a manifest naming /dev/zero must not hang the check.
    """
    from .project import builtin_dir

    folders = [root.resolve()]
    for name in ("templates", "fonts"):
        try:
            folders.append(builtin_dir(name).resolve())
        except ReportError:
            pass
    for name in manifest.data.get("fetched", {}):
        file = Path(name)
        if not (file.is_absolute() and any(file.resolve().is_relative_to(f) for f in folders)):
            return False
        if not file.resolve().is_file():
            return False
    return True


def _remove_malformed_manifest(target: Path) -> None:
    from .manifest import manifest_path

    path = manifest_path(target)
    try:
        if path.is_symlink() or path.is_file():
            path.unlink()
    except OSError:
        pass  # written over below, or reported there


def _signing_id(signing) -> str:
    """Which key and certificate sign the PDF: a new certificate is a change."""
    if signing is None:
        return ""
    import hashlib

    digest = hashlib.sha256()
    for path in (signing.key, signing.cert):
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            digest.update(str(path).encode())
    return digest.hexdigest()[:16]


def _variant_path(screen: Path, print_profile: bool, variant: str | None) -> Path:
    """briefing.pdf -> briefing-print.pdf, briefing-pdfa.pdf, briefing-print-pdfua.pdf ..."""
    suffix = ("-print" if print_profile else "") + (
        {"pdf/a-3b": "-pdfa", "pdf/ua-1": "-pdfua"}.get(variant or "", "")
    )
    return screen.with_name(screen.stem + suffix + screen.suffix)


def _sources(project: Project, inputs: dict, current: dict):
    """The project's own input files and the build manifest, to travel inside an archival PDF."""
    import json

    from . import files as project_files
    from .limits import MAX_ATTACHMENT_BYTES
    from .pdf import Attachment

    files = []
    total = 0
    for path in sorted(set(project.input_files)):
        data = project_files.read_bytes(path, project.roots)
        total += len(data)
        if total > MAX_ATTACHMENT_BYTES:
            raise ReportError(
                f"the input files to attach to the PDF/A pass {MAX_ATTACHMENT_BYTES // 2**20} MB "
                "(an archive copy this large is refused)",
                Location(path),
            )
        name = path.relative_to(project.root).as_posix()
        files.append(Attachment(name, data, "source data of the briefing", project.settings.date))
    # Where the project and the output sit on this machine is not the archive's business,
    # and would make the same inputs give other bytes in another folder.
    output = Path(inputs.get("output", ""))
    inside = output.is_relative_to(project.root)
    attached = {
        **inputs,
        "root": ".",
        "output": output.relative_to(project.root).as_posix() if inside else output.name,
        "snapshot": current,
    }
    manifest = json.dumps(attached, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    dated = project.settings.date
    files.append(Attachment("manifest.json", manifest, "what the briefing was built from", dated))
    return tuple(files)


__all__ = ["BuildResult", "ReportError", "build", "check", "guard_output", "output_target"]
