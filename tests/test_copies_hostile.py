"""Copies under stress: killed, interrupted and concurrent runs; a distribution is replaced whole or not at all."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_project, run_cli

NAMES = ["أمينة", "بشرى", "جميلة", "دنيا", "هاجر", "وفاء", "زهرة", "حليمة", "طامو", "ياسمين"]


def recipients_file(path: Path, count: int, unit: str = "وحدة") -> Path:
    rows = [f"{NAMES[i % len(NAMES)]} {i + 1},{unit}" for i in range(count)]
    path.write_text("name,unit\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(output: Path) -> list[str]:
    return sorted(p.name for p in output.iterdir() if ".new-" in p.name or ".old-" in p.name)


def consistent(folder: Path) -> list[dict[str, str]]:
    """The register names exactly the PDF files of the folder, with their hashes."""
    import hashlib

    register = list(csv.DictReader((folder / "register.csv").open(encoding="utf-8")))
    files = {p.name for p in folder.glob("*.pdf")} - {"all-copies.pdf"}
    assert {r["file"] for r in register} == files
    for row in register:
        assert hashlib.sha256((folder / row["file"]).read_bytes()).hexdigest() == row["sha256"]
    return register


@pytest.fixture
def distributed(tmp_path):
    """A small project with a first distribution of three copies already made."""
    project = make_project(tmp_path / "p", {})
    first = recipients_file(tmp_path / "first.csv", 3, unit="الأولى")
    done = run_cli("copies", str(project), "--recipients", str(first), "--combined")
    assert done.returncode == 0, done.stderr
    folder = project / "output" / "briefing-copies"
    return project, folder, snapshot(folder)


def start_copies(project: Path, recipients: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "report",
            "copies",
            str(project),
            "--recipients",
            str(recipients),
            "--combined",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_copies_in_progress(output: Path, process: subprocess.Popen, copies: int = 3) -> Path:
    """Wait until the run's temporary folder holds a few stamped copies."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        for staging in output.glob(".briefing-copies.new-*"):
            if len(list(staging.glob("*.pdf"))) >= copies:
                return staging
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the run never started writing copies")


def test_a_killed_run_leaves_the_previous_distribution(distributed, tmp_path):
    project, folder, before = distributed
    output = folder.parent
    process = start_copies(project, recipients_file(tmp_path / "long.csv", 400))
    staging = wait_for_copies_in_progress(output, process)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    time.sleep(0.5)  # qpdf processes orphaned by the kill finish their copy
    assert snapshot(folder) == before
    consistent(folder)
    assert staging.exists()  # what a killed process leaves behind ...

    done = run_cli("copies", str(project), "--recipients", str(recipients_file(tmp_path / "next.csv", 2)))
    assert done.returncode == 0, done.stderr
    assert leftovers(output) == []  # ... the next run removes
    assert [r["recipient"] for r in consistent(folder)] == ["أمينة 1", "بشرى 2"]


