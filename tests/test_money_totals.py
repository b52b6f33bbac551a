"""Money never drifts: random budget tables of pence, built and checked, total to the penny.

Hypothesis writes budget tables of random amounts (whole pence, some negative, in every written
form the format allows) into a copy of the minimal fixture, with stated totals computed here as
exact Decimal sums. The check must find no error (so its arithmetic agrees to the penny), and in
the built agreement and schedule, as Markdown and as Word, every table with a Total row must add
up: each money column to its Total, each row to its Total column, and the grand total to the
exact sum of what was written. An amount with more than two decimal places is an error naming
its row.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s75docs.cli import cli
from s75docs.errors import S75Error
from s75docs.pipeline import build_agreement

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "minimal"
REFERENCE = "minimal-2024"
YEARS = ("2024/25", "2025/26", "2026/27")
PENNY = Decimal("0.01")
MONEY_CELL = re.compile(r"^-?£[0-9,]+(\.[0-9]{2})?$")

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


# --- writing amounts in every form the data format allows ---------------------------------------


def written(pence: int, style: int) -> str:
    """``pence`` as budget-table text: £1,234.56 | 1234.56 | 1,234.5 | 1234 | -£1,234.56 ..."""
    amount = Decimal(pence) / 100
    sign = "-" if amount < 0 else ""
    size = abs(amount)
    whole = size == size.to_integral_value()
    if style == 0:
        return f"{sign}£{size:,.2f}"
    if style == 1:
        return f"{sign}{size:.2f}"
    if style == 2 and whole:
        return f"{sign}£{size:,.0f}"
    if style == 3 and whole:
        return f"{sign}{size:.0f}"
    if style == 4 and (size * 10) == (size * 10).to_integral_value():
        return f"{sign}{size:,.1f}"
    return f"{sign}£{size:,.2f}"


def stated(amount: Decimal) -> str:
    return f"{'-' if amount < 0 else ''}£{abs(amount):,.2f}"


Row = tuple[str, str, str, int, int]  # partner, line, year, pence, style

rows_strategy = st.lists(
    st.tuples(st.sampled_from(["council", "icb"]),
              st.sampled_from(["Equipment", "Staff", "Wheelchairs", "Minor adaptations"]),
              st.sampled_from(YEARS),
              st.one_of(st.integers(0, 10**6), st.integers(-10**8, 10**12)),
              st.integers(0, 4)),
    min_size=2, max_size=12)


def normalised(rows: list[Row]) -> list[Row]:
    """Both partners contribute, the pooled fund holds more than nothing (the checks require
    both), and every budget line is named once."""
    fixed = [("council",) + rows[0][1:], ("icb",) + rows[1][1:], *rows[2:]]
    total = sum(pence for _, _, _, pence, _ in fixed)
    if total <= 0:
        fixed.append(("icb", "Top-up", YEARS[0], 1 - total, 0))
    return [(p, f"{line} {i + 1}", year, pence, style)
            for i, (p, line, year, pence, style) in enumerate(fixed)]


@contextmanager
def agreement_with(rows: list[Row], bad_row: tuple[int, str] | None = None) -> Iterator[Path]:
    """A copy of the minimal fixture whose budget table holds ``rows`` and whose stated totals
    are the exact sums; ``bad_row`` replaces one row's amount text."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "agreement"
        shutil.copytree(FIXTURE, folder)
        lines = ["partner,line,year,amount,type"]
        for index, (partner, line, year, pence, style) in enumerate(rows):
            text = written(pence, style)
            if bad_row and bad_row[0] == index:
                text = bad_row[1]
            lines.append(f'{partner},{line},{year},"{text}",revenue')
        (folder / "budgets" / "pooled.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        total = sum((Decimal(p) / 100 for _, _, _, p, _ in rows), Decimal(0))
        council = sum((Decimal(p) / 100 for who, _, _, p, _ in rows if who == "council"),
                      Decimal(0))
        first = sum((Decimal(p) / 100 for _, _, y, p, _ in rows if y == rows[0][2]), Decimal(0))
        schedule = folder / "schedules" / "pooled.yaml"
        text = schedule.read_text(encoding="utf-8")
        text = text[:text.index("stated_totals:")] + (
            f'stated_totals:\n  - amount: "{stated(total)}"\n'
            f'  - partner: council\n    amount: "{stated(council)}"\n'
            f'  - year: {rows[0][2]}\n    amount: "{stated(first)}"\n')
        schedule.write_text(text, encoding="utf-8")
        yield folder


def findings(folder: Path) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["check", str(folder), "--json"], obj={})
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


