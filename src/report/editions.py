"""`python -m report diff`: find the two editions to compare and describe what moved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .changes import compare, describe
from .errors import ReportError
from .manifest import MANIFEST_SUFFIX, Manifest, previous_edition


def _manifest_of(path: Path) -> Manifest:
    """A manifest from a manifest file, a PDF, or a project folder's last build."""
    if path.is_dir():
        from .build import output_target
        from .project import find_project

        where = output_target(find_project(path))
        manifest = Manifest.read(where)
    # A manifest or PDF named on the command line is trusted (it may come from a colleague's
    # build, sealed with another key); a project's own one must carry our seal.
    elif path.name.endswith(MANIFEST_SUFFIX):
        manifest = Manifest.read(path.with_name(path.name[: -len(MANIFEST_SUFFIX)]), trusted=True)
        where = path
    else:
        manifest = Manifest.read(path, trusted=True)
        where = path
    if manifest is None:
        raise ReportError(f"no build manifest for {where}: build it first with 'python -m report build'")
    if not isinstance(manifest.data, dict) or not isinstance(manifest.data.get("editions", {}), dict):
        raise ReportError(f"the build manifest of {where} is damaged: build again with --force")
    return manifest


def _latest(manifest: Manifest) -> tuple[str, dict[str, Any]]:
    edition = manifest.data.get("edition", "")
    if not isinstance(edition, str) or not isinstance(manifest.editions.get(edition), dict):
        raise ReportError(f"the build manifest {manifest.path} is damaged: build again with --force")
    return f"edition {edition}", manifest.editions[edition]


def _current(project_path: Path) -> tuple[str, dict[str, Any]]:
    """The project as it is now, without building it."""
    from .build import _prepare
    from .changes import snapshot
    from .project import load_project

    project = load_project(project_path)
    values, _, _ = _prepare(project)
    return "the project now", snapshot(project, values)


def diff_command(old: str | None, new: str | None) -> str:
    if new is None:
        # One argument (or none): a project now against its previous edition, as the
        # "what's new" page sees it.
        project = Path(old or ".")
        if not project.is_dir():
            raise ReportError(f"{project} is not a project folder; give two editions to compare")
        after = _current(project)
        edition = after[1]["edition"] or after[1]["date"]
        earlier = previous_edition(_manifest_of(project), edition)
        if earlier is None:
            raise ReportError(f"no edition other than {edition} has been built yet: nothing to compare")
        before = (f"edition {earlier[0]}", earlier[1])
    else:
        before = _latest(_manifest_of(Path(old or ".")))
        new_path = Path(new)
        after = _current(new_path) if new_path.is_dir() else _latest(_manifest_of(new_path))
    changes = compare(before[1], after[1])
    return describe(changes, before[0], after[0])
