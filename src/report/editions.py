"""`python -m report diff`: find the two editions to compare and describe what moved.

With only a project, the project as it is now is compared with its last build (whatever
its edition), or with the recorded edition named by `--since`. With two arguments, the
last build of each (a project folder, a PDF or a manifest file) or, for a folder as NEW,
the project as it is now. Numbers are written as the document writes them (see
changes.printed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .changes import Changes, compare, describe, formatter_of
from .errors import ReportError
from .formatting import Formatter
from .manifest import MANIFEST_SUFFIX, Manifest


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
    return manifest


def _latest(manifest: Manifest) -> tuple[str, dict[str, Any]]:
    edition, snapshot = manifest.last_build
    return f"edition {edition}", snapshot


def _current(project_path: Path) -> tuple[str, dict[str, Any], Formatter]:
    """The project as it is now, without building it, and the Formatter its document uses."""
    from .build import _prepare
    from .changes import snapshot
    from .project import load_project

    project = load_project(project_path)
    values, formatter, _ = _prepare(project)
    return "the project now", snapshot(project, values), formatter


def _named(names: list[str]) -> str:
    return ", ".join(names)


def diff_command(old: str | None, new: str | None, since: str | None = None) -> str:
    if new is None:
        project = Path(old or ".")
        if not project.is_dir():
            raise ReportError(f"{project} is not a project folder; give two editions to compare")
        manifest = _manifest_of(project)
        if since is None:
            edition, before = manifest.last_build
            before_name = f"the last build (edition {edition})"
        elif since in manifest.editions:
            edition, before = since, manifest.editions[since]
            before_name = f"edition {since}"
        else:
            raise ReportError(
                f"no build of edition {since} is recorded for {project}; recorded: {_named(manifest.history)}"
            )
        name, after, fmt = _current(project)
        changes = compare(before, after)
        if changes:
            return describe(changes, before_name, name, fmt)
        text = f"no change since {before_name}"
        others = [e for e in manifest.history if e != edition]
        if others:
            hint = "compare with one: python -m report diff --since EDITION"
            text += f"\nother editions recorded: {_named(others)} ({hint})"
        return text
    if since is not None:
        raise ReportError("--since compares a project with one of its editions: give only the project")
    earlier = _latest(_manifest_of(Path(old or ".")))
    new_path = Path(new)
    if new_path.is_dir():
        name, after, fmt = _current(new_path)
        later = (name, after)
    else:
        later = _latest(_manifest_of(new_path))
        fmt = formatter_of(later[1])
    changes: Changes = compare(earlier[1], later[1])
    return describe(changes, earlier[0], later[0], fmt)
