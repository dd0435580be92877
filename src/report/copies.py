"""Numbered copies for a distribution list: typeset the stamps once, lay them onto the briefing.

Each recipient's copy carries "نسخة رقم 3 من 20" with the name and unit in the margin of
every page and a light diagonal watermark; a register (copy, recipient, unit, file,
SHA-256) is written beside the copies.

A distribution is replaced whole or not at all: every copy and the register are written
to a hidden sibling folder (`.briefing-copies.new-<pid>`), which is swapped with the
previous folder only when complete. Runs on the same folder are serialised by a lock
file beside it (`.briefing-copies.lock`); the second run waits for the first.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import unicodedata
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from markupsafe import escape

from .errors import ErrorCollector, Location, ReportError
from .formatting import Formatter
from .limits import MAX_COPY_PAGES, MAX_RECIPIENT_TEXT, MAX_RECIPIENTS
from .yamlfile import load_csv

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("name", "unit")
# What the command line prints when Ctrl-C stops a `copies` run (the folder is left as it was).
INTERRUPTED_MESSAGE = "interrupted; the previous copies are unchanged"
# Stamps typeset per WeasyPrint run: its memory grows with the pages of one run
# (about 0.14 MiB a stamp), so a long list is typeset in batches of this size.
STAMP_BATCH = 250
# qpdf processes laying stamps at once.
WORKERS = max(1, min(4, os.cpu_count() or 1))
# Cells a spreadsheet would read as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters that show nothing yet make two names differ, besides categories Cf and Cc:
# combining grapheme joiner, Hangul fillers, variation selectors, and the ranges named
# in the distribution rules (zero-width, bidi marks and isolates, word joiners, BOM).
_INVISIBLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFEFF, 0xFFA0]
    + [*range(0x180B, 0x1810), *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070)]
    + [*range(0xFE00, 0xFE10), *range(0xE0000, 0xE0080), *range(0xE0100, 0xE01F0)]
)


@dataclass(frozen=True)
class Recipient:
    number: int
    name: str
    unit: str
    line: int


def clean_text(text: str) -> str:
    """What a name or unit looks like on paper: invisible and control characters removed
    (zero-width, bidi controls and isolates, every format character), NFC, spaces collapsed."""
    kept = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or (ord(char) not in _INVISIBLE and unicodedata.category(char) not in ("Cf", "Cc"))
    )
    return " ".join(unicodedata.normalize("NFC", kept).split())


# Arabic diacritics (tashkeel, U+064B-U+065F, and the superscript alef U+0670) and the
# tatweel (U+0640), which only stretches a word: a name with or without them is one person.
_TASHKEEL = re.compile("[\u064b-\u065f\u0670\u0640]")


def _same_name_key(name: str) -> str:
    """Names a reader takes for the same compare equal: compatibility forms (Arabic
    presentation forms, full-width letters), letter case, diacritics and tatweel are folded."""
    return " ".join(_TASHKEEL.sub("", unicodedata.normalize("NFKC", name)).casefold().split())


def read_recipients(path: Path) -> list[Recipient]:
    """Validate the distribution list: name and unit columns, no empty or repeated names.

    Names and units are cleaned (see `clean_text`) before they are compared, stamped and
    registered, so two names that differ only by an invisible character are one name.
    """
    # Bidi controls are removed from every cell by clean_text; MAX_RECIPIENTS bounds the rows.
    table = load_csv(path, bidi_controls=True, max_rows=None)
    errors = ErrorCollector()
    missing = [c for c in REQUIRED_COLUMNS if c not in table.header]
    if missing:
        needed, absent = ", ".join(REQUIRED_COLUMNS), ", ".join(missing)
        raise ReportError(
            f"the recipients list needs the columns {needed}; missing: {absent}", Location(path, 1)
        )
    if not table.rows:
        raise ReportError("the recipients list has no recipient", Location(path, 1))
    if len(table.rows) > MAX_RECIPIENTS:
        raise ReportError(
            f"the recipients list has {len(table.rows)} recipients; at most {MAX_RECIPIENTS} are allowed "
            "in one run (split the list)",
            Location(path, table.lines[MAX_RECIPIENTS]),
        )
    seen: dict[str, tuple[int, str]] = {}
    recipients = []
    for number, (row, line) in enumerate(zip(table.rows, table.lines, strict=True), start=1):
        name, unit = clean_text(row["name"]), clean_text(row["unit"])
        where = Location(path, line)
        if not name:
            hint = " (the cell holds only invisible characters)" if row["name"].strip() else ""
            errors.add(f"a recipient without a name{hint}", where)
            continue
        too_long = [(what, len(text)) for what, text in (("name", name), ("unit", unit))]
        too_long = [(what, size) for what, size in too_long if size > MAX_RECIPIENT_TEXT]
        for what, size in too_long:
            errors.add(
                f"the {what} is {size} characters long; at most {MAX_RECIPIENT_TEXT} are allowed", where
            )
        if too_long:
            continue
        key = _same_name_key(name)
        if key in seen:
            first_line, first_raw = seen[key]
            hint = "" if first_raw == row["name"] else (
                "; the two differ only in invisible characters, Unicode form, letter case,"
                " diacritics or tatweel"
            )  # fmt: skip
            errors.add(f"'{name}' is listed twice (first on line {first_line}{hint})", where)
            continue
        seen[key] = (line, row["name"])
        recipients.append(Recipient(number, name, unit, line))
    errors.raise_if_any()
    return recipients


def safe_file_name(number: int, name: str, width: int) -> str:
    """A file name for any recipient name: letters and digits of any script, nothing else."""
    words = re.findall(r"\w+", name)
    slug = "-".join(words)[:60].strip("-") or "recipient"
    return f"{number:0{width}d}-{slug}.pdf"


def spreadsheet_safe(cell: str) -> str:
    """A register cell no spreadsheet runs as a formula: a leading apostrophe when it starts
    with = + - @ tab or CR (the OWASP rule for CSV injection)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def stamp_html(
    recipients: list[Recipient], formatter: Formatter, page_size: str, total: int | None = None
) -> tuple[str, str]:
    """One page per recipient: the margin line and the watermark, on a transparent page.

    `total` is the length of the whole list when `recipients` is one batch of it.
    """
    from .layout import page_geometry

    total_text = formatter.plain(len(recipients) if total is None else total)
    pages = []
    for r in recipients:
        label = f"نسخة رقم {formatter.plain(r.number)} من {total_text}"
        who = f"{r.name}، {r.unit}" if r.unit else r.name
        # <bdi>: a Latin name, or one ending in punctuation, stays one run beside the Arabic label.
        pages.append(
            f'<section class="stamp"><p class="margin">{escape(label)} — <bdi>{escape(who)}</bdi></p>'
            f'<p class="watermark"><bdi>{escape(who)}</bdi><br>{escape(label)}</p></section>'
        )
    html = f'<!DOCTYPE html><html lang="ar" dir="rtl"><body>{"".join(pages)}</body></html>'
    css = f"""
@font-face {{ font-family: "Report Naskh"; src: url("font:NotoNaskhArabic-Regular.ttf"); }}
@font-face {{ font-family: "Report Latin"; src: url("font:NotoSerif-Regular.ttf"); }}
@page {{ size: {page_geometry(page_size).css_size}; margin: 0; background: transparent; }}
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
    """Lay stamp page k onto every page of the briefing: qpdf when installed (4x faster), else pypdf.

    Each batch of stamps is split into one-page files first, so an overlay reads one stamp
    page whatever the length of the list; the time per copy stays flat.
    """

    def __init__(self, briefing: Path, work: Path) -> None:
        self.briefing = briefing
        self.work = work
        self.qpdf = shutil.which("qpdf")
        self._briefing_reader = None
        if not self.qpdf:
            from pypdf import PdfReader

            self._briefing_reader = PdfReader(briefing)  # read once; each copy clones it

    def stamp(self, stamps_pdf: bytes, targets: list[Path]) -> None:
        """Write targets[k]: the briefing with page k of `stamps_pdf` laid over every page."""
        if not self.qpdf:
            self._stamp_with_pypdf(stamps_pdf, targets)
            return
        stamps = self.work / "stamps.pdf"
        stamps.write_bytes(stamps_pdf)
        pages = self.work / "pages"
        shutil.rmtree(pages, ignore_errors=True)
        pages.mkdir()
        _run_qpdf([self.qpdf, "--split-pages", str(stamps), str(pages / "stamp-%d.pdf")], "split the stamps")
        singles = sorted(pages.iterdir())  # stamp-001.pdf ...: zero-padded, so sorted is page order
        if len(singles) != len(targets):
            raise ReportError(f"the stamps came out as {len(singles)} pages for {len(targets)} copies")
        commands = [
            [self.qpdf, str(self.briefing), "--overlay", str(single), "--repeat=1", "--", str(target)]
            for single, target in zip(singles, targets, strict=True)
        ]
        _run_parallel(commands, "stamp a copy")
        shutil.rmtree(pages)

    def _stamp_with_pypdf(self, stamps_pdf: bytes, targets: list[Path]) -> None:
        from pypdf import PdfReader, PdfWriter

        stamps = PdfReader(io.BytesIO(stamps_pdf))  # read once per batch, not once per copy
        for stamp, target in zip(stamps.pages, targets, strict=True):
            writer = PdfWriter(clone_from=self._briefing_reader)
            for page in writer.pages:
                page.merge_page(stamp, over=True)
            with target.open("wb") as stream:
                writer.write(stream)


def _run_qpdf(command: list[str], what: str, cwd: Path | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    if done.returncode not in (0, 3):  # 3: written, with warnings
        raise ReportError(f"qpdf could not {what}: {done.stderr.strip()}")


def _run_parallel(commands: list[list[str]], what: str) -> None:
    """Run the qpdf commands, WORKERS at a time; stop them all on the first failure or Ctrl-C."""
    running: deque[subprocess.Popen] = deque()

    def finish(process: subprocess.Popen) -> None:
        _, stderr = process.communicate()
        if process.returncode not in (0, 3):
            raise ReportError(f"qpdf could not {what}: {stderr.decode(errors='replace').strip()}")

    try:
        for command in commands:
            if len(running) >= WORKERS:
                finish(running[0])
                running.popleft()  # only once finished: an interrupted wait must still kill it
            running.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        while running:
            finish(running[0])
            running.popleft()
    finally:
        for process in running:
            process.kill()
            process.wait()


def _concatenate(files: list[Path], target: Path, work: Path) -> None:
    """One print file holding every copy, in order, written straight to `target`.

    qpdf reads the list of files from an argument file (thousands of paths exceed the
    command line) and opens them a few at a time; pypdf holds every copy in memory.
    """
    qpdf = shutil.which("qpdf")
    if qpdf:
        # Paths relative to the folder: a file name has only letters, digits and dashes.
        listing = work / "pages.txt"
        listing.write_text("".join(f"{file.name}\n" for file in files), encoding="utf-8")
        command = [qpdf, "--empty", "--pages", f"@{listing}", "--", target.name]
        _run_qpdf(command, "join the copies into one file", cwd=target.parent)
        return
    from pypdf import PdfWriter

    writer = PdfWriter()
    for file in files:
        writer.append(str(file))
    with target.open("wb") as stream:
        writer.write(stream)


@dataclass(frozen=True)
class CopiesResult:
    folder: Path
    register: Path
    copies: int
    combined: Path | None
    seconds: float


def copies_folder(briefing: Path) -> Path:
    """output/briefing.pdf -> output/briefing-copies/."""
    return briefing.with_name(briefing.stem + "-copies")


def make_copies(project_path, recipients_file: Path, combined: bool = False, signing=None) -> CopiesResult:
    """Build (or reuse) the briefing, then write one stamped copy per recipient and a register.

    The new distribution replaces the previous one only once every copy and the register
    are written; an error, Ctrl-C or a killed process leaves the previous one as it was.
    """
    from .build import build, guard_output, output_target
    from .project import find_project

    recipients = read_recipients(Path(recipients_file))
    root = find_project(project_path)
    # Inside output/, no symbolic link on the way: the cleanup below deletes what it finds there.
    folder = guard_output(copies_folder(output_target(root)), root)
    with _exclusive(folder):
        _remove_leftovers(folder)
        result = build(root)
        if result.pages * len(recipients) > MAX_COPY_PAGES:
            raise ReportError(
                f"{len(recipients):,} copies of {result.pages:,} pages make more than "
                f"{MAX_COPY_PAGES:,} pages in one run (split the list)",
                Location(Path(recipients_file)),
            )
        started = time.perf_counter()
        if folder.exists() and not folder.is_dir():
            raise ReportError(
                f"cannot write the copies: {folder.name} is a file, not a folder", Location(folder)
            )
        staging = folder.with_name(f".{folder.name}.new-{os.getpid()}")
        try:
            staging.mkdir()
            rows = _write_distribution(root, result.output, recipients, staging, combined, signing)
            _commit(staging, folder)
        except OSError as error:
            _remove(staging)
            raise ReportError(f"cannot write the copies: {error.strerror}", Location(folder)) from None
        except BaseException:
            _remove(staging)
            raise
    combined_path = folder / "all-copies.pdf" if combined else None
    seconds = time.perf_counter() - started
    return CopiesResult(folder, folder / "register.csv", rows, combined_path, seconds)


def _remove(folder: Path) -> None:
    """Remove an unfinished folder. A stamping process killed a moment ago may still be
    closing a file in it on a loaded machine: a few tries, then the next run removes it."""
    for _ in range(10):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.1)


def _write_distribution(
    root: Path, briefing: Path, recipients: list[Recipient], staging: Path, combined: bool, signing
) -> int:
    """Every copy, the print file and, last, the register, into `staging`. Returns the copies."""
    from .pdf import render_pdf
    from .project import load_project

    project = load_project(root)
    formatter = Formatter(project.settings.locale, project.settings.digits)
    work = staging / ".work"
    work.mkdir()
    # One snapshot of the briefing for every copy, even if another build replaces it meanwhile.
    snapshot = work / "briefing.pdf"
    shutil.copyfile(briefing, snapshot)
    stamper = _Stamper(snapshot, work)
    width = max(3, len(str(len(recipients))))
    rows = []
    files = []
    for start in range(0, len(recipients), STAMP_BATCH):
        batch = recipients[start : start + STAMP_BATCH]
        html, css = stamp_html(batch, formatter, project.settings.page_size, total=len(recipients))
        stamps_pdf, _, _ = render_pdf(
            html, css, project.root, [project.root, *project.font_dirs], project.font_dirs
        )
        targets = [staging / safe_file_name(r.number, r.name, width) for r in batch]
        stamper.stamp(stamps_pdf, targets)
        for recipient, target in zip(batch, targets, strict=True):
            data = target.read_bytes()
            if signing is not None:
                from .signing import sign_pdf

                data = sign_pdf(data, signing, reason=f"copy {recipient.number}: {recipient.name}")
                target.write_bytes(data)
            _fsync(target)
            files.append(target)
            rows.append(
                (
                    recipient.number,
                    recipient.name,
                    recipient.unit,
                    target.name,
                    hashlib.sha256(data).hexdigest(),
                )
            )
        logger.info("stamped %d of %d copies", len(rows), len(recipients))
    if combined:
        _concatenate(files, staging / "all-copies.pdf", work)
        _fsync(staging / "all-copies.pdf")
    shutil.rmtree(work)
    out = io.StringIO()
    table = csv.writer(out)
    table.writerow(["copy", "recipient", "unit", "file", "sha256"])
    table.writerows(
        [[str(cell) if isinstance(cell, int) else spreadsheet_safe(cell) for cell in row] for row in rows]
    )
    register = staging / "register.csv"
    register.write_text(out.getvalue(), encoding="utf-8", newline="")
    _fsync(register)
    _fsync(staging)
    return len(rows)


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk before the distribution is swapped in."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _exclusive(folder: Path):
    """Hold the lock of a copies folder: a second run on the same folder waits for the first.

    The lock file (`.briefing-copies.lock`) stays beside the folder; the lock goes with the
    process, so a killed run never leaves the folder locked.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, runs must not overlap
        yield
        return
    lock = folder.with_name(f".{folder.name}.lock")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise ReportError(f"cannot write the copies: {error.strerror}", Location(lock)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.warning("another copies run is writing %s; waiting for it to finish", folder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remove_leftovers(folder: Path) -> None:
    """Clean up after killed runs (called with the lock held, so none of them is still running).

    `.NAME.new-PID` is an unfinished distribution: deleted. `.NAME.old-PID` is a previous
    distribution that a run killed mid-swap had moved aside: put back if the folder is
    missing, else deleted.
    """
    prefix = f".{folder.name}."
    leftovers = sorted(
        p
        for p in folder.parent.iterdir()
        if p.name.startswith(prefix) and p.name[len(prefix) :][:4] in ("new-", "old-")
    )
    for old in [p for p in leftovers if p.name[len(prefix) :].startswith("old-")]:
        if not folder.exists():
            os.rename(old, folder)
            logger.warning(
                "restored the previous copies in %s (a run was killed while replacing them)", folder
            )
            leftovers.remove(old)
    for leftover in leftovers:
        shutil.rmtree(leftover, ignore_errors=True)
        logger.info("removed %s, left by a run that did not finish", leftover.name)


def _commit(staging: Path, folder: Path) -> None:
    """Put the complete new distribution in place of the previous one, then delete the previous.

    On Linux the two folders are exchanged in one atomic rename (renameat2 RENAME_EXCHANGE):
    at every instant `folder` holds one whole distribution. Elsewhere the previous folder is
    renamed aside, then the new one into place: a run killed between the two renames leaves
    no folder for a moment, and the next run puts the previous one back. Ctrl-C is held off
    while this runs (it takes milliseconds), so "interrupted" always means "unchanged".
    """
    with _interrupts_deferred():
        if not folder.exists():
            os.rename(staging, folder)
        elif _exchange(staging, folder):
            shutil.rmtree(staging)  # now the previous distribution
        else:
            trash = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.rename(folder, trash)
            os.rename(staging, folder)
            shutil.rmtree(trash)
        _fsync(folder.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system cannot (then nothing was changed)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, ImportError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextmanager
def _interrupts_deferred():
    """Hold Ctrl-C until the block is done (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
    if received:
        logger.warning("Ctrl-C came while the new copies were being put in place; they are complete")
