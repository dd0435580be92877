"""The tool is general: other projects, their own styles, digit styles, changing figures, escaping."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from conftest import BIDI_MARKS, EXAMPLE, ROOT, copy_project, make_project, read_pdf, run_cli, squash


def test_example_project_uses_arabic_indic_digits_everywhere(example_pdf):
    text = example_pdf.text
    assert not re.search(r"[0-9]", text), re.findall(r".{0,20}[0-9].{0,20}", text)[:5]
    assert re.search(r"[٠-٩]", text)
    # Page numbers in the footer and in the contents use the same digits.
    total = len(example_pdf.pages)
    digits = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    assert squash(f"صفحة 2 من {total}".translate(digits)) in squash(example_pdf.pages[1])
    assert re.search(r"[٠-٩]\s*\.{3,}|\.{3,}\s*[٠-٩]", example_pdf.pages[1])


def test_example_project_brings_its_own_style(example_pdf):
    """examples/water/templates/style.css sets its accent colour; the cover is painted with it."""
    css = (EXAMPLE / "templates" / "style.css").read_text(encoding="utf-8")
    accent = re.search(r"--accent:\s*#([0-9a-fA-F]{6})", css).group(1)
    expected = tuple(int(accent[i : i + 2], 16) for i in (0, 2, 4))
    out = example_pdf.path.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", "20", "-f", "1", "-l", "1", "-png", str(example_pdf.path), str(out)], check=True
    )
    from PIL import Image

    image = Image.open(next(out.parent.glob(out.name + "*.png"))).convert("RGB")
    colours = image.getcolors(image.width * image.height)
    dominant = max(colours)[1]
    assert all(abs(a - b) <= 3 for a, b in zip(dominant, expected, strict=True)), (dominant, expected)


def test_a_changed_figure_changes_every_place_it_appears(tmp_path, default_project, default_pdf):
    _, values, fmt = default_project
    project = copy_project(ROOT, tmp_path)
    figure_file = project / "data" / "schools.yaml"
    old = values["schools_reached"].number
    new = old + 1111
    text = figure_file.read_text(encoding="utf-8")
    assert text.count(f"value: {old}") == 1
    figure_file.write_text(text.replace(f"value: {old}", f"value: {new}"), encoding="utf-8")
    result = run_cli("build", str(project), "-o", str(tmp_path / "changed.pdf"))
    assert result.returncode == 0, result.stderr
    changed = read_pdf(tmp_path / "changed.pdf")

    def count(pdf, value):
        flat = pdf.flat
        return sum(flat.count(squash(form)) for form in {fmt.number(value), fmt.press(value)})

    assert count(default_pdf, old) >= 2
    assert count(changed, old) == 0
    assert count(changed, new) == count(default_pdf, old)
    # The derived figure follows: pupils per school is computed from the changed value.
    from report.formatting import figure_nouns

    pupils = values["pupils_reached"].number
    noun = figure_nouns(default_project[0].data)["pupils_per_school"]

    def average(schools: float) -> str:
        return squash(fmt.qualified(fmt.count(round(pupils / schools), noun), "about"))

    assert average(new) in changed.flat
    assert average(old) not in changed.flat


def test_data_and_markdown_cannot_inject_markup(tmp_path):
    hostile = '<b>عريض</b> **نجوم** [رابط](file:///etc/passwd) <img src="file:///etc/passwd">'
    project = make_project(
        tmp_path,
        {
            "data/facts.yaml": yaml.safe_dump({"facts": {"slogan": hostile}}, allow_unicode=True),
            "data/sections/01-a.md": "# عنوان\n\nالشعار: {{ slogan }}\n\n<script>alert(1)</script> <i>مائل</i>\n",
        },
    )
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr
    pdf = read_pdf(project / "output" / "briefing.pdf")
    # The reader sees the characters themselves (mixed-direction runs extract out of order,
    # so look for the pieces).
    for piece in ("**نجوم**", "etc/passwd", "alert", "script", "عريض"):
        assert piece in pdf.flat
    # And WeasyPrint received them as text, not as elements.
    from report.build import _prepare
    from report.html import DocumentBuilder
    from report.project import load_project

    loaded = load_project(project)
    values, formatter, _ = _prepare(loaded)
    html, _ = DocumentBuilder(loaded, values, formatter).render()
    # (Latin words stand on their own bidi islands: compare without the isolate controls.)
    body = BIDI_MARKS.sub("", html.split("<body>", 1)[1])
    assert "&lt;b&gt;عريض&lt;/b&gt;" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    for tag in ("<b>", "<img", "<script", "<i>", "<strong>", 'href="file'):
        assert tag not in body


def test_help_and_check_do_not_import_the_renderers():
    code = (
        "import sys, contextlib, io\n"
        "from report.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['check', sys.argv[1]])\n"
        "heavy = [m for m in ('weasyprint', 'matplotlib') if m in sys.modules]\n"
        "print(','.join(heavy) or 'none')\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(EXAMPLE)], capture_output=True, text=True)
    assert result.stdout.strip() == "none", result.stderr
    help_result = run_cli("--help")
    assert help_result.returncode == 0
    assert "build" in help_result.stdout and "check" in help_result.stdout


def test_build_prints_steps_and_time(tmp_path):
    project = copy_project(EXAMPLE, tmp_path)
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("loaded ")
    assert any(line.startswith("typeset ") for line in lines)
    assert re.match(r"wrote .*water-briefing\.pdf \(\d+ pages\) in \d+\.\d s", lines[-1])
    assert result.stderr == ""


def test_settings_cannot_inject_css_and_facts_named_like_methods_print(tmp_path):
    settings = 'title: t\nissuer: i\ndate: 2024-05-17\nclassification: "سري & شخصي\\"} .section { display: none } x{"\n'
    project = make_project(
        tmp_path,
        {
            "data/facts.yaml": "facts:\n  group:\n    values: القيم المعلنة\n    items: البنود\n",
            "data/sections/01-a.md": "# عنوان\n\nالجملة الظاهرة: {{ group.values }} و{{ group['items'] }}\n",
        },
        settings=settings,
    )
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr
    pdf = read_pdf(project / "output" / "briefing.pdf")
    assert "الجملةالظاهرة:القيمالمعلنةوالبنود" in pdf.flat  # the section is shown, the facts printed
    assert "سري&شخصي" in pdf.flat  # the marking is printed as written


def test_a_dollar_sign_in_a_chart_label_is_text(tmp_path):
    project = make_project(
        tmp_path,
        {
            "data/figures.yaml": "figures:\n  a: {label: المبلغ بـ $ مقابل 10% من $, value: 3}\n  b: {label: باء, value: 4}\ncharts:\n  c: {kind: bar, caption: x, alt: y, figures: [a, b]}\n",
            "data/sections/01-a.md": "# عنوان\n\n{{ chart('c') }}\n",
        },
    )
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr
