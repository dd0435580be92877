"""Chart layout, checked from the drawing's own bounding boxes (real matplotlib drawing).

Every kind is drawn at the A4 text width (160 mm) and the A5 one (118 mm), in both digit
styles: legends stay clear of the data, texts never overlap or leave the figure, the
right-to-left conventions hold, signed values diverge from a zero line, and an
Arabic-Indic chart carries no Western digit.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Rectangle, Wedge
from matplotlib.text import Text

from conftest import ROOT, make_project
from report.bidi import strip_controls
from report.charts import ChartData, ChartStyle
from report.drawing import MM, build_figure, chart_rc, register_fonts
from report.formatting import Formatter

FONTS = [
    str(ROOT / "fonts" / name)
    for name in ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf", "NotoSerif-Regular.ttf")
]
WIDTHS = {"A4": 160.0, "A5": 118.0}
PLATFORMS = ["فيسبوك", "إكس", "إنستغرام"]
CHARTS = {
    "bar": ChartData(
        "bar", "bar", "", [*PLATFORMS, "يوتيوب 2024"], [("", [1127944, 207000, 141241, 90000])],
        marks=[["", "*", "", ""]],
    ),
    "horizontal": ChartData(
        "horizontal", "bar", "", PLATFORMS, [("", [1127944, 207000, 141241])], orientation="horizontal"
    ),
    "grouped": ChartData(
        "grouped", "grouped", "", PLATFORMS,
        [("2022", [191903, 300000, 120000]), ("2023", [282638, 317074, 150000]), ("2024", [400000, 350000, 210000])],
    ),
    "line": ChartData("line", "line", "", ["2021", "2022", "2023", "2024"], [("الأسر", [120000, 135000, 150000, 171000])]),
    "two_lines": ChartData(
        "two_lines", "line", "", ["2023", "2024"], [("فيسبوك", [191903, 282638]), ("إكس", [300000, 250000])]
    ),
    "share": ChartData("share", "share", "", ["المياه السطحية", "المياه الجوفية", "التحلية"], [("", [62, 28, 10])]),
    "donut": ChartData(
        "donut", "share", "", ["المياه السطحية", "المياه الجوفية", "التحلية"], [("", [62, 28, 10])], style="donut"
    ),
    "timeline": ChartData(
        "timeline", "timeline", "", ["الدورة الأولى", "الدورة الثانية", "الدورة الثالثة", "الدورة الرابعة"],
        [("", [2018, 2019, 2022, 2024])], notes=[None, 20000, 35000, 50000], unit="زائر",
    ),
    "signed": ChartData(
        "signed", "bar", "", ["الفلاحة", "الصناعة", "الخدمات", "البناء"], [("", [3.2, -1.5, 2.4, -4.1])],
        unit="%", percent=True,
    ),
    "signed_horizontal": ChartData(
        "signed_horizontal", "bar", "", ["الفلاحة", "الصناعة", "الخدمات", "البناء"], [("", [3.2, -1.5, 2.4, -4.1])],
        unit="%", percent=True, orientation="horizontal",
    ),
    "signed_grouped": ChartData(
        "signed_grouped", "grouped", "", ["الفلاحة", "الصناعة", "الخدمات"],
        [("2023", [3.2, -1.5, 2.4]), ("2024", [-0.8, 1.1, 2.9])], unit="%", percent=True,
    ),
    "signed_line": ChartData(
        "signed_line", "line", "", ["2021", "2022", "2023", "2024"], [("النمو", [2.1, -0.5, -1.7, 1.2])],
        unit="%", percent=True,
    ),
}  # fmt: skip
CASES = [(kind, page, digits) for kind in CHARTS for page in WIDTHS for digits in ("western", "arabic-indic")]


def draw(chart: ChartData, page: str = "A4", digits: str = "western"):
    """The chart's figure, laid out and drawn (close it with plt.close)."""
    style = ChartStyle("ar_MA", digits, FONTS, width_mm=WIDTHS[page])
    with plt.rc_context(chart_rc(register_fonts(FONTS))):
        figure = build_figure(chart, style, Formatter("ar_MA", digits))
        figure.canvas.draw()
    return figure


