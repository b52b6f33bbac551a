"""Jinja2 templates of clause text in, one Markdown string out.

The environment is sandboxed and strict: a missing value, a ``None``, a list or a raw Decimal
printed into the text fails the build with the template's name and line. Every value printed is
escaped for Markdown, so data is always data: a ``{{`` or ``*`` in a party's name is printed,
never evaluated. Our own markers (cross-references, defined terms, open points) come only from
the helper functions below, as :class:`Safe` strings the escaper leaves alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
import sys
import traceback
import types
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from jinja2.runtime import Macro, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from s75docs.constants import BUILTIN_TEMPLATES
from s75docs.errors import Finding, S75Error
from s75docs.model.money import Period, format_money
from s75docs.render.bounds import (
    MAX_VALUE,
    BoundedCodeGenerator,
    BoundedTemplate,
    TemplateSizeError,
    check,
    check_format,
    check_inputs,
    count_output,
    format_arguments,
    guard,
    inputs_message,
    inputs_too_large,
    is_text_helper,
    text_helper,
    too_heavy,
    too_heavy_message,
)
from s75docs.render.folders import listing
from s75docs.render.imports import (
    READ_ONLY_METHODS,
    RenderNamespace,
    changed,
    changes_nothing,
    pure,
)
from s75docs.render.limits import time_limit

RENDER_SECONDS = 20.0  # S75DOCS_RENDER_SECONDS overrides it (a lower bound for tests, say)
SECONDS_PER_MB = 4.0  # more for each megabyte of data: a 5 MB budget table renders, reads
# and checks in about 5 s on a shared 2-core machine (bench/big_csv.py), so 40 s leaves room

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                "seventeen", "eighteen", "nineteen", "twenty")

_SPACE = re.compile(r"\s+")
# Each character Markdown or our markers could read, mapped to itself after a backslash: one
# ``str.translate`` escapes them all in C (a substitution called Python once a character).
_ESCAPES = {ord(c): "\\" + c for c in "\\`*_{}[]<>()#+-.!|~&:"}


class Safe(Markup):
    """Markdown that is already safe: our helpers' markers, escaped values, macro output.

    The environment autoescapes, so Jinja itself keeps such text from being escaped twice
    (a macro's or ``caller()``'s output is safe too); ``finalize`` escapes everything else.
    """


# ``Safe(text)`` for a plain ``str``: Markup's own ``__new__`` only looks for ``__html__`` and an
# encoding first, which a plain string has not.
_new_safe = str.__new__


def escape_markdown(text: str) -> str:
    """Backslash-escape everything Markdown or our markers could read; fold line breaks and
    runs of white space into single spaces (a value never breaks a paragraph)."""
    if "  " in text or not text.isprintable():  # else its only white space is single spaces
        text = _SPACE.sub(" ", text)
    return text.translate(_ESCAPES)


def long_date(value: dt.date) -> str:
    """``1 April 2022``: locale-independent, so builds are identical everywhere."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def short_date(value: dt.date) -> str:
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


def number_words(count: int) -> str:
    return NUMBER_WORDS[count] if 0 <= count < len(NUMBER_WORDS) else str(count)


def period_words(value: Period) -> str:
    """``six months``, ``30 days``, ``one month``."""
    unit = value.unit[:-1] if value.count == 1 else value.unit
    return f"{number_words(value.count)} {unit}"


def notice_words(value: Period) -> str:
    """``six months'``, ``one month's``, ``30 days'``: ready to be followed by "notice"."""
    return period_words(value) + ("'s" if value.count == 1 else "'")


def join_and(items: list[Any], conjunction: str = "and") -> Safe:
    """``A, B and C``; each item printed through the same escaping as any value."""
    parts = [finalize(item) for item in items]
    if not parts:
        raise ValueError("join_and was given an empty list")
    if len(parts) == 1:
        return Safe(parts[0])
    return Safe(", ".join(parts[:-1]) + f" {conjunction} " + parts[-1])


def percent(value: Decimal) -> str:
    """``51%``, ``45.5%``, ``37.42%``: at most two decimal places, no trailing zeros."""
    rounded = Decimal(value).quantize(Decimal("0.01")).normalize()
    return f"{format(rounded, 'f')}%"


