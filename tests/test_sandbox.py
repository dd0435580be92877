"""Hostile templates: sections and template overrides see plain values and do bounded work.

Every case runs the CLI as a user would, under a time limit and a memory ceiling, and
asserts the exit code, the located one-line message, that the previous PDF is untouched,
and that a canary folder outside the project is neither read into the output nor changed.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from conftest import (
    HOSTILE_MEMORY_KB,
    HOSTILE_TIMEOUT,
    build_fails,
    make_project,
    read_pdf,
    run_cli,
    squash,
)

FIGURES = """\
figures:
  pupils:
    label: التلاميذ
    value: 141241
    unit: تلميذ
  visits:
    label: الزيارات
    series: {2020: 100, 2021: 200}
facts:
  place:
    city: الرباط
"""


def run_limited(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run `python -m report` under the memory ceiling and time limit of hostile cases."""
    started = time.perf_counter()
    result = run_cli(*args, memory_kb=HOSTILE_MEMORY_KB, timeout=HOSTILE_TIMEOUT)
    return result, time.perf_counter() - started


def build_refused(project, expected: str) -> None:
    build_fails(project, [expected], memory_kb=HOSTILE_MEMORY_KB)


def section(body: str) -> dict[str, str]:
    return {
        "data/figures.yaml": FIGURES + "sources:\n  s: {title: مصدر}\n",
        "data/sections/01-a.md": f"# عنوان\n\n{body}\n",
    }


SECTION_CASES = {
    # -- reaching objects through values
    "figure internals": (
        "{{ pupils.resolved.figure.location.path.read_text() }}",
        "data/sections/01-a.md:3: figure 'pupils' has no field 'resolved'",
    ),
    "figure location": (
        "{{ pupils.figure.location }}",
        "data/sections/01-a.md:3: figure 'pupils' has no field 'location'",
    ),
    "dunder class": (
        "{{ pupils.__class__.__mro__ }}",
        "data/sections/01-a.md:3: not allowed in a section: access to attribute '__class__' of 'FigureRef' object is unsafe.",
    ),
    "text class": (
        "{{ ''.__class__.__base__.__subclasses__() }}",
        "data/sections/01-a.md:3: not allowed in a section: access to attribute '__class__' of 'str' object is unsafe.",
    ),
    "fact group internals": (
        "{{ place._fields }}",
        "data/sections/01-a.md:3: not allowed in a section: access to attribute '_fields' of '_Facts' object is unsafe.",
    ),
    "lipsum globals": (
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "data/sections/01-a.md:3:4: unknown name 'lipsum'",
    ),
    "cycler": (
        "{{ cycler.__init__.__globals__ }}",
        "data/sections/01-a.md:3:4: unknown name 'cycler' (did you mean 'caller'?)",
    ),
    "format padding": (
        "{{ '{:>999999999}'.format(1) }}",
        "data/sections/01-a.md:3: not allowed in a section: access to attribute 'format' of 'str' object is unsafe.",
    ),
    "str method that grows": (
        "{{ 'x'.ljust(999999999) }}",
        "data/sections/01-a.md:3: not allowed in a section: access to attribute 'ljust' of 'str' object is unsafe.",
    ),
    "center filter": (
        "{{ 'x' | center(999999999) }}",
        "data/sections/01-a.md:3:10: unknown filter 'center' (did you mean 'percent'?)",
    ),
    "printf padding": (
        "{{ '%0999999999d' % 1 }}",
        "data/sections/01-a.md:3: '%' formatting is not available in templates; use the number filters",
    ),
    # -- bounded work
    "huge repeat": (
        '{{ "x" * 10**9 }}',
        "data/sections/01-a.md:3: a value longer than 100,000 characters or items",
    ),
    "huge power": ("{{ 10 ** 10 ** 10 }}", "data/sections/01-a.md:3: a number with more than 15 digits"),
    "huge number": (
        "{{ 99999999 * 99999999 }}",
        "data/sections/01-a.md:3: a number with more than 15 digits",
    ),
    "nested loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "data/sections/01-a.md:3: the template does too much work: more than 200,000 loop iterations and calls",
    ),
    "doubling text": (
        '{% set ns = namespace(s="xy") %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}',
        "data/sections/01-a.md:3: a value longer than 100,000 characters or items",
    ),
    "replace bomb": (
        '{% set ns = namespace(s="xxxxxxxxxx") %}{% for i in range(9) %}{% set ns.s = ns.s | replace("x", ns.s) %}{% endfor %}',
        "data/sections/01-a.md:3: a value longer than 100,000 characters or items",
    ),
    "huge output": (
        '{% for i in range(100000) %}{{ "x" * 1000 }}{% endfor %}',
        "data/sections/01-a.md: the template produces more than 200,000 characters",
    ),
    "recursive macro": (
        "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
        "data/sections/01-a.md:3: macros or templates call each other too deeply",
    ),
    "branching macro": (
        "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
        "data/sections/01-a.md:3: the template does too much work: more than 200,000 loop iterations and calls",
    ),
    "recursive loop": (
        "{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}",
        "data/sections/01-a.md:3: template syntax error: recursive loops are not available in templates",
    ),
    "nested brackets": (
        "{{ " + "(" * 300 + "1" + ")" * 300 + " }}",
        "data/sections/01-a.md:3: template syntax error: brackets nested more than 30 deep",
    ),
    "range too long": (
        "{{ range(10**7) | length }}",
        "data/sections/01-a.md:3: range() of more than 100,000 numbers",
    ),
    "batch fill": (
        "{{ [1] | batch(10**9, 0) | list | length }}",
        "data/sections/01-a.md:3: the 'do_batch' filter was given a number that is too large",
    ),
    # -- found by a tester who had not seen the code
    "join with a huge separator": (
        '{{ ("x" * 99999) | list | join("y" * 8000) | length }}',
        "data/sections/01-a.md:3: a value longer than 100,000 characters or items",
    ),
    "grouping a long list again and again": (
        "{% for i in range(100) %}{{ range(99999) | groupby('real') | list | length }}{% endfor %}",
        "data/sections/01-a.md:3: the template builds more than 10,000,000 characters of text",
    ),
    "filter option of the wrong kind": (
        "{{ {1: 2} | dictsort(by='x') }}",
        'data/sections/01-a.md:3: cannot evaluate an expression: You can only sort by either "key" or "value"',
    ),
    "filter that is not allowed, by name": (
        "{{ ['%s'] | map('format', 1) | list }}",
        "data/sections/01-a.md:3: cannot evaluate an expression: No filter named 'format'.",
    ),
    "30-digit literal": (
        "{{ 123456789012345678901234567890 }}",
        "data/sections/01-a.md:3: template syntax error: a number with more than 15 digits",
    ),
    "18 digits through a filter": (
        "{{ (99999999 * 10000000 * 10) | press }}",
        "data/sections/01-a.md:3: a number with more than 15 digits",
    ),
    "infinity literal": (
        "{{ 1e400 }}",
        "data/sections/01-a.md:3: template syntax error: not a finite number",
    ),
    "a method printed": (
        "{{ place.city['upper'] }}",
        "data/sections/01-a.md:3: a builtin_function_or_method cannot be printed as text",
    ),
    "too many blocks": (
        "{% for i in range(2001) %}{{ cite('s') }}{% endfor %}",
        "data/sections/01-a.md:3: the document places more than 2,000 quotations, tables, charts and citations",
    ),
    # -- bidi controls in the section's own text
    "unclosed override": (
        "نص \u202e{{ pupils }} بعده",
        "data/sections/01-a.md:3:4: bidi control character U+202E (RIGHT-TO-LEFT OVERRIDE) in the text: remove it (report isolates every value itself; an unclosed control would reorder the text around it)",
    ),
    "second title": (
        "نص.\n\n# عنوان ثان\n",
        "data/sections/01-a.md:5: a section has one '#' title; use '##' for sub-headings",
    ),
}


@pytest.mark.parametrize("body, expected", SECTION_CASES.values(), ids=SECTION_CASES)
def test_hostile_sections_are_refused_with_their_place(tmp_path, canary, body, expected):
    project = make_project(tmp_path / "project", section(body))
    build_refused(project, expected)


TEMPLATE_CASES = {
    "shell through lipsum": (
        '{{ lipsum.__globals__["os"].popen("touch CANARY/pwned").read() }}',
        "templates/footnote.html.j2:1: template error: 'lipsum' is undefined",
    ),
    "objects through the context": (
        "{{ source.location.path.read_text() }}",
        "templates/footnote.html.j2:1: template error: 'report.sandbox.View object' has no attribute 'location'",
    ),
    "self include": (
        '{% include "footnote.html.j2" %}',
        "templates/footnote.html.j2:1: templates include or call each other too deeply",
    ),
    "huge repeat": (
        '{{ "x" * 10**9 }}',
        "templates/footnote.html.j2:1: a value longer than 100,000 characters or items",
    ),
}