@pytest.fixture
def drawn(request):
    figures = []

    def make(*args, **kwargs):
        figures.append(draw(*args, **kwargs))
        return figures[-1]

    yield make
    for figure in figures:
        plt.close(figure)


def texts(figure) -> list[Text]:
    """Every text the figure prints (ticks, value labels, legend, annotations, title)."""
    found = [t for t in figure.findobj(Text) if t.get_visible() and strip_controls(t.get_text()).strip()]
    return [t for t in found if t.get_window_extent().width > 0 and id(t) not in _unprinted_ticks(figure)]


def _unprinted_ticks(figure) -> set[int]:
    """Tick labels matplotlib keeps but does not draw: their tick is outside the axis's view."""
    hidden = set()
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            slack = (high - low) * 1e-9
            for tick in axis.get_major_ticks():
                if not low - slack <= tick.get_loc() <= high + slack:
                    hidden.update((id(tick.label1), id(tick.label2)))
    return hidden


def data_boxes(figure) -> list:
    """Boxes of what the chart draws as data: bars, wedges, points (a marker's size around each)."""
    axes = figure.axes[0]
    boxes = [
        p.get_window_extent()
        for p in axes.patches
        if isinstance(p, Wedge) or (isinstance(p, Rectangle) and p.get_visible() and p.get_width() != 0)
    ]
    for line in axes.lines:
        if line.get_marker() in ("None", None, "") or line.get_transform() != axes.transData:
            continue
        radius = line.get_markersize() / 72 * figure.dpi / 2
        for x, y in axes.transData.transform(line.get_xydata()):
            boxes.append(_box(x - radius, y - radius, x + radius, y + radius))
    return boxes


def _box(x0, y0, x1, y1):
    from matplotlib.transforms import Bbox

    return Bbox([[x0, y0], [x1, y1]])


def value_labels(figure) -> list[Text]:
    """The value labels: texts drawn in the plot (bar labels, annotations), not ticks or legend."""
    return [t for t in figure.axes[0].texts if t.get_visible() and t.get_text()]


def centre_x(artist) -> float:
    box = artist.get_window_extent()
    return (box.x0 + box.x1) / 2


def tick_order(labels) -> list[str]:
    """Tick label texts from right to left, as a reader takes them."""
    shown = [t for t in labels if t.get_text()]
    return [strip_controls(t.get_text()) for t in sorted(shown, key=lambda t: -t.get_position()[0])]


@pytest.mark.parametrize(("kind", "page", "digits"), CASES)
def test_the_legend_stays_clear_of_the_data_and_of_every_label(drawn, kind, page, digits):
    figure = drawn(CHARTS[kind], page, digits)
    legends = figure.legends + [a.get_legend() for a in figure.axes if a.get_legend()]
    if CHARTS[kind].kind in ("grouped", "share") or kind == "two_lines":
        assert legends, "this chart needs a legend"
    for legend in legends:
        frame = legend.get_window_extent()
        assert not any(frame.overlaps(box) for box in data_boxes(figure)), kind
        others = [t for t in texts(figure) if t not in legend.get_texts()]
        assert not any(frame.overlaps(t.get_window_extent()) for t in others), kind


@pytest.mark.parametrize(("kind", "page", "digits"), CASES)
def test_no_text_overlaps_another_or_leaves_the_figure(drawn, kind, page, digits):
    figure = drawn(CHARTS[kind], page, digits)
    page_box = figure.bbox
    shown = texts(figure)
    for text in shown:
        box = text.get_window_extent()
        assert page_box.x0 - 0.5 <= box.x0 and box.x1 <= page_box.x1 + 0.5, text.get_text()
        assert page_box.y0 - 0.5 <= box.y0 and box.y1 <= page_box.y1 + 0.5, text.get_text()
    boxes = [(t.get_text(), t.get_window_extent()) for t in shown]
    touching = [
        (a, b) for i, (a, one) in enumerate(boxes) for b, other in boxes[i + 1 :] if one.overlaps(other)
    ]
    assert not touching


