"""`python -m report figures`: every figure as printed, where it comes from and where it is used.

For an editor checking a new edition against the departments' files before printing:
the value in the document's own digits and grouping, its unit, qualifier, source (and the
workbook cells or CSV column it was read from), and each place that prints it. Figures
nothing prints, sources nothing cites and data files nothing reads are flagged.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jinja2
from jinja2 import nodes

from .build import _load
from .changes import is_percent
from .project import Project
from .qualifiers import QUALIFIERS

_BIDI = re.compile("[\u200e\u200f\u2060\u2066-\u2069]")


def _section_uses(project: Project) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Figure name -> ['data/sections/01.md:3', ...], and source name -> the same for cite()."""
    figures: dict[str, list[str]] = {}
    cited: dict[str, list[str]] = {}
    env = jinja2.Environment()
    for section in project.sections:
        name = section.path.relative_to(project.root).as_posix()
        try:
            tree = env.parse(section.text)
        except jinja2.TemplateSyntaxError:
            continue  # check reports it
        for node in tree.find_all(nodes.Name):
            if node.ctx == "load" and node.name in project.data.figures:
                place = f"{name}:{node.lineno}"
                if place not in figures.setdefault(node.name, []):
                    figures[node.name].append(place)
        for call in tree.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "cite" and call.args:
                if isinstance(call.args[0], nodes.Const):
                    cited.setdefault(str(call.args[0].value), []).append(f"{name}:{call.lineno}")
    return figures, cited


def _compute_names(expression: str) -> set[str]:
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def figures_command(path: Path | str | None) -> str:
    from .html import DocumentBuilder

    project, values, fmt, charts = _load(path)
    data = project.data
    builder = DocumentBuilder(project, values, fmt, charts)
    placed = {kind: {n for s in project.sections for n in builder.narrative.references(s, kind)} for kind in
              ("table", "chart")}  # fmt: skip
    in_sections, cited = _section_uses(project)
    uses: dict[str, list[str]] = {name: list(in_sections.get(name, [])) for name in data.figures}
    for name, table in data.tables.items():
        shown = "" if name in placed["table"] else " (not placed)"
        for figure in table.figures:
            uses[figure].append(f"table {name}{shown}")
    for name, chart in data.charts.items():
        shown = "" if name in placed["chart"] else " (not placed)"
        for figure in chart.figures:
            if figure in uses:
                uses[figure].append(f"chart {name}{shown}")
    for figure in project.settings.key_figures:
        if figure in uses:
            uses[figure].append("key figures")
    for name, figure in data.figures.items():
        for other in sorted(_compute_names(figure.compute or "") & set(data.figures)):
            uses[other].append(f"computes {name}")
        for other in (*figure.parts, *figure.includes):
            if other in uses:
                uses[other].append(f"part of {name}")

    def printed(name: str) -> str:
        resolved = values[name]
        figure = resolved.figure
        show = fmt.percent if is_percent(figure.unit) else fmt.number
        word = QUALIFIERS[resolved.qualifier].word + " " if resolved.qualifier in QUALIFIERS else ""
        if resolved.series is not None:
            entries = [(p, f"{word}{show(v)}") for p, v in resolved.series.items()]
            entries += [(p, "—") for p in figure.gaps]
            if all(str(p).isdigit() for p, _ in entries):
                entries.sort(key=lambda entry: int(entry[0]))  # years: a period without a value in its place
            return "; ".join(f"{fmt.text(p)}: {text}" for p, text in entries)
        return word + show(resolved.number)

    rows: list[tuple[str, list[tuple[str, str]]]] = []
    for name, figure in data.figures.items():
        fields = [("value", printed(name) if name in values else "—")]
        unit = data.units[figure.unit].plural if figure.unit in data.units else figure.unit
        fields.append(("unit", unit or "—"))
        q = values[name].qualifier if name in values else None
        if q in QUALIFIERS:
            fields.append(("qualifier", f"{q} ({QUALIFIERS[q].word})"))
        if figure.period:
            fields.append(("period", fmt.text(figure.period)))
        source = figure.source or "—"
        if figure.origin:
            source += f" ({figure.origin})"
        elif figure.compute:
            source += f" (compute: {figure.compute})"
        fields.append(("source", source))
        fields.append(("used in", ", ".join(uses[name]) if uses[name] else "UNUSED: printed nowhere"))
        rows.append((f"{name}  {figure.label}", fields))

    try:
        shown = project.root.relative_to(Path.cwd())
    except ValueError:
        shown = project.root
    out = [f"figures of {shown} ({len(data.figures)}):"]
    width = max(len(label) for _, fields in rows for label, _ in fields) if rows else 0
    for title, fields in rows:
        out.append("")
        out.append(title)
        out.extend(f"  {label.ljust(width)}  {value}" for label, value in fields)

    used_sources = {f.source for f in data.figures.values()} | {t.source for t in data.tables.values()}
    used_sources |= {c.source for c in data.charts.values()} | {q.source for q in data.quotes.values()}
    used_sources |= set(cited)
    unused_figures = [name for name in data.figures if not uses[name]]
    unused_sources = [name for name in data.sources if name not in used_sources]
    read = {p.resolve() for p in project.input_files}
    data_dir = project.root / "data"
    unread = sorted(
        p.relative_to(project.root).as_posix()
        for p in data_dir.iterdir()
        if p.suffix.lower() in (".csv", ".xlsx", ".ods") and p.is_file() and p.resolve() not in read
    )
    out.append("")
    out.append(f"unused figures ({len(unused_figures)}): {', '.join(unused_figures) or '-'}")
    out.append(f"unused sources ({len(unused_sources)}): {', '.join(unused_sources) or '-'}")
    out.append(f"unread data files ({len(unread)}): {', '.join(unread) or '-'}")
    # The terminal lays out each line itself: the isolates the PDF needs would show as marks.
    return _BIDI.sub("", "\n".join(out))
