"""Loading and validation: every problem reported at once, one line each, with file and line."""

from __future__ import annotations

import pytest

from conftest import make_project, run_cli

FIGURES = """\
figures:
  pupils:
    label: التلاميذ
    value: 141241
    unit: تلميذ
  schools:
    label: المؤسسات
    value: 1816
"""


def check(project) -> tuple[int, list[str]]:
    result = run_cli("check", str(project))
    assert "Traceback" not in result.stderr
    return result.returncode, result.stderr.strip().splitlines()


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"data/figures.yaml": "figures:\n  pupils:\n    label: [unclosed\n"},
            "data/figures.yaml:4:1: invalid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    valeu: 3\n"},
            "data/figures.yaml:2:3: figure 'pupils': give exactly one of 'value', 'series', 'compute' (found none)\n"
            "data/figures.yaml:4:5: figure 'pupils': unknown key 'valeu' (did you mean 'value'?)",
        ),
        (
            {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    value: 1.127.944\n"},
            "data/figures.yaml:4:5: figure 'pupils': 'value' must be written without grouping "
            "separators, got '1.127.944' (write 1127944)",
        ),
        (
            {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    value: -5\n"},
            "data/figures.yaml:4:5: figure 'pupils': 'value' must not be negative, got -5 "
            "(set 'signed: true' if it may be)",
        ),
        (
            {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    value: .nan\n"},
            "data/figures.yaml:4:5: figure 'pupils': 'value' must be a finite number, got nan",
        ),
        (
            {
                "data/figures.yaml": FIGURES
                + "  total:\n    label: المجموع\n    value: 5000\n    parts: [pupils, schools]\n"
            },
            "data/figures.yaml:9:3: figure 'total': the stated total 5000 disagrees with its parts "
            "(pupils + schools = 143057)",
        ),
        (
            {"data/figures.yaml": FIGURES + "  pupils:\n    label: مكرر\n    value: 1\n"},
            "data/figures.yaml:9:3: duplicate key 'pupils' (first written on line 2)",
        ),
        (
            {
                "data/figures.yaml": FIGURES,
                "data/sections/01-a.md": "# عنوان\n\nبلغ العدد {{ pupil | number }}.\n",
            },
            "data/sections/01-a.md:3:14: unknown name 'pupil' (did you mean 'pupils'?)",
        ),
        (
            {"data/figures.yaml": FIGURES, "data/sections/01-a.md": "# عنوان\n\n{{ pupils | pres }}\n"},
            "data/sections/01-a.md:3:13: unknown filter 'pres' (did you mean 'press'?)",
        ),
        (
            {"data/figures.yaml": FIGURES, "data/sections/01-a.md": "# عنوان\n\n\n{{ pupils | press }\n"},
            "data/sections/01-a.md:4: template syntax error: unexpected '}'",
        ),
        (
            {
                "data/figures.yaml": FIGURES,
                "data/sections/01-a.md": "# عنوان\n\n{{ table('pupils_table') }}\n",
            },
            "data/sections/01-a.md:3:11: unknown table 'pupils_table'",
        ),
        (
            {
                "data/figures.yaml": FIGURES
                + "  growth:\n    label: نمو\n    compute: growth(pupils, shcools)\n"
            },
            "data/figures.yaml:9:3: figure 'growth': unknown figure 'shcools' (did you mean 'schools'?)",
        ),
        (
            {
                "data/figures.yaml": FIGURES
                + "  visitors:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: visitors}\n",
                "data/visits.csv": "year,visitors\n2020,100\n2021,200,300\n",
            },
            "data/visits.csv:3: expected 2 columns as in the header, found 3",
        ),
        (
            {"data/figures.yaml": "figurs:\n  pupils:\n    label: x\n    value: 1\n"},
            "data/figures.yaml:1:1: unknown top-level key 'figurs' (did you mean 'figures'?)",
        ),
        (
            {"data/figures.yaml": "figures:\n  pupils:\n\tlabel: x\n"},
            "data/figures.yaml:3:1: invalid YAML: found character '\\t' that cannot start any token "
            "(use spaces, not tabs, to indent)",
        ),
    ],
)
def test_one_clear_line_with_file_and_line(tmp_path, files, expected):
    project = make_project(tmp_path, files)
    code, lines = check(project)
    assert code == 2
    assert lines == expected.split("\n")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("title: t\ndate: 2024-05-17\n", "data/settings.yaml:1:1: settings: 'issuer' is required"),
        (
            "title: t\nissuer: i\ndate: 2024-05-17\ndigits: hindi\n",
            "data/settings.yaml:4:1: settings: 'digits' must be one of western, arabic-indic, got 'hindi'",
        ),
        (
            "title: t\nissuer: i\ndate: 17/05/2024\n",
            "data/settings.yaml:3:1: settings: 'date' must be a date written YYYY-MM-DD, got '17/05/2024'",
        ),
        (
            "title: t\nissuer: i\ndate: 2024-05-17\npage_siz: A4\n",
            "data/settings.yaml:4:1: settings: unknown key 'page_siz' (did you mean 'page_size'?)",
        ),
    ],
)
def test_settings_errors(tmp_path, settings, expected):
    project = make_project(tmp_path, {}, settings=settings)
    code, lines = check(project)
    assert (code, lines) == (2, [expected])


