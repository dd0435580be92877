"""The number and date filters: Moroccan grouping, press style, percentages, dates, digit styles."""

from __future__ import annotations

from datetime import date

import pytest

from report.formatting import Formatter

western = Formatter("ar_MA", "western")
indic = Formatter("ar_MA", "arabic-indic")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1127944, "1.127.944"), (141241, "141.241"), (999, "999"), (0, "0"), (47.28, "47,3"), (1816, "1.816")],
)
def test_moroccan_grouping(value, expected):
    assert western.number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1127944, "مليون و127 ألفا و944"),
        (141241, "141 ألفا و241"),
        (240406, "240 ألفا و406"),
        (6164, "6 آلاف و164"),
        (1150000, "مليون و150 ألفا"),
        (5000000, "5 ملايين"),
        (2000, "ألفان"),
        (1000, "ألف"),
        (2500000, "مليونان و500 ألف"),
        (11000, "11 ألفا"),
        (480944, "480 ألفا و944"),
        (999, "999"),
        (1061, "ألف و61"),
        (207000, "207 آلاف"),
        (440000, "440 ألفا"),
        (3000000, "3 ملايين"),
        (100000, "100 ألف"),
    ],
)
def test_press_style(value, expected):
    # Printed with no-break spaces so that a number never splits across lines.
    # No-break spaces inside a part ("127 ألفا"); a line may break before "و" only.
    assert western.press(value) == expected.replace(" ", "\u00a0").replace("\u00a0و", " و")


def test_press_style_keeps_fractions_as_numbers():
    assert western.press(1234.5) == "1.234,5"


def test_arabic_indic_digits_everywhere():
    assert indic.number(1127944) == "١٬١٢٧٬٩٤٤"
    assert indic.number(47.28) == "٤٧٫٣"
    assert indic.press(1127944) == "مليون و١٢٧\u00a0ألفا و٩٤٤"
    assert indic.percent(47.28) == "٤٧٫٣٪"
    assert indic.date(date(2024, 5, 17)) == "١٧ ماي ٢٠٢٤"
    assert indic.plain(2021) == "٢٠٢١"
    assert indic.convert_digits("2020-2021") == "٢٠٢٠-٢٠٢١"


def test_percent():
    assert western.percent(47.28) == "47,3%"
    assert western.percent(40) == "40%"
    assert western.percent(40, words=True) == "40\u00a0في\u00a0المائة"
    assert western.percent(12.3456, decimals=2) == "12,35%"


@pytest.mark.parametrize(
    ("month", "name"),
    [(1, "يناير"), (2, "فبراير"), (3, "مارس"), (4, "أبريل"), (5, "ماي"), (6, "يونيو"),
     (7, "يوليوز"), (8, "غشت"), (9, "شتنبر"), (10, "أكتوبر"), (11, "نونبر"), (12, "دجنبر")],
)  # fmt: skip
def test_dates_use_moroccan_month_names(month, name):
    assert western.date(date(2024, month, 17)) == f"17 {name} 2024"


def test_hijri_date():
    assert western.hijri(date(2024, 5, 17)) == "9 ذي القعدة 1445 هـ"
    assert indic.hijri(date(2024, 2, 22)) == "١٢ شعبان ١٤٤٥ هـ"