@pytest.mark.parametrize("template, expected", TEMPLATE_CASES.values(), ids=TEMPLATE_CASES)
def test_hostile_template_overrides_are_refused(tmp_path, canary, template, expected):
    files = {
        "data/figures.yaml": FIGURES + "sources:\n  s: {title: مصدر}\n",
        "data/sections/01-a.md": "# عنوان\n\nنص{{ cite('s') }}.\n",
        "templates/footnote.html.j2": template.replace("CANARY", str(canary)),
    }
    project = make_project(tmp_path / "project", files)
    build_refused(project, expected)


def test_a_record_printed_by_a_template_override_is_refused(tmp_path, canary):
    files = {
        "data/figures.yaml": FIGURES,
        "data/sections/01-a.md": "# عنوان\n\nنص.\n",
        "templates/briefing.html.j2": "<html><body>{{ sections }}</body></html>",
    }
    build_refused(
        make_project(tmp_path / "project", files),
        "templates/briefing.html.j2:1: a list cannot be printed as text; name one of its fields",
    )


STYLESHEETS = {
    "nested braces": (
        "a{" + "b{" * 100_000 + "}" * 100_000 + "}",
        "templates/style.css:1: braces and brackets nested more than 30 deep",
    ),
    "huge": (
        "p{}" * 200_000,
        "templates/style.css: the stylesheet has 600,000 characters; at most 500,000 are allowed",
    ),
}


@pytest.mark.parametrize("css, expected", STYLESHEETS.values(), ids=STYLESHEETS)
def test_a_stylesheet_that_would_stall_the_css_parser_is_refused(tmp_path, css, expected):
    files = {"data/figures.yaml": FIGURES, "templates/style.css": css}
    build_refused(make_project(tmp_path / "project", files), expected)


def test_a_template_override_linked_from_outside_is_refused(tmp_path, canary):
    project = make_project(tmp_path / "project", section("نص."))
    (project / "templates").mkdir()
    (project / "templates" / "briefing.html.j2").symlink_to(canary / "secret.md")
    build_refused(
        project, "templates/briefing.html.j2: refused: a symbolic link to a file outside the project"
    )


def test_a_stylesheet_linked_from_outside_is_refused(tmp_path, canary):
    project = make_project(tmp_path / "project", section("نص."))
    (project / "templates").mkdir()
    (project / "templates" / "style.css").symlink_to(canary / "secret.md")
    build_refused(project, "templates/style.css: refused: a symbolic link to a file outside the project")


def test_values_stand_on_their_own_bidi_island(tmp_path):
    """Every inserted value with a number or Latin text is wrapped in an isolate in the HTML; Arabic
    words stay bare so that they join a letter typed before them; the PDF text keeps logical order."""
    from report.build import _prepare
    from report.html import DocumentBuilder
    from report.project import load_project

    files = {
        "data/figures.yaml": FIGURES.replace(
            "facts:", "  share:\n    label: حصة\n    value: 42.6\n    unit: '%'\nfacts:"
        ),
        "data/sections/01-a.md": "# عنوان\n\nفي {{ place.city }} ومنها ب{{ place.city }} بلغ العدد {{ pupils }} وبـ{{ share | percent }}.\n\n## سنة {{ 2024 }} في {{ place.city }}\n",
    }
    project = load_project(make_project(tmp_path / "project", files))
    values, formatter, charts = _prepare(project)
    html, _ = DocumentBuilder(project, values, formatter, charts).render()
    # (A no-break space after a number keeps it with the word that follows.)
    assert "في الرباط ومنها بالرباط بلغ العدد \u2066141.241\u2069\xa0وبـ\u206642,6%\u2069" in html
    # Values in the built-in templates too: the cover's date.
    assert "\u206717 ماي 2024\u2069" in html
    # ... but not in attributes and metadata, where the marks would be taken literally.
    assert "<title>موجز تجريبي</title>" in html

    output = tmp_path / "out.pdf"
    from report.build import build

    build(project.root, output)
    flat = read_pdf(output).flat  # the final full stop extracts out of place: leave it out
    assert "فيالرباطومنهابالرباطبلغالعدد141.241وبـ" in flat and "وبـ.42,6%" in flat
    # The outline shows headings without the isolates of their values.
    from pypdf import PdfReader

    nested = [i.title for group in PdfReader(output).outline if isinstance(group, list) for i in group]
    assert "سنة 2024 في الرباط" in nested, nested


