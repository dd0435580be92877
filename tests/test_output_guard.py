"""Where a build writes, what its chart cache may be trusted with, and numbers past every bound.

Everything through the CLI as a user would run it: the project's files are not trusted
(`output:` in its settings, a symbolic link in its folder, its chart cache), the command
line is (`-o`). A refusal is exit 2 with the exact located line, no traceback, and the
previous PDF byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from conftest import SETTINGS, make_project, read_pdf, run_cli, tree_hash

PREVIOUS = b"%PDF-1.7 the previous edition, which a refused build must not touch\n"
FIGURES = "figures:\n  pupils:\n    label: التلاميذ\n    value: 141241\n"
CHART = (
    "charts:\n  schools_chart:\n    kind: bar\n    caption: المؤسسات\n"
    "    alt: نص بديل للرسم لا يظهر إلا عند الفشل\n    figures: [pupils, schools]\n"
)


def refused(project: Path, expected: list[str], *args: str) -> None:
    result = run_cli("build", str(project), *args)
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, expected)


def with_previous(project: Path) -> Path:
    output = project / "output"
    output.mkdir(exist_ok=True)
    (output / "briefing.pdf").write_bytes(PREVIOUS)
    return output


def assert_previous_untouched(output: Path) -> None:
    assert (output / "briefing.pdf").read_bytes() == PREVIOUS
    assert sorted(p.name for p in output.iterdir()) == ["briefing.pdf"]


# -- settings.output -------------------------------------------------------------------------

BAD_OUTPUTS = {
    "an input file": "data/figures.yaml",
    "an input behind output/..": "output/../data/figures.yaml",
    "outside the project": "../outside.pdf",
    "an absolute path": "/tmp/x.pdf",
    "not a pdf": "output/briefing.yaml",
    "the output folder itself": "output",
}


@pytest.mark.parametrize("setting", BAD_OUTPUTS.values(), ids=BAD_OUTPUTS.keys())
def test_settings_output_must_be_a_pdf_inside_the_output_folder(tmp_path, setting):
    project = make_project(
        tmp_path / "p", {"data/figures.yaml": FIGURES}, settings=SETTINGS + f"output: {setting}\n"
    )
    figures = (project / "data" / "figures.yaml").read_bytes()
    output = with_previous(project)
    message = f"settings: 'output' must be a .pdf file inside the project's output/ folder, got '{setting}'"
    refused(project, [f"data/settings.yaml:4:1: {message}"])
    assert (project / "data" / "figures.yaml").read_bytes() == figures
    assert_previous_untouched(output)
    assert not (tmp_path / "outside.pdf").exists()
    # `check` reports it too, on the same line.
    result = run_cli("check", str(project))
    assert (result.returncode, result.stderr.strip()) == (2, f"data/settings.yaml:4:1: {message}")


def test_control_characters_in_the_settings_output_are_refused(tmp_path):
    """`output: "output/x\\0.pdf"` once ended in a ValueError (exit 1) when the PDF was written."""
    settings = SETTINGS + 'output: "output/x\\0.pdf"\n'
    project = make_project(tmp_path / "p", {"data/figures.yaml": FIGURES}, settings=settings)
    output = with_previous(project)
    message = "settings: 'output' must not hold control or invisible characters, got 'output/x\\x00.pdf'"
    refused(project, [f"data/settings.yaml:4:1: {message}"])
    assert_previous_untouched(output)


def test_a_symlinked_output_folder_is_refused_and_its_target_untouched(tmp_path):
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "briefing.pdf").write_bytes(b"not yours")
    (canary / "notes.txt").write_text("keep me", encoding="utf-8")
    before = tree_hash(canary)
    project = make_project(tmp_path / "p", {"data/figures.yaml": FIGURES})
    (project / "output").symlink_to(canary, target_is_directory=True)
    expected = (
        "data/settings.yaml: output is a symbolic link: the build writes only to real files and "
        "folders inside output/ (remove the link)"
    )
    refused(project, [expected])
    refused(project, [expected], "--force", "--print")
    assert tree_hash(canary) == before


def test_a_symlinked_output_folder_named_in_settings_is_refused_on_its_line(tmp_path):
    canary = tmp_path / "canary"
    canary.mkdir()
    before = tree_hash(canary)
    project = make_project(
        tmp_path / "p", {"data/figures.yaml": FIGURES}, settings=SETTINGS + "output: output/sub/b.pdf\n"
    )
    (project / "output").mkdir()
    (project / "output" / "sub").symlink_to(canary, target_is_directory=True)
    refused(
        project,
        [
            "data/settings.yaml:4:1: output/sub is a symbolic link: the build writes only to real files "
            "and folders inside output/ (remove the link)"
        ],
    )
    assert tree_hash(canary) == before


@pytest.mark.parametrize("name", ["briefing.pdf", "briefing.pdf.manifest.json"])
def test_a_symlinked_output_file_or_manifest_is_refused(tmp_path, name):
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"somebody else's file")
    project = make_project(tmp_path / "p", {"data/figures.yaml": FIGURES})
    (project / "output").mkdir()
    (project / "output" / name).symlink_to(outside)
    refused(
        project,
        [
            f"data/settings.yaml: output/{name} is a symbolic link: the build writes only to real files "
            "and folders inside output/ (remove the link)"
        ],
    )
    assert outside.read_bytes() == b"somebody else's file"


def test_an_input_folder_linked_into_output_is_never_written(tmp_path):
    project = make_project(tmp_path / "p", {"data/figures.yaml": FIGURES})
    (project / "output").mkdir()
    (project / "fonts").symlink_to(project / "output", target_is_directory=True)
    refused(
        project,
        [
            "data/settings.yaml: refusing to write output/briefing.pdf: it is inside the project's fonts/ folder"
        ],
    )


def test_the_command_line_output_is_trusted_outside_the_project(tmp_path):
    project = make_project(tmp_path / "p", {"data/figures.yaml": FIGURES})
    elsewhere = tmp_path / "elsewhere" / "out.pdf"
    result = run_cli("build", str(project), "-o", str(elsewhere))
    assert result.returncode == 0, result.stderr
    assert elsewhere.read_bytes().startswith(b"%PDF")
    assert (elsewhere.parent / "out.pdf.manifest.json").is_file()
    assert not (project / "output").exists()
    assert sorted(p.name for p in elsewhere.parent.iterdir()) == ["out.pdf", "out.pdf.manifest.json"]


def test_a_nested_output_inside_the_output_folder_is_allowed(tmp_path):
    project = make_project(
        tmp_path / "p", {"data/figures.yaml": FIGURES}, settings=SETTINGS + "output: output/2024/b.pdf\n"
    )
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr
    assert (project / "output" / "2024" / "b.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"editions": 5, "fetched": []}'])
def test_build_force_replaces_a_malformed_manifest(tmp_path, content):
    project = make_project(tmp_path / "p", {"data/figures.yaml": FIGURES})
    output = with_previous(project)
    (output / "briefing.pdf.manifest.json").write_text(content, encoding="utf-8")
    for args in (["--force"], []):
        result = run_cli("build", str(project), *args)
        assert result.returncode == 0, result.stderr
    assert (output / "briefing.pdf").read_bytes().startswith(b"%PDF")
    assert "up to date" in result.stdout
    assert sorted(p.name for p in output.iterdir()) == ["briefing.pdf", "briefing.pdf.manifest.json"]


# -- the chart cache -------------------------------------------------------------------------


def _chart_project(tmp_path: Path) -> Path:
    figures = FIGURES + "  schools:\n    label: المؤسسات\n    value: 1816\n" + CHART
    section = "# مقدمة\n\nنص قصير.\n\n{{ chart('schools_chart') }}\n"
    return make_project(tmp_path, {"data/figures.yaml": figures, "data/sections/01-a.md": section})


def _cached(project: Path) -> list[Path]:
    return sorted((project / ".report-cache" / "charts").glob("*.pdf"))


@pytest.mark.parametrize("damage", ["truncated", "altered", "planted", "symlink"])
def test_a_damaged_cached_chart_is_drawn_again(tmp_path, damage):
    project = _chart_project(tmp_path / "p")
    first = run_cli("build", str(project))
    assert first.returncode == 0, first.stderr
    pdf = project / "output" / "briefing.pdf"
    good = pdf.read_bytes()
    [chart] = _cached(project)
    drawn = chart.read_bytes()
    if damage == "truncated":
        chart.write_bytes(drawn[: len(drawn) // 2])
    elif damage == "altered":
        chart.write_bytes(drawn.replace(b"/MediaBox [ 0 0 ", b"/MediaBox [ 0 9 ", 1))
        assert chart.read_bytes() != drawn
    elif damage == "planted":
        # A cache shipped with the project, its checksum recomputed: not sealed with this user's key.
        body = drawn.rpartition(b"\n%report-seal: ")[0].replace(b"/MediaBox [ 0 0 ", b"/MediaBox [ 0 9 ", 1)
        assert body != drawn.rpartition(b"\n%report-seal: ")[0]
        chart.write_bytes(body + b"\n%report-seal: " + hashlib.sha256(body).hexdigest().encode() + b"\n")
    else:
        elsewhere = tmp_path / "elsewhere.pdf"
        elsewhere.write_bytes(drawn[:100])
        chart.unlink()
        chart.symlink_to(elsewhere)
    result = run_cli("build", str(project), "--force")
    assert result.returncode == 0, result.stderr
    assert "charts: 1 drawn, 0 reused" in result.stdout
    assert chart.read_bytes() == drawn and not chart.is_symlink()
    assert pdf.read_bytes() == good  # the chart, not its alt text
    assert "نصبديل" not in read_pdf(pdf).flat
    assert len(_cached(project)) == 1


def test_an_older_drawing_put_back_under_the_current_name_is_drawn_again(tmp_path):
    """The seal covers the file's name too: a sealed chart of other figures (an older edition,
    another chart) renamed to the current chart's name is not used, the chart is redrawn."""
    project = _chart_project(tmp_path / "p")
    assert run_cli("build", str(project)).returncode == 0
    [older] = _cached(project)
    stale = older.read_bytes()
    figures = project / "data" / "figures.yaml"
    figures.write_text(
        figures.read_text(encoding="utf-8").replace("value: 1816", "value: 1916"), encoding="utf-8"
    )
    assert run_cli("build", str(project)).returncode == 0
    good = (project / "output" / "briefing.pdf").read_bytes()
    [current] = [chart for chart in _cached(project) if chart.name != older.name]
    drawn = current.read_bytes()
    current.write_bytes(stale)
    result = run_cli("build", str(project), "--force")
    assert result.returncode == 0, result.stderr
    assert "charts: 1 drawn, 0 reused" in result.stdout
    assert current.read_bytes() == drawn
    assert (project / "output" / "briefing.pdf").read_bytes() == good


