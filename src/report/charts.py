"""Turn chart specs from data into drawable chart data, and cache drawn charts by content hash.

Nothing here imports matplotlib: a build whose charts are all cached never pays for it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import os
import stat
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import ErrorCollector, Location, ReportError
from .figures import Resolved
from .files import read_cached
from .limits import MAX_CHART_CHARACTERS, MAX_CHART_POINTS, MAX_CHART_TEXT
from .qualifiers import QUALIFIERS
from .schema import ChartSpec, Data, suggest
from .sealing import user_key

logger = logging.getLogger(__name__)

CACHE_FOLDER = ".report-cache/charts"
# How the HTML names a drawn chart: by file name, not path, so the same chart has the same URL
# (and WeasyPrint the same image name) in any folder; the fetcher looks in CACHE_FOLDER.
CHART_SCHEME = "report-chart:"


@dataclass(frozen=True)
class ChartData:
    """What a chart draws: categories in reading order, and one or more series of values."""

    name: str
    kind: str
    title: str
    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    unit: str = ""
    percent: bool = False
    orientation: str = "vertical"
    style: str = "stacked"
    colors: list[str] = field(default_factory=list)
    notes: list[float | None] = field(default_factory=list)  # timeline: a value per event
    # A mark beside each value the source qualifies ("*" for about, "**" for more than...),
    # the same shape as `series`; `mark_notes` explains them under the chart.
    marks: list[list[str]] = field(default_factory=list)
    mark_notes: list[tuple[str, str]] = field(default_factory=list)
    note_qualifier: str | None = None  # timeline: how the source qualifies its values
    noun: dict | None = None  # timeline: the values' declared noun (grammar.Noun fields)


@dataclass(frozen=True)
class ChartStyle:
    """Everything outside the data that changes how a chart looks."""

    locale: str
    digits: str
    fonts: list[str]  # font files, regular first, then bold, then Latin fallbacks
    width_mm: float = 160.0
    height_mm: float = 80.0
    # The tallest chart a page holds with its caption and source (0: no bound); a taller one
    # would run off the page, so it is an error at its declaration.
    most_height_mm: float = 0.0


def prepare_charts(data: Data, values: dict[str, Resolved], errors: ErrorCollector) -> dict[str, ChartData]:
    """Check every chart spec against the figures and return what each chart draws."""
    prepared = {}
    for spec in data.charts.values():
        named = [*spec.figures, spec.when, spec.value]
        if any(n in data.broken or (n in data.figures and n not in values) for n in named if n):
            continue  # a figure it shows has errors, reported where they are
        try:
            prepared[spec.name] = _prepare(spec, data, values)
        except ReportError as error:
            errors.extend(error)
    return prepared


def _prepare(spec: ChartSpec, data: Data, values: dict[str, Resolved]) -> ChartData:
    chart = _gather(spec, data, values)
    _check_size(spec, chart)
    return chart


def _check_size(spec: ChartSpec, chart: ChartData) -> None:
    """Refuse a chart whose drawing would take minutes: too many points or too long a label."""
    what = f"chart '{spec.name}'"
    count = max([len(chart.categories), len(chart.series), *(len(values) for _, values in chart.series)])
    if count > MAX_CHART_POINTS:
        raise ReportError(
            f"{what}: {count:,} categories or periods to draw; at most {MAX_CHART_POINTS} fit on one "
            "chart (choose some with 'periods', or split the chart)",
            spec.location,
        )
    texts = [*chart.categories, *(name for name, _ in chart.series)]
    for text in texts:
        if len(text) > MAX_CHART_TEXT:
            shown = text[:20] + "…"
            raise ReportError(
                f"{what}: the label {shown!r} has {len(text):,} characters; at most {MAX_CHART_TEXT} fit "
                "on a chart (give a short one in 'labels')",
                spec.location,
            )
    total = sum(map(len, [chart.title, *texts]))
    if total > MAX_CHART_CHARACTERS:
        raise ReportError(
            f"{what}: its title and labels have {total:,} characters together; at most "
            f"{MAX_CHART_CHARACTERS:,} fit on one chart (shorten the labels in 'labels')",
            spec.location,
        )


def _gather(spec: ChartSpec, data: Data, values: dict[str, Resolved]) -> ChartData:
    what = f"chart '{spec.name}'"

    def fail(message: str, key: str = "figures") -> ReportError:
        # At the key at fault: `figures:` for the figures it shows, `periods:`, `when:`...
        return ReportError(f"{what}: {message}", spec.at(key))

    labels = dict(spec.labels)

    def figure(name: str | None, key: str = "figures") -> Resolved:
        if name not in data.figures:
            raise fail(f"unknown figure '{name}'{suggest(name or '', data.figures)}", key)
        if name not in values:
            raise fail(f"figure '{name}' has errors", key)
        return values[name]

    def series_of(name: str, key: str = "figures") -> dict[str, float]:
        resolved = figure(name, key)
        if not resolved.series:
            raise fail(f"figure '{name}' is not a series (give it 'series: {{period: value}}')", key)
        return resolved.series

    def label(name: str) -> str:
        if labels.get(name):
            return labels[name]
        own = figure(name).figure
        if len(own.label) > MAX_CHART_TEXT:
            raise ReportError(
                f"{what}: the label of figure '{name}' has {len(own.label):,} characters; at most "
                f"{MAX_CHART_TEXT} fit on a chart (give a short one in the chart's 'labels')",
                own.location,
            )
        return own.label

    def check_signs(names: list[str], numbers: list[float | None]) -> None:
        """Negative values only for figures declared `signed`, and never as parts of a whole."""
        for name, number in zip(names, numbers, strict=True):
            if number is None or number >= 0:
                continue
            if spec.kind == "share":
                raise fail(f"figure '{name}' is negative ({number:g}); the parts of a share chart cannot be")
            if spec.kind == "timeline":
                raise fail(f"figure '{name}' is negative ({number:g}); a timeline's values cannot be")
            if not figure(name).figure.signed:
                raise fail(
                    f"figure '{name}' is negative ({number:g}) but not signed "
                    "(set 'signed: true' on the figure to chart values below zero)"
                )

    figures = [figure(name) for name in spec.figures]
    unit = figures[0].figure.unit or "" if figures else ""
    percent = unit in ("%", "٪")
    mixed = [r.figure.name for r in figures if (r.figure.unit in ("%", "٪")) != percent]
    if mixed:
        # One value axis, one number format: 1.200 doctors must not print as "1.200%".
        raise fail(
            f"'{spec.figures[0]}' and '{mixed[0]}' are not both percentages: one chart shows "
            "percentages or counts, not both"
        )
    common = {
        "name": spec.name,
        "kind": spec.kind,
        # The caption is the chart's title; one drawn inside the chart too only when asked for.
        "title": (spec.title or spec.caption) if spec.show_title else "",
        "unit": unit,
        "percent": percent,
    }
    common.update(orientation=spec.orientation, style=spec.style, colors=list(spec.colors))

    marking = _Marks()
    if spec.kind == "bar" and len(figures) == 1 and figures[0].series:
        # One series in a bar chart: one bar per period (its latest value alone would hide the rest).
        only = figures[0]
        periods = list(dict.fromkeys(spec.periods or only.series))
        numbers = [only.series.get(p) for p in periods]
        check_signs([only.figure.name] * len(numbers), numbers)
        marks = [[marking.mark(only.qualifier) for _ in periods]]
        return ChartData(
            categories=[labels.get(p, p) for p in periods], series=[("", numbers)], marks=marks,
            mark_notes=marking.notes(), **common,
        )  # fmt: skip
    if spec.kind in ("bar", "share"):
        series = [r.figure.name for r in figures if r.series]
        if series:
            raise fail(
                f"figure '{series[0]}' is a series: a {spec.kind} chart of several figures shows one value "
                "each (chart a series alone, or use kind: grouped or line)"
            )
        numbers = [r.number for r in figures]
        check_signs(list(spec.figures), numbers)
        if spec.kind == "share" and sum(numbers) <= 0:
            raise fail("the parts of a share chart add up to nothing")
        marks = [[marking.mark(r.qualifier) for r in figures]]
        return ChartData(
            categories=[label(n) for n in spec.figures], series=[("", numbers)], marks=marks,
            mark_notes=marking.notes(), **common,
        )  # fmt: skip

    if spec.kind in ("grouped", "line"):
        all_series = {name: series_of(name) for name in spec.figures}
        # Periods without a value (`missing: true`) stay on the axis, with no point: never dropped.
        order = {n: figure(n).figure.order or tuple(points) for n, points in all_series.items()}
        # dict.fromkeys: periods in order of first appearance, without a quadratic search.
        periods = list(dict.fromkeys(spec.periods or (p for n in spec.figures for p in order[n])))
        gaps = [p for p in periods if any(p in figure(n).figure.gaps for n in spec.figures)]
        for name, points in all_series.items():
            missing = [p for p in spec.periods if p not in order[name]]
            if missing:
                raise fail(
                    f"figure '{name}' has no period {missing[0]} (it has {', '.join(points)})", "periods"
                )
        qualifier = {n: figure(n).qualifier for n in spec.figures}
        if spec.kind == "line":
            series = [(label(n), [all_series[n].get(p) for p in periods]) for n in spec.figures]
            marks = [[marking.mark(qualifier[n]) for _ in periods] for n in spec.figures]
            categories = [labels.get(p, p) for p in periods]
        else:
            # Grouped bars: one group per figure, one bar per period.
            series = [(labels.get(p, p), [all_series[n].get(p) for n in spec.figures]) for p in periods]
            marks = [[marking.mark(qualifier[n]) for n in spec.figures] for _ in periods]
            categories = [label(n) for n in spec.figures]
        for name in spec.figures:
            check_signs([name] * len(periods), [all_series[name].get(p) for p in periods])
        # The chart says which periods have no value in the source.
        notes = marking.notes() + ([("—", "دون قيمة: " + "، ".join(gaps))] if gaps else [])
        return ChartData(categories=categories, series=series, marks=marks, mark_notes=notes, **common)

    # A timeline: events keyed by name, placed by `when`, annotated with `value`.
    when = series_of(spec.when or "", "when")
    undated = figure(spec.when or "", "when").figure.gaps
    if undated:
        raise fail(f"figure '{spec.when}' has no date for {undated[0]}: a timeline cannot place it", "when")
    extra = series_of(spec.value, "value") if spec.value else {}
    events = sorted(when, key=lambda key: when[key])
    notes = []
    for key in events:
        number = extra.get(key)
        check_signs([spec.value or ""], [number])
        notes.append(number)
    unit = figure(spec.value).figure.unit or "" if spec.value else ""
    common["unit"] = unit
    declared = data.units.get(unit)
    noun = None
    if declared is not None:
        noun = {
            "singular": declared.singular, "plural": declared.plural, "gender": declared.gender,
            "accusative": declared.accusative or "", "dual": declared.dual or "",
        }  # fmt: skip
    return ChartData(
        categories=[labels.get(key, key) for key in events],
        series=[("", [when[key] for key in events])],
        notes=notes,
        note_qualifier=figure(spec.value).qualifier if spec.value else None,
        noun=noun,
        **common,
    )


class _Marks:
    """Marks for qualified values, one per kind of claim, in the order they first appear."""

    SIGNS = ("*", "**", "***", "****", "*****")

    def __init__(self) -> None:
        self.given: dict[str, str] = {}

    def mark(self, qualifier: str | None) -> str:
        if not qualifier:
            return ""
        if qualifier not in self.given:
            self.given[qualifier] = self.SIGNS[len(self.given)]
        return self.given[qualifier]

    def notes(self) -> list[tuple[str, str]]:
        return [(sign, QUALIFIERS[q].word) for q, sign in self.given.items()]


class ChartCache:
    """Drawn charts stored as one-page PDF files named by the hash of everything that shapes them.

    The cache folder is inside the project, so it is not trusted: each file ends with a
    seal, an HMAC-SHA256 of its bytes under a key of the person running `report` (see
    `sealing.user_key`). A file that is truncated, altered, planted by the project or not a
    regular file fails the check and the chart is drawn again.
    """

    def __init__(self, root: Path, style: ChartStyle) -> None:
        self.root = root
        self.folder = root / CACHE_FOLDER
        self.style = style
        self.drawn = 0
        self.reused = 0
        self.locations: dict = {}
        self._drawn_here: set[Path] = set()  # drawn by this build: not counted as reused
        self._pending: set[Path] = set()
        self._style_key = _style_fingerprint(style)
        self._seal_key = user_key()

    def key(self, chart: ChartData) -> str:
        payload = json.dumps(
            {"chart": asdict(chart), "style": self._style_key}, sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]

    def start_drawing(self, charts: list[ChartData], formatter, locations: dict | None = None):
        """Start drawing the charts missing from the cache, in worker processes; return `finish`.

        The workers run while the caller renders the HTML and imports WeasyPrint; `finish()`
        waits for them and stores the drawings. A chart that cannot be drawn is reported at its
        declaration (`locations` by name).
        """
        self.locations.update(locations or {})
        self._check_folder()
        missing = [c for c in charts if not self._intact(self._path(c))]
        self._pending = {self._path(c) for c in missing}
        if not missing:
            return lambda: None
        from . import drawing  # imported once here, inherited by the forked workers

        cores = os.cpu_count() or 1
        if cores < 2:
            return lambda: self._finish(
                missing,
                [lambda c=c: drawing.draw_pdf(c, self.style, formatter) for c in missing],
                None,
            )
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from .parts import die_with_parent

        pool = ProcessPoolExecutor(
            min(len(missing), cores),
            mp_context=multiprocessing.get_context("fork"),
            initializer=die_with_parent,
        )
        futures = [pool.submit(drawing.draw_pdf, chart, self.style, formatter) for chart in missing]
        return lambda: self._finish(missing, [f.result for f in futures], pool)

    def draw_all(self, charts: list[ChartData], formatter, locations: dict | None = None) -> None:
        """Draw the charts missing from the cache and wait for them."""
        self.start_drawing(charts, formatter, locations)()

    def _finish(self, missing, results, pool) -> None:
        try:
            for done, (chart, result) in enumerate(zip(missing, results, strict=True), start=1):
                self._store(chart, self._drawn(chart, result))
                logger.info("drew chart %d of %d: %s", done, len(missing), chart.name)
        finally:
            self._pending = set()
            if pool is not None:
                pool.shutdown(cancel_futures=True)

    def _drawn(self, chart: ChartData, draw) -> bytes:
        """The PDF `draw()` returns; a chart that cannot be drawn is an error at its declaration."""
        where = self.locations.get(chart.name)
        try:
            drawn = draw()
        except ReportError as error:
            raise ReportError(error.message, error.location or where) from None
        except (ValueError, TypeError, OverflowError, RuntimeError, MemoryError, RecursionError) as error:
            raise ReportError(f"chart '{chart.name}': cannot draw it: {error}", where) from None
        if not isinstance(drawn, bytes) or not drawn.startswith(b"%PDF-"):
            raise ReportError(f"chart '{chart.name}': cannot draw it: the drawing is empty", where)
        return drawn

    def _path(self, chart: ChartData) -> Path:
        return self.folder / f"{chart.name}-{self.key(chart)}.pdf"

    def _check_folder(self) -> None:
        """The cache is written only inside the project: no symbolic link on the way to it."""
        step = self.root
        for part in Path(CACHE_FOLDER).parts:
            step = step / part
            if step.is_symlink():
                raise ReportError(
                    f"{step.relative_to(self.root).as_posix()} is a symbolic link: the chart cache is "
                    "written only inside the project (remove the link)"
                )

    def _intact(self, path: Path) -> bool:
        """Whether the file is a regular file whose seal matches its bytes."""
        data = read_cached(path)
        return data is not None and _unseal(data, self._seal_key, path.name) is not None

    def _cache_error(self, path: Path, problem: str) -> ReportError:
        where = Location(path.relative_to(self.root)) if path.is_relative_to(self.root) else Location(path)
        return ReportError(f"cannot write the chart cache: {problem} (delete .report-cache/)", where)

    def _store(self, chart: ChartData, drawn: bytes) -> Path:
        path = self._path(chart)
        self._check_folder()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise self._cache_error(self.folder, "a file stands where its folder should be") from None
        except OSError as error:
            raise self._cache_error(self.folder, error.strerror or str(error)) from None
        try:
            kind = stat.S_IFMT(os.lstat(path).st_mode)
        except FileNotFoundError:
            kind = None
        except OSError as error:
            raise self._cache_error(path, error.strerror or str(error)) from None
        if kind == stat.S_IFDIR:
            # os.replace cannot put a file where a folder is; any other entry is replaced by name.
            raise self._cache_error(path, "a folder stands where a cached chart should be")
        # A unique temporary name: two builds drawing the same chart must not collide.
        try:
            handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=self.folder)
        except OSError as error:
            raise self._cache_error(self.folder, error.strerror or str(error)) from None
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(_seal(drawn, self._seal_key, path.name))
            os.replace(temporary, path)  # a symbolic link at `path` is replaced, not followed
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise self._cache_error(path, error.strerror or str(error)) from None
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.drawn += 1
        self._drawn_here.add(path)
        return path

    def url_for(self, chart: ChartData, formatter) -> str:
        """The URL the HTML gives a chart (see CHART_SCHEME), drawing it if needed."""
        return CHART_SCHEME + self.path_for(chart, formatter).name

    def path_for(self, chart: ChartData, formatter) -> Path:
        """Return the drawn chart's file, drawing it only when no intact cached copy exists."""
        path = self._path(chart)
        if path in self._pending:
            return path  # being drawn in the background (start_drawing)
        if path in self._drawn_here or self._intact(path):
            if path not in self._drawn_here:
                self.reused += 1
            return path
        self._check_folder()
        from .drawing import draw_pdf  # matplotlib is imported only when a chart must be drawn

        self._store(chart, self._drawn(chart, lambda: draw_pdf(chart, self.style, formatter)))
        return path


