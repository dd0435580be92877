"""Numbered copies: a stamp on every page, a register with hashes, safe names, bad lists."""

from __future__ import annotations

import csv
import hashlib
import re

import pytest
from pypdf import PdfReader

from conftest import EXAMPLE, copy_project, read_pdf, run_cli, squash

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
