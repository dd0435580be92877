"""Typed models of a report project, and the validation that turns raw YAML into them."""

from __future__ import annotations

import difflib
import math
import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ErrorCollector, Location
from .limits import MAX_CHART_TEXT, MAX_NUMBER_DIGITS
from .qualifiers import ALIASES, QUALIFIERS
from .yamlfile import BadDate, CsvTable, LocatedDict, number_hint

if TYPE_CHECKING:
    from .workbook import Workbook

# Opens a workbook of the project's data folder by name (None when it cannot: reported).
WorkbookLoader = Callable[[str, Location], "Workbook | None"]

NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# Arabic letters and marks, words separated by single spaces (a unit's forms).
_ARABIC_WORDS = (
    "[\u0621-\u064a\u064b-\u0652\u0670\u0671-\u06d3]+( [\u0621-\u064a\u064b-\u0652\u0670\u0671-\u06d3]+)*"
)
DIGITS = ("western", "arabic-indic")
PAGE_SIZES = ("A4", "A5", "letter", "A4-landscape", "A5-landscape", "letter-landscape")
FORMATS = ("number", "press", "percent", "date", "plain", "text")
_ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def suggest(word: str, choices: Any) -> str:
    """Return ' (did you mean 'x'?)' when a close match exists, else ''."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


@dataclass(frozen=True)
class Settings:
    """What the briefing is and how it is typeset (data/settings.yaml)."""

    title: str
    issuer: str
    date: date
    subtitle: str | None = None
    author: str | None = None
    subject: str | None = None
    keywords: tuple[str, ...] = ()
    hijri_date: bool = False
    edition: str | None = None
    classification: str | None = None
    language: str = "ar"
    locale: str = "ar_MA"
    digits: str = "western"
    page_size: str = "A4"
    output: str = "output/briefing.pdf"  # always inside OUTPUT_FOLDER: see output_problem()
    key_figures: tuple[str, ...] = ()
    markdown_html: bool = False
    whats_new: bool = False
    chart_fonts: tuple[str, ...] = (
        "NotoNaskhArabic-Regular.ttf",
        "NotoNaskhArabic-Bold.ttf",
        "NotoSans-Regular.ttf",
        "NotoSans-Bold.ttf",
    )
    location: Location | None = None


OUTPUT_FOLDER = "output"


def output_problem(raw: Any) -> str | None:
    """Why `output:` in settings cannot name the PDF, or None: it must be a .pdf inside output/.

    Only the text is checked here; the build also refuses symbolic links on the way
    (report.build.guard_output), which needs the project folder.
    """
    text = None if isinstance(raw, (dict, list, bool)) or raw is None else str(raw).strip()
    if text and any(unicodedata.category(char) in ("Cc", "Cf") for char in text):
        return f"settings: 'output' must not hold control or invisible characters, got {text!r}"
    if text:
        parts = posixpath.normpath(text).split("/")
        if (
            not posixpath.isabs(text)
            and "\\" not in text
            and len(parts) >= 2
            and parts[0] == OUTPUT_FOLDER
            and parts[-1].lower().endswith(".pdf")
            and parts[-1].lower() != ".pdf"
        ):
            return None
    shown = _kind(raw) if text is None else repr(text)
    return f"settings: 'output' must be a .pdf file inside the project's {OUTPUT_FOLDER}/ folder, got {shown}"


SETTING_KEYS = tuple(name for name in Settings.__dataclass_fields__ if name != "location")


@dataclass(frozen=True)
class Figure:
    """A number the briefing states, with everything a reader needs to trust it."""

    name: str
    label: str
    location: Location
    value: float | None = None
    series: dict[str, float] | None = None
    compute: str | None = None
    unit: str | None = None
    period: str | None = None
    source: str | None = None
    qualifier: str | None = None  # a key of qualifiers.QUALIFIERS: how the source qualifies it
    parts: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    note: str | None = None
    signed: bool = False
    # Periods of a CSV series whose cell is empty, allowed by `missing: true`: no value, shown as a gap.
    gaps: tuple[str, ...] = ()
    order: tuple[str, ...] = ()  # with gaps: every period of the series, in the file's order
    # Where its number comes from outside YAML: "data/stats.xlsx:Sheet1!B2:B4", "data/x.csv, column 'n'".
    origin: str | None = field(default=None, compare=False)
    # Where each of its keys was written ("compute", "series", ...): errors point at the key at fault.
    where: dict[str, Location] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def at(self, key: str) -> Location:
        return self.where.get(key, self.location)


@dataclass(frozen=True)
class Unit:
    """A counted noun (معدود): the forms a number calls for are derived from these."""

    name: str
    singular: str
    plural: str
    gender: str
    location: Location
    accusative: str | None = None
    dual: str | None = None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    format: str
    qualifier: str | None = None  # how the source qualifies every number of the column
    missing: str | None = None  # what an empty cell shows; None: an empty cell is an error


@dataclass(frozen=True)
class TableSpec:
    """A numbered table: rows of figures, or the rows of a CSV file."""

    name: str
    caption: str
    location: Location
    source: str | None = None
    figures: tuple[str, ...] = ()
    csv: CsvTable | None = None
    columns: tuple[Column, ...] = ()


CHART_KINDS = ("bar", "grouped", "line", "share", "timeline")
CHART_KEYS = (
    "kind", "title", "caption", "source", "alt", "figures", "labels", "periods",
    "orientation", "style", "colors", "when", "value", "show_title",
)  # fmt: skip


@dataclass(frozen=True)
class ChartSpec:
    """A chart declared in data: what it shows and how it is captioned."""

    name: str
    kind: str
    caption: str
    alt: str
    location: Location
    title: str | None = None
    source: str | None = None
    figures: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    periods: tuple[str, ...] = ()
    orientation: str = "vertical"
    style: str = "stacked"
    colors: tuple[str, ...] = ()
    when: str | None = None
    value: str | None = None
    show_title: bool = False  # draw `title` inside the chart (the caption is its title otherwise)
    where: dict[str, Location] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def at(self, key: str) -> Location:
        """Where `key` was written (`figures`, `periods`...), else the chart's first line."""
        return self.where.get(key, self.location)