ALLOWED = """\
{% set ns = namespace(total=0) %}{% for period, value in visits.series.items() %}{% set ns.total = ns.total + value %}{% endfor %}
المجموع {{ ns.total }}، والفرق {{ visits[2021] - visits[2020] }}، والمدينة {{ place.city | upper }}، {{ [3, 1, 2] | sort | join("-") }}.
"""


def test_ordinary_template_code_still_works(tmp_path):
    project = make_project(tmp_path / "project", section(ALLOWED))
    result, _ = run_limited("build", str(project))
    assert result.returncode == 0, result.stderr
    text = read_pdf(project / "output" / "briefing.pdf").text
    # Mixed-direction runs extract out of order (the commas move): look for the words.
    for piece in ("المجموع", "300", "والفرق", "100", "والمدينةالرباط", "1-2-3"):
        assert piece in squash(text)


BIDI_MESSAGE = (
    "bidi control character U+{code} ({name}) in the text: remove it (report isolates every value "
    "itself; an unclosed control would reorder the text around it)"
)


@pytest.mark.parametrize(
    "files, expected",
    [
        (
            {
                "data/figures.yaml": FIGURES + '  motto: "شعار \u202e"\n',
                "data/sections/01-a.md": "# عنوان\n\n{{ motto }} {{ pupils }}\n",
            },
            "data/figures.yaml:12:16: " + BIDI_MESSAGE.format(code="202E", name="RIGHT-TO-LEFT OVERRIDE"),
        ),
        (
            {
                "data/figures.yaml": FIGURES.replace("label: التلاميذ", 'label: "التلاميذ \u2067"'),
                "data/sections/01-a.md": "# عنوان\n\n{{ pupils }}\n",
            },
            "data/figures.yaml:3:22: " + BIDI_MESSAGE.format(code="2067", name="RIGHT-TO-LEFT ISOLATE"),
        ),
        (
            {
                "data/figures.yaml": FIGURES
                + "tables:\n  t:\n    caption: جدول\n    csv: t.csv\n    columns: {a: أ}\n",
                "data/t.csv": "a\nنص\n\u202dABC\n",
                "data/sections/01-a.md": "# عنوان\n\n{{ table('t') }}\n",
            },
            "data/t.csv:3:1: " + BIDI_MESSAGE.format(code="202D", name="LEFT-TO-RIGHT OVERRIDE"),
        ),
    ],
    ids=["fact override", "label isolate", "csv override"],
)
def test_bidi_controls_in_data_are_refused_where_they_stand(tmp_path, files, expected):
    build_refused(make_project(tmp_path / "project", files), expected)


def test_marks_that_only_set_a_direction_are_accepted(tmp_path):
    """LRM and RLM cannot reorder anything beyond their neighbours: editors use them, so they pass."""
    files = {
        "data/figures.yaml": FIGURES + '  motto: "DGSN\u200f المديرية"\n',
        "data/sections/01-a.md": "# عنوان\n\n{{ motto }} {{ pupils }}\n",
    }
    result, _ = run_limited("check", str(make_project(tmp_path / "project", files)))
    assert result.returncode == 0, result.stderr


# -- found by a second tester who had not seen the code ------------------------------------------

SECOND_ROUND = {
    "searching a list of long texts": (
        '{% set L = ["y" * 99999] * 999 %}{% for i in range(2000) %}{% if "z" in L %}{% endif %}{% endfor %}',
        "data/sections/01-a.md:3: the template builds more than 10,000,000 characters of text",
    ),
    "truncate below its minimum": (
        '{{ "abcdef" | truncate(1) }}',
        "data/sections/01-a.md:3: cannot evaluate an expression: expected length >= 3, got 1",
    ),
    "emphasis nested without end": (
        "*" * 50_000 + "a" + "*" * 50_000,
        "data/sections/01-a.md:3: the Markdown nests more than 40 levels (emphasis, lists or quotes)",
    ),
}


