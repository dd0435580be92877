"""Compare two editions: which figures moved, and which sections were rewritten.

Both `diff` and the "what's new" page write a change as the document writes its numbers
(`printed`): rounded by the project's Formatter (one decimal at most, counts grouped, the
locale's separators, the project's digits), a percentage's change in points.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .figures import Resolved
from .formatting import PERCENT_UNITS, Formatter
from .project import Project

DIGIT_STYLES = ("western", "arabic-indic")


def snapshot(project: Project, values: dict[str, Resolved]) -> dict[str, Any]:
    """The figures and sections of a build, as stored in its manifest."""
    import hashlib

    figures = {}
    for name, resolved in values.items():
        figure = resolved.figure
        entry: dict[str, Any] = {"label": figure.label, "unit": figure.unit or ""}
        if resolved.series is not None:
            entry["series"] = dict(resolved.series)
        else:
            entry["value"] = resolved.value
        figures[name] = entry
    sections = {}
    for section in project.sections:
        title = section.text.strip().splitlines()[0].lstrip("#").strip()
        key = section.path.relative_to(project.root).as_posix()
        sections[key] = {"title": title, "sha256": hashlib.sha256(section.text.encode()).hexdigest()}
    settings = project.settings
    return {
        "date": settings.date.isoformat(),
        "edition": settings.edition or "",
        "figures": figures,
        "sections": sections,
        # How the document wrote its numbers, for `diff` between two manifests.
        "locale": settings.locale,
        "digits": settings.digits,
    }


@dataclass(frozen=True)
class FigureChange:
    """One number that differs between two editions (a series point is named `name[period]`)."""

    name: str
    label: str
    unit: str
    old: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old

    @property
    def percent(self) -> float | None:
        if self.change is None or not self.old:
            return None
        return self.change / self.old * 100


@dataclass(frozen=True)
class Changes:
    figures: list[FigureChange]
    sections: list[tuple[str, str]]  # (file, title) of sections added, removed or rewritten

    def __bool__(self) -> bool:
        return bool(self.figures or self.sections)


def _points(entry: dict[str, Any] | None, name: str) -> dict[str, float | None]:
    if entry is None:
        return {}
    if "series" in entry:
        return {f"{name}[{period}]": value for period, value in entry["series"].items()}
    return {name: entry.get("value")}


def _number(value: Any) -> float | None:
    """A figure's value as a manifest gives it: a finite number of bounded size, else nothing."""
    from .limits import MAX_NUMBER_DIGITS

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if abs(value) < 10**MAX_NUMBER_DIGITS else None


def clean_snapshot(raw: Any) -> dict[str, Any]:
    """A snapshot keeping only well-formed entries.

    Snapshots of earlier editions come from a manifest in the project's folder, which a
    project could hold in any shape: a value that is not a number, a missing label, a
    list in place of a mapping must not break the build or the "what's new" page.
    """
    if not isinstance(raw, dict):
        return {"figures": {}, "sections": {}, "date": "", "edition": ""}
    figures: dict[str, Any] = {}
    for name, entry in (raw.get("figures") if isinstance(raw.get("figures"), dict) else {}).items():
        if not isinstance(entry, dict):
            continue
        label, unit = entry.get("label"), entry.get("unit", "")
        clean: dict[str, Any] = {
            "label": label if isinstance(label, str) else str(name),
            "unit": unit if isinstance(unit, str) else "",
        }
        if isinstance(entry.get("series"), dict):
            clean["series"] = {str(p): _number(v) for p, v in entry["series"].items()}
        else:
            clean["value"] = _number(entry.get("value"))
        figures[str(name)] = clean
    sections: dict[str, Any] = {}
    for key, entry in (raw.get("sections") if isinstance(raw.get("sections"), dict) else {}).items():
        if isinstance(entry, dict):
            title, digest = entry.get("title"), entry.get("sha256")
            sections[str(key)] = {
                "title": title if isinstance(title, str) else str(key),
                "sha256": digest if isinstance(digest, str) else "",
            }
    text = lambda value: value if isinstance(value, str) else ""  # noqa: E731
    return {
        "date": text(raw.get("date")),
        "edition": text(raw.get("edition")),
        "figures": figures,
        "sections": sections,
        "locale": text(raw.get("locale")),
        "digits": text(raw.get("digits")),
    }


