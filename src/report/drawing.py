"""Draw chart data with matplotlib as PDF (SVG for the baseline), the right-to-left way, text as paths.

matplotlib >= 3.11 lays text out with libraqm, which shapes Arabic and applies bidi by
itself: labels are passed in logical order. Only a matplotlib built without libraqm gets
labels pre-shaped with arabic-reshaper and python-bidi (see ../shared/guides/ARABIC.md).
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager, ft2font  # noqa: E402
from matplotlib.backends import backend_pdf  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from .bidi import strip_controls  # noqa: E402
from .charts import ChartData, ChartStyle  # noqa: E402
from .errors import ReportError  # noqa: E402
from .formatting import Formatter  # noqa: E402
from .grammar import Noun  # noqa: E402

# Okabe-Ito colours, ordered so that neighbours also differ in lightness when printed
# in greyscale; hatches tell series apart where colour alone would not.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
HATCHES = ["", "///", "\\\\\\", "xx", "--", "||"]  # line hatches: dot hatches make huge SVG paths
INK = "#222222"
GRID = "#d0d0d0"
MM = 1 / 25.4


def has_libraqm() -> bool:
    """Whether this matplotlib shapes complex text itself."""
    return bool(getattr(ft2font, "__libraqm_version__", None))


def renderer_shapes() -> bool:
    """Whether labels go to matplotlib in logical order (it shapes) or pre-shaped.

    REPORT_CHART_SHAPING=reshape|native overrides the detection, for diagnosis only.
    """
    forced = os.environ.get("REPORT_CHART_SHAPING", "auto")
    if forced in ("reshape", "native"):
        return forced == "native"
    return has_libraqm()


def shape_label(text: str, renderer_shapes: bool | None = None) -> str:
    """Return text as matplotlib must receive it: logical order when it shapes, visual otherwise."""
    if renderer_shapes is None:
        renderer_shapes = globals()["renderer_shapes"]()
    if renderer_shapes:
        return text
    import arabic_reshaper
    from bidi.algorithm import get_display

    # This bidi implementation knows embeddings, not isolates: a number's island becomes an
    # embedding (the same order for a label of one line), and the controls are not drawn.
    embedded = text.translate(_ISOLATES_AS_EMBEDDINGS)
    return strip_controls(get_display(arabic_reshaper.reshape(embedded)))


_ISOLATES_AS_EMBEDDINGS = str.maketrans(
    {"\u2066": "\u202a", "\u2067": "\u202b", "\u2068": "", "\u2069": "\u202c"}
)


def register_fonts(files: list[str]) -> list[str]:
    """Make the project's font files known to matplotlib; return their family names in order."""
    families: list[str] = []
    for file in files:
        try:
            font_manager.fontManager.addfont(file)
            family = font_manager.FontProperties(fname=file).get_name()
        except (OSError, RuntimeError, ValueError) as error:
            raise ReportError(f"cannot read font file {file}: {error}") from None
        if family not in families:
            families.append(family)
    return families


def chart_rc(families: list[str]) -> dict:
    return {
        "font.family": families,
        "font.size": 8.5,
        "svg.fonttype": "path",  # text as paths: matplotlib's shaping, not the SVG renderer's
        "svg.hashsalt": "report",
        "axes.unicode_minus": False,  # U+2212 is in neither font: the text's hyphen-minus
        "text.parse_math": False,  # a "$" in a label is a dollar sign, not mathtext
        "axes.edgecolor": INK,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "axes.spines.top": False,
        "axes.spines.left": False,
    }


# The text width the heights below were chosen at (A4); other widths scale them.
REFERENCE_WIDTH_MM = 160.0
# Heights of the plot (with its ticks and labels) that suit each kind at that width; a legend
# or a title drawn above the plot adds its own height.
HEIGHTS_MM = {"bar": 68, "grouped": 70, "line": 64, "share": 14, "donut": 52, "timeline": 50}
GAP_PT = 2.0  # the least room between two texts, or between a text and the data
CATEGORY_GAP_PT = 8.0  # the least room between two category labels side by side


