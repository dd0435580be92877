"""Every read of a project file goes through here: inside the project, a regular file, bounded.

A project's files are not trusted (see SECURITY.md): a symbolic link may point at
/etc/passwd or at `/`, a "file" may be a FIFO that blocks whoever opens it or a device
that never ends, and a data file may be gigabytes. So a project file is read only when

- its real path (all links followed) lies inside an allowed root: the project folder or
  the built-in templates and fonts (links that stay inside are fine);
- it is a regular file, checked with stat before it is opened (opening a FIFO blocks) and
  again with fstat on what was opened;
- it is at most `limits.max_file_bytes()`, and no more than that plus one byte is read.

Folders are walked the same way: links out of the project are refused, not followed,
and the walk stops with an error past MAX_PROJECT_FILES entries or MAX_FOLDER_DEPTH levels.

Paths on the command line (recipients, signing keys) are trusted: pass `roots=None`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from .errors import Location, ReportError
from .limits import MAX_FOLDER_DEPTH, MAX_PROJECT_FILES, max_file_bytes

_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def allowed_roots(root: Path) -> list[Path]:
    """The folders a project's build may read: the project and the built-in templates and fonts."""
    from .project import builtin_dir

    return [root.resolve(), builtin_dir("templates").resolve(), builtin_dir("fonts").resolve()]


def where(path: Path, roots: Sequence[Path] | None) -> Location:
    """A location for `path` that names the link itself, not where it points.

    `Location.display` resolves paths, which would print the target of a refused link; a
    path relative to the project root keeps the name the user sees in the project.
    """
    if roots:
        absolute = Path(os.path.abspath(path))
        if absolute.is_relative_to(roots[0]):
            return Location(absolute.relative_to(roots[0]))
    return Location(path)


def _inside(real: Path, roots: Sequence[Path]) -> bool:
    return any(real.is_relative_to(root) for root in roots)


def _refuse(path: Path, roots: Sequence[Path] | None, reason: str) -> ReportError:
    return ReportError(f"refused: {reason}", where(path, roots))


def confine(path: Path, roots: Sequence[Path] | None, what: str = "file") -> Path:
    """The real path of `path`, which must lie inside `roots` (any path when `roots` is None)."""
    real = Path(os.path.realpath(path))
    if roots is not None and not _inside(real, roots):
        if real != Path(os.path.abspath(path)):
            raise _refuse(path, roots, f"a symbolic link to a {what} outside the project")
        raise _refuse(path, roots, f"the {what} is outside the project")
    return real


def _link_problem(real: Path, info: os.stat_result, roots: Sequence[Path] | None) -> str | None:
    """A project file with more than one name may be a hard link to a file outside the project.

    Its real path cannot tell (a hard link is the file itself), so a project file must have
    one name; the built-in templates and fonts are trusted.
    """
    if roots is None or info.st_nlink <= 1 or not _inside(real, roots[:1]) or _inside(real, roots[1:]):
        return None
    return f"a hard link (the file has {info.st_nlink} names); copy the file instead"


def _size_problem(size: int) -> str | None:
    limit = max_file_bytes()
    if size <= limit:
        return None
    mb = 1024 * 1024
    return f"the file is {size / mb:.1f} MB, over the {limit / mb:g} MB limit (REPORT_MAX_FILE_MB raises it)"


def check_file(path: Path, roots: Sequence[Path] | None) -> Path:
    """Confine `path` and check it is a regular file within the size limit; return its real path.

    For readers that take a path (fontTools, matplotlib); `read_bytes` checks again on the
    open file.
    """
    real = confine(path, roots)
    try:
        info = os.stat(real)
    except OSError as error:
        raise ReportError(f"cannot read file: {error.strerror}", where(path, roots)) from None
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise _refuse(path, roots, f"{kind}, not a regular file")
    problem = _link_problem(real, info, roots) or _size_problem(info.st_size)
    if problem:
        raise _refuse(path, roots, problem)
    return real


def read_bytes(path: Path, roots: Sequence[Path] | None) -> bytes:
    """The bytes of a project file, checked as the module docstring says."""
    real = check_file(path, roots)
    limit = max_file_bytes()
    try:
        # O_NONBLOCK: should the file have become a FIFO since the stat, open does not wait;
        # O_NOFOLLOW: nor may it have become a link.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise ReportError(f"cannot read file: {error.strerror}", where(path, roots)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(path, roots, "not a regular file")
        problem = _link_problem(real, info, roots) or _size_problem(info.st_size)
        if problem:
            raise _refuse(path, roots, problem)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise ReportError(f"cannot read file: {error.strerror}", where(path, roots)) from None
    finally:
        os.close(fd)
    if size > limit:  # grew while we read
        raise _refuse(path, roots, _size_problem(size) or "the file grew while it was read")
    return b"".join(chunks)