def test_a_chart_taller_than_the_page_is_an_error_at_its_declaration(tmp_path):
    """40 rows of a horizontal bar chart on an A5 page would run past the page's foot."""
    rows = "".join(f"  r{i}:\n    label: البند {i}\n    value: {100 + i}\n" for i in range(40))
    names = ", ".join(f"r{i}" for i in range(40))
    figures = (
        "figures:\n"
        + rows
        + (
            "charts:\n  long_chart:\n    kind: bar\n    orientation: horizontal\n    caption: بنود كثيرة\n"
            f"    alt: بنود كثيرة\n    figures: [{names}]\n"
        )
    )
    section = "# مقدمة\n\nنص قصير.\n\n{{ chart('long_chart') }}\n"
    project = make_project(
        tmp_path / "p",
        {"data/figures.yaml": figures, "data/sections/01-a.md": section},
        settings=SETTINGS + "page_size: A5\n",
    )
    declared = figures.splitlines().index("  long_chart:") + 1
    output = with_previous(project)
    result = run_cli("build", str(project))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"data/figures.yaml:{declared}:3: chart 'long_chart' is "), line
    assert "(40 categories), more than the 145 mm a page of this size holds" in line
    assert_previous_untouched(output)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("report-chart:../../etc/passwd", "refused: report-chart:../../etc/passwd names no chart"),
        ("report-chart:other-0123.pdf", "report-chart:other-0123.pdf names no chart drawn by this build"),
        ("report-chart:" + "a" * 500 + ".pdf", "report-chart:" + "a" * 60 + "... names no chart drawn"),
    ],
)
def test_a_chart_url_that_names_no_drawn_chart_is_refused(tmp_path, url, expected):
    section = f'# مقدمة\n\nنص قصير.\n\n<img src="{url}" alt="شكل">\n'
    project = make_project(
        tmp_path / "p",
        {"data/figures.yaml": FIGURES, "data/sections/01-a.md": section},
        settings=SETTINGS + "markdown_html: true\n",
    )
    output = with_previous(project)
    result = run_cli("build", str(project))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert expected in line and len(line) < 300, line
    assert_previous_untouched(output)