@dataclass(frozen=True)
class Quote:
    name: str
    text: str
    speaker: str
    location: Location
    role: str | None = None
    occasion: str | None = None
    date: date | None = None
    source: str | None = None


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    location: Location
    publisher: str | None = None
    date: date | None = None
    url: str | None = None


@dataclass(frozen=True)
class SectionFile:
    """One narrative section: Markdown with template expressions."""

    path: Path
    text: str


@dataclass
class Data:
    """Everything the data files define, by name."""

    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, TableSpec] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    charts: dict[str, ChartSpec] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    # Entries with an error of their own: what depends on them is skipped, not reported again.
    broken: set[str] = field(default_factory=set)
    incomplete: bool = False  # a data file could not be read: its names are not known


class Fields:
    """Read typed fields from one YAML mapping, reporting every problem with its place."""

    def __init__(self, mapping: LocatedDict, what: str, errors: ErrorCollector) -> None:
        self.mapping = mapping
        self.what = what
        self.errors = errors
        self.used: set[str] = set()

    def where(self, key: str) -> Location:
        return self.mapping.where(key)

    def _get(self, key: str, required: bool) -> Any:
        self.used.add(key)
        value = self.mapping.get(key)
        if isinstance(value, BadDate):
            return None  # reported at its key by bad_dates()
        if value is None and required:
            self.errors.add(f"{self.what}: '{key}' is required", self.mapping.location)
        return value

    def text(self, key: str, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, (dict, list, bool)):
            self.errors.add(f"{self.what}: '{key}' must be text, got {_kind(value)}", self.where(key))
            return None
        text = str(value).strip()
        if required and not text:
            self.errors.add(f"{self.what}: '{key}' must not be empty", self.where(key))
        return text or None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.errors.add(f"{self.what}: '{key}' must be true or false, got {value!r}", self.where(key))
            return default
        return value

    def date(self, key: str, required: bool = False) -> date | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip().translate(_ARABIC_INDIC))
            except ValueError:
                pass
        self.errors.add(
            f"{self.what}: '{key}' must be a date written YYYY-MM-DD, got {value!r}", self.where(key)
        )
        return None

    def names(self, key: str) -> tuple[str, ...]:
        value = self._get(key, False)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.errors.add(f"{self.what}: '{key}' must be a list of names", self.where(key))
            return ()
        return tuple(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self._get(key, False)
        if value is None:
            return default
        if value not in choices:
            listed = ", ".join(choices)
            self.errors.add(
                f"{self.what}: '{key}' must be one of {listed}, got {value!r}{suggest(value, choices)}",
                self.where(key),
            )
            return default
        return value

    def number(self, key: str, signed: bool = False) -> float | None:
        value = self._get(key, False)
        if value is None:
            return None
        return parse_number(value, f"{self.what}: '{key}'", self.where(key), self.errors, signed)

    def check_unknown(self, allowed: tuple[str, ...]) -> None:
        for key in self.mapping:
            if key not in allowed:
                self.errors.add(f"{self.what}: unknown key '{key}'{suggest(key, allowed)}", self.where(key))


def bad_dates(
    value: Any, what: str, errors: ErrorCollector, key: Any = None, where: Location | None = None
) -> None:
    """Report every impossible date (`2025-02-30`) under `value` at the key that holds it."""
    if isinstance(value, BadDate):
        named = f"'{key}' is not a real date" if key is not None else "not a real date"
        errors.add(f"{what}: {named}: {value.text} ({value.reason})", where or value.location)
    elif isinstance(value, LocatedDict):
        for inner, item in value.items():
            if isinstance(inner, BadDate):
                errors.add(
                    f"{what}: the key {inner.text} is not a real date ({inner.reason})", inner.location
                )
            bad_dates(item, what, errors, inner, value.where(inner))
    elif isinstance(value, list):
        for item in value:
            bad_dates(item, what, errors, key, None)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return repr(value)


# What a number cell of a table may hold: a plain decimal, signed (the table formats it).
_NUMBER_CELL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"^\d{1,3}([.,\u066c ]\d{3})+$")


