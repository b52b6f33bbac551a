"""Rules for the options every command shares, stated once for the library and the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from s75docs.constants import FORMATS
from s75docs.errors import Finding, S75Error


def choose_formats(formats: Iterable[str], allowed: tuple[str, ...] = FORMATS) -> tuple[str, ...]:
    """The formats asked for, in order and once each; an unknown or empty choice is an error."""
    chosen = tuple(dict.fromkeys(f.strip() for f in formats if f.strip()))
    unknown = [f for f in chosen if f not in allowed]
    if unknown or not chosen:
        raise S75Error(Finding("error", (f"unknown format {', '.join(map(repr, unknown))}"
                                         if unknown else "no format given")
                               + f"; choose from {', '.join(allowed)}", code="usage"))
    return chosen


def new_or_rev(new: Path | None, rev: str | None) -> None:
    """Two versions are two folders (OLD and NEW) or git revisions of OLD (``rev``): one way."""
    if (new is None) == (rev is None):
        raise S75Error(Finding("error", "give either NEW or a revision range (--rev OLD..NEW), "
                               "not both or neither", code="usage"))
