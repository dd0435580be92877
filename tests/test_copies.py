"""Numbered copies: a stamp on every page, a register with hashes, safe names, bad lists."""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess

import pytest
from pypdf import PdfReader

from conftest import EXAMPLE, copy_project, make_project, read_pdf, run_cli, squash

RECIPIENTS = 'name,unit\nمحمد العلوي,ديوان المدير العام\nفاطمة الزهراء بناني,مصلحة التواصل\n"../../etc/passwd",قسم <b>الاختبار</b>\n'


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("copies")
    project = copy_project(EXAMPLE, folder / "water")
    recipients = folder / "recipients.csv"
    recipients.write_text(RECIPIENTS, encoding="utf-8")
    result = run_cli("copies", str(project), "--recipients", str(recipients), "--combined")
    assert result.returncode == 0, result.stderr
    return project, project / "output" / "water-briefing-copies"


def test_each_copy_is_stamped_on_every_page(copies):
    project, folder = copies
    briefing = PdfReader(project / "output" / "water-briefing.pdf")
    register = list(csv.DictReader((folder / "register.csv").open(encoding="utf-8")))
    assert [row["recipient"] for row in register] == [
        "محمد العلوي",
        "فاطمة الزهراء بناني",
        "../../etc/passwd",
    ]
    for row in register:
        pdf = read_pdf(folder / row["file"])
        assert len(pdf.pages) == len(briefing.pages)
        number = row["copy"].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        for page in pdf.pages:
            # Mixed-direction runs (a Latin name, the dash) extract out of order: check the pieces.
            assert f"نسخةرقم{number}من" in squash(page)
            assert all(squash(word) in squash(page) for word in re.findall(r"\w+", row["recipient"]))
        assert hashlib.sha256((folder / row["file"]).read_bytes()).hexdigest() == row["sha256"]


def test_file_names_are_safe_for_any_recipient(copies):
    _, folder = copies
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "001-محمد-العلوي.pdf",
        "002-فاطمة-الزهراء-بناني.pdf",
        "003-etc-passwd.pdf",
        "all-copies.pdf",
        "register.csv",
    ]


def test_the_combined_print_file_holds_every_copy(copies):
    project, folder = copies
    pages = len(PdfReader(project / "output" / "water-briefing.pdf").pages)
    assert len(PdfReader(folder / "all-copies.pdf").pages) == 3 * pages


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name\nمحمد\n", "recipients.csv:1: the recipients list needs the columns name, unit; missing: unit"),
        ("name,unit\nمحمد,أ\nمحمد,ب\n", "recipients.csv:3: 'محمد' is listed twice (first on line 2)"),
        ("name,unit\n", "recipients.csv:1: the recipients list has no recipient"),
        ("", "recipients.csv: the CSV file is empty: a header row is expected"),
        ("name,unit\n,أ\n", "recipients.csv:2: a recipient without a name"),
    ],
)
def test_bad_recipient_lists(tmp_path, content, expected):
    project = copy_project(EXAMPLE, tmp_path / "water")
    recipients = tmp_path / "recipients.csv"
    recipients.write_text(content, encoding="utf-8")
    result = run_cli("copies", str(project), "--recipients", str(recipients))
    assert result.returncode == 2
    assert result.stderr.strip().endswith(expected)
    assert not (project / "output" / "water-briefing-copies").exists()


def test_copies_without_qpdf_use_pypdf(tmp_path, monkeypatch):
    """The stamping falls back to pypdf where qpdf is not installed, with the same result."""
    from report import copies

    project = copy_project(EXAMPLE, tmp_path / "water")
    recipients = tmp_path / "recipients.csv"
    recipients.write_text("name,unit\nسعاد,ب\n", encoding="utf-8")
    monkeypatch.setattr(copies.shutil, "which", lambda name: None)
    done = copies.make_copies(project, recipients, combined=True)
    pdf = read_pdf(done.folder / "001-سعاد.pdf")
    assert all("نسخةرقم١من" in squash(page) for page in pdf.pages)
    assert len(PdfReader(done.combined).pages) == len(pdf.pages)


# -- names as a reader sees them ------------------------------------------------------------

