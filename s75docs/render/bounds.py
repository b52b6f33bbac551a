"""Size bounds on everything a firm's template builds, whatever the construct.

The time limit stops a runaway loop between two bytecodes, but not one C call that builds a
gigabyte (``'x'.center(10**9)``), nor memory filled faster than the clock runs out. So the
environment checks sizes where all template work passes, rather than method by method:

- every value an operator, a ``~`` or a call (method, filter, test, global, macro) returns holds
  at most MAX_VALUE characters or items, counted through nesting (a list of a thousand
  references to one long string counts it a thousand times, as printing it would);
- before a call runs, its inputs bound what it can build: a receiver of n characters padded,
  repeated, joined or replaced by arguments of size m makes at most about n * m, and a product
  over MAX_WORK is refused before the C code starts (an integer argument counts as a size);
- ``%`` and ``format`` are bounded by their fields' widths and the copies of each argument;
- one render prints at most MAX_OUTPUT characters, counted where each piece is printed (the
  output, a macro's value, a ``set`` block), so a loop of a million pieces stops at its line.

A size is counted with a budget, so checking a huge value costs no more than a small one.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from jinja2 import Template, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.environment import TemplateModule
from jinja2.exceptions import SecurityError

from s75docs.render.imports import ModuleScope, module, pure

MAX_VALUE = 1_000_000  # characters or items in one value a template builds
MAX_WORK = 1 << 26  # characters one operation may build on the way (64 MB of ASCII)
MAX_OUTPUT = 30_000_000  # characters one render prints, macros and blocks included (5 MB of
# budget table, the most an agreement may hold, prints about 6 MB)

_NUMBER = re.compile(r"\d+")
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")


_COUNTED = (bytes, int, list, tuple, set, frozenset, dict, range)  # what weight() looks into


class TemplateSizeError(SecurityError):
    """A template built, or was about to build, something too large."""


def weight(value: Any, budget: int = MAX_VALUE) -> int:
    """How big ``value`` is when printed or copied: characters of text, digits of a number,
    items of a container counted through nesting. Counting stops past ``budget``."""
    if isinstance(value, str):  # most values a template handles: no stack needed
        return len(value) or 1
    if type(value) is int:  # as the loop below counts one
        return value.bit_length() // 3 + 1
    if not isinstance(value, _COUNTED):  # data objects (a partner, an amount), None
        return 1
    total, stack = 0, [value]
    while stack and total <= budget:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item) or 1
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, (list, tuple, set, frozenset, dict, range)):
            total += 1
            if len(item) > budget - total:
                return total + len(item)
            if isinstance(item, dict):
                stack += item.keys()
                stack += item.values()
            elif not isinstance(item, range):
                stack += item
            else:
                total += len(item)
        else:
            total += 1  # data objects (a partner, an amount): bounded by the input files
    return total


def check(value: Any, what: str) -> Any:
    """``value``, if it is no larger than MAX_VALUE; else the error names ``what`` built it."""
    if too_heavy(value):
        raise TemplateSizeError(too_heavy_message(what))
    return value


def too_heavy(value: Any) -> bool:
    """Whether ``value`` holds over MAX_VALUE characters or items (see :func:`check`)."""
    if isinstance(value, str):
        return len(value) > MAX_VALUE
    return value is not None and value is not True and value is not False \
        and weight(value) > MAX_VALUE


def too_heavy_message(what: str) -> str:
    return f"{what} would hold over {MAX_VALUE:,} characters or items, too large for a template"


def _size(value: Any) -> int:
    """An argument's size: an integer counts as a length (a width, a count)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value)
    return weight(value)


def check_inputs(what: str, receiver: Any, args: Iterable[Any]) -> None:
    """Refuse a call whose inputs could build more than MAX_WORK (see the module's notes)."""
    if inputs_too_large(receiver, args):
        raise TemplateSizeError(inputs_message(what))


def inputs_too_large(receiver: Any, args: Iterable[Any]) -> bool:
    """Whether a call's inputs could build more than MAX_WORK (see the module's notes)."""
    base = len(receiver) or 1 if isinstance(receiver, str) else weight(receiver)
    if base > MAX_VALUE:
        return True
    total = 0
    for arg in args:
        size = len(arg) or 1 if isinstance(arg, str) else _size(arg)
        if size > MAX_WORK:
            return True
        total += size
    return (base + 1) * (total + 1) > MAX_WORK


def inputs_message(what: str) -> str:
    return f"{what} with inputs this large is too large for a template"


