"""Which fields of the model can hold a kind of value: the walks over the data that look for
text or open points skip the rest (a budget line's amount, or all of a budget line), since an
agreement may hold 100,000 budget lines."""

from __future__ import annotations

import datetime as dt
import functools
import typing
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


def _may_hold(annotation: Any, target: type, seen: set[type] | None = None) -> bool:
    """Whether a value of the type ``annotation`` could be or contain a ``target``; anything
    not plainly a scalar (``Any``, a bare list) is taken to."""
    seen = set() if seen is None else seen
    if isinstance(annotation, type) and not typing.get_args(annotation):
        if issubclass(annotation, target):
            return True
        if issubclass(annotation, BaseModel):
            if annotation in seen:
                return False
            seen.add(annotation)
            return any(_may_hold(info.annotation, target, seen)
                       for info in annotation.model_fields.values())
        return not issubclass(annotation, _SCALARS)
    if typing.get_origin(annotation) is typing.Literal:
        return any(isinstance(value, target) for value in typing.get_args(annotation))
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        args = args[:1]
    return not args or any(_may_hold(arg, target, seen) for arg in args)


_SCALARS = (str, int, float, Decimal, dt.date, type(None))


@functools.cache
def fields_holding(model: type[BaseModel], target: type) -> tuple[str, ...]:
    """The fields of ``model`` whose type lets them hold a ``target``, in order."""
    return tuple(name for name, info in model.model_fields.items()
                 if _may_hold(info.annotation, target))
