"""Figures, series and tables from real .xlsx and .ods workbooks, written here by openpyxl and odfpy."""

from __future__ import annotations

import datetime
import re
import zipfile
from pathlib import Path

import openpyxl
import pypdf
import pytest
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import CoveredTableCell, Table, TableCell, TableRow
from odf.text import P

from conftest import make_project, read_pdf, run_cli, squash
from report.errors import ProjectErrors, ReportError
from report.project import load_project

SECTION = (
    "# الزوار\n\nبلغ عدد الزوار في فاس {{ visitors['فاس'] }}، أي {{ share | percent }}.\n\n"
    '{{ table("cities") }}\n'
)


def _xlsx(path: Path, cached: dict[str, str] | None = None) -> Path:
    """A department's workbook: a merged title, a header, a percent column, dates, a formula total.

    openpyxl computes no formula; `cached` writes the value a spreadsheet would have saved
    for each formula cell (its ref -> value) into the sheet's XML, as Excel does on save.
    """
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet["A1"] = "إحصائيات الزوار"
    sheet.merge_cells("A1:D1")
    sheet.append(["city", "visitors", "share", "day"])
    sheet.append(["الرباط", 1200, 0.473, datetime.date(2024, 3, 1)])
    sheet.append(["فاس", "١٢٣٤", 0.527, datetime.date(2024, 3, 2)])
    sheet["E3"] = "=B3+1"  # outside the ranges the figures read
    for cell in ("C3", "C4"):
        sheet[cell].number_format = "0.0%"
    sheet["F2"] = "total"
    sheet["F3"] = "=B3+B4"
    sheet["B9"].number_format = "0.0%"  # a formatted, empty row below the data
    book.save(path)
    _cache(path, cached or {})
    return path


def _cache(path: Path, cached: dict[str, str]) -> None:
    if not cached:
        return
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, value in cached.items():
        xml, count = re.subn(
            rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/?>(</v>)?', rf"\1\2<v>{value}</v>", xml
        )
        assert count == 1, ref
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _ods(path: Path, formula_cached: bool = True) -> Path:
    doc = OpenDocumentSpreadsheet()
    table = Table(name="الزوار")

    def row(*cells):
        line = TableRow()
        for cell in cells:
            line.addElement(cell)
        table.addElement(line)

    def text(value: str, **kw):
        cell = TableCell(valuetype="string", **kw)
        cell.addElement(P(text=value))
        return cell

    def number(value, kind="float", **kw):
        cell = TableCell(valuetype=kind, value=value, **kw)
        cell.addElement(P(text=str(value)))
        return cell

    day = TableCell(valuetype="date", datevalue="2024-03-01")
    day.addElement(P(text="2024-03-01"))
    # Two header rows: the city spans both, the visitors' heading spans the two years.
    row(
        text("المدينة", numberrowsspanned=2),
        text("الزوار", numbercolumnsspanned=2),
        CoveredTableCell(),
        text("اليوم", numberrowsspanned=2),
    )
    row(CoveredTableCell(), number(2022), number(2023), CoveredTableCell())
    row(text("الرباط"), number(1100), number(1200), day)
    row(text("فاس"), text("١٢٣٤"), number(0.473, "percentage"), TableCell())
    total = (
        TableCell(formula="of:=[.C3]+[.C4]", valuetype="float", value=1200.473)
        if formula_cached
        else TableCell(formula="of:=[.C3]+[.C4]")
    )
    row(text("المجموع"), TableCell(), total, TableCell())
    row(TableCell(numbercolumnsrepeated=4))  # an empty trailing row
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def _project(root: Path, figures: str, section: str = SECTION, book: str = "xlsx", **kw) -> Path:
    project = make_project(root, {"data/figures.yaml": figures, "data/sections/01.md": section})
    if book == "xlsx":
        _xlsx(project / "data" / "stats.xlsx", **kw)
    else:
        _ods(project / "data" / "stats.ods", **kw)
    return project


