"""Figures, series and tables from workbooks (.xlsx, .ods), read as the cells show them.

Values come from python-calamine, which reads each cell's stored value: a formula by the
value Excel or LibreOffice cached when the file was saved (calamine computes nothing,
runs no macro and opens no other file: a link to another workbook gives its cached value).
What calamine does not say, this module reads from the workbook's XML itself, with expat
and no document type allowed:

- which cells are formatted as percentages (a cell that shows 47.3% gives 47.3);
- which formula cells have no cached value (a file written by a program, never opened in
  a spreadsheet): an error, since the cell shows nothing the tool can read;
- merged cells (a merged header names every column it covers) and named ranges;
- the used rectangle of each sheet, checked against limits.MAX_WORKBOOK_CELLS before
  calamine builds it in memory.

A workbook is a zip file: its list of members is checked (count, unpacked size, packing
ratio) before anything is unpacked, and every part is read with a bound.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any
from xml.parsers import expat

from . import files
from .errors import ErrorCollector, Location, ReportError
from .limits import (
    MAX_CSV_ROWS,
    MAX_WORKBOOK_CELLS,
    MAX_WORKBOOK_MEMBERS,
    MAX_WORKBOOK_RATIO,
    MAX_WORKBOOK_UNPACKED_BYTES,
)
from .yamlfile import CsvTable

WORKBOOK_SUFFIXES = (".xlsx", ".ods")
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    return f"{column_letters(column)}{row + 1}"


def parse_ref(text: str) -> tuple[int, int] | None:
    """'C7' (or '$C$7') -> (6, 2), zero-based row and column; None if it is not a cell."""
    match = _REF.match(text.strip())
    if not match:
        return None
    column = 0
    for char in match.group(1).upper():
        column = column * 26 + ord(char) - 64
    row = int(match.group(2))
    # Past XFD (16,384 columns) or row 1,048,576 no spreadsheet has a cell.
    if row < 1 or row > 1_048_576 or column > 16_384:
        return None
    return row - 1, column - 1


def parse_range(text: str) -> tuple[int, int, int, int] | None:
    """'A1:D20' -> (0, 0, 19, 3); a single cell is a range of one."""
    parts = text.split(":")
    if len(parts) == 1:
        cell = parse_ref(parts[0])
        return None if cell is None else (*cell, *cell)
    if len(parts) != 2:
        return None
    first, last = parse_ref(parts[0]), parse_ref(parts[1])
    if first is None or last is None:
        return None
    return (min(first[0], last[0]), min(first[1], last[1]), max(first[0], last[0]), max(first[1], last[1]))


def sheet_ref(sheet: str, ref: str) -> str:
    """`Sheet1!C7`, the sheet quoted as spreadsheets quote it when it holds spaces or punctuation."""
    plain = re.fullmatch(r"[\w.]+", sheet) is not None
    shown = sheet if plain else "'" + sheet.replace("'", "''") + "'"
    return f"{shown}!{ref}"


# -- the archive -----------------------------------------------------------------------


def _archive(raw: bytes, path: Path) -> zipfile.ZipFile:
    """Open a workbook's zip after checking its list of members: no bomb is unpacked."""
    where = Location(path)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ReportError("not a workbook: the file is not a valid .xlsx or .ods (zip) file", where) from None
    members = archive.infolist()
    if len(members) > MAX_WORKBOOK_MEMBERS:
        raise ReportError(f"refused: the workbook holds more than {MAX_WORKBOOK_MEMBERS:,} parts", where)
    total = 0
    for member in members:
        total += member.file_size
        packed = max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and member.file_size / packed > MAX_WORKBOOK_RATIO:
            raise ReportError(
                f"refused: the workbook's part {member.filename} unpacks {member.file_size / packed:,.0f} "
                f"times its size (a zip bomb?); at most {MAX_WORKBOOK_RATIO} is allowed",
                where,
            )
    if total > MAX_WORKBOOK_UNPACKED_BYTES:
        mb = 1024 * 1024
        raise ReportError(
            f"refused: the workbook unpacks to {total / mb:,.0f} MB, over the "
            f"{MAX_WORKBOOK_UNPACKED_BYTES // mb} MB limit",
            where,
        )
    return archive