# --- reading the tables back --------------------------------------------------------------------


def money(cell: str) -> Decimal | None:
    text = cell.strip().strip("*").strip()
    if not MONEY_CELL.match(text):
        return None
    return Decimal(text.replace("£", "").replace(",", ""))


def markdown_tables(text: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def docx_tables(path: Path) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows]
            for table in docx.Document(str(path)).tables]


def total_tables(tables: list[list[list[str]]]) -> list[list[list[str]]]:
    return [t for t in tables if any(row[0].strip("* ") == "Total" for row in t[1:])]


def assert_adds_up(table: list[list[str]]) -> None:
    """Each money column sums to its Total row; each row sums to its Total column."""
    header, *body = table
    [total] = [row for row in body if row[0].strip("* ") == "Total"]
    lines = [row for row in body if row is not total]
    for column in range(1, len(header)):
        shown = money(total[column])
        if shown is not None:
            assert shown == sum((money(row[column]) or Decimal(0) for row in lines),
                                Decimal(0)), (header[column], table)
    if header[-1] == "Total":
        for row in [*lines, total]:
            cells = [money(c) for c in row[1:-1]]
            if any(c is not None for c in cells):
                assert money(row[-1]) == sum((c or Decimal(0) for c in cells), Decimal(0)), row


def contribution_tables(tables: list[list[list[str]]]) -> list[list[list[str]]]:
    return [t for t in total_tables(tables)
            if t[0][0] == "Partner" and ("Amount" in t[0] or t[0][1] in YEARS)]


# --- the properties -----------------------------------------------------------------------------


@SETTINGS
@given(rows_strategy)
def test_every_total_is_the_exact_sum(raw: list[Row]) -> None:
    rows = normalised(raw)
    exact = sum((Decimal(p) / 100 for _, _, _, p, _ in rows), Decimal(0))
    by_partner: dict[str, Decimal] = defaultdict(Decimal)
    for partner, _, _, pence, _ in rows:
        by_partner[partner] += Decimal(pence) / 100
    with agreement_with(rows) as folder:
        errors = [f for f in findings(folder) if f["severity"] == "error"]
        assert not errors, errors  # the checker's own sums agree with the exact ones
        with tempfile.TemporaryDirectory() as out:
            destination, _ = build_agreement(folder, out, formats=("md", "docx"))
            for stem in ("agreement", "schedules/01-pooled"):
                md = markdown_tables((destination / f"{stem}.md").read_text(encoding="utf-8"))
                word = docx_tables(destination / f"{stem}.docx")
                for tables in (md, word):
                    for table in total_tables(tables):
                        assert_adds_up(table)
                    found = contribution_tables(tables)
                    assert len(found) >= 2, stem
                    for table in found:
                        [total] = [r for r in table if r[0].strip("* ") == "Total"]
                        assert money(total[-1]) == exact, (stem, table)
                        for row in table[1:]:
                            if table[0][-1] == "Total" and row[0] in ("Council", "ICB"):
                                key = "council" if row[0] == "Council" else "icb"
                                assert money(row[-1]) == by_partner[key], row
                # Every amount written appears, to the penny, in the lines table.
                [lines] = [t for t in contribution_tables(md) if "Amount" in t[0]]
                shown = sorted(money(r[-1]) for r in lines[1:] if r[0] != "**Total**")
                assert shown == sorted(Decimal(p) / 100 for _, _, _, p, _ in rows)


