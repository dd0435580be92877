"""Draw chart data with matplotlib as SVG, the right-to-left way, with text drawn as paths.

matplotlib >= 3.11 lays text out with libraqm, which shapes Arabic and applies bidi by
itself: labels are passed in logical order. Only a matplotlib built without libraqm gets
labels pre-shaped with arabic-reshaper and python-bidi (see ../shared/guides/ARABIC.md).
"""

from __future__ import annotations

import io
import os
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager, ft2font  # noqa: E402
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


# Heights that suit each kind at the width of the text block.
HEIGHTS_MM = {"bar": 72, "grouped": 78, "line": 70, "share": 48, "timeline": 46}


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
        "axes.unicode_minus": False,  # U+2212 is in neither font; no chart shows negatives
        "text.parse_math": False,  # a "$" in a label is a dollar sign, not mathtext
        "axes.edgecolor": INK,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "axes.spines.top": False,
        "axes.spines.left": False,
    }


def build_figure(chart: ChartData, style: ChartStyle, formatter: Formatter, shaping: bool | None = None):
    """Lay a chart out on a new matplotlib figure (call inside chart_rc) and return it."""
    label = lambda text: shape_label(text, shaping)  # noqa: E731
    height = HEIGHTS_MM.get(chart.kind, style.height_mm)
    figure, axes = plt.subplots(figsize=(style.width_mm * MM, height * MM), layout="constrained")
    DRAWERS[chart.kind](axes, chart, formatter, label)
    if chart.title:
        axes.set_title(label(chart.title), loc="right", fontsize=10, fontweight="bold", color=INK)
    return figure


def draw_svg(chart: ChartData, style: ChartStyle, formatter: Formatter, shaping: bool | None = None) -> bytes:
    """Return the chart as SVG bytes; a glyph missing from every font is an error."""
    families = register_fonts(style.fonts)
    with plt.rc_context(chart_rc(families)), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = build_figure(chart, style, formatter, shaping)
        try:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(figure)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if missing:
        raise ReportError(f"chart '{chart.name}': {missing[0]}")
    return buffer.getvalue()


def value_formatter(formatter: Formatter, percent: bool) -> FuncFormatter:
    """Tick labels in the same number style and digits as the text."""
    # On an island: "٪٤٥" with Arabic-Indic digits, as in the text (the tick has no strong letter).
    return FuncFormatter(
        lambda v, _: formatter.island(formatter.percent(v, 0) if percent else formatter.number(v, 1))
    )


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


def _legend(axes, label) -> None:
    handles, names = axes.get_legend_handles_labels()
    if handles:
        # Marker after the text and the box on the right, as a right-to-left reader expects.
        axes.legend(
            handles, [label(n) for n in names], loc="upper left", bbox_to_anchor=(0, 1.0),
            markerfirst=False, alignment="right", frameon=False, ncols=min(len(names), 4),
        )  # fmt: skip


def draw_bar(axes, chart: ChartData, formatter: Formatter, label) -> None:
    values = chart.series[0][1]
    count = len(values)
    colours = _colours(chart)
    names = [label(c) for c in chart.categories]
    if chart.orientation == "horizontal":
        # First category on top; bars grow leftwards from a baseline on the right.
        positions = list(range(count - 1, -1, -1))
        bars = axes.barh(positions, values, color=colours[0], height=0.6)
        axes.set_yticks(positions, names)
        axes.yaxis.tick_right()
        axes.invert_xaxis()
        axes.spines["right"].set_visible(True)
        _value_axis_right(axes, formatter, chart.percent, axis="x")
        axes.tick_params(axis="y", length=0)
    else:
        # First category on the right: the reader starts there.
        positions = list(range(count - 1, -1, -1))
        bars = axes.bar(positions, values, color=colours[0], width=0.6)
        axes.set_xticks(positions, names)
        _value_axis_right(axes, formatter, chart.percent)
    marks = _marks(chart, 0, count)
    axes.bar_label(
        bars, [_value_text(formatter, chart, v, m) for v, m in zip(values, marks, strict=True)],
        padding=2, fontsize=8,
    )  # fmt: skip
    axes.margins(x=0.12 if chart.orientation == "horizontal" else 0.05, y=0.12)


def draw_grouped(axes, chart: ChartData, formatter: Formatter, label) -> None:
    groups = len(chart.categories)
    bars_per_group = len(chart.series)
    width = 0.8 / bars_per_group
    colours = _colours(chart)
    for index, (name, values) in enumerate(chart.series):
        # Groups from right to left; inside a group, the first series on the right.
        positions = [
            groups - 1 - g + (bars_per_group - 1 - index - (bars_per_group - 1) / 2) * width
            for g in range(groups)
        ]
        heights = [v or 0 for v in values]
        bars = axes.bar(
            positions, heights, width=width * 0.92, label=name, color=colours[index % len(colours)],
            hatch=HATCHES[index % len(HATCHES)], edgecolor="white", linewidth=0.4,
        )  # fmt: skip
        marks = _marks(chart, index, len(values))
        texts = [_value_text(formatter, chart, v, m) for v, m in zip(values, marks, strict=True)]
        axes.bar_label(bars, texts, padding=2, fontsize=7.5)
    axes.set_xticks([groups - 1 - g for g in range(groups)], [label(c) for c in chart.categories])
    _value_axis_right(axes, formatter, chart.percent)
    axes.margins(y=0.15)
    _legend(axes, label)


