"""Compute derived figures and check that stated figures agree with each other."""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

from .errors import ErrorCollector, ReportError
from .limits import MAX_NUMBER_DIGITS
from .qualifiers import combined
from .schema import NAME, Data, Figure, Settings, suggest, too_many_digits, whole_digits


@dataclass(frozen=True)
class Resolved:
    """A figure with its number known: a single value or a series of period -> value."""

    figure: Figure
    value: float | None = None
    series: dict[str, float] | None = None
    # How the source qualifies it: the figure's own word, or "about" when computed from a
    # qualified figure (an estimate built on an estimate is an estimate).
    qualifier: str | None = None

    def point(self, period: object) -> float:
        """Return the value of one period of a series."""
        if self.series is None:
            raise KeyError(f"figure '{self.figure.name}' is not a series")
        key = str(period)
        if key not in self.series:
            have = ", ".join(self.series)
            raise KeyError(f"figure '{self.figure.name}' has no period {key} (it has {have})")
        return self.series[key]

    @property
    def number(self) -> float:
        """The single value; a series stands for its latest period."""
        if self.value is not None:
            return self.value
        assert self.series
        return self.series[list(self.series)[-1]]


def _growth(old: float, new: float) -> float:
    if old == 0:
        raise ZeroDivisionError("growth from zero")
    return (new - old) / old * 100


def _share(part: float, whole: float) -> float:
    if whole == 0:
        raise ZeroDivisionError("share of zero")
    return part / whole * 100


def _round(value: float, digits: int = 0) -> float:
    # round(5, -10**9) would compute 10**(10**9): the places are bounded like the numbers.
    if not isinstance(digits, int) or abs(digits) > MAX_NUMBER_DIGITS:
        raise ValueError(
            f"round() takes a whole number of places between -{MAX_NUMBER_DIGITS} and {MAX_NUMBER_DIGITS}"
        )
    return round(value, digits)


# Past this, an intermediate result is no figure anyone states: stop before integers grow without bound.
_LARGEST_STEP = 10 ** (4 * MAX_NUMBER_DIGITS)


def _bounded(value: float) -> float:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _LARGEST_STEP:
        raise OverflowError("the computation overflows")
    return value


FUNCTIONS = {
    "growth": _growth,
    "share": _share,
    "sum": lambda *values: sum(values),
    "round": _round,
    "max": max,
    "min": min,
}
_OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


class _DependsOnBroken(Exception):
    """A computed figure uses one that has errors: stay silent, the cause is reported."""