@SETTINGS
@given(rows_strategy, st.data())
def test_more_than_two_decimal_places_is_an_error(raw: list[Row], data: st.DataObject) -> None:
    rows = normalised(raw)
    index = data.draw(st.integers(0, len(rows) - 1), label="row")
    pounds = data.draw(st.integers(0, 10**9), label="pounds")
    places = data.draw(st.text("0123456789", min_size=3, max_size=6), label="decimals")
    text = data.draw(st.sampled_from([f"{pounds}.{places}", f"£{pounds:,}.{places}",
                                      f"-{pounds}.{places}"]), label="text")
    with agreement_with(rows, bad_row=(index, text)) as folder:
        errors = [f for f in findings(folder) if f["severity"] == "error"]
        assert any("has more than two decimal places" in str(f["message"])
                   and str(f["file"]).endswith("agreement/budgets/pooled.csv")
                   and f["line"] == index + 2 for f in errors), errors
        with tempfile.TemporaryDirectory() as out:
            with pytest.raises(S75Error, match="more than two decimal places"):
                build_agreement(folder, out, formats=("md",))
            assert not any(Path(out).iterdir())


_AMOUNTS = st.decimals(min_value=-(10**12 - 1), max_value=10**12 - 1, places=2,
                       allow_nan=False, allow_infinity=False) | st.integers(-10**12 + 1, 10**12 - 1)


@given(st.lists(st.tuples(st.sampled_from(["council", "icb", "trust"]), st.sampled_from(YEARS),
                          _AMOUNTS), max_size=30), st.booleans())
@settings(max_examples=200, deadline=None)
def test_totals_are_the_line_by_line_sums_digit_for_digit(
        lines: list[tuple[str, str, Decimal | int]], by_key: bool) -> None:
    """totals_of adds each line once (to its partner and year) and sums those: the same
    Decimals as adding every line to every total, exponent and key order included."""
    from types import SimpleNamespace

    from s75docs.model.finance import totals_of

    items = [SimpleNamespace(partner=p, year=y, amount=Decimal(a)) for p, y, a in lines]
    keys = [f"scheme-{p}" for p, _, _ in lines] if by_key else None
    expected: dict[str, defaultdict[object, Decimal]] = {
        name: defaultdict(Decimal) for name in ("partner", "year", "both")}
    total = Decimal(0)
    for index, line in enumerate(items):
        key = line.partner if keys is None else keys[index]
        total += line.amount
        expected["partner"][key] += line.amount
        expected["year"][line.year] += line.amount
        expected["both"][(key, line.year)] += line.amount
    got = totals_of(items, keys)  # type: ignore[arg-type]
    assert repr(got.total) == repr(total)
    for name, found in (("partner", got.by_partner), ("year", got.by_year),
                        ("both", got.by_partner_year)):
        assert [(k, repr(v)) for k, v in found.items()] == \
            [(k, repr(v)) for k, v in expected[name].items()]


@given(st.lists(st.lists(st.tuples(st.sampled_from(["council", "icb"]), st.sampled_from(YEARS),
                                   _AMOUNTS), max_size=8), max_size=4))
@settings(max_examples=150, deadline=None)
def test_merged_totals_are_the_totals_of_all_the_lines(
        tables: list[list[tuple[str, str, Decimal | int]]]) -> None:
    """A fund's or the agreement's totals, merged from its tables' totals, are digit for digit
    (and key for key, in order) the totals of all their lines."""
    from types import SimpleNamespace

    from s75docs.model.finance import merged_totals, totals_of

    lines = [[SimpleNamespace(partner=p, year=y, amount=Decimal(a)) for p, y, a in table]
             for table in tables]
    merged = merged_totals([totals_of(table) for table in lines])  # type: ignore[arg-type]
    whole = totals_of([line for table in lines for line in table])  # type: ignore[misc]
    assert repr(merged) == repr(whole)
