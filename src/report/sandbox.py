"""The one sandbox every template runs in: narrative sections and template overrides alike.

Templates come from many hands and are not trusted. What they can reach is plain values
(numbers, text, dates, lists, mappings), read-only records of plain values (`Exposed`),
and the project's own helper functions; never a Python object with methods that touch
files or the interpreter. Every attribute and every call goes through an allow-list,
not a deny-list, so a new object type is closed until it is opened on purpose.

Work is bounded too: loop iterations and calls (steps), the characters that operations
build, the length of any one value, the size of numbers, and the nesting of brackets.
Each limit ends the render with a ReportError that the caller locates in its file.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
import types
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, ClassVar

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace
from markupsafe import Markup

from . import limits
from .errors import ReportError

# Jinja's own filters that only read, sort or slice what they are given. Left out: those
# that pad or repeat (center, indent, wordwrap, format), that serialise objects (pprint,
# tojson, xmlattr) and that are random (random). `replace` and `join` are wrapped below.
SAFE_FILTERS = frozenset(
    "abs attr batch capitalize count d default dictsort e escape first float forceescape groupby int "
    "items join last length list lower map max min reject rejectattr replace reverse round safe select "
    "selectattr slice sort string striptags sum title trim truncate unique upper wordcount".split()
)

# Methods of plain values a template may call: none of them builds more than it was given.
_TEXT_METHODS = frozenset(
    "capitalize count endswith find isalnum isalpha isdecimal isdigit islower isnumeric isspace istitle "
    "isupper lower lstrip rfind rsplit rstrip split splitlines startswith strip title upper".split()
)
SAFE_METHODS: tuple[tuple[type | tuple[type, ...], frozenset[str]], ...] = (
    (str, _TEXT_METHODS),
    (dict, frozenset({"items", "keys", "values", "get"})),
    ((list, tuple), frozenset({"count", "index"})),
    (date, frozenset({"isoformat", "year", "month", "day", "weekday", "isoweekday"})),
    ((int, float), frozenset({"real", "imag", "is_integer"})),
)

_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "**": operator.pow,
    "%": operator.mod,
}


class Exposed:
    """A read-only value a template may see: only the fields named in `exposes` are reachable."""

    TEMPLATE_FIELDS: ClassVar[frozenset[str]] = frozenset()

    def exposes(self, name: str) -> bool:
        return name in self.TEMPLATE_FIELDS

    def template_number(self) -> float | None:
        """The number this value stands for in arithmetic, if it is a number."""
        return None


class View(Exposed):
    """A record of plain values: all a template sees of a dataclass or settings object."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        object.__setattr__(self, "_fields", fields)

    def exposes(self, name: str) -> bool:
        return name in self._fields

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._fields[name]

    def __contains__(self, name: object) -> bool:
        return name in self._fields

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("read-only")


def helper(function: Callable) -> Callable:
    """Mark a function of ours as callable from templates."""
    function.report_helper = True  # type: ignore[attr-defined]
    return function


def plain(value: Any, hidden: frozenset[str] = frozenset({"location", "path"})) -> Any:
    """Turn a pipeline value into what a template may see: plain values, Views, Exposed values.

    Anything else is a bug in report (a new object type passed without thought), so it
    fails loudly here instead of reaching a template.
    """
    if value is None or isinstance(value, (bool, int, float, str, date, Exposed)):
        return value
    if isinstance(value, types.FunctionType) and getattr(value, "report_helper", False):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in hidden
        }
        for name in getattr(value, "TEMPLATE_PROPERTIES", ()):
            fields[name] = plain(getattr(value, name))
        return View(fields)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    raise TypeError(f"{type(value).__name__} cannot be shown to a template")


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every `~` concatenation measured."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.measure(")
        super().visit_Concat(node, frame)
        self.write(")")


# Compiled templates and parsed trees by source and settings (ReportSandbox.compile and
# .parse), for this process.
_COMPILED: dict[tuple, Any] = {}
_COMPILED_MOST = 1024


