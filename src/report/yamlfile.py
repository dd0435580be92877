"""Read YAML and CSV files into Python values that remember where each key was written."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ErrorCollector, Location, ReportError


class LocatedDict(dict):
    """A mapping from a YAML file that knows the line and column of each key."""

    location: Location
    key_locations: dict[Any, Location]

    def where(self, key: Any) -> Location:
        """Return where `key` was written, or where the mapping starts."""
        return self.key_locations.get(key, self.location)


# libyaml's parser when available (several times faster), with the same safe constructors.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):
    """SafeLoader that builds LocatedDicts and refuses duplicate keys."""

    path: Path


def _construct_mapping(loader: _Loader, node: yaml.MappingNode):
    mapping = LocatedDict()
    mapping.location = _location(loader.path, node.start_mark)
    mapping.key_locations = {}
    yield mapping
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise ReportError(
                "a mapping key must be a plain value", _location(loader.path, key_node.start_mark)
            ) from None
        where = _location(loader.path, key_node.start_mark)
        if key in mapping:
            first = mapping.key_locations[key]
            raise ReportError(f"duplicate key '{key}' (first written on line {first.line})", where)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_locations[key] = where


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def _location(path: Path, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


def read_text(path: Path) -> str:
    """Read a UTF-8 text file; a byte-order mark and CRLF line ends are accepted."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ReportError(f"cannot read file: {error.strerror}", Location(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ReportError("file is not UTF-8 text", Location(path, line)) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_yaml(path: Path) -> Any:
    """Parse a YAML file safely; syntax errors carry the file, line and column."""
    text = read_text(path)
    loader = _Loader(text)
    loader.path = path
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        lines = text.split("\n")
        if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
            problem += " (use spaces, not tabs, to indent)"
        raise ReportError(f"invalid YAML: {problem}", _location(path, mark)) from None
    except yaml.YAMLError as error:
        raise ReportError(f"invalid YAML: {error}", Location(path)) from None
    except (ValueError, TypeError, OverflowError) as error:
        # e.g. `date: 2024-02-30`: the YAML date constructor raises without a position.
        raise ReportError(f"invalid value: {error}", Location(path)) from None
    finally:
        loader.dispose()


@dataclass(frozen=True)
class CsvTable:
    """A CSV file: its header and its rows, each row with the line it came from."""

    path: Path
    header: list[str]
    rows: list[dict[str, str]]
    lines: list[int]


def load_csv(path: Path) -> CsvTable:
    """Parse a CSV file with a header row; every row must have the header's width."""
    text = read_text(path)
    errors = ErrorCollector()
    reader = csv.reader(io.StringIO(text), strict=True)
    header: list[str] = []
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            cells = [cell.strip() for cell in record]
            if not header:
                header = cells
                seen = set()
                for name in header:
                    if not name:
                        errors.add("empty column name in the header", Location(path, line))
                    elif name in seen:
                        errors.add(f"column '{name}' appears twice in the header", Location(path, line))
                    seen.add(name)
                continue
            if len(cells) != len(header):
                errors.add(
                    f"expected {len(header)} columns as in the header, found {len(cells)}",
                    Location(path, line),
                )
                continue
            rows.append(dict(zip(header, cells, strict=True)))
            lines.append(line)
    except csv.Error as error:
        hint = " (a quotation mark opened and never closed?)" if "end of data" in str(error) else ""
        raise ReportError(f"invalid CSV: {error}{hint}", Location(path, reader.line_num)) from None
    if not header:
        errors.add("the CSV file is empty: a header row is expected", Location(path))
    errors.raise_if_any()
    return CsvTable(path, header, rows, lines)
