"""The pipeline: load -> validate -> compute -> HTML -> PDF -> write."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import ErrorCollector, ReportError
from .project import Project, load_project

logger = logging.getLogger("report")


@dataclass
class BuildResult:
    output: Path
    pages: int
    seconds: float


def _prepare(project: Project):
    """Validate figures and settings; return the resolved figures and the formatter."""
    from babel import UnknownLocaleError

    from .figures import resolve_figures
    from .formatting import Formatter

    errors = ErrorCollector()
    values = resolve_figures(project.data, project.settings, errors)
    try:
        formatter = Formatter(project.settings.locale, project.settings.digits)
    except (UnknownLocaleError, ValueError):
        errors.add(f"settings: unknown locale '{project.settings.locale}'", project.settings.location)
        formatter = None
    errors.raise_if_any()
    return values, formatter


def check(path: Path | str | None) -> Project:
    """Load and validate a project, sections included, without typesetting it."""
    from .html import DocumentBuilder

    project = load_project(path)
    values, formatter = _prepare(project)
    DocumentBuilder(project, values, formatter).render()
    return project


def build(path: Path | str | None, output: Path | None = None) -> BuildResult:
    """Build the project's PDF and write it in place of the previous one when complete."""
    started = time.perf_counter()
    project = load_project(path)
    logger.info(
        "loaded %s: %d input files, %d sections",
        project.root,
        len(project.input_files),
        len(project.sections),
    )
    values, formatter = _prepare(project)
    logger.info(
        "checked %d figures (%d computed)", len(values), sum(1 for v in values.values() if v.figure.compute)
    )

    from .html import DocumentBuilder

    html, css = DocumentBuilder(project, values, formatter).render()
    logger.info("rendered the HTML (%d characters)", len(html))

    from .pdf import render_pdf, write_atomically

    typeset = time.perf_counter()
    roots = [project.root, *project.template_dirs, *project.font_dirs]
    pdf = render_pdf(html, css, project.root, roots, project.font_dirs)
    pages = _count_pages(pdf)
    logger.info("typeset %d pages in %.1f s", pages, time.perf_counter() - typeset)

    target = (output or project.output_path).resolve()
    write_atomically(pdf, target)
    seconds = time.perf_counter() - started
    return BuildResult(target, pages, seconds)


def _count_pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


__all__ = ["BuildResult", "ReportError", "build", "check"]
