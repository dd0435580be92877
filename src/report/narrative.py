"""Turn narrative sections (Markdown with template expressions) into HTML fragments.

Jinja runs first, over the Markdown source. Every value it inserts is escaped for
Markdown, so a figure or a fact can never add markup; quotations, tables, charts and
footnotes come back as placeholders that are swapped for their HTML after Markdown.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SecurityError
from markdown_it import MarkdownIt
from markupsafe import Markup

from . import limits
from .bidi import isolate, refuse_controls, strip_controls
from .errors import ErrorCollector, Location, ReportError
from .figures import Resolved
from .formatting import PERCENT_UNITS, Formatter, figure_nouns, noun_of
from .grammar import Noun
from .qualifiers import qualifier_of
from .sandbox import Exposed, ReportSandbox, View, check_number, helper
from .schema import NAME, Data, SectionFile, suggest

_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_BLOCK_PARAGRAPH = re.compile("<p>\ue000(\\d+)\ue001</p>")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~&=])")
BLOCK_FUNCTIONS = ("quote", "table", "chart", "cite")


class Value(Exposed):
    """A number as a template sees it: formatted on output, usable in filters and arithmetic."""

    TEMPLATE_FIELDS = frozenset({"number", "figure", "period"})

    def __init__(self, number: float, figure: FigureRef | None = None, period: str | None = None) -> None:
        self.number = number
        self.figure = figure
        self.period = period

    def template_number(self) -> float:
        return self.number

    def __float__(self) -> float:
        return float(self.number)

    def __repr__(self) -> str:
        return f"Value({self.number!r})"


class FigureRef(Value):
    """A figure in a template: `{{ x }}`, `{{ x[2021] }}`, `{{ x.unit }}`.

    It holds copies of the figure's plain fields, not the figure: nothing a template reaches
    leads back to the pipeline's objects (their locations hold paths).
    """

    TEMPLATE_FIELDS = frozenset(
        {
            "label",
            "unit",
            "source",
            "approx",
            "qualifier",
            "note",
            "period",
            "series",
            "number",
            "name",
            "figure",
        }
    )

    def __init__(
        self, resolved: Resolved, noun: Noun | str | None = None, formatter: Formatter | None = None
    ) -> None:
        figure = resolved.figure
        # A series stands for its latest period, and says which one.
        period = figure.period or (list(resolved.series)[-1] if resolved.series else None)
        period = formatter.text(period) if formatter and period else period
        super().__init__(resolved.number, self, period)
        self.name = figure.name
        self.label = figure.label
        self._noun = noun
        self._unit = figure.unit or ""  # as declared: tells a percentage from a count
        # The noun in the form this figure's own number calls for ("تلميذا" after 141.241).
        self.unit = formatter.noun_after(resolved.number, noun) if formatter else (figure.unit or "")
        self.source = figure.source or ""
        self.qualifier = resolved.qualifier or ""
        claim = qualifier_of(resolved.qualifier)
        self.approx = claim.word if claim else ""
        self.note = figure.note or ""
        self.series = dict(resolved.series) if resolved.series is not None else None

    def __getitem__(self, period: Any) -> Value:
        if self.series is None:
            raise ReportError(f"figure '{self.name}' is not a series")
        key = str(period)
        if key not in self.series:
            raise ReportError(f"figure '{self.name}' has no period {key} (it has {', '.join(self.series)})")
        return Value(self.series[key], self, key)

    def __iter__(self):
        raise ReportError(f"figure '{self.name}' cannot be looped over; use '{self.name}.series'")

    def __getattr__(self, field: str) -> Any:
        # Only reached for names that are not attributes: a misspelt field.
        if field.startswith("_"):
            raise AttributeError(field)
        raise self._no_field(field)

    def exposes(self, name: str) -> bool:
        if name not in self.TEMPLATE_FIELDS:
            raise self._no_field(name)
        return True

    def _no_field(self, name: str) -> ReportError:
        return ReportError(f"figure '{self.name}' has no field '{name}'{suggest(name, self.TEMPLATE_FIELDS)}")


@dataclass
class Fragments:
    """HTML pieces that stand for placeholders, and what the document needs to number."""

    html: list[str] = field(default_factory=list)

    def add(self, html: str) -> str:
        self.html.append(html)
        return f"\ue000{len(self.html) - 1}\ue001"


@dataclass
class Heading:
    level: int
    text: str
    anchor: str


@dataclass
class RenderedSection:
    path: Path
    title: str
    anchor: str
    html: Markup
    headings: list[Heading]


def markdown_escape(text: str) -> str:
    """Escape text so Markdown shows it literally, on one line."""
    text = re.sub(r"\s*\n\s*", " ", text).replace("\ue000", "").replace("\ue001", "").strip()
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


class Narrative:
    """Render the sections of one project, numbering tables and charts across the document."""

    def __init__(
        self,
        data: Data,
        values: dict[str, Resolved],
        formatter: Formatter,
        blocks: dict[str, Callable[..., str]],
        allow_html: bool = False,
    ) -> None:
        self.data = data
        self.formatter = formatter
        self.blocks = blocks
        # Sandboxed: a section is text from many hands; it sees plain values only.
        self.env = ReportSandbox(autoescape=False, finalize=self._finalize, keep_trailing_newline=True)
        self.env.filters.update(template_filters(formatter, data))
        self.nouns = figure_nouns(data)
        self.context: dict[str, Any] = {
            name: FigureRef(r, self.nouns.get(name), formatter) for name, r in values.items()
        }
        self.context.update({name: _facts(value) for name, value in data.facts.items()})
        self.context.update({name: _QuoteRef(q) for name, q in data.quotes.items()})
        # Raw HTML in sections is shown as text unless the project opts in (markdown_html).
        self.markdown = MarkdownIt("commonmark", {"html": allow_html, "typographer": False})
        # No images (fetched files), no reference links (one short `[a][]` expands to its
        # whole URL at every use: a small section could grow to gigabytes of HTML).
        self.markdown.enable("table").disable(["image", "reference"])
        self._fragments = Fragments()
        self._blocks_placed = 0
        self._headings = 0

    # -- template output -------------------------------------------------------------

    def _finalize(self, value: Any) -> str:
        if isinstance(value, _Placeholder):
            return value.token
        # Each value on its own bidi island: no neighbour can reorder its digits.
        return isolate(markdown_escape(display(value, self.formatter)))

    def _block(self, kind: str) -> Callable[..., _Placeholder]:
        @helper
        def place(name: str, *args: Any, **kwargs: Any) -> _Placeholder:
            # Each block is a template render and a laid-out element: a few thousand at most.
            self._blocks_placed += 1
            if self._blocks_placed > limits.MAX_BLOCKS:
                raise ReportError(
                    f"the document places more than {limits.MAX_BLOCKS:,} quotations, tables, "
                    "charts and citations"
                )
            return _Placeholder(self._fragments.add(self.blocks[kind](name, *args, **kwargs)))

        return place

    # -- checking --------------------------------------------------------------------

    def check(self, section: SectionFile, errors: ErrorCollector) -> None:
        """Report unknown names, filters and block references without rendering."""
        try:
            refuse_controls(section.text, section.path)
        except ReportError as error:
            errors.extend(error)
            return
        if self.markdown.options.get("html"):
            found = re.search(r"<\s*svg", section.text, re.IGNORECASE)
            if found:
                # An inline SVG can nest a billion shapes in two kilobytes (`<use>`).
                errors.add(
                    "inline SVG is not allowed in a section, even with markdown_html",
                    Location(section.path, section.text.count("\n", 0, found.start()) + 1),
                )
                return
        try:
            tree = self.env.parse(section.text, filename=str(section.path))
        except jinja2.TemplateSyntaxError as error:
            errors.add(f"template syntax error: {error.message}", Location(section.path, error.lineno))
            return
        except RecursionError:
            errors.add("the template nests too deeply", Location(section.path))
            return
        lines = section.text.split("\n")
        known = set(self.context) | set(BLOCK_FUNCTIONS) | set(self.env.globals) | {"loop", "caller"}
        known |= {"true", "false", "none", "varargs", "kwargs"}
        assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        assigned |= {n.name for n in tree.find_all(nodes.Macro)}
        for node in tree.find_all(nodes.Name):
            if node.ctx == "load" and node.name not in known and node.name not in assigned:
                errors.add(
                    f"unknown name '{node.name}'{suggest(node.name, known)}",
                    _where(section.path, lines, node.lineno, node.name),
                )
        for node in tree.find_all(nodes.Filter):
            if node.name not in self.env.filters:
                errors.add(
                    f"unknown filter '{node.name}'{suggest(node.name, self.env.filters)}",
                    _where(section.path, lines, node.lineno, node.name),
                )
            elif node.name == "percent":
                # Found before rendering, so that it comes with every other error of the section.
                target = node.node.node if isinstance(node.node, nodes.Getitem) else node.node
                figure = self.data.figures.get(target.name) if isinstance(target, nodes.Name) else None
                if figure is not None and figure.unit not in PERCENT_UNITS:
                    declared = self.data.units.get(figure.unit or "")
                    shown = declared.singular if declared else figure.unit
                    unit = f"unit '{shown}'" if figure.unit else "it has no unit; give it unit: '%'"
                    errors.add(
                        f"'percent' on figure '{figure.name}', which is not a percentage ({unit})",
                        _where(section.path, lines, node.lineno, "percent"),
                    )
        registries = {
            "quote": self.data.quotes,
            "table": self.data.tables,
            "cite": self.data.sources,
            "chart": getattr(self.data, "charts", {}),
        }
        for node in tree.find_all(nodes.Call):
            if not (isinstance(node.node, nodes.Name) and node.node.name in registries):
                continue
            kind = node.node.name
            if not node.args or not isinstance(node.args[0], nodes.Const):
                continue
            name = node.args[0].value
            if name not in registries[kind] and name not in self.data.broken:
                what = "source" if kind == "cite" else kind
                errors.add(
                    f"unknown {what} '{name}'{suggest(name, registries[kind])}",
                    _where(section.path, lines, node.lineno, str(name)),
                )

    def references(self, section: SectionFile, kind: str) -> list[str]:
        """Names placed with `kind("name")` in a section (e.g. the charts it needs)."""
        try:
            tree = self.env.parse(section.text)
        except (jinja2.TemplateSyntaxError, RecursionError):
            return []  # reported with its place by check()
        return [
            node.args[0].value
            for node in tree.find_all(nodes.Call)
            if isinstance(node.node, nodes.Name) and node.node.name == kind
            and node.args and isinstance(node.args[0], nodes.Const)
        ]  # fmt: skip

    # -- rendering -------------------------------------------------------------------

    def render(self, section: SectionFile, index: int) -> RenderedSection:
        """Render one section to HTML; errors carry the section's file and line."""
        self._fragments = Fragments()
        context = dict(self.context)
        context.update({kind: self._block(kind) for kind in BLOCK_FUNCTIONS if kind in self.blocks})
        try:
            template = self.env.from_string(section.text)
            source = self.env.render_bounded(template, context, limits.MAX_SECTION_OUTPUT)
        except RecursionError as error:
            raise ReportError(
                "macros or templates call each other too deeply", _template_location(error, section.path)
            ) from None
        except jinja2.TemplateSyntaxError as error:
            raise ReportError(
                f"template syntax error: {error.message}", Location(section.path, error.lineno)
            ) from None
        except ReportError as error:
            if error.location is not None:
                raise  # already located, in a template the section placed
            raise ReportError(error.message, _template_location(error, section.path)) from None
        except jinja2.UndefinedError as error:
            raise ReportError(str(error.message), _template_location(error, section.path)) from None
        except SecurityError as error:
            raise ReportError(
                f"not allowed in a section: {error}", _template_location(error, section.path)
            ) from None
        except jinja2.TemplateError as error:  # a filter given a wrong option, and the like
            raise ReportError(
                f"cannot evaluate an expression: {error.message}", _template_location(error, section.path)
            ) from None
        except (LookupError, AttributeError) as error:
            message = error.args[0] if error.args else type(error).__name__
            raise ReportError(
                f"cannot evaluate an expression: {message}", _template_location(error, section.path)
            ) from None
        except (TypeError, ValueError, ArithmeticError, AssertionError) as error:
            raise ReportError(
                f"cannot evaluate an expression: {error}", _template_location(error, section.path)
            ) from None
        try:
            return self._markdown(section, index, source)
        except RecursionError:
            message = "the Markdown nests too deeply (emphasis, lists or quotes)"
            raise ReportError(message, Location(section.path)) from None

    def _markdown(self, section: SectionFile, index: int, source: str) -> RenderedSection:
        """The section's Markdown as HTML, its headings numbered and its blocks put back."""
        tokens = self.markdown.parse(source)
        _check_markdown_depth(tokens, section.path)
        headings: list[Heading] = []
        heading_lines: list[int] = []
        anchor = f"section-{index}"
        for position, token in enumerate(tokens):
            if token.type == "heading_open":
                level = int(token.tag[1])
                inline = tokens[position + 1]
                text = _PLACEHOLDER.sub("", "".join(child.content for child in inline.children or []))
                heading_anchor = anchor if not headings else f"{anchor}-{len(headings)}"
                token.attrSet("id", heading_anchor)
                # The PDF outline shows the heading without the bidi islands of its values.
                token.attrSet("data-bookmark", strip_controls(text).strip())
                headings.append(Heading(level, text.strip(), heading_anchor))
                # Lines of the rendered Markdown: the section's own lines, unless a loop added some.
                heading_lines.append(token.map[0] + 1 if token.map else 1)
                self._headings += 1
                if self._headings > limits.MAX_HEADINGS:
                    raise ReportError(
                        f"the document has more than {limits.MAX_HEADINGS:,} headings",
                        Location(section.path, heading_lines[-1]),
                    )
        if not headings or headings[0].level != 1:
            raise ReportError("a section must start with its title: '# العنوان'", Location(section.path, 1))
        later_titles = [line for h, line in zip(headings[1:], heading_lines[1:], strict=True) if h.level == 1]
        if later_titles:
            raise ReportError(
                "a section has one '#' title; use '##' for sub-headings",
                Location(section.path, later_titles[0]),
            )
        html = self.markdown.renderer.render(tokens, self.markdown.options, {})
        fragments = self._fragments.html
        html = _BLOCK_PARAGRAPH.sub(lambda m: fragments[int(m.group(1))], html)
        html = _PLACEHOLDER.sub(lambda m: fragments[int(m.group(1))], html)
        return RenderedSection(section.path, headings[0].text, anchor, Markup(html), headings)


