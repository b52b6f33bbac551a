"""Pounds and pence, dates, financial years and notice periods: parsing and formatting.

Money is always :class:`~decimal.Decimal`. Strings are parsed by pattern, never via float,
and an amount with more than two decimal places is refused rather than rounded. The YAML loader
hands these parsers the text as typed, so these rules, not YAML's, decide what a value means.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_MONEY = re.compile(
    r"""^(?P<sign>-)?\s*£?\s*
        (?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)
        (?:\.(?P<frac>[0-9]+))?$""",
    re.VERBOSE,
)


MAX_AMOUNT = Decimal("999999999999.99")  # under a trillion pounds: sums stay exact in Decimal
_SHOWN = 40  # characters of a refused value quoted back in a message


def shown(text: str) -> str:
    """A value quoted in a message, cut short so that a 5,000-digit figure does not fill a screen."""
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def parse_money(value: object) -> Decimal:
    """Read an amount such as ``"£190,585,000"``, ``"1,234.56"``, ``190585000`` or a Decimal.

    Raises ValueError with a message meant for a person: thousands separators must be in the
    right places, at most two decimal places, no exponents, no NaN, no negative zero.
    """
    if isinstance(value, bool):
        raise ValueError("expected an amount of money, got true/false")
    if isinstance(value, float):
        raise ValueError("amounts must be written as text or whole numbers, not binary floats")
    if isinstance(value, int):  # bounded like typed text, so that every sum stays exact
        amount = Decimal(value)
        if abs(amount) > MAX_AMOUNT:
            raise ValueError(f"{shown(format(amount, 'f'))} is more than "
                             f"{format_money(MAX_AMOUNT)}; check the figure")
        return amount
    if isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueError(f"expected an amount of money, got {type(value).__name__}")
    match = _MONEY.match(text)
    if not match:
        raise ValueError(
            f"{shown(text)} is not an amount of money: write pounds and pence such as "
            "'£1,234,567' or '1234.56' (no exponents, brackets, currency codes, times or hex)"
        )
    if len(match["int"]) > 1 and match["int"].startswith("0"):
        # YAML 1.1 reads an unquoted 0100 as octal 64; nobody can be sure what was meant.
        raise ValueError(f"{shown(text)} starts with a zero; write the amount without leading "
                         "zeros")
    frac = match["frac"]
    if frac is not None and len(frac) > 2:
        raise ValueError(f"{shown(text)} has more than two decimal places; amounts are never "
                         "rounded")
    digits = match["int"].replace(",", "") + ("." + frac if frac else "")
    try:
        amount = Decimal(digits)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise ValueError(f"{text!r} is not an amount of money") from exc
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"{shown(text)} is more than {format_money(MAX_AMOUNT)}; check the "
                         "figure")
    if match["sign"]:
        if amount == 0:
            raise ValueError(f"{shown(text)} is a negative zero; write 0")
        amount = -amount
    return amount


def format_money(amount: Decimal, *, pence: bool | None = None) -> str:
    """``£1,234,567`` for whole pounds, ``£1,234.50`` otherwise (or always, with pence=True)."""
    amount = Decimal(amount)
    show_pence = pence if pence is not None else amount != amount.to_integral_value()
    sign = "-" if amount < 0 else ""
    quantum = Decimal("0.01") if show_pence else Decimal(1)
    text = f"{abs(amount).quantize(quantum):,}"
    return f"{sign}£{text}"


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# Agreements are made and end in these years. Checks add days and whole financial years to
# dates; a date near Python's limits (9999-12-31) would overflow there, far from its line.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def parse_date(value: object) -> dt.date:
    """Read a date written ``YYYY-MM-DD`` (only that: not 2024-4-1, not a time, not a number)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        date = value  # made by the tool itself (vary, succeed), not read from text
    else:
        text = value.strip() if isinstance(value, str) else None
        if text is None or not _ISO_DATE.match(text):
            raise ValueError("expected a date written as YYYY-MM-DD")
        try:
            date = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{shown(text)} is not a date in the calendar") from None
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        raise ValueError(f"{date.isoformat()} is not in the years {FIRST_YEAR} to {LAST_YEAR}")
    return date


_FY = re.compile(r"^(?P<start>[0-9]{4})\s*[/-]\s*(?P<end>[0-9]{2}|[0-9]{4})$")


def parse_financial_year(value: object) -> str:
    """Normalise ``2022/23``, ``2022-23`` or ``2022/2023`` to ``2022/23``."""
    return _financial_year(str(value).strip())


@functools.lru_cache(maxsize=256)  # a budget table has a few years on 100,000 lines
def _financial_year(text: str) -> str:
    match = _FY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a financial year: write it as '2022/23'")
    start = int(match["start"])
    if not FIRST_YEAR <= start < LAST_YEAR:
        raise ValueError(f"{text!r} is not in the years {FIRST_YEAR} to {LAST_YEAR}")
    end = match["end"]
    follows = int(end) == start + 1 if len(end) == 4 else int(end) == (start + 1) % 100
    if not follows:
        raise ValueError(f"{text!r} is not a financial year: the second year must follow the first")
    return f"{start}/{(start + 1) % 100:02d}"


def financial_year_containing(date: dt.date) -> str:
    """The financial year (``2022/23``) a date falls in: they run from 1 April."""
    start = date.year if date.month >= 4 else date.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def financial_year_of(year: str) -> tuple[int, int]:
    """The calendar years a financial year spans: 1 April of the first to 31 March of the second."""
    start = int(year[:4])
    return start, start + 1


@dataclass(frozen=True)
class Period:
    """A notice or other period: a whole number of months or days."""

    count: int
    unit: str  # "months" | "days"

    def __str__(self) -> str:
        unit = self.unit[:-1] if self.count == 1 else self.unit
        return f"{self.count} {unit}"


_PERIOD = re.compile(r"^(?P<n>[0-9]+)\s*(?P<unit>months?|days?|weeks?)$", re.IGNORECASE)


def parse_period(value: object) -> Period:
    """Read ``"6 months"``, ``"30 days"`` or ``"4 weeks"`` (weeks kept as days)."""
    if isinstance(value, Period):
        return value
    text = str(value).strip()
    match = _PERIOD.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a period: write e.g. '6 months' or '30 days'")
    count = int(match["n"])
    if count <= 0:
        raise ValueError(f"{text!r}: a period must be longer than nothing")
    unit = match["unit"].lower().rstrip("s")
    if unit == "week":
        return Period(count * 7, "days")
    return Period(count, unit + "s")