@dataclass
class Drawn:
    """What a drawer hands back: legend entries in reading order, and the work left after layout."""

    entries: list[tuple[object, str]] = field(default_factory=list)
    fit: Callable[[], None] | None = None  # called once the figure has its final size
    legend_beside: bool = False  # the legend stands right of the plot (donut), not above it


def chart_height_mm(chart: ChartData, style: ChartStyle) -> float:
    """The plot's height: the kind's height, shrunk less than the width on a narrow page.

    Text keeps its printed size (8.5 pt) on every page, so a narrow chart needs nearly the
    same height for its labels; a wide (landscape) one does not need more.
    """
    key = "donut" if chart.kind == "share" and chart.style == "donut" else chart.kind
    base = HEIGHTS_MM.get(key, style.height_mm)
    if chart.kind == "bar" and chart.orientation == "horizontal":
        base = max(base * 0.6, 12 + 9 * len(chart.categories))  # a row per bar
    return base * min(1.0, max(0.8, style.width_mm / REFERENCE_WIDTH_MM))


def build_figure(chart: ChartData, style: ChartStyle, formatter: Formatter, shaping: bool | None = None):
    """Lay a chart out on a new matplotlib figure (call inside chart_rc) and return it."""

    def label(text: str) -> str:
        # Digits typed in labels ("2024", "الدورة 3") take the document's digit style; the word
        # joiner of a range matters only where lines break, and no chart label breaks.
        return shape_label(formatter.text(text).replace("\u2060", ""), shaping)

    width = style.width_mm * MM
    plot = chart_height_mm(chart, style) * MM
    figure, axes = plt.subplots(figsize=(width, plot), layout="constrained")
    figure.get_layout_engine().set(h_pad=2 / 72, w_pad=2 / 72)
    drawn = DRAWERS[chart.kind](axes, chart, formatter, label)
    renderer = figure.canvas.get_renderer()
    extra = 0.0
    if chart.title:
        title = figure.suptitle(
            label(chart.title), x=1, ha="right", fontsize=10, fontweight="bold", color=INK
        )
        extra += title.get_window_extent(renderer).height / figure.dpi + 4 / 72
    if drawn.entries:
        legend = _legend(figure, drawn.entries, drawn.legend_beside)
        if not drawn.legend_beside:
            extra += legend.get_window_extent(renderer).height / figure.dpi + 4 / 72
    figure.set_size_inches(width, plot + extra)
    if drawn.fit is not None:
        try:
            drawn.fit()
        except CrowdedLabels as crowded:
            plt.close(figure)
            turn = ", or draw it with `orientation: horizontal`" if chart.kind == "bar" else ""
            raise ReportError(
                f"chart '{chart.name}': its {crowded.args[0]} category labels overlap at this page "
                "width, even on three lines: shorten them (a short name in the data, the full one "
                f"in the caption) or use fewer categories{turn}"
            ) from None
    return figure


def draw_pdf(chart: ChartData, style: ChartStyle, formatter: Formatter, shaping: bool | None = None) -> bytes:
    """Return the chart as a one-page PDF, text drawn as paths; a glyph missing from every font
    is an error.

    The page is placed in the briefing as a form XObject (chart_forms.py): WeasyPrint never
    parses it, where an SVG cost more to parse and draw than the rest of its page.
    """
    return _draw(chart, style, formatter, shaping, "pdf")


def draw_svg(chart: ChartData, style: ChartStyle, formatter: Formatter, shaping: bool | None = None) -> bytes:
    """Return the chart as SVG bytes, text drawn as paths (the plain route in bench/baseline.py)."""
    return _draw(chart, style, formatter, shaping, "svg")


def _draw(
    chart: ChartData, style: ChartStyle, formatter: Formatter, shaping: bool | None, kind: str
) -> bytes:
    families = register_fonts(style.fonts)
    with plt.rc_context(chart_rc(families)), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = build_figure(chart, style, formatter, shaping)
        try:
            _check_height(chart, style, figure.get_size_inches()[1] * 25.4)
            buffer = io.BytesIO()
            if kind == "pdf":
                # Whole points: the stand-in laid out in its place (chart_forms.py) has a pixel
                # per point, so the chart fills it at its own aspect ratio.
                width, height = figure.get_size_inches()
                figure.set_size_inches(round(width * 72) / 72, round(height * 72) / 72)
                with _pdf_text_as_paths():
                    # No date, producer or creator: the same chart gives the same bytes.
                    metadata = {"CreationDate": None, "Creator": None, "Producer": None}
                    figure.savefig(buffer, format="pdf", metadata=metadata)
            else:
                figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(figure)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if missing:
        raise ReportError(f"chart '{chart.name}': {missing[0]}")
    return buffer.getvalue()