def _image_project(tmp_path: Path, image: str, data: bytes, tag: str) -> Path:
    project = make_project(
        tmp_path / "p",
        {"data/figures.yaml": FIGURES, "data/sections/01-a.md": f"# مقدمة\n\nنص قصير.\n\n{tag}\n"},
        settings=SETTINGS + "markdown_html: true\n",
    )
    (project / "images").mkdir()
    (project / "images" / image).write_bytes(data)
    return project


def test_an_image_that_cannot_be_read_is_an_error_not_its_alt_text(tmp_path):
    """WeasyPrint shows an image it cannot read as its alt text and goes on: never silently."""
    project = _image_project(
        tmp_path, "plan.pdf", b"%PDF-1.4 not an image\n", '<img src="images/plan.pdf" alt="مخطط">'
    )
    output = with_previous(project)
    result = run_cli("build", str(project))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "cannot use the image" in line and "images/plan.pdf" in line, line
    assert_previous_untouched(output)


def test_an_image_without_alt_text_is_an_error_in_a_pdf_ua_file(tmp_path):
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(png, format="PNG")
    project = _image_project(tmp_path, "logo.png", png.getvalue(), '<img src="images/logo.png">')
    assert run_cli("build", str(project)).returncode == 0  # tagged, not a PDF/UA claim
    result = run_cli("build", str(project), "--variant", "pdf/ua-1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "has no alt text, which a PDF/UA file requires" in line and "images/logo.png" in line, line


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_a_file_where_the_chart_cache_folder_should_be_is_a_located_error(tmp_path, kind):
    project = _chart_project(tmp_path / "p")
    (project / ".report-cache").mkdir()
    folder = project / ".report-cache" / "charts"
    folder.write_text("not a folder\n") if kind == "file" else os.mkfifo(folder)
    output = with_previous(project)
    refused(
        project,
        [
            ".report-cache/charts: cannot write the chart cache: a file stands where its folder should be (delete .report-cache/)"
        ],
    )
    assert_previous_untouched(output)


def test_an_intact_cached_chart_is_reused(tmp_path):
    project = _chart_project(tmp_path / "p")
    assert run_cli("build", str(project)).returncode == 0
    result = run_cli("build", str(project), "--force")
    assert result.returncode == 0, result.stderr
    assert "charts: 0 drawn, 1 reused" in result.stdout


def test_a_symlinked_chart_cache_folder_is_refused(tmp_path):
    canary = tmp_path / "canary"
    canary.mkdir()
    project = _chart_project(tmp_path / "p")
    (project / ".report-cache").symlink_to(canary, target_is_directory=True)
    output = with_previous(project)
    refused(
        project,
        [
            ".report-cache is a symbolic link: the chart cache is written only inside the project (remove the link)"
        ],
    )
    assert list(canary.iterdir()) == []
    assert_previous_untouched(output)


def test_a_folder_where_a_cached_chart_should_be_is_a_located_error(tmp_path):
    project = _chart_project(tmp_path / "p")
    first = run_cli("build", str(project), "-o", str(tmp_path / "first.pdf"))
    assert first.returncode == 0, first.stderr
    [chart] = _cached(project)
    chart.unlink()
    chart.mkdir()
    (chart / "keep.txt").write_text("a file inside the folder\n")
    output = with_previous(project)
    name = chart.relative_to(project).as_posix()
    refused(
        project,
        [
            f"{name}: cannot write the chart cache: a folder stands where a cached chart should be "
            "(delete .report-cache/)"
        ],
    )
    assert_previous_untouched(output)
    assert (chart / "keep.txt").read_text() == "a file inside the folder\n"


# -- numbers past every bound ----------------------------------------------------------------

NUMBER_CASES = {
    "401 digits": (
        "figures:\n  pupils:\n    label: التلاميذ\n    value: " + "9" * 401 + "\n",
        [
            "data/figures.yaml:4:5: figure 'pupils': 'value' has 401 digits before the decimal point; at most 15 are allowed"
        ],
    ),
    "16 digits in a series": (
        "figures:\n  pupils:\n    label: التلاميذ\n    series: {2020: 1234567890123456}\n",
        [
            "data/figures.yaml:4:14: figure 'pupils': period 2020 has 16 digits before the decimal point; at most 15 are allowed"
        ],
    ),
    "20 Arabic-Indic digits": (
        "figures:\n  pupils:\n    label: التلاميذ\n    value: '" + "١" * 20 + "'\n",
        [
            "data/figures.yaml:4:5: figure 'pupils': 'value' has 20 digits before the decimal point; at most 15 are allowed"
        ],
    ),
    "1e400": (
        "figures:\n  pupils:\n    label: التلاميذ\n    value: 1e400\n",
        ["data/figures.yaml:4:5: figure 'pupils': 'value' must be a finite number, got '1e400'"],
    ),
    "1.0e+400": (
        "figures:\n  pupils:\n    label: التلاميذ\n    value: 1.0e+400\n",
        ["data/figures.yaml:4:5: figure 'pupils': 'value' must be a finite number, got '1.0e+400'"],
    ),
    "1e307": (
        "figures:\n  pupils:\n    label: التلاميذ\n    value: 1.0e+307\n",
        [
            "data/figures.yaml:4:5: figure 'pupils': 'value' has 308 digits before the decimal point; at most 15 are allowed"
        ],
    ),
    "a compute past 15 digits": (
        FIGURES + "  big:\n    label: كبير\n    compute: pupils * pupils * pupils\n",
        [
            "data/figures.yaml:7:5: figure 'big': the computed value has 16 digits before the decimal point; at most 15 are allowed"
        ],
    ),
    "a float compute that overflows": (
        "figures:\n  a:\n    label: أ\n    value: 99999999999999.5\n  big:\n    label: كبير\n    compute: "
        + " * ".join(["a"] * 30)
        + "\n",
        ["data/figures.yaml:7:5: figure 'big': the computed value is not finite"],
    ),
    "an integer compute without end": (
        "figures:\n  a:\n    label: أ\n    value: 999999999999999\n  big:\n    label: كبير\n    compute: "
        + " * ".join(["a"] * 400)
        + "\n",
        ["data/figures.yaml:7:5: figure 'big': cannot compute: the result is too large"],
    ),
    "round to a billion places": (
        FIGURES + "  r:\n    label: ر\n    compute: round(pupils, -1000000000)\n",
        [
            "data/figures.yaml:7:5: figure 'r': cannot compute: round() takes a whole number of places between -15 and 15"
        ],
    ),
    "1e-400, read as zero": (
        "figures:\n  pupils:\n    label: التلاميذ\n    value: 1e-400\n",
        ["data/figures.yaml:4:5: figure 'pupils': 'value' is too small to be represented, got '1e-400'"],
    ),
    "a CSV cell read as zero": (
        "figures:\n  pupils:\n    label: التلاميذ\n    series: {csv: v.csv, key: year, value: n}\n",
        ["data/v.csv:3: column 'n' is too small to be represented, got '5e-999'"],
    ),
    "a compute nested without end": (
        FIGURES + "  deep:\n    label: عميق\n    compute: " + "-" * 9_000 + "pupils\n",
        ["data/figures.yaml:7:5: figure 'deep': the compute expression nests too deeply"],
    ),
}


@pytest.mark.parametrize(("figures", "expected"), NUMBER_CASES.values(), ids=NUMBER_CASES.keys())
def test_numbers_past_their_bounds_are_located_errors(tmp_path, figures, expected):
    name = re.search(r"^  (\w+):\n(?!.*^  \w+:)", figures, re.M | re.S).group(1)  # the last figure
    project = make_project(
        tmp_path,
        {"data/figures.yaml": figures, "data/v.csv": "year,n\n2020,0.0\n2021,5e-999\n"},
        settings=SETTINGS + f"key_figures: [{name}]\n",
    )
    output = with_previous(project)
    refused(project, expected)
    assert_previous_untouched(output)


def test_the_largest_allowed_number_builds(tmp_path):
    project = make_project(
        tmp_path,
        {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    value: 999999999999999\n"},
        settings=SETTINGS + "key_figures: [pupils]\n",
    )
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr


def test_minus_zero_is_printed_as_zero(tmp_path):
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  z:\n    label: صفر\n    value: -0\n  w:\n    label: ص\n    value: -0.0\n",
            "data/sections/01-a.md": "# عنوان\n\nالقيمة {{ z | number }} و{{ w | number }} هنا.\n",
        },
        settings=SETTINGS + "digits: arabic-indic\n",
    )
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr
    flat = read_pdf(project / "output" / "briefing.pdf").flat
    assert "القيمة٠و٠هنا" in flat