FIGURES = """\
figures:
  visitors:
    label: الزوار حسب المدينة
    series: {workbook: stats.xlsx, sheet: Sheet1, range: A2:B20, key: city, value: visitors, header: 1}
  share:
    label: حصة فاس
    value: {workbook: stats.xlsx, sheet: Sheet1, cell: C4}
    unit: "%"
  total:
    label: المجموع
    value: {workbook: stats.xlsx, cell: F3}
tables:
  cities:
    caption: الزوار
    workbook: stats.xlsx
    range: A2:D20
    columns:
      city: المدينة
      visitors: {label: الزوار, format: number}
      share: {label: الحصة, format: percent}
      day: {label: اليوم, format: date}
"""


def _errors(project: Path) -> list[str]:
    result = run_cli("check", str(project))
    assert result.returncode == 2, result.stdout + result.stderr
    return result.stderr.strip().splitlines()


def test_xlsx_series_cells_and_tables_read_as_the_cells_show_them(tmp_path):
    project = _project(tmp_path / "p", FIGURES, cached={"F3": "2434"})
    data = load_project(project).data
    # Arabic-Indic digits in a text cell, a percent cell as its percentage, a formula by its cached value.
    assert data.figures["visitors"].series == {"الرباط": 1200, "فاس": 1234}
    assert data.figures["share"].value == 52.7
    assert data.figures["total"].value == 2434
    table = data.tables["cities"].csv
    assert table.header == ["city", "visitors", "share", "day"]  # the merged title above is left out
    assert table.rows[0] == {"city": "الرباط", "visitors": "1200", "share": "47.3", "day": "2024-03-01"}
    assert len(table.rows) == 2  # the formatted empty row below is not a row
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr
    text = squash(read_pdf(project / "output" / "briefing.pdf").text)
    assert "1.234" in text and "52,7%" in text
    assert squash("الرباط1.20047,3%1مارس2024") in text  # the table's first row


def test_a_formula_without_a_cached_value_is_an_error_at_its_cell(tmp_path):
    project = _project(tmp_path / "p", FIGURES)  # openpyxl saved =B3+B4 without its value
    assert _errors(project) == [
        "data/stats.xlsx:Sheet1!F3: formula without a cached value: open and save the file in Excel/LibreOffice"
    ]


def test_a_text_cell_in_a_number_column_is_one_line_at_the_cell(tmp_path):
    project = _project(tmp_path / "p", FIGURES, cached={"F3": "2434"})
    book = openpyxl.load_workbook(project / "data" / "stats.xlsx")
    book["Sheet1"]["B4"] = "غير متوفر"
    book.save(project / "data" / "stats.xlsx")
    _cache(project / "data" / "stats.xlsx", {"F3": "2434"})
    # The cell feeds a series and a table: each use says so at the cell.
    assert _errors(project) == [
        'data/stats.xlsx:Sheet1!B4: expected a number, got "غير متوفر"',
        "data/stats.xlsx:Sheet1!B4: table 'cities': column 'visitors' is a number column ('format: number'), "
        "got 'غير متوفر'",
    ]


def test_a_percent_cell_needs_a_percent_unit(tmp_path):
    figures = FIGURES.replace('    unit: "%"\n', "")
    project = _project(tmp_path / "p", figures, cached={"F3": "2434"})
    assert _errors(project) == [
        "data/stats.xlsx:Sheet1!C4: figure 'share': the cell shows a percentage (52.7%): give the figure 'unit: \"%\"'"
    ]


