"""``{% import "macros.md.j2" as m with context %}`` made once per render, not once per file.

Jinja runs an imported template again at every ``import ... with context``: the macros file
is imported by some sixty clause files of one agreement, each time building the same module
from the same context. Within one render, a module is reused when everything it could see is
unchanged, so that reusing it is the same as making it again:

- the same template, imported with the same names bound to the same objects (by identity),
  none of them a loop or a namespace (whose state changes without a call);
- nothing the template code could change has changed since: every call that may change an
  object (``list.append``, ``dict.update``, any method not known to only read) and every
  namespace assignment starts a new epoch, and a module of an earlier epoch is made afresh;
- the module holds nothing that could be changed through it (its values are text, numbers,
  tuples or macros: a module holding a list is made again at each import).

Outside a render (or in another thread) nothing is remembered.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jinja2.environment import TemplateModule
from jinja2.runtime import Context, LoopContext, Macro
from jinja2.utils import Namespace, missing

IMMUTABLE = (str, int, float, Decimal, tuple, frozenset, bytes, range, dt.date, type(None))
READ_ONLY_METHODS = frozenset({"get", "keys", "values", "items", "copy", "index", "count"})


class _Imports(threading.local):
    modules: dict[tuple[Any, ...], tuple[int, tuple[Any, ...], Any]] | None = None
    epoch: int = 0


_IMPORTS = _Imports()
_PURE: weakref.WeakSet[Any] = weakref.WeakSet()  # an agreement's own helpers (its ``term``)
_PURE_BUILTINS: set[Any] = set()  # go with it; a builtin cannot be weakly held, nor goes


def pure(func: Any) -> Any:
    """Mark a function templates may call as one that changes nothing (see the module notes);
    a bound method is judged by its function."""
    try:
        _PURE.add(func)
    except TypeError:
        _PURE_BUILTINS.add(func)
    return func


def changes_nothing(obj: Any) -> bool:
    """Whether calling ``obj`` from a template leaves every object as it was."""
    if isinstance(obj, Macro):  # the calls a macro makes are judged one by one
        return True
    receiver = getattr(obj, "__self__", None)
    if isinstance(receiver, IMMUTABLE):
        return True
    if isinstance(receiver, (dict, list)) and getattr(obj, "__name__", "") in READ_ONLY_METHODS:
        return True
    function = getattr(obj, "__func__", obj)
    try:
        return function in _PURE or function in _PURE_BUILTINS
    except TypeError:  # an unhashable callable
        return False


def changed() -> None:
    """Something a module could have read may have changed: modules made so far are stale."""
    _IMPORTS.epoch += 1


class RenderNamespace(Namespace):
    """``namespace()``: an assignment to one (``{% set ns.x = 1 %}``) starts a new epoch."""

    def __setitem__(self, name: str, value: Any) -> None:
        changed()
        Namespace.__setitem__(self, name, value)


pure(RenderNamespace)


class ModuleScope:
    """The modules remembered during one render (nested renders keep their own)."""

    def __enter__(self) -> None:
        self.outer = _IMPORTS.modules
        _IMPORTS.modules = {}

    def __exit__(self, *exc: object) -> None:
        _IMPORTS.modules = self.outer


def module(template: Any, vars: dict[str, Any] | None, shared: bool,
           locals: Mapping[str, Any] | None) -> TemplateModule:
    """``template.make_module(vars, shared, locals)``, or the module made for the same import
    earlier in this render."""
    modules = _IMPORTS.modules
    if modules is None or vars is None:
        return _make(template, vars, shared, locals)[0]
    seen = vars if not locals else {  # what the module's context will hold (as new_context)
        **vars, **{name: value for name, value in locals.items() if value is not missing}}
    values = tuple(seen.values())
    if any(isinstance(v, (LoopContext, Namespace)) for v in values):
        return _make(template, vars, shared, locals)[0]
    key = (id(template), shared, *seen, *map(id, values))
    found = modules.get(key)
    if found is not None and found[0] == _IMPORTS.epoch:
        made: TemplateModule = found[2]
        return made
    epoch = _IMPORTS.epoch
    made, context = _make(template, vars, shared, locals)
    if epoch == _IMPORTS.epoch and all(_unchangeable(v) for v in context.vars.values()):
        modules[key] = (epoch, values, made)  # the values are held: their ids stay theirs
    return made


def _make(template: Any, vars: dict[str, Any] | None, shared: bool,
          locals: Mapping[str, Any] | None) -> tuple[TemplateModule, Context]:
    """As Jinja's ``make_module``, keeping the module's context: it holds every name the
    module set, exported or not (``_x``), which its macros read."""
    context = template.new_context(vars, shared, locals)
    return TemplateModule(template, context), context


def _unchangeable(value: Any) -> bool:
    if isinstance(value, (tuple, frozenset)):
        return all(_unchangeable(v) for v in value)
    return isinstance(value, (IMMUTABLE, Macro))
