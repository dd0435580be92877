"""A project's files cannot make `report` read outside the project, hang, or run out of memory.

Every case runs the CLI as a user would, under a timeout so that a hang fails the test
instead of blocking the suite: exit code 2, the exact located line on stderr, no
traceback, the previous PDF untouched. A canary folder outside the project is hashed
before and after, and its text must appear nowhere in what the build produced.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import HOSTILE_TIMEOUT, SECRET, build_fails, make_project, read_pdf, run_cli

FIGURES = "figures:\n  pupils:\n    label: التلاميذ\n    value: 141241\n"
CSV_FIGURE = FIGURES + "  v:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: visitors}\n"


def cli(*args: str, memory_kb: int | None = None) -> subprocess.CompletedProcess:
    return run_cli(*args, memory_kb=memory_kb, timeout=HOSTILE_TIMEOUT)


def link(path: Path, target: Path | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.symlink_to(target)


# -- 1. every file read is inside the project ------------------------------------------------


def _link_out(name: str, secret: str):
    return lambda project, canary: link(project / name, canary / secret)


OUTSIDE = {
    "section": (
        _link_out("data/sections/02-x.md", "secret.md"),
        ["data/sections/02-x.md: refused: a symbolic link to a file outside the project"],
    ),
    "data yaml": (
        _link_out("data/evil.yaml", "secret.yaml"),
        ["data/evil.yaml: refused: a symbolic link to a file outside the project"],
    ),
    "settings": (
        _link_out("data/settings.yaml", "secret.yaml"),
        ["data/settings.yaml: refused: a symbolic link to a file outside the project"],
    ),
    "csv": (
        _link_out("data/visits.csv", "secret.csv"),
        ["data/visits.csv: refused: a symbolic link to a file outside the project"],
    ),
    "stylesheet": (
        _link_out("templates/style.css", "secret.css"),
        ["templates/style.css: refused: a symbolic link to a file outside the project"],
    ),
    "template override": (
        _link_out("templates/quote.html.j2", "secret.md"),
        ["templates/quote.html.j2: refused: a symbolic link to a file outside the project"],
    ),
    "font": (
        _link_out("fonts/NotoNaskhArabic-Regular.ttf", "secret.md"),
        ["fonts/NotoNaskhArabic-Regular.ttf: refused: a symbolic link to a file outside the project"],
    ),
    "sections folder": (
        lambda project, canary: (
            shutil.rmtree(project / "data" / "sections"),
            link(project / "data" / "sections", canary),  # holds secret.md
        ),
        ["data/sections: refused: a symbolic link to a folder outside the project"],
    ),
    "fonts folder to /": (
        lambda project, canary: link(project / "fonts", "/"),
        ["fonts: refused: a symbolic link to a folder outside the project"],
    ),
    "templates folder": (
        lambda project, canary: link(project / "templates", canary),
        ["templates: refused: a symbolic link to a folder outside the project"],
    ),
    "image used by the stylesheet": (
        lambda project, canary: (
            (project / "templates").mkdir(),
            (project / "templates" / "style.css").write_text('p { background: url("images/a.png"); }'),
            link(project / "images" / "a.png", canary / "secret.md"),
        ),
        ["images/a.png: refused: a symbolic link to a file outside the project"],
    ),
}


@pytest.mark.parametrize(("attack", "expected"), OUTSIDE.values(), ids=OUTSIDE.keys())
def test_a_link_out_of_the_project_is_refused_not_followed(tmp_path, canary, attack, expected):
    project = make_project(
        tmp_path / "p", {"data/figures.yaml": CSV_FIGURE, "data/visits.csv": "year,visitors\n2020,1\n"}
    )
    attack(project, canary)
    build_fails(project, expected)
    if expected[0].startswith("data"):  # `check` reads data and sections, not templates or fonts
        result = cli("check", str(project))
        assert (result.returncode, result.stderr.strip().splitlines()) == (2, expected)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    project = make_project(tmp_path, {})
    os.mkfifo(project / "data" / "sections" / "02-fifo.md")
    expected = ["data/sections/02-fifo.md: refused: a FIFO (named pipe), not a regular file"]
    build_fails(project, expected)
    result = cli("check", str(project))
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, expected)


def test_a_hard_link_to_a_file_outside_is_refused(tmp_path, canary):
    """realpath cannot see a hard link: a project file with a second name is refused."""
    project = make_project(tmp_path / "p", {"data/figures.yaml": FIGURES})
    os.link(canary / "secret.md", project / "data" / "sections" / "02-secret.md")
    expected = [
        "data/sections/02-secret.md: refused: a hard link (the file has 2 names); copy the file instead"
    ]
    build_fails(project, expected)
    result = cli("check", str(project))
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, expected)


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    project = make_project(tmp_path, {"data/figures.yaml": CSV_FIGURE})
    with open(project / "data" / "visits.csv", "wb") as big:
        big.truncate(int(25.3 * 1024 * 1024))  # sparse: costs no disk
    build_fails(
        project,
        [
            "data/visits.csv: refused: the file is 25.3 MB, over the 20 MB limit (REPORT_MAX_FILE_MB raises it)"
        ],
    )


def test_the_size_limit_is_raised_by_the_person_running_report(tmp_path):
    from report.errors import ReportError
    from report.files import read_bytes

    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * (2 * 1024 * 1024))
    os.environ["REPORT_MAX_FILE_MB"] = "1"
    try:
        with pytest.raises(ReportError) as caught:
            read_bytes(path, [tmp_path])
        assert caught.value.display(tmp_path) == (
            "a.csv: refused: the file is 2.0 MB, over the 1 MB limit (REPORT_MAX_FILE_MB raises it)"
        )
        os.environ["REPORT_MAX_FILE_MB"] = "3"
        assert len(read_bytes(path, [tmp_path])) == 2 * 1024 * 1024
    finally:
        del os.environ["REPORT_MAX_FILE_MB"]


def test_the_walk_is_bounded_in_depth_and_count(tmp_path):
    deep = make_project(tmp_path / "deep", {})
    folder = deep / "data" / "notes"
    for level in range(20):
        folder = folder / f"d{level}"
    folder.mkdir(parents=True)
    build_fails(
        deep,
        [
            "data/notes/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14: refused: folders nested deeper than 16 levels"
        ],
    )

    many = make_project(tmp_path / "many", {})
    (many / "data" / "notes").mkdir()
    for index in range(5001):
        (many / "data" / "notes" / f"{index}.txt").touch()
    build_fails(many, ["data: refused: more than 5000 files in the project's folders"])


def test_links_that_stay_inside_the_project_are_followed_and_fingerprinted(tmp_path, canary):
    project = make_project(tmp_path / "p", {"shared/sections/01-a.md": "# عنوان\n\nنص أول.\n"})
    (project / "data" / "sections" / "01-intro.md").unlink()
    (project / "data" / "sections").rmdir()
    link(project / "data" / "sections", project / "shared" / "sections")
    link(project / "data" / "loop", project / "data")  # a cycle is walked once
    first = cli("build", str(project))
    assert first.returncode == 0, first.stderr
    assert "is up to date" in cli("build", str(project)).stdout
    (project / "shared" / "sections" / "01-a.md").write_text("# عنوان\n\nنص ثان.\n", encoding="utf-8")
    second = cli("build", str(project))
    assert second.returncode == 0 and second.stdout.strip().splitlines()[-1].startswith("wrote"), second
    text = read_pdf(project / "output" / "briefing.pdf").text
    assert "ثان" in text and SECRET not in text


def test_a_csv_in_a_hidden_folder_is_refused(tmp_path):
    figures = (
        FIGURES + "  v:\n    label: الزوار\n    series: {csv: .old/visits.csv, key: year, value: visitors}\n"
    )
    project = make_project(
        tmp_path, {"data/figures.yaml": figures, "data/.old/visits.csv": "year,visitors\n2020,1\n"}
    )
    build_fails(
        project,
        [
            "data/figures.yaml:7:14: CSV file '.old/visits.csv' is hidden (a name starting with '.'): it is not read"
        ],
    )


# -- 2. YAML means what it says (1.2 core) ---------------------------------------------------


def _load(tmp_path: Path, text: str):
    from report.yamlfile import load_yaml

    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return load_yaml(path, tmp_path)


def test_yaml_scalars_are_read_as_written(tmp_path):
    data = _load(
        tmp_path,
        "a: 0100\nb: 0x1F\nc: 1:30\nd: 2024.10\ne: 010\nf: yes\ng: off\nh: 1e3\ni: 2024-05-17\nj: ~\nk: TRUE\n",
    )
    assert data["a"] == 100 and str(data["a"]) == "0100"  # never 64
    assert data["b"] == "0x1F" and data["c"] == "1:30"  # never 31, 90
    assert str(data["d"]) == "2024.10" and data["d"] == 2024.1
    assert data["e"] == 10 and str(data["e"]) == "010"  # never 8
    assert data["f"] == "yes" and data["g"] == "off"
    assert data["h"] == 1000.0 and str(data["i"]) == "2024-05-17"
    assert data["j"] is None and data["k"] is True
    assert repr(data["e"]) == "10" and json.dumps(data["d"]) == "2024.1"
    from report.yamlfile import number_hint

    assert number_hint(data["e"]) == "write 10, or quote it as text"
    assert number_hint(data["h"]) is None


def test_text_fields_keep_the_text_of_number_like_values(tmp_path):
    from report.project import load_project

    project = make_project(
        tmp_path,
        {"data/figures.yaml": "figures:\n  p:\n    label: x\n    value: 100\n    period: 2024.10\n"},
        settings="title: t\nissuer: i\ndate: 2024-05-17\nedition: 010\n",
    )
    loaded = load_project(project)
    assert loaded.settings.edition == "010"
    figure = loaded.data.figures["p"]
    assert (figure.period, figure.value) == ("2024.10", 100)


YAML_CASES = {
    "hex": ("value: 0x1F", ["data/figures.yaml:4:5: figure 'p': 'value' must be a number, got '0x1F'"]),
    "sexagesimal": (
        "value: 1:30",
        ["data/figures.yaml:4:5: figure 'p': 'value' must be a number, got '1:30'"],
    ),
    "underscores": (
        "value: 1_000_000",
        ["data/figures.yaml:4:12: '1_000_000': write 1000000 without '_', or quote it as text"],
    ),
    "yes is not true": (
        "value: 1\n    signed: yes",
        ["data/figures.yaml:5:5: figure 'p': 'signed' must be true or false, got 'yes'"],
    ),
}


@pytest.mark.parametrize(("line", "expected"), YAML_CASES.values(), ids=YAML_CASES.keys())
def test_yaml_1_1_number_forms_are_not_numbers(tmp_path, line, expected):
    build_fails(
        make_project(tmp_path, {"data/figures.yaml": f"figures:\n  p:\n    label: x\n    {line}\n"}), expected
    )


def test_a_leading_zero_in_a_number_field_is_an_error(tmp_path):
    build_fails(
        make_project(tmp_path, {"data/figures.yaml": "figures:\n  p:\n    label: x\n    value: 010\n"}),
        [
            "data/figures.yaml:4:5: figure 'p': 'value' has a leading zero, got 010 (write 10, or quote it as text)"
        ],
    )


# -- 3. bounded YAML ----------------------------------------------------------------------------


def _laughs() -> str:
    text = 'facts:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghi":
        text += f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text


BOMBS = {
    "billion laughs": (
        _laughs(),
        ["data/figures.yaml:7:14: refused: more than 200000 values (with aliases expanded) in one file"],
    ),
    "deep nesting": (
        # 500 levels: libyaml itself stops at 1000, at a place that depends on its version.
        "facts:\n  a: " + "[" * 500 + "]" * 500 + "\n",
        ["data/figures.yaml:2:34: refused: lists and mappings nested deeper than 30 levels"],
    ),
    "many values": (
        "facts:\n  a: [" + "1," * 250_000 + "1]\n",
        ["data/figures.yaml:2:399997: refused: more than 200000 values (with aliases expanded) in one file"],
    ),
    "many aliases": (
        "facts:\n  a: &a 1\n" + "".join(f"  b{i}: *a\n" for i in range(101)),
        ["data/figures.yaml:103:9: refused: more than 100 aliases (*name) in one file"],
    ),
    "recursive alias": (
        "facts:\n  a: &a [1, *a]\n",
        ["data/figures.yaml:2:13: refused: the alias *a refers to a value that contains it"],
    ),
}


@pytest.mark.parametrize(("text", "expected"), BOMBS.values(), ids=BOMBS.keys())
def test_yaml_bombs_are_refused_quickly_in_bounded_memory(tmp_path, text, expected):
    project = make_project(tmp_path, {"data/figures.yaml": text})
    # Under `ulimit -v` and the hostile timeout; the time itself is measured by bench/limits.py.
    build_fails(project, expected, memory_kb=4_000_000)


CHART = "charts:\n  c:\n    kind: {kind}\n    figures: [{figure}]\n    caption: رسم\n    alt: نص بديل\n"
SLOW_DATA = {
    # Each once took minutes to lay out or draw (times of the whole build before the limits).
    "a figure label of 1,000,000 characters (over 120 s)": (
        {"data/figures.yaml": "figures:\n  v:\n    label: " + "ب" * 1_000_000 + "\n    value: 1\n"},
        ["data/figures.yaml:3:12: refused: a text of 1,000,000 characters; at most 10,000 are allowed"],
    ),
    "a chart title of 20,000 words (111 s)": (
        {
            "data/figures.yaml": FIGURES
            + CHART.format(kind="bar", figure="pupils")
            + "    title: "
            + "كلمة " * 19_999
            + "كلمة\n"
        },
        ["data/figures.yaml:11:12: refused: a text of 99,999 characters; at most 10,000 are allowed"],
    ),
    "a chart title just over the chart limit": (
        {
            "data/figures.yaml": FIGURES
            + CHART.format(kind="bar", figure="pupils")
            + "    title: "
            + "كلمة " * 399
            + "كلمة\n"
        },
        ["data/figures.yaml:11:5: chart 'c': 'title' has 1,999 characters; at most 300 fit on a chart"],
    ),
    "a line chart of 5,000 periods (80 s)": (
        {
            "data/figures.yaml": "figures:\n  v:\n    label: الزوار\n    series: {"
            + ", ".join(f"p{i}: {i}" for i in range(5_000))
            + "}\n"
            + CHART.format(kind="line", figure="v")
        },
        [
            "data/figures.yaml:6:3: chart 'c': 5,000 categories or periods to draw; at most 100 fit on one chart (choose some with 'periods', or split the chart)"
        ],
    ),
    "a CSV of 300,000 rows (13 s)": (
        {
            "data/figures.yaml": CSV_FIGURE,
            "data/visits.csv": "year,visitors\n" + "".join(f"{i},{i}\n" for i in range(300_000)),
        },
        ["data/visits.csv:10002: refused: more than 10,000 rows in one CSV file"],
    ),
}


@pytest.mark.parametrize(("files", "expected"), SLOW_DATA.values(), ids=SLOW_DATA.keys())
def test_data_too_large_to_lay_out_or_draw_is_refused(tmp_path, files, expected):
    project = make_project(tmp_path, files)
    build_fails(project, expected, memory_kb=4_000_000)


def test_the_largest_allowed_data_builds(tmp_path):
    """At each limit (10,000 CSV rows, 100 periods, 300-character labels) the build succeeds."""
    title = "ع" * 300
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  v:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: n}\n"
            + "  w:\n    label: "
            + "ب" * 300
            + "\n    series: {"
            + ", ".join(f"{1900 + i}: {i}" for i in range(100))
            + "}\n"
            + CHART.format(kind="line", figure="w")
            + f"    title: {title}\n",
            "data/visits.csv": "year,n\n" + "".join(f"{i},{i}\n" for i in range(10_000)),
            "data/sections/01-a.md": "# عنوان\n\n{{ chart('c') }}\n\n{{ v['9999'] | number }}\n",
        },
    )
    result = cli("build", str(project))
    assert result.returncode == 0, result.stderr


def test_merge_keys_work_and_own_keys_win(tmp_path):
    data = _load(tmp_path, "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  x: 3\n")
    assert data["item"] == {"x": 3, "y": 2}
    from report.errors import ReportError

    with pytest.raises(ReportError) as caught:
        _load(tmp_path, "item:\n  x: 1\n  x: 2\n")
    assert caught.value.display(tmp_path) == "x.yaml:3:3: duplicate key 'x' (first written on line 2)"


# -- 4. the manifest cannot lie or block -------------------------------------------------------


@pytest.fixture
def built(tmp_path) -> Path:
    project = make_project(tmp_path / "p", {"data/figures.yaml": FIGURES})
    result = cli("build", str(project))
    assert result.returncode == 0, result.stderr
    return project


def _manifest(project: Path) -> Path:
    return project / "output" / "briefing.pdf.manifest.json"


BAD_MANIFESTS = {
    "invalid json": lambda data: "{not json",
    "a list": lambda data: "[]",
    "fetched a list": lambda data: json.dumps({**data, "fetched": ["/dev/zero"]}),
    "editions a list": lambda data: json.dumps({**data, "editions": []}),
    "pages text": lambda data: json.dumps({**data, "pages": "3"}),
    "history not the editions": lambda data: json.dumps({**data, "history": ["x"]}),
    "snapshot figures wrong": lambda data: json.dumps(
        {**data, "editions": {data["edition"]: {"figures": {"p": {"label": 1}}}}}
    ),
    "deeply nested": lambda data: "[" * 100_000 + "]" * 100_000,
    "huge": lambda data: json.dumps({**data, "padding": "x" * (21 * 1024 * 1024)}),
}


@pytest.mark.parametrize("corrupt", BAD_MANIFESTS.values(), ids=BAD_MANIFESTS.keys())
def test_a_malformed_manifest_counts_as_absent(built, corrupt):
    path = _manifest(built)
    path.write_text(corrupt(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    for flags in ((), ("--force",)):
        result = cli("build", str(built), *flags)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1].startswith("wrote"), result.stdout
        path.write_text(corrupt(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")


def test_fetched_files_outside_the_project_are_never_read(built, canary):
    path = _manifest(built)
    data = json.loads(path.read_text(encoding="utf-8"))
    secret = canary / "secret.md"
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()  # would match, were it read
    for name in ("/dev/zero", str(secret), str(built / ".." / canary.name / "secret.md")):
        path.write_text(json.dumps({**data, "fetched": {name: digest}}), encoding="utf-8")
        result = cli("build", str(built))
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1].startswith("wrote"), (name, result.stdout)


def test_a_failed_manifest_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    from report import manifest

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(manifest.json, "dump", broken)
    with pytest.raises(OSError):
        manifest.write_manifest(tmp_path / "briefing.pdf", {}, {}, "e", b"%PDF")
    assert list(tmp_path.iterdir()) == []


def test_the_template_loader_reads_only_inside_the_project(tmp_path, canary):
    """files.template_loader, for html.py in place of jinja2.FileSystemLoader."""
    import jinja2

    from report.errors import ReportError
    from report.files import allowed_roots, template_loader

    project = make_project(tmp_path / "p", {"templates/a.html.j2": "A {{ x }}"})
    link(project / "templates" / "b.html.j2", canary / "secret.md")
    env = jinja2.Environment(loader=template_loader([project / "templates"], allowed_roots(project)))
    assert env.get_template("a.html.j2").render(x=1) == "A 1"
    with pytest.raises(ReportError) as caught:
        env.get_template("b.html.j2")
    assert (
        caught.value.display(project)
        == "templates/b.html.j2: refused: a symbolic link to a file outside the project"
    )
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("../data/settings.yaml")