_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_number(
    value: Any, what: str, where: Location, errors: ErrorCollector, signed: bool = False
) -> float | None:
    """Accept a YAML number or plain digits (Western or Arabic-Indic); reject grouping, NaN, inf."""
    number: float | None = None
    hint = number_hint(value)
    if hint:
        errors.add(f"{what} has a leading zero, got {value} ({hint})", where)
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, float)):
        number = value
    elif isinstance(value, str):
        text = value.strip().translate(_ARABIC_INDIC).replace("\u066b", ".")
        if _GROUPED.match(text):
            plain = re.sub(r"[.,\u066c ]", "", text)
            errors.add(
                f"{what} must be written without grouping separators, got {value!r} (write {plain})",
                where,
            )
            return None
        whole = re.fullmatch(r"[+-]?0*(\d+)", text)
        if whole and len(whole.group(1)) > MAX_NUMBER_DIGITS:
            errors.add(f"{what} {too_many_digits(len(whole.group(1)))}", where)
            return None
        # Only plain decimal forms: Python's float() would also take "1_000", "inf" and "nan".
        if whole or _DECIMAL.fullmatch(text):
            number = int(text) if whole else float(text)
    if number is None:
        errors.add(f"{what} must be a number, got {_shown(value)}", where)
        return None
    if isinstance(number, float) and not math.isfinite(number):
        errors.add(f"{what} must be a finite number, got {_shown(value)}", where)
        return None
    digits = whole_digits(number)
    if digits > MAX_NUMBER_DIGITS:
        errors.add(f"{what} {too_many_digits(digits)}", where)
        return None
    if number == 0:
        written = getattr(value, "source", value)
        mantissa = re.split("[eE]", str(written).translate(_ARABIC_INDIC))[0]
        if any(char in "123456789" for char in mantissa):
            errors.add(f"{what} is too small to be represented, got {_shown(value)}", where)
            return None
        return 0  # `-0` is zero, printed without a sign
    if number < 0 and not signed:
        errors.add(f"{what} must not be negative, got {value!r} (set 'signed: true' if it may be)", where)
        return None
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        number = int(number)
    return number


def whole_digits(number: float) -> int:
    """How many digits a finite number has before its decimal point (huge integers included)."""
    if isinstance(number, float) and abs(number) >= 1e17:
        # As written: 1e307 has 308 digits (its nearest float is a little below 10**307).
        return math.floor(math.log10(abs(number))) + 1
    whole = abs(int(number))
    if whole.bit_length() < 10_000:  # str() of an int past 4300 digits is refused by Python
        return len(str(whole))
    return int(math.log10(whole)) + 1


def too_many_digits(digits: int) -> str:
    return f"has {digits} digits before the decimal point; at most {MAX_NUMBER_DIGITS} are allowed"


def _shown(value: Any) -> str:
    """A value quoted in a message, cut short: a project may hold a line of thousands of digits."""
    source = getattr(value, "source", None)  # a YAML number as written: '1e400', not inf
    text = repr(source if isinstance(source, str) else value)
    return text if len(text) <= 40 else text[:30] + "…" + text[-5:]


FIGURE_KEYS = (
    "label", "value", "series", "compute", "unit", "period", "source",
    "qualifier", "approx", "parts", "includes", "note", "signed",
)  # fmt: skip
UNIT_KEYS = ("singular", "plural", "gender", "accusative", "dual")
TABLE_KEYS = ("caption", "source", "figures", "csv", "workbook", "sheet", "range", "header", "columns")
QUOTE_KEYS = ("text", "speaker", "role", "occasion", "date", "source")
SOURCE_KEYS = ("title", "publisher", "date", "url")
SECTION_KINDS = ("figures", "tables", "quotes", "facts", "sources", "charts", "units")


