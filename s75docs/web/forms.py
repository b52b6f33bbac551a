"""The agreement form, generated from the model, and a form's answers turned back into data.

The form is read off :class:`s75docs.model.agreement.Agreement` (each field's type says which
input it gets: text, date, a choice, a tick box, lines, or a group of fields), filled from the
YAML as the drafter wrote it, and labelled with the help text of docs/data-format.md where the
package sits beside its docs. A field that may be an open point carries a "to be agreed" choice
with its note. Each field is named by its data path as findings write it (``partners[1].name``),
so that a finding is shown at the field it concerns.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from s75docs.constants import AGREEMENT_PARTNER_FIELDS, KEYS, PACKAGE
from s75docs.errors import format_path
from s75docs.model.agreement import Agreement, OpenPoint

PathKey = tuple[str | int, ...]
Kind = Literal["text", "date", "choice", "bool", "lines", "group"]
DATA_FORMAT = PACKAGE.parent / "docs" / "data-format.md"  # present in a clone, not in a wheel
# Not edited here: schedule files are edited in their own files, and a firm's template folder
# is no business of the browser (no template editing through the web).
SKIPPED = frozenset({"schedules", "templates"})


@dataclass
class FormField:
    """One input (or group of inputs) of the form, with its current value."""

    path: PathKey
    kind: Kind
    help: str = ""
    choices: tuple[str, ...] = ()
    open_allowed: bool = False
    optional: bool = False
    value: str = ""
    checked: bool = False
    is_open: bool = False
    note: str = ""
    children: list[FormField] = field(default_factory=list)
    # a list of groups (items added, removed, moved) and its items; a mapping whose keys are
    # chosen (partners, clause families: entries added and removed) and its entries
    role: Literal["", "list", "item", "map", "entry"] = ""
    item_type: Any = None  # for a list: the model of its items, for a new one; a map: values
    key_choices: tuple[str, ...] = ()  # for a map: every key it may take

    @property
    def free_keys(self) -> tuple[str, ...]:
        """A map's keys not yet given, for the drafter to add one."""
        given = {child.path[-1] for child in self.children}
        return tuple(key for key in self.key_choices if key not in given)

    @property
    def name(self) -> str:
        return format_path(self.path)

    @property
    def label(self) -> str:
        last = self.path[-1]
        return f"{last + 1}" if isinstance(last, int) else str(last).replace("_", " ")

    def walk(self) -> list[FormField]:
        return [self, *(f for child in self.children for f in child.walk())]


def is_open_point(value: object) -> bool:
    return isinstance(value, dict) and list(value) == ["to_be_agreed"]


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _shape(tp: Any) -> tuple[list[Any], bool, bool]:
    """A field type as (the types it may hold besides an open point or nothing, open, optional)."""
    tp = _unwrap(tp)
    options = get_args(tp) if get_origin(tp) in (Union, types.UnionType) else (tp,)
    options = tuple(_unwrap(t) for t in options)
    rest = [t for t in options if t not in (OpenPoint, type(None))]
    return rest, OpenPoint in options, type(None) in options


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date | bool):
        return value.isoformat() if isinstance(value, dt.date) else str(value).lower()
    return str(value)


def partner_keys(data: dict[str, Any]) -> tuple[str, ...]:
    """The keys of the partners as the data has them, for the fields that name a partner."""
    partners = data.get("partners")
    return tuple(str(p["key"]) for p in partners if isinstance(p, dict) and p.get("key")) \
        if isinstance(partners, list) else ()


def _names_partner(path: PathKey) -> frozenset[str] | None:
    """The words besides a key a field naming a partner may hold; None for other fields."""
    general = tuple("*" if isinstance(step, int) else step for step in path)
    return AGREEMENT_PARTNER_FIELDS.get(general)


def build_form(data: dict[str, Any]) -> list[FormField]:
    """The fields of agreement.yaml, in the model's order, filled from ``data``."""
    keys = partner_keys(data)
    return [f for name, info in Agreement.model_fields.items() if name not in SKIPPED
            for f in _field((name,), info.annotation, data.get(name), keys, info.description)]


def _field(path: PathKey, tp: Any, value: Any, keys: tuple[str, ...],
           description: str | None = None) -> list[FormField]:
    rest, open_allowed, optional = _shape(tp)
    made = FormField(path, "text", help_text(path) or description or "",
                     open_allowed=open_allowed, optional=optional)
    if open_allowed and is_open_point(value):
        made.is_open, made.note = True, str(value["to_be_agreed"])
    target = rest[0] if len(rest) == 1 else str
    origin = get_origin(target)
    if isinstance(target, type) and issubclass(target, BaseModel):
        if value is None and optional:
            return []
        made.kind = "group"  # an open group shows its note only: its fields are not yet known
        given = value if isinstance(value, dict) and not made.is_open else {}
        made.children = [] if made.is_open else [
            f for name, info in target.model_fields.items()
            for f in _field((*path, name), info.annotation, given.get(name), keys,
                            info.description)]
    elif origin is list:
        item = _unwrap(get_args(target)[0])
        items = value if isinstance(value, list) else []
        if isinstance(item, type) and issubclass(item, BaseModel):
            made.kind, made.role, made.item_type = "group", "list", item
            made.children = [f for i, entry in enumerate(items)
                             for f in _field((*path, i), item, entry, keys)]
            for child in made.children:
                child.role = "item"
        else:
            made.kind = "lines"
            made.value = "\n".join(_shown(v) for v in items)
    elif origin is dict:
        made.kind = "group"
        mapping = value if isinstance(value, dict) else {}
        key_type, value_type = (_unwrap(t) for t in get_args(target))
        boolean = value_type is bool
        made.children = [FormField((*path, str(key)), "bool" if boolean else "text",
                                   value="" if boolean else _shown(v), checked=v is True,
                                   role="entry") for key, v in mapping.items()]
        made.key_choices = _map_keys(path, key_type, keys)
        made.role, made.item_type = ("map" if made.key_choices else ""), value_type
        if not made.key_choices:  # keys the drafter names: their values edited, no more
            for child in made.children:
                child.role = ""
    elif target is bool:
        made.kind, made.checked = "bool", bool(value)
    elif target is dt.date:
        made.kind = "date"
    elif _names_partner(path) is not None:
        made.kind, made.choices = "choice", (*keys, *sorted(_names_partner(path) or ()))
    elif origin is Literal or isinstance(target, type) and issubclass(target, Enum):
        options = get_args(target) if origin is Literal else [e.value for e in target]
        made.kind, made.choices = "choice", tuple(str(o) for o in options)
    if made.kind not in ("group", "lines") and not made.is_open:
        made.value = _shown(value)
    return [made]