def draw_line(axes, chart: ChartData, formatter: Formatter, label) -> None:
    count = len(chart.categories)
    positions = list(range(count - 1, -1, -1))  # time runs from right to left
    colours = _colours(chart)
    markers = ["o", "s", "D", "^", "v", "P"]
    for index, (name, values) in enumerate(chart.series):
        points = [(x, v) for x, v in zip(positions, values, strict=True) if v is not None]
        xs, ys = zip(*points, strict=True) if points else ((), ())
        axes.plot(
            xs,
            ys,
            marker=markers[index % len(markers)],
            color=colours[index % len(colours)],
            label=name,
            linewidth=2,
        )
        marks = _marks(chart, index, len(values))
        for x, y, mark in [
            (x, v, m) for x, v, m in zip(positions, values, marks, strict=True) if v is not None
        ]:
            axes.annotate(
                _value_text(formatter, chart, y, mark), (x, y), textcoords="offset points", xytext=(0, 7),
                ha="center", fontsize=8, color=INK,
            )  # fmt: skip
    axes.set_xticks(positions, [label(c) for c in chart.categories])
    axes.set_xlim(-0.5, count - 0.5)
    _value_axis_right(axes, formatter, chart.percent)
    highest = max((v for _, values in chart.series for v in values if v is not None), default=1)
    axes.set_ylim(0, highest * 1.22)  # from zero, with room for the value labels under the title
    if len(chart.series) > 1:
        _legend(axes, label)


def draw_share(axes, chart: ChartData, formatter: Formatter, label) -> None:
    values = chart.series[0][1]
    total = sum(v or 0 for v in values)
    colours = _colours(chart)
    marks = _marks(chart, 0, len(values))
    island = formatter.island

    def share(value: float, mark: str = "") -> str:
        return island(formatter.percent(value / total * 100) + mark)

    if chart.style == "donut":
        wedges, _ = axes.pie(
            values, colors=[colours[i % len(colours)] for i in range(len(values))], startangle=90,
            counterclock=True, wedgeprops={"width": 0.38, "edgecolor": "white"},
        )  # fmt: skip
        for wedge, name, value, mark in zip(wedges, chart.categories, values, marks, strict=True):
            wedge.set_label(f"{name} ({share(value, mark)})")
        axes.set_aspect("equal")
        axes.legend(
            loc="center left", bbox_to_anchor=(1.02, 0.5), markerfirst=False, alignment="right", frameon=False
        )
        return
    # One bar, parts laid from right to left in reading order.
    left = total
    for index, (name, value, mark) in enumerate(zip(chart.categories, values, marks, strict=True)):
        left -= value
        axes.barh(
            [0], [value], left=[left], height=0.5, color=colours[index % len(colours)],
            hatch=HATCHES[index % len(HATCHES)], edgecolor="white", linewidth=0.6,
            label=f"{name}: {island(formatter.number(value) + mark)} ({share(value)})",
        )  # fmt: skip
        if value / total >= 0.07:
            axes.text(
                left + value / 2, 0, share(value, mark), ha="center", va="center",
                fontsize=8.5, color="white", fontweight="bold",
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "#00000055", "edgecolor": "none"},
            )  # fmt: skip
    axes.set_xlim(total, 0)
    axes.set_ylim(-0.4, 2.2)
    axes.axis("off")
    handles, names = axes.get_legend_handles_labels()
    # One column, read top-down in the order of the parts from right to left.
    axes.legend(
        handles, [label(n) for n in names], loc="upper right", bbox_to_anchor=(1, 1.02), markerfirst=False,
        alignment="right", frameon=False, ncols=1,
    )  # fmt: skip


def _mark(axes, text: str, year: float, rise: float, **style) -> None:
    """A centred label `rise` points above (or below) an event on the timeline."""
    axes.annotate(text, (year, 0), textcoords="offset points", xytext=(0, rise), ha="center", **style)


def draw_timeline(axes, chart: ChartData, formatter: Formatter, label) -> None:
    when = chart.series[0][1]
    first, last = min(when), max(when)
    axes.axhline(0, color=INK, linewidth=1.2, zorder=1)
    colours = _colours(chart)
    for name, year, note in zip(chart.categories, when, chart.notes, strict=True):
        axes.plot(
            [year], [0], marker="o", markersize=9, color=colours[0] if note is None else colours[1], zorder=3
        )
        _mark(axes, label(name), year, 12, fontsize=9, fontweight="bold")
        _mark(axes, formatter.plain(year), year, -16, fontsize=8.5)
        if note is not None:
            noun = Noun(**chart.noun) if chart.noun else chart.unit
            text = formatter.qualified(formatter.count(note, noun), chart.note_qualifier)
            _mark(axes, label(text), year, 30, fontsize=8, color=colours[1])
    span = max(last - first, 1)
    axes.set_xlim(last + span * 0.12, first - span * 0.12)  # earliest on the right
    axes.set_ylim(-1, 1.6)
    axes.axis("off")


DRAWERS = {
    "bar": draw_bar,
    "grouped": draw_grouped,
    "line": draw_line,
    "share": draw_share,
    "timeline": draw_timeline,
}