@text_helper
def open_point(note: str) -> Safe:
    """An open point: rendered as a highlighted ``[note]`` and listed in open-points.md."""
    return Safe("{?" + escape_markdown(note) + "}")


@text_helper
def ref(label: str) -> Safe:
    """A cross-reference to a labelled clause: becomes "clause 22.2" after numbering."""
    _check_label(label)
    return Safe("{@" + label + "}")


@text_helper
def label(name: str) -> Safe:
    """Gives the clause this marker stands in a label that ``ref`` can name."""
    _check_label(name)
    return Safe("{#" + name + "}")


@text_helper
def define(term: str) -> Safe:
    """Marks the defining occurrence of a term in the definitions clause."""
    return Safe("{=" + escape_markdown(term) + "}")


def _check_label(name: str) -> None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise ValueError(f"label {name!r}: use lower-case letters, digits, '.', '-' or '_'")


def finalize(value: Any) -> Markup:
    """What ``{{ value }}`` prints: escaped text, or a clear error for values that must not print."""
    if type(value) is str:  # the most common value by far (every cell of a budget table)
        return _new_safe(Safe, escape_markdown(value))
    if isinstance(value, Markup):
        return value
    from s75docs.model.agreement import OpenPoint

    if isinstance(value, jinja2.Undefined):
        return Markup(str(value))  # StrictUndefined raises here
    if isinstance(value, OpenPoint):
        return open_point(value.to_be_agreed)
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} cannot be printed into an agreement; test it with 'if' instead")
    if isinstance(value, Decimal):
        raise ValueError(f"the amount {value} must go through the 'money' or 'percent' filter")
    if isinstance(value, dt.date):
        return Safe(long_date(value))
    if isinstance(value, Period):
        return Safe(period_words(value))
    if isinstance(value, (list, tuple, dict, set)):
        raise ValueError("a list cannot be printed directly; loop over it or use 'join_and'")
    if isinstance(value, (int, str)):
        return Safe(escape_markdown(str(value)))
    raise ValueError(f"a {type(value).__name__} cannot be printed into an agreement")


def _money_filter(value: Any, pence: bool | None = None) -> str:
    if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
        raise ValueError(f"money filter expects an amount, got {type(value).__name__}")
    return format_money(Decimal(value), pence=pence)