def formatter_of(raw: Any) -> Formatter:
    """The Formatter a snapshot's document used; the default one for an unknown or odd locale
    (a manifest is a file in the project: its locale is checked before Babel reads it)."""
    from babel import Locale, UnknownLocaleError

    snap = clean_snapshot(raw)
    digits = snap["digits"] if snap["digits"] in DIGIT_STYLES else "western"
    locale = snap["locale"]
    try:
        if not (locale.isascii() and len(locale) <= 20 and locale.startswith("ar")):
            raise ValueError(locale)
        Locale.parse(locale)
    except (ValueError, TypeError, UnknownLocaleError):
        locale = "ar_MA"
    return Formatter(locale, digits)


def is_percent(unit: str | None) -> bool:
    return unit in PERCENT_UNITS


def _as_printed(value: float) -> decimal.Decimal:
    """A value rounded as Formatter.number and Formatter.percent print it (one decimal, half up)."""
    exact = decimal.Decimal(float.__repr__(value)) if isinstance(value, float) else decimal.Decimal(value)
    return exact.quantize(decimal.Decimal("0.1"), rounding=decimal.ROUND_HALF_UP)


def printed(
    change: FigureChange, fmt: Formatter, island: Callable[[str], str] | None = None
) -> tuple[str, str, str | None]:
    """The old value, the new value and the change as the document prints them.

    The change is None for a figure (or series point) that is new or gone. A percentage
    changes by points ("+0,5 نقطة"); any other number by its own unit and in percent of
    the old value ("+1.000 (+1,1%)"). Signs are "+" and the minus sign U+2212. `island`
    (Formatter.island on a page) wraps each signed number, so that its sign stays with it
    inside Arabic text.
    """
    mark = island or (lambda text: text)
    percent = is_percent(change.unit)

    def show(value: float | None) -> str:
        if value is None:
            return "—"
        return fmt.percent(value) if percent else fmt.number(value)

    if change.change is None:
        return show(change.old), show(change.new), None

    # The change between the numbers as printed, so that the page adds up for its reader:
    # 3,85% -> 3,86% is printed 3,9% -> 3,9%, a change of 0 points, not 0,01.
    step = _as_printed(change.new) - _as_printed(change.old)
    sign = "+" if step >= 0 else "\u2212"
    delta = mark(sign + fmt.number(float(abs(step))))
    if percent:
        delta += " نقطة"
    elif change.percent is not None:
        sign = "+" if change.percent >= 0 else "\u2212"
        delta += f" ({mark(sign + fmt.percent(abs(change.percent)))})"
    return show(change.old), show(change.new), delta


def compare(old: dict[str, Any], new: dict[str, Any]) -> Changes:
    """What moved from `old` to `new` (two snapshots, from manifests or from `snapshot`)."""
    old, new = clean_snapshot(old), clean_snapshot(new)
    changes = []
    old_figures, new_figures = old.get("figures", {}), new.get("figures", {})
    for name in [*new_figures, *(n for n in old_figures if n not in new_figures)]:
        before, after = _points(old_figures.get(name), name), _points(new_figures.get(name), name)
        entry = new_figures.get(name) or old_figures[name]
        for point in [*after, *(p for p in before if p not in after)]:
            if before.get(point) != after.get(point):
                changes.append(
                    FigureChange(
                        point, entry["label"], entry.get("unit", ""), before.get(point), after.get(point)
                    )
                )
    old_sections, new_sections = old.get("sections", {}), new.get("sections", {})
    sections = []
    for key in [*new_sections, *(k for k in old_sections if k not in new_sections)]:
        a, b = old_sections.get(key), new_sections.get(key)
        if (a or {}).get("sha256") != (b or {}).get("sha256"):
            sections.append((key, (b or a)["title"]))
    return Changes(changes, sections)


def describe(changes: Changes, old_name: str, new_name: str, fmt: Formatter) -> str:
    """Text for the terminal: one line per changed figure and section.

    Numbers are written by `printed`, as the document writes them; a change that the
    document's rounding hides is still listed, and says so.
    """
    if not changes:
        return f"no change between {old_name} and {new_name}"

    lines = [f"changes from {old_name} to {new_name}:"]
    if changes.figures:
        lines.append(f"figures ({len(changes.figures)}):")
        width = max(len(c.name) for c in changes.figures)
        for c in changes.figures:
            old, new, delta = printed(c, fmt)
            if delta is None:
                delta = "(new)" if c.old is None else "(removed)"
            elif old == new:
                delta = "(the same once rounded)"
            lines.append(f"  {c.name:<{width}}  {old} -> {new}  {delta}  {c.label}")
    if changes.sections:
        lines.append(f"sections ({len(changes.sections)}):")
        lines.extend(f"  {key}  {title}" for key, title in changes.sections)
    return "\n".join(lines)