def test_all_problems_are_reported_together(tmp_path):
    project = make_project(
        tmp_path,
        {
            "data/a.yaml": "figures:\n  pupils:\n    label: x\n    value: 1,816\n",
            "data/b.yaml": "figures:\n  schools:\n    label: y\n    value: -1\n",
        },
        settings="title: t\nissuer: i\ndate: 2024-05-17\ndigits: roman\n",
    )
    code, lines = check(project)
    assert code == 2
    assert len(lines) == 3
    assert [line.split(":")[0] for line in lines] == ["data/settings.yaml", "data/a.yaml", "data/b.yaml"]


def test_a_failed_build_leaves_the_previous_pdf_intact(tmp_path):
    project = make_project(tmp_path, {"data/figures.yaml": FIGURES})
    sections = project / "data" / "sections" / "01-intro.md"
    sections.write_text("# مقدمة\n\nبلغ العدد {{ pupils | press }}.\n", encoding="utf-8")
    first = run_cli("build", str(project))
    assert first.returncode == 0, first.stderr
    pdf = project / "output" / "briefing.pdf"
    before = pdf.read_bytes()
    sections.write_text("# مقدمة\n\nبلغ العدد {{ pupils | pres }}.\n", encoding="utf-8")
    second = run_cli("build", str(project))
    assert second.returncode == 2
    assert "Traceback" not in second.stderr
    assert (
        second.stderr.strip()
        == "data/sections/01-intro.md:3:23: unknown filter 'pres' (did you mean 'press'?)"
    )
    assert pdf.read_bytes() == before
    assert [p.name for p in pdf.parent.iterdir()] == ["briefing.pdf"]


def test_not_a_project(tmp_path):
    result = run_cli("build", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{tmp_path} is not a report project: data/settings.yaml is missing"


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        (
            '@font-face { font-family: "Report Naskh"; src: url("font:Missing.ttf"); }',
            "font file not found in fonts/: Missing.ttf",
        ),
        (
            'p { background: url("file:///etc/passwd"); }',
            "refused to fetch file:///etc/passwd: only files inside the project may be used",
        ),
        (
            'p { background: url("../../../../../../etc/passwd"); }',
            "refused to fetch file:///etc/passwd: only files inside the project may be used",
        ),
    ],
)
def test_the_renderer_fetches_nothing_outside_the_project(tmp_path, css, expected):
    project = make_project(tmp_path, {"templates/style.css": css})
    result = run_cli("build", str(project))
    assert result.returncode == 2
    assert result.stderr.strip() == expected
    assert not (project / "output" / "briefing.pdf").exists()