def read_cached(path: Path) -> bytes | None:
    """A cache file's bytes (charts, parts): a regular file within the size limit, read
    without following a symbolic link; None for anything else (a folder, a FIFO, a device,
    a link), which the cache then treats as missing."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode) or status.st_size > max_file_bytes():
            return None
        with os.fdopen(os.dup(handle), "rb") as stream:
            return stream.read()
    except OSError:
        return None
    finally:
        os.close(handle)


def decode_text(raw: bytes, path: Path) -> str:
    """UTF-8 text; a byte-order mark and CRLF line ends are accepted."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ReportError("file is not UTF-8 text", Location(path, line)) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path, roots: Sequence[Path] | None) -> str:
    """A project text file (YAML, CSV, Markdown, stylesheet, template), checked and decoded."""
    return decode_text(read_bytes(path, roots), path)


class Walk:
    """Lists project folders without leaving the project, with one budget for all of them."""

    def __init__(self, roots: Sequence[Path], budget: int = MAX_PROJECT_FILES) -> None:
        self.roots = list(roots)
        self.budget = budget
        self.seen = 0

    def files(self, folder: Path, recursive: bool = True) -> list[Path]:
        """Regular files under `folder` (hidden names skipped), by the paths the project names them.

        A link to a folder inside the project is followed once; a link out is an error.
        Links that lead nowhere are skipped: the loader that wants such a file reports it.
        """
        if not os.path.lexists(folder):
            return []
        real = confine(folder, self.roots, "folder")
        if not real.is_dir():
            return []
        found: list[Path] = []
        visited = {real}
        stack = [(folder, 0)]
        while stack:
            current, depth = stack.pop()
            try:
                with os.scandir(current) as entries:
                    names = sorted(entry.name for entry in entries)
            except OSError as error:
                problem = f"cannot read folder: {error.strerror}"
                raise ReportError(problem, where(current, self.roots)) from None
            self.seen += len(names)
            if self.seen > self.budget:
                raise _refuse(folder, self.roots, f"more than {self.budget} files in the project's folders")
            for name in names:
                if name.startswith("."):
                    continue  # hidden: editor backups, locks, version control
                path = current / name
                real_child = confine(path, self.roots, "folder" if os.path.isdir(path) else "file")
                try:
                    info = os.stat(real_child)
                except OSError:
                    continue  # a dangling link, or deleted while we looked
                if stat.S_ISDIR(info.st_mode):
                    if not recursive or real_child in visited:
                        continue
                    if depth + 1 >= MAX_FOLDER_DEPTH:
                        problem = f"folders nested deeper than {MAX_FOLDER_DEPTH} levels"
                        raise _refuse(path, self.roots, problem)
                    visited.add(real_child)
                    stack.append((path, depth + 1))
                elif stat.S_ISREG(info.st_mode):
                    found.append(path)
                else:
                    kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
                    raise _refuse(path, self.roots, f"{kind}, not a regular file")
        return sorted(found)


def project_files(folder: Path, roots: Sequence[Path], recursive: bool = True) -> list[Path]:
    """The regular files of one project folder (see `Walk.files`)."""
    return Walk(roots).files(folder, recursive)


def template_loader(folders: Sequence[Path], roots: Sequence[Path]):
    """A Jinja2 loader for template overrides and built-in templates that reads through `read_text`."""
    import jinja2

    class ConfinedLoader(jinja2.BaseLoader):
        def get_source(self, environment: jinja2.Environment, template: str):
            parts = template.split("/")
            if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
                raise jinja2.TemplateNotFound(template)
            for folder in folders:
                path = folder.joinpath(*parts)
                if os.path.lexists(path):
                    text = read_text(path, roots)
                    real = Path(os.path.realpath(path))
                    mtime = os.stat(real).st_mtime_ns
                    return text, str(path), lambda real=real, mtime=mtime: _mtime(real) == mtime
            raise jinja2.TemplateNotFound(template)

    return ConfinedLoader()


def _mtime(path: Path) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None