@pytest.mark.parametrize("body, expected", SECOND_ROUND.values(), ids=SECOND_ROUND)
def test_second_round_sections_are_refused_with_their_place(tmp_path, canary, body, expected):
    build_refused(make_project(tmp_path / "project", section(body)), expected)


def test_reference_links_are_text_not_expanded(tmp_path):
    """`[a][]` would copy the whole URL of `[a]: ...` at every use: reference links are off."""
    body = "[a][] " * 50 + "\n\n[a]: /" + "x" * 5000 + "\n"
    project = make_project(tmp_path / "project", section(body))
    result, _ = run_limited("build", str(project))
    assert result.returncode == 0, result.stderr
    assert "xxxxx" in read_pdf(project / "output" / "briefing.pdf").flat  # the definition, as text
    from report.build import _prepare
    from report.html import DocumentBuilder
    from report.project import load_project

    loaded = load_project(project)
    values, formatter, charts = _prepare(loaded)
    html, _ = DocumentBuilder(loaded, values, formatter, charts).render()
    assert "href=" not in html.split('id="section-1"', 1)[1]


def _bomb_svg() -> str:
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><defs><rect id="a0" width="1" height="1"/>'
    ]
    for i in range(1, 10):
        parts.append(f'<g id="a{i}">' + f'<use href="#a{i - 1}"/>' * 10 + "</g>")
    parts.append('</defs><use href="#a9"/></svg>')
    return "".join(parts)


def test_an_svg_from_the_project_is_refused(tmp_path, canary):
    files = {
        "data/figures.yaml": FIGURES,
        "templates/bomb.svg": _bomb_svg(),
        "templates/style.css": "body { background-image: url(templates/bomb.svg); }\n",
    }
    build_refused(
        make_project(tmp_path / "project", files),
        "templates/bomb.svg: refused: an SVG image that reuses parts or images (<use>, <image>, patterns, "
        "markers, masks, filters) or is over 1000 KB: it can expand without end; use PNG or a plain SVG",
    )


def test_inline_svg_is_refused_even_with_markdown_html(tmp_path):
    settings = "title: t\nissuer: i\ndate: 2024-05-17\nmarkdown_html: true\n"
    project = make_project(tmp_path / "project", section("نص\n\n" + _bomb_svg()), settings=settings)
    build_refused(
        project, "data/sections/01-a.md:5: inline SVG is not allowed in a section, even with markdown_html"
    )


def test_an_image_of_too_many_pixels_is_refused(tmp_path):
    from PIL import Image

    project = make_project(tmp_path / "project", {"data/figures.yaml": FIGURES})
    (project / "templates").mkdir()
    Image.new("L", (7000, 7000)).save(project / "templates" / "bomb.png", optimize=True)
    (project / "templates" / "style.css").write_text("body { background-image: url(templates/bomb.png); }\n")
    build_refused(
        project, "templates/bomb.png: refused: an image of 7000 x 7000 pixels; at most 40,000,000 pixels"
    )


def test_pages_too_small_for_their_content_are_refused(tmp_path):
    files = {
        "data/figures.yaml": FIGURES,
        "templates/style.css": "@page { size: 2px 2px; margin: 0 }\n",
        "data/sections/01-a.md": "# عنوان\n\n" + "بب " * 10_000 + "\n",
    }
    project = make_project(tmp_path / "project", files)
    output = project / "output"
    output.mkdir()
    (output / "briefing.pdf").write_bytes(b"previous")
    result, _ = run_limited("build", str(project))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("the document runs past ")
    assert result.stderr.strip().endswith(
        "pages, more than its content can fill (a page size or margin in the stylesheet too small?)"
    )
    assert (output / "briefing.pdf").read_bytes() == b"previous"


def test_too_many_key_figures_are_refused(tmp_path):
    figures = "figures:\n" + "".join(f"  k{i}: {{label: ك{i}, value: {i}}}\n" for i in range(101))
    settings = SETTINGS_WITH_KEYS.format(keys=", ".join(f"k{i}" for i in range(101)))
    project = make_project(tmp_path / "project", {"data/figures.yaml": figures}, settings=settings)
    build_refused(project, "data/settings.yaml:1:1: settings: 101 key figures; at most 100 are shown")


SETTINGS_WITH_KEYS = "title: t\nissuer: i\ndate: 2024-05-17\nkey_figures: [{keys}]\n"