def read_settings(mapping: Any, path: Path, errors: ErrorCollector) -> Settings | None:
    """Validate data/settings.yaml."""
    if not isinstance(mapping, LocatedDict):
        errors.add("settings must be a mapping of 'key: value' lines", Location(path, 1))
        return None
    bad_dates(mapping, "settings", errors)
    f = Fields(mapping, "settings", errors)
    edition = mapping.get("edition")
    settings = Settings(
        title=f.text("title", required=True) or "",
        subtitle=f.text("subtitle"),
        issuer=f.text("issuer", required=True) or "",
        author=f.text("author"),
        subject=f.text("subject"),
        keywords=f.names("keywords"),
        date=f.date("date", required=True) or date(1970, 1, 1),
        hijri_date=f.flag("hijri_date"),
        edition=None if edition is None else f.text("edition"),
        classification=f.text("classification"),
        language=f.text("language") or "ar",
        locale=f.text("locale") or "ar_MA",
        digits=f.choice("digits", DIGITS, "western"),
        page_size=f.choice("page_size", PAGE_SIZES, "A4"),
        output=f.text("output") or "output/briefing.pdf",
        key_figures=f.names("key_figures"),
        markdown_html=f.flag("markdown_html"),
        whats_new=f.flag("whats_new"),
        chart_fonts=f.names("chart_fonts") or Settings.chart_fonts,
        location=mapping.location,
    )
    if mapping.get("output") is not None and settings.output:
        problem = output_problem(settings.output)
        if problem:
            errors.add(problem, f.where("output"))
    if settings.hijri_date and mapping.get("date") is not None:
        problem = hijri_problem(settings.date)
        if problem:
            errors.add(f"settings: {problem}", f.where("date"))
    f.check_unknown(SETTING_KEYS)
    return settings


def hijri_problem(day: date) -> str | None:
    """Why no Hijri date can be given for `day` (the Umm al-Qura tables are bounded), or None."""
    from hijridate import Gregorian

    try:
        Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):
        return f"no Hijri date for {day.isoformat()}: the Umm al-Qura calendar covers 1924-2077"
    return None


def read_data_file(
    mapping: Any,
    path: Path,
    data: Data,
    errors: ErrorCollector,
    load_csv: Callable[[str, Location], CsvTable | None],
    load_workbook: WorkbookLoader | None = None,
) -> None:
    """Add the figures, tables, quotes, facts and sources of one YAML file to `data`."""
    if mapping is None:
        errors.add("the file is empty", Location(path, 1))
        return
    if not isinstance(mapping, LocatedDict):
        errors.add("a data file must be a mapping with keys " + ", ".join(SECTION_KINDS), Location(path, 1))
        return
    for kind, entries in mapping.items():
        where = mapping.where(kind)
        if kind not in SECTION_KINDS:
            errors.add(f"unknown top-level key '{kind}'{suggest(kind, SECTION_KINDS)}", where)
            continue
        if entries is None:
            continue
        if not isinstance(entries, LocatedDict):
            errors.add(f"'{kind}' must be a mapping of names", where)
            continue
        for name, entry in entries.items():
            at = entries.where(name)
            if not isinstance(name, str) or not NAME.match(name):
                errors.add(f"'{name}' is not a valid name: use lowercase letters, digits and _", at)
                continue
            if name in data.locations:
                first = data.locations[name]
                errors.add(f"'{name}' is defined twice (first at {first.display()})", at)
                continue
            data.locations[name] = at
            before = len(errors.errors)
            _read_entry(kind, name, entry, at, data, errors, load_csv, load_workbook)
            registry = data.facts if kind == "facts" else getattr(data, kind)
            if len(errors.errors) > before or name not in registry:
                data.broken.add(name)


def _read_entry(
    kind: str,
    name: str,
    entry: Any,
    at: Location,
    data: Data,
    errors: ErrorCollector,
    load_csv: Callable[[str, Location], CsvTable | None],
    load_workbook: WorkbookLoader | None = None,
) -> None:
    """Read one named entry of a data file into `data`, its errors into `errors`."""
    bad_dates(entry, f"{kind[:-1]} '{name}'", errors, None, at)
    if kind == "facts":
        data.facts[name] = entry
        return
    if not isinstance(entry, LocatedDict):
        errors.add(f"{kind[:-1]} '{name}' must be a mapping of fields", at)
        return
    if kind == "figures":
        figure = _read_figure(name, entry, at, errors, load_csv, load_workbook)
        if figure:
            data.figures[name] = figure
    elif kind == "tables":
        table = _read_table(name, entry, at, errors, load_csv, load_workbook)
        if table:
            data.tables[name] = table
    elif kind == "charts":
        chart = _read_chart(name, entry, at, errors)
        if chart:
            data.charts[name] = chart
    elif kind == "units":
        f = Fields(entry, f"unit '{name}'", errors)
        data.units[name] = Unit(
            name, f.text("singular", True) or "", f.text("plural", True) or "",
            f.choice("gender", ("m", "f"), "m"), at, f.text("accusative"), f.text("dual"),
        )  # fmt: skip
        if entry.get("gender") is None:
            errors.add(f"unit '{name}': 'gender' is required (m or f)", at)
        for key in UNIT_KEYS:
            form = entry.get(key)
            if key != "gender" and isinstance(form, str) and not re.fullmatch(_ARABIC_WORDS, form.strip()):
                # The forms are declined by Arabic rules: "bed" would print "bedا".
                errors.add(f"unit '{name}': '{key}' must be Arabic words, got {form!r}", f.where(key))
        f.check_unknown(UNIT_KEYS)
    elif kind == "quotes":
        f = Fields(entry, f"quote '{name}'", errors)
        data.quotes[name] = Quote(
            name, f.text("text", True) or "", f.text("speaker", True) or "", at,
            f.text("role"), f.text("occasion"), f.date("date"), f.text("source"),
        )  # fmt: skip
        f.check_unknown(QUOTE_KEYS)
    else:
        f = Fields(entry, f"source '{name}'", errors)
        data.sources[name] = Source(
            name, f.text("title", True) or "", at, f.text("publisher"), f.date("date"), f.text("url")
        )
        f.check_unknown(SOURCE_KEYS)


