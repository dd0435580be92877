"""Read YAML and CSV files into Python values that remember where each key was written."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import files
from .bidi import control_problem, refuse_controls
from .errors import ErrorCollector, Location, ReportError
from .limits import (
    MAX_CSV_ROWS,
    MAX_NUMBER_DIGITS,
    MAX_YAML_ALIASES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    MAX_YAML_STRING,
)


class LocatedDict(dict):
    """A mapping from a YAML file that knows the line and column of each key."""

    location: Location
    key_locations: dict[Any, Location]

    def where(self, key: Any) -> Location:
        """Return where `key` was written, or where the mapping starts."""
        return self.key_locations.get(key, self.location)


# libyaml's parser when available (several times faster), with the same safe constructors.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseParser = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class YamlInt(int):
    """A whole number read from YAML that keeps the text it was written as (`010`, `+5`).

    `str()` gives that text, so a field that wants text (`edition: 010`) keeps what the
    user wrote; arithmetic and `repr()` see the number.
    """

    source: str

    def __str__(self) -> str:
        return self.source


class YamlFloat(float):
    """A decimal number read from YAML that keeps its text (`2024.10`, not 2024.1)."""

    source: str

    def __str__(self) -> str:
        return self.source


# Messages that name a value's type ("'int' object is not iterable") read as before.
YamlInt.__name__ = "int"
YamlFloat.__name__ = "float"


def number_hint(value: Any) -> str | None:
    """For a number written with a leading zero (`010`), how to write it; else None.

    A number field should refuse it: the writer may have meant text, or an octal 8.
    """
    source = getattr(value, "source", None)
    if isinstance(source, str) and re.fullmatch(r"[-+]?0[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?", source):
        return f"write {value!r}, or quote it as text"
    return None


class _Loader(_SafeBase):
    """SafeLoader reading YAML 1.2 core scalars, building LocatedDicts, refusing duplicate keys."""

    path: Path


# YAML 1.2 core schema: only decimal numbers, true/false and null are implicit; `yes`, `on`,
# `0x1F`, `1:30` stay text, `010` is ten (and keeps its text). Dates stay dates.
_Loader.yaml_implicit_resolvers = {}
_RESOLVERS = [
    ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"[-+]?[0-9]+", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
    # YAML 1.1 digit groups (`1_000_000`): refused, not read as text a number field might parse.
    ("tag:report,underscored", r"[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?", "-+0123456789"),
    ("tag:yaml.org,2002:merge", r"<<", "<"),
    (
        "tag:yaml.org,2002:timestamp",
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
        r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
        r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?",
        "0123456789",
    ),
]
for _tag, _pattern, _first in _RESOLVERS:
    _Loader.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$"), list(_first))


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> YamlInt:
    digits = len(node.value.lstrip("+-"))
    if digits > 1000:  # past Python's own limit for int(), and far past any figure
        message = f"a whole number of {digits} digits; at most {MAX_NUMBER_DIGITS} are allowed"
        raise ReportError(message, _location(loader.path, node.start_mark))
    number = YamlInt(int(node.value))
    number.source = node.value
    return number


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> YamlFloat:
    text = node.value.lower().lstrip("+")
    special = {".inf": "inf", "-.inf": "-inf", ".nan": "nan"}
    number = YamlFloat(float(special.get(text, text)))
    number.source = node.value
    return number


def _construct_underscored(loader: _Loader, node: yaml.ScalarNode) -> None:
    plain = node.value.replace("_", "")
    raise ReportError(
        f"'{node.value}': write {plain} without '_', or quote it as text",
        _location(loader.path, node.start_mark),
    )


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    """Text, bounded in length, with no bidi control even when written as an escape (`\\u202E`).

    Raw controls are refused on the file's text before parsing; escapes only appear here.
    """
    value = loader.construct_scalar(node)
    if len(value) > MAX_YAML_STRING:
        raise ReportError(
            f"refused: a text of {len(value):,} characters; at most {MAX_YAML_STRING:,} are allowed",
            _location(loader.path, node.start_mark),
        )
    problem = control_problem(value)
    if problem is not None:
        raise ReportError(problem[1], _location(loader.path, node.start_mark))
    return value


@dataclass(frozen=True)
class BadDate:
    """An impossible date (`2024-02-30`) as read: kept in place so that the rest of the file is
    read too; schema.bad_dates() reports it at the key that holds it, with the key named."""

    text: str
    reason: str
    location: Location

    def __str__(self) -> str:
        return self.text


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """A date or time; an impossible one (`2024-02-30`) becomes a BadDate, reported later."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as error:
        return BadDate(node.value, str(error), _location(loader.path, node.start_mark))


_MERGE = "tag:yaml.org,2002:merge"


