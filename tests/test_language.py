"""The Arabic the tool writes around numbers, read from real PDFs, and the language check.

The grammar itself is tested on its own table (test_grammar.py); here a project declares
nouns and qualifiers as a user would, and the built PDF must carry the right phrases in
sentences, tables, key-figure cards and under charts.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from bidi import get_display

from conftest import SETTINGS, make_project, read_pdf, run_cli, squash

UNITS = """\
units:
  pupil: {singular: تلميذ, plural: تلاميذ, gender: m}
  school: {singular: مؤسسة, plural: مؤسسات, gender: f}
  hour: {singular: ساعة, plural: ساعات, gender: f}
  day: {singular: يوم, plural: أيام, gender: m}
  visitor: {singular: زائر, plural: زوار, gender: m}
  viewer: {singular: مشاهد, plural: مشاهدين, gender: m}
  statement: {singular: بيان حقيقة, plural: بيانات حقيقة, gender: m}
  activity: {singular: نشاط تواصلي, plural: أنشطة تواصلية, gender: m, accusative: نشاطا تواصليا}
"""

FIGURES = """\
figures:
  pupils: {label: التلاميذ المستفيدون, value: 141241, unit: pupil, qualifier: about, source: s}
  schools: {label: المؤسسات, value: 1816, unit: school, source: s}
  hours_min: {label: أدنى أجل, value: 1, unit: hour, source: s}
  hours_max: {label: أقصى أجل, value: 5, unit: hour, source: s}
  days: {label: المدة, value: 3, unit: day, source: s}
  visitors: {label: الزوار, value: 1150000, unit: visitor, approx: ناهز, source: s}
  viewers: {label: المشاهدون, value: 5000000, unit: viewer, qualifier: more_than, source: s}
  statements: {label: بيانات الحقيقة, value: 106, unit: statement, source: s}
  activities: {label: الأنشطة, value: 56, unit: activity, source: s}
  per_school: {label: متوسط التلاميذ, compute: "round(pupils / schools, 0)", unit: pupil, source: s}
  followers: {label: المنخرطون, value: 207000, unit: منخرط, source: s}
  floor: {label: الحد الأدنى, value: 12, unit: day, qualifier: at_least, source: s}
  share: {label: الحصة, value: 47.28, unit: "%", source: s}
  edition_no: {label: رقم الدورة, value: 93, source: s}
facts:
  fair: {start: 2024-05-17, end: 2024-05-21}
sources:
  s: {title: معطيات المؤسسة كما أوردها المقال}
tables:
  t: {caption: جدول الأرقام, source: s, figures: [pupils, visitors, viewers, schools]}
charts:
  c:
    kind: bar
    caption: الزوار والمشاهدون
    alt: عمودان
    figures: [visitors, viewers, schools]
"""

SECTION = """\
# الأرقام

بلغ عدد المستفيدين {{ pupils | count }}، أي {{ pupils | count("press") }}، في {{ schools | count }}.

نُشر {{ statements | count }} و{{ activities | count }}، بمعدل {{ per_school | count }}.

في أجل يتراوح بين {{ hours_min | count("words") }} و{{ hours_max | count("words") }}، طيلة {{ days | count("words") }}.

شهدت التظاهرة حضورا ناهز {{ visitors | count("press", "acc", bare=true) }}، فضلا عن {{ viewers | count("press") }}.

سجل {{ followers | press }} منخرط، وبقيت {{ floor | count }}، وبلغت الحصة {{ share | percent }}.

الدورة {{ edition_no | ordinal("f") }}، ما بين {{ fair.start | date_range(fair.end) }} في المدينة.

{{ table("t") }}