def _read_figure(
    name: str,
    entry: LocatedDict,
    at: Location,
    errors: ErrorCollector,
    load_csv: Callable[[str, Location], CsvTable | None],
    load_workbook: WorkbookLoader | None = None,
) -> Figure | None:
    what = f"figure '{name}'"
    f = Fields(entry, what, errors)
    signed = f.flag("signed")
    given = [key for key in ("value", "series", "compute") if entry.get(key) is not None]
    if len(given) != 1:
        found = " and ".join(given) if given else "none"
        errors.add(f"{what}: give exactly one of 'value', 'series', 'compute' (found {found})", at)
    gaps: list[str] = []
    order: list[str] = []
    origin: list[str] = []
    series = (
        _read_series(entry, what, errors, load_csv, signed, gaps, order, load_workbook, origin)
        if "series" in given
        else None
    )
    if "series" in given and series is None:
        return None  # its problem is reported (a CSV file read once, reported once)
    if isinstance(entry.get("value"), LocatedDict):
        f.used.add("value")
        value = _read_cell_value(entry, what, errors, load_workbook, signed, origin)
        if value is None:
            return None  # reported at the cell
    else:
        value = f.number("value", signed)
    compute = f.text("compute")
    qualifier = _read_qualifier(entry, what, errors)
    figure = Figure(
        name=name,
        label=f.text("label", required=True) or name,
        location=at,
        value=value,
        series=series,
        compute=compute,
        unit=f.text("unit"),
        period=f.text("period"),
        source=f.text("source"),
        qualifier=qualifier,
        parts=f.names("parts"),
        includes=f.names("includes"),
        note=f.text("note"),
        signed=signed,
        gaps=tuple(gaps),
        order=tuple(order) if gaps else (),
        origin=origin[0] if origin else None,
        where={key: entry.where(key) for key in entry},
    )
    f.used.update({"approx", "qualifier", "series"})
    f.check_unknown(FIGURE_KEYS)
    return figure


def _read_qualifier(entry: LocatedDict, what: str, errors: ErrorCollector) -> str | None:
    """`qualifier: about` (or an Arabic word: حوالي, ناهز, أكثر من...); `approx:` is its older name."""
    keys = [key for key in ("qualifier", "approx") if entry.get(key) not in (None, False)]
    if not keys:
        return None
    if len(keys) == 2:
        errors.add(f"{what}: give 'qualifier' only ('approx' is its older name)", entry.where("approx"))
    key = keys[0]
    raw = entry[key]
    if raw is True:
        return "about"
    text = " ".join(str(raw).split())
    if text in ALIASES:
        return ALIASES[text]
    choices = ", ".join(QUALIFIERS)
    errors.add(
        f"{what}: '{key}' must be one of {choices} (or its Arabic word: حوالي, قرابة, ناهز, أكثر من, "
        f"على الأقل, ما يصل إلى), got {text!r}{suggest(text, ALIASES)}",
        entry.where(key),
    )
    return None


