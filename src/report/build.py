"""The pipeline: load -> up to date? -> validate -> compute -> charts -> HTML -> PDF -> write."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import ErrorCollector, ReportError
from .project import Project, find_project, load_project, output_setting

logger = logging.getLogger("report")


@dataclass
class BuildResult:
    output: Path
    pages: int
    seconds: float
    charts_drawn: int = 0
    charts_reused: int = 0
    up_to_date: bool = False


def _prepare(project: Project):
    """Validate figures, charts and settings; return the resolved figures, the formatter, the charts."""
    from babel import UnknownLocaleError

    from .charts import prepare_charts
    from .figures import resolve_figures
    from .formatting import Formatter

    errors = ErrorCollector()
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
        formatter = None
    errors.raise_if_any()
    return values, formatter, charts


def check(path: Path | str | None) -> Project:
    """Load and validate a project, sections included, without typesetting it."""
    from .html import DocumentBuilder

    project = load_project(path)
    values, formatter, charts = _prepare(project)
    DocumentBuilder(project, values, formatter, charts).render()
    return project


def build(
    path: Path | str | None,
    output: Path | str | None = None,
    force: bool = False,
    print_profile: bool = False,
    variant: str | None = None,
    signing=None,
) -> BuildResult:
    """Build the project's PDF and write it in place of the previous one when complete.

    `print_profile` adds bleed, crop marks and recto starts for the print shop; `variant`
    writes a PDF/A-3b (with the sources attached) or a PDF/UA-1 file. Both default to a
    file of their own beside the screen PDF.
    """
    from .manifest import Manifest, fetched_hashes, fingerprint, previous_edition, write_manifest

    started = time.perf_counter()
    root = find_project(path)
    target = Path(output).resolve() if output else _variant_path(output_setting(root), print_profile, variant)
    inputs = fingerprint(root, target)
    inputs["options"] = {"print": print_profile, "variant": variant or "", "signing": _signing_id(signing)}
    manifest = Manifest.read(target)
    if (
        not force
        and manifest is not None
        and manifest.is_current(inputs, target)
        and manifest.fetched_unchanged()
    ):
        # Nothing changed: no data loaded, no figures computed, no matplotlib, no WeasyPrint.
        seconds = time.perf_counter() - started
        return BuildResult(target, manifest.data.get("pages", 0), seconds, up_to_date=True)
    project = load_project(root)
    logger.info(
        "loaded %s: %d input files, %d sections",
        project.root,
        len(project.input_files),
        len(project.sections),
    )

    values, formatter, charts = _prepare(project)
    computed = sum(1 for v in values.values() if v.figure.compute)
    logger.info("checked %d figures (%d computed), %d charts", len(values), computed, len(charts))

    from .changes import compare, snapshot

    settings = project.settings
    edition = settings.edition or settings.date.isoformat()
    current = snapshot(project, values)
    previous = previous_edition(manifest, edition)
    changes = compare(previous[1], current) if previous else None

    from .charts import ChartCache, ChartStyle
    from .html import DocumentBuilder

    style = ChartStyle(
        settings.locale, settings.digits, [str(project.find_font(f)) for f in settings.chart_fonts]
    )
    cache = ChartCache(project.root, style)
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
        from .pdf import render_pdf, write_atomically
    finally:
        finish_charts()
    if needed:
        logger.info("charts: %d drawn, %d reused", cache.drawn, cache.reused)

    typeset = time.perf_counter()
    roots = [project.root, *project.template_dirs, *project.font_dirs]
    attachments = _sources(project, inputs, current) if variant == "pdf/a-3b" else ()
    pdf, pages, fetched = render_pdf(html, css, project.root, roots, project.font_dirs, variant, attachments)
    logger.info("typeset %d pages in %.1f s", pages, time.perf_counter() - typeset)

    if signing is not None:
        from .signing import sign_pdf

        pdf = sign_pdf(pdf, signing, reason=settings.title)
        logger.info("signed with %s", signing.cert)
    write_atomically(pdf, target)
    write_manifest(
        target,
        {**inputs, "pages": pages, "fetched": fetched_hashes(project.root, fetched)},
        current,
        edition,
        pdf,
    )
    seconds = time.perf_counter() - started
    return BuildResult(target, pages, seconds, cache.drawn, cache.reused)


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

    from .pdf import Attachment

    files = [
        Attachment(
            path.relative_to(project.root).as_posix(), path.read_bytes(), "source data of the briefing"
        )
        for path in sorted(set(project.input_files))
    ]
    manifest = json.dumps({**inputs, "snapshot": current}, ensure_ascii=False, indent=1, sort_keys=True)
    files.append(Attachment("manifest.json", manifest.encode("utf-8"), "what the briefing was built from"))
    return tuple(files)


__all__ = ["BuildResult", "ReportError", "build", "check"]