_SEAL = b"\n%report-seal: "
_SEAL_END = b"\n"


def _seal(drawn: bytes, key: bytes, name: str) -> bytes:
    """The PDF followed by a comment line holding the HMAC of its file name and bytes: a sealed
    chart renamed to another chart's name (or an older drawing put back) does not pass."""
    return drawn + _SEAL + _mac(key, name, drawn) + _SEAL_END


def _mac(key: bytes, name: str, drawn: bytes) -> bytes:
    return hmac.new(key, name.encode("utf-8") + b"\0" + drawn, hashlib.sha256).hexdigest().encode()


def unsealed_chart(data: bytes, name: str) -> bytes | None:
    """The PDF of the chart this user's `report` drew and sealed as `name`, or None."""
    return _unseal(data, user_key(), name)


def _unseal(data: bytes, key: bytes, name: str) -> bytes | None:
    """The drawing of a file sealed as `name`, or None when the seal is missing or does not match."""
    body, found, tail = data.rpartition(_SEAL)
    if not found or not tail.endswith(_SEAL_END):
        return None
    return body if hmac.compare_digest(tail[: -len(_SEAL_END)], _mac(key, name, body)) else None


def _style_fingerprint(style: ChartStyle) -> dict:
    """Hash the style, the font files and the drawing code: a change in any redraws the charts."""
    fonts = [hashlib.sha256(Path(font).read_bytes()).hexdigest()[:16] for font in style.fonts]
    code, versions = _drawing_code()
    return {**asdict(style), "fonts": fonts, "code": code, "matplotlib": versions}


@functools.cache
def _drawing_code() -> tuple[str, str]:
    """The drawing code's hash and library versions, once per process (they do not change
    under a running process; `--watch` rebuilds would read them every time)."""
    code = hashlib.sha256()
    # Labels and ticks come from all of these.
    for module in ("drawing.py", "charts.py", "formatting.py", "grammar.py", "qualifiers.py", "bidi.py"):
        code.update((Path(__file__).parent / module).read_bytes())
    try:
        from importlib.metadata import version

        versions = version("matplotlib") + "/babel " + version("babel")
    except Exception:  # noqa: BLE001 - a missing version only weakens the cache key
        versions = "unknown"
    return code.hexdigest()[:16], versions