def _read_series(
    entry: LocatedDict,
    what: str,
    errors: ErrorCollector,
    load_csv: Callable[[str, Location], CsvTable | None],
    signed: bool,
    gaps: list[str],
    order: list[str],
    load_workbook: WorkbookLoader | None = None,
    origin: list[str] | None = None,
) -> dict[str, float] | None:
    """The series of a figure; a CSV series also fills `gaps` (periods without a value, allowed by
    `missing: true`) and `order` (its periods in the file's order)."""
    raw = entry["series"]
    where = entry.where("series")
    if not isinstance(raw, LocatedDict) or not raw:
        errors.add(f"{what}: 'series' must map periods to values, e.g. {{2020: 191903}}", where)
        return None
    if "csv" in raw or "workbook" in raw:
        f = Fields(raw, f"{what} series", errors)
        source = "workbook" if "workbook" in raw else "csv"
        file, key, column = f.text(source, True), f.text("key", True), f.text("value", True)
        allow_gaps = f.flag("missing")
        if source == "workbook":
            f.check_unknown(("workbook", "sheet", "range", "header", "key", "value", "missing"))
            table = _workbook_table(f, f"{what} series", errors, load_workbook) if file else None
        else:
            f.check_unknown(("csv", "key", "value", "missing"))
            table = load_csv(file, raw.where("csv")) if file else None
        if not (file and key and column):
            return None
        if table is None:
            return None
        for wanted, at in ((key, raw.where("key")), (column, raw.where("value"))):
            if wanted not in table.header:
                errors.add(f"{what}: {file} has no column '{wanted}'{suggest(wanted, table.header)}", at)
                return None
        series: dict[str, float] = {}
        before = len(errors.errors)

        def cell_errors(errors: ErrorCollector) -> bool:
            return len(errors.errors) > before

        first_lines: dict[str, int] = {}
        for index, row in enumerate(table.rows):
            if row[key] in first_lines:
                errors.add(
                    f"{what}: period {row[key]} is given twice "
                    f"(first on {table.place(first_lines[row[key]])})",
                    table.where(index, key),
                )
                continue
            first_lines[row[key]] = index
            order.append(row[key])
            if row[column] == "":
                if allow_gaps:
                    gaps.append(row[key])  # no value: a gap in a chart, never a point dropped silently
                else:
                    errors.add(
                        f"{what}: no value for period {row[key]} in column '{column}' (write it, or "
                        "allow periods without a value with 'missing: true' in the series)",
                        table.where(index, column),
                    )
                continue
            value = _table_number(table, index, column, errors, signed)
            if value is not None:
                series[row[key]] = value
        _check_percent(table, column, entry, what, errors)
        if origin is not None and table.rows:
            origin.append(_origin(table, file, column))
        if not series and not cell_errors(errors):
            errors.add(f"{what}: column '{column}' of {file} has no value", raw.where("value"))
        if not series:
            return None
        return series
    series = {}
    first: dict[str, Location] = {}
    for period, value in raw.items():
        # `2021:` and `"2021":` are different YAML keys but one period.
        if str(period) in first:
            earlier = first[str(period)]
            errors.add(
                f"{what}: period {period} is given twice (first on line {earlier.line})", raw.where(period)
            )
            continue
        first[str(period)] = raw.where(period)
        number = parse_number(value, f"{what}: period {period}", raw.where(period), errors, signed)
        if number is not None:
            series[str(period)] = number
    return series


def _read_table(
    name: str,
    entry: LocatedDict,
    at: Location,
    errors: ErrorCollector,
    load_csv: Callable[[str, Location], CsvTable | None],
    load_workbook: WorkbookLoader | None = None,
) -> TableSpec | None:
    what = f"table '{name}'"
    f = Fields(entry, what, errors)
    figures = f.names("figures")
    csv_name = f.text("csv")
    workbook_name = f.text("workbook")
    if sum(map(bool, (figures, csv_name, workbook_name))) != 1:
        errors.add(f"{what}: give one of 'figures', 'csv' or 'workbook'", at)
        return None
    if workbook_name:
        csv_table = _workbook_table(f, what, errors, load_workbook)
        csv_name = workbook_name
    else:
        csv_table = load_csv(csv_name, entry.where("csv")) if csv_name else None
    if csv_name and csv_table is None:
        return None  # the CSV file's (or workbook's) problem is reported
    columns: list[Column] = []
    raw_columns = entry.get("columns")
    f.used.add("columns")
    if raw_columns is not None:
        if not isinstance(raw_columns, LocatedDict):
            errors.add(f"{what}: 'columns' must map column names to settings", entry.where("columns"))
        else:
            for key, spec in raw_columns.items():
                where = raw_columns.where(key)
                key = str(key)  # a YAML key such as 2024 is a number; CSV headers are text
                if csv_table is not None and key not in csv_table.header:
                    errors.add(
                        f"{what}: {csv_name} has no column '{key}'{suggest(key, csv_table.header)}", where
                    )
                    continue
                if isinstance(spec, str):
                    columns.append(Column(str(key), spec, "text"))
                    continue
                if not isinstance(spec, LocatedDict):
                    errors.add(f"{what}: column '{key}' must be a label or a mapping", where)
                    continue
                cf = Fields(spec, f"{what} column '{key}'", errors)
                columns.append(
                    Column(
                        str(key), cf.text("label") or str(key), cf.choice("format", FORMATS, "text"),
                        _read_qualifier(spec, f"{what} column '{key}'", errors), _missing(cf),
                    )
                )  # fmt: skip
                cf.used.add("qualifier")
                cf.check_unknown(("label", "format", "qualifier", "missing"))
    elif csv_table is not None:
        columns = [Column(key, key, "text") for key in csv_table.header]
    if csv_table is not None:
        _check_empty_cells(what, csv_table, columns, errors)
    f.check_unknown(TABLE_KEYS)
    return TableSpec(
        name, f.text("caption", True) or name, at, f.text("source"), figures, csv_table, tuple(columns)
    )