@pytest.mark.parametrize(("kind", "page", "digits"), CASES)
def test_value_labels_stay_in_the_plot_and_off_other_data(drawn, kind, page, digits):
    figure = drawn(CHARTS[kind], page, digits)
    axes = figure.axes[0]
    frame = axes.get_window_extent()
    own_bars = {id(t): None for t in value_labels(figure)}
    for text in value_labels(figure):
        box = text.get_window_extent()
        if axes.axison:  # a chart with axes keeps its labels inside the plot area
            assert frame.x0 - 0.5 <= box.x0 and box.x1 <= frame.x1 + 0.5, text.get_text()
            assert frame.y0 - 0.5 <= box.y0 and box.y1 <= frame.y1 + 0.5, text.get_text()
    if CHARTS[kind].kind in ("bar", "grouped"):
        # A value label touches no bar (it stands beyond its own bar's end).
        bars = [p.get_window_extent() for p in axes.patches if p.get_height() != 0 and p.get_width() != 0]
        for text in value_labels(figure):
            box = text.get_window_extent()
            assert not any(box.overlaps(bar) for bar in bars), text.get_text()
    assert own_bars is not None


@pytest.mark.parametrize("kind", list(CHARTS))
@pytest.mark.parametrize("page", list(WIDTHS))
def test_an_arabic_indic_chart_prints_no_western_digit(drawn, kind, page):
    figure = drawn(CHARTS[kind], page, "arabic-indic")
    printed = [strip_controls(t.get_text()) for t in texts(figure)]
    assert printed
    assert [t for t in printed if re.search("[0-9]", t)] == []
    assert any(re.search("[٠-٩]", t) for t in printed)


def test_digits_typed_in_labels_years_and_legends_follow_the_digit_style(drawn):
    grouped = drawn(CHARTS["grouped"], "A5", "arabic-indic")
    assert [strip_controls(t.get_text()) for t in grouped.legends[0].get_texts() if t.get_text()] == [
        "٢٠٢٤", "٢٠٢٣", "٢٠٢٢",  # matplotlib's order, columns from the left
    ]  # fmt: skip
    bar = drawn(CHARTS["bar"], "A5", "arabic-indic")
    assert "يوتيوب ٢٠٢٤" in tick_order(bar.axes[0].get_xticklabels())
    line = drawn(CHARTS["line"], "A5", "arabic-indic")
    assert tick_order(line.axes[0].get_xticklabels()) == ["٢٠٢١", "٢٠٢٢", "٢٠٢٣", "٢٠٢٤"]
    timeline = drawn(CHARTS["timeline"], "A5", "arabic-indic")
    years = [strip_controls(t.get_text()) for t in timeline.axes[0].texts]
    assert {"٢٠١٨", "٢٠١٩", "٢٠٢٢", "٢٠٢٤"} <= set(years)


def _legend_order(figure) -> list[str]:
    """Legend texts as read: rows from the top, each row from the right."""
    legend = figure.legends[0]
    shown = [t for t in legend.get_texts() if t.get_text()]
    boxes = {id(t): t.get_window_extent() for t in shown}
    return [
        strip_controls(t.get_text())
        for t in sorted(shown, key=lambda t: (-round(boxes[id(t)].y1), -boxes[id(t)].x1))
    ]


@pytest.mark.parametrize("page", list(WIDTHS))
def test_grouped_bars_and_their_legend_read_from_the_right(drawn, page):
    figure = drawn(CHARTS["grouped"], page)
    axes = figure.axes[0]
    # Groups from the right: the first figure's group is the rightmost.
    assert tick_order(axes.get_xticklabels()) == PLATFORMS
    # Inside each group the first series (2022) stands on the right, then 2023, then 2024.
    bars = [c for c in axes.containers]
    for group in range(len(PLATFORMS)):
        xs = [centre_x(container.patches[group]) for container in bars]
        assert xs == sorted(xs, reverse=True)
    # The legend, above the plot, reads in the same order, and each marker is on its text's right.
    assert _legend_order(figure) == ["2022", "2023", "2024"]
    legend = figure.legends[0]
    assert legend.get_window_extent().y0 >= axes.get_window_extent().y1
    for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
        if text.get_text():
            assert handle.get_window_extent().x0 > text.get_window_extent().x1


