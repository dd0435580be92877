"""The language check of `report check`: what an Arabic editor would mark around the numbers.

Warnings, not errors: the briefing still builds. `report check --strict` makes them errors,
for a project that wants none (the default briefing passes it). Each names its file and line:

- a number typed by hand in a section's own text: figures, years and dates live in data,
  where an update reaches every place that prints them;
- a noun typed after a number filter where `count` would write it in the form the number
  calls for (and the typed form, when it is the wrong one);
- a figure the source qualifies ("حوالي", "أكثر من") printed without its claim, or with the
  claim written twice;

Digits typed in text from data (a title, a caption, a fact) are not warned about: they are
printed in the project's digit style wherever they appear (`Formatter.text`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2 import nodes

from .errors import Location, ReportError
from .figures import Resolved
from .formatting import Formatter, figure_nouns
from .grammar import Noun, noun_forms
from .qualifiers import QUALIFIERS
from .schema import Data, SectionFile

_DIGITS = re.compile("[0-9\u0660-\u0669]+")
_LIST_MARKER = re.compile(r"^\s{0,3}\d{1,9}[.)]\s")
_URL = re.compile(r"(https?://|www\.)\S+")
_WORD = re.compile(r"^\s*([\u0600-\u06ff]+(?:\s+[\u0600-\u06ff]+)?)")
# Filters that print a number with the figure's claim, and those that print no claim at all.
_CLAIMING = {"number", "press", "percent", "count", "about", None}
_SENTENCE_END = re.compile(r"[.!?؟؛:\n]")


@dataclass(frozen=True)
class LanguageWarning:
    message: str
    location: Location

    def display(self, root: Path | None = None) -> str:
        return f"{self.location.display(root)}: warning: {self.message}"

    def as_error(self) -> ReportError:
        return ReportError(self.message, self.location)


def check_language(
    data: Data,
    sections: list[SectionFile],
    values: dict[str, Resolved],
    formatter: Formatter,
) -> list[LanguageWarning]:
    """Every warning of the project, sections first, in file and line order."""
    warnings: list[LanguageWarning] = []
    nouns = figure_nouns(data)
    for section in sections:
        try:
            tree = _parse(section.text)
        except (jinja2.TemplateSyntaxError, RecursionError):
            continue  # reported as an error by the sections' own check
        warnings.extend(_section(section, tree, data, values, nouns, formatter))
    return warnings


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> nodes.Template:
    """Parsed once per process: `--watch` rebuilds check unchanged sections again (the
    tree is only read)."""
    return jinja2.Environment().parse(text)


# -- sections ----------------------------------------------------------------------------


def _section(section, tree, data, values, nouns, formatter) -> Iterator[LanguageWarning]:
    lines = section.text.split("\n")
    # Jinja gives lines, not columns: each use of a name is found after the previous one.
    seen: dict[tuple[int, str], int] = {}
    for output in tree.find_all(nodes.Output):
        children = output.nodes
        for index, child in enumerate(children):
            if isinstance(child, nodes.TemplateData):
                yield from _typed_numbers(section.path, lines, child)
                continue
            used = _figure_use(child, data)
            if used is None:
                continue
            name, filter_name, bare, attribute = used
            before = (
                children[index - 1].data
                if index and isinstance(children[index - 1], nodes.TemplateData)
                else ""
            )
            after = children[index + 1] if index + 1 < len(children) else None
            where = _where(section.path, lines, child.lineno, name, seen)
            if attribute == "unit":
                yield LanguageWarning(
                    f"'{name}.unit' typed after a number: write {{{{ {name} | count }}}}, which gives the "
                    "number with its noun in the form the number calls for",
                    where,
                )
                continue
            if attribute is not None or filter_name not in _CLAIMING:
                continue
            resolved = values.get(name)
            if resolved is None:
                continue
            shown = f"{name}[…]" if _is_point(child) else name
            yield from _typed_noun(shown, filter_name, resolved, nouns.get(name), after, where, formatter)
            following = after.data if isinstance(after, nodes.TemplateData) else ""
            yield from _claim(shown, resolved, before, following, bare, where)


def _figure_use(expression: nodes.Node, data: Data) -> tuple[str, str | None, bool, str | None] | None:
    """(figure, outer filter, bare=true?, attribute) for `{{ x }}`, `{{ x[p] | f }}`, `{{ x.unit }}`."""
    filter_name, bare = None, False
    if isinstance(expression, nodes.Filter):
        filter_name = expression.name
        bare = any(
            kw.key == "bare" and isinstance(kw.value, nodes.Const) and kw.value.value is True
            for kw in expression.kwargs
        )
        expression = expression.node
    attribute = None
    if isinstance(expression, nodes.Getattr):
        attribute, expression = expression.attr, expression.node
    if isinstance(expression, nodes.Getitem):
        expression = expression.node
    if isinstance(expression, nodes.Name) and expression.name in data.figures:
        return expression.name, filter_name, bare, attribute
    return None


def _is_point(expression: nodes.Node) -> bool:
    """Whether the expression prints one period of a series: `x[2023]`."""
    node = expression.node if isinstance(expression, nodes.Filter) else expression
    return isinstance(node, nodes.Getitem)


def _typed_numbers(path: Path, lines: list[str], data: nodes.TemplateData) -> Iterator[LanguageWarning]:
    text = data.data
    hidden = [m.span() for m in _URL.finditer(text)]
    for found in _DIGITS.finditer(text):
        start = found.start()
        if any(a <= start < b for a, b in hidden):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        line = data.lineno + text.count("\n", 0, start)
        full_line = lines[line - 1] if 0 < line <= len(lines) else ""
        if line_start > 0:
            column = start - line_start + 1
        else:  # the text starts after an expression on this line: find the number on it
            column = full_line.find(found.group()) + 1 or None
        marker = _LIST_MARKER.match(full_line)
        if marker and column and column <= marker.end():
            continue  # "1. " opening an ordered list item
        yield LanguageWarning(
            f"the number {found.group()!r} is typed by hand: give it to a figure or fact in data and "
            "refer to it, so that an update reaches every place that prints it",
            Location(path, line, column),
        )


def _typed_noun(name, filter_name, resolved, noun, after, where, formatter) -> Iterator[LanguageWarning]:
    """A noun typed after the number where `count` would write it (in the right form)."""
    if filter_name == "count" or not isinstance(after, nodes.TemplateData) or not noun:
        return
    match = _WORD.match(after.data)
    if match is None:
        return
    words = match.group(1)
    if isinstance(noun, Noun):
        forms = noun_forms(noun)
        typed = next((form for form in sorted(forms, key=len, reverse=True) if words.startswith(form)), None)
        if typed is None:
            return
        value = resolved.number
        right = formatter.noun_after(value, noun)
        wrong = "" if typed == right else f" ('{typed}' after this number should read '{right}')"
    else:
        if not words.startswith(noun.split()[0]):
            return
        typed, wrong = noun, ""
    yield LanguageWarning(
        f"the noun after {{{{ {name} | {filter_name or 'number'} }}}} is typed{wrong}: write "
        f"{{{{ {name} | count }}}}, which writes it in the form the number calls for",
        where,
    )


def _claim(
    name: str, resolved: Resolved, before: str, after: str, bare: bool, where: Location
) -> Iterator[LanguageWarning]:
    """A qualified figure keeps its claim: once, either from the filter or from the sentence."""
    claim = QUALIFIERS.get(resolved.qualifier or "")
    if claim is None:
        return
    # The verb that carries the claim may stand well before the number ("ناهز عدد التغريدات
    # المتعلقة بـ... 1.061"): the whole sentence counts, up to a limit.
    sentence = _SENTENCE_END.split(before)[-1]
    tail = sentence[-150:]
    carried = [word for word in claim.family if word in tail]
    if bare and not carried:
        yield LanguageWarning(
            f"figure '{name}' is qualified '{claim.key}' ({claim.word}) by its source but printed with "
            f"bare=true and no word of that claim before it ({'، '.join(claim.family[:4])}...): "
            "an approximate figure would read as exact",
            where,
        )
    if not bare and carried and not claim.after and tail.rstrip().endswith(carried[0]):
        yield LanguageWarning(
            f"figure '{name}' carries its claim ({claim.word}) and the sentence writes '{carried[0]}' "
            "before it: the claim is written twice (add bare=true, or remove the word)",
            where,
        )
    # "... على الأقل" or "... تقريبا" right after a figure that already prints its claim.
    head = _SENTENCE_END.split(after)[0][:30].strip()
    written = [word for word in claim.family if head.startswith(word)]
    if not bare and written:
        yield LanguageWarning(
            f"figure '{name}' carries its claim ({claim.word}) and the sentence writes '{written[0]}' "
            "after it: the claim is written twice (add bare=true, or remove the word)",
            where,
        )


def _where(path: Path, lines: list[str], lineno: int, name: str, seen: dict) -> Location:
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    column = line.find("{{", seen.get((lineno, name), 0))
    column = line.find(name, column) if column >= 0 else -1
    if column < 0:
        return Location(path, lineno)
    seen[(lineno, name)] = column + len(name)
    return Location(path, lineno, column + 1)
