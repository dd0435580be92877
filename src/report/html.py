"""Assemble the briefing's HTML: cover, contents, key figures, sections, sources."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from . import files, limits
from .bidi import isolate
from .changes import Changes
from .charts import ChartCache, ChartData
from .errors import ErrorCollector, Location, ReportError
from .figures import Resolved
from .formatting import Formatter, figure_nouns
from .narrative import Narrative, RenderedSection, display, template_filters
from .project import Project
from .sandbox import ReportSandbox, check_number, plain
from .schema import Column, TableSpec

DOCUMENT_TEMPLATE = "briefing.html.j2"
STYLESHEET_TEMPLATE = "briefing.css.j2"
PROJECT_STYLESHEET = "style.css"


@dataclass
class TableView:
    """A table ready to print: numbered, headed, every cell already formatted."""

    number: str
    caption: str
    source: str
    header: list[str]
    rows: list[list[tuple[str, bool]]]

    TEMPLATE_PROPERTIES = ("numeric", "short")

    @property
    def numeric(self) -> list[bool]:
        """Which columns hold numbers: their header and every cell align together."""
        return [index > 0 and any(row[index][1] for row in self.rows) for index in range(len(self.header))]

    @property
    def short(self) -> bool:
        return len(self.rows) <= 12


@dataclass
class FigureEntry:
    """A numbered chart, for the list of figures."""

    number: str
    caption: str
    anchor: str


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
        self.values = values
        self.formatter = formatter
        # The same sandbox as the sections: a template override is text from many hands too.
        self.env = ReportSandbox(
            loader=files.template_loader(project.template_dirs, project.roots),
            # HTML templates are escaped for HTML; the stylesheet uses the css_string filter.
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
            finalize=_isolate_text,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(template_filters(formatter, project.data))
        self.nouns = figure_nouns(project.data)
        self.env.filters["show"] = lambda value: display(value, formatter)
        self.env.filters["css_string"] = css_string
        self.env.filters["bare"] = bare
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
        image = self.cache.path_for(self.charts[name], self.formatter).as_uri() if self.cache else ""
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
        view = self._table_view(spec, self.formatter.plain(self.table_count))
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
                    (self._figure_text(r, r.series[p]), True) if r.series and p in r.series else ("—", True)
                    for p in periods
                ]
                for r in figures
            ]
        else:
            header = ["البيان", "العدد", "الوحدة", "الفترة"]
            rows = [
                [
                    (r.figure.label, False),
                    (self._figure_text(r), True),
                    (self.formatter.noun_after(r.number, self.nouns.get(r.figure.name)), False),
                    (self.formatter.text(r.figure.period or ""), False),
                ]
                for r in figures
            ]
        return TableView(number, spec.caption, source_text, header, rows)

    def _figure_text(self, resolved: Resolved, value: float | None = None) -> str:
        """A figure's number as tables and cards print it, with the source's qualifier word."""
        number = resolved.number if value is None else value
        fmt = self.formatter
        text = fmt.percent(number) if _is_percent(resolved.figure.unit) else fmt.number(number)
        return fmt.qualified(fmt.island(text), resolved.qualifier)

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
            return (self.formatter.qualified(text, column.qualifier), True)
        if column.format == "date":
            from datetime import date

            try:
                return (self.formatter.date(date.fromisoformat(text)), False)
            except ValueError:
                return (text, False)
        if column.format == "plain":
            return (self.formatter.plain(text), True)
        return (text, False)

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
        fmt = self.formatter
        rows = []
        for change in self.changes.figures:
            percent = _is_percent(change.unit)

            def show(value: float | None, percent: bool = percent) -> str:
                if value is None:
                    return "—"
                return fmt.percent(value) if percent else fmt.number(value)

            if change.change is None:
                delta = "جديد" if change.old is None else "حُذف"
            elif percent:
                delta = fmt.convert_digits(f"{change.change:+.1f}".replace(".", ",")) + " نقطة"
            else:
                delta = ("+" if change.change > 0 else "−") + fmt.number(abs(change.change))
                if change.percent is not None:
                    delta += f" ({('+' if change.percent > 0 else '−')}{fmt.percent(abs(change.percent))})"
            period = change.name.split("[", 1)[1].rstrip("]") if "[" in change.name else ""
            label = change.label + (f" ({fmt.plain(period)})" if period else "")
            rows.append(WhatsNew(label, show(change.old), show(change.new), delta))
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
            items.append(KeyFigure(figure.label, value, unit, self.formatter.text(figure.period or "")))
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
        sections = self.sections(errors)
        settings = self.project.settings
        context: dict[str, Any] = {
            "settings": settings,
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


@jinja2.pass_eval_context
def _isolate_text(context: jinja2.nodes.EvalContext, value: Any) -> Any:
    """Every text a template inserts into HTML content stands on its own bidi island."""
    if not context.autoescape or isinstance(value, Markup) or value is None:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return check_number(value)
    if not isinstance(value, (str, date)):
        # Records, functions, ranges: their Python form (with a memory address) is no text.
        raise ReportError(f"a {type(value).__name__} cannot be printed as text; name one of its fields")
    return isolate(str(value))


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


def bare(value: Any) -> Markup:
    """Escaped text without bidi isolation: for attribute values and the document's metadata."""
    return Markup.escape(value)