def _check_height(chart: ChartData, style: ChartStyle, height_mm: float) -> None:
    """A chart taller than a page can hold would be cut at the page's foot: refuse it."""
    if style.most_height_mm and height_mm > style.most_height_mm:
        rows = f" ({len(chart.categories)} categories)" if len(chart.categories) > 12 else ""
        raise ReportError(
            f"chart '{chart.name}' is {height_mm:.0f} mm tall{rows}, more than the "
            f"{style.most_height_mm:.0f} mm a page of this size holds for a chart with its caption: "
            "split it into several charts"
        )


class _PathTextRenderer(backend_pdf.RendererPdf):
    """matplotlib's PDF renderer with text drawn as paths, as `svg.fonttype: path` does for SVG.

    Embedded chart fonts would carry no Unicode map for the shaped glyphs (PDF/UA requires
    one) and would put labels into the briefing's text layer, out of reading order.
    """

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        self._draw_text_as_path(gc, x, y, s, prop, angle, ismath, mtext)


@contextmanager
def _pdf_text_as_paths():
    # print_pdf looks the renderer class up in its module when it saves.
    saved = backend_pdf.RendererPdf
    backend_pdf.RendererPdf = _PathTextRenderer
    try:
        yield
    finally:
        backend_pdf.RendererPdf = saved


def value_formatter(formatter: Formatter, percent: bool) -> FuncFormatter:
    """Tick labels in the same number style and digits as the text."""

    # On an island: "٪٤٥" with Arabic-Indic digits, as in the text (the tick has no strong letter).
    def tick(value: float, _position) -> str:
        value = 0.0 if abs(value) < 1e-12 else value  # never "-0%"
        # Whole ticks without decimals; a tick between whole percents keeps its decimal
        # ("-0,5%"), so that no two ticks print the same label.
        decimals = 0 if float(value).is_integer() else 1
        return formatter.island(formatter.percent(value, decimals) if percent else formatter.number(value, 1))

    return FuncFormatter(tick)


def _value_axis_right(axes, formatter: Formatter, percent: bool, axis: str = "y") -> None:
    """Right-to-left convention: the value axis stands on the right."""
    fmt = value_formatter(formatter, percent)
    if axis == "y":
        axes.yaxis.tick_right()
        axes.yaxis.set_label_position("right")
        axes.yaxis.set_major_formatter(fmt)
        axes.yaxis.set_major_locator(MaxNLocator(5))
        axes.spines["right"].set_visible(True)
        axes.grid(axis="y", color=GRID, linewidth=0.6)
    else:
        axes.xaxis.set_major_formatter(fmt)
        axes.xaxis.set_major_locator(MaxNLocator(5))
        axes.grid(axis="x", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)


def _value_text(formatter: Formatter, chart: ChartData, value: float | None, mark: str = "") -> str:
    """A value label on its own island, the mark of a qualified value after the number in its
    reading order: "47,3%*" with Western digits, "*٪٤٧٫٣" (read ٤٧٫٣٪ then *) with Arabic-Indic."""
    if value is None:
        return ""
    return formatter.island((formatter.percent(value) if chart.percent else formatter.number(value)) + mark)


def _marks(chart: ChartData, series: int, count: int) -> list[str]:
    return chart.marks[series] if len(chart.marks) > series else [""] * count


def _colours(chart: ChartData) -> list[str]:
    return chart.colors or PALETTE


def _zero_line(axes, axis: str = "y") -> None:
    """The line values diverge from, darker than the grid."""
    line = axes.axhline if axis == "y" else axes.axvline
    line(0, color=INK, linewidth=0.9, zorder=2.5)


# Legends ------------------------------------------------------------------------------------


