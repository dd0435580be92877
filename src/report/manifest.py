"""What a build was made from: input hashes, tool versions, and a snapshot of the figures.

Read before anything heavy is imported, so that a rebuild with nothing changed costs
almost nothing; kept beside the PDF, with the figures of each edition, for `diff` and
the "what's new" page.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .project import builtin_dir

MANIFEST_SUFFIX = ".manifest.json"
TOOLS = ("weasyprint", "matplotlib", "jinja2", "markdown-it-py", "babel", "pyyaml", "hijridate", "pydyf")
_PACKAGE = Path(__file__).resolve().parent


def manifest_path(output: Path) -> Path:
    return output.with_name(output.name + MANIFEST_SUFFIX)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path, label: str) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        f"{label}/{path.relative_to(folder).as_posix()}": _sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    }


def _tool_versions() -> dict[str, str]:
    versions = {}
    for tool in TOOLS:
        try:
            versions[tool] = version(tool)
        except PackageNotFoundError:
            versions[tool] = "missing"
    # The package's own code: a changed stage must rebuild even at the same version number.
    code = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        code.update(path.name.encode() + path.read_bytes())
    versions["report"] = code.hexdigest()[:16]
    return versions


def fingerprint(root: Path, output: Path) -> dict[str, Any]:
    """Hash every input of a build: data, templates and fonts (the project's and built-in)."""
    inputs: dict[str, str] = {}
    inputs.update(_files(root / "data", "data"))
    inputs.update(_files(root / "templates", "templates"))
    inputs.update(_files(root / "fonts", "fonts"))
    inputs.update(_files(builtin_dir("templates"), "builtin-templates"))
    inputs.update(_files(builtin_dir("fonts"), "builtin-fonts"))
    return {
        "inputs": inputs,
        "tools": _tool_versions(),
        "output": str(output),
        "environment": {"SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "")},
    }


@dataclass
class Manifest:
    """The manifest file beside a PDF."""

    path: Path
    data: dict[str, Any]

    @classmethod
    def read(cls, output: Path) -> Manifest | None:
        path = manifest_path(output)
        try:
            return cls(path, json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def is_current(self, print_: dict[str, Any], output: Path) -> bool:
        """True when the inputs match and the PDF on disk is the one this manifest describes."""
        if {k: self.data.get(k) for k in print_} != print_:
            return False
        try:
            return _sha256(output) == self.data.get("output_sha256")
        except OSError:
            return False

    def fetched_unchanged(self) -> bool:
        """The files the last layout used (images, stylesheets anywhere in the project) are as they were."""
        for name, digest in self.data.get("fetched", {}).items():
            try:
                if _sha256(Path(name)) != digest:
                    return False
            except OSError:
                return False
        return True

    @property
    def editions(self) -> dict[str, Any]:
        return self.data.get("editions", {})


def fetched_hashes(root: Path, paths: list[Path]) -> dict[str, str]:
    """Hashes of the files WeasyPrint fetched, by absolute path."""
    return {str(path): _sha256(path) for path in paths if path.is_file()}


def write_manifest(
    output: Path, print_: dict[str, Any], snapshot: dict[str, Any], edition: str, pdf: bytes
) -> None:
    """Record a finished build (`pdf`: the bytes written); keep the snapshots of earlier editions."""
    previous = Manifest.read(output)
    editions = dict(previous.editions) if previous else {}
    editions.pop(edition, None)
    editions[edition] = snapshot  # the newest edition last
    digest = hashlib.sha256(pdf).hexdigest()  # not re-read: another build may have replaced the file
    data = {**print_, "output_sha256": digest, "edition": edition, "editions": editions}
    path = manifest_path(output)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(data, stream, ensure_ascii=False, indent=1, sort_keys=True)
    os.replace(temporary, path)


def previous_edition(manifest: Manifest | None, edition: str) -> tuple[str, dict[str, Any]] | None:
    """The most recent recorded edition other than `edition`."""
    if manifest is None:
        return None
    others = [(name, snap) for name, snap in manifest.editions.items() if name != edition]
    return others[-1] if others else None
