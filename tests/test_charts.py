"""Charts: shaped and ordered Arabic checked against an independent renderer, formatting, cache, errors."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, features

from conftest import EXAMPLE, ROOT, copy_project, make_project, run_cli, squash

FONT = ROOT / "fonts" / "NotoNaskhArabic-Regular.ttf"
LABEL = "المنخرطون في الحسابات الرسمية"


def _ink(image: Image.Image) -> Image.Image:
    """Crop to the ink and normalise the size, so two renderers can be compared."""
    grey = image.convert("L")
    box = ImageChops.invert(grey).getbbox()
    return grey.crop(box).resize((400, 60), Image.Resampling.LANCZOS)


def _pillow(text: str) -> Image.Image:
    assert features.check("raqm"), "Pillow without libraqm cannot be the oracle"
    font = ImageFont.truetype(str(FONT), 64, layout_engine=ImageFont.Layout.RAQM)
    image = Image.new("L", (1600, 200), 255)
    ImageDraw.Draw(image).text((20, 40), text, font=font, fill=0, direction="rtl", language="ar")
    return _ink(image)


def _matplotlib(text: str, env: dict[str, str] | None = None) -> Image.Image:
    """Draw a label the way charts do (drawing.shape_label, chart fonts), in a fresh process."""
    code = f"""
import io, sys
from report.drawing import chart_rc, register_fonts, shape_label
import matplotlib.pyplot as plt
families = register_fonts([{str(FONT)!r}])
with plt.rc_context(chart_rc(families)):
    fig = plt.figure(figsize=(8, 1), dpi=200)
    fig.text(0.5, 0.5, shape_label({text!r}), ha="center", va="center", fontsize=22)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white")
sys.stdout.buffer.write(buffer.getvalue())
"""
    environment = {**os.environ, **(env or {})}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, env=environment
    ).stdout
    import io

    return _ink(Image.open(io.BytesIO(out)))


def _distance(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)).mean())


def test_chart_labels_are_shaped_and_ordered_like_an_independent_renderer():
    oracle = _pillow(LABEL)
    ours = _distance(_matplotlib(LABEL), oracle)
    reversed_text = _distance(_pillow(LABEL[::-1]), oracle)
    forced_reshape = _distance(_matplotlib(LABEL, {"REPORT_CHART_SHAPING": "reshape"}), oracle)
    # Our label matches the oracle closely; a reversed or doubly shaped label does not.
    assert ours < 12, ours
    assert reversed_text > 2.5 * ours, (ours, reversed_text)
    assert forced_reshape > 2.5 * ours, (ours, forced_reshape)


def test_reshaping_is_only_for_a_matplotlib_without_libraqm(monkeypatch):
    from matplotlib import ft2font

    from report import drawing

    assert drawing.has_libraqm(), "this matplotlib should shape Arabic itself"
    assert drawing.shape_label(LABEL) == LABEL  # logical order, untouched
    monkeypatch.setattr(ft2font, "__libraqm_version__", None, raising=False)
    assert not drawing.has_libraqm()
    fallback = drawing.shape_label(LABEL)
    assert fallback != LABEL
    assert "\ufe8d" in fallback or any("\ufe70" <= c <= "\ufeff" for c in fallback)  # presentation forms
    monkeypatch.setenv("REPORT_CHART_SHAPING", "native")
    assert drawing.shape_label(LABEL) == LABEL


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("western", ["0", "60.000", "120.000", "180.000", "240.000"]),
        ("arabic-indic", ["٠", "٦٠٬٠٠٠", "١٢٠٬٠٠٠", "١٨٠٬٠٠٠", "٢٤٠٬٠٠٠"]),
    ],
)
def test_tick_labels_follow_the_digit_style(digits, expected):
    import matplotlib.pyplot as plt

    from report.bidi import strip_controls
    from report.charts import ChartData, ChartStyle
    from report.drawing import build_figure, chart_rc, register_fonts
    from report.formatting import Formatter

    chart = ChartData("c", "bar", "", ["أ", "ب"], [("", [141241, 240406])])
    style = ChartStyle("ar_MA", digits, [str(FONT)])
    with plt.rc_context(chart_rc(register_fonts(style.fonts))):
        figure = build_figure(chart, style, Formatter("ar_MA", digits))
        figure.canvas.draw()
        axes = figure.axes[0]
        # Each number stands on its own bidi island; the islands' controls are not drawn.
        ticks = [strip_controls(t.get_text()) for t in axes.get_yticklabels() if t.get_text()]
        bar_labels = [strip_controls(t.get_text()) for t in axes.texts]
        plt.close(figure)
    assert ticks[: len(expected)] == expected
    assert bar_labels == [Formatter("ar_MA", digits).number(v) for v in (141241, 240406)]
    # The value axis is on the right.
    assert axes.yaxis.get_ticks_position() == "right"


def test_a_glyph_missing_from_every_font_is_an_error(tmp_path):
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": """\
                figures:
                  a: {label: "☃ ثلج", value: 3}
                  b: {label: باء, value: 4}
                charts:
                  snow:
                    kind: bar
                    caption: تجربة
                    alt: تجربة
                    figures: [a, b]
                """,
            "data/sections/01-a.md": "# عنوان\n\n{{ chart('snow') }}\n",
        },
    )
    result = run_cli("build", str(project))
    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.startswith(
        "data/figures.yaml:5:3: chart 'snow': Glyph 9731 (\\N{SNOWMAN}) missing from font(s) "
    )
    assert "Noto Naskh Arabic" in message and "Noto Sans" in message and "\n" not in message


CHART_BASE = """\
figures:
  a: {label: ألف, value: 3}
  s: {label: سلسلة, series: {2020: 1, 2021: 2}}
