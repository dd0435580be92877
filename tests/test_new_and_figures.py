"""`python -m report new` makes a project that builds at once; `figures` lists every figure and its uses."""

from __future__ import annotations

import openpyxl

from conftest import EXAMPLE, copy_project, make_project, read_pdf, run_cli, squash


def test_new_writes_a_project_that_passes_check_strict_and_builds(tmp_path):
    folder = tmp_path / "briefing"
    result = run_cli("new", str(folder))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"created {folder} (7 files):"
    for name in ("data/settings.yaml", "data/figures.yaml", "data/stats.xlsx", "data/sections/01-overview.md",
                 "data/sections/02-details.md", ".gitignore", "README.md"):  # fmt: skip
        assert (folder / name).is_file(), name
    assert (folder / ".gitignore").read_text().split() == ["output/", ".report-cache/"]
    assert "data/stats.xlsx" in (folder / "README.md").read_text(encoding="utf-8")
    # The workbook the tool writes opens in a spreadsheet library, its percent cell formatted as one.
    sheet = openpyxl.load_workbook(folder / "data" / "stats.xlsx")["الزوار"]
    assert sheet["B4"].value == 24150 and sheet["E2"].number_format == "0.00%"
    check = run_cli("check", "--strict", str(folder))
    assert check.returncode == 0 and check.stderr == "", check.stderr
    built = run_cli("build", str(folder))
    assert built.returncode == 0, built.stderr
    text = squash(read_pdf(folder / "output" / "briefing.pdf").text)
    assert squash("86,4%") in text and "24.150" in text and squash("24ألفا") in text


def test_new_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("keep me")
    result = run_cli("new", str(tmp_path / "x"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"{tmp_path / 'x'} is not empty: 'new' writes only into a new or empty folder\n"
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["notes.txt"]


def test_figures_lists_values_as_printed_sources_and_uses(tmp_path):
    folder = tmp_path / "briefing"
    assert run_cli("new", str(folder)).returncode == 0
    result = run_cli("figures", str(folder))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    block = out[out.index("visitors  زوار المعرض") :].split("\n\n")[0].splitlines()
    assert block == [
        "visitors  زوار المعرض",
        "  value      2021: 18.500; 2022: 21.300; 2023: 24.150",
        "  unit       زوار",
        "  source     annual_report (data/stats.xlsx:الزوار!B2:B4)",
        "  used in    data/sections/01-overview.md:3, chart visitors_chart, key figures, computes visitors_growth",
    ]
    assert "  source     annual_report (data/stats.xlsx:الزوار!E2)" in out
    assert "  qualifier  more_than (أكثر من)" in out
    assert out.rstrip().endswith("unused figures (0): -\nunused sources (0): -\nunread data files (0): -")


def test_figures_flags_unused_figures_sources_and_data_files(tmp_path):
    project = copy_project(EXAMPLE, tmp_path / "water")
    figures = project / "data" / "figures.yaml"
    text = figures.read_text(encoding="utf-8")
    text = text.replace("figures:\n", "figures:\n  spare:\n    label: رقم احتياطي\n    value: 7\n", 1)
    text = text.replace("sources:\n", "sources:\n  old_survey:\n    title: مسح قديم\n", 1)
    figures.write_text(text, encoding="utf-8")
    (project / "data" / "old.csv").write_text("a,b\n1,2\n")
    result = run_cli("figures", str(project))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  used in    UNUSED: printed nowhere" in lines
    assert lines[-3:] == [
        "unused figures (1): spare",
        "unused sources (1): old_survey",
        "unread data files (1): data/old.csv",
    ]
    # Arabic-Indic digits as the document prints them; a section's line, a table and the key figures.
    assert "  value      حوالي ٦٨٪" in lines
    assert any(line.startswith("  used in    data/sections/") and ":" in line for line in lines)


def test_new_refuses_a_place_it_cannot_write_in_one_line(tmp_path):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    for target, message in (
        (tmp_path / "a-file" / "sub", "cannot create the project in"),
        (tmp_path / "dangling", "is a link to nothing: give a new or empty folder"),
    ):
        result = run_cli("new", str(target))
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_text_or_a_date_in_a_table_number_column_is_an_error_at_its_cell(tmp_path):
    root = make_project(
        tmp_path,
        {
            "data/t.csv": "year,count\n2021,12\n2022,x\n2023,2024-01-05\n",
            "data/t.yaml": "tables:\n  t:\n    caption: ج\n    csv: t.csv\n    columns:\n"
            "      year: {label: السنة, format: plain}\n      count: {label: العدد, format: number}\n",
        },
    )
    result = run_cli("check", str(root))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "data/t.csv:3: table 't': column 'count' is a number column ('format: number'), got 'x'",
        "data/t.csv:4: table 't': column 'count' is a number column ('format: number'), got '2024-01-05'",
    ]


def test_figures_lists_a_period_without_a_value_in_its_place(tmp_path):
    root = make_project(
        tmp_path,
        {
            "data/v.csv": "year,visits\n2020,5\n2021,\n2022,7\n",
            "data/f.yaml": "figures:\n  visits:\n    label: الزيارات\n"
            "    series: {csv: v.csv, key: year, value: visits, missing: true}\n",
        },
    )
    result = run_cli("figures", str(root))
    assert result.returncode == 0, result.stderr
    assert "2020: 5; 2021: —; 2022: 7" in result.stdout