{{ chart("c") }}
"""

LANGUAGE_SETTINGS = SETTINGS + "edition: 1\nhijri_date: true\nkey_figures: [pupils, viewers, floor]\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = make_project(
        tmp_path_factory.mktemp("language"),
        {"data/units.yaml": UNITS, "data/figures.yaml": FIGURES, "data/sections/01.md": SECTION},
        LANGUAGE_SETTINGS,
    )
    result = run_cli("build", str(root))
    assert result.returncode == 0, result.stderr
    return root, read_pdf(root / "output" / "briefing.pdf")


@pytest.mark.parametrize(
    "phrase",
    [
        "حوالي 141.241 تلميذا",  # 11-99 at the end: accusative singular; the source's "about" kept
        "حوالي 141 ألفا و241 تلميذا",  # press style, grammatical
        "1.816 مؤسسة",
        "106 بيانات حقيقة",  # 3-10 at the end: plural
        "56 نشاطا تواصليا",  # the declared accusative of a noun with its adjective
        "حوالي 78 تلميذا",  # computed from an "about" figure: about too
        "بين ساعة واحدة وخمس ساعات",  # words, with the gender of the noun reversed for 3-10
        "ثلاثة أيام",
        "ناهز مليونا و150 ألف زائر",  # the verb carries the claim; the scale word in construct
        "أكثر من 5 ملايين مشاهد",
        "207 آلاف منخرط",
        "12 يوما على الأقل",
        "الدورة الثالثة والتسعين",
        "17–21 ماي 2024",
        "الإصدار الأول",
        "9 ذي القعدة 1445 هـ",
    ],
)
def test_phrases_in_the_pdf(built, phrase):
    _, pdf = built
    assert squash(phrase) in pdf.flat


def test_tables_cards_and_charts_keep_the_claim(built):
    _, pdf = built
    flat = pdf.flat
    # The table: the word before each qualified number, the noun in the form the number calls for.
    assert squash("حوالي 141.241 تلميذا") in flat
    assert squash("قرابة 1.150.000 زائر") in flat
    assert squash("أكثر من 5.000.000 مشاهد") in flat
    # The key figures page: "at least" after the number.
    assert squash("12 على الأقل") in flat
    # Under the chart: each mark explained, in the order the values carry them.
    assert squash("* قرابة؛ ** أكثر من (كما يرد في المصدر)") in flat
    # Never an approximate figure printed bare in a table or card.
    assert not re.search(r"(?<!قرابة)1\.150\.000زائر", flat.replace("قرابة1.150.000", ""))


def test_a_qualifier_must_be_one_the_tool_knows(tmp_path):
    root = make_project(
        tmp_path,
        {"data/figures.yaml": "figures:\n  x:\n    label: س\n    value: 5\n    qualifier: roughly\n"},
    )
    result = run_cli("check", str(root))
    assert result.returncode == 2
    assert result.stderr.startswith("data/figures.yaml:5:")
    assert "'qualifier' must be one of about, nearly, more_than, at_least, up_to" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_undeclared_unit_name_is_an_error(tmp_path):
    root = make_project(
        tmp_path,
        {
            "data/units.yaml": UNITS,
            "data/figures.yaml": "figures:\n  x: {label: س, value: 5, unit: pupl}\n",
        },
    )
    result = run_cli("check", str(root))
    assert result.returncode == 2
    assert "figure 'x': unknown unit 'pupl' (did you mean 'pupil'?)" in result.stderr


# -- the sign convention -----------------------------------------------------------------


def _visual(logical: str) -> str:
    """The line as a reader sees it, left to right (Unicode bidi, paragraph right to left)."""
    shown = get_display(logical, base_dir="R")
    return "".join(c for c in shown if unicodedata.category(c) != "Cf")


@pytest.mark.parametrize(
    ("digits", "sign_left_of_number"),
    [("western", False), ("arabic-indic", True)],
)
def test_percent_sign_on_the_same_side_in_text_tables_and_cards(tmp_path, digits, sign_left_of_number):
    """One placement for every context: '47,3%' with Western digits, '٪٤٧٫٣' (read: ٤٧٫٣ then ٪) with
    Arabic-Indic ones, whatever letter comes before the number."""
    from report.build import _prepare
    from report.html import DocumentBuilder
    from report.project import load_project

    root = make_project(
        tmp_path,
        {
            "data/figures.yaml": FIGURES,
            "data/units.yaml": UNITS,
            "data/sections/01.md": "# س\n\nاستأثرت المنصة بـ{{ share | percent }} منهم، وحوالي {{ share | percent }}.\n\n"
            '{{ table("t2") }}\n',
            "data/t2.yaml": "tables:\n  t2: {caption: ج, figures: [share]}\n",
        },
        SETTINGS + f"digits: {digits}\nkey_figures: [share]\n",
    )
    project = load_project(root)
    values, formatter, charts = _prepare(project)
    html, _ = DocumentBuilder(project, values, formatter, charts).render()
    texts = re.sub(r"<[^>]+>", "\n", html).split("\n")
    number = "٤٧٫٣" if digits == "arabic-indic" else "47,3"
    sign = "٪" if digits == "arabic-indic" else "%"
    contexts = [t for t in texts if number in t]
    assert sum(t.count(number) for t in contexts) >= 4  # twice in the sentence, the table cell, the card
    for text in contexts:
        shown = _visual(text)
        expected = sign + number if sign_left_of_number else number + sign
        assert expected in shown, (text, shown)


def test_ranges_and_signs_keep_their_order():
    from report.bidi import isolate

    # Western digits: the number, the range and the sign read left to right, as written.
    assert "2020\u20132021" in _visual("الموسم " + isolate("2020\u20132021") + " كاملا")
    assert "-5,2%" in _visual("تراجع بـ" + isolate("-5,2%"))
    # Arabic-Indic digits: Arabic order, the minus read first (on the right), the sign last.
    assert "٪٥٫٢-" in _visual("تراجع بـ" + isolate("-٥٫٢٪"))
    assert "٢٠٢١\u2013٢٠٢٠" in _visual("الموسم " + isolate("٢٠٢٠\u2013٢٠٢١") + " كاملا")


# -- the language check ------------------------------------------------------------------

HOSTILE_SECTION = """\
# فحص