def _reading_order(entries: list[tuple[object, str]], columns: int) -> list[tuple[object, str]]:
    """Order entries so that matplotlib, which fills a legend column by column from the left,
    shows them in rows read from the right: the first entry at the top right."""
    rows = -(-len(entries) // columns)
    blank = (Rectangle((0, 0), 0, 0, visible=False), "")
    ordered = []
    for column in range(columns):  # from the left
        from_right = columns - 1 - column
        for row in range(rows):
            index = row * columns + from_right
            ordered.append(entries[index] if index < len(entries) else blank)
    return ordered


def _legend(figure, entries: list[tuple[object, str]], beside: bool = False) -> Legend:
    """A legend outside the plot, never over the data: above it, right-aligned, in rows read
    from the right (or, beside a donut, one column right of it). Each marker stands on the
    right of its text, where a right-to-left reader starts."""
    renderer = figure.canvas.get_renderer()
    room = figure.get_figwidth() * figure.dpi - 8
    options = {"markerfirst": False, "frameon": False, "handletextpad": 0.5, "columnspacing": 1.4}
    if beside:
        # Centred beside the ring: at the top it would stand on the title (`show_title`).
        return figure.legend(*zip(*entries, strict=True), loc="outside right center", ncols=1, **options)
    for columns in range(len(entries), 0, -1):
        handles, texts = zip(*_reading_order(entries, columns), strict=True)
        legend = figure.legend(handles, texts, loc="outside upper right", ncols=columns, **options)
        if columns == 1 or legend.get_window_extent(renderer).width <= room:
            return legend
        legend.remove()
    raise AssertionError("unreachable")


# Fitting texts to the plot, from the drawing's own bounding boxes ---------------------------


def _boxes(texts, gap: float = GAP_PT) -> list:
    """The texts' boxes, widened so that boxes closer than `gap` points overlap."""
    shown = [t for t in texts if t.get_visible() and t.get_text()]
    return [t.get_window_extent().padded(gap / 2 * t.figure.dpi / 72) for t in shown]


def _any_overlap(boxes) -> bool:
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def _room_for(axes, texts, axis: str = "y") -> None:
    """Widen the value axis until every value label lies inside the plot area, off its edges."""
    figure = axes.figure
    for _ in range(4):
        figure.draw_without_rendering()
        frame = axes.get_window_extent()
        boxes = _boxes(texts)
        if not boxes:
            return
        if axis == "y":
            low = max(0.0, frame.y0 - min(b.y0 for b in boxes))
            high = max(0.0, max(b.y1 for b in boxes) - frame.y1)
        else:
            low = max(0.0, frame.x0 - min(b.x0 for b in boxes))
            high = max(0.0, max(b.x1 for b in boxes) - frame.x1)
        if low < 0.5 and high < 0.5:
            return
        to_data = axes.transData.inverted()
        if axis == "y":
            x = frame.x0
            start = to_data.transform((x, frame.y0 - low * 1.15))[1]
            end = to_data.transform((x, frame.y1 + high * 1.15))[1]
            axes.set_ylim(start, end)  # bottom, top: an inverted axis stays inverted
        else:
            y = frame.y0
            start = to_data.transform((frame.x0 - low * 1.15, y))[0]
            end = to_data.transform((frame.x1 + high * 1.15, y))[0]
            axes.set_xlim(start, end)


def _upright_if_crowded(axes, texts) -> None:
    """Turn the value labels of a vertical bar chart upright when side by side they would touch."""
    axes.figure.draw_without_rendering()
    if _any_overlap(_boxes(texts)):
        for text in texts:
            text.set_rotation(90)


def _wrap(text: str, lines: int = 2) -> str:
    """Break a label of several words into `lines` lines of about the same length."""
    words = text.replace("\n", " ").split(" ")
    lines = min(lines, len(words))
    if lines < 2:
        return " ".join(words)
    total = len(" ".join(words))
    made, current = [], []
    for word in words:
        # Start a new line once this one holds its share of the letters (words left for the rest).
        left = lines - len(made) - 1
        if current and left > 0 and len(" ".join(current)) >= total / lines:
            made.append(" ".join(current))
            current = []
        current.append(word)
    made.append(" ".join(current))
    return "\n".join(made)


class CrowdedLabels(Exception):
    """Category labels that touch even on several lines (build_figure names the chart)."""


def _fit_category_labels(axes, axis: str = "x", periods: bool = False) -> int:
    """Category labels that would touch their neighbours go on two lines, then three; if
    they still touch, the chart is refused: overlapping labels cannot be read.

    The periods of a line chart are a scale, not names: there, every second (third...)
    period is labelled instead, counting from the first, as a time axis is read.
    """
    figure = axes.figure
    ticks = axes.get_xticklabels() if axis == "x" else axes.get_yticklabels()
    figure.draw_without_rendering()
    originals = [tick.get_text() for tick in ticks]
    if periods:
        for step in range(1, len(ticks) + 1):
            for index, tick in enumerate(ticks):
                tick.set_visible(index % step == 0)
            if not _any_overlap(_boxes(ticks, CATEGORY_GAP_PT)):
                return step
        return len(ticks)
    for lines in (2, 3):
        # Two labels of several words closer than a few spaces would read as one phrase.
        if not _any_overlap(_boxes(ticks, CATEGORY_GAP_PT)):
            return 1
        labels = [_wrap(text, lines) for text in originals]
        if axis == "x":
            axes.set_xticks(axes.get_xticks(), labels)
        else:
            axes.set_yticks(axes.get_yticks(), labels)
        ticks = axes.get_xticklabels() if axis == "x" else axes.get_yticklabels()
        figure.draw_without_rendering()
    # Closer than CATEGORY_GAP_PT reads badly; touching cannot be read at all.
    if _any_overlap(_boxes(ticks, GAP_PT)):
        raise CrowdedLabels(len(originals))
    return 1


# The kinds ---------------------------------------------------------------------------------


def draw_bar(axes, chart: ChartData, formatter: Formatter, label) -> Drawn:
    values = chart.series[0][1]
    count = len(values)
    colours = _colours(chart)
    names = [label(c) for c in chart.categories]
    heights = [v or 0 for v in values]
    signed = any(v < 0 for v in heights)
    positions = list(range(count - 1, -1, -1))
    horizontal = chart.orientation == "horizontal"
    if horizontal:
        # First category on top; bars grow leftwards from a baseline on the right (and a
        # negative one rightwards from the zero line).
        bars = axes.barh(positions, heights, color=colours[0], height=0.6)
        axes.set_yticks(positions, names)
        axes.yaxis.tick_right()
        axes.invert_xaxis()
        axes.spines["right"].set_visible(not signed)
        _value_axis_right(axes, formatter, chart.percent, axis="x")
        axes.tick_params(axis="y", length=0)
    else:
        # First category on the right: the reader starts there.
        bars = axes.bar(positions, heights, color=colours[0], width=0.6)
        axes.set_xticks(positions, names)
        _value_axis_right(axes, formatter, chart.percent)
    if signed:
        _zero_line(axes, "x" if horizontal else "y")
    marks = _marks(chart, 0, count)
    texts = axes.bar_label(
        bars, [_value_text(formatter, chart, v, m) for v, m in zip(values, marks, strict=True)],
        padding=2, fontsize=8,
    )  # fmt: skip
    axes.margins(x=0.04 if horizontal else 0.05, y=0.04)

    def fit() -> None:
        if not horizontal:
            _fit_category_labels(axes)
            _upright_if_crowded(axes, texts)
        _room_for(axes, texts, "x" if horizontal else "y")

    return Drawn(fit=fit)


def draw_grouped(axes, chart: ChartData, formatter: Formatter, label) -> Drawn:
    groups = len(chart.categories)
    bars_per_group = len(chart.series)
    width = 0.8 / bars_per_group
    colours = _colours(chart)
    entries = []
    texts = []
    signed = False
    for index, (name, values) in enumerate(chart.series):
        # Groups from right to left; inside a group, the first series on the right.
        positions = [
            groups - 1 - g + (bars_per_group - 1 - index - (bars_per_group - 1) / 2) * width
            for g in range(groups)
        ]
        heights = [v or 0 for v in values]
        signed = signed or any(v < 0 for v in heights)
        bars = axes.bar(
            positions, heights, width=width * 0.92, color=colours[index % len(colours)],
            hatch=HATCHES[index % len(HATCHES)], edgecolor="white", linewidth=0.4,
        )  # fmt: skip
        entries.append((bars, label(name)))
        marks = _marks(chart, index, len(values))
        labels = [_value_text(formatter, chart, v, m) for v, m in zip(values, marks, strict=True)]
        texts += axes.bar_label(bars, labels, padding=2, fontsize=7.5)
    axes.set_xticks([groups - 1 - g for g in range(groups)], [label(c) for c in chart.categories])
    _value_axis_right(axes, formatter, chart.percent)
    if signed:
        _zero_line(axes)
    axes.margins(y=0.04)

    def fit() -> None:
        _fit_category_labels(axes)
        _upright_if_crowded(axes, texts)
        _room_for(axes, texts)

    return Drawn(entries, fit)


def draw_line(axes, chart: ChartData, formatter: Formatter, label) -> Drawn:
    count = len(chart.categories)
    positions = list(range(count - 1, -1, -1))  # time runs from right to left
    colours = _colours(chart)
    markers = ["o", "s", "D", "^", "v", "P"]
    entries = []
    texts = []
    numbers = [v for _, values in chart.series for v in values if v is not None]
    for index, (name, values) in enumerate(chart.series):
        # A period without a value is a gap in the line (NaN), not a straight line across it.
        ys = [float("nan") if v is None else v for v in values]
        (line,) = axes.plot(
            positions, ys, marker=markers[index % len(markers)], color=colours[index % len(colours)],
            linewidth=2,
        )  # fmt: skip
        entries.append((line, label(name)))
        marks = _marks(chart, index, len(values))
        for x, y, mark in [
            (x, v, m) for x, v, m in zip(positions, values, marks, strict=True) if v is not None
        ]:
            # Under its point: a value below zero, or a line under another line at that period.
            others = [v[positions.index(x)] for n, v in chart.series if n != name]
            below = y < 0 if not others else any(o is not None and o > y for o in others)
            texts.append(
                axes.annotate(
                    _value_text(formatter, chart, y, mark),
                    (x, y),
                    textcoords="offset points",
                    xytext=(0, -7 if below else 7),
                    ha="center",
                    va="top" if below else "bottom",
                    fontsize=8,
                    color=INK,
                )  # fmt: skip
            )
    axes.set_xticks(positions, [label(c) for c in chart.categories])
    axes.set_xlim(-0.5, count - 0.5)
    _value_axis_right(axes, formatter, chart.percent)
    low, high = min([0.0, *numbers]), max([0.0, *numbers])
    if low == high:
        high = 1.0
    axes.set_ylim(low, high)  # from zero (or the lowest value), widened below for the labels
    if low < 0:
        _zero_line(axes)
    # Time runs right to left: the time axis ends in an arrow at its left end, the latest
    # period, so a rising line is not read as a fall however few points it has.
    axes.plot(
        [0], [0], marker="<", markersize=5, color=INK, transform=axes.transAxes, clip_on=False
    )  # fmt: skip

    def fit() -> None:
        step = _fit_category_labels(axes, periods=True)
        axes.figure.draw_without_rendering()
        if _any_overlap(_boxes(texts)):
            # Values only at the labelled periods; if they still touch, at the first and last.
            for text in texts:
                period = count - 1 - round(text.xy[0])
                text.set_visible(period % step == 0)
            axes.figure.draw_without_rendering()
            if _any_overlap(_boxes(texts)):
                for text in texts:
                    period = count - 1 - round(text.xy[0])
                    text.set_visible(period in (0, count - 1))
        _room_for(axes, texts)

    return Drawn(entries if len(chart.series) > 1 else [], fit)


def draw_share(axes, chart: ChartData, formatter: Formatter, label) -> Drawn:
    values = chart.series[0][1]
    total = sum(v or 0 for v in values)
    colours = _colours(chart)
    marks = _marks(chart, 0, len(values))
    island = formatter.island

    def share(value: float, mark: str = "") -> str:
        return island(formatter.percent(value / total * 100) + mark)

    entries = []
    if chart.style == "donut":
        # From the top, anticlockwise: the mirror of the left-to-right clockwise pie.
        wedges, _ = axes.pie(
            values, colors=[colours[i % len(colours)] for i in range(len(values))], startangle=90,
            counterclock=True, wedgeprops={"width": 0.38, "edgecolor": "white"},
        )  # fmt: skip
        for wedge, name, value, mark in zip(wedges, chart.categories, values, marks, strict=True):
            entries.append((wedge, f"{label(name)} ({share(value, mark)})"))
        axes.set_aspect("equal")
        return Drawn(entries, legend_beside=True)
    # One bar, parts laid from the right (zero is on the right) in reading order.
    start = 0.0
    inside = []
    for index, (name, value, mark) in enumerate(zip(chart.categories, values, marks, strict=True)):
        part = axes.barh(
            [0], [value], left=[start], height=0.8, color=colours[index % len(colours)],
            hatch=HATCHES[index % len(HATCHES)], edgecolor="white", linewidth=0.6,
        )  # fmt: skip
        entries.append((part, f"{label(name)}: {island(formatter.number(value) + mark)} ({share(value)})"))
        text = axes.text(
            start + value / 2, 0, share(value, mark), ha="center", va="center",
            fontsize=8.5, color="white", fontweight="bold",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "#00000055", "edgecolor": "none"},
        )  # fmt: skip
        inside.append((part.patches[0], text))
        start += value
    axes.set_xlim(total, 0)
    axes.set_ylim(-0.5, 0.5)
    axes.axis("off")

    def fit() -> None:
        # A part too narrow for its share keeps it in the legend only.
        axes.figure.draw_without_rendering()
        for patch, text in inside:
            if text.get_window_extent().width + GAP_PT > patch.get_window_extent().width:
                text.set_visible(False)

    return Drawn(entries, fit)