class ReportSandbox(SandboxedEnvironment):
    """A sandboxed Jinja environment that sees plain values only and does bounded work."""

    code_generator_class = _BoundedCodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(undefined=StrictUndefined, **options)
        builtin = {name: f for name, f in self.filters.items() if name in SAFE_FILTERS}
        builtin["replace"] = _replace
        builtin["join"] = _sized_join(builtin["join"])
        self.filters = {name: self._bounded_filter(f) for name, f in builtin.items()}
        self.globals = {"range": _bounded_range, "namespace": Namespace, "dict": dict}
        self._steps = 0
        self._characters = 0
        self._renders = 0

    # -- what a template may reach -------------------------------------------------------

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        if isinstance(obj, Exposed):
            return obj.exposes(attr)
        if isinstance(obj, (LoopContext, Namespace)):
            return True
        return any(isinstance(obj, kind) and attr in names for kind, names in SAFE_METHODS)

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, (Macro, LoopContext)) or obj is Namespace or obj is dict:
            return True
        if isinstance(obj, (types.FunctionType, types.MethodType)) and getattr(obj, "report_helper", False):
            return True
        owner = getattr(obj, "__self__", None)
        if owner is self or isinstance(owner, LoopContext):
            return True
        name = getattr(obj, "__name__", "")
        return any(isinstance(owner, kind) and name in names for kind, names in SAFE_METHODS)

    def wrap_str_format(self, value: Any) -> None:
        # str.format can pad to any width; it is not on the method allow-list either.
        return None

    # -- bounded work ----------------------------------------------------------------------

    def render_bounded(self, template: Any, context: dict[str, Any], limit: int) -> str:
        """Render with the step and size budgets; nested renders share the outer budget."""
        if self._renders == 0:
            self._steps = 0
            self._characters = 0
        self._renders += 1
        try:
            pieces = []
            produced = 0
            for piece in template.generate(context):
                produced += len(piece)
                if produced > limit:
                    raise ReportError(f"the template produces more than {limit:,} characters")
                self._count_characters(len(piece))
                pieces.append(piece)
            return "".join(pieces)
        finally:
            self._renders -= 1

    def step(self) -> None:
        self._steps += 1
        if self._steps > limits.MAX_TEMPLATE_STEPS:
            raise ReportError(
                f"the template does too much work: more than {limits.MAX_TEMPLATE_STEPS:,} loop "
                "iterations and calls"
            )

    def _count_characters(self, count: int) -> None:
        self._characters += count
        if self._characters > limits.MAX_TEMPLATE_CHARACTERS:
            raise ReportError(
                f"the template builds more than {limits.MAX_TEMPLATE_CHARACTERS:,} characters of text"
            )

    def measure(self, value: Any) -> Any:
        """Check a value a template built: its length, and its share of the budget (a list's items count)."""
        if isinstance(value, (str, list, tuple)):
            if len(value) > limits.MAX_TEMPLATE_VALUE:
                raise ReportError(f"a value longer than {limits.MAX_TEMPLATE_VALUE:,} characters or items")
            self._count_characters(len(value))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            check_number(value)
        return value

    def _bounded_filter(self, function: Callable) -> Callable:
        """A filter whose whole-number options and result are measured like any other value."""
        # The value filtered comes after the context argument that some filters take.
        first_option = 2 if getattr(function, "jinja_pass_arg", None) else 1

        def bounded(*args: Any, **kwargs: Any) -> Any:
            for option in (*args[first_option:], *kwargs.values()):
                if _is_number(option) and abs(option) > limits.MAX_TEMPLATE_VALUE:
                    raise ReportError(
                        f"the '{function.__name__}' filter was given a number that is too large"
                    )
            return self.measure(function(*args, **kwargs))

        # What functools.wraps would copy that Jinja reads (the argument it passes first), without
        # its cost: about 0.4 ms a filter, with 90 filters wrapped on every build.
        bounded.__name__ = getattr(function, "__name__", "filter")
        bounded.__doc__ = function.__doc__
        bounded.__dict__.update(getattr(function, "__dict__", {}))
        return bounded

    def searched(self, container: Any) -> Any:
        """A container about to be searched with `in`: its size counts toward the budget.

        Each item may be compared in full, so a list of long texts costs their length.
        """
        if isinstance(container, (str, list, tuple, dict, set, frozenset)):
            cost = len(container)
            if isinstance(container, (list, tuple)):
                cost += sum(len(item) for item in container if isinstance(item, str))
            self._count_characters(cost)
        return container

    def counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Iterate a loop's items, one step each."""
        for item in iterable:
            self.step()
            yield item

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self.step()
        if isinstance(__obj, Undefined):
            __obj._fail_with_undefined_error()  # says which attribute was refused
        return __self.measure(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        left, right = _number_of(left), _number_of(right)
        if operator == "%" and isinstance(left, str):
            raise ReportError("'%' formatting is not available in templates; use the number filters")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
                    if len(sequence) * max(times, 0) > limits.MAX_TEMPLATE_VALUE:
                        raise ReportError(
                            f"a value longer than {limits.MAX_TEMPLATE_VALUE:,} characters or items"
                        )
        if operator == "**" and _is_number(left) and _is_number(right):
            if abs(left) > 1 and right > 0 and right * math.log10(abs(left)) > limits.MAX_NUMBER_DIGITS:
                raise ReportError(f"a number with more than {limits.MAX_NUMBER_DIGITS} digits")
        return self.measure(_BINOPS[operator](left, right))

    intercepted_binops = frozenset(_BINOPS)

    # -- parsing ---------------------------------------------------------------------------

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[override]
        """Compile once per process: `--watch` rebuilds with unchanged sections and templates
        skip the parse and code generation (a sixth of a rebuild)."""
        if raw or not isinstance(source, str):
            return super().compile(source, name, filename, raw, defer_init)
        key = (self._compiled_key(name), source, name, filename, defer_init)
        code = _COMPILED.get(key)
        if code is None:
            code = super().compile(source, name, filename, raw, defer_init)
            if len(_COMPILED) >= _COMPILED_MOST:
                _COMPILED.clear()
            _COMPILED[key] = code
        return code

    def parse(self, source, name=None, filename=None):  # type: ignore[override]
        """Parse once per process (the tree is only read: checks and chart references)."""
        key = ("parse", self._compiled_key(name), source, name, filename)
        tree = _COMPILED.get(key)
        if tree is None:
            tree = super().parse(source, name, filename)
            if len(_COMPILED) >= _COMPILED_MOST:
                _COMPILED.clear()
            _COMPILED[key] = tree
        return tree

    def _compiled_key(self, name: str | None) -> tuple:
        """Every setting the generated code depends on."""
        autoescape = self.autoescape(name) if callable(self.autoescape) else self.autoescape
        finalize = self.finalize
        finalize_kind = None if finalize is None else getattr(finalize, "jinja_pass_arg", "plain")
        return (
            type(self),
            bool(autoescape),
            str(finalize_kind),
            self.optimized,
            tuple(sorted(self.extensions)),
            self.block_start_string, self.block_end_string,
            self.variable_start_string, self.variable_end_string,
            self.comment_start_string, self.comment_end_string,
            self.line_statement_prefix, self.line_comment_prefix,
            self.trim_blocks, self.lstrip_blocks, self.newline_sequence, self.keep_trailing_newline,
        )  # fmt: skip

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        _check_nesting(self, source, name, filename)
        tree = super()._parse(source, name, filename)
        for const in tree.find_all(nodes.Const):
            if _is_number(const.value):
                try:
                    check_number(const.value)
                except ReportError as error:  # 1e400 would even be compiled as a name, `inf`
                    raise TemplateSyntaxError(error.message, const.lineno, name, filename) from None
        for compare in tree.find_all(nodes.Compare):
            # `a in b` compares a with every item of b: measured like any other work.
            for operand in compare.ops:
                if operand.op in ("in", "notin"):
                    operand.expr = nodes.Call(
                        nodes.EnvironmentAttribute("searched"),
                        [operand.expr],
                        [],
                        None,
                        None,
                        lineno=compare.lineno,
                    )
        for loop in tree.find_all(nodes.For):
            if loop.recursive:
                message = "recursive loops are not available in templates"
                raise TemplateSyntaxError(message, loop.lineno, name, filename)
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("counted"), [loop.iter], [], None, None, lineno=loop.lineno
            )
        return tree