def _missing(f: Fields) -> str | None:
    """`missing: —`: the text an empty cell of the column shows (empty cells are errors without it)."""
    raw = f.mapping.get("missing")
    f.used.add("missing")
    if raw is None:
        return None
    if isinstance(raw, (dict, list, bool)) or not str(raw).strip():
        f.errors.add(
            f"{f.what}: 'missing' must be the text an empty cell shows, such as —, got {_kind(raw)}",
            f.where("missing"),
        )
        return None
    return str(raw).strip()


def _check_empty_cells(what: str, table: CsvTable, columns: list[Column], errors: ErrorCollector) -> None:
    """An empty cell of a column that does not allow it is an error at its line: nothing blank by
    mistake; and a number column holds numbers: text or a date there is an error at its cell."""
    for column in columns:
        if column.key not in table.header:
            continue
        if column.format in ("number", "press", "percent"):
            for index, row in enumerate(table.rows):
                cell = row[column.key]
                if cell != "" and not _NUMBER_CELL.fullmatch(cell.strip().translate(_ARABIC_INDIC)):
                    errors.add(
                        f"{what}: column '{column.key}' is a number column ('format: {column.format}'), "
                        f"got {cell[:40]!r}",
                        table.where(index, column.key),
                    )
        if column.missing is not None:
            continue
        for index, row in enumerate(table.rows):
            if row[column.key] == "":
                errors.add(
                    f"{what}: empty cell in column '{column.key}' (fill it, or give the column "
                    "'missing: —' under 'columns:', the text an empty cell shows)",
                    table.where(index, column.key),
                )


_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _read_chart(name: str, entry: LocatedDict, at: Location, errors: ErrorCollector) -> ChartSpec | None:
    what = f"chart '{name}'"
    f = Fields(entry, what, errors)
    kind = entry.get("kind")
    if kind is None:
        errors.add(f"{what}: 'kind' is required (one of {', '.join(CHART_KINDS)})", at)
        return None
    if kind not in CHART_KINDS:
        errors.add(
            f"{what}: unknown kind {kind!r}; use one of {', '.join(CHART_KINDS)}{suggest(kind, CHART_KINDS)}",
            entry.where("kind"),
        )
        return None
    labels = entry.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        errors.add(
            f"{what}: 'labels' must map figure names (or periods) to short labels", entry.where("labels")
        )
        labels = {}
    periods = entry.get("periods") or []
    if not isinstance(periods, list):
        errors.add(f"{what}: 'periods' must be a list", entry.where("periods"))
        periods = []
    for key in ("title", "caption"):
        text = entry.get(key)
        if isinstance(text, str) and len(text) > MAX_CHART_TEXT:
            errors.add(
                f"{what}: '{key}' has {len(text):,} characters; at most {MAX_CHART_TEXT} fit on a chart",
                entry.where(key),
            )
            return None
    for key, text in labels.items():
        if len(text) > MAX_CHART_TEXT:
            errors.add(
                f"{what}: the label of '{key}' has {len(text):,} characters; at most {MAX_CHART_TEXT} "
                "fit on a chart",
                labels.where(key) if isinstance(labels, LocatedDict) else entry.where("labels"),
            )
            return None
    colors = f.names("colors")
    for colour in colors:
        if not _COLOUR.match(colour):
            errors.add(f"{what}: colour {colour!r} must be written #rrggbb", entry.where("colors"))
    figures = f.names("figures")
    if kind == "timeline":
        if not entry.get("when"):
            errors.add(f"{what}: a timeline needs 'when': a series of dates or years by event", at)
            return None  # reported: nothing more to check against the figures
    elif not figures:
        errors.add(f"{what}: 'figures' must list the figures the chart shows", at)
    spec = ChartSpec(
        name=name,
        kind=kind,
        caption=f.text("caption", required=True) or name,
        alt=f.text("alt", required=True) or "",
        location=at,
        title=f.text("title"),
        source=f.text("source"),
        figures=figures,
        labels=tuple((str(k), v) for k, v in labels.items()),
        periods=tuple(str(p) for p in periods),
        orientation=f.choice("orientation", ("vertical", "horizontal"), "vertical"),
        style=f.choice("style", ("stacked", "donut"), "stacked"),
        colors=colors,
        when=f.text("when"),
        value=f.text("value"),
        show_title=f.flag("show_title"),
        where={key: entry.where(key) for key in entry},
    )
    f.check_unknown(CHART_KEYS)
    return spec


