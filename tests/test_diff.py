"""`diff` and the record of editions: real projects built, changed, built again and compared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SETTINGS, make_project, read_pdf, run_cli, squash

FIGURES = """\
figures:
  pupils:
    label: التلاميذ
    value: 141241
  success:
    label: نسبة النجاح
    value: 18.31570214
    unit: "%"
"""


def _project(root: Path, settings: str = SETTINGS) -> Path:
    return make_project(root, {"data/figures.yaml": FIGURES}, settings=settings)


def _set(project: Path, name: str, old: str, new: str) -> None:
    path = project / "data" / name
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _build(project: Path) -> None:
    result = run_cli("build", str(project), "-q")
    assert result.returncode == 0, result.stderr


def _diff(project: Path, *args: str) -> list[str]:
    result = run_cli("diff", str(project), *args)
    assert "Traceback" not in result.stderr
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout.rstrip("\n").splitlines()


def _fails(*args: str) -> str:
    result = run_cli("diff", *args)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2 and result.stdout == "", result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def _history(project: Path) -> list[str]:
    manifest = project / "output" / "briefing.pdf.manifest.json"
    return json.loads(manifest.read_text(encoding="utf-8"))["history"]


def test_diff_compares_the_project_now_with_its_last_build_rounded_like_the_document(tmp_path):
    project = _project(tmp_path)
    _build(project)
    assert _diff(project) == ["no change since the last build (edition 2024-05-17)"]
    _set(project, "figures.yaml", "141241", "142241")
    _set(project, "figures.yaml", "18.31570214", "18.85500933")
    result = run_cli("diff", str(project))
    assert "18.3157" not in result.stdout and "18.855" not in result.stdout
    # ar_MA with Western digits, as the document prints them: grouping by ".", a decimal
    # comma, one decimal; the percentage's change in points between the printed values.
    assert _diff(project) == [
        "changes from the last build (edition 2024-05-17) to the project now:",
        "figures (2):",
        "  pupils   141.241 -> 142.241  +1.000 (+0,7%)  التلاميذ",
        "  success  18,3% -> 18,9%  +0,6 نقطة  نسبة النجاح",
    ]
    # Built again under the same edition: its record is replaced, and the build says so.
    result = run_cli("build", str(project))
    assert result.returncode == 0, result.stderr
    assert (
        "edition 2024-05-17 was built before: its record now holds 2 changed figures and 0 changed "
        "sections (for a new edition, set a new `edition` in data/settings.yaml)"
    ) in result.stdout.splitlines()
    assert _diff(project) == ["no change since the last build (edition 2024-05-17)"]


def test_a_change_hidden_by_rounding_is_listed_as_such_a_fall_with_a_minus(tmp_path):
    project = _project(tmp_path)
    _build(project)
    _set(project, "figures.yaml", "141241", "139241")
    _set(project, "figures.yaml", "18.31570214", "18.33")
    assert _diff(project)[2:] == [
        "  pupils   141.241 -> 139.241  \u22122.000 (\u22121,4%)  التلاميذ",
        "  success  18,3% -> 18,3%  (the same once rounded)  نسبة النجاح",
    ]


def test_diff_writes_the_projects_digits_and_lists_new_removed_and_rewritten(tmp_path):
    project = _project(tmp_path, SETTINGS + "digits: arabic-indic\n")
    _build(project)
    _set(project, "figures.yaml", "141241", "142241")
    _set(
        project, "figures.yaml", "  success:", "  schools:\n    label: المؤسسات\n    value: 1200\n  success:"
    )
    _set(project, "sections/01-intro.md", "نص قصير.", "نص أطول قليلا.")
    assert _diff(project) == [
        "changes from the last build (edition 2024-05-17) to the project now:",
        "figures (2):",
        "  pupils   ١٤١٬٢٤١ -> ١٤٢٬٢٤١  +١٬٠٠٠ (+٠٫٧٪)  التلاميذ",
        "  schools  — -> ١٬٢٠٠  (new)  المؤسسات",
        "sections (1):",
        "  data/sections/01-intro.md  مقدمة",
    ]


def test_editions_are_kept_a_rebuild_replaces_only_its_own_record(tmp_path):
    project = _project(tmp_path, SETTINGS + "edition: 1\nwhats_new: true\n")
    _build(project)
    _set(project, "settings.yaml", "edition: 1", "edition: 2")
    _set(project, "figures.yaml", "141241", "142241")
    _build(project)
    assert _history(project) == ["1", "2"]
    # Just built: nothing new since the last build; the earlier edition is still there.
    assert _diff(project) == [
        "no change since the last build (edition 2)",
        "other editions recorded: 1 (compare with one: python -m report diff --since EDITION)",
    ]
    pdf = read_pdf(project / "output" / "briefing.pdf")
    assert "ماالجديدفيهذاالإصدار" in pdf.flat
    assert squash("141.241") in pdf.flat and squash("+1.000") in pdf.flat
    # Edition 2 rebuilt with another change: its own record is updated, edition 1's stays.
    _set(project, "figures.yaml", "142241", "143241")
    _set(project, "figures.yaml", "18.31570214", "18.85500933")
    _build(project)
    assert _history(project) == ["1", "2"]
    assert _diff(project, "--since", "1") == [
        "changes from edition 1 to the project now:",
        "figures (2):",
        "  pupils   141.241 -> 143.241  +2.000 (+1,4%)  التلاميذ",
        "  success  18,3% -> 18,9%  +0,6 نقطة  نسبة النجاح",
    ]
    pdf = read_pdf(project / "output" / "briefing.pdf")
    assert squash("+2.000") in pdf.flat and squash("+0,6 نقطة") in pdf.flat
    # Going back to edition 1 keeps the order: the "what's new" of edition 1 has no earlier one.
    _set(project, "settings.yaml", "edition: 2", "edition: 1")
    _build(project)
    assert _history(project) == ["1", "2"]
    assert "ماالجديدفيهذاالإصدار" not in read_pdf(project / "output" / "briefing.pdf").flat


def test_diff_between_two_built_pdfs_in_the_newer_ones_style(tmp_path):
    project = _project(tmp_path / "p", SETTINGS + "edition: 1\n")
    _build(project)
    saved = tmp_path / "edition-1"
    saved.mkdir()
    for name in ("briefing.pdf", "briefing.pdf.manifest.json"):
        (saved / name).write_bytes((project / "output" / name).read_bytes())
    _set(project, "settings.yaml", "edition: 1", "edition: 2\ndigits: arabic-indic")
    _set(project, "figures.yaml", "18.31570214", "17.8")
    _build(project)
    result = run_cli("diff", str(saved / "briefing.pdf"), str(project / "output" / "briefing.pdf"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "changes from edition 1 to edition 2:",
        "figures (1):",
        "  success  ١٨٫٣٪ -> ١٧٫٨٪  \u2212٠٫٥ نقطة  نسبة النجاح",
    ]


@pytest.mark.parametrize("locale", ["xx_YY", "../../etc", "en_US", 7])
def test_a_named_manifest_with_an_odd_locale_is_written_in_the_default_style(tmp_path, locale):
    project = _project(tmp_path / "p")
    _build(project)
    manifest = project / "output" / "briefing.pdf.manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    snapshot = data["editions"][data["edition"]]
    snapshot["locale"], snapshot["digits"] = locale, "roman"
    snapshot["figures"]["pupils"]["value"] = 100000
    named = tmp_path / "new.manifest.json"  # named on the command line: trusted, no seal needed
    named.write_text(json.dumps(data), encoding="utf-8")
    result = run_cli("diff", str(manifest), str(named))  # the newer one's style is used
    assert (result.returncode, result.stderr) == (0, "")
    assert (
        result.stdout.splitlines()[2] == "  pupils  141.241 -> 100.000  \u221241.241 (\u221229,2%)  التلاميذ"
    )


def test_diff_errors_are_one_line_with_exit_2(tmp_path):
    project = _project(tmp_path)
    assert _fails(str(project)).startswith("no build manifest for ")
    _build(project)
    assert _fails(str(project), "--since", "7") == (
        f"no build of edition 7 is recorded for {project}; recorded: 2024-05-17"
    )
    assert _fails(str(project), str(project), "--since", "7") == (
        "--since compares a project with one of its editions: give only the project"
    )
    _set(project, "figures.yaml", "value: 141241", "value: [1")
    assert _fails(str(project)).startswith("data/figures.yaml:5:10: invalid YAML")


def _snapshot(value: float) -> dict:
    return {"figures": {"x": {"label": "س", "unit": "", "value": value}}, "sections": {}}


def test_the_history_is_bounded_by_count_and_by_size(tmp_path, monkeypatch):
    from report import manifest
    from report.manifest import EDITIONS_KEPT, Manifest, previous_edition, write_manifest

    output = tmp_path / "briefing.pdf"
    for number in range(1, EDITIONS_KEPT + 6):
        write_manifest(output, {}, _snapshot(number), str(number), b"%PDF")
    kept = Manifest.read(output)
    assert kept is not None
    assert kept.history == [str(n) for n in range(6, EDITIONS_KEPT + 6)]
    assert previous_edition(kept, "10") == ("9", _snapshot(9))
    assert previous_edition(kept, "6") is None
    # Past half the file limit, the oldest records go first; the last build's always stays.
    monkeypatch.setattr(manifest, "MAX_FILE_BYTES", 2 * len(json.dumps(_snapshot(1))) * 8)
    write_manifest(output, {}, _snapshot(99), "99", b"%PDF")
    kept = Manifest.read(output)
    assert kept is not None and kept.history[-1] == "99" and 1 < len(kept.history) < 8
    assert kept.history == [
        str(n) for n in range(EDITIONS_KEPT + 6 - len(kept.history) + 1, EDITIONS_KEPT + 6)
    ] + ["99"]
    monkeypatch.setattr(manifest, "MAX_FILE_BYTES", 10)
    write_manifest(output, {}, _snapshot(100), "100", b"%PDF")
    kept = Manifest.read(output)
    assert kept is not None and kept.history == ["100"]


@pytest.mark.parametrize("history", [["1"], ["1", "1", "2"], "1,2", [1, 2]])
def test_a_history_that_does_not_match_the_editions_counts_as_no_manifest(tmp_path, history):
    from report.manifest import Manifest, _canonical, write_manifest
    from report.sealing import seal

    output = tmp_path / "briefing.pdf"
    write_manifest(output, {}, _snapshot(1), "1", b"%PDF")
    write_manifest(output, {}, _snapshot(2), "2", b"%PDF")
    path = tmp_path / "briefing.pdf.manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["history"] = history
    data["seal"] = seal(_canonical(data))
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Manifest.read(output) is None