ZWSP, LRI, PDI, RLO = "\u200b", "\u2066", "\u2069", "\u202e"
NFD_AHMAD = "\u0627\u0654حمد"  # أحمد with the hamza as a combining mark: the same name in NFD
TWICE = "; the two differ only in invisible characters, Unicode form, letter case, diacritics or tatweel"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            f"name,unit\nأحمد,أ\nأحمد{ZWSP},ب\n",
            f"recipients.csv:3: 'أحمد' is listed twice (first on line 2{TWICE})",
        ),
        (
            f"name,unit\nأحمد,أ\n{LRI}أحمد{PDI},ب\n",
            f"recipients.csv:3: 'أحمد' is listed twice (first on line 2{TWICE})",
        ),
        (
            f"name,unit\nأحمد,أ\n{NFD_AHMAD},ب\n",
            f"recipients.csv:3: 'أحمد' is listed twice (first on line 2{TWICE})",
        ),
        ("name,unit\nأحمد,أ\nﺃﺣﻤﺪ,ب\n", f"recipients.csv:3: 'ﺃﺣﻤﺪ' is listed twice (first on line 2{TWICE})"),
        (
            "name,unit\nAli Bennani,أ\nALI  BENNANI,ب\n",
            f"recipients.csv:3: 'ALI BENNANI' is listed twice (first on line 2{TWICE})",
        ),
        (  # tashkeel: the same person, the name kept as written
            "name,unit\nمحمد,أ\nمُحَمَّد,ب\n",
            f"recipients.csv:3: 'مُحَمَّد' is listed twice (first on line 2{TWICE})",
        ),
        (  # tatweel (kashida) and a superscript alef
            "name,unit\nعبد الرحمن,أ\nعبـــد الرحمٰن,ب\n",
            f"recipients.csv:3: 'عبـــد الرحمٰن' is listed twice (first on line 2{TWICE})",
        ),
        (
            "name,unit\nمحمد,أ\n\u2067\u00ad\u061c,ب\n",
            "recipients.csv:3: a recipient without a name (the cell holds only invisible characters)",
        ),
        (
            f"name,unit\n{'ب' * 201},أ\n",
            "recipients.csv:2: the name is 201 characters long; at most 200 are allowed",
        ),
        (
            f"name,unit\nمحمد,{'ب' * 300}\n",
            "recipients.csv:2: the unit is 300 characters long; at most 200 are allowed",
        ),
    ],
)
def test_names_that_look_the_same_are_one_name(tmp_path, content, expected):
    project = copy_project(EXAMPLE, tmp_path / "water")
    recipients = tmp_path / "recipients.csv"
    recipients.write_text(content, encoding="utf-8")
    result = run_cli("copies", str(project), "--recipients", str(recipients))
    assert result.returncode == 2, result.stdout
    assert result.stderr.strip().endswith(expected)
    assert not (project / "output" / "water-briefing-copies").exists()


def test_three_spellings_of_one_name_are_each_reported(tmp_path):
    from report.copies import read_recipients
    from report.errors import ProjectErrors

    recipients = tmp_path / "recipients.csv"
    recipients.write_text(f"name,unit\nأحمد,أ\nأحمد{ZWSP},ب\n{NFD_AHMAD},ج\n", encoding="utf-8")
    with pytest.raises(ProjectErrors) as raised:
        read_recipients(recipients)
    assert [e.display() for e in raised.value.errors] == [
        f"{recipients}:3: 'أحمد' is listed twice (first on line 2{TWICE})",
        f"{recipients}:4: 'أحمد' is listed twice (first on line 2{TWICE})",
    ]


def test_the_list_is_capped(tmp_path, monkeypatch):
    from report import copies

    monkeypatch.setattr(copies, "MAX_RECIPIENTS", 3)
    recipients = tmp_path / "recipients.csv"
    recipients.write_text("name,unit\nأ,x\nب,x\nج,x\nد,x\nه,x\n", encoding="utf-8")
    with pytest.raises(copies.ReportError) as raised:
        copies.read_recipients(recipients)
    assert raised.value.display() == (
        f"{recipients}:5: the recipients list has 5 recipients; at most 3 are allowed in one run (split the list)"
    )


def test_the_data_csv_row_limit_does_not_cut_the_recipients_list(tmp_path):
    from report.copies import read_recipients
    from report.limits import MAX_CSV_ROWS

    recipients = tmp_path / "recipients.csv"
    rows = "".join(f"مستلم {i},وحدة\n" for i in range(MAX_CSV_ROWS + 5))
    recipients.write_text("name,unit\n" + rows, encoding="utf-8")
    assert len(read_recipients(recipients)) == MAX_CSV_ROWS + 5