# -- workbooks ---------------------------------------------------------------------------------

_PERCENT_UNITS = ("%", "٪", "في المائة")


def _workbook_table(
    f: Fields, what: str, errors: ErrorCollector, load_workbook: WorkbookLoader | None
) -> CsvTable | None:
    """The table that `workbook:`, `sheet:`, `range:` and `header:` name, read like a CSV file."""
    name = f.text("workbook", True)
    sheet, span = f.text("sheet"), f.text("range")
    header = _header_row(f, what)
    if not name or header is None or load_workbook is None:
        return None
    where = f.where("workbook")
    book = load_workbook(name, where)
    if book is None:
        return None
    found = book.resolve(sheet, span, what, f.where("range" if span else "sheet"), errors)
    if found is None:
        return None
    return book.table(name, found[0], found[1], header, what, where, errors)


def _header_row(f: Fields, what: str) -> int | None:
    raw = f.mapping.get("header", 1)
    f.used.add("header")
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        f.errors.add(
            f"{what}: 'header' must be the row of the range that names the columns (1, 2 ...), got {raw!r}",
            f.where("header"),
        )
        return None
    return int(raw)


def _table_number(table: CsvTable, index: int, column: str, errors: ErrorCollector, signed: bool):
    from .workbook import WorkbookTable, cell_number

    text = table.rows[index][column]
    if isinstance(table, WorkbookTable):
        return cell_number(text, table.where(index, column), errors, signed)
    return parse_number(text, f"column '{column}'", table.where(index), errors, signed)


def _check_percent(
    table: CsvTable, column: str, entry: LocatedDict, what: str, errors: ErrorCollector
) -> None:
    """A workbook's percentage cells give a figure whose unit says so: 47.3 alone would read as a count."""
    percent = sorted(i for i, key in getattr(table, "percent", ()) if key == column)
    if percent and str(entry.get("unit") or "").strip() not in _PERCENT_UNITS:
        shown = table.rows[percent[0]][column]
        errors.add(
            f"{what}: the cell shows a percentage ({shown}%): give the figure 'unit: \"%\"'",
            table.where(percent[0], column),
        )


def _origin(table: CsvTable, file: str, column: str) -> str:
    from .workbook import WorkbookTable, sheet_ref

    if isinstance(table, WorkbookTable):
        first, last = table.refs[0][column], table.refs[-1][column]
        return f"data/{file}:{sheet_ref(table.sheet, first if first == last else f'{first}:{last}')}"
    return f"data/{file}, column '{column}'"


def _read_cell_value(
    entry: LocatedDict,
    what: str,
    errors: ErrorCollector,
    load_workbook: WorkbookLoader | None,
    signed: bool,
    origin: list[str],
) -> float | None:
    """`value: {workbook: stats.xlsx, sheet: Sheet1, cell: C7}`: one cell as the figure's value."""
    from .errors import ReportError
    from .workbook import cell_number, sheet_ref

    raw = entry["value"]
    f = Fields(raw, f"{what} value", errors)
    name, sheet, cell = f.text("workbook"), f.text("sheet"), f.text("cell", True)
    f.check_unknown(("workbook", "sheet", "cell"))
    if not name:
        errors.add(
            f"{what}: 'value' must be a number or a cell: {{workbook: stats.xlsx, cell: C7}}", raw.location
        )
        return None
    if not cell or load_workbook is None:
        return None
    book = load_workbook(name, raw.where("workbook"))
    if book is None:
        return None
    found = book.resolve(sheet, cell, what, raw.where("cell"), errors)
    if found is None:
        return None
    sheet, box = found
    if box is None or box[:2] != box[2:]:
        errors.add(f"{what}: 'cell' must name one cell, such as C7, got {cell!r}", raw.where("cell"))
        return None
    from .workbook import cell_name

    place = Location(book.path, cell=sheet_ref(sheet, cell_name(box[0], box[1])))
    try:
        text, percent = book.shown(sheet, box[0], box[1])
    except ReportError as error:
        errors.extend(error)
        return None
    if not text.strip():
        errors.add("expected a number, got an empty cell", place)
        return None
    value = cell_number(text, place, errors, signed)
    origin.append(f"data/{name}:{place.cell}")
    if value is not None and percent and str(entry.get("unit") or "").strip() not in _PERCENT_UNITS:
        errors.add(f"{what}: the cell shows a percentage ({text}%): give the figure 'unit: \"%\"'", place)
        return None
    return value