def _part(archive: zipfile.ZipFile, name: str, path: Path) -> bytes | None:
    """One member, read with a bound whatever its header says (None when it is not there)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    try:
        with archive.open(info) as stream:
            data = stream.read(MAX_WORKBOOK_UNPACKED_BYTES + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as error:
        raise ReportError(f"not a readable workbook: {name}: {error}", Location(path)) from None
    if len(data) > MAX_WORKBOOK_UNPACKED_BYTES:
        raise ReportError(f"refused: the workbook's part {name} unpacks past the limit", Location(path))
    return data


def _parse(data: bytes, start, end=None, text=None, name: str = "", path: Path | None = None) -> None:
    """Run expat over one XML part with local element and attribute names; no DTD, no entities."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_args: Any) -> None:
        raise ReportError(f"refused: the workbook's part {name} declares a document type", Location(path))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse

    def local(qname: str) -> str:
        return qname.rsplit(" ", 1)[-1]

    parser.StartElementHandler = lambda tag, attrs: start(
        local(tag), {local(key): value for key, value in attrs.items()}
    )
    if end is not None:
        parser.EndElementHandler = lambda tag: end(local(tag))
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise ReportError(f"not a readable workbook: {name}: {error}", Location(path)) from None


# -- what the XML says that calamine does not --------------------------------------------