def test_a_date_is_not_a_number_and_an_empty_cell_follows_missing(tmp_path):
    figures = """\
figures:
  days:
    label: أيام
    series: {workbook: stats.xlsx, range: A2:D4, key: city, value: day}
  gaps:
    label: فراغات
    series: {workbook: stats.xlsx, range: A2:E4, key: city, value: E, missing: true}
"""
    project = _project(tmp_path / "p", figures, section="# قسم\n\nنص.\n", cached={"F3": "1", "E3": "7"})
    book = openpyxl.load_workbook(project / "data" / "stats.xlsx")
    book["Sheet1"]["E2"] = "E"
    book.save(project / "data" / "stats.xlsx")
    _cache(project / "data" / "stats.xlsx", {"F3": "1", "E3": "7"})
    assert _errors(project) == [
        'data/stats.xlsx:Sheet1!D3: expected a number, got "2024-03-01"',
        'data/stats.xlsx:Sheet1!D4: expected a number, got "2024-03-02"',
    ]
    project = _project(
        tmp_path / "q",
        figures.replace(
            "  days:\n    label: أيام\n    series: {workbook: stats.xlsx, range: A2:D4, key: city, value: day}\n",
            "",
        ),
        section="# قسم\n\nنص.\n",
        cached={"F3": "1", "E3": "7"},
    )
    book = openpyxl.load_workbook(project / "data" / "stats.xlsx")
    book["Sheet1"]["E2"] = "E"
    book.save(project / "data" / "stats.xlsx")
    _cache(project / "data" / "stats.xlsx", {"F3": "1", "E3": "7"})
    figure = load_project(project).data.figures["gaps"]
    assert figure.series == {"الرباط": 7} and figure.gaps == ("فاس",)


def test_named_ranges_and_sheet_names_with_suggestions(tmp_path):
    project = _project(tmp_path / "p", FIGURES, cached={"F3": "2434"})
    book = openpyxl.load_workbook(project / "data" / "stats.xlsx")
    book.defined_names["cities"] = openpyxl.workbook.defined_name.DefinedName(
        "cities", attr_text="Sheet1!$A$2:$B$4"
    )
    book.save(project / "data" / "stats.xlsx")
    _cache(project / "data" / "stats.xlsx", {"F3": "2434"})
    figures = FIGURES.replace("sheet: Sheet1, range: A2:B20", "range: cities")
    (project / "data" / "figures.yaml").write_text(figures, encoding="utf-8")
    assert load_project(project).data.figures["visitors"].series == {"الرباط": 1200, "فاس": 1234}
    (project / "data" / "figures.yaml").write_text(
        figures.replace("range: cities", "sheet: Sheet2, range: A1:B4")
    )
    [line] = _errors(project)
    assert "data/figures.yaml:4:" in line and "has no sheet 'Sheet2' (sheets: Sheet1)" in line


def test_ods_merged_headers_percentages_dates_and_cached_formulas(tmp_path):
    figures = """\
figures:
  visitors_2023:
    label: الزوار
    series: {workbook: stats.ods, sheet: الزوار, range: A1:C4, header: 2, key: المدينة, value: "2023"}
  total:
    label: المجموع
    value: {workbook: stats.ods, cell: C5}
tables:
  cities:
    caption: الزوار
    workbook: stats.ods
    header: 2
    columns:
      المدينة: المدينة
      "2022": {label: "2022", format: number, missing: —}
      اليوم: {label: اليوم, format: date, missing: —}
"""
    project = _project(tmp_path / "p", figures, section="# قسم\n\nنص.\n", book="ods")
    with pytest.raises(ReportError) as caught:
        load_project(project)
    # C4 is a percentage: the series's figure has no unit '%'.
    assert caught.value.display(project) == (
        "data/stats.ods:الزوار!C4: figure 'visitors_2023': the cell shows a percentage (47.3%): "
        "give the figure 'unit: \"%\"'"
    )
    project.joinpath("data/figures.yaml").write_text(
        figures.replace('value: "2023"}', 'value: "2023"}\n    unit: "%"')
    )
    data = load_project(project).data
    assert data.figures["visitors_2023"].series == {"الرباط": 1200, "فاس": 47.3}
    assert data.figures["total"].value == 1200.473
    table = data.tables["cities"].csv
    # The city's header, merged over two rows, names its column in the second.
    assert table.header == ["المدينة", "2022", "2023", "اليوم"]
    assert table.rows[0]["اليوم"] == "2024-03-01" and table.rows[1]["2022"] == "١٢٣٤"
    assert [row["المدينة"] for row in table.rows] == ["الرباط", "فاس", "المجموع"]  # no empty trailing row


