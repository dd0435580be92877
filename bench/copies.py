"""Time `report copies` on the default briefing for growing distribution lists.

    python bench/copies.py                  # 100, 1,000 and 5,000 recipients
    python bench/copies.py 100 1000         # chosen sizes
    python bench/copies.py --combined 1000  # also write the one print file
    python bench/copies.py --pypdf 100      # without qpdf (the pypdf fallback)

The default briefing (this repository's root) is copied to a scratch folder and built
once; then, for each size, a new process runs `python -m report copies` on a list of
that many distinct Arabic names. Printed per size: wall time of the whole command, the
seconds per copy, the CPU seconds per copy (user + system, of the process and its
children: less sensitive than wall time to other work on the machine), peak resident memory (the largest of the process and its children,
from wait4) and the size of one copy.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST = ["محمد", "فاطمة", "يوسف", "خديجة", "عبد الله", "مريم", "أحمد", "سعاد", "إدريس", "نادية",
         "حسن", "زينب", "عمر", "ليلى", "كريم", "هند", "رشيد", "سلمى", "مصطفى", "نزهة"]  # fmt: skip
LAST = ["العلوي", "بناني", "الإدريسي", "التازي", "الفاسي", "برادة", "الشرقاوي", "الودغيري",
        "بنجلون", "السوسي", "المراكشي", "الحسني", "الكتاني", "بنكيران", "الزياني"]  # fmt: skip
UNITS = ["ديوان المدير العام", "مصلحة التواصل", "قسم الدراسات", "المفتشية العامة", "مديرية الموارد"]


def recipients_csv(count: int) -> str:
    lines = ["name,unit"]
    for i in range(count):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        lines.append(f"{first} {last} {i // (len(FIRST) * len(LAST)) + 1},{UNITS[i % len(UNITS)]}")
    return "\n".join(lines) + "\n"


def measured(command: list[str], env: dict) -> tuple[float, float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    # wait4 gives the rusage of this child and of the children it waited for (qpdf, ...):
    # ru_maxrss is the largest resident set among them.
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{err.decode()}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main(argv: list[str]) -> None:
    combined = "--combined" in argv
    pypdf = "--pypdf" in argv
    sizes = [int(a) for a in argv if not a.startswith("--")] or [100, 1000, 5000]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    if pypdf:
        # A PATH without qpdf: the copies fall back to pypdf.
        env["PATH"] = tempfile.mkdtemp(prefix="bench-no-qpdf-")
    with tempfile.TemporaryDirectory(prefix="bench-copies-") as scratch:
        project = Path(scratch) / "briefing"
        for name in ("data", "templates", "fonts"):
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, project / name)
        subprocess.run(
            [sys.executable, "-m", "report", "build", str(project), "-q"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        pages = len(__import__("pypdf").PdfReader(project / "output" / "briefing.pdf").pages)
        print(
            f"default briefing: {pages} pages; {platform.python_version()}, {os.cpu_count()} cores",
            flush=True,
        )
        print("| recipients | total | s/copy | CPU s/copy | peak MiB | copy size |")
        print("|---|---|---|---|---|---|", flush=True)
        for count in sizes:
            recipients = Path(scratch) / f"recipients-{count}.csv"
            recipients.write_text(recipients_csv(count), encoding="utf-8")
            command = [
                sys.executable,
                "-m",
                "report",
                "copies",
                str(project),
                "--recipients",
                str(recipients),
            ]
            seconds, cpu, memory = measured([*command, *(["--combined"] if combined else [])], env)
            folder = project / "output" / "briefing-copies"
            one = min(folder.glob("*.pdf")).stat().st_size
            print(
                f"| {count:,} | {seconds:.1f} s | {seconds / count:.3f} | {cpu / count:.3f} | {memory:.0f} "
                f"| {one / 1024:.0f} KiB |",
                flush=True,
            )
            shutil.rmtree(folder)


if __name__ == "__main__":
    main(sys.argv[1:])
