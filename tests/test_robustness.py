"""Nothing lost, nothing leaked: killed and concurrent builds, and a server that must never be hit."""

from __future__ import annotations

import http.server
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import EXAMPLE, ROOT, copy_project, make_project, run_cli

# REPORT_STRESS=20 python -m pytest tests/test_robustness.py runs the kill and concurrency tests 20 times.
REPEAT = int(os.environ.get("REPORT_STRESS", "2"))


def _start_build(project: Path, *flags: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "report", "build", str(project), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def built_project(tmp_path_factory) -> Path:
    """A copy of the default project, built once (charts cached), its figures then changed."""
    project = copy_project(ROOT, tmp_path_factory.mktemp("kill"))
    assert run_cli("build", str(project), "-q").returncode == 0
    path = project / "data" / "schools.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("value: 1816", "value: 1817"), encoding="utf-8")
    return project


@pytest.mark.parametrize("attempt", range(REPEAT))
def test_a_killed_build_leaves_the_previous_pdf_byte_identical(built_project, attempt):
    pdf = built_project / "output" / "briefing.pdf"
    previous = pdf.read_bytes()
    process = _start_build(built_project)
    # Kill at a random moment of the typesetting (layout or PDF writing), which takes seconds.
    for line in process.stdout:
        if line.startswith("rendered the HTML"):
            break
    time.sleep(random.Random(attempt).uniform(0.0, 2.0))
    process.send_signal(signal.SIGKILL)
    process.wait()
    if process.returncode == 0:
        pytest.skip("the build finished before the kill")
    assert pdf.read_bytes() == previous
    # The killed build's temporary file is cleaned up by the next build.
    result = run_cli("build", str(built_project), "-q")
    assert result.returncode == 0, result.stderr
    assert len(PdfReader(pdf).pages) > 10
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["briefing.pdf", "briefing.pdf.manifest.json"]
    pdf.write_bytes(previous)


@pytest.mark.parametrize("attempt", range(REPEAT))
def test_two_builds_at_once_do_not_corrupt_each_other(tmp_path, attempt):
    project = copy_project(EXAMPLE, tmp_path)  # cold chart cache: both builds draw the same charts
    processes = [_start_build(project, "-q") for _ in range(2)]
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
    pdf = project / "output" / "water-briefing.pdf"
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 5
    assert sorted(p.name for p in pdf.parent.iterdir()) == [
        "water-briefing.pdf",
        "water-briefing.pdf.manifest.json",
    ]
    charts = sorted(p.name for p in (project / ".report-cache" / "charts").iterdir())
    assert len(charts) == 2 and all(name.endswith(".pdf") for name in charts)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Recorder.hits = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_the_network_is_never_touched(tmp_path, server):
    css_project = make_project(
        tmp_path / "css", {"templates/style.css": f'body {{ background: url("{server}/css.png"); }}'}
    )
    html_project = make_project(
        tmp_path / "html",
        {"data/sections/01-a.md": f'# عنوان\n\n<img src="{server}/img.png"> [رابط]({server}/link)\n'},
        settings="title: t\nissuer: i\ndate: 2024-05-17\nmarkdown_html: true\n",
    )
    link_project = make_project(
        tmp_path / "link",
        {"data/sections/01-a.md": f"# عنوان\n\n[رابط]({server}/link) ![صورة]({server}/md.png)\n"},
    )
    css = run_cli("build", str(css_project))
    html = run_cli("build", str(html_project))
    link = run_cli("build", str(link_project))
    assert (css.returncode, css.stderr.strip()) == (
        2,
        f"refused to fetch {server}/css.png: only files inside the project may be used",
    )
    assert (html.returncode, html.stderr.strip()) == (
        2,
        f"refused to fetch {server}/img.png: only files inside the project may be used",
    )
    assert link.returncode == 0, link.stderr  # a link is printed, never fetched; Markdown images are off
    assert _Recorder.hits == []
