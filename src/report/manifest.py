"""What a build was made from: input hashes, tool versions, and a snapshot of the figures.

Read before anything heavy is imported, so that a rebuild with nothing changed costs
almost nothing; kept beside the PDF, with the figures of each edition, for `diff` and
the "what's new" page.

The editions are a history, oldest first: a build records its snapshot under its own
edition (`edition:` in settings, else the date), replacing only that edition's earlier
record; the other editions' records stay. The history is bounded (EDITIONS_KEPT, and half
the file size limit) so that the manifest can always be read back.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from . import files
from .errors import ReportError
from .limits import MAX_FILE_BYTES
from .project import builtin_dir
from .sealing import is_sealed, seal

MANIFEST_SUFFIX = ".manifest.json"
# Editions whose records a manifest keeps (the newest ones): a quarterly briefing's five
# years. Older records are dropped, oldest first, as are any that would make the manifest
# larger than half of limits.MAX_FILE_BYTES (a file past the limit would not be read back).
EDITIONS_KEPT = 20
logger = logging.getLogger("report")
TOOLS = (
    "weasyprint", "matplotlib", "jinja2", "markdown-it-py", "babel", "pyyaml", "hijridate", "pydyf",
    "python-calamine",
)  # fmt: skip
_PACKAGE = Path(__file__).resolve().parent


def manifest_path(output: Path) -> Path:
    return output.with_name(output.name + MANIFEST_SUFFIX)


def _sha256(path: Path, roots: list[Path] | None) -> str:
    return hashlib.sha256(files.read_bytes(path, roots)).hexdigest()


def _output_sha256(path: Path) -> str | None:
    """The hash of the PDF on disk (any size; not a project file), or None when it is not a file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None  # settings.output may name a FIFO or a device: never read it
        digest = hashlib.sha256()
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _files(walk: files.Walk, folder: Path, label: str) -> dict[str, str]:
    """Hashes of every file under `folder`, named as the project names them (links inside followed)."""
    return {
        f"{label}/{path.relative_to(folder).as_posix()}": _sha256(path, walk.roots)
        for path in walk.files(folder)
    }