@helper
def _bounded_range(*args: int) -> range:
    values = range(*args)
    if len(values) > limits.MAX_TEMPLATE_VALUE:
        raise ReportError(f"range() of more than {limits.MAX_TEMPLATE_VALUE:,} numbers")
    return values


def _check_nesting(env: SandboxedEnvironment, source: str, name: str | None, filename: str | None) -> None:
    """Refuse brackets nested past the limit before the recursive parser meets them."""
    depth = 0
    for line, kind, value in env.lex(source, name, filename):
        if kind != "operator":
            continue
        if value in ("(", "[", "{"):
            depth += 1
            if depth > limits.MAX_TEMPLATE_DEPTH:
                message = f"brackets nested more than {limits.MAX_TEMPLATE_DEPTH} deep"
                raise TemplateSyntaxError(message, line, name, filename)
        elif value in (")", "]", "}"):
            depth = max(depth - 1, 0)


def check_number(value: float) -> float:
    if isinstance(value, float) and not math.isfinite(value):
        raise ReportError("not a finite number")
    if abs(value) >= 10**limits.MAX_NUMBER_DIGITS:
        raise ReportError(f"a number with more than {limits.MAX_NUMBER_DIGITS} digits")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_of(value: Any) -> Any:
    number = value.template_number() if isinstance(value, Exposed) else None
    return value if number is None else number


def _sized_join(join: Callable) -> Callable:
    """Jinja's join, refused before it builds a text past the value limit."""

    @functools.wraps(join)
    def sized(*args: Any, **kwargs: Any) -> Any:
        pass_arg = args[:1] if getattr(join, "jinja_pass_arg", None) else ()
        value, rest = args[len(pass_arg)], args[len(pass_arg) + 1 :]
        items = list(value)[: limits.MAX_TEMPLATE_VALUE + 1]
        separator = str(rest[0] if rest else kwargs.get("d", ""))
        size = sum(len(str(item)) for item in items) + len(separator) * max(len(items) - 1, 0)
        if size > limits.MAX_TEMPLATE_VALUE:
            raise ReportError(f"a value longer than {limits.MAX_TEMPLATE_VALUE:,} characters or items")
        return join(*pass_arg, items, *rest, **kwargs)

    return sized


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    """Jinja's replace, refused before it builds a text past the value limit."""
    text, old, new = str(value), str(old), str(new)
    times = (len(text) + 1 if not old else text.count(old)) if count is None else max(count, 0)
    if len(text) + times * max(len(new) - len(old), 0) > limits.MAX_TEMPLATE_VALUE:
        raise ReportError(f"a value longer than {limits.MAX_TEMPLATE_VALUE:,} characters or items")
    # Markup.replace escapes what it inserts, as Jinja's own filter does.
    target = value if isinstance(value, Markup) else text
    return target.replace(old, new, -1 if count is None else count)
