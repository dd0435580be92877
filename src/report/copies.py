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
import shutil
import subprocess
import tempfile
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


class _Stamper:
    """Lay stamp page k onto every page of the briefing: qpdf when installed (4x faster), else pypdf."""

    def __init__(self, briefing: Path, stamps_pdf: bytes) -> None:
        self.briefing = briefing
        self.qpdf = shutil.which("qpdf")
        self.scratch = tempfile.TemporaryDirectory(prefix="report-stamps-")
        self.stamps = Path(self.scratch.name) / "stamps.pdf"
        self.stamps.write_bytes(stamps_pdf)

    def copy(self, index: int) -> bytes:
        if self.qpdf:
            out = Path(self.scratch.name) / "copy.pdf"
            page = str(index + 1)
            command = [self.qpdf, str(self.briefing), "--overlay", str(self.stamps), f"--from={page}",
                       f"--repeat={page}", "--", str(out)]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode not in (0, 3):  # 3: written, with warnings
                raise ReportError(f"qpdf could not stamp copy {page}: {done.stderr.strip()}")
            return out.read_bytes()
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(self.briefing))
        stamp = PdfReader(self.stamps).pages[index]
        for page in writer.pages:
            page.merge_page(stamp, over=True)
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()


def _concatenate(files: list[Path]) -> bytes:
    """One print file holding every copy, in order."""
    qpdf = shutil.which("qpdf")
    if qpdf:
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "all.pdf"
            command = [qpdf, "--empty", "--pages", *map(str, files), "--", str(out)]
            subprocess.run(command, capture_output=True, check=False)
            if out.is_file():
                return out.read_bytes()
    from pypdf import PdfWriter

    writer = PdfWriter()
    for file in files:
        writer.append(str(file))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


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

    from .build import build
    from .pdf import render_pdf, write_atomically
    from .project import load_project

    recipients = read_recipients(Path(recipients_file))
    result = build(project_path)
    started = time.perf_counter()
    project = load_project(project_path)
    formatter = Formatter(project.settings.locale, project.settings.digits)
    html, css = stamp_html(recipients, formatter, project.settings.page_size)
    stamps_pdf, _, _ = render_pdf(
        html, css, project.root, [project.root, *project.font_dirs], project.font_dirs
    )
    logger.info("typeset %d stamps", len(recipients))

    folder = result.output.with_name(result.output.stem + "-copies")
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.pdf"), folder / "register.csv"]:
        old.unlink(missing_ok=True)  # the folder holds one distribution: the previous list's copies go
    width = max(3, len(str(len(recipients))))
    stamp = _Stamper(result.output, stamps_pdf)
    rows = []
    files = []
    for index, recipient in enumerate(recipients):
        data = stamp.copy(index)
        if signing is not None:
            from .signing import sign_pdf

            data = sign_pdf(data, signing, reason=f"copy {recipient.number}: {recipient.name}")
        name = safe_file_name(recipient.number, recipient.name, width)
        write_atomically(data, folder / name)
        files.append(folder / name)
        rows.append(
            (recipient.number, recipient.name, recipient.unit, name, hashlib.sha256(data).hexdigest())
        )
        if (index + 1) % 50 == 0:
            logger.info("stamped %d of %d copies", index + 1, len(recipients))
    register = folder / "register.csv"
    out = io.StringIO()
    table = csv.writer(out)
    table.writerow(["copy", "recipient", "unit", "file", "sha256"])
    table.writerows(rows)
    write_atomically(out.getvalue().encode("utf-8"), register)
    combined_path = folder / "all-copies.pdf" if combined else None
    if combined_path is not None:
        write_atomically(_concatenate(files), combined_path)
    return CopiesResult(folder, register, len(rows), combined_path, time.perf_counter() - started)