# -- the last line of defence ----------------------------------------------------------------


def test_a_recursion_error_is_a_user_error_not_an_internal_one(tmp_path):
    """A stage that missed a depth bound: exit 2 with a message a user can act on."""
    project = make_project(tmp_path, {"data/figures.yaml": FIGURES})
    code = (
        "import sys, report.build as b\n"
        "def deep(*a, **k):\n    return deep()\n"
        "b.load_project = deep\n"
        "from report.cli import main\n"
        f"sys.exit(main(['build', {str(project)!r}, '--force']))\n"
    )
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ})
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "the project nests too deeply (a template calling itself, or data nested without end?)",
    )


def test_a_crafted_manifest_cannot_break_the_whats_new_page(tmp_path):
    """Earlier editions' snapshots come from a file in the project: any shape is survived."""
    import json

    project = make_project(
        tmp_path,
        {"data/figures.yaml": FIGURES},
        settings=SETTINGS + "edition: الثاني\nwhats_new: true\n",
    )
    output = with_previous(project)
    editions = {
        "الأول": {
            "figures": {
                "pupils": {"label": 5, "value": "many"},
                "gone": {"series": {"2020": 1e300, "2021": None}},
                "odd": [1, 2],
            },
            "sections": {"data/sections/x.md": {"title": None}, "y": 3},
        }
    }
    manifest = {"editions": editions, "edition": "الأول", "fetched": {"/dev/zero": "0"}}
    (output / "briefing.pdf.manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr
    # A manifest of another shape counts as absent: the build replaced it with its own.
    diff = run_cli("diff", str(project))
    assert (diff.returncode, diff.stdout.strip()) == (0, "no change since the last build (edition الثاني)")
