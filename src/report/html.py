"""Assemble the briefing's HTML: cover, contents, key figures, sections, sources."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from . import files, limits
from .bidi import CONTROLS, isolate
from .changes import Changes
from .charts import ChartCache, ChartData
from .errors import ErrorCollector, Location, ReportError
from .figures import Resolved
from .formatting import Formatter, figure_nouns
from .layout import balance_title, cover_metrics, page_geometry
from .narrative import Narrative, RenderedSection, display, template_filters
from .project import Project, find_font
from .qualifiers import qualifier_of
from .sandbox import ReportSandbox, check_number, plain
from .schema import Column, TableSpec

DOCUMENT_TEMPLATE = "briefing.html.j2"
STYLESHEET_TEMPLATE = "briefing.css.j2"
PROJECT_STYLESHEET = "style.css"
COVER_FONT = "NotoNaskhArabic-Bold.ttf"  # the face the cover title is measured in
SHORT_TABLE_ROWS = 6


@dataclass
class TableView:
    """A table ready to print: numbered, headed, every cell already formatted."""

    number: str
    caption: str
    source: str
    header: list[str]
    rows: list[list[tuple[str, bool]]]
    anchor: str = ""

    TEMPLATE_PROPERTIES = ("numeric", "short")

    @property
    def numeric(self) -> list[bool]:
        """Which columns hold numbers: their header and every cell align together."""
        return [index > 0 and any(row[index][1] for row in self.rows) for index in range(len(self.header))]

    @property
    def short(self) -> bool:
        """A table this short is kept whole on a page; a longer one may split (its header repeats)."""
        return len(self.rows) <= SHORT_TABLE_ROWS


@dataclass
class FigureEntry:
    """A numbered chart, for the list of figures."""

    number: str
    caption: str
    anchor: str


@dataclass(frozen=True)
class NumberCell:
    """A number in a table cell, apart from the word that qualifies it ('حوالي', 'على الأقل')."""

    number: str  # formatted, on its bidi island
    word: str = ""
    after: bool = False


@dataclass
class WhatsNew:
    label: str
    old: str
    new: str
    change: str


@dataclass
class KeyFigure:
    label: str
    value: str
    unit: str
    period: str


class DocumentBuilder:
    """Render the whole briefing to HTML and CSS for one project."""

    def __init__(
        self,
        project: Project,
        values: dict[str, Resolved],
        formatter: Formatter,
        charts: dict[str, ChartData] | None = None,
        cache: ChartCache | None = None,
        changes: Changes | None = None,
        previous_edition: str | None = None,
        print_profile: bool = False,
    ) -> None:
        """`cache` draws the charts; without it (when checking) they are only numbered.

        `changes` against `previous_edition` feed the optional "what's new" page.
        """
        self.project = project
        self.changes = changes
        self.print_profile = print_profile
        self.previous_edition = previous_edition
        self.charts = charts or {}
        self.cache = cache
        self.figure_list: list[FigureEntry] = []
        self.table_list: list[FigureEntry] = []
        self.values = values
        self.formatter = formatter
        # The same sandbox as the sections: a template override is text from many hands too.
        self.env = ReportSandbox(
            loader=files.template_loader(project.template_dirs, project.roots),
            # HTML templates are escaped for HTML; the stylesheet uses the css_string filter.
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
            finalize=_text_finalizer(formatter),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(template_filters(formatter, project.data))
        self.nouns = figure_nouns(project.data)
        self.env.filters["show"] = lambda value: display(value, formatter)
        self.env.filters["css_string"] = css_string
        self.env.filters["bare"] = bare
        self.env.filters["url"] = url_markup
        self.table_count = 0
        self.cited: set[str] = set()
        self.blocks = {"quote": self.quote, "table": self.table, "cite": self.cite, "chart": self.chart}
        self.narrative = Narrative(
            project.data, values, formatter, self.blocks, project.settings.markdown_html
        )

    # -- blocks placed from the narrative ------------------------------------------------

    def quote(self, name: str) -> str:
        quote = self.project.data.quotes[name]
        source = self.project.data.sources.get(quote.source or "")
        return self._render("quote.html.j2", quote=quote, source=source)

    def chart(self, name: str) -> str:
        if name not in self.charts:
            raise ReportError(f"unknown chart '{name}'")
        spec = self.project.data.charts[name]
        number = self.formatter.plain(len(self.figure_list) + 1)
        anchor = f"figure-{len(self.figure_list) + 1}"
        self.figure_list.append(FigureEntry(number, spec.caption, anchor))
        image = self.cache.url_for(self.charts[name], self.formatter) if self.cache else ""
        source = self.project.data.sources.get(spec.source or "")
        # The marks beside qualified values, explained: "* حوالي؛ ** أكثر من".
        notes = self.charts[name].mark_notes
        return self._render(
            "chart.html.j2", spec=spec, number=number, anchor=anchor, image=image, source=source, notes=notes
        )

    def cite(self, name: str) -> str:
        source = self.project.data.sources[name]
        # The first citation of a source is given in full, later ones refer back to it.
        again = name in self.cited
        self.cited.add(name)
        return self._render("footnote.html.j2", source=source, again=again).strip()

    def table(self, name: str) -> str:
        spec = self.project.data.tables[name]
        self.table_count += 1
        number = self.formatter.plain(self.table_count)
        anchor = f"table-{self.table_count}"
        self.table_list.append(FigureEntry(number, spec.caption, anchor))
        view = replace(_aligned(self._table_view(spec, number)), anchor=anchor)
        return self._render("table.html.j2", table=view)

    def _table_view(self, spec: TableSpec, number: str) -> TableView:
        source = self.project.data.sources.get(spec.source or "")
        source_text = source.title if source else ""
        if spec.csv is not None:
            header = [column.label for column in spec.columns]
            rows = [[self._cell(row[column.key], column) for column in spec.columns] for row in spec.csv.rows]
            return TableView(number, spec.caption, source_text, header, rows)
        figures = [self.values[name] for name in spec.figures]
        if all(r.series for r in figures):
            periods: list[str] = []
            for r in figures:
                periods.extend(p for p in r.series or {} if p not in periods)
            header = ["البيان", *(self.formatter.text(p) for p in periods)]
            rows = [
                [(r.figure.label, False)]
                + [
                    (self._figure_cell(r, r.series[p]), True)
                    if r.series and p in r.series
                    else (NumberCell("—"), True)
                    for p in periods
                ]
                for r in figures
            ]
        else:
            header = ["البيان", "العدد", "الوحدة", "الفترة"]
            rows = [
                [
                    (r.figure.label, False),
                    (self._figure_cell(r), True),
                    (self.formatter.noun_after(r.number, self.nouns.get(r.figure.name)), False),
                    (self.formatter.text(r.figure.period or ""), False),
                ]
                for r in figures
            ]
            # A column with nothing in it (no figure gives a unit, or a period) is left out.
            empty = [i for i in (2, 3) if not any(row[i][0] for row in rows)]
            header = [h for i, h in enumerate(header) if i not in empty]
            rows = [[cell for i, cell in enumerate(row) if i not in empty] for row in rows]
        return TableView(number, spec.caption, source_text, header, rows)

    def _figure_text(self, resolved: Resolved, value: float | None = None) -> str:
        """A figure's number as tables and cards print it, with the source's qualifier word."""
        return _cell_text(self._figure_cell(resolved, value))

    def _figure_cell(self, resolved: Resolved, value: float | None = None) -> NumberCell:
        number = resolved.number if value is None else value
        fmt = self.formatter
        text = fmt.percent(number) if _is_percent(resolved.figure.unit) else fmt.number(number)
        return _number_cell(fmt.island(text), resolved.qualifier)

    def _cell(self, text: str, column: Column) -> tuple[str, bool]:
        if text == "":
            return (column.missing or "—", False)  # allowed by the column's `missing:`
        if column.format in ("number", "press", "percent"):
            try:
                value = float(text)
            except ValueError:
                return (self.formatter.convert_digits(text), True)
            method = getattr(self.formatter, column.format)
            text = self.formatter.island(method(int(value) if value.is_integer() else value))
            return (_number_cell(text, column.qualifier), True)
        if column.format == "date":
            from datetime import date

            try:
                return (self.formatter.date(date.fromisoformat(text)), False)
            except ValueError:
                return (text, False)
        if column.format == "plain":
            return (self.formatter.plain(text), True)
        return (self.formatter.text(text), False)

    # -- the document --------------------------------------------------------------------

    def charts_used(self) -> list[str]:
        """The charts the sections place, in order: only those are drawn."""
        names: list[str] = []
        for section in self.project.sections:
            names.extend(n for n in self.narrative.references(section, "chart") if n not in names)
        return names

    def whats_new(self) -> list[WhatsNew]:
        """Rows of the "what's new in this edition" page: the figures that moved."""
        if not (self.project.settings.whats_new and self.changes):
            return []
        from .changes import printed

        fmt = self.formatter
        rows = []
        for change in self.changes.figures:
            old, new, delta = printed(change, fmt, fmt.island)  # as `diff` writes it
            if old == new:
                continue  # a change the rounding hides is no news to the reader
            if delta is None:
                delta = "جديد" if change.old is None else "حُذف"
            period = change.name.split("[", 1)[1].rstrip("]") if "[" in change.name else ""
            label = change.label + (f" ({fmt.plain(period)})" if period else "")
            rows.append(WhatsNew(label, old, new, delta))
        return rows

    def sections(self, errors: ErrorCollector, skip=lambda section: False) -> list[RenderedSection]:
        """Check every section, render those without errors of their own (and not `skip`ped: they
        depend on a broken entry), and raise every problem found together."""
        rendered = []
        for index, section in enumerate(self.project.sections, start=1):
            before = len(errors.errors)
            self.narrative.check(section, errors)
            if len(errors.errors) > before or skip(section):
                continue
            try:
                rendered.append(self.narrative.render(section, index))
            except ReportError as error:
                errors.extend(error)
        errors.raise_if_any()
        return rendered

    def key_figures(self) -> list[KeyFigure]:
        items = []
        chosen = self.project.settings.key_figures
        if len(chosen) > limits.MAX_KEY_FIGURES:
            raise ReportError(
                f"settings: {len(chosen):,} key figures; at most {limits.MAX_KEY_FIGURES} are shown",
                self.project.settings.location,
            )
        for name in chosen:
            resolved = self.values[name]
            figure = resolved.figure
            value = self._figure_text(resolved)
            # A percentage already carries its sign; repeating it as a unit line says nothing.
            noun = self.nouns.get(name)
            unit = "" if _is_percent(figure.unit) else self.formatter.noun_after(resolved.number, noun)
            # A series stands for its latest period: the card says which.
            period = figure.period or (list(resolved.series)[-1] if resolved.series else "")
            items.append(KeyFigure(figure.label, value, unit, self.formatter.text(period)))
        return items

    def _edition(self, edition: str | None, case: str = "nom") -> str:
        """'الإصدار الأول': an edition numbered 1 to 100 is written as an ordinal word."""
        if edition and edition.isascii() and edition.isdigit() and not edition.startswith("0"):
            if 1 <= int(edition) <= 100:
                return self.formatter.ordinal(int(edition), "m", case)
        return self.formatter.text(edition or "")

    def render(self) -> tuple[str, str]:
        """Return the document HTML and its stylesheet."""
        errors = ErrorCollector()
        sections = [replace(section, html=typeset(section.html)) for section in self.sections(errors)]
        settings = self.project.settings
        page = page_geometry(settings.page_size)
        cover = cover_metrics(page, self.print_profile)
        context: dict[str, Any] = {
            "settings": settings,
            "page": page,
            "cover": cover,
            "cover_title": self._cover_title(cover),
            "table_list": self.table_list,
            "date_text": self.formatter.date(settings.date),
            "hijri_text": self.formatter.hijri(settings.date) if settings.hijri_date else "",
            "edition": self._edition(settings.edition),
            "sections": sections,
            "key_figures": self.key_figures(),
            "figure_list": self.figure_list,
            "whats_new": self.whats_new(),
            # "منذ الإصدار العشرين": after a preposition the ordinal is genitive.
            "previous_edition": self._edition(self.previous_edition, "gen"),
            "sources": list(self.project.data.sources.values()),
            "counter_style": "arabic-indic" if settings.digits == "arabic-indic" else "decimal",
            "print_profile": self.print_profile,
        }
        html = self._render(DOCUMENT_TEMPLATE, limits.MAX_DOCUMENT_OUTPUT, **context)
        css = self._render(STYLESHEET_TEMPLATE, limits.MAX_DOCUMENT_OUTPUT, **context)
        own_css = self.project.root / "templates" / PROJECT_STYLESHEET
        if os.path.lexists(own_css):
            css += "\n" + _checked_stylesheet(own_css, files.read_text(own_css, self.project.roots))
        return html, css

    def _cover_title(self, cover: dict[str, float]) -> Markup:
        """The title in balanced lines, the last two words joined: never one word alone below."""
        font = find_font(COVER_FONT, self.project.font_dirs, self.project.roots)
        title = self.project.settings.title
        lines = balance_title(title, str(font) if font else None, cover["title_pt"], cover["title_width"])
        last = lines[-1].rsplit(" ", 1)
        lines[-1] = "\u00a0".join(last)
        return Markup("<br>").join(isolate(line) for line in lines)

    def _render(self, name: str, limit: int = limits.MAX_SECTION_OUTPUT, **context: Any) -> str:
        """Render a template in the sandbox; its errors name the template file and line."""
        template = None
        try:
            template = self.env.get_template(name)
            return self.env.render_bounded(template, plain(context), limit)
        except jinja2.TemplateNotFound as error:
            raise ReportError(f"template not found: {error.name}") from None
        except jinja2.TemplateSyntaxError as error:
            raise ReportError(f"template syntax error: {error.message}", _template_where(error)) from None
        except RecursionError as error:
            raise ReportError(
                "templates include or call each other too deeply", _runtime_where(error)
            ) from None
        except ReportError as error:
            if error.location is not None:
                raise
            where = _runtime_where(error) or Location(Path(getattr(template, "filename", None) or name))
            raise ReportError(error.message, where) from None
        except jinja2.UndefinedError as error:
            raise ReportError(f"template error: {error.message}", _runtime_where(error)) from None
        except jinja2.sandbox.SecurityError as error:
            raise ReportError(f"not allowed in a template: {error}", _runtime_where(error)) from None
        except jinja2.TemplateError as error:  # a filter given a wrong option, and the like
            raise ReportError(
                f"cannot evaluate an expression: {error.message}", _runtime_where(error)
            ) from None
        except (LookupError, AttributeError, TypeError, ValueError, ArithmeticError, AssertionError) as error:
            message = error.args[0] if error.args else type(error).__name__
            raise ReportError(f"cannot evaluate an expression: {message}", _runtime_where(error)) from None


def _number_cell(island: str, qualifier: str | None) -> NumberCell:
    claim = qualifier_of(qualifier)
    return NumberCell(island) if claim is None else NumberCell(island, claim.word, claim.after)


def _cell_text(cell: NumberCell | str) -> str:
    """A number with its qualifier as running text: 'حوالي 21', '5 ملايين على الأقل'."""
    if isinstance(cell, str):
        return cell
    if not cell.word:
        return cell.number
    return f"{cell.number} {cell.word}" if cell.after else f"{cell.word} {cell.number}"


# Estimated advance of a character in the numbers' box, in `ch` (the width of "0"): the
# digits are tabular (1 ch), separators narrower, the per-cent signs wider.
_ADVANCE = {".": 0.5, ",": 0.5, "٬": 0.5, "٫": 0.5, "%": 1.6, "٪": 0.8, " ": 0.5, "\u00a0": 0.5}


def _aligned(view: TableView) -> TableView:
    """Numbers set in boxes of one width per column, so that their units digits line up.

    Every number of a numeric column goes in an inline box as wide as the column's widest
    number, the number flush right in it (an LTR island ends on its units digit, at the
    box's right edge); the boxes stand at the left of their cells and a qualifying word
    ('حوالي') beside the box, outside it. briefing.css.j2 (Tables) gives the rule.
    """
    numeric = view.numeric
    widths = [0.0] * len(view.header)
    trailing = [""] * len(view.header)  # the longest word a column prints after its numbers
    for row in view.rows:
        for index, (cell, _) in enumerate(row):
            if numeric[index]:
                text = CONTROLS.sub("", cell.number if isinstance(cell, NumberCell) else cell)
                widths[index] = max(widths[index], sum(_ADVANCE.get(c, 1.0) for c in text))
                if isinstance(cell, NumberCell) and cell.after and len(cell.word) > len(trailing[index]):
                    trailing[index] = cell.word
    rows = []
    for row in view.rows:
        cells: list[tuple[str, bool]] = []
        for index, (cell, is_number) in enumerate(row):
            if not numeric[index]:
                cells.append((_cell_text(cell), is_number))
                continue
            if isinstance(cell, str):
                cell = NumberCell(cell if CONTROLS.search(cell) else isolate(cell))
            box = Markup('<span class="figure" style="min-width: {:.1f}ch">{}</span>').format(
                widths[index] + 0.2, cell.number
            )
            if cell.word and not cell.after:
                box = Markup('<span class="claim">{}</span> {}').format(isolate(cell.word), box)
            if trailing[index]:
                # A word after the number ('على الأقل') stands at the cell's left edge: the
                # other cells of the column keep its place, unseen, so the boxes still align.
                shown = cell.word if cell.after else trailing[index]
                hidden = "" if cell.after else " hidden"
                box = Markup('{} <span class="claim{}">{}</span>').format(box, hidden, isolate(shown))
            cells.append((box, is_number))
        rows.append(cells)
    return replace(view, rows=rows)


def css_string(text: object) -> str:
    """A quoted CSS string that no text can break out of."""
    escaped = "".join(c if c.isalnum() or c in " ،.-_" else f"\\{ord(c):x} " for c in str(text))
    return f'"{escaped}"'


def _is_percent(unit: str | None) -> bool:
    return unit in ("%", "٪", "في المائة")


def _template_where(error: jinja2.TemplateSyntaxError) -> Location:
    return Location(Path(error.filename or error.name or "template"), error.lineno)


def _runtime_where(error: BaseException) -> Location | None:
    """The template file and line a runtime error came from (the innermost template frame)."""
    where = None
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") or filename.endswith(".css"):
            where = Location(Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return where


def _text_finalizer(formatter: Formatter):
    """Every text a template inserts into HTML content stands on its own bidi island, its
    digits in the project's style (captions, titles and sources come from data)."""

    @jinja2.pass_eval_context
    def finalize(context: jinja2.nodes.EvalContext, value: Any) -> Any:
        if not context.autoescape or isinstance(value, Markup) or value is None:
            return value
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return isolate(formatter.plain(check_number(value)))
        if isinstance(value, float):
            return isolate(formatter.number(check_number(value)))
        if isinstance(value, date):
            return isolate(formatter.date(value))
        if not isinstance(value, str):
            # Records, functions, ranges: their Python form (with a memory address) is no text.
            raise ReportError(f"a {type(value).__name__} cannot be printed as text; name one of its fields")
        return isolate(formatter.text(value))

    return finalize


def _checked_stylesheet(path: Path, css: str) -> str:
    """The project's stylesheet, refused when its size or nesting would stall the CSS parser."""
    if len(css) > limits.MAX_STYLESHEET_BYTES:
        raise ReportError(
            f"the stylesheet has {len(css):,} characters; at most "
            f"{limits.MAX_STYLESHEET_BYTES:,} are allowed",
            Location(path),
        )
    depth = 0
    for line, text in enumerate(css.split("\n"), start=1):
        for char in text:
            if char in "{([":
                depth += 1
                if depth > limits.MAX_STYLESHEET_DEPTH:
                    message = f"braces and brackets nested more than {limits.MAX_STYLESHEET_DEPTH} deep"
                    raise ReportError(message, Location(path, line))
            elif char in "})]":
                depth = max(depth - 1, 0)
    return css


def url_markup(url: str) -> Markup:
    """A URL as one left-to-right island that may break after a "/" and nowhere else."""
    parts = str(url).split("/")
    segments = [part + "/" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    inner = Markup("<wbr>").join(Markup('<span class="segment">{}</span>').format(seg) for seg in segments)
    return Markup('<span class="url" dir="ltr">{}</span>').format(inner)


_TAG = re.compile(r"(<[^>]*>)")
_ISLAND = "[\u2066\u2067][^\u2069<]*[0-9\u0660-\u0669][^\u2069<]*\u2069"
_NUMBER = f"(?:{_ISLAND}|[0-9\u0660-\u0669][0-9\u0660-\u0669.,\u066b\u066c%\u066a]*)"
# "سنة 2024", "عام 2023", "لسنة 2022": the year's word and the year stay on one line.
_YEAR_WORD = re.compile(f"(?<![\u0621-\u064a])([\u0621-\u064a]{{0,3}}(?:سنة|سنتي|عام|عامي)) (?={_NUMBER})")
# "21 بنية", "١٥ ألف", "47,3% من": a number and the word after it (its unit or noun).
_NUMBER_WORD = re.compile(f"({_NUMBER}) (?=[\u0621-\u064a])")
_CALL = re.compile(r'([.:،؛,;!؟?])((?:\s|&nbsp;)*)(<span class="footnote">.*?</span>)', re.S)


def typeset(html: Markup) -> Markup:
    """The no-break and note-call rules that CSS cannot say, applied to a section's HTML.

    - a number keeps the word after it (its unit or noun), and a year its word ("سنة 2024"):
      a no-break space joins them;
    - a note call stands right after the word, before the punctuation that follows it
      ("2023(1)." not "2023.(1)"): a call typed after the punctuation moves before it.
    Only text between tags is changed; attributes are left alone.
    """
    text = _CALL.sub(lambda m: m.group(3) + m.group(1) + m.group(2), str(html))
    parts = _TAG.split(text)
    for index in range(0, len(parts), 2):
        part = _YEAR_WORD.sub("\\1\u00a0", parts[index])
        parts[index] = _NUMBER_WORD.sub("\\1\u00a0", part)
    return Markup("".join(parts))


def bare(value: Any) -> Markup:
    """Escaped text without bidi isolation: for attribute values and the document's metadata."""
    return Markup.escape(value)