def _map_keys(path: PathKey, key_type: Any, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The keys a mapping may take: the partners' for one keyed by partner (a risk share), an
    enumeration's values; none when the keys are the drafter's own words."""
    if _names_partner((*path, KEYS)) is not None:
        return keys
    if isinstance(key_type, type) and issubclass(key_type, Enum):
        return tuple(str(e.value) for e in key_type)
    return ()


def new_entry(found: FormField) -> Any:
    """A new entry's value: off for a tick box (the drafter ticks it), else none (``null``, so
    that the value typed later is written plain), for the checks to say at the field what it
    must hold (a percentage for a risk share)."""
    return False if found.item_type is bool else None


def answer(found: FormField, submitted: dict[str, Any]) -> tuple[bool, Any]:
    """What a field's submission means for the data: (remove the field?, the new value).

    Dates go in as dates and ticks as booleans, so the YAML reads as a person would write it; a
    value that is not a date stays text, for the checks to say so at the field.
    """
    if found.open_allowed and submitted.get("open"):
        return False, {"to_be_agreed": str(submitted.get("note", "")).strip()}
    if found.kind == "group":
        raise ValueError("these fields are still to be agreed: give them in the data file")
    if found.kind == "bool":
        return False, bool(submitted.get("checked"))
    if found.kind == "lines":
        lines = [line.strip() for line in str(submitted.get("value", "")).splitlines()]
        lines = [line for line in lines if line]
        return (not lines and found.optional), lines
    text = str(submitted.get("value", "")).strip()
    if not text and found.optional:
        return found.kind != "choice", None  # an empty choice of an optional one is "none"
    if found.kind == "date":
        try:
            return False, dt.date.fromisoformat(text)
        except ValueError:
            return False, text
    return False, text


def new_item(item: Any, keys: tuple[str, ...], path: PathKey = ()) -> dict[str, Any]:
    """A new item of a list, for the drafter to fill in: its required fields only, each empty
    (the checks then say, at the field, what each must hold), a choice at its first option and
    a partner at the first partner."""
    made: dict[str, Any] = {}
    for name, info in item.model_fields.items():
        if not info.is_required():
            continue
        rest, _, _ = _shape(info.annotation)
        target = rest[0] if len(rest) == 1 else str
        origin = get_origin(target)
        if _names_partner((*path, name)) is not None and keys:
            made[name] = keys[0]
        elif isinstance(target, type) and issubclass(target, BaseModel):
            made[name] = new_item(target, keys, (*path, name))
        elif origin is list:
            inner = _unwrap(get_args(target)[0])
            made[name] = [new_item(inner, keys) if isinstance(inner, type)
                          and issubclass(inner, BaseModel) else ""]
        elif origin is Literal:
            made[name] = str(get_args(target)[0])
        elif isinstance(target, type) and issubclass(target, Enum):
            made[name] = str(next(iter(target)).value)
        else:
            made[name] = ""
    return made


@cache
def _help_tables() -> dict[str, dict[str, str]]:
    """docs/data-format.md's field tables: {section: {field: meaning}}."""
    if not DATA_FORMAT.is_file():
        return {}
    tables: dict[str, dict[str, str]] = {}
    section = ""
    for line in DATA_FORMAT.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#{2,3} (.+)", line)
        if heading:
            section = heading.group(1).strip("` ")
            continue
        row = re.match(r"\| `([a-z_]+)` \|(.*)\|(.*)\|(.*)\|\s*$", line)
        if row:
            meaning = re.sub(r"\[([^]]+)\]\([^)]*\)", r"\1", row.group(4)).replace("`", "")
            tables.setdefault(section, {})[row.group(1)] = meaning.strip()
    return tables


def help_text(path: PathKey) -> str:
    """The docs' meaning of a field: a top-level one from the agreement.yaml table, a nested one
    from the table of the top-level field it sits in (partners, term, termination ...)."""
    names = [p for p in path if isinstance(p, str)]
    if not names or isinstance(path[-1], int):  # an item of a list: its list says it once
        return ""
    section = "agreement.yaml" if len(names) == 1 else names[-2] if len(names) > 2 else names[0]
    return _help_tables().get(section, {}).get(names[-1], "")