def test_a_legend_that_needs_two_rows_still_reads_from_the_right(drawn):
    names = ["الأول", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع"]
    chart = ChartData(
        "many",
        "grouped",
        "",
        ["أ"],
        [(f"{name} من السلسلة الطويلة", [i + 1]) for i, name in enumerate(names)],
    )
    figure = drawn(chart, "A5")
    order = _legend_order(figure)
    assert len({round(t.get_window_extent().y1) for t in figure.legends[0].get_texts() if t.get_text()}) > 1
    assert [o.split(" ")[0] for o in order] == names


@pytest.mark.parametrize("page", list(WIDTHS))
def test_the_stacked_share_starts_on_the_right_in_the_legend_order(drawn, page):
    figure = drawn(CHARTS["share"], page)
    parts = [p for p in figure.axes[0].patches if isinstance(p, Rectangle) and p.get_width()]
    xs = [centre_x(p) for p in parts]
    assert xs == sorted(xs, reverse=True)  # the first (largest) part on the right
    assert parts[0].get_window_extent().x1 == pytest.approx(figure.axes[0].get_window_extent().x1, abs=1)
    assert [o.split(":")[0] for o in _legend_order(figure)] == ["المياه السطحية", "المياه الجوفية", "التحلية"]


def test_a_share_too_narrow_for_its_label_keeps_it_in_the_legend_only(drawn):
    chart = ChartData("thin", "share", "", ["أ", "ب", "ج"], [("", [90, 8.6, 1.4])])
    figure = drawn(chart, "A5")
    inside = [strip_controls(t.get_text()) for t in figure.axes[0].texts if t.get_visible()]
    assert inside == ["90%", "8,6%"]
    assert any("1,4%" in strip_controls(t.get_text()) for t in figure.legends[0].get_texts())


def test_the_donut_turns_anticlockwise_from_the_top_with_its_legend_on_the_right(drawn):
    figure = drawn(CHARTS["donut"], "A5")
    wedges = [p for p in figure.axes[0].patches if isinstance(p, Wedge)]
    assert wedges[0].theta1 == pytest.approx(90)
    assert wedges[0].theta2 > wedges[0].theta1  # anticlockwise: the first part on the top left
    legend = figure.legends[0]
    assert legend.get_window_extent().x0 >= figure.axes[0].get_window_extent().x1 - 1
    assert [strip_controls(t.get_text()).split(" (")[0] for t in legend.get_texts()] == [
        "المياه السطحية", "المياه الجوفية", "التحلية",
    ]  # fmt: skip


@pytest.mark.parametrize("kind", ["line", "two_lines"])
def test_a_line_runs_right_to_left_with_an_arrow_toward_the_latest_period(drawn, kind):
    figure = drawn(CHARTS[kind], "A5")
    axes = figure.axes[0]
    assert tick_order(axes.get_xticklabels()) == CHARTS[kind].categories  # earliest on the right
    arrows = [line for line in axes.lines if line.get_marker() == "<"]
    assert len(arrows) == 1
    tip = axes.transAxes.transform(arrows[0].get_xydata()[0])
    frame = axes.get_window_extent()
    assert tip == pytest.approx((frame.x0, frame.y0))  # at the left end of the time axis
    # Every point carries its value, so the change reads in numbers at both ends.
    values = [v for _, vs in CHARTS[kind].series for v in vs]
    assert len(value_labels(figure)) == len(values)


def test_two_lines_at_one_period_label_the_lower_under_its_point(drawn):
    figure = drawn(CHARTS["two_lines"], "A4")
    by_text = {strip_controls(t.get_text()): t for t in value_labels(figure)}
    # At 2024 فيسبوك (282.638) is above إكس (250.000): its label above, the other's below.
    assert by_text["282.638"].get_window_extent().y0 > by_text["250.000"].get_window_extent().y1


def _zero_y(axes) -> float:
    return axes.transData.transform((0, 0))[1]


@pytest.mark.parametrize("page", list(WIDTHS))
def test_signed_bars_diverge_from_a_visible_zero_line(drawn, page):
    chart = CHARTS["signed"]
    figure = drawn(chart, page)
    axes = figure.axes[0]
    zero = _zero_y(axes)
    zero_lines = [line for line in axes.lines if list(line.get_ydata()) == [0, 0]]
    assert zero_lines and zero_lines[0].get_visible()
    bars = axes.containers[0].patches
    labels = value_labels(figure)
    for bar, label, value in zip(bars, labels, chart.series[0][1], strict=True):
        box, text = bar.get_window_extent(), label.get_window_extent()
        if value < 0:
            assert box.y1 == pytest.approx(zero, abs=1) and box.y0 < zero - 5
            assert text.y1 <= box.y0  # the label beyond the bar's end, under it
        else:
            assert box.y0 == pytest.approx(zero, abs=1) and box.y1 > zero + 5
            assert text.y0 >= box.y1


def test_signed_horizontal_bars_mirror_the_left_to_right_convention(drawn):
    chart = CHARTS["signed_horizontal"]
    figure = drawn(chart, "A5")
    axes = figure.axes[0]
    zero = axes.transData.transform((0, 0))[0]
    assert [line for line in axes.lines if list(line.get_xdata()) == [0, 0]]
    for bar, label, value in zip(
        axes.containers[0].patches, value_labels(figure), chart.series[0][1], strict=True
    ):
        box, text = bar.get_window_extent(), label.get_window_extent()
        if value < 0:  # a value below zero grows to the right, away from the reading direction
            assert box.x0 == pytest.approx(zero, abs=1) and text.x0 >= box.x1
        else:  # a positive one grows to the left, as every bar of a right-to-left chart
            assert box.x1 == pytest.approx(zero, abs=1) and text.x1 <= box.x0


def test_a_signed_line_has_a_zero_line_and_labels_under_negative_points(drawn):
    figure = drawn(CHARTS["signed_line"], "A5")
    axes = figure.axes[0]
    assert axes.get_ylim()[0] < -1.7 and [line for line in axes.lines if list(line.get_ydata()) == [0, 0]]
    for text in value_labels(figure):
        point = axes.transData.transform(text.xy)[1]
        box = text.get_window_extent()
        if strip_controls(text.get_text()).startswith("-"):
            assert box.y1 < point
        else:
            assert box.y0 > point


@pytest.mark.parametrize("page", list(WIDTHS))
def test_charts_take_the_text_width_and_keep_the_printed_text_size(drawn, page):
    for chart in CHARTS.values():
        figure = drawn(chart, page)
        assert figure.get_figwidth() == pytest.approx(WIDTHS[page] * MM)
        sizes = {t.get_fontsize() for t in texts(figure)}
        assert min(sizes) >= 7.5, (chart.name, sizes)  # the same points on every page size
        plt.close(figure)


def test_a_narrow_page_puts_long_category_labels_on_two_lines(drawn):
    chart = ChartData(
        "long", "bar", "", ["المياه السطحية المعبأة", "المياه الجوفية المستخرجة", "مياه البحر المحلاة", "المياه المستعملة المعالجة"],
        [("", [62, 28, 10, 4])],
    )  # fmt: skip
    wide, narrow = drawn(chart, "A4"), drawn(chart, "A5")
    assert all("\n" not in t.get_text() for t in wide.axes[0].get_xticklabels())
    ticks = narrow.axes[0].get_xticklabels()
    assert all("\n" in t.get_text() for t in ticks)
    boxes = [t.get_window_extent() for t in ticks]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_the_chart_title_is_drawn_only_when_asked(tmp_path, drawn):
    from report.build import _prepare
    from report.project import load_project

    chart = "kind: bar\n    caption: تعليق\n    alt: بديل\n    figures: [a]\n    title: عنوان"
    figures = "figures:\n  a: {label: ألف, value: 3}\ncharts:\n"
    project = make_project(
        tmp_path,
        {"data/figures.yaml": f"{figures}  c:\n    {chart}\n  d:\n    {chart}\n    show_title: true\n"},
    )
    _, _, charts = _prepare(load_project(project))
    assert (charts["c"].title, charts["d"].title) == ("", "عنوان")
    assert drawn(charts["c"])._suptitle is None
    titled = drawn(charts["d"])
    assert strip_controls(titled._suptitle.get_text()) == "عنوان"
    # Above the plot, right-aligned like every heading of the page.
    assert titled._suptitle.get_window_extent().y0 >= titled.axes[0].get_window_extent().y1
    assert titled._suptitle.get_window_extent().x1 == pytest.approx(titled.bbox.x1, abs=8)