class _Placeholder:
    def __init__(self, token: str) -> None:
        self.token = token


class _QuoteRef(Exposed):
    """A quotation as a template value: `{{ motto }}` gives its text, `.speaker` its speaker."""

    TEMPLATE_FIELDS = frozenset({"text", "speaker", "role", "occasion", "date"})

    def __init__(self, quote: Any) -> None:
        self.text = quote.text
        self.speaker = quote.speaker
        self.role = quote.role or ""
        self.occasion = quote.occasion or ""
        self.date = quote.date

    def __str__(self) -> str:
        return self.text


class _Facts(View):
    """A group of facts: `group.key` or `group["key"]`; a misspelt key gets a suggestion.

    Not a dict, so that a fact named like a dict method (`values`, `items`) is the fact.
    """

    __slots__ = ()

    def exposes(self, name: str) -> bool:
        return True  # a missing key is reported by __getattr__, with a suggestion

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        return self[key]

    def __getitem__(self, key: Any) -> Any:
        try:
            return self._fields[key]
        except (KeyError, TypeError):
            raise ReportError(f"no fact '{key}'{suggest(str(key), self._fields)}") from None

    def __iter__(self):
        return iter(self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)


def _facts(value: Any) -> Any:
    """Facts as plain values: YAML's mappings (which remember their file) become _Facts."""
    if isinstance(value, dict):
        return _Facts({str(k): _facts(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_facts(v) for v in value]
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    if value is None or isinstance(value, date):
        return value
    raise TypeError(f"a fact of type {type(value).__name__}")


def display(value: Any, formatter: Formatter) -> str:
    """The text a reader sees for a template value."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # raises: says which name or attribute was missing or refused
    if isinstance(value, Value):
        text = formatter.island(formatter.number(check_number(value.number)))
        return formatter.qualified(text, _qualifier(value))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return formatter.plain(check_number(value))
    if isinstance(value, float):
        return formatter.number(check_number(value))
    if isinstance(value, date):
        return formatter.date(value)
    if isinstance(value, (list, tuple)):
        return "، ".join(display(v, formatter) for v in value)
    if isinstance(value, (dict, View)):
        raise ReportError("a group of facts cannot be printed as text; name one of its keys")
    if isinstance(value, _QuoteRef):
        return formatter.text(str(value))
    if value is None:
        return ""
    if isinstance(value, str):
        # Text from data in the project's digit style, ranges with an en dash, URLs as written.
        return formatter.text(value)
    # Functions, methods, ranges, macros: their Python form (with a memory address) is no text.
    raise ReportError(f"a {type(value).__name__} cannot be printed as text")


def _number(value: Any) -> float:
    if isinstance(value, Value):
        return value.number
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReportError(f"expected a number, got {value!r}")
    return check_number(value)


def _is_percentage(value: Any) -> bool:
    """True for a value of a figure whose unit is a percentage (%, ٪, في المائة)."""
    return isinstance(value, Value) and value.figure is not None and value.figure._unit in PERCENT_UNITS


def _qualifier(value: Any) -> str | None:
    """How the source qualifies the figure a value comes from (None for an exact or plain number)."""
    return value.figure.qualifier or None if isinstance(value, Value) and value.figure else None


COUNT_STYLES = ("digits", "press", "words", "noun")
CASES = ("nom", "acc", "gen")
GENDERS = ("m", "f")


def _choice(what: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ReportError(
            f"{what} must be one of {', '.join(choices)}, got {value!r}{suggest(str(value), choices)}"
        )
    return value


def template_filters(formatter: Formatter, data: Data | None = None) -> dict[str, Callable[..., str]]:
    """The number and date filters available in sections and templates.

    A figure the source qualifies ("حوالي", "أكثر من") is printed with that word by every
    number filter; `bare=true` leaves the word out for a sentence whose verb carries it
    ("ناهز عدد الزوار ..."), which `report check` verifies.
    """
    units = {name: noun_of(unit) for name, unit in (data.units if data else {}).items()}

    def claim(value: Any, text: str, bare: bool) -> str:
        return text if bare else formatter.qualified(text, _qualifier(value))

    def number(value: Any, decimals: int = 1, bare: bool = False) -> str:
        return claim(value, formatter.island(formatter.number(_number(value), decimals)), bare)

    def press(value: Any, case: str = "nom", bare: bool = False) -> str:
        if _is_percentage(value):
            # Like `count`: a percentage is printed as one ("5,7%"), never as a bare count.
            return claim(value, formatter.island(formatter.percent(_number(value))), bare)
        return claim(value, formatter.press(_number(value), None, _choice("case", case, CASES)), bare)

    def percent(value: Any, decimals: int = 1, words: bool = False, bare: bool = False) -> str:
        figure = value.figure if isinstance(value, Value) else None
        if figure is not None and not _is_percentage(value):
            # "١٤٨٬٦٠٠٪" for 148.600 subscribers: a wrong sign on a right number.
            shown = units[figure._unit].singular if figure._unit in units else figure._unit
            unit = f"unit '{shown}'" if figure._unit else "it has no unit; give it unit: '%'"
            raise ReportError(f"'percent' on figure '{figure.name}', which is not a percentage ({unit})")
        return claim(value, formatter.island(formatter.percent(_number(value), decimals, words)), bare)

    def count(
        value: Any, style: str = "digits", case: str = "nom", unit: Any = None, bare: bool = False
    ) -> str:
        _choice("style", style, COUNT_STYLES)
        _choice("case", case, CASES)
        if unit is not None:
            unit = str(unit)
            if NAME.fullmatch(unit) and unit not in units:
                raise ReportError(
                    f"'count': unknown unit '{unit}'{suggest(unit, units)} (declare it under 'units:', "
                    "or give the unit in words)"
                )
            noun: Noun | str | None = units.get(unit, unit)
        elif isinstance(value, Value) and value.figure is not None:
            noun = value.figure._noun
        else:
            noun = None
        if not noun:
            raise ReportError("'count' needs a unit: give the figure a 'unit' or write count(unit=\"name\")")
        qualifier = None if bare else qualifier_of(_qualifier(value))
        if qualifier is not None and not qualifier.after:
            case = qualifier.case  # "حوالي ساعتين": the number is governed by the word before it
        text = formatter.count(_number(value), noun, style, case)
        return formatter.qualified(text, qualifier.key) if qualifier else text

    def about(value: Any, style: str = "press") -> str:
        # The older filter: the qualifier and the number, press style unless "number".
        return press(value) if style == "press" else number(value)

    def ordinal(value: Any, gender: str = "m", case: str = "gen", definite: bool = True) -> str:
        n = _number(value)
        if n != int(n):
            raise ReportError(f"'ordinal' needs a whole number, got {n!r}")
        try:
            gender, case = _choice("gender", gender, GENDERS), _choice("case", case, CASES)
            return formatter.ordinal(int(n), gender, case, bool(definite))
        except ValueError as error:
            raise ReportError(f"'ordinal': {error}") from None

    def as_date(value: Any, pattern: str = "d MMMM y") -> str:
        if not isinstance(value, date):
            raise ReportError(f"the 'date' filter expects a date, got {_shown(value)}")
        return formatter.date(value, pattern)

    def date_range(start: Any, end: Any) -> str:
        if not isinstance(start, date) or not isinstance(end, date):
            raise ReportError(f"the 'date_range' filter expects two dates, got {start!r} and {end!r}")
        return formatter.date_range(start, end)

    def hijri(value: Any) -> str:
        if not isinstance(value, date):
            raise ReportError(f"the 'hijri' filter expects a date, got {_shown(value)}")
        return formatter.hijri(value)

    filters = {
        "number": number,
        "press": press,
        "percent": percent,
        "count": count,
        "ordinal": ordinal,
        "plain": lambda value: formatter.plain(_number(value) if isinstance(value, Value) else value),
        "digits": lambda value: formatter.text(str(value)),
        "about": about,
        "date": as_date,
        "date_range": date_range,
        "hijri": hijri,
    }
    return {name: _with_options(name, function) for name, function in filters.items()}


def _with_options(name: str, function: Callable[..., str]) -> Callable[..., str]:
    """A filter whose wrong option is named in the user's terms, not Python's."""
    signature = inspect.signature(function)
    options = [p for p in list(signature.parameters)[1:]]

    def checked(*args: Any, **kwargs: Any) -> str:
        try:
            signature.bind(*args, **kwargs)
        except TypeError:
            unknown = [key for key in kwargs if key not in options]
            given = (
                f"no option '{unknown[0]}'{suggest(unknown[0], options)}" if unknown else "too many options"
            )
            takes = ", ".join(options) if options else "no options"
            raise ReportError(f"the '{name}' filter has {given} (it takes: {takes})") from None
        return function(*args, **kwargs)

    return checked


def _shown(value: Any) -> str:
    """A template value named in a message as a reader would write it."""
    if isinstance(value, Value):
        return f"the number {value.number:g}"
    return repr(value)


def _check_markdown_depth(tokens: list, path: Path) -> None:
    """Refuse Markdown nested past the limit: the layout recurses on every level of elements."""
    depth = 0
    for token in tokens:
        for item in [token, *(token.children or [])]:
            depth += item.nesting
            if depth > limits.MAX_MARKDOWN_DEPTH:
                line = token.map[0] + 1 if token.map else None
                levels = limits.MAX_MARKDOWN_DEPTH
                message = f"the Markdown nests more than {levels} levels (emphasis, lists or quotes)"
                raise ReportError(message, Location(path, line))


def _where(path: Path, lines: list[str], lineno: int, name: str) -> Location:
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    column = line.find(name)
    return Location(path, lineno, column + 1 if column >= 0 else None)


def _template_location(error: BaseException, path: Path) -> Location:
    """Find the section line a runtime error came from, in Jinja's rewritten traceback."""
    line = None
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return Location(path, line)