def check_format(what: str, template: str, marker: str, args: Iterable[Any]) -> None:
    """Refuse ``template % args`` or ``template.format(*args)`` that could build more than
    MAX_WORK: each of its fields is at most as wide as the widest number in it (a width,
    a precision) or as the largest argument, however often a field repeats an argument;
    an integer argument counts as a width when the template takes widths from arguments."""
    values = list(args)
    widths = [int(n[:10]) for n in _NUMBER.findall(template[:MAX_VALUE + 1])]
    starred = "*" in template if marker == "%" else bool(_NESTED_FIELD.search(template))
    sizes = [_size(v) if starred else weight(v) for v in values]
    field = max([1, *widths, *sizes])
    if len(template) > MAX_VALUE or template.count(marker) * field + len(template) > MAX_WORK:
        raise TemplateSizeError(f"{what} would build too much text for a template")


def guard(func: Any, what: str) -> Any:
    """A filter or test wrapped in the checks that ``call`` makes on a template's calls
    (Jinja calls filters and tests directly). A function given the context or environment
    first (``jinja_pass_arg``, which ``wraps`` copies) is checked on the arguments after it."""
    skip = 1 if hasattr(func, "jinja_pass_arg") else 0
    is_format = what == "the 'format' filter"

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        values = [*args[skip:], *kwargs.values()]
        receiver, rest = (values[0], values[1:]) if values else (None, [])
        if is_format and isinstance(receiver, str):
            check_format(what, receiver, "%", rest)
        elif inputs_too_large(receiver, rest):
            raise TemplateSizeError(inputs_message(what))
        result = func(*args, **kwargs)
        if too_heavy(result):
            raise TemplateSizeError(too_heavy_message(what))
        return result

    return guarded


_TEXT_HELPERS: set[Any] = set()
_Helper = TypeVar("_Helper", bound=Callable[..., Any])


def text_helper(func: _Helper) -> _Helper:
    """Mark one of our functions that templates call as one that, given only text, changes
    nothing and returns at most a few times the text it was given (a marker around a label,
    a line escaped): its calls with text are not weighed before they run (its
    result is). It must take no context (``pass_context``); it is marked pure as well."""
    if hasattr(func, "jinja_pass_arg"):
        raise TypeError(f"{func!r} takes a context: not a text helper")
    _TEXT_HELPERS.add(pure(func))
    return func


def is_text_helper(func: Any) -> bool:
    return func in _TEXT_HELPERS


def format_arguments(right: Any) -> list[Any]:
    """The values ``%`` formats: a tuple's items, a mapping's values, or the one value."""
    if isinstance(right, tuple):
        return list(right)
    if isinstance(right, Mapping):
        return list(right.values())
    return [right]


class _Output(threading.local):
    size: int | None = None  # characters printed by the render running in this thread


_OUTPUT = _Output()


def count_output(text: str) -> str:
    """``text``, counted against MAX_OUTPUT as a template prints it (into the output, a macro's
    value or a ``set`` block): called where it is printed, so the error names that line."""
    if _OUTPUT.size is not None:
        _OUTPUT.size += len(text) or 1
        if _OUTPUT.size > MAX_OUTPUT:
            raise TemplateSizeError(f"the template printed over {MAX_OUTPUT:,} characters, "
                                    "too large for an agreement")
    return text


class BoundedTemplate(Template):
    """A template whose ``render`` counts what it prints (see :func:`count_output`), and whose
    imports with context are made once a render where nothing could tell (:mod:`.imports`)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        outer, _OUTPUT.size = _OUTPUT.size, 0
        try:
            with ModuleScope():
                return super().render(*args, **kwargs)
        finally:
            _OUTPUT.size = outer

    def make_module(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> TemplateModule:
        return module(self, vars, shared, locals)


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with ``~`` and each piece printed going through the environment
    (``environment.join_values``, ``environment.count_output``) so that both are bounded.
    The text of an included template or a block is counted where it is printed, not again
    where it is passed on."""

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return f"environment.count_output({super()._output_const_repr(group)})"

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if _prints_value(frame, finalize):
            self.write("environment.print_value(")
            return
        self.write("environment.count_output(")
        super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if _prints_value(frame, finalize):
            self.write(")")
            return
        super()._output_child_post(node, frame, finalize)
        self.write(")")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 (Jinja's)
        self.write("environment.join_values((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("), context.eval_ctx.autoescape)")


def _prints_value(frame: Frame, finalize: Any) -> bool:
    """Whether a ``{{ value }}`` compiles to one ``environment.print_value(value)``: where it
    would be ``count_output(escape(environment.finalize(value)))`` (autoescaping on for good,
    the environment's own ``finalize``), which ``print_value`` does in one call."""
    return not frame.eval_ctx.volatile and bool(frame.eval_ctx.autoescape) \
        and finalize.src == "environment.finalize("