class BoundedEnvironment(SandboxedEnvironment):
    """The sandbox, with every value a template builds and all it prints bounded in size
    (:mod:`s75docs.render.bounds`): operators, ``~``, calls of methods and helpers, filters and
    tests (wrapped in :func:`make_environment`), ``%`` and ``format``, and the output."""

    code_generator_class = BoundedCodeGenerator
    template_class = BoundedTemplate
    intercepted_binops = frozenset({"+", "*", "%", "**"})
    count_output = staticmethod(count_output)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._attribute_safety: dict[tuple[type, str], bool] = {}

    def getattr(self, obj: Any, attribute: str) -> Any:
        """The sandbox's ``obj.attribute``, with its verdict on an attribute remembered by the
        object's class: :meth:`is_safe_attribute` judges by the name and the kind of object
        (a function, a method, a class, a frame ...), never by the value, and a template reads
        the same few attributes of the same few classes thousands of times."""
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        if isinstance(value, _METHODS):
            wrapped = self.wrap_str_format(value)
            if wrapped is not None:
                return wrapped
        cls = type(obj)
        safe = self._attribute_safety.get((cls, attribute))
        if safe is None:
            safe = self.is_safe_attribute(obj, attribute, value)
            if obj.__class__ is cls:  # a class that claims another is judged afresh each time
                self._attribute_safety[cls, attribute] = safe
        return value if safe else self.unsafe_undefined(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        what = f"'{operator}'"
        if _is_int(left) and _is_int(right):
            if operator == "**" and abs(left) > 1 and right > 0 \
                    and left.bit_length() * right > MAX_VALUE * 4:
                raise TemplateSizeError("the power is too large for a template")
            if operator == "*" and left.bit_length() + right.bit_length() > MAX_VALUE * 4:
                raise TemplateSizeError("the product is too large for a template")
        elif operator == "%" and isinstance(left, str):
            check_format(what, left, "%", format_arguments(right))
        elif operator in ("*", "**"):
            check_inputs(what, left, [right])
        return check(super().call_binop(context, operator, left, right), what)

    @staticmethod
    def print_value(value: Any) -> str:
        """``{{ value }}`` as printed (see BoundedCodeGenerator): finalized, escaped and counted.
        ``finalize`` returns Markup, which escaping would only copy."""
        text = finalize(value)
        if type(text) is not Safe and type(text) is not Markup:
            text = markupsafe.escape(text)
        return count_output(text)

    def join_values(self, items: tuple[Any, ...], autoescape: bool) -> str:
        """What ``a ~ b`` compiles to (see BoundedCodeGenerator): Jinja's own join, bounded."""
        check(items, "'~'")
        joined: str = check(markup_join(items) if autoescape else str_join(items), "'~'")
        return joined

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """A template's call, bounded (see :mod:`.bounds`). The commonest calls, which cannot
        build more than their inputs hold, go straight to the callable (see :func:`_direct`);
        every result is still checked."""
        if _direct(__obj, args, kwargs):
            if kwargs:  # the loop's and block's variables, which only a context would take
                kwargs.pop("_loop_vars", None)
                kwargs.pop("_block_vars", None)
            try:
                result = __obj(*args, **kwargs)
            except StopIteration:  # as Jinja's Context.call
                return __self.undefined("value was undefined because a callable raised a"
                                        " StopIteration exception")
            if too_heavy(result):
                raise TemplateSizeError(too_heavy_message(_called(__obj)))
            return result
        values = [*args, *kwargs.values()] if kwargs else list(args)
        method = getattr(__obj, "__wrapped__", __obj)  # str.format comes sandbox-wrapped
        receiver = getattr(method, "__self__", None)
        if isinstance(receiver, str) and method.__name__ in ("format", "format_map"):
            check_format(_called(__obj), receiver, "{", format_arguments(args[0]) if
                         method.__name__ == "format_map" and args else values)
        elif not isinstance(__obj, jinja2.runtime.Macro):  # a macro's own work is checked
            if receiver is None or isinstance(receiver, types.ModuleType):
                receiver, values = (values[0], values[1:]) if values else (None, [])
            if inputs_too_large(receiver, values):
                raise TemplateSizeError(inputs_message(_called(__obj)))
        pure = changes_nothing(__obj)
        if not pure:
            changed()
        result = super().call(__context, __obj, *args, **kwargs)
        if not pure:
            changed()
        if isinstance(receiver, (list, dict, set)) and len(receiver) > MAX_VALUE:
            raise TemplateSizeError(f"{_called(__obj)} made a list over {MAX_VALUE:,} items "
                                    "long, too large for a template")
        if too_heavy(result):
            raise TemplateSizeError(too_heavy_message(_called(__obj)))
        return result


# Methods of text that return the text or less of it (or a test of it): given only text, one
# builds at most about what its inputs hold, so no call of one need be weighed beforehand.
_SHRINKING = frozenset({"strip", "lstrip", "rstrip", "startswith", "endswith", "islower",
                        "isupper", "isalpha", "isdigit", "isspace", "istitle", "isalnum"})
_LOOP_KEYWORDS = frozenset({"_loop_vars", "_block_vars"})


def _direct(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a template's call may skip the sandbox's plumbing and the weighing of its
    inputs: a macro (whose own work is checked as it goes, and which changes nothing), one of
    our text helpers given only text (:func:`~s75docs.render.bounds.text_helper`), a
    shrinking method of a text given only text, or a method that only reads a dict or list
    (``get``, ``items``, ``index`` ...: it returns what the container holds, a view of it or
    a copy, never more). Each of these is safe to call, takes no context, changes no object
    and builds at most a few times what its inputs hold; its result is checked all the same.
    Any other call takes the full path."""
    kind = type(obj)
    if kind is Macro:
        return True
    if kwargs and not _LOOP_KEYWORDS.issuperset(kwargs):
        return False
    if kind is types.FunctionType:
        if not is_text_helper(obj):
            return False
    elif kind is not types.BuiltinMethodType:
        return False
    else:
        receiver = type(obj.__self__)
        if receiver is dict or receiver is list:  # (only a loop's keywords: dropped in call)
            return obj.__name__ in READ_ONLY_METHODS
        if receiver is not str or obj.__name__ not in _SHRINKING:
            return False
    for arg in args:
        if not isinstance(arg, str):
            return False
    return True


def _called(obj: Any) -> str:
    """How an error names a call: ``rstrip()``, ``ref()`` (worked out only for the error)."""
    return f"{getattr(obj, '__name__', type(obj).__name__)}()"


_METHODS = (types.MethodType, types.BuiltinMethodType)  # what wrap_str_format looks at


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


MAX_TEMPLATE_FILE = 1_000_000  # bytes: the largest built-in template is under 20,000


class TemplateFileError(jinja2.exceptions.SecurityError):
    """A template file that must not be read: a link out of its folder, or far too big."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


class FolderLoader(jinja2.FileSystemLoader):
    """Jinja's file loader, except that a template must lie inside its folder once links are
    followed. An agreement's ``templates:`` folder is shared data: a link in it to a file
    elsewhere (``/etc/passwd``, another client's agreement) would print that file into the
    agreement. Checked before the file is opened, for ``include`` and ``import`` too."""

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Any]:
        pieces = jinja2.loaders.split_template_path(template)
        for folder in self.searchpath:
            path = os.path.join(folder, *pieces)
            if not os.path.isfile(path):
                continue
            real, root = os.path.realpath(path), os.path.realpath(folder)
            if os.path.commonpath([real, root]) != root:
                raise TemplateFileError(f"{template} in {folder} is a link to {real}, outside "
                                        "its template folder", template)
            if os.path.getsize(real) > MAX_TEMPLATE_FILE:
                raise TemplateFileError(f"{template} in {folder} is over {MAX_TEMPLATE_FILE:,} "
                                        "bytes, too big for a template", template)
            break
        return super().get_source(environment, template)


def make_environment(template_dirs: list[Path]) -> SandboxedEnvironment:
    """A sandboxed, strict environment over the firm's folders first, then the built-in one."""
    env = BoundedEnvironment(
        loader=FolderLoader([str(d) for d in template_dirs]),
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=bytecode_cache(),
    )
    env.filters.update(
        money=_money_filter,
        date=long_date,
        short_date=short_date,
        period=period_words,
        notice=notice_words,
        words=number_words,
        join_and=join_and,
        percent=percent,
        md=escape_markdown,
    )
    env.globals.update(ref=ref, label=label, define=define, open_point=open_point,
                       join_and=join_and, namespace=RenderNamespace)
    for value in env.globals.values():  # ours, and Jinja's range, dict, cycler, joiner ...
        pure(value)  # (they make new objects; a cycler's own methods are judged as called)
    env.filters = {name: guard(f, f"the '{name}' filter") for name, f in env.filters.items()}
    env.tests = {name: guard(f, f"the '{name}' test") for name, f in env.tests.items()}
    return env


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's on-disk cache, but a cache that cannot be read or written is just not used."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs, so a one-off ``build`` does not compile ~50 files.

    Entries are keyed by template file and source checksum (Jinja's own scheme), in a private
    folder named after this module and :mod:`bounds`, the Jinja version and the Python version,
    since the compiled code depends on the environment set up here. ``S75DOCS_NO_CACHE=1``
    turns it off.
    """
    if os.environ.get("S75DOCS_NO_CACHE") or not hasattr(os, "getuid"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    from s75docs.render import bounds  # it compiles ``~`` and output buffers

    key = hashlib.sha256(f"{jinja2.__version__}\0{sys.version}\0".encode()
                         + Path(__file__).read_bytes()
                         + Path(bounds.__file__).read_bytes()).hexdigest()[:16]
    folder = Path(base) / "s75docs" / f"jinja-{key}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    if info.st_uid != os.getuid() or not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o077:
        return None  # a folder others can write to could hand us code to run
    return _QuietBytecodeCache(str(folder), "%s.cache")


_ENVIRONMENTS: dict[tuple[str, ...], tuple[tuple[object, ...], SandboxedEnvironment]] = {}


def _folder_state(template_dirs: list[Path]) -> tuple[object, ...]:
    """Every file in the search path with its size, modification time and inode: cheap to take
    (the folders' listing), and it changes when a template is edited, added or removed."""
    return tuple((str(folder), name, status.st_size, status.st_mtime_ns, status.st_ino)
                 for folder in template_dirs
                 for name, (_, status) in sorted(listing(folder).items()))


def environment(template_dirs: list[Path]) -> SandboxedEnvironment:
    """One compiled environment per template search path, reused across agreements while its
    folders are unchanged (an edited template is compiled afresh, even in a long-lived process;
    within :func:`~s75docs.render.folders.folders_fixed`, as they were at its first listing)."""
    key = tuple(str(d.resolve()) for d in template_dirs)
    state = _folder_state(template_dirs)
    cached = _ENVIRONMENTS.get(key)
    if cached is None or cached[0] != state:
        _ENVIRONMENTS[key] = cached = (state, make_environment(template_dirs))
    return cached[1]


def template_dirs(extra: list[Path] | None = None) -> list[Path]:
    return [*(extra or []), BUILTIN_TEMPLATES]


def _template_frame(exc: BaseException, dirs: list[Path]) -> tuple[str | None, int | None]:
    """The innermost template file and line in a traceback (Jinja maps frames to templates)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        name = _relative_template(frame.filename, dirs) if frame.filename else None
        if name is not None:
            found = (name, frame.lineno)
    return found


def render_template(name: str, context: dict[str, Any], dirs: list[Path],
                    seconds: float | None = None) -> str:
    """Render one template to Markdown; any failure names the template and line.

    ``seconds`` bounds the time (default: ``S75DOCS_RENDER_SECONDS``, else RENDER_SECONDS).
    """
    if seconds is None:
        seconds = render_seconds()
    env = environment(dirs)
    try:
        with time_limit(seconds):
            return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise S75Error(Finding("error", f"template syntax error: {exc.message}",
                               exc.filename and _relative_template(exc.filename, dirs)
                               or exc.name,
                               line=exc.lineno, code="template")) from exc
    except TemplateFileError as exc:
        raise S75Error(Finding("error", f"template refused: {exc}", exc.name,
                               code="template")) from exc
    except jinja2.TemplateNotFound as exc:
        raise S75Error(Finding("error", f"template not found: {exc.name}", name,
                               code="template")) from exc
    except jinja2.exceptions.SecurityError as exc:
        file, line = _template_frame(exc, dirs)
        raise S75Error(Finding("error", f"template tried something unsafe and was stopped: {exc}",
                               file or name, line=line, code="template")) from exc
    except (jinja2.UndefinedError, ValueError, TypeError, KeyError, AttributeError,
            ArithmeticError, TimeoutError, RecursionError, MemoryError) as exc:
        file, line = _template_frame(exc, dirs)
        raise S75Error(Finding("error", f"template failed: {exc}", file or name, line=line,
                               code="template")) from exc


def render_seconds(data_bytes: int = 0) -> float:
    """The time limit for rendering and checking: ``S75DOCS_RENDER_SECONDS`` if set, else
    RENDER_SECONDS plus SECONDS_PER_MB for each megabyte of the agreement's data (the tree and
    the checks of a 5 MB budget table take a few seconds; a runaway template over a small
    agreement is still stopped within seconds)."""
    text = os.environ.get("S75DOCS_RENDER_SECONDS", "").strip()
    if not text:
        return RENDER_SECONDS + round(SECONDS_PER_MB * data_bytes / (1024 * 1024))
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise S75Error(Finding("error", f"S75DOCS_RENDER_SECONDS={text!r}: expected a number of "
                               "seconds greater than 0"))
    return seconds


def _relative_template(filename: str, dirs: list[Path]) -> str | None:
    """A template's name in its folder (``body/waiver.md.j2``), or None if in none of them.

    Compared as the loader joined them (absolute, links not followed: a firm's folder may be
    reached through a link, and its files may not leave it), with the platform's separator.
    """
    full = os.path.abspath(filename)
    for folder in dirs:
        root = os.path.abspath(folder)
        if full.startswith(root + os.sep):
            return full[len(root) + 1:].replace(os.sep, "/")
    return None
