"""Find a report project folder and load its settings, data files and sections."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from . import files
from .errors import ErrorCollector, Location, ReportError
from .schema import Data, SectionFile, Settings, read_data_file, read_settings
from .yamlfile import CsvTable, load_csv, load_yaml, read_text

if TYPE_CHECKING:
    from .workbook import Workbook

# The package's own templates and fonts: inside the wheel, or at the repository root
# when the package runs from a source checkout (editable install).
_PACKAGE_DIR = Path(__file__).resolve().parent


def builtin_dir(name: str) -> Path:
    """Return the built-in `templates` or `fonts` folder."""
    for candidate in (_PACKAGE_DIR / "_builtin" / name, _PACKAGE_DIR.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise ReportError(f"the built-in '{name}' folder is missing from the installation")


@dataclass
class Project:
    """A loaded, validated report project."""

    root: Path
    settings: Settings
    data: Data
    sections: list[SectionFile]
    input_files: list[Path] = field(default_factory=list)

    @property
    def roots(self) -> list[Path]:
        """The folders this project's build may read (see files.allowed_roots)."""
        return files.allowed_roots(self.root)

    @property
    def template_dirs(self) -> list[Path]:
        """The project's templates/ (refused if it links out of the project), then the built-in ones."""
        return [d for d in (self.root / "templates", builtin_dir("templates")) if _folder(d, self.roots)]

    @property
    def font_dirs(self) -> list[Path]:
        """The project's fonts/ (refused if it links out of the project), then the built-in ones."""
        return [d for d in (self.root / "fonts", builtin_dir("fonts")) if _folder(d, self.roots)]

    def find_font(self, name: str) -> Path:
        """Return a checked font file from the project's fonts/, else from the built-in ones."""
        path = find_font(name, self.font_dirs, self.roots)
        if path is None:
            raise ReportError(f"font file not found in fonts/: {name}")
        return path

    @property
    def output_path(self) -> Path:
        """The PDF that settings.output names, checked to lie inside output/ (see build.guard_output)."""
        from .build import output_target

        return output_target(self.root)


def _folder(path: Path, roots: list[Path]) -> bool:
    """True when `path` is a folder inside `roots`; a link out of them is an error, not a folder."""
    return os.path.lexists(path) and files.confine(path, roots, "folder").is_dir()


def find_font(name: str, folders: list[Path], roots: list[Path]) -> Path | None:
    """The first folder's file of that name, checked by files.check_file; a name is one file name.

    Raises a located error for a font that is a link out of `roots`, a FIFO, or too large.
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    for folder in folders:
        if os.path.lexists(folder / name):
            return files.check_file(folder / name, roots)
    return None


def find_project(path: Path | str | None) -> Path:
    """Return the project root: the folder holding data/settings.yaml."""
    root = Path(path or ".").resolve()
    if not root.is_dir():
        raise ReportError(f"project folder not found: {path}")
    if not (root / "data" / "settings.yaml").is_file():
        raise ReportError(f"{root} is not a report project: data/settings.yaml is missing")
    return root


def load_project(path: Path | str | None, errors: ErrorCollector | None = None) -> Project:
    """Load every file of a project, collecting all problems before raising them together.

    Every file is read through `files`, confined to the project and the built-in folders.
    Given `errors`, the problems are left there and the project is returned as far as it could
    be read (its broken entries named in `data.broken`), for the later stages to check too.
    """
    root = find_project(path)
    roots = files.allowed_roots(root)
    data_dir = root / "data"
    collect = errors is not None
    errors = errors if errors is not None else ErrorCollector()
    inputs: list[Path] = []

    settings = None
    settings_path = data_dir / "settings.yaml"
    inputs.append(settings_path)
    try:
        settings = read_settings(load_yaml(settings_path, root), settings_path, errors)
    except ReportError as error:
        errors.extend(error)

    def data_file(name: str, what: str, where: Location) -> Path | None:
        """The resolved path of a data file a YAML entry names, or None (reported) when it is
        outside data/ or hidden (hidden files are left out of the manifest: never read either)."""
        path = (data_dir / name).resolve()
        if not path.is_relative_to(data_dir.resolve()):
            errors.add(f"{what} '{name}' is outside the project's data folder", where)
            return None
        if any(part.startswith(".") for part in Path(name).parts):
            errors.add(f"{what} '{name}' is hidden (a name starting with '.'): it is not read", where)
            return None
        return path

    csv_cache: dict[Path, CsvTable | None] = {}

    def csv_loader(name: str, where: Location) -> CsvTable | None:
        csv_path = data_file(name, "CSV file", where)
        if csv_path is None:
            return None
        if csv_path not in csv_cache:
            if not csv_path.is_file():
                errors.add(f"CSV file not found: data/{name}", where)
                csv_cache[csv_path] = None
            else:
                inputs.append(csv_path)
                try:
                    csv_cache[csv_path] = load_csv(csv_path, root)
                except ReportError as error:
                    errors.extend(error)
                    csv_cache[csv_path] = None
        return csv_cache[csv_path]

    workbook_cache: dict[Path, Workbook | None] = {}

    def workbook_loader(name: str, where: Location) -> Workbook | None:
        """A workbook of data/, read once however many figures and tables name it."""
        from .workbook import WORKBOOK_SUFFIXES, Workbook

        book_path = data_file(name, "workbook", where)
        if book_path is None:
            return None
        if book_path.suffix.lower() not in WORKBOOK_SUFFIXES:
            errors.add(
                f"workbook '{name}': only .xlsx and .ods workbooks are read (save it as one; "
                ".xlsm, .xls and the like are refused)",
                where,
            )
            return None
        if book_path not in workbook_cache:
            workbook_cache[book_path] = None
            if not book_path.is_file():
                errors.add(f"workbook not found: data/{name}", where)
            else:
                inputs.append(data_dir / name)
                try:
                    workbook_cache[book_path] = Workbook(data_dir / name, roots)
                except ReportError as error:
                    errors.extend(error)
        return workbook_cache[book_path]

    # Links out of the project, FIFOs and the like stop the load here, before anything is read.
    walk = files.Walk(roots)
    data_files = walk.files(data_dir, recursive=False)
    section_dir = data_dir / "sections"
    section_paths = [p for p in walk.files(section_dir, recursive=False) if p.suffix == ".md"]
    data = Data()
    for yaml_path in data_files:
        if yaml_path.suffix not in (".yaml", ".yml") or yaml_path.name == "settings.yaml":
            continue
        inputs.append(yaml_path)
        try:
            read_data_file(load_yaml(yaml_path, root), yaml_path, data, errors, csv_loader, workbook_loader)
        except ReportError as error:
            errors.extend(error)
            data.incomplete = True

    sections: list[SectionFile] = []
    if not section_paths:
        errors.add("no narrative sections: add Markdown files to data/sections/", Location(section_dir))
    for section_path in section_paths:
        inputs.append(section_path)
        try:
            text = read_text(section_path, root)
        except ReportError as error:
            errors.extend(error)
            continue
        if not text.strip():
            errors.add("the section is empty", Location(section_path, 1))
            continue
        sections.append(SectionFile(section_path, text))

    if not collect:
        errors.raise_if_any()
    if settings is None:  # unreadable: its errors are collected; the rest is checked with defaults
        settings = Settings(title="", issuer="", date=date(1970, 1, 1), location=Location(settings_path, 1))
    return Project(root, settings, data, sections, inputs)