def test_ctrl_c_leaves_the_previous_distribution_and_no_temporary_folder(distributed, tmp_path):
    project, folder, before = distributed
    output = folder.parent
    process = start_copies(project, recipients_file(tmp_path / "long.csv", 400))
    wait_for_copies_in_progress(output, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == "interrupted; the previous copies are unchanged"
    assert snapshot(folder) == before
    consistent(folder)
    assert leftovers(output) == []


def test_an_error_midway_leaves_the_previous_distribution(distributed, tmp_path, monkeypatch):
    """A failure after some copies are written (here: qpdf refuses the 3rd) changes nothing."""
    from report import copies

    project, folder, before = distributed
    real = copies._run_parallel

    def failing(commands, what):
        real(commands[:2], what)
        raise copies.ReportError("qpdf could not stamp a copy: simulated")

    monkeypatch.setattr(copies, "_run_parallel", failing)
    with pytest.raises(copies.ReportError, match="simulated"):
        copies.make_copies(project, recipients_file(tmp_path / "r.csv", 5), combined=True)
    assert snapshot(folder) == before
    assert leftovers(folder.parent) == []


def test_a_run_killed_mid_swap_is_rolled_back_by_the_next_run(distributed, tmp_path):
    """Where the folders cannot be exchanged atomically, the previous one is renamed aside
    first; if the run dies before the new one is renamed in, the next run puts it back,
    even when that next run fails itself."""
    project, folder, before = distributed
    output = folder.parent
    folder.rename(output / ".briefing-copies.old-999999")
    (output / ".briefing-copies.new-999999").mkdir()
    (output / ".briefing-copies.new-999999" / "001-x.pdf").write_bytes(b"%PDF-1.7 partial")
    (project / "data" / "sections" / "01-intro.md").write_text("# مقدمة\n\n{{ missing }}\n", encoding="utf-8")
    done = run_cli("copies", str(project), "--recipients", str(recipients_file(tmp_path / "r.csv", 2)))
    assert done.returncode == 2  # the project has an error now ...
    assert snapshot(folder) == before  # ... and the previous distribution is back
    assert leftovers(output) == []


def test_the_swap_without_an_atomic_exchange(distributed, tmp_path, monkeypatch):
    from report import copies

    project, folder, _ = distributed
    monkeypatch.setattr(copies, "_exchange", lambda a, b: False)
    done = copies.make_copies(project, recipients_file(tmp_path / "r.csv", 2, unit="الثانية"))
    assert [r["unit"] for r in consistent(done.folder)] == ["الثانية", "الثانية"]
    assert leftovers(folder.parent) == []
    assert not (folder / "all-copies.pdf").exists()  # nothing of the previous distribution is kept


def test_concurrent_runs_end_with_one_whole_distribution(distributed, tmp_path):
    project, folder, _ = distributed
    lists = {
        "a": recipients_file(tmp_path / "a.csv", 4, unit="أ"),
        "b": recipients_file(tmp_path / "b.csv", 6, unit="ب"),
    }
    processes = [start_copies(project, path) for path in lists.values()]
    results = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    register = consistent(folder)
    assert len(register) in (4, 6)
    assert len({r["unit"] for r in register}) == 1  # one list's copies, never a mix
    assert len(register) == (4 if register[0]["unit"] == "أ" else 6)
    assert leftovers(folder.parent) == []
    assert (folder / "all-copies.pdf").exists()


def test_the_lock_makes_a_second_run_wait(distributed, tmp_path):
    """While one run holds the folder's lock, another waits, saying so, then runs."""
    import fcntl

    project, folder, _ = distributed
    lock = folder.with_name(".briefing-copies.lock")
    fd = os.open(lock, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        process = start_copies(project, recipients_file(tmp_path / "r.csv", 2, unit="الثانية"))
        time.sleep(3)
        assert process.poll() is None  # waiting
    finally:
        os.close(fd)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "another copies run is writing" in out
    assert [r["unit"] for r in consistent(folder)] == ["الثانية", "الثانية"]


def test_a_copies_folder_linked_out_of_the_project_is_refused(tmp_path):
    """The copies folder is cleaned before each run: a link out must never be followed."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.pdf").write_bytes(b"%PDF not ours")
    project = make_project(tmp_path / "project", {})
    (project / "output").mkdir()
    (project / "output" / "briefing-copies").symlink_to(outside, target_is_directory=True)
    recipients = tmp_path / "list.csv"
    recipients.write_text("name,unit\nأحمد,الإدارة\n", encoding="utf-8")
    result = run_cli("copies", str(project), "--recipients", str(recipients))
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "data/settings.yaml: output/briefing-copies is a symbolic link: the build writes only to real "
        "files and folders inside output/ (remove the link)",
    )
    assert sorted(p.name for p in outside.iterdir()) == ["keep.pdf"]
