"""Types for command-line options that carry text or dates into agreement documents.

A ``--reason`` becomes a recital, an ``--author`` a tracked-change author, a ``--scheme`` a
sentence of the deed: they enter the same documents as the YAML data, so the same rules apply
(s75docs.load.source for control characters, s75docs.model.money for dates). A value that breaks
them is a usage error (exit 2) naming the option, before anything is read or written.
"""

from __future__ import annotations

import datetime as dt

import click

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