def _mark(axes, text: str, year: float, rise: float, **style):
    """A centred label `rise` points above (or below) an event on the timeline."""
    va = "bottom" if rise > 0 else "top"
    return axes.annotate(
        text, (year, 0), textcoords="offset points", xytext=(0, rise), ha="center", va=va, **style
    )


def draw_timeline(axes, chart: ChartData, formatter: Formatter, label) -> Drawn:
    when = chart.series[0][1]
    first, last = min(when), max(when)
    axes.axhline(0, color=INK, linewidth=1.2, zorder=1)
    # Time runs right to left: an arrowhead at the left end of the line.
    axes.plot(
        [0], [0], marker="<", markersize=6, color=INK, transform=axes.get_yaxis_transform(), clip_on=False
    )
    colours = _colours(chart)
    events = []
    for name, year, note in zip(chart.categories, when, chart.notes, strict=True):
        axes.plot(
            [year], [0], marker="o", markersize=9, color=colours[0] if note is None else colours[1], zorder=3
        )
        title = _mark(axes, label(name), year, 9, fontsize=9, fontweight="bold")
        _mark(axes, formatter.plain(year), year, -8, fontsize=8.5)
        words = None
        if note is not None:
            noun = Noun(**chart.noun) if chart.noun else chart.unit
            text = formatter.qualified(formatter.count(note, noun), chart.note_qualifier)
            words = _mark(axes, label(text), year, 27, fontsize=8, color=colours[1])
        events.append((year, title, words))
    span = max(last - first, 1)
    axes.set_xlim(last + span * 0.12, first - span * 0.12)  # earliest on the right
    axes.set_ylim(-1, 1)
    axes.axis("off")

    def fit() -> None:
        # An event whose name would touch its neighbour's is told under the line, below its year.
        axes.figure.draw_without_rendering()
        above: list = []
        for _year, title, words in sorted(events, key=lambda e: -e[0]):
            mine = _boxes([t for t in (title, words) if t is not None])
            if any(a.overlaps(b) for a in mine for b in above):
                title.xyann = (0, -24)
                title.set_verticalalignment("top")
                if words is not None:
                    words.xyann = (0, -42)
                    words.set_verticalalignment("top")
            else:
                above += mine

    return Drawn(fit=fit)


DRAWERS = {
    "bar": draw_bar,
    "grouped": draw_grouped,
    "line": draw_line,
    "share": draw_share,
    "timeline": draw_timeline,
}
