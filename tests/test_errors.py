"""Bad and hostile input, run through the CLI as a user would.

Every case: exit code 2, the exact lines on stderr, no traceback, and the previous PDF
byte-identical with no temporary file left beside it.
"""

from __future__ import annotations

import pytest

from conftest import EXAMPLE, PREVIOUS, build_fails, copy_project, make_project, run_cli

BIDI = (
    "bidi control character U+202E (RIGHT-TO-LEFT OVERRIDE) in the text: remove it (report isolates "
    "every value itself; an unclosed control would reorder the text around it)"
)
FIGURES = """\
figures:
  pupils:
    label: التلاميذ
    value: 141241
    unit: تلميذ
  schools:
    label: المؤسسات
    value: 1816
"""
SERIES = "  visits:\n    label: الزيارات\n    series: {2020: 100, 2021: 200}\n"


def section(body: str) -> dict[str, str]:
    return {"data/figures.yaml": FIGURES + SERIES, "data/sections/01-a.md": f"# عنوان\n\n{body}\n"}


CASES = {
    # -- YAML files
    "yaml syntax": (
        {"data/figures.yaml": "figures:\n  pupils:\n    label: [unclosed\n"},
        ["data/figures.yaml:4:1: invalid YAML: did not find expected ',' or ']'"],
    ),
    "yaml tabs": (
        {"data/figures.yaml": "figures:\n  pupils:\n\tlabel: x\n"},
        [
            "data/figures.yaml:3:1: invalid YAML: found character that cannot start any token (use spaces, not tabs, to indent)"
        ],
    ),
    "yaml duplicate key": (
        {"data/figures.yaml": FIGURES + "  pupils:\n    label: مكرر\n    value: 1\n"},
        ["data/figures.yaml:9:3: duplicate key 'pupils' (first written on line 2)"],
    ),
    "yaml python tag": (
        {"data/figures.yaml": "figures: !!python/object/apply:os.system [echo hacked]\n"},
        [
            "data/figures.yaml:1:10: invalid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'"
        ],
    ),
    "yaml empty file": ({"data/figures.yaml": ""}, ["data/figures.yaml:1: the file is empty"]),
    "yaml not a mapping": (
        {"data/figures.yaml": "- a\n- b\n"},
        [
            "data/figures.yaml:1: a data file must be a mapping with keys figures, tables, quotes, facts, sources, charts, units"
        ],
    ),
    "unknown top-level key": (
        {"data/figures.yaml": "figurs:\n  pupils:\n    label: x\n    value: 1\n"},
        ["data/figures.yaml:1:1: unknown top-level key 'figurs' (did you mean 'figures'?)"],
    ),
    "unknown figure key": (
        {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    valeu: 3\n"},
        [
            "data/figures.yaml:2:3: figure 'pupils': give exactly one of 'value', 'series', 'compute' (found none)",
            "data/figures.yaml:4:5: figure 'pupils': unknown key 'valeu' (did you mean 'value'?)",
        ],
    ),
    "bad name": (
        {"data/figures.yaml": "figures:\n  Pupils-2021:\n    label: x\n    value: 1\n"},
        ["data/figures.yaml:2:3: 'Pupils-2021' is not a valid name: use lowercase letters, digits and _"],
    ),
    "wrong type": (
        {"data/figures.yaml": "figures:\n  pupils:\n    label: [a, b]\n    value: 1\n"},
        ["data/figures.yaml:3:5: figure 'pupils': 'label' must be text, got a list"],
    ),
    # -- numbers
    "grouped number": (
        {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    value: 1.127.944\n"},
        [
            "data/figures.yaml:4:5: figure 'pupils': 'value' must be written without grouping separators, got '1.127.944' (write 1127944)"
        ],
    ),
    "grouped arabic-indic number": (
        {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    value: '١٬١٢٧٬٩٤٤'\n"},
        [
            "data/figures.yaml:4:5: figure 'pupils': 'value' must be written without grouping separators, got '١٬١٢٧٬٩٤٤' (write 1127944)"
        ],
    ),
    "negative count": (
        {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    value: -5\n"},
        [
            "data/figures.yaml:4:5: figure 'pupils': 'value' must not be negative, got -5 (set 'signed: true' if it may be)"
        ],
    ),
    "nan": (
        {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    value: .nan\n"},
        ["data/figures.yaml:4:5: figure 'pupils': 'value' must be a finite number, got '.nan'"],
    ),
    "infinity": (
        {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    value: .inf\n"},
        ["data/figures.yaml:4:5: figure 'pupils': 'value' must be a finite number, got '.inf'"],
    ),
    "not a number": (
        {"data/figures.yaml": "figures:\n  pupils:\n    label: التلاميذ\n    value: 141 ألف\n"},
        ["data/figures.yaml:4:5: figure 'pupils': 'value' must be a number, got '141 ألف'"],
    ),
    # -- consistency
    "total disagrees with parts": (
        {
            "data/figures.yaml": FIGURES
            + "  total:\n    label: المجموع\n    value: 5000\n    parts: [pupils, schools]\n"
        },
        [
            "data/figures.yaml:12:5: figure 'total': the stated total 5000 disagrees with its parts (pupils + schools = 143057)"
        ],
    ),
    "total smaller than what it includes": (
        {
            "data/figures.yaml": FIGURES
            + "  total:\n    label: المجموع\n    value: 5000\n    includes: [pupils]\n"
        },
        [
            "data/figures.yaml:12:5: figure 'total': the stated total 5000 is smaller than the figures it includes (pupils = 141241)"
        ],
    ),
    "compute unknown figure": (
        {"data/figures.yaml": FIGURES + "  growth:\n    label: نمو\n    compute: growth(pupils, shcools)\n"},
        ["data/figures.yaml:11:5: figure 'growth': unknown figure 'shcools' (did you mean 'schools'?)"],
    ),
    "compute cycle": (
        {"data/figures.yaml": "figures:\n  a: {label: a, compute: b + 1}\n  b: {label: b, compute: a + 1}\n"},
        ["data/figures.yaml:2:17: figure 'a': computed from itself (a -> b -> a)"],
    ),
    "compute not allowed": (
        {"data/figures.yaml": "figures:\n  a: {label: a, compute: \"__import__('os').system('x')\"}\n"},
        [
            "data/figures.yaml:2:17: figure 'a': '__import__('os').system('x')' is not allowed in a compute expression"
        ],
    ),
    "unknown source": (
        {
            "data/figures.yaml": "figures:\n  a: {label: a, value: 1, source: reprot}\nsources:\n  report: {title: التقرير}\n"
        },
        ["data/figures.yaml:2:27: figure 'a': unknown source 'reprot' (did you mean 'report'?)"],
    ),
    # -- CSV
    "csv column count": (
        {
            "data/figures.yaml": FIGURES
            + "  v:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: visitors}\n",
            "data/visits.csv": "year,visitors\n2020,100\n2021,200,300\n",
        },
        ["data/visits.csv:3: expected 2 columns as in the header, found 3"],
    ),
    "csv bad quoting": (
        {
            "data/figures.yaml": FIGURES
            + "  v:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: visitors}\n",
            "data/visits.csv": 'year,visitors\n2020,"100\n',
        },
        [
            "data/visits.csv:2: invalid CSV: unexpected end of data (a quotation mark opened and never closed?)"
        ],
    ),
    "csv empty": (
        {
            "data/figures.yaml": FIGURES
            + "  v:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: visitors}\n",
            "data/visits.csv": "",
        },
        ["data/visits.csv: the CSV file is empty: a header row is expected"],
    ),
    "csv unknown column": (
        {
            "data/figures.yaml": FIGURES
            + "  v:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: visiters}\n",
            "data/visits.csv": "year,visitors\n2020,100\n",
        },
        [
            "data/figures.yaml:11:42: figure 'v': visits.csv has no column 'visiters' (did you mean 'visitors'?)"
        ],
    ),
    "csv grouped cell": (
        {
            "data/figures.yaml": FIGURES
            + "  v:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: visitors}\n",
            "data/visits.csv": "year,visitors\n2020,1.150.000\n",
        },
        [
            "data/visits.csv:2: column 'visitors' must be written without grouping separators, got '1.150.000' (write 1150000)"
        ],
    ),
    # -- values that would change silently
    "bidi control as a YAML escape": (
        {"data/figures.yaml": FIGURES + '  v:\n    label: "\\u202Eabc 12345"\n    value: 1\n'},
        [f"data/figures.yaml:10:12: {BIDI}"],
    ),
    "bidi control escaped in a chart title": (
        {
            "data/figures.yaml": FIGURES
            + "charts:\n  c:\n    kind: bar\n    figures: [pupils]\n    caption: c\n    alt: a\n"
            + '    title: "\\u202E54321"\n'
        },
        [f"data/figures.yaml:15:12: {BIDI}"],
    ),
    "a period as a number and as text": (
        {"data/figures.yaml": FIGURES + '  v:\n    label: الزوار\n    series: {2021: 48210, "2021": 1}\n'},
        ["data/figures.yaml:11:27: figure 'v': period 2021 is given twice (first on line 11)"],
    ),
    "a period twice in a CSV": (
        {
            "data/figures.yaml": FIGURES
            + "  v:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: visitors}\n",
            "data/visits.csv": "year,visitors\n2021,100\n2022,200\n2021,999\n",
        },
        ["data/visits.csv:4: figure 'v': period 2021 is given twice (first on line 2)"],
    ),
    "impossible value date": (
        {"data/figures.yaml": FIGURES + "  v:\n    label: الزوار\n    value: 2024-02-30\n"},
        [
            "data/figures.yaml:11:5: figure 'v': 'value' is not a real date: 2024-02-30 (day is out of range for month)"
        ],
    ),
    "impossible quote date": (
        {"data/figures.yaml": "quotes:\n  q:\n    text: نص\n    speaker: متحدث\n    date: 2024-02-30\n"},
        [
            "data/figures.yaml:5:5: quote 'q': 'date' is not a real date: 2024-02-30 (day is out of range for month)"
        ],
    ),
    # -- sizes that layout and drawing pay for
    "a chart title of 301 characters": (
        {
            "data/figures.yaml": FIGURES
            + "charts:\n  c:\n    kind: bar\n    figures: [pupils]\n    caption: c\n    alt: a\n"
            + "    title: "
            + "ب" * 301
            + "\n"
        },
        ["data/figures.yaml:15:5: chart 'c': 'title' has 301 characters; at most 300 fit on a chart"],
    ),
    "a chart label of 301 characters": (
        {
            "data/figures.yaml": FIGURES
            + "charts:\n  c:\n    kind: bar\n    figures: [pupils]\n    caption: c\n    alt: a\n"
            + "    labels: {pupils: "
            + "ب" * 301
            + "}\n"
        },
        [
            "data/figures.yaml:15:14: chart 'c': the label of 'pupils' has 301 characters; at most 300 fit on a chart"
        ],
    ),
    "a figure label too long for a chart": (
        {
            "data/figures.yaml": "figures:\n  v:\n    label: "
            + "ب" * 301
            + "\n    value: 3\ncharts:\n  c:\n    kind: bar\n    figures: [v]\n    caption: c\n    alt: a\n"
        },
        [
            "data/figures.yaml:2:3: chart 'c': the label of figure 'v' has 301 characters; at most 300 fit on a chart (give a short one in the chart's 'labels')"
        ],
    ),
    "a chart of 101 periods": (
        {
            "data/figures.yaml": "figures:\n  v:\n    label: الزوار\n    series: {"
            + ", ".join(f"{1900 + i}: {i}" for i in range(101))
            + "}\ncharts:\n  c:\n    kind: line\n    figures: [v]\n    caption: c\n    alt: a\n"
        },
        [
            "data/figures.yaml:6:3: chart 'c': 101 categories or periods to draw; at most 100 fit on one chart (choose some with 'periods', or split the chart)"
        ],
    ),
    "a chart whose labels are too long together": (
        {
            "data/figures.yaml": "figures:\n  v:\n    label: الزوار\n    series: {"
            + ", ".join(f"{1900 + i}: {i}" for i in range(10))
            + "}\ncharts:\n  c:\n    kind: line\n    figures: [v]\n    caption: c\n    alt: a\n"
            + "    title: "
            + "ع" * 300
            + "\n    labels: {"
            + ", ".join(f"'{1900 + i}': {'ك' * 200}" for i in range(10))
            + "}\n"
        },
        [
            "data/figures.yaml:6:3: chart 'c': its title and labels have 2,006 characters together; at most 2,000 fit on one chart (shorten the labels in 'labels')"
        ],
    ),
    # -- sections
    "unknown name": (
        section("بلغ العدد {{ pupil | number }}."),
        ["data/sections/01-a.md:3:14: unknown name 'pupil' (did you mean 'pupils'?)"],
    ),
    "unknown filter": (
        section("{{ pupils | pres }}"),
        ["data/sections/01-a.md:3:13: unknown filter 'pres' (did you mean 'press'?)"],
    ),
    "jinja syntax": (
        section("\n{{ pupils | press }"),
        ["data/sections/01-a.md:4: template syntax error: unexpected '}'"],
    ),
    "unknown table": (
        section("{{ table('pupils_table') }}"),
        ["data/sections/01-a.md:3:11: unknown table 'pupils_table'"],
    ),
    "unknown quote": (section("{{ quote('motto') }}"), ["data/sections/01-a.md:3:11: unknown quote 'motto'"]),
    "unknown field": (
        section("{{ pupils.labl }}"),
        ["data/sections/01-a.md:3: figure 'pupils' has no field 'labl' (did you mean 'label'?)"],
    ),
    "missing period": (
        section("\n\n{{ visits[2019] }}"),
        ["data/sections/01-a.md:5: figure 'visits' has no period 2019 (it has 2020, 2021)"],
    ),
    "empty section": (
        {"data/sections/01-a.md": "  \n"},
        ["data/sections/01-a.md:1: the section is empty"],
    ),
    "section without title": (
        section("").__or__({"data/sections/01-a.md": "نص بلا عنوان\n"}),
        ["data/sections/01-a.md:1: a section must start with its title: '# العنوان'"],
    ),
    "sandbox escape": (
        section("{{ pupils.__init__.__globals__ }}"),
        [
            "data/sections/01-a.md:3: not allowed in a section: access to attribute '__init__' of 'FigureRef' object is unsafe."
        ],
    ),
    "impossible date": (
        {"data/figures.yaml": FIGURES + "facts:\n  launch: 2024-02-30\n"},
        [
            "data/figures.yaml:10:3: fact 'launch': not a real date: 2024-02-30 (day is out of range for month)"
        ],
    ),
    "compute with a wrong call": (
        {"data/figures.yaml": FIGURES + "  g:\n    label: g\n    compute: max(pupils)\n"},
        ["data/figures.yaml:11:5: figure 'g': cannot compute: 'int' object is not iterable"],
    ),
    "csv series without values": (
        {
            "data/figures.yaml": FIGURES
            + "  v:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: visitors}\n",
            "data/visits.csv": "year,visitors\n2024,\n",
        },
        [
            "data/visits.csv:2: figure 'v': no value for period 2024 in column 'visitors' (write it, or allow "
            "periods without a value with 'missing: true' in the series)"
        ],
    ),
    "unknown source through a variable": (
        section("{% set w = 'nosuch' %}{{ cite(w) }}"),
        ["data/sections/01-a.md:3: cannot evaluate an expression: nosuch"],
    ),
    "chart with a missing series": (
        {
            "data/figures.yaml": FIGURES
            + "charts:\n  c: {kind: line, caption: x, alt: y, figures: [pupils]}\n"
        },
        [
            "data/figures.yaml:10:39: chart 'c': figure 'pupils' is not a series (give it 'series: {period: value}')"
        ],
    ),
}


@pytest.mark.parametrize(("files", "expected"), CASES.values(), ids=CASES.keys())
def test_bad_input_corpus(tmp_path, files, expected):
    build_fails(make_project(tmp_path, files), expected)


SETTINGS_CASES = {
    "missing issuer": (
        "title: t\ndate: 2024-05-17\n",
        ["data/settings.yaml:1:1: settings: 'issuer' is required"],
    ),
    "bad digits": (
        "title: t\nissuer: i\ndate: 2024-05-17\ndigits: hindi\n",
        ["data/settings.yaml:4:1: settings: 'digits' must be one of western, arabic-indic, got 'hindi'"],
    ),
    "bad page size": (
        "title: t\nissuer: i\ndate: 2024-05-17\npage_size: A3\n",
        [
            "data/settings.yaml:4:1: settings: 'page_size' must be one of A4, A5, letter, A4-landscape, A5-landscape, letter-landscape, got 'A3'"
        ],
    ),
    "bad date": (
        "title: t\nissuer: i\ndate: 17/05/2024\n",
        ["data/settings.yaml:3:1: settings: 'date' must be a date written YYYY-MM-DD, got '17/05/2024'"],
    ),
    "impossible date": (
        "title: t\nissuer: i\ndate: 2024-02-30\n",
        [
            "data/settings.yaml:3:1: settings: 'date' is not a real date: 2024-02-30 (day is out of range for month)"
        ],
    ),
    "a date without a Hijri date": (
        "title: t\nissuer: i\ndate: 9999-12-31\nhijri_date: true\n",
        [
            "data/settings.yaml:3:1: settings: no Hijri date for 9999-12-31: the Umm al-Qura calendar covers 1924-2077"
        ],
    ),
    "unknown setting": (
        "title: t\nissuer: i\ndate: 2024-05-17\npage_siz: A4\n",
        ["data/settings.yaml:4:1: settings: unknown key 'page_siz' (did you mean 'page_size'?)"],
    ),
    "unknown locale": (
        "title: t\nissuer: i\ndate: 2024-05-17\nlocale: xx_YY\n",
        ["data/settings.yaml:1:1: settings: unknown locale 'xx_YY'"],
    ),
    "unknown key figure": (
        "title: t\nissuer: i\ndate: 2024-05-17\nkey_figures: [pupil]\n",
        ["data/settings.yaml:1:1: settings: key_figures: unknown figure 'pupil' (did you mean 'pupils'?)"],
    ),
}


@pytest.mark.parametrize(("settings", "expected"), SETTINGS_CASES.values(), ids=SETTINGS_CASES.keys())
def test_settings_corpus(tmp_path, settings, expected):
    build_fails(make_project(tmp_path, {"data/figures.yaml": FIGURES}, settings=settings), expected)


FETCH_CASES = {
    "missing font": (
        '@font-face { font-family: "Report Naskh"; src: url("font:Missing.ttf"); }',
        ["font file not found in fonts/: Missing.ttf"],
    ),
    "file outside": (
        'p { background: url("file:///etc/passwd"); }',
        ["refused to fetch file:///etc/passwd: only files inside the project may be used"],
    ),
    "relative escape": (
        'p { background: url("../../../../../../etc/passwd"); }',
        ["refused to fetch file:///etc/passwd: only files inside the project may be used"],
    ),
    "ftp": (
        'p { background: url("ftp://127.0.0.1/x.png"); }',
        ["refused to fetch ftp://127.0.0.1/x.png: only files inside the project may be used"],
    ),
    "data url": (
        'p { background: url("data:image/png;base64,iVBORw0KGgo="); }',
        ["refused to fetch data:image/png;base64,iVBORw0KGgo=: only files inside the project may be used"],
    ),
}


@pytest.mark.parametrize(("css", "expected"), FETCH_CASES.values(), ids=FETCH_CASES.keys())
def test_the_renderer_fetches_nothing_outside_the_project(tmp_path, css, expected):
    build_fails(make_project(tmp_path, {"templates/style.css": css}), expected)


def test_a_stylesheet_weasyprint_cannot_lay_out_is_a_clear_error(tmp_path):
    """WeasyPrint parses `position: running()` on an inline element, then fails laying it out."""
    css = ".cover-date { position: running(date); }\n@page { @top-left { content: element(date); } }\n"
    build_fails(
        make_project(tmp_path, {"templates/style.css": css}),
        [
            "WeasyPrint cannot lay this document out (TypeError: min-content width for TextBox not handled "
            "yet): a rule of the project's stylesheet or raw HTML in a section uses what it does not "
            "support; undo the last change to templates/ or the sections"
        ],
    )


def test_a_corrupt_font_file_is_an_error(tmp_path):
    project = make_project(tmp_path, {"fonts/NotoNaskhArabic-Regular.ttf": "not a font"})
    build_fails(
        project,
        [
            "fonts/NotoNaskhArabic-Regular.ttf: not a usable font file (Not a TrueType or OpenType font (not enough data))"
        ],
    )


@pytest.mark.parametrize(
    ("name", "shown"),
    [("bad\nname.yaml", "bad\\nname.yaml"), ("\u202eemaN.yaml", "\\u202eemaN.yaml")],
    ids=["newline", "bidi override"],
)
def test_a_file_name_is_printed_on_one_line_in_reading_order(tmp_path, name, shown):
    project = make_project(tmp_path, {"data/figures.yaml": FIGURES})
    (project / "data" / name).write_text("figures: [unclosed\n", encoding="utf-8")
    build_fails(project, [f"data/{shown}:2:1: invalid YAML: did not find expected ',' or ']'"])


def test_all_problems_are_reported_together(tmp_path):
    project = make_project(
        tmp_path,
        {
            "data/a.yaml": "figures:\n  pupils:\n    label: x\n    value: 1,816\n",
            "data/b.yaml": "figures:\n  schools:\n    label: y\n    value: -1\n",
        },
        settings="title: t\nissuer: i\ndate: 2024-05-17\ndigits: roman\n",
    )
    result = run_cli("check", str(project))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert [line.split(":")[0] for line in lines] == ["data/settings.yaml", "data/a.yaml", "data/b.yaml"]


def test_a_failed_build_leaves_the_previous_real_pdf_intact(tmp_path):
    project = make_project(tmp_path, {"data/figures.yaml": FIGURES})
    sections = project / "data" / "sections" / "01-intro.md"
    sections.write_text("# مقدمة\n\nبلغ العدد {{ pupils | press }}.\n", encoding="utf-8")
    first = run_cli("build", str(project))
    assert first.returncode == 0, first.stderr
    pdf = project / "output" / "briefing.pdf"
    before = pdf.read_bytes()
    sections.write_text("# مقدمة\n\nبلغ العدد {{ pupils | pres }}.\n", encoding="utf-8")
    second = run_cli("build", str(project))
    assert second.returncode == 2
    assert (
        second.stderr.strip()
        == "data/sections/01-intro.md:3:23: unknown filter 'pres' (did you mean 'press'?)"
    )
    assert pdf.read_bytes() == before


def test_accepted_input_variants(tmp_path):
    """A byte-order mark, CRLF line ends and Arabic-Indic digits in CSV cells are read as meant."""
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  v:\n    label: الزوار\n    series: {csv: visits.csv, key: year, value: visitors}\n",
            "data/sections/01-a.md": "# عنوان\n\n{{ v['2021'] | number }}\n",
        },
    )
    (project / "data" / "figures.yaml").write_bytes(
        b"\xef\xbb\xbf" + (project / "data" / "figures.yaml").read_bytes().replace(b"\n", b"\r\n")
    )
    (project / "data" / "visits.csv").write_bytes("year,visitors\r\n2020,100\r\n2021,١١٥٠٠٠٠\r\n".encode())
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr
    from conftest import read_pdf

    assert "1.150.000" in read_pdf(project / "output" / "briefing.pdf").flat


def test_unwritable_output_is_a_clear_error(tmp_path):
    project = make_project(tmp_path, {})
    (project / "output").write_text("a file where the output folder should be")
    result = run_cli("build", str(project))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "output/briefing.pdf: cannot write the output: output is a file, not a folder"
    )


def test_a_full_disk_is_a_clear_error(tmp_path, monkeypatch):
    import errno
    import os

    from report import pdf
    from report.errors import ReportError

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pdf.os, "fsync", full)
    target = tmp_path / "briefing.pdf"
    target.write_bytes(PREVIOUS)
    with pytest.raises(ReportError) as caught:
        pdf.write_atomically(b"%PDF new", target)
    assert caught.value.message == "cannot write the output: No space left on device"
    assert target.read_bytes() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == ["briefing.pdf"]


def test_an_internal_error_exits_1_without_traceback(tmp_path):
    import subprocess
    import sys

    project = make_project(tmp_path, {})
    code = (
        "import sys\nimport report.build as b\n"
        "def boom(*a, **k): raise RuntimeError('boom')\n"
        "b.load_project = boom\n"
        "from report.cli import main\nsys.exit(main(['build', sys.argv[1]]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip() == "internal error: RuntimeError: boom (run with --debug for details)"


def test_not_a_project(tmp_path):
    result = run_cli("build", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{tmp_path} is not a report project: data/settings.yaml is missing"


def test_one_error_met_from_several_sections_is_told_once(tmp_path):
    """A broken chart template is met by every section that places a chart: one line."""
    project = copy_project(EXAMPLE, tmp_path / "p")
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates" / "chart.html.j2").write_text(
        "<figure>{{ spec.caption }\n</figure>\n", encoding="utf-8"
    )
    charted = [
        p for p in (project / "data" / "sections").glob("*.md") if "chart(" in p.read_text(encoding="utf-8")
    ]
    assert len(charted) >= 2
    result = run_cli("build", str(project))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "templates/chart.html.j2:1: template syntax error: unexpected '}'"
    ]
