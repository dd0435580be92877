"""Shared fixtures: real builds with the real libraries, and readers for what a PDF holds."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "water"
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


TASHKEEL = re.compile("[\u064b-\u0652\u0670]")


def squash(text: str) -> str:
    """Text without bidi marks, whitespace or tashkeel: extractors may put spaces inside words,
    and pdftotext drops a shadda drawn in a ligature ("فصّلها" -> "فصلها") and puts a damma
    before its letter; the marks are drawn right on the page, only their extraction varies."""
    return re.sub(r"\s+", "", TASHKEEL.sub("", BIDI_MARKS.sub("", text)))


@dataclass
class Pdf:
    """A built PDF and the text of each page, as pdftotext gives it (logical order)."""

    path: Path
    pages: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    @property
    def flat(self) -> str:
        return squash(self.text)

    def words(self, page: int) -> list[tuple[float, float, float, float, str]]:
        """Words of a 1-based page with their boxes (xMin, yMin, xMax, yMax)."""
        out = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(self.path), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
        return [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(pattern, out)]


def read_pdf(path: Path) -> Pdf:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    pages = out.stdout.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return Pdf(path, [BIDI_MARKS.sub("", page) for page in pages])


def run_cli(
    *args: str, cwd: Path | None = None, memory_kb: int | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run `python -m report` as a user would; optionally under `ulimit -v` (kilobytes).

    The timeout makes a hang fail its test instead of blocking the suite.
    """
    command = [sys.executable, "-m", "report", *args]
    if memory_kb is not None:
        command = ["bash", "-c", f'ulimit -v {memory_kb}; exec "$@"', "bash", *command]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout)


# -- hostile input: a canary outside the project, and a build that must be refused ----------

SECRET = "CANARY-7731-do-not-leak"
PREVIOUS = b"%PDF-1.7 the previous edition, which a failed build must not touch\n"
HOSTILE_TIMEOUT = 60  # seconds: every refusal comes within seconds, a hang fails the test
HOSTILE_MEMORY_KB = 3_000_000  # WeasyPrint and matplotlib need about 1 GB of address space


def tree_hash(folder: Path) -> str:
    """Names and bytes of everything under a folder."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def canary(tmp_path_factory) -> Path:
    """A folder outside the project with files a hostile project would like to read or change."""
    folder = tmp_path_factory.mktemp("canary")
    (folder / "secret.md").write_text(f"# {SECRET}\n\n{SECRET}\n", encoding="utf-8")
    (folder / "secret.yaml").write_text(f"facts:\n  leak: {SECRET}\n", encoding="utf-8")
    (folder / "secret.csv").write_text(f"year,visitors\n2020,{SECRET}\n", encoding="utf-8")
    (folder / "secret.css").write_text(f'p::after {{ content: "{SECRET}"; }}\n', encoding="utf-8")
    before = tree_hash(folder)
    yield folder
    assert tree_hash(folder) == before, "a file outside the project was changed"


def build_fails(project: Path, expected: list[str], *args: str, memory_kb: int | None = None) -> float:
    """Build; expect exit 2 with exactly `expected` on stderr, no traceback, no secret, the
    previous PDF byte-identical and nothing else left in output/. Return the seconds taken."""
    output = project / "output"
    output.mkdir(exist_ok=True)
    (output / "briefing.pdf").write_bytes(PREVIOUS)
    started = time.perf_counter()
    result = run_cli("build", str(project), *args, memory_kb=memory_kb, timeout=HOSTILE_TIMEOUT)
    seconds = time.perf_counter() - started
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, expected)
    assert SECRET not in result.stdout + result.stderr
    assert (output / "briefing.pdf").read_bytes() == PREVIOUS
    assert sorted(p.name for p in output.iterdir()) == ["briefing.pdf"]
    return seconds


@pytest.fixture(scope="session")
def default_pdf(tmp_path_factory) -> Pdf:
    """The default briefing, built once for the whole session."""
    from report.build import build

    target = tmp_path_factory.mktemp("default") / "briefing.pdf"
    build(ROOT, target)
    return read_pdf(target)


@pytest.fixture(scope="session")
def default_project():
    from report.build import _prepare
    from report.project import load_project

    project = load_project(ROOT)
    values, formatter, _ = _prepare(project)
    return project, values, formatter


@pytest.fixture(scope="session")
def example_pdf(tmp_path_factory) -> Pdf:
    from report.build import build

    target = tmp_path_factory.mktemp("example") / "water.pdf"
    build(EXAMPLE, target)
    return read_pdf(target)


def copy_project(source: Path, target: Path) -> Path:
    """Copy a project's own files (data and templates) to a scratch folder."""
    for name in ("data", "templates", "fonts"):
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
    return target


SETTINGS = """\
title: موجز تجريبي
issuer: وحدة الاختبار
date: 2024-05-17
"""


def make_project(root: Path, files: dict[str, str], settings: str = SETTINGS) -> Path:
    """Write a small project: data/settings.yaml plus the given files (paths under the project)."""
    (root / "data" / "sections").mkdir(parents=True, exist_ok=True)
    (root / "data" / "settings.yaml").write_text(settings, encoding="utf-8")
    if not any(name.startswith("data/sections/") for name in files):
        files = {**files, "data/sections/01-intro.md": "# مقدمة\n\nنص قصير.\n"}
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root
