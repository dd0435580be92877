"""One exception family for everything a user can fix, each with its place in a file."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

# Control, format (bidi), line and paragraph separators, and undecodable bytes (surrogates).
_HIDDEN = ("Cc", "Cf", "Zl", "Zp", "Cs")


def _escape(text: str) -> str:
    """A path printable on one line in reading order: control and format characters escaped.

    A file name may hold a newline (which would split the error line) or a bidi control
    (which would reorder it); each is shown as its escape, `\\n` or `\\u202e`.
    """
    if all(unicodedata.category(char) not in _HIDDEN for char in text):
        return text
    out = []
    for char in text:
        if unicodedata.category(char) in _HIDDEN:
            escaped = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
            out.append(escaped or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"))
        else:
            out.append(char)
    return "".join(out)


@dataclass(frozen=True)
class Location:
    """A place in a project file: path, and line and column (or a workbook's cell) when known."""

    path: Path
    line: int | None = None
    column: int | None = None
    cell: str | None = None  # a workbook's cell, written as a spreadsheet does: `Sheet1!C7`

    def display(self, root: Path | None = None) -> str:
        path = self.path
        if root is not None:
            try:
                # The folder resolved, not the file: a refused symbolic link is named as itself.
                path = (self.path.parent.resolve() / self.path.name).relative_to(root.resolve())
            except ValueError:
                pass
        text = _escape(str(path))
        if self.cell is not None:
            return f"{text}:{_escape(self.cell)}"
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


class ReportError(Exception):
    """A problem in the user's project: printed as one line, exit code 2."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def display(self, root: Path | None = None) -> str:
        if self.location is None:
            return self.message
        return f"{self.location.display(root)}: {self.message}"


class ProjectErrors(ReportError):
    """Several problems found together; the CLI prints each one on its own line."""

    def __init__(self, errors: list[ReportError]) -> None:
        super().__init__(f"{len(errors)} problem(s) found")
        self.errors = errors

    def display(self, root: Path | None = None) -> str:
        return "\n".join(error.display(root) for error in self.errors)


class ErrorCollector:
    """Gather errors from a stage, then raise them all at once."""

    def __init__(self) -> None:
        self.errors: list[ReportError] = []

    def add(self, message: str, location: Location | None = None) -> None:
        self.errors.append(ReportError(message, location))

    def extend(self, error: ReportError) -> None:
        if isinstance(error, ProjectErrors):
            self.errors.extend(error.errors)
        else:
            self.errors.append(error)

    def raise_if_any(self) -> None:
        # One error met from several places (a broken template every section uses) is told once.
        errors, seen = [], set()
        for error in self.errors:
            said = error.display()
            if said not in seen:
                seen.add(said)
                errors.append(error)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ProjectErrors(errors)