class _Evaluator:
    """Evaluate `compute` expressions over the figures, in dependency order."""

    def __init__(self, data: Data, errors: ErrorCollector) -> None:
        self.data = data
        self.errors = errors
        self.resolved: dict[str, Resolved | None] = {}
        self.active: list[str] = []
        self.inputs: list[list[Resolved]] = []  # per computation under way: the figures it read

    def resolve(self, name: str) -> Resolved | None:
        if name in self.resolved:
            return self.resolved[name]
        figure = self.data.figures[name]
        if name in self.active:
            cycle = " -> ".join([*self.active[self.active.index(name) :], name])
            raise ReportError(f"figure '{name}': computed from itself ({cycle})", figure.at("compute"))
        if name in self.data.broken:
            result = None  # its own errors are reported; what uses it is skipped
        elif figure.compute is None:
            result = Resolved(figure, figure.value, figure.series, figure.qualifier)
        else:
            self.active.append(name)
            self.inputs.append([])
            try:
                value = self._evaluate(figure)
            finally:
                self.active.pop()
                inputs = self.inputs.pop()
            qualifier = figure.qualifier or combined([r.qualifier for r in inputs])
            result = None if value is None else Resolved(figure, value, None, qualifier)
        self.resolved[name] = result
        return result

    def _evaluate(self, figure: Figure) -> float | None:
        assert figure.compute is not None
        try:
            tree = ast.parse(figure.compute, mode="eval")
        except (RecursionError, MemoryError):
            self.errors.add(
                f"figure '{figure.name}': the compute expression nests too deeply", figure.at("compute")
            )
            return None
        except SyntaxError as error:
            self.errors.add(
                f"figure '{figure.name}': cannot read compute expression: {error.msg}", figure.at("compute")
            )
            return None
        try:
            value = self._node(tree.body, figure)
        except _DependsOnBroken:
            return None
        except RecursionError:
            self.errors.add(
                f"figure '{figure.name}': the compute expression nests too deeply", figure.at("compute")
            )
            return None
        except ReportError as error:
            self.errors.extend(error)
            return None
        except OverflowError:
            self.errors.add(
                f"figure '{figure.name}': cannot compute: the result is too large", figure.at("compute")
            )
            return None
        except (ZeroDivisionError, KeyError, TypeError, ValueError) as error:
            message = error.args[0] if error.args else str(error)
            self.errors.add(f"figure '{figure.name}': cannot compute: {message}", figure.at("compute"))
            return None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.errors.add(
                f"figure '{figure.name}': cannot compute: the result is not a number", figure.at("compute")
            )
            return None
        if not math.isfinite(value):
            self.errors.add(f"figure '{figure.name}': the computed value is not finite", figure.at("compute"))
            return None
        digits = whole_digits(value)
        if digits > MAX_NUMBER_DIGITS:
            self.errors.add(
                f"figure '{figure.name}': the computed value {too_many_digits(digits)}", figure.at("compute")
            )
            return None
        return value

    def _node(self, node: ast.AST, figure: Figure) -> float:
        fail = lambda message: ReportError(f"figure '{figure.name}': {message}", figure.at("compute"))  # noqa: E731
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            if not math.isfinite(node.value):
                raise fail("a number in the compute expression is not finite")
            return _bounded(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = self._node(node.left, figure), self._node(node.right, figure)
            return _bounded(_OPERATORS[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -self._node(node.operand, figure)
        if isinstance(node, ast.Name):
            return self._lookup(node.id, figure).number
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            period = node.slice
            if not isinstance(period, ast.Constant):
                raise fail("a series index must be a period such as [2021]")
            return self._lookup(node.value.id, figure).point(period.value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            function = FUNCTIONS.get(node.func.id)
            if function is None:
                raise fail(f"unknown function '{node.func.id}'{suggest(node.func.id, FUNCTIONS)}")
            return _bounded(function(*(self._node(arg, figure) for arg in node.args)))
        raise fail(f"'{ast.unparse(node)}' is not allowed in a compute expression")

    def _lookup(self, name: str, figure: Figure) -> Resolved:
        if name in self.data.broken:
            raise _DependsOnBroken()  # the broken entry reports its own problem
        if name not in self.data.figures:
            raise ReportError(
                f"figure '{figure.name}': unknown figure '{name}'{suggest(name, self.data.figures)}",
                figure.at("compute"),
            )
        resolved = self.resolve(name)
        if resolved is None:
            raise _DependsOnBroken()  # the broken figure reports its own problem
        if self.inputs:
            self.inputs[-1].append(resolved)
        return resolved


def resolve_figures(data: Data, settings: Settings, errors: ErrorCollector) -> dict[str, Resolved]:
    """Return every figure with its value, and record inconsistencies in `errors`."""
    evaluator = _Evaluator(data, errors)
    for name in data.figures:
        try:
            evaluator.resolve(name)
        except ReportError as error:
            errors.extend(error)
    values = {name: r for name, r in evaluator.resolved.items() if r is not None}
    _check_totals(data, values, errors)
    _check_references(data, settings, errors)
    return values


def _check_totals(data: Data, values: dict[str, Resolved], errors: ErrorCollector) -> None:
    for name, figure in data.figures.items():
        for kind, names in (("parts", figure.parts), ("includes", figure.includes)):
            if not names or name not in values:
                continue
            missing = [n for n in names if n not in data.figures]
            for n in missing:
                errors.add(
                    f"figure '{name}': unknown figure '{n}' in '{kind}'{suggest(n, data.figures)}",
                    figure.at(kind),
                )
            if missing or any(n not in values for n in names):
                continue
            total = values[name].number
            added = sum(values[n].number for n in names)
            listed = " + ".join(names)
            if kind == "parts" and not math.isclose(total, added, rel_tol=1e-9, abs_tol=1e-9):
                errors.add(
                    f"figure '{name}': the stated total {total:g} disagrees with its parts "
                    f"({listed} = {added:g})",
                    figure.at(kind),
                )
            if kind == "includes" and added > total + 1e-9:
                errors.add(
                    f"figure '{name}': the stated total {total:g} is smaller than the figures it "
                    f"includes ({listed} = {added:g})",
                    figure.at(kind),
                )


def _check_references(data: Data, settings: Settings, errors: ErrorCollector) -> None:
    """Every source, figure and table named by another entry must exist."""

    def require(owner: str, kind: str, name: str | None, registry: dict, where) -> None:
        if name and name not in registry and name not in data.broken:
            errors.add(f"{owner}: unknown {kind} '{name}'{suggest(name, registry)}", where)

    for figure in data.figures.values():
        require(f"figure '{figure.name}'", "source", figure.source, data.sources, figure.at("source"))
        if figure.unit and NAME.fullmatch(figure.unit) and figure.unit not in data.units:
            # A name, not words: meant as a declared noun (`units:`), so a typo must not print.
            errors.add(
                f"figure '{figure.name}': unknown unit '{figure.unit}'{suggest(figure.unit, data.units)} "
                "(declare it under 'units:', or write the unit in words)",
                figure.at("unit"),
            )
    for table in data.tables.values():
        require(f"table '{table.name}'", "source", table.source, data.sources, table.location)
        for name in table.figures:
            require(f"table '{table.name}'", "figure", name, data.figures, table.location)
    for quote in data.quotes.values():
        require(f"quote '{quote.name}'", "source", quote.source, data.sources, quote.location)
    for name in settings.key_figures:
        require("settings: key_figures", "figure", name, data.figures, settings.location)