def test_ods_formula_without_value_and_a_merged_header_read_as_one_row(tmp_path):
    figures = """\
figures:
  total:
    label: المجموع
    value: {workbook: stats.ods, cell: C5}
tables:
  cities:
    caption: الزوار
    workbook: stats.ods
    range: A1:C4
"""
    project = _project(tmp_path / "p", figures, section="# قسم\n\nنص.\n", book="ods", formula_cached=False)
    with pytest.raises(ProjectErrors) as caught:
        load_project(project)
    lines = [error.display(project) for error in caught.value.errors]
    assert lines == [
        "data/stats.ods:الزوار!C5: formula without a cached value: open and save the file in Excel/LibreOffice",
        "data/stats.ods:الزوار!C1: column 'الزوار' appears twice in the header (first in B1) (a merged header "
        "cell: name each column in a row below it and give 'header:')",
    ]


def test_hostile_workbooks_are_refused_before_they_are_read(tmp_path):
    figures = "figures:\n  x:\n    label: س\n    value: {workbook: stats.xlsx, cell: A1}\n"
    project = make_project(tmp_path / "p", {"data/figures.yaml": figures})
    book = project / "data" / "stats.xlsx"
    # A zip bomb: 30 MB of zeros packed into a few KB.
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    [line] = _errors(project)
    assert line.startswith("data/stats.xlsx: refused: the workbook's part xl/worksheets/sheet1.xml unpacks")
    # One cell at the far corner of the sheet: the reader would build 17 billion cells.
    far = openpyxl.Workbook()
    far.active["A1"] = 1
    far.active["XFD1048576"] = 2
    far.save(book)
    [line] = _errors(project)
    assert (
        line
        == "data/stats.xlsx: refused: the sheet 'Sheet' spans more than 1,000,000 cells (a cell far down or far right?)"
    )
    # Not a workbook at all, and a macro-enabled one by its name.
    book.write_bytes(b"PK not really")
    assert _errors(project)[0].startswith("data/stats.xlsx: not a workbook")
    (project / "data" / "figures.yaml").write_text(figures.replace("stats.xlsx", "stats.xlsm"))
    assert "only .xlsx and .ods workbooks are read" in _errors(project)[0]


def test_a_changed_workbook_rebuilds_shows_in_diff_and_travels_in_the_pdfa(tmp_path):
    project = _project(tmp_path / "p", FIGURES, cached={"F3": "2434"})
    assert run_cli("build", str(project)).returncode == 0
    assert "is up to date" in run_cli("build", str(project)).stdout
    book = openpyxl.load_workbook(project / "data" / "stats.xlsx")
    book["Sheet1"]["B4"] = 1500
    book.save(project / "data" / "stats.xlsx")
    _cache(project / "data" / "stats.xlsx", {"F3": "2700"})
    diff = run_cli("diff", str(project))
    assert diff.returncode == 0, diff.stderr
    lines = diff.stdout.splitlines()
    assert any(line.split()[:4] == ["visitors[فاس]", "1.234", "->", "1.500"] for line in lines), lines
    assert any(line.split()[:4] == ["total", "2.434", "->", "2.700"] for line in lines), lines
    result = run_cli("build", str(project), "--variant", "pdf/a-3b")
    assert result.returncode == 0, result.stderr
    built = run_cli("build", str(project))
    assert "wrote" in built.stdout  # the workbook changed since the screen PDF was built
    attached = pypdf.PdfReader(project / "output" / "briefing-pdfa.pdf").attachments
    assert "data/stats.xlsx" in attached
    assert attached["data/stats.xlsx"][0] == (project / "data" / "stats.xlsx").read_bytes()
    manifest = (project / "output" / "briefing.pdf.manifest.json").read_text()
    assert '"data/stats.xlsx"' in manifest