def test_clean_text():
    from report.copies import clean_text

    assert clean_text(f" {RLO}سعيد \t  الناصري{ZWSP}\u200d\ufeff ") == "سعيد الناصري"
    assert clean_text(NFD_AHMAD) == "أحمد"
    assert clean_text("a\x1b[31mb\x00c") == "a[31mbc"  # no terminal escapes, no NUL


def test_stamps_and_register_show_the_cleaned_name(tmp_path):
    project = make_project(tmp_path / "p", {})
    recipients = tmp_path / "recipients.csv"
    recipients.write_text(
        f'name,unit\n"{RLO}Evil Name",مصلحة{ZWSP} التواصل\n"{LRI}سعيد{PDI}  الناصري",قسم\n', encoding="utf-8"
    )
    result = run_cli("copies", str(project), "--recipients", str(recipients))
    assert result.returncode == 0, result.stderr
    folder = project / "output" / "briefing-copies"
    register = list(csv.DictReader((folder / "register.csv").open(encoding="utf-8")))
    assert [(r["recipient"], r["unit"], r["file"]) for r in register] == [
        ("Evil Name", "مصلحة التواصل", "001-Evil-Name.pdf"),
        ("سعيد الناصري", "قسم", "002-سعيد-الناصري.pdf"),
    ]
    for row in register:
        raw = subprocess.run(
            ["pdftotext", str(folder / row["file"]), "-"], capture_output=True, text=True
        ).stdout
        assert RLO not in raw and ZWSP not in raw and LRI not in raw
        # Not reversed by an unclosed override: the name reads in its own order.
        assert row["recipient"] in raw.replace("\u202b", "").replace("\u202a", "").replace("\u202c", "")


# -- the register in a spreadsheet ------------------------------------------------------------


def test_register_cells_never_run_as_formulas(tmp_path):
    project = make_project(tmp_path / "p", {})
    recipients = tmp_path / "recipients.csv"
    recipients.write_text(
        'name,unit\n"=HYPERLINK(""http://x.test"",""y"")",+1\n-2 سعيد,@SUM(A1)\n@محمد,=1+1\nسلمى,-\n',
        encoding="utf-8",
    )
    result = run_cli("copies", str(project), "--recipients", str(recipients))
    assert result.returncode == 0, result.stderr
    folder = project / "output" / "briefing-copies"
    register = list(csv.DictReader((folder / "register.csv").open(encoding="utf-8", newline="")))
    assert [(r["recipient"], r["unit"]) for r in register] == [
        ('\'=HYPERLINK("http://x.test","y")', "'+1"),
        ("'-2 سعيد", "'@SUM(A1)"),
        ("'@محمد", "'=1+1"),
        ("سلمى", "'-"),
    ]
    assert all(not r["file"].startswith(("=", "+", "-", "@")) for r in register)
    assert {r["file"] for r in register} | {"register.csv"} == {p.name for p in folder.iterdir()}


def test_spreadsheet_safe():
    from report.copies import spreadsheet_safe

    assert [spreadsheet_safe(c) for c in ["=1", "+1", "-1", "@a", "\tx", "\rx", "a=1", "", "'x"]] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "a=1", "", "'x",
    ]  # fmt: skip


# -- long lists: stamps typeset in batches ------------------------------------------------------


@pytest.mark.parametrize("qpdf", [True, False], ids=["qpdf", "pypdf"])
def test_batches_stamp_each_copy_with_its_own_page(tmp_path, monkeypatch, qpdf):
    from report import copies

    project = make_project(tmp_path / "p", {})
    recipients = tmp_path / "recipients.csv"
    names = ["أمينة", "بشرى", "جميلة", "دنيا", "هاجر"]
    recipients.write_text("name,unit\n" + "".join(f"{n},وحدة\n" for n in names), encoding="utf-8")
    monkeypatch.setattr(copies, "STAMP_BATCH", 2)
    if not qpdf:
        monkeypatch.setattr(copies.shutil, "which", lambda name: None)
    done = copies.make_copies(project, recipients, combined=True)
    pages = len(PdfReader(project / "output" / "briefing.pdf").pages)
    for number, name in enumerate(names, start=1):
        pdf = read_pdf(done.folder / f"{number:03d}-{name}.pdf")
        assert len(pdf.pages) == pages
        for page in pdf.pages:
            text = squash(page)
            assert f"نسخةرقم{number}من" in text, text  # western digits: the total extracts apart
            assert name in text and not any(other in text for other in names if other != name)
    assert len(PdfReader(done.combined).pages) == 5 * pages
    assert sorted(p.name for p in done.folder.iterdir())[-2:] == ["all-copies.pdf", "register.csv"]
