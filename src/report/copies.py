"""Numbered copies for a distribution list: typeset the stamps once, lay them onto the briefing.

Each recipient's copy carries "نسخة رقم 3 من 20" with the name and unit in the margin of
every page and a light diagonal watermark; a register (copy, recipient, unit, file,
SHA-256) is written beside the copies.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from markupsafe import escape

from .errors import ErrorCollector, Location, ReportError
from .formatting import Formatter
from .yamlfile import load_csv

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("name", "unit")


@dataclass(frozen=True)
class Recipient:
    number: int
    name: str
    unit: str
    line: int


def read_recipients(path: Path) -> list[Recipient]:
    """Validate the distribution list: name and unit columns, no empty or repeated names."""
    table = load_csv(path)
    errors = ErrorCollector()
    missing = [c for c in REQUIRED_COLUMNS if c not in table.header]
    if missing:
        needed, absent = ", ".join(REQUIRED_COLUMNS), ", ".join(missing)
        raise ReportError(
            f"the recipients list needs the columns {needed}; missing: {absent}", Location(path, 1)
        )
    if not table.rows:
        raise ReportError("the recipients list has no recipient", Location(path, 1))
    seen: dict[str, int] = {}
    recipients = []
    for number, (row, line) in enumerate(zip(table.rows, table.lines, strict=True), start=1):
        name = " ".join(row["name"].split())
        if not name:
            errors.add("a recipient without a name", Location(path, line))
            continue
        if name in seen:
            errors.add(f"'{name}' is listed twice (first on line {seen[name]})", Location(path, line))
            continue
        seen[name] = line
        recipients.append(Recipient(number, name, " ".join(row["unit"].split()), line))
    errors.raise_if_any()
    return recipients


def safe_file_name(number: int, name: str, width: int) -> str:
    """A file name for any recipient name: letters and digits of any script, nothing else."""
    words = re.findall(r"\w+", name)
    slug = "-".join(words)[:60].strip("-") or "recipient"
    return f"{number:0{width}d}-{slug}.pdf"


def stamp_html(recipients: list[Recipient], formatter: Formatter, page_size: str) -> tuple[str, str]:
    """One page per recipient: the margin line and the watermark, on a transparent page."""
    total = formatter.plain(len(recipients))
    pages = []
    for r in recipients:
        label = f"نسخة رقم {formatter.plain(r.number)} من {total}"
        who = f"{r.name}، {r.unit}" if r.unit else r.name
        pages.append(
            f'<section class="stamp"><p class="margin">{escape(label)} — {escape(who)}</p>'
            f'<p class="watermark">{escape(who)}<br>{escape(label)}</p></section>'
        )
    html = f'<!DOCTYPE html><html lang="ar" dir="rtl"><body>{"".join(pages)}</body></html>'
    css = f"""
@font-face {{ font-family: "Report Naskh"; src: url("font:NotoNaskhArabic-Regular.ttf"); }}
@font-face {{ font-family: "Report Latin"; src: url("font:NotoSerif-Regular.ttf"); }}
@page {{ size: {page_size}; margin: 0; background: transparent; }}
html {{ font-family: "Report Naskh", "Report Latin"; }}
.stamp {{ position: relative; height: 100vh; break-after: page; overflow: hidden; }}
.margin {{ position: absolute; bottom: 6mm; left: 0; right: 0; text-align: center; margin: 0;
          font-size: 8pt; color: #8b1a1a; }}
.watermark {{ position: absolute; top: 45%; left: -10%; width: 120%; margin: 0; text-align: center;
             font-size: 30pt; line-height: 1.5; color: rgba(120, 120, 120, 0.16);
             transform: rotate(-35deg); }}
"""
    return html, css


@dataclass(frozen=True)
class CopiesResult:
    folder: Path
    register: Path
    copies: int
    combined: Path | None
    seconds: float


def make_copies(project_path, recipients_file: Path, combined: bool = False, signing=None) -> CopiesResult:
    """Build (or reuse) the briefing, then write one stamped copy per recipient and a register."""
    import time

    from pypdf import PdfReader, PdfWriter

    from .build import build
    from .pdf import render_pdf, write_atomically
    from .project import load_project

    recipients = read_recipients(Path(recipients_file))
    result = build(project_path)
    started = time.perf_counter()
    project = load_project(project_path)
    formatter = Formatter(project.settings.locale, project.settings.digits)
    html, css = stamp_html(recipients, formatter, project.settings.page_size)
    stamps_pdf, _ = render_pdf(html, css, project.root, [project.root, *project.font_dirs], project.font_dirs)
    stamps = PdfReader(io.BytesIO(stamps_pdf))
    logger.info("typeset %d stamps", len(recipients))

    folder = result.output.with_name(result.output.stem + "-copies")
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.pdf"), folder / "register.csv"]:
        old.unlink(missing_ok=True)  # the folder holds one distribution: the previous list's copies go
    width = max(3, len(str(len(recipients))))
    briefing = result.output.read_bytes()
    rows = []
    everything = PdfWriter() if combined else None
    for index, recipient in enumerate(recipients):
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(briefing)))
        stamp = stamps.pages[index]
        for page in writer.pages:
            page.merge_page(stamp, over=True)
        buffer = io.BytesIO()
        writer.write(buffer)
        data = buffer.getvalue()
        if signing is not None:
            from .signing import sign_pdf

            data = sign_pdf(data, signing, reason=f"copy {recipient.number}: {recipient.name}")
        name = safe_file_name(recipient.number, recipient.name, width)
        write_atomically(data, folder / name)
        rows.append(
            (recipient.number, recipient.name, recipient.unit, name, hashlib.sha256(data).hexdigest())
        )
        if everything is not None:
            everything.append(PdfReader(io.BytesIO(data)))
        if (index + 1) % 50 == 0:
            logger.info("stamped %d of %d copies", index + 1, len(recipients))
    register = folder / "register.csv"
    out = io.StringIO()
    table = csv.writer(out)
    table.writerow(["copy", "recipient", "unit", "file", "sha256"])
    table.writerows(rows)
    write_atomically(out.getvalue().encode("utf-8"), register)
    combined_path = None
    if everything is not None:
        combined_path = folder / "all-copies.pdf"
        buffer = io.BytesIO()
        everything.write(buffer)
        write_atomically(buffer.getvalue(), combined_path)
    return CopiesResult(folder, register, len(rows), combined_path, time.perf_counter() - started)
