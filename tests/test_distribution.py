"""Print-shop and archival outputs: bleed and crop marks, recto starts, PDF/A-3b with sources, PDF/UA-1."""

from __future__ import annotations

import subprocess

import pytest
from pypdf import PdfReader

from conftest import EXAMPLE, copy_project, read_pdf, run_cli, squash

BLEED = 3 / 25.4 * 72  # 3 mm in points


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    project = copy_project(EXAMPLE, tmp_path_factory.mktemp("distribution"))
    for flags in ([], ["--print"], ["--variant", "pdf/a-3b"], ["--variant", "pdf/ua-1"]):
        result = run_cli("build", str(project), "-q", *flags)
        assert result.returncode == 0, result.stderr
    folder = project / "output"
    return project, {name: folder / f"water-briefing{name}.pdf" for name in ("", "-print", "-pdfa", "-pdfua")}


def _xmp(path) -> str:
    return PdfReader(path).trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")


def test_print_profile_has_bleed_and_sections_on_rectos(outputs):
    project, pdfs = outputs
    screen, printed = PdfReader(pdfs[""]), PdfReader(pdfs["-print"])
    page = printed.pages[1]
    assert float(page.trimbox.left) - float(page.mediabox.left) == pytest.approx(BLEED, abs=0.01)
    assert float(page.mediabox.top) - float(page.trimbox.top) == pytest.approx(BLEED, abs=0.01)
    assert screen.pages[1].mediabox == screen.pages[1].trimbox  # the screen PDF has no marks or bleed
    text = read_pdf(pdfs["-print"])
    titles = [
        p.read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
        for p in sorted((project / "data" / "sections").glob("*.md"))
    ]
    for title in titles:
        first = next(
            i for i, page in enumerate(text.pages, start=1) if squash(title) in squash(page) and i > 3
        )
        assert first % 2 == 1, f"{title} opens on page {first}, a verso"


def test_archival_pdf_carries_the_sources_and_the_manifest(outputs):
    project, pdfs = outputs
    reader = PdfReader(pdfs["-pdfa"])
    attachments = {name: data[0] for name, data in reader.attachments.items()}
    expected = {p.relative_to(project).as_posix() for p in (project / "data").rglob("*") if p.is_file()}
    assert set(attachments) == expected | {"manifest.json"}
    for name in expected:
        assert attachments[name] == (project / name).read_bytes(), name
    assert b'"inputs"' in attachments["manifest.json"]
    xmp = _xmp(pdfs["-pdfa"])
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "النشرة الفصلية" in xmp  # the Arabic title, in the XMP metadata


def test_accessible_pdf_is_tagged_with_language(outputs):
    _, pdfs = outputs
    reader = PdfReader(pdfs["-pdfua"])
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "ar" and root["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in root
    assert "pdfuaid:part" in _xmp(pdfs["-pdfua"])


def test_every_output_passes_qpdf_check(outputs):
    _, pdfs = outputs
    for path in pdfs.values():
        result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
