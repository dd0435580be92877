"""Every independent error of a project in one run, each at the key at fault (issue 11, item 4).

Real projects with planted mistakes, checked and built through the CLI: the exact list of
error lines of one run is asserted, and nothing that only depends on a broken entry is reported.
"""

from __future__ import annotations

from conftest import build_fails, make_project, read_pdf, run_cli

SETTINGS = "title: موجز\nissuer: وحدة\ndate: 2025-02-30\ndigits: hindi\n"
FIGURES = """\
figures:
  subscribers:
    label: المشتركون
    value: 148600
    unit: مشترك
  rate:
    label: النسبة
    compute: share(subscribers, totl)
    unit: "%"
  visits:
    label: الزيارات
    series: {csv: visits.csv, key: year, value: visits}
  schools:
    label: المؤسسات
    value: 1,816
facts:
  opening: 2025-13-01
  region: الشمال
charts:
  by_kind:
    kind: bar
    caption: رسم
    alt: رسم
    figures: [subscribers, nothere]
  of_rate:
    kind: bar
    caption: رسم
    alt: رسم
    figures: [rate]
tables:
  visits_table:
    caption: جدول
    csv: visits.csv
"""
SECTIONS = {
    # Names a broken figure and a broken fact: checked for unknown names, not rendered.
    "data/sections/01-a.md": "# أ\n\nبلغ {{ schools }} في {{ regoin }} منذ {{ opening | date }}.\n",
    # Places a chart of a broken figure: left out, the rest of the section is still checked.
    "data/sections/02-b.md": '# ب\n\nبلغ العدد {{ subscribers | percent }}.\n\n{{ chart("of_rate") }}\n',
}
PLANTED = [
    "data/settings.yaml:3:1: settings: 'date' is not a real date: 2025-02-30 (day is out of range for month)",
    "data/settings.yaml:4:1: settings: 'digits' must be one of western, arabic-indic, got 'hindi'",
    "data/visits.csv:3: figure 'visits': no value for period 2021 in column 'visits' (write it, or allow "
    "periods without a value with 'missing: true' in the series)",
    "data/figures.yaml:15:5: figure 'schools': 'value' must be written without grouping separators, "
    "got '1,816' (write 1816)",
    "data/figures.yaml:17:3: fact 'opening': not a real date: 2025-13-01 (month must be in 1..12)",
    "data/visits.csv:3: table 'visits_table': empty cell in column 'visits' (fill it, or give the column "
    "'missing: —' under 'columns:', the text an empty cell shows)",
    "data/figures.yaml:8:5: figure 'rate': unknown figure 'totl'",
    "data/figures.yaml:24:5: chart 'by_kind': unknown figure 'nothere'",
    "data/sections/01-a.md:3:25: unknown name 'regoin' (did you mean 'region'?)",
    "data/sections/02-b.md:3:28: 'percent' on figure 'subscribers', which is not a percentage (unit 'مشترك')",
]


def planted(root):
    files = {"data/figures.yaml": FIGURES, "data/visits.csv": "year,visits\n2020,100\n2021,\n2022,300\n"}
    return make_project(root, {**files, **SECTIONS}, settings=SETTINGS)


def test_check_reports_ten_planted_mistakes_of_every_kind_in_one_run(tmp_path):
    result = run_cli("check", str(planted(tmp_path)))
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stderr.strip().splitlines()) == (2, PLANTED)


def test_build_reports_the_same_list_and_leaves_the_previous_pdf(tmp_path):
    build_fails(planted(tmp_path), PLANTED)


def test_errors_in_sections_come_with_errors_in_data(tmp_path):
    """A section's filter error is found in the same run as a CSV error and a chart error."""
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  a:\n    label: أ\n    value: 5\n    unit: مدرسة\n"
            "  s:\n    label: س\n    series: {csv: s.csv, key: year, value: n}\n"
            "charts:\n  c:\n    kind: line\n    caption: ج\n    alt: ج\n    figures: [s]\n"
            "    periods: [2019]\n",
            "data/s.csv": "year,n\n2020,1\n2021,2\n2021,3\n",
            "data/sections/01.md": '# أ\n\n{{ a | percent }} {{ a | count(unit="school") }}\n',
        },
    )
    result = run_cli("check", str(project))
    assert (result.returncode, result.stderr.strip().splitlines()) == (
        2,
        [
            "data/s.csv:4: figure 's': period 2021 is given twice (first on line 3)",
            "data/sections/01.md:3:8: 'percent' on figure 'a', which is not a percentage (unit 'مدرسة')",
        ],
    )


def test_a_compute_error_is_at_the_compute_key_and_a_chart_error_at_its_key(tmp_path):
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  a:\n    label: أ\n    value: 5\n"
            "  s:\n    label: س\n    series: {2020: 1, 2021: 2}\n"
            "  g:\n    label: ج\n    unit: '%'\n    compute: growth(s[2020], s[2022])\n"
            "charts:\n  c:\n    kind: line\n    caption: ج\n    alt: ج\n    figures: [s]\n"
            "    periods: [2020, 2023]\n"
            "  t:\n    kind: timeline\n    caption: ج\n    alt: ج\n    when: a\n",
        },
    )
    result = run_cli("check", str(project))
    assert (result.returncode, result.stderr.strip().splitlines()) == (
        2,
        [
            "data/figures.yaml:11:5: figure 'g': cannot compute: figure 's' has no period 2022 (it has 2020, 2021)",
            "data/figures.yaml:18:5: chart 'c': figure 's' has no period 2023 (it has 2020, 2021)",
            "data/figures.yaml:23:5: chart 't': figure 'a' is not a series (give it 'series: {period: value}')",
        ],
    )


def test_a_percentage_prints_as_one_under_press_and_count(tmp_path):
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  r:\n    label: ر\n    value: 5.7\n    unit: '%'\n",
            "data/sections/01.md": "# أ\n\nبلغت {{ r | press }} و{{ r | count }} و{{ r | percent }}.\n",
        },
    )
    result = run_cli("build", str(project), "-q")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert read_pdf(project / "output" / "briefing.pdf").text.count("5,7%") == 3


def test_missing_allows_empty_cells_and_the_chart_names_the_gap(tmp_path):
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  v:\n    label: الزيارات\n"
            "    series: {csv: v.csv, key: year, value: visits, missing: true}\n"
            "charts:\n  c:\n    kind: line\n    caption: الزيارات\n    alt: الزيارات\n    figures: [v]\n"
            "tables:\n  t:\n    caption: جدول الزيارات\n    csv: v.csv\n    columns:\n"
            "      year: {label: السنة, format: plain}\n"
            "      visits: {label: الزيارات, format: number, missing: غير متوفر}\n",
            "data/v.csv": "year,visits\n2020,100\n2021,\n2022,300\n",
            "data/sections/01.md": '# أ\n\n{{ chart("c") }}\n\n{{ table("t") }}\n',
        },
    )
    result = run_cli("build", str(project), "-q")
    assert (result.returncode, result.stderr) == (0, "")
    text = read_pdf(project / "output" / "briefing.pdf").flat
    assert "غيرمتوفر" in text  # the table's empty cell, as the column says
    # The chart's note: the period stays on its axis, with no point ("— دون قيمة: 2021").
    assert "دونقيمة" in text and "2021:" in text