charts:
  c:
    caption: تجربة
    alt: تجربة
"""


@pytest.mark.parametrize(
    ("chart", "expected"),
    [
        (
            "    kind: pie\n    figures: [a]\n",
            "data/figures.yaml:8:5: chart 'c': unknown kind 'pie'; use one of bar, grouped, line, share, timeline",
        ),
        (
            "    kind: line\n    figures: [a]\n",
            "data/figures.yaml:9:5: chart 'c': figure 'a' is not a series (give it 'series: {period: value}')",
        ),
        (
            "    kind: bar\n    figures: [aa]\n",
            "data/figures.yaml:9:5: chart 'c': unknown figure 'aa' (did you mean 'a'?)",
        ),
        (
            "    kind: line\n    figures: [s]\n    periods: [2019]\n",
            "data/figures.yaml:10:5: chart 'c': figure 's' has no period 2019 (it has 2020, 2021)",
        ),
        (
            "    kind: timeline\n",
            "data/figures.yaml:5:3: chart 'c': a timeline needs 'when': a series of dates or years by event",
        ),
        (
            "    kind: bar\n",
            "data/figures.yaml:5:3: chart 'c': 'figures' must list the figures the chart shows",
        ),
        (
            "    kind: bar\n    figures: [a]\n    colors: [blue]\n",
            "data/figures.yaml:10:5: chart 'c': colour 'blue' must be written #rrggbb",
        ),
    ],
)
def test_chart_spec_errors(tmp_path, chart, expected):
    project = make_project(tmp_path, {"data/figures.yaml": CHART_BASE + chart})
    result = run_cli("check", str(project))
    assert (result.returncode, result.stderr.strip()) == (2, expected)


def test_negative_values_need_a_signed_figure(tmp_path):
    # A computed figure may come out negative without being declared signed.
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  a: {label: ألف, value: 2}\n  b: {label: باء, compute: a - 5}\n"
            "charts:\n  c: {kind: bar, caption: x, alt: y, figures: [a, b]}\n"
        },
    )
    result = run_cli("check", str(project))
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "data/figures.yaml:5:38: chart 'c': figure 'b' is negative (-3) but not signed "
        "(set 'signed: true' on the figure to chart values below zero)",
    )


def test_signed_figures_are_charted(tmp_path):
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  a: {label: ألف, value: -3, signed: true, unit: '%'}\n"
            "  s: {label: سين, signed: true, unit: '%', series: {2022: 1.5, 2023: -2}}\n"
            "charts:\n  c: {kind: bar, caption: x, alt: y, figures: [a]}\n"
            "  l: {kind: line, caption: x, alt: y, figures: [s]}\n"
        },
    )
    result = run_cli("check", str(project))
    assert result.returncode == 0, result.stderr


def test_a_share_chart_refuses_negative_parts(tmp_path):
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  a: {label: ألف, value: -3, signed: true}\n  b: {label: باء, value: 5}\n"
            "charts:\n  c: {kind: share, caption: x, alt: y, figures: [a, b]}\n"
        },
    )
    result = run_cli("check", str(project))
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "data/figures.yaml:5:40: chart 'c': figure 'a' is negative (-3); the parts of a share chart cannot be",
    )


def test_charts_are_cached_and_only_changed_ones_redrawn(tmp_path):
    from report.build import build

    project = copy_project(ROOT, tmp_path)
    first = build(project, tmp_path / "a.pdf")
    assert (first.charts_drawn, first.charts_reused) == (6, 0)
    second = build(project, tmp_path / "b.pdf")
    assert (second.charts_drawn, second.charts_reused) == (0, 6)
    # A changed figure redraws the chart that shows it, and changes the text, in one build.
    path = project / "data" / "digital.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("value: 207000") == 1
    path.write_text(
        text.replace("value: 207000", "value: 217000").replace("value: 1127944", "value: 1137944"),
        encoding="utf-8",
    )
    third = build(project, tmp_path / "c.pdf")
    assert (third.charts_drawn, third.charts_reused) == (1, 5)
    from conftest import read_pdf

    assert "217.000" in read_pdf(tmp_path / "c.pdf").flat


def test_charts_are_vector_with_alt_text_in_the_tagged_pdf(default_pdf, default_project):
    project, _, _ = default_project
    listing = subprocess.run(
        ["pdfimages", "-list", str(default_pdf.path)], capture_output=True, text=True, check=True
    )
    assert len(listing.stdout.strip().splitlines()) == 2, "a raster image is in the PDF"
    from pypdf import PdfReader

    alts = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, dict):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                alts.append(str(node["/Alt"]))
            kids = node.get("/K")
            for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
                if hasattr(kid, "get_object"):
                    walk(kid)

    walk(PdfReader(default_pdf.path).trailer["/Root"]["/StructTreeRoot"])
    assert sorted(alts) == sorted(chart.alt for chart in project.data.charts.values())
    # Numbered in order of appearance, listed after the contents with captions.
    flat = default_pdf.flat
    for chart in project.data.charts.values():
        assert squash(chart.caption) in flat
    assert "قائمةالأشكال" in flat


def test_example_charts_build(example_pdf):
    assert "الشكل" in example_pdf.text
    assert (EXAMPLE / "data" / "figures.yaml").read_text(encoding="utf-8").count("kind:") == 2


def test_a_build_with_every_chart_cached_does_not_import_matplotlib(tmp_path):
    project = copy_project(EXAMPLE, tmp_path)
    code = (
        "import sys\n"
        "from report.build import build\n"
        "result = build(sys.argv[1], sys.argv[2], force=True)\n"
        "print(result.charts_drawn, result.charts_reused, 'matplotlib' in sys.modules)\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, str(project), str(tmp_path / "out.pdf")],
            capture_output=True,
            text=True,
        )
        for _ in range(2)
    ]
    assert [run.stdout.split() for run in runs] == [["2", "0", "True"], ["0", "2", "False"]], runs[-1].stderr


def test_grouped_and_donut_charts_draw_right_to_left(tmp_path):
    import matplotlib.pyplot as plt

    from report.charts import ChartData, ChartStyle
    from report.drawing import build_figure, chart_rc, draw_pdf, register_fonts
    from report.formatting import Formatter

    style = ChartStyle("ar_MA", "western", [str(FONT), str(ROOT / "fonts" / "NotoSerif-Regular.ttf")])
    grouped = ChartData(
        "g", "grouped", "", ["فيسبوك", "إكس"], [("2020", [191903, None]), ("2021", [282638, 317074])]
    )
    with plt.rc_context(chart_rc(register_fonts(style.fonts))):
        figure = build_figure(grouped, style, Formatter())
        axes = figure.axes[0]
        figure.canvas.draw()
        groups = {t.get_text(): t.get_position()[0] for t in axes.get_xticklabels()}
        plt.close(figure)
    # The first group (فيسبوك) stands to the right of the second.
    assert groups["فيسبوك"] > groups["إكس"]
    donut = ChartData("d", "share", "", ["أ", "ب"], [("", [3, 1])], style="donut")
    assert draw_pdf(donut, style, Formatter()).startswith(b"%PDF-")


def _render(pdf: bytes, folder, name: str) -> np.ndarray:
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-png", str(path), str(folder / name)], check=True)
    [page] = sorted(folder.glob(f"{name}-*.png"))
    return np.asarray(Image.open(page).convert("L"), dtype=np.int16)


def test_a_chart_is_placed_where_and_as_weasyprint_would_draw_its_svg(tmp_path):
    """The chart goes into the PDF as matplotlib's own page (a form XObject in place of a blank
    stand-in); on the page it is the same drawing, at the same place and size, as WeasyPrint
    drawing the same chart as SVG: a stand-in left blank, flipped or stretched would differ."""
    import weasyprint

    from report.charts import ChartCache, ChartData, ChartStyle
    from report.drawing import draw_svg
    from report.formatting import Formatter
    from report.pdf import render_pdf

    style = ChartStyle("ar_MA", "western", [str(FONT), str(ROOT / "fonts" / "NotoSans-Regular.ttf")])
    chart = ChartData("c", "bar", "العنوان", ["فيسبوك", "إكس", "يوتيوب"], [("2021", [282638, 317074, 41000])])
    cache = ChartCache(tmp_path, style)
    placed = cache.path_for(chart, Formatter())
    (tmp_path / "drawn.svg").write_bytes(draw_svg(chart, style, Formatter()))
    page = "@page { size: A5; margin: 20mm 15mm } img { display: block; width: 100%; margin-top: 30mm }"

    def html(source: str) -> str:
        return f'<html lang="ar" dir="rtl"><body><p>الشكل</p><img src="{source}" alt="شكل"></body></html>'

    ours, pages, _ = render_pdf(html(placed.as_uri()), page, tmp_path, [tmp_path], [ROOT / "fonts"])
    reference = weasyprint.HTML(string=html("drawn.svg"), base_url=str(tmp_path) + "/").write_pdf(
        stylesheets=[weasyprint.CSS(string=page)]
    )
    assert pages == 1
    listing = subprocess.run(["pdfimages", "-list", "-"], input=ours, capture_output=True, check=True)
    assert len(listing.stdout.decode().strip().splitlines()) == 2, "the blank stand-in is still in the PDF"
    a, b = _render(ours, tmp_path, "ours"), _render(reference, tmp_path, "reference")
    assert a.shape == b.shape
    ink = (b < 128).sum()
    assert ink > 2000 and abs(int((a < 128).sum()) - int(ink)) < ink * 0.05
    # Same pixels but for anti-aliasing at the edges of text drawn as paths.
    assert (np.abs(a - b) > 96).sum() < ink * 0.05


def test_charts_are_placed_again_when_watch_writes_a_remembered_part_on_new_pages(tmp_path):
    """`--watch` keeps laid-out parts in memory; a part written again at new page numbers still
    gets its charts (the stand-ins it was laid out with are known to the process)."""
    import pikepdf

    from report.build import build

    project = copy_project(ROOT, tmp_path / "p")
    before = build(project, remember_parts=True)
    first = sorted((project / "data" / "sections").glob("*.md"))[0]
    added = "فقرة إضافية تملأ الصفحة. " * 400
    first.write_text(first.read_text(encoding="utf-8") + "\n\n" + added + "\n", encoding="utf-8")
    after = build(project, remember_parts=True)
    assert after.pages > before.pages
    forms = set()
    with pikepdf.open(after.output) as pdf:
        for page in pdf.pages:
            assert not list(page.get_images()), f"an image (a stand-in left blank?) on page {page.index + 1}"
            for xobject in page.Resources.get("/XObject", {}).values():
                if xobject.get("/Subtype") == "/Form" and "/Matrix" in xobject:
                    forms.add(xobject.objgen)
    assert len(forms) == len(project_charts(project))


def project_charts(project) -> list[str]:
    from report.project import load_project

    return list(load_project(project).data.charts)


def _labelled_project(tmp_path, labels: list[str], orientation: str = "vertical"):
    figures = "figures:\n" + "".join(
        f"  f{i}:\n    label: {label}\n    value: {100 + 10 * i}\n" for i, label in enumerate(labels)
    )
    figures += (
        "charts:\n  crowded_chart:\n    kind: bar\n    caption: مؤسسات\n    alt: مؤسسات\n"
        f"    orientation: {orientation}\n    figures: [{', '.join(f'f{i}' for i in range(len(labels)))}]\n"
    )
    section = "# مقدمة\n\nنص قصير.\n\n{{ chart('crowded_chart') }}\n"
    settings = "title: موجز\nissuer: وحدة\ndate: 2024-05-17\npage_size: A5\n"
    return make_project(tmp_path, {"data/figures.yaml": figures, "data/sections/01-a.md": section}, settings)


LONG = "المركز الاستشفائي الجامعي محمد السادس بأكادير ومصالحه الملحقة"


def test_category_labels_that_overlap_even_on_three_lines_are_an_error(tmp_path):
    """Unreadable labels are never printed: the chart is refused at its declaration."""
    labels = [f"{LONG} {i}" for i in range(6)]
    result = run_cli("build", str(_labelled_project(tmp_path / "p", labels)))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("data/figures.yaml:"), line
    assert (
        "chart 'crowded_chart': its 6 category labels overlap at this page width, even on three lines" in line
    )
    assert "orientation: horizontal" in line
    # Drawn horizontally, each label has its own row: it builds.
    turned = run_cli("build", str(_labelled_project(tmp_path / "h", labels, "horizontal")))
    assert turned.returncode == 0, turned.stderr


def test_category_labels_go_on_as_many_lines_as_they_need_up_to_three(tmp_path):
    import matplotlib.pyplot as plt

    from report.charts import ChartData, ChartStyle
    from report.drawing import GAP_PT, _any_overlap, _boxes, build_figure, chart_rc, register_fonts
    from report.formatting import Formatter

    style = ChartStyle(
        "ar_MA", "western", [str(FONT), str(ROOT / "fonts" / "NotoSans-Regular.ttf")], width_mm=117
    )
    words = "مستشفى القرب الإقليمي"
    chart = ChartData("c", "bar", "", [f"{words} {i}" for i in range(6)], [("", [1, 2, 3, 4, 5, 6])])
    with plt.rc_context(chart_rc(register_fonts(style.fonts))):
        figure = build_figure(chart, style, Formatter())
        figure.draw_without_rendering()
        ticks = figure.axes[0].get_xticklabels()
        lines = {tick.get_text().count("\n") + 1 for tick in ticks}
        assert not _any_overlap(_boxes(ticks, GAP_PT))
        plt.close(figure)
    assert max(lines) == 3, lines


def test_a_donut_legend_stands_clear_of_the_title_inside_the_figure():
    import matplotlib.pyplot as plt

    from report.charts import ChartData, ChartStyle
    from report.drawing import build_figure, chart_rc, register_fonts
    from report.formatting import Formatter

    style = ChartStyle(
        "ar_MA", "western", [str(FONT), str(ROOT / "fonts" / "NotoSans-Regular.ttf")], width_mm=160
    )
    donut = ChartData(
        "d", "share", "توزيع الاستهلاك حسب نوع الاستعمال 2023",
        ["الاستعمال المنزلي", "الصناعة والوحدات الإنتاجية الكبرى", "الإدارات العمومية", "أخرى"],
        [("", [61, 19.5, 12, 7.5])], style="donut",
    )  # fmt: skip
    with plt.rc_context(chart_rc(register_fonts(style.fonts))):
        figure = build_figure(donut, style, Formatter())
        figure.draw_without_rendering()
        title = figure._suptitle.get_window_extent()
        legend = figure.legends[0].get_window_extent()
        whole = figure.bbox
        plt.close(figure)
    assert not title.overlaps(legend)
    for box in (title, legend):
        assert whole.x0 <= box.x0 and box.x1 <= whole.x1 + 0.5 and box.y1 <= whole.y1 + 0.5


def test_a_long_time_axis_labels_every_few_periods_and_their_values_without_overlap():
    """A line chart's periods are a scale: 100 years are labelled every few years (the first
    one always), values only at labelled periods, nothing touching."""
    import matplotlib.pyplot as plt

    from report.charts import ChartData, ChartStyle
    from report.drawing import GAP_PT, _any_overlap, _boxes, build_figure, chart_rc, register_fonts
    from report.formatting import Formatter

    style = ChartStyle(
        "ar_MA", "western", [str(FONT), str(ROOT / "fonts" / "NotoSans-Regular.ttf")], width_mm=117
    )
    chart = ChartData(
        "c", "line", "", [str(1900 + i) for i in range(100)], [("", [float(i) for i in range(100)])]
    )
    with plt.rc_context(chart_rc(register_fonts(style.fonts))):
        figure = build_figure(chart, style, Formatter())
        figure.draw_without_rendering()
        axes = figure.axes[0]
        shown = [t for t in axes.get_xticklabels() if t.get_visible()]
        values = [t for t in axes.texts if t.get_visible() and t.get_text()]
        assert not _any_overlap(_boxes(shown, GAP_PT)) and not _any_overlap(_boxes(values, GAP_PT))
        plt.close(figure)
    assert 3 <= len(shown) <= 20 and "1900" in [t.get_text() for t in shown]
    assert 2 <= len(values) <= 20