@dataclass
class SheetInfo:
    """A sheet's cells that need more than their value, and its used rectangle."""

    name: str
    rows: int = 0  # last used row + 1
    columns: int = 0
    percent: set[tuple[int, int]] = field(default_factory=set)
    uncached: set[tuple[int, int]] = field(default_factory=set)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)

    def use(self, row: int, column: int) -> None:
        self.rows = max(self.rows, row + 1)
        self.columns = max(self.columns, column + 1)

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def _xlsx_info(archive: zipfile.ZipFile, path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Sheet name -> its XML part, and named range -> 'Sheet!$A$1:$B$2'."""
    workbook = _part(archive, "xl/workbook.xml", path)
    rels = _part(archive, "xl/_rels/workbook.xml.rels", path)
    if workbook is None or rels is None:
        raise ReportError("not a workbook: the .xlsx file has no xl/workbook.xml", Location(path))
    targets: dict[str, str] = {}

    def rel(tag: str, attrs: dict[str, str]) -> None:
        if tag == "Relationship" and "Id" in attrs and "Target" in attrs:
            target = attrs["Target"]
            target = target[1:] if target.startswith("/") else "xl/" + target
            targets[attrs["Id"]] = str(PurePosixPath(target))

    _parse(rels, rel, name="xl/_rels/workbook.xml.rels", path=path)
    sheets: dict[str, str] = {}
    names: dict[str, str] = {}
    current: list[str] = []
    buffer: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "sheet" and attrs.get("id") in targets:
            sheets[attrs.get("name", "")] = targets[attrs["id"]]
        elif tag == "definedName" and "localSheetId" not in attrs:
            current.append(attrs.get("name", ""))
            buffer.clear()

    def end(tag: str) -> None:
        if tag == "definedName" and current:
            names[current.pop()] = "".join(buffer)

    _parse(workbook, start, end, buffer.append, "xl/workbook.xml", path)
    return sheets, names


def _xlsx_percent_styles(archive: zipfile.ZipFile, path: Path) -> set[int]:
    """Indices of the cell styles whose number format shows a percentage."""
    styles = _part(archive, "xl/styles.xml", path)
    if styles is None:
        return set()
    custom: dict[str, str] = {}
    formats: list[str] = []
    inside = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "numFmt":
            custom[attrs.get("numFmtId", "")] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            inside.append(True)
        elif tag == "xf" and inside:
            formats.append(attrs.get("numFmtId", "0"))

    def end(tag: str) -> None:
        if tag == "cellXfs" and inside:
            inside.pop()

    _parse(styles, start, end, name="xl/styles.xml", path=path)

    def is_percent(fmt: str) -> bool:
        if fmt in ("9", "10"):
            return True
        code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", custom.get(fmt, ""))
        return "%" in code

    return {index for index, fmt in enumerate(formats) if is_percent(fmt)}


def _xlsx_sheet(archive: zipfile.ZipFile, part: str, name: str, percent_styles: set[int], path: Path):
    data = _part(archive, part, path)
    info = SheetInfo(name)
    if data is None:
        return info
    cell: dict[str, Any] = {}
    next_row = [0]
    next_column = [0]

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "row":
            row = attrs.get("r")
            next_row[0] = int(row) - 1 if row and row.isdigit() else next_row[0]
            next_column[0] = 0
        elif tag == "c":
            place = parse_ref(attrs.get("r", "")) if attrs.get("r") else (next_row[0], next_column[0])
            place = place or (next_row[0], next_column[0])
            style = attrs.get("s", "0")
            cell.clear()
            cell.update(place=place, style=int(style) if style.isdigit() else 0, f=False, v=False)
            next_column[0] = place[1] + 1
        elif tag == "f" and cell:
            cell["f"] = True
        elif tag == "is" and cell:
            cell["v"] = True
        elif tag == "v" and cell:
            cell["in_v"] = True
        elif tag == "mergeCell":
            box = parse_range(attrs.get("ref", ""))
            if box:
                info.merges.append(box)

    def text(data: str) -> None:
        if cell.get("in_v") and data.strip():
            cell["v"] = True  # openpyxl writes a formula's missing value as an empty <v></v>

    def end(tag: str) -> None:
        if tag == "v" and cell:
            cell["in_v"] = False
        elif tag == "c" and cell:
            row, column = cell["place"]
            if cell["v"] or cell["f"]:
                info.use(row, column)
            if cell["f"] and not cell["v"]:
                info.uncached.add((row, column))
            if cell["style"] in percent_styles:
                info.percent.add((row, column))
            cell.clear()
        elif tag == "row":
            next_row[0] += 1

    _parse(data, start, end, text, name=part, path=path)
    return info


def _ods_info(archive: zipfile.ZipFile, path: Path) -> tuple[list[SheetInfo], dict[str, str]]:
    data = _part(archive, "content.xml", path)
    if data is None:
        raise ReportError("not a workbook: the .ods file has no content.xml", Location(path))
    sheets: list[SheetInfo] = []
    names: dict[str, str] = {}
    depth = [0]  # tables inside tables (a cell's sub-table) are not sheets
    row = [0]
    column = [0]
    repeat = [1]
    cell: dict[str, Any] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "table":
            depth[0] += 1
            if depth[0] == 1:
                sheets.append(SheetInfo(attrs.get("name", "")))
                row[0] = 0
        elif depth[0] != 1:
            if tag == "named-range" and "cell-range-address" in attrs:
                names[attrs.get("name", "")] = attrs["cell-range-address"]
        elif tag == "table-row":
            column[0] = 0
            repeat[0] = _count(attrs.get("number-rows-repeated"))
        elif tag in ("table-cell", "covered-table-cell"):
            cell.clear()
            cell.update(
                columns=_count(attrs.get("number-columns-repeated")),
                used="value-type" in attrs or "formula" in attrs,
                percent=attrs.get("value-type") == "percentage",
                uncached="formula" in attrs and "value-type" not in attrs,
                span=(_count(attrs.get("number-rows-spanned")), _count(attrs.get("number-columns-spanned"))),
            )
        elif tag == "p" and cell:
            cell["used"] = True

    def end(tag: str) -> None:
        if tag == "table":
            depth[0] -= 1
        elif depth[0] != 1:
            return
        elif tag in ("table-cell", "covered-table-cell") and cell:
            sheet = sheets[-1]
            first, count = column[0], cell["columns"]
            if cell["used"]:
                sheet.use(row[0] + repeat[0] - 1, first + count - 1)
                # calamine reads every sheet of an .ods file at once: all of them count.
                if sum(s.cells for s in sheets) > MAX_WORKBOOK_CELLS:
                    raise _too_many(sheet.name, path, together=len(sheets) > 1)
                if cell["percent"] or cell["uncached"]:
                    marked = sheet.percent if cell["percent"] else sheet.uncached
                    marked.update(
                        (r, c) for r in range(row[0], row[0] + repeat[0]) for c in range(first, first + count)
                    )
            rows, columns = cell["span"]
            if rows > 1 or columns > 1:
                sheet.merges.append((row[0], first, row[0] + rows - 1, first + columns - 1))
            column[0] += count
            cell.clear()
        elif tag == "table-row":
            row[0] += repeat[0]

    _parse(data, start, end, name="content.xml", path=path)
    return sheets, names


def _count(text: str | None) -> int:
    return int(text) if text and text.isdigit() and int(text) > 0 else 1


def _too_many(sheet: str, path: Path, together: bool = False) -> ReportError:
    what = f"the sheets up to '{sheet}' span" if together else f"the sheet '{sheet}' spans"
    return ReportError(
        f"refused: {what} more than {MAX_WORKBOOK_CELLS:,} cells (a cell far down or far right?)",
        Location(path),
    )


# -- the workbook ------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkbookTable(CsvTable):
    """A rectangle of a sheet read like a CSV file: a header, then rows of text as the cells show it.

    Numbers are written plainly ("1200", "47.3" for a cell that shows 47.3%), dates as
    YYYY-MM-DD; `refs` name each row's cells (`C7`) for errors, `percent` the percentage cells.
    """

    sheet: str = ""
    refs: list[dict[str, str]] = field(default_factory=list)
    percent: frozenset[tuple[int, str]] = frozenset()

    def where(self, index: int, column: str | None = None) -> Location:
        refs = self.refs[index]
        ref = refs[column] if column in refs else next(iter(refs.values()))
        return Location(self.path, cell=sheet_ref(self.sheet, ref))

    def place(self, index: int) -> str:
        return f"row {self.lines[index]}"


class Workbook:
    """One .xlsx or .ods file of a project, checked, with the sheets asked for read once."""

    def __init__(self, path: Path, roots: list[Path]) -> None:
        import python_calamine

        self.path = path
        self.raw = files.read_bytes(path, roots)
        archive = _archive(self.raw, path)
        self.kind = path.suffix.lower()
        self.infos: dict[str, SheetInfo] = {}
        if self.kind == ".ods":
            sheets, self.names = _ods_info(archive, path)
            self.infos = {sheet.name: sheet for sheet in sheets}
            self.sheet_parts: dict[str, str] = {}
            self.percent_styles: set[int] = set()
        else:
            self.sheet_parts, self.names = _xlsx_info(archive, path)
            self.percent_styles = _xlsx_percent_styles(archive, path)
        self.archive = archive
        try:
            self.book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self.raw))
        except Exception as error:  # noqa: BLE001 - calamine raises its own family of errors
            raise ReportError(f"not a readable workbook: {_short(error)}", Location(path)) from None
        self.sheet_names: list[str] = list(self.book.sheet_names)
        self.grids: dict[str, list[list[Any]]] = {}

    def info(self, sheet: str) -> SheetInfo:
        if sheet not in self.infos:
            part = self.sheet_parts.get(sheet)
            info = _xlsx_sheet(self.archive, part, sheet, self.percent_styles, self.path) if part else None
            self.infos[sheet] = info or SheetInfo(sheet)
        info = self.infos[sheet]
        if info.cells > MAX_WORKBOOK_CELLS:
            raise _too_many(sheet, self.path)
        return info

    def grid(self, sheet: str) -> list[list[Any]]:
        if sheet not in self.grids:
            self.info(sheet)  # the used rectangle is checked before calamine builds it
            try:
                rows = self.book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as error:  # noqa: BLE001
                raise ReportError(f"sheet '{sheet}': {_short(error)}", Location(self.path)) from None
            self.grids[sheet] = rows
        return self.grids[sheet]

    def value(self, sheet: str, row: int, column: int) -> Any:
        rows = self.grid(sheet)
        if row < len(rows) and column < len(rows[row]):
            return rows[row][column]
        return ""

    def shown(self, sheet: str, row: int, column: int) -> tuple[str, bool]:
        """The cell as text, as it shows (percent as a percentage), and whether it is a percentage."""
        info = self.info(sheet)
        if (row, column) in info.uncached:
            raise ReportError(
                "formula without a cached value: open and save the file in Excel/LibreOffice",
                Location(self.path, cell=sheet_ref(sheet, cell_name(row, column))),
            )
        value = self.value(sheet, row, column)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        percent = number and (row, column) in info.percent
        return shown_text(value, percent), percent

    def resolve(
        self, sheet: str | None, span: str | None, what: str, where: Location, errors: ErrorCollector
    ) -> tuple[str, tuple[int, int, int, int] | None] | None:
        """The sheet and rectangle a `sheet:` and a `range:` (or a named range) name; None if they do not."""
        box = None
        if span is not None and parse_range(span) is None:
            named = self.names.get(span)
            if named is None:
                known = ", ".join(sorted(self.names)) or "none"
                errors.add(
                    f"{what}: '{span}' is neither a range such as A1:D20 nor a named range of "
                    f"{self.path.name} (named ranges: {known})",
                    where,
                )
                return None
            found = _named(named)
            if found is None:
                problem = f"the named range '{span}' is not one rectangle of a sheet ({named})"
                errors.add(f"{what}: {problem}", where)
                return None
            named_sheet, box = found
            if sheet is not None and sheet != named_sheet:
                problem = f"the named range '{span}' is on sheet '{named_sheet}', not '{sheet}'"
                errors.add(f"{what}: {problem}", where)
                return None
            sheet = named_sheet
        elif span is not None:
            box = parse_range(span)
        if sheet is None:
            if not self.sheet_names:
                errors.add(f"{what}: {self.path.name} has no sheet", where)
                return None
            sheet = self.sheet_names[0]
        if sheet not in self.sheet_names:
            from .schema import suggest

            errors.add(
                f"{what}: {self.path.name} has no sheet '{sheet}' (sheets: {', '.join(self.sheet_names)})"
                f"{suggest(sheet, self.sheet_names)}",
                where,
            )
            return None
        return sheet, box

    def table(
        self,
        name: str,
        sheet: str,
        box: tuple[int, int, int, int] | None,
        header: int,
        what: str,
        where: Location,
        errors: ErrorCollector,
    ) -> WorkbookTable | None:
        """The rectangle as a table: row `header` of it names the columns, the rows below are data.

        Rows above the header are left out (a title), so are empty rows (trailing ones too).
        A header cell covered by a merged cell takes the merged cell's text.
        """
        info = self.info(sheet)
        grid = self.grid(sheet)
        if box is None:
            box = (0, 0, max(len(grid), 1) - 1, max(info.columns, max((len(r) for r in grid), default=1)) - 1)
        top, left, bottom, right = box
        bottom = min(bottom, len(grid) - 1)
        head = top + header - 1
        if head > bottom:
            errors.add(f"{what}: the header row {header} is past the last row of {_area(sheet, box)}", where)
            return None
        columns = range(left, right + 1)
        names: list[str] = []
        for column in columns:
            text = shown_text(self.value(sheet, head, column), False).strip()
            if not text:
                text = self._merged_text(sheet, head, column)
            names.append(text)
        while names and not names[-1]:
            names.pop()  # empty columns to the right of the header
        columns = range(left, left + len(names))
        problems = ErrorCollector()
        seen: dict[str, int] = {}
        for column, text in zip(columns, names, strict=True):
            at = Location(self.path, cell=sheet_ref(sheet, cell_name(head, column)))
            if not text:
                problems.add("empty column name in the header", at)
            elif text in seen:
                merged = " (a merged header cell: name each column in a row below it and give 'header:')"
                hint = merged if self._merged_text(sheet, head, column) else ""
                problems.add(
                    f"column '{text}' appears twice in the header "
                    f"(first in {cell_name(head, seen[text])}){hint}",
                    at,
                )
            else:
                seen[text] = column
        if problems.errors:
            for error in problems.errors:
                errors.extend(error)
            return None
        rows: list[dict[str, str]] = []
        refs: list[dict[str, str]] = []
        lines: list[int] = []
        percent: set[tuple[int, str]] = set()
        for row in range(head + 1, bottom + 1):
            values = [self.value(sheet, row, column) for column in columns]
            if all(_empty(value) for value in values) and not any((row, c) in info.uncached for c in columns):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                errors.add(
                    f"refused: more than {MAX_CSV_ROWS:,} rows in one table of a workbook",
                    Location(self.path, cell=sheet_ref(sheet, cell_name(row, left))),
                )
                return None
            texts: dict[str, str] = {}
            for column, key in zip(columns, names, strict=True):
                try:
                    text, is_percent = self.shown(sheet, row, column)
                except ReportError as error:
                    errors.extend(error)
                    return None
                texts[key] = text.strip()
                if is_percent:
                    percent.add((len(rows), key))
            rows.append(texts)
            refs.append({key: cell_name(row, column) for column, key in zip(columns, names, strict=True)})
            lines.append(row + 1)
        return WorkbookTable(self.path, names, rows, lines, sheet, refs, frozenset(percent))

    def _merged_text(self, sheet: str, row: int, column: int) -> str:
        for top, left, bottom, right in self.info(sheet).merges:
            if top <= row <= bottom and left <= column <= right and (row, column) != (top, left):
                return shown_text(self.value(sheet, top, left), False).strip()
        return ""


def _area(sheet: str, box: tuple[int, int, int, int]) -> str:
    return sheet_ref(sheet, f"{cell_name(box[0], box[1])}:{cell_name(box[2], box[3])}")


def _named(text: str) -> tuple[str, tuple[int, int, int, int]] | None:
    """'Sheet1!$A$1:$B$3' (xlsx) or '$Sheet1.$A$1:.$B$3' (ods) -> the sheet and its rectangle."""
    text = text.strip()
    cells = r"(\$?[A-Za-z]+\$?\d+(?::\$?[A-Za-z]+\$?\d+)?)"
    match = re.fullmatch(r"(?:'((?:[^']|'')+)'|([^!'.$:]+))!" + cells, text)
    if match:
        sheet = (match.group(1) or "").replace("''", "'") or match.group(2)
        box = parse_range(match.group(3))
        return (sheet, box) if box else None
    match = re.fullmatch(
        r"\$?(?:'((?:[^']|'')+)'|([^.']+))\.(\$?[A-Za-z]+\$?\d+)(?::(?:\$?(?:'(?:[^']|'')+'|[^.']+))?\.(\$?[A-Za-z]+\$?\d+))?",
        text,
    )
    if match:
        sheet = (match.group(1) or "").replace("''", "'") or match.group(2)
        box = parse_range(match.group(3) + (":" + match.group(4) if match.group(4) else ""))
        return (sheet, box) if box else None
    return None


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 200 else text[:200] + "…"


def shown_text(value: Any, percent: bool) -> str:
    """A cell's value as plain text: numbers without grouping, a percentage as its percent."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        number = round(value * 100, 10) if percent else value
        if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
            return str(int(number))
        return repr(number)
    return str(value)


def cell_number(text: str, where: Location, errors: ErrorCollector, signed: bool = False) -> float | None:
    """A workbook cell's text as a number: `expected a number, got "غير متوفر"` when it is not one.

    Arabic-Indic digits in a text cell read as the same number.
    """
    from .schema import parse_number

    plain = text.strip().translate(_ARABIC_INDIC)
    if not _NUMBER.match(plain):
        shown = text if len(text) <= 40 else text[:30] + "…"
        errors.add(f'expected a number, got "{shown}"', where)
        return None
    return parse_number(plain, "the cell", where, errors, signed)
