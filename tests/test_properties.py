"""Property-based tests: generated values and strings end in a correct format, a PDF, or a clean error."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import SETTINGS, make_project
from report.formatting import Formatter

western = Formatter("ar_MA", "western")
indic = Formatter("ar_MA", "arabic-indic")
_SCALES = {"مليار": 10**9, "ملياران": 2 * 10**9, "مليارات": 10**9, "مليارا": 10**9,
           "مليون": 10**6, "مليونان": 2 * 10**6, "ملايين": 10**6, "مليونا": 10**6,
           "ألف": 1000, "ألفان": 2000, "آلاف": 1000, "ألفا": 1000, "واحد": 1, "اثنان": 2}  # fmt: skip


def read_press(text: str) -> int:
    """Read the press style back into a number (an independent parser, for the round trip)."""
    total = 0
    for part in text.split(" و"):
        words = part.split("\u00a0")
        if len(words) == 1 and words[0].isdigit():
            total += int(words[0])
        elif len(words) == 1:
            total += _SCALES[words[0]]
        else:
            total += int(words[0]) * _SCALES[words[1]]
    return total


@given(st.integers(min_value=1000, max_value=10**12 - 1))
def test_press_style_reads_back_to_the_same_number(value):
    assert read_press(western.press(value)) == value


@given(st.integers(min_value=0, max_value=10**15))
def test_grouping_reads_back_and_digits_are_consistent(value):
    grouped = western.number(value)
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", grouped)
    assert int(grouped.replace(".", "")) == value
    for text in (indic.number(value), indic.press(value), indic.percent(value / 7)):
        assert not re.search(r"[0-9]", text), text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_every_finite_number_formats(value):
    for formatter in (western, indic):
        assert formatter.number(value)
        assert formatter.percent(value)
        assert formatter.press(value)


values = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.from_regex(r"[0-9٠-٩]{1,3}([.,٬ ][0-9٠-٩]{3}){0,3}", fullmatch=True),
    st.text(max_size=12),
    st.booleans(),
    st.none(),
)
texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from("<>&*_[]()#{}`|\\\"'%ملاأ"),
    min_size=1,
    max_size=30,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values, label=texts, unit=texts, fact=texts)
def test_generated_data_ends_in_a_pdf_or_a_clean_error(value, label, unit, fact):
    from report.build import build
    from report.errors import ReportError

    root = Path(tempfile.mkdtemp())
    try:
        document = {"figures": {"x": {"label": label, "value": value, "unit": unit}}, "facts": {"note": fact}}
        project = make_project(
            root,
            {
                "data/figures.yaml": yaml.safe_dump(document, allow_unicode=True),
                "data/sections/01-a.md": "# عنوان\n\n{{ x | press }} {{ x.unit }} {{ x | number }} — {{ note }}\n",
            },
            settings=SETTINGS,
        )
        try:
            result = build(project)
        except ReportError as error:
            event("clean error")
            for line in error.display(project).splitlines():
                assert re.match(r"^data/[\w/.-]+:\d+(:\d+)?: \S", line), line
        else:
            event("pdf")
            assert result.pages >= 3 and result.output.read_bytes().startswith(b"%PDF")
    finally:
        shutil.rmtree(root)
