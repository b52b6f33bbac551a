"""How the tool words a citation: "clause 22.2", "paragraph 3 of Schedule 2", "Scheme 1".

The forms are legal wording, so they live in ``templates/citations.yaml``, not here. A firm's
template folder may hold its own ``citations.yaml`` giving any of the forms; what it leaves out
comes from the next folder in the search path, and in the end from ours. Every form is checked
when it is read: a misspelt key or a placeholder the form cannot have stops the build and names
the file, the key and its line.
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s75docs.constants import BUILTIN_TEMPLATES
from s75docs.errors import Finding, S75Error
from s75docs.load.source import Source, load_yaml

if TYPE_CHECKING:
    from s75docs.document.nodes import Block, Part

CITATIONS_FILE = "citations.yaml"
# Each form, the placeholders it must have and those it may have.
_FORMS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "clause": (frozenset({"number"}), frozenset()),
    "paragraph": (frozenset({"number"}), frozenset({"part"})),
    "own_paragraph": (frozenset({"number"}), frozenset({"part"})),
    "recital": (frozenset({"number"}), frozenset()),
    "party": (frozenset({"number"}), frozenset()),
    "schedule": (frozenset({"number"}), frozenset()),
    "scheme": (frozenset({"number"}), frozenset()),
    "annex": (frozenset({"number"}), frozenset()),
    "after": (frozenset({"citation"}), frozenset({"kind"})),
    "at_start": (frozenset(), frozenset({"kind", "part"})),
    "body": (frozenset(), frozenset()),
}
_KINDS = ("clause", "text", "heading", "bullet", "table")  # the block kinds ``kinds`` names
_NUMBER = "\0"  # stands for the number while a form is split round it


@dataclass(frozen=True)
class Citations:
    """The citation forms, each a ``str.format`` pattern, and the word for each block kind."""

    forms: dict[str, str]
    kinds: dict[str, str]

    def part_name(self, kind: str, number: int) -> str:
        """"Schedule 2", "Scheme 1", "Annex 1" (of a deed); empty for a part that is not
        numbered."""
        form = self.forms.get(kind) if kind in ("schedule", "scheme", "annex") else None
        return form.format(number=number) if form else ""

    def reference(self, part: Part, block: Block | None, source: Part | None = None
                  ) -> tuple[str, str, str]:
        """("clause ", "22.2", "") or ("paragraph ", "3", " of Schedule 2") or
        ("", "Schedule 2", ""): the number apart, as a Word REF field shows it. ``source`` is
        the part the reference stands in: a schedule citing its own paragraph does not name
        itself ("paragraph 3", not "paragraph 3 of Schedule 2")."""
        if block is None:
            return "", part.name or part.heading, ""
        if not block.full_number:
            raise ValueError("the label stands on an unnumbered paragraph")
        if part.kind == "body":
            form = self.forms["clause"]
        elif part.kind == "front":
            form = self.forms["recital" if block.list_style == "recitals" else "party"]
        elif source is part:
            form = self.forms["own_paragraph"]
        else:
            form = self.forms["paragraph"]
        before, after = form.format(number=_NUMBER, part=part.name).split(_NUMBER)
        return before, block.full_number, after

    def cite(self, part: Part, block: Block | None) -> str:
        return "".join(self.reference(part, block))

    def unnumbered(self, part: Part, block: Block, earlier: Block | None) -> str:
        """An unnumbered block, by the numbered one before it: "the table after clause 3.1"."""
        kind = self.kinds[block.kind]
        if earlier is not None:
            return self.forms["after"].format(kind=kind, citation=self.cite(part, earlier))
        return self.forms["at_start"].format(kind=kind, part=part.name or self.forms["body"])


@functools.cache
def builtin_citations() -> Citations:
    return load_citations([BUILTIN_TEMPLATES])


def load_citations(dirs: list[Path]) -> Citations:
    """The forms from the template search path: each folder's file over the ones after it."""
    forms: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for folder in reversed(dirs):
        path = folder / CITATIONS_FILE
        if path.is_file():
            source = load_yaml(path, display=str(path))
            found_forms, found_kinds = _checked(source)
            forms.update(found_forms)
            kinds.update(found_kinds)
    missing = [key for key in _FORMS if key not in forms] + \
        [f"kinds.{kind}" for kind in _KINDS if kind not in kinds]
    if missing:
        raise S75Error(Finding("error", f"no citation form for {', '.join(missing)} in the "
                               "template folders", CITATIONS_FILE, code="template"))
    return Citations(forms, kinds)


def _error(source: Source, message: str, *key: str) -> S75Error:
    return S75Error(Finding("error", message, source.file, ".".join(key), source.line_of(key),
                            code="template"))


def _checked(source: Source) -> tuple[dict[str, str], dict[str, str]]:
    """The forms and kind words one file gives, each checked."""
    data = source.data
    if not isinstance(data, dict):
        raise _error(source, "citation forms must be a mapping of form names to text")
    forms: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for key, value in data.items():
        if key == "kinds":
            if not isinstance(value, dict):
                raise _error(source, "kinds must map block kinds to words", key)
            for kind, word in value.items():
                if kind not in _KINDS:
                    raise _error(source, f"unknown block kind; use {', '.join(_KINDS)}", key,
                                 str(kind))
                kinds[kind] = _text(source, word, key, kind)
        elif key in _FORMS:
            forms[key] = _form(source, key, _text(source, value, key))
        else:
            raise _error(source, f"unknown citation form; use {', '.join([*_FORMS, 'kinds'])}",
                         str(key))
    return forms, kinds


def _text(source: Source, value: Any, *key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _error(source, "must be text (put it in quotes)", *key)
    return value


def _form(source: Source, key: str, form: str) -> str:
    """The form, once its placeholders are known to be the ones it may have, each needed one
    used once."""
    required, allowed = _FORMS[key]
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion
                  in string.Formatter().parse(form) if name is not None]
    except ValueError as exc:
        raise _error(source, f"{exc} (write a literal brace as {{{{ or }}}})", key) from exc
    names = [name for name, _, _ in fields]
    known = required | allowed
    for name, spec, conversion in fields:
        if name not in known or spec or conversion:
            choices = ", ".join(f"{{{n}}}" for n in sorted(known)) or "no placeholders"
            raise _error(source, f"{{{name}}} is not a placeholder of this form (it may use "
                         f"{choices})", key)
    for name in sorted(required):
        if names.count(name) != 1:
            raise _error(source, f"the form must use {{{name}}} exactly once", key)
    return form
