"""Pounds and pence, financial years and periods: exact parsing, never through a float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s75docs.model.money import (
    Period,
    format_money,
    parse_financial_year,
    parse_money,
    parse_period,
)

# --- parse_money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("£190,585,000", Decimal("190585000")),
        ("190585000", Decimal("190585000")),
        ("1,234.56", Decimal("1234.56")),
        ("1234.5", Decimal("1234.5")),
        ("£ 1,000", Decimal("1000")),
        ("  £12.00  ", Decimal("12.00")),
        ("-£1,000.25", Decimal("-1000.25")),
        ("-1000", Decimal("-1000")),
        ("0", Decimal("0")),
        ("0.00", Decimal("0")),
        ("999", Decimal("999")),
        (190585000, Decimal("190585000")),
        (0, Decimal(0)),
        (Decimal("12.34"), Decimal("12.34")),
        (Decimal("1E+3"), Decimal("1000")),
    ],
)
def test_parse_money_accepts(text: object, expected: Decimal) -> None:
    value = parse_money(text)
    assert isinstance(value, Decimal)
    assert value == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("£1,00,0", "is not an amount of money"),
        ("1,0000", "is not an amount of money"),
        (",100", "is not an amount of money"),
        ("1.005", "more than two decimal places"),
        ("£1,000.001", "more than two decimal places"),
        ("1e9", "is not an amount of money"),
        ("1E9", "is not an amount of money"),
        ("NaN", "is not an amount of money"),
        ("nan", "is not an amount of money"),
        ("Infinity", "is not an amount of money"),
        ("£-0.00", "is not an amount of money"),
        ("-0", "negative zero"),
        ("-£0.00", "negative zero"),
        ("(1,000)", "is not an amount of money"),
        ("GBP 100", "is not an amount of money"),
        ("100 GBP", "is not an amount of money"),
        ("$100", "is not an amount of money"),
        ("1.", "is not an amount of money"),
        (".50", "is not an amount of money"),
        ("", "is not an amount of money"),
        ("£", "is not an amount of money"),
        ("1 000", "is not an amount of money"),
        ("1_000", "is not an amount of money"),
        ("0x10", "is not an amount of money"),
        (True, "true/false"),
        (False, "true/false"),
        (0.1, "not binary floats"),
        (1.0, "not binary floats"),
        (Decimal("NaN"), "is not an amount of money"),
        (Decimal("Infinity"), "is not an amount of money"),
        (Decimal("-0"), "negative zero"),
        (Decimal("1.005"), "more than two decimal places"),
        (None, "expected an amount of money"),
        ([1], "expected an amount of money"),
    ],
)
def test_parse_money_refuses(value: object, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_money(value)
    assert fragment in str(info.value)


def test_parse_money_never_rounds() -> None:
    with pytest.raises(ValueError, match="never rounded"):
        parse_money("0.125")


# --- format_money -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "pence", "expected"),
    [
        (Decimal("1234567"), None, "£1,234,567"),
        (Decimal("1234.5"), None, "£1,234.50"),
        (Decimal("1234.50"), None, "£1,234.50"),
        (Decimal("5.00"), None, "£5"),
        (Decimal("0"), None, "£0"),
        (Decimal("0.01"), None, "£0.01"),
        (Decimal("-1000.25"), None, "-£1,000.25"),
        (Decimal("-1000"), None, "-£1,000"),
        (Decimal("1000"), True, "£1,000.00"),
        (Decimal("-0.01"), True, "-£0.01"),
        (Decimal("999"), True, "£999.00"),
        (Decimal("1E+3"), None, "£1,000"),
    ],
)
def test_format_money(amount: Decimal, pence: bool | None, expected: str) -> None:
    assert format_money(amount, pence=pence) == expected


# --- financial years and periods ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022/23", "2022/23"),
        ("2022-23", "2022/23"),
        ("2022/2023", "2022/23"),
        (" 2022 / 23 ", "2022/23"),
        ("2009/10", "2009/10"),
        ("2000/01", "2000/01"),
    ],
)
def test_parse_financial_year(text: str, expected: str) -> None:
    assert parse_financial_year(text) == expected


@pytest.mark.parametrize("text", ["2022", 2022, "2022/24", "2022/22", "2023/22", "22/23",
                                  "2022/2024", "FY2022", "2022 23", "2022/23/24", ""])
def test_parse_financial_year_refuses(text: object) -> None:
    with pytest.raises(ValueError, match="is not a financial year"):
        parse_financial_year(text)


def test_parse_financial_year_across_a_century() -> None:
    assert parse_financial_year("1999/00") == "1999/00"
    assert parse_financial_year("1999/2000") == "1999/00"


def test_non_ascii_digits_and_absurd_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_money("\u0661\u0662\u0663")
    with pytest.raises(ValueError, match="more than"):
        parse_money("1" + "0" * 15)
    with pytest.raises(ValueError, match="more than"):  # a YAML number, as typed text
        parse_money(10**15)
    assert parse_money(10**12 - 1) == Decimal(10**12 - 1)


@pytest.mark.parametrize(
    ("text", "expected", "shown"),
    [
        ("6 months", Period(6, "months"), "6 months"),
        ("1 month", Period(1, "months"), "1 month"),
        ("30 days", Period(30, "days"), "30 days"),
        ("1 day", Period(1, "days"), "1 day"),
        ("4 weeks", Period(28, "days"), "28 days"),
        ("6 Months", Period(6, "months"), "6 months"),
        ("12months", Period(12, "months"), "12 months"),
    ],
)
def test_parse_period(text: str, expected: Period, shown: str) -> None:
    period = parse_period(text)
    assert period == expected
    assert str(period) == shown
    assert parse_period(period) is period


@pytest.mark.parametrize("text", ["six months", "0 months", "6", "months", "-1 days",
                                  "1.5 months", "6 years", ""])
def test_parse_period_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_period(text)


# --- properties ---------------------------------------------------------------------------------

PENCE = st.integers(min_value=-(10**14 - 1), max_value=10**14 - 1)  # up to the largest amount allowed
AMOUNTS = PENCE.map(lambda pence: Decimal(pence).scaleb(-2))


@settings(max_examples=200)
@given(AMOUNTS)
def test_format_then_parse_is_exact(amount: Decimal) -> None:
    shown = format_money(amount, pence=True)
    assert "." in shown
    assert parse_money(shown) == amount
    assert parse_money(format_money(amount)) == amount


@settings(max_examples=200)
@given(st.decimals(min_value=-(10**12 - 1), max_value=10**12 - 1, places=2, allow_nan=False,
                   allow_infinity=False))
def test_decimals_with_two_places_round_trip(amount: Decimal) -> None:
    assert parse_money(format_money(amount, pence=True)) == amount
    assert parse_money(amount) == amount


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=10**11), st.text("0123456789", min_size=3, max_size=8),
       st.booleans(), st.booleans())
def test_more_than_two_places_is_always_refused(whole: int, fraction: str, pound: bool,
                                                grouped: bool) -> None:
    digits = f"{whole:,}" if grouped else str(whole)
    text = ("£" if pound else "") + digits + "." + fraction
    with pytest.raises(ValueError, match="more than two decimal places"):
        parse_money(text)
    with pytest.raises(ValueError):
        parse_money(Decimal(digits.replace(",", "") + "." + fraction[:-1] + "1"))


@settings(max_examples=300)
@given(st.text(alphabet="0123456789,.£- eE()", max_size=14))
def test_parse_accepts_only_exact_pence(text: str) -> None:
    """Whatever it is given, parse_money returns at most two places or raises ValueError."""
    try:
        value = parse_money(text)
    except ValueError:
        return
    assert value.is_finite()
    assert value.as_tuple().exponent >= -2  # type: ignore[operator]
    assert value == Decimal(text.replace("£", "").replace(",", "").replace(" ", ""))


@settings(max_examples=200)
@given(st.integers(min_value=-(10**12 - 1), max_value=10**12 - 1))
def test_whole_pounds_have_no_pence(pounds: int) -> None:
    for amount in (Decimal(pounds), Decimal(pounds).quantize(Decimal("0.01"))):
        shown = format_money(amount)
        assert "." not in shown
        assert parse_money(shown) == pounds
    assert parse_money(pounds) == pounds


@pytest.mark.parametrize(("typed", "fragment"), [
    ("4x9%", "is not a percentage between 0 and 100"),
    ("-5%", "is not a percentage between 0 and 100"),
    ("£49", "is not a percentage between 0 and 100"),
    ("050%", "starts with a zero"),
    ("101%", "is not a percentage between 0 and 100"),
    ("", "give a percentage"),
])
def test_a_mistyped_percentage_is_called_a_percentage(typed: str, fragment: str) -> None:
    from pydantic import TypeAdapter, ValidationError

    from s75docs.model.agreement import Percent
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Percent).validate_python(typed)
    assert fragment in str(caught.value)
    assert "amount of money" not in str(caught.value)


def test_a_percentage_keeps_its_decimals() -> None:
    from pydantic import TypeAdapter

    from s75docs.model.agreement import Percent
    assert TypeAdapter(Percent).validate_python("37.42%") == Decimal("37.42")