def _construct_mapping(loader: _Loader, node: yaml.MappingNode):
    mapping = LocatedDict()
    mapping.location = _location(loader.path, node.start_mark)
    mapping.key_locations = {}
    yield mapping
    own_count = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE)
    loader.flatten_mapping(node)
    merged = len(node.value) - own_count  # `<<: *base` pairs come first; the mapping's own keys win
    own_keys: set[Any] = set()
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise ReportError(
                "a mapping key must be a plain value", _location(loader.path, key_node.start_mark)
            ) from None
        where = _location(loader.path, key_node.start_mark)
        if index >= merged:
            if key in own_keys:
                first = mapping.key_locations[key]
                raise ReportError(f"duplicate key '{key}' (first written on line {first.line})", where)
            own_keys.add(key)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_locations[key] = where


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:report,underscored", _construct_underscored)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _location(path: Path, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


def _check_bounds(text: str, path: Path) -> None:
    """Refuse alias bombs, deep nesting and huge documents from the event stream, before composing.

    libyaml's parser is not recursive and builds nothing, so this pass costs little memory;
    the composer and constructor that follow are recursive and would expand what they build.
    Each anchor's size counts its aliases expanded, so `*lol9` of a billion laughs weighs 10^9.
    """
    sizes: dict[str, int] = {}  # anchor -> values it stands for, aliases expanded
    open_: list[tuple[int, str | None]] = []  # collections being read: (values before, anchor)
    nodes = aliases = 0
    loader = _BaseParser(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            problem = None
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                open_.append((nodes, event.anchor))
                nodes += 1
                if len(open_) > MAX_YAML_DEPTH:
                    problem = f"lists and mappings nested deeper than {MAX_YAML_DEPTH} levels"
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                before, anchor = open_.pop()
                if anchor is not None:
                    sizes[anchor] = nodes - before
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    problem = f"more than {MAX_YAML_ALIASES} aliases (*name) in one file"
                elif any(anchor == event.anchor for _, anchor in open_):
                    problem = f"the alias *{event.anchor} refers to a value that contains it"
                nodes += sizes.get(event.anchor, 1)
            if problem is None and nodes > MAX_YAML_NODES:
                problem = f"more than {MAX_YAML_NODES} values (with aliases expanded) in one file"
            if problem:
                raise ReportError(f"refused: {problem}", _location(path, event.start_mark))
    except yaml.MarkedYAMLError as error:
        # Newer libyaml scans a flow collection ahead and stops at its own depth limit (1000).
        if "nesting depth" not in str(error.problem):
            raise
        problem = f"lists and mappings nested deeper than {MAX_YAML_DEPTH} levels"
        raise ReportError(f"refused: {problem}", _location(path, error.problem_mark)) from None
    finally:
        loader.dispose()


def read_text(path: Path, root: Path | None = None) -> str:
    """Read a UTF-8 text file inside project `root` (see files.read_text); a BOM and CRLF are accepted.

    Without `root` the path is trusted (given on the command line) but still checked for kind and size.
    """
    return files.read_text(path, files.allowed_roots(root) if root is not None else None)


def load_yaml(path: Path, root: Path | None = None) -> Any:
    """Parse a YAML file of project `root` safely; syntax errors carry the file, line and column."""
    text = read_text(path, root)
    refuse_controls(text, path)
    loader = _Loader(text)
    loader.path = path
    try:
        _check_bounds(text, path)
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

    def where(self, index: int, column: str | None = None) -> Location:
        """The place of row `index` (its `column` cell, in a workbook) for an error."""
        return Location(self.path, self.lines[index])

    def place(self, index: int) -> str:
        """Row `index` named for a message: "line 4" (a workbook's: "row 4")."""
        return f"line {self.lines[index]}"


def load_csv(
    path: Path, root: Path | None = None, bidi_controls: bool = False, max_rows: int | None = MAX_CSV_ROWS
) -> CsvTable:
    """Parse a CSV file (of project `root`, see read_text) with a header row; rows have its width.

    Bidi controls are refused unless the caller strips them itself (`bidi_controls`), as the
    recipients list does with every invisible character. Past `max_rows` rows the file is
    refused at the first row too many (the recipients list has its own bound: None).
    """
    text = read_text(path, root)
    if not bidi_controls:
        refuse_controls(text, path)
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
            if max_rows is not None and len(rows) >= max_rows:
                errors.add(f"refused: more than {max_rows:,} rows in one CSV file", Location(path, line))
                break
            rows.append(dict(zip(header, cells, strict=True)))
            lines.append(line)
    except csv.Error as error:
        hint = " (a quotation mark opened and never closed?)" if "end of data" in str(error) else ""
        raise ReportError(f"invalid CSV: {error}{hint}", Location(path, reader.line_num)) from None
    if not header:
        errors.add("the CSV file is empty: a header row is expected", Location(path))
    errors.raise_if_any()
    return CsvTable(path, header, rows, lines)
