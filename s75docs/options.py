"""The rules for command options, stated once for the library and the CLI.

Formats and the two ways of naming two versions are checked here for every command. Text and
date options enter the same documents as the YAML data (a ``--reason`` becomes a recital, an
``--author`` a tracked-change author, a ``--scheme`` a sentence of the deed), so the same rules
apply (s75docs.load.source for control characters, s75docs.model.money for dates); a value that
breaks them is a usage error (exit 2) naming the option, before anything is read or written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import click

from s75docs.constants import OUTPUT_FORMATS
from s75docs.errors import Finding, S75Error

MAX_OPTION_CHARS = 2000  # a recital or a name, not a document


class PlainText(click.ParamType[str]):
    """Text with no control characters (an ESC in ``--reason`` would reach the deed)."""

    name = "text"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        from s75docs.load.source import control_character  # imported when used: --help stays quick

        text = str(value)
        bad = control_character(text)
        if bad:
            self.fail(f"holds the control character {bad}; write plain text", param, ctx)
        if len(text) > MAX_OPTION_CHARS:
            self.fail(f"is {len(text):,} characters long; the limit is {MAX_OPTION_CHARS:,}",
                      param, ctx)
        return text


class IsoDate(click.ParamType[dt.date]):
    """A date written YYYY-MM-DD, read by the same rule as dates in the agreement data."""

    name = "date"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.date:
        from s75docs.model.money import parse_date

        try:
            return parse_date(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


PLAIN_TEXT = PlainText()
ISO_DATE = IsoDate()


def choose_formats(formats: Iterable[str], allowed: tuple[str, ...] = OUTPUT_FORMATS) -> tuple[str, ...]:
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