بلغ العدد 2024 زائرا.

1. بند أول في قائمة مرقمة

استفاد {{ pupils | number }} تلميذ، و{{ schools | number }} {{ schools.unit }}.

حضر {{ visitors | count("press", bare=true) }} في المجموع.

وبلغ حوالي {{ pupils | count }}.

الرابط https://example.org/2024/report يبقى كما هو.
"""


def test_check_lists_language_warnings_with_their_lines(tmp_path):
    root = make_project(
        tmp_path,
        {
            "data/units.yaml": UNITS,
            "data/figures.yaml": FIGURES,
            "data/facts.yaml": "facts:\n  title_fact: عنوان بأرقام ٢٠٢٤\n",
            "data/sections/01.md": HOSTILE_SECTION,
        },
    )
    result = run_cli("check", str(root))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "data/sections/01.md:3:11: warning: the number '2024' is typed by hand: give it to a figure or "
        "fact in data and refer to it, so that an update reaches every place that prints it",
        "data/sections/01.md:7:11: warning: the noun after {{ pupils | number }} is typed ('تلميذ' after "
        "this number should read 'تلميذا'): write {{ pupils | count }}, which writes it in the form the "
        "number calls for",
        "data/sections/01.md:7:64: warning: 'schools.unit' typed after a number: write {{ schools | count }}, "
        "which gives the number with its noun in the form the number calls for",
        "data/sections/01.md:9:8: warning: figure 'visitors' is qualified 'nearly' (قرابة) by its source but "
        "printed with bare=true and no word of that claim before it (قرابة، ناهز، ناهزت، يناهز...): an "
        "approximate figure would read as exact",
        "data/sections/01.md:11:15: warning: figure 'pupils' carries its claim (حوالي) and the sentence "
        "writes 'حوالي' before it: the claim is written twice (add bare=true, or remove the word)",
    ]
    assert result.stdout.strip().endswith("5 language warnings (1 sections)")
    strict = run_cli("check", "--strict", str(root))
    assert strict.returncode == 2
    assert strict.stderr.strip().splitlines()[-1] == "5 language warnings; --strict makes them errors"


def test_the_default_briefing_passes_the_strict_check():
    result = run_cli("check", "--strict")
    assert (result.returncode, result.stderr) == (0, "")
    assert "no problems found" in result.stdout


# -- what a first user of the feature ran into ---------------------------------------------


def _section_text(tmp_path, section: str, extra: dict | None = None, settings: str = SETTINGS) -> str:
    root = make_project(
        tmp_path,
        {
            "data/units.yaml": UNITS,
            "data/figures.yaml": FIGURES,
            "data/sections/01.md": section,
            **(extra or {}),
        },
        settings,
    )
    result = run_cli("build", str(root))
    assert result.returncode == 0, result.stderr
    return read_pdf(root / "output" / "briefing.pdf").flat


def test_count_with_a_unit_for_a_plain_number_and_words_after_scale_words(tmp_path):
    flat = _section_text(
        tmp_path,
        '# س\n\n{{ 2 | count(unit="school") }}، {{ 2000 | count("press", "acc", unit="pupil") }}، '
        '{{ 150000 | count("press", unit="درهم") }}، {{ 1150000 | count("press", unit="درهم") }}، '
        '{{ 1 | count("noun", unit="hour") }}، {{ share | count }}.\n',
    )
    for phrase in ("مؤسستان", "ألفي تلميذ", "150 ألف درهم", "مليون و150 ألف درهم", "ساعة", "47,3%"):
        assert squash(phrase) in flat, phrase
    assert "واحدة" not in flat  # count("noun"): one hour is "ساعة", as in "ما بين ساعة وخمس ساعات"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"data/sections/01.md": '# س\n\n{{ 5 | count(unit="pupl") }}\n'},
            "data/sections/01.md:3: 'count': unknown unit 'pupl' (did you mean 'pupil'?) (declare it under "
            "'units:', or give the unit in words)",
        ),
        (
            {"data/sections/01.md": '# س\n\n{{ pupils | count(units="pupil") }}\n'},
            "data/sections/01.md:3: the 'count' filter has no option 'units' (did you mean 'unit'?) "
            "(it takes: style, case, unit, bare)",
        ),
        (
            {"data/sections/01.md": "# س\n\n{{ pupils | hijri }}\n"},
            "data/sections/01.md:3: the 'hijri' filter expects a date, got the number 141241",
        ),
        (
            {"data/more-units.yaml": "units:\n  bed: {singular: bed, plural: beds, gender: m}\n"},
            "data/more-units.yaml:2:9: unit 'bed': 'singular' must be Arabic words, got 'bed'",
        ),
    ],
    ids=["unknown unit", "unknown option", "hijri of a number", "latin noun"],
)
def test_mistakes_with_nouns_and_filters_are_one_clear_line(tmp_path, files, message):
    root = make_project(tmp_path, {"data/units.yaml": UNITS, "data/figures.yaml": FIGURES, **files})
    result = run_cli("check", str(root))
    assert (result.returncode, result.stderr.strip().splitlines()[0]) == (2, message)


def test_claims_written_after_the_number_and_feminine_verbs(tmp_path):
    section = (
        "# س\n\nبقيت {{ floor | count }} على الأقل، وبلغ {{ pupils | count }} تقريبا.\n\n"
        "ولا تتجاوز المدة {{ hours_max | count(bare=true) }}.\n"
    )
    figures = FIGURES.replace(
        "  hours_max: {label: أقصى أجل, value: 5, unit: hour, source: s}",
        "  hours_max: {label: أقصى أجل, value: 5, unit: hour, source: s, qualifier: up_to}",
    )
    root = make_project(
        tmp_path, {"data/units.yaml": UNITS, "data/figures.yaml": figures, "data/sections/01.md": section}
    )
    result = run_cli("check", str(root))
    lines = result.stderr.strip().splitlines()
    assert [line.split(": warning: ")[1].split(":")[0] for line in lines] == [
        "figure 'floor' carries its claim (على الأقل) and the sentence writes 'على الأقل' after it",
        "figure 'pupils' carries its claim (حوالي) and the sentence writes 'تقريبا' after it",
    ]


def test_a_chart_does_not_mix_percentages_and_counts(tmp_path):
    extra = {
        "data/c2.yaml": "charts:\n  mixed: {kind: bar, caption: خليط, alt: أعمدة, figures: [share, schools]}\n"
    }
    root = make_project(tmp_path, {"data/units.yaml": UNITS, "data/figures.yaml": FIGURES, **extra})
    result = run_cli("check", str(root))
    assert result.returncode == 2
    assert (
        "chart 'mixed': 'share' and 'schools' are not both percentages: one chart shows percentages or "
        "counts, not both" in result.stderr
    )


def test_rounding_is_half_up_and_two_takes_the_dual_beside_a_number():
    from report.formatting import Formatter
    from report.grammar import Noun

    western = Formatter("ar_MA", "western")
    assert (western.number(79.25), western.number(0.125, 2), western.percent(2.45)) == (
        "79,3",
        "0,13",
        "2,5%",
    )
    assert western.noun_after(2, Noun("مستشفى", "مستشفيات", "m")) == "مستشفيان"


def test_digits_typed_in_data_are_printed_in_the_projects_style(tmp_path):
    """No warning to fix by hand: a caption, a fact or a title typed with the other digits is
    printed in the project's style, an address as written."""
    files = {
        "data/facts.yaml": "facts:\n  note: حصيلة سنة 2023 https://example.org/2023/a.pdf\n",
        "data/sections/01.md": "# س\n\n{{ note }}\n",
    }
    root = make_project(tmp_path, files, SETTINGS + "digits: arabic-indic\nsubtitle: حصيلة سنة 2023\n")
    check = run_cli("check", "--strict", str(root))
    assert (check.returncode, check.stderr) == (0, "")
    assert run_cli("build", str(root)).returncode == 0
    text = read_pdf(root / "output" / "briefing.pdf").text
    assert "2023" not in re.sub(r"https://\S+", "", text)
    assert "٢٠٢٣" in text and "https://example.org/2023/a.pdf" in text