@functools.cache
def _tool_versions() -> dict[str, str]:
    """Once per process: the code and libraries a process runs do not change under it
    (read again for every `--watch` rebuild, they cost a fiftieth of one)."""
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
    """Hash every input of a build: data, templates and fonts (the project's and built-in).

    The walk never leaves the project: a `fonts` link to `/` is a located error, not a scan
    of the disk. Hidden files are left out, and the loader refuses hidden CSV files to match.
    """
    roots = files.allowed_roots(root)
    walk = files.Walk(roots)
    inputs: dict[str, str] = {}
    inputs.update(_files(walk, root / "data", "data"))
    inputs.update(_files(walk, root / "templates", "templates"))
    inputs.update(_files(walk, root / "fonts", "fonts"))
    builtin = files.Walk(roots)  # its own budget: the installation is not the project's to fill
    inputs.update(_files(builtin, builtin_dir("templates"), "builtin-templates"))
    inputs.update(_files(builtin, builtin_dir("fonts"), "builtin-fonts"))
    return {
        "inputs": inputs,
        "tools": dict(_tool_versions()),
        "output": str(output),
        "root": str(root.resolve()),
        "environment": {"SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "")},
    }


def _is_str_map(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    return all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _is_snapshot(value: Any) -> bool:
    """The shape `changes.snapshot` writes, so that `changes.compare` cannot fail on it."""
    if not isinstance(value, dict):
        return False
    figures, sections = value.get("figures", {}), value.get("sections", {})
    if not (isinstance(figures, dict) and isinstance(sections, dict)):
        return False
    number = (int, float, type(None))
    for entry in figures.values():
        if not (isinstance(entry, dict) and isinstance(entry.get("label"), str)):
            return False
        if not isinstance(entry.get("unit", ""), str) or not isinstance(entry.get("value"), number):
            return False
        series = entry.get("series", {})
        if not (isinstance(series, dict) and all(isinstance(v, number) for v in series.values())):
            return False
    text = ("title", "sha256")
    return all(
        isinstance(entry, dict) and all(isinstance(entry.get(key), str) for key in text)
        for entry in sections.values()
    )


def _valid(data: Any) -> bool:
    """A manifest as write_manifest writes it; anything else is treated as no manifest at all."""
    if not isinstance(data, dict):
        return False
    editions = data.get("editions", {})
    history = data.get("history", list(editions) if isinstance(editions, dict) else [])
    return (
        _is_str_map(data.get("inputs", {}))
        and _is_str_map(data.get("fetched", {}))
        and isinstance(data.get("output_sha256", ""), str)
        and isinstance(data.get("pages", 0), int)
        and isinstance(editions, dict)
        and all(_is_snapshot(snapshot) for snapshot in editions.values())
        and data.get("edition") in editions  # write_manifest always records the last build's edition
        # The order of the editions, oldest first: each recorded edition once.
        and isinstance(history, list)
        and all(isinstance(name, str) for name in history)
        and sorted(history) == sorted(editions)
    )


@dataclass
class Manifest:
    """The manifest file beside a PDF.

    It lies in the output folder, which is often inside the project, so it is not trusted:
    a malformed one counts as absent, and a file it names is read only inside the project.
    """

    path: Path
    data: dict[str, Any]
    root: Path | None = None  # the project the last is_current() check was made for

    @classmethod
    def read(cls, output: Path, trusted: bool = False) -> Manifest | None:
        """The manifest beside `output`, or None when absent, malformed or not sealed by us.

        It lies in the project's output folder, so a planted one (a forged PDF hash, forged
        earlier editions) must not count: only a manifest sealed with the key of the person
        running `report` does, unless the command line named it (`trusted`: `diff OLD NEW`).
        """
        path = manifest_path(output)
        try:
            data = json.loads(files.read_bytes(path, None))
        except (ReportError, ValueError, RecursionError):
            return None
        if not _valid(data):
            return None
        if not trusted and not is_sealed(_canonical(data), data.get("seal")):
            return None
        return cls(path, data)

    def is_current(self, print_: dict[str, Any], output: Path) -> bool:
        """True when the inputs match and the PDF on disk is the one this manifest describes.

        `print_` is this build's fingerprint; its root (trusted: computed now) confines what
        fetched_unchanged() reads.
        """
        if {k: self.data.get(k) for k in print_} != print_:
            return False
        if "root" in print_:
            self.root = Path(print_["root"])
        return _output_sha256(output) == self.data.get("output_sha256")

    def fetched_unchanged(self, root: Path | None = None) -> bool:
        """The files the last layout used (images, stylesheets anywhere in the project) are as they were.

        Only files inside the project `root` (by default the one is_current() checked) and the
        built-in folders are read; a path anywhere else counts as changed.
        """
        root = root or self.root
        if root is None:
            return False
        roots = files.allowed_roots(root)
        for name, digest in self.data.get("fetched", {}).items():
            path = Path(os.path.abspath(name))
            if not Path(name).is_absolute() or not any(path.is_relative_to(r) for r in roots):
                return False  # outside the project: never read, counted as changed
            try:
                if _sha256(path, roots) != digest:
                    return False
            except ReportError:
                return False
        return True

    @property
    def editions(self) -> dict[str, Any]:
        return self.data.get("editions", {})

    @property
    def history(self) -> list[str]:
        """The recorded editions, oldest first (a manifest written before the history was kept:
        in the order of its file)."""
        return list(self.data.get("history", self.editions))

    @property
    def last_build(self) -> tuple[str, dict[str, Any]]:
        """The edition of the last build and its snapshot."""
        edition = self.data["edition"]
        return edition, self.editions[edition]


def fetched_hashes(root: Path, paths: list[Path]) -> dict[str, str]:
    """Hashes of the files WeasyPrint fetched, by absolute path."""
    roots = files.allowed_roots(root)
    return {str(path): _sha256(path, roots) for path in paths if path.is_file()}


def write_manifest(
    output: Path, print_: dict[str, Any], snapshot: dict[str, Any], edition: str, pdf: bytes
) -> None:
    """Record a finished build (`pdf`: the bytes written).

    The snapshot replaces the record of its own edition only; the records of the other
    editions stay, within the bounds in EDITIONS_KEPT's comment.
    """
    previous = Manifest.read(output)
    editions = dict(previous.editions) if previous else {}
    history = previous.history if previous else []
    if edition in editions:
        _tell_replaced(edition, editions[edition], snapshot)
    else:
        history.append(edition)  # a new edition comes last; a rebuilt one keeps its place
    editions[edition] = snapshot
    history = history[-EDITIONS_KEPT:]
    digest = hashlib.sha256(pdf).hexdigest()  # not re-read: another build may have replaced the file
    while True:
        data = {
            **print_,
            "output_sha256": digest,
            "edition": edition,
            "history": history,
            "editions": {name: editions[name] for name in history},
        }
        older = [name for name in history if name != edition]
        if not older or len(_canonical(data)) <= MAX_FILE_BYTES // 2:
            break
        history = [name for name in history if name != older[0]]
    data["seal"] = seal(_canonical(data))
    path = manifest_path(output)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(temporary, path)
    except BaseException:
        # A failed write (full disk, a value json cannot write) leaves no temporary file behind.
        Path(temporary).unlink(missing_ok=True)
        raise


def _canonical(data: dict[str, Any]) -> bytes:
    """The bytes a manifest's seal covers: everything but the seal, in one fixed form."""
    body = {key: value for key, value in data.items() if key != "seal"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _tell_replaced(edition: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Say when a rebuild changes what an edition's record holds: the trap of a new edition
    built without a new `edition` setting, whose "what's new" page would then be empty."""
    from .changes import compare

    changes = compare(old, new)
    if changes:
        logger.info(
            "edition %s was built before: its record now holds %d changed figures and %d changed "
            "sections (for a new edition, set a new `edition` in data/settings.yaml)",
            edition,
            len(changes.figures),
            len(changes.sections),
        )


def previous_edition(manifest: Manifest | None, edition: str) -> tuple[str, dict[str, Any]] | None:
    """The edition recorded before `edition` (for an edition not yet recorded: the newest one)."""
    if manifest is None:
        return None
    history = manifest.history
    earlier = history[: history.index(edition)] if edition in history else history
    return (earlier[-1], manifest.editions[earlier[-1]]) if earlier else None
