"""The minimal fixture checks clean, and budget tables add up exactly, however they are written."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s75docs.check.data import run_checks
from s75docs.load.folder import load_agreement
from s75docs.model.finance import schedule_totals
from s75docs.model.money import format_money

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = Path(__file__).resolve().parent / "fixtures" / "minimal"
SCHEDULE = Path("schedules", "pooled.yaml")
BUDGET = Path("budgets", "pooled.csv")


def test_minimal_fixture_has_no_data_findings() -> None:
    loaded = load_agreement(MINIMAL)
    assert run_checks(loaded) == []
    assert run_checks(loaded, final=True) == []
    schedule = loaded.agreement.schedules[0]
    totals = schedule_totals(schedule)
    assert totals.total == Decimal("1250000.50")
    assert totals.get("council") == Decimal("600000")
    assert totals.get("icb", "2024/25") == Decimal("650000.50")
    # every budget line remembers the row it came from
    assert [line.source for line in schedule.contributions] == [
        f"minimal/{BUDGET}:{row}" for row in (2, 3, 4, 5)]


def test_minimal_fixture_checks_clean_from_the_command_line() -> None:
    env = {**os.environ, "COLUMNS": "1000", "NO_COLOR": "1"}
    run = subprocess.run([sys.executable, "-m", "s75docs", "check", str(MINIMAL), "--final"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert re.search(r"^0 error\(s\)", run.stdout, re.M), run.stdout


def test_each_excluded_function_is_named_wherever_a_scheme_lists_it(tmp_path: Path) -> None:
    """One search of all the excluded functions' words decides whether a text is looked at
    further: each function is still found, in each list, and by its own name."""
    folder = tmp_path / "minimal"
    shutil.copytree(MINIMAL, folder)
    cases = [("nhs_functions", "Endoscopic procedures in the community", "endoscopy"),
             ("health_related_functions", "An emergency ambulance standby", "emergency ambulance"),
             ("services", "Class IV laser clinics", "Class 4 laser"),
             ("services", "Advice on abortion services", "termination of pregnancy"),
             ("services", "Radiotherapy transport", "radiotherapy"),
             ("services", "Surgical appliances", "surgery")]
    text = (folder / SCHEDULE).read_text(encoding="utf-8")
    for field_name, value, _ in cases:
        text = text.replace(f"{field_name}:\n", f"{field_name}:\n  - {value}\n", 1)
    (folder / SCHEDULE).write_text(text, encoding="utf-8")
    found = [(f.path, f.message) for f in run_checks(load_agreement(folder))
             if f.code == "statute.excluded"]
    for field_name, value, name in cases:
        assert any(path.startswith(f"schedules[0].{field_name}[") and message.startswith(name)
                   for path, message in found), (value, found)
    assert len(found) == len(cases)


def test_a_gp_surgery_is_premises_not_the_excluded_function(tmp_path: Path) -> None:
    folder = tmp_path / "minimal"
    shutil.copytree(MINIMAL, folder)
    text = (folder / SCHEDULE).read_text(encoding="utf-8").replace("services:\n", (
        "services:\n  - Link workers based in each GP surgery\n"
        "  - Clinics at the doctor\u2019s surgery\n  - Minor surgery\n"), 1)
    (folder / SCHEDULE).write_text(text, encoding="utf-8")
    found = [f.path for f in run_checks(load_agreement(folder)) if f.code == "statute.excluded"]
    assert found == ["schedules[0].services[2]"]


def test_budget_as_workbook_reads_the_same_figures(tmp_path: Path) -> None:
    from openpyxl import Workbook

    folder = shutil.copytree(MINIMAL, tmp_path / "minimal")
    book = Workbook()
    sheet = book.active
    for row in [["partner", "line", "year", "amount", "type"],
                ["council", "Equipment purchase", "2024/25", 400000, "revenue"],
                ["council", "Equipment service staff", "2024/25", "200,000.00", "revenue"],
                ["icb", "Equipment purchase", "2024/25", 500000.25, "revenue"],
                ["icb", "Wheelchair service", "2024/25", 150000.25, None]]:
        sheet.append(row)
    book.save(folder / "budgets" / "pooled.xlsx")
    (folder / BUDGET).unlink()
    schedule = folder / SCHEDULE
    schedule.write_text(schedule.read_text(encoding="utf-8").replace(
        "budgets/pooled.csv", "budgets/pooled.xlsx"), encoding="utf-8")
    loaded = load_agreement(folder)
    assert run_checks(loaded) == []
    assert schedule_totals(loaded.agreement.schedules[0]).total == Decimal("1250000.50")


def test_yaml_numbers_are_read_from_their_text_not_as_floats(tmp_path: Path) -> None:
    """0.1 + 0.2 is 0.3 exactly: unquoted YAML numbers never pass through a binary float."""
    folder = shutil.copytree(MINIMAL, tmp_path / "minimal")
    schedule = folder / SCHEDULE
    text = schedule.read_text(encoding="utf-8")
    text = text.replace("budget_files:\n", "contributions:\n"
                        "  - {partner: icb, line: Sundries, year: 2024/25, amount: 0.1}\n"
                        "  - {partner: icb, line: Postage, year: 2024/25, amount: 0.2}\n"
                        "budget_files:\n")
    text = text[: text.index("stated_totals:")] + (
        "stated_totals:\n  - amount: 1250000.80\n  - partner: icb\n    amount: 650000.80\n")
    schedule.write_text(text, encoding="utf-8")
    loaded = load_agreement(folder)
    assert run_checks(loaded) == []
    lines = loaded.agreement.schedules[0].contributions
    assert [line.amount for line in lines[:2]] == [Decimal("0.1"), Decimal("0.2")]
    assert lines[0].amount + lines[1].amount == Decimal("0.3")


# --- property: the loader and finance add up any budget table exactly ---------------------------

PARTNERS = ("council", "icb")
YEARS = ("2022/23", "2023/24", "2024/25")
YEAR_SPELLINGS = {"2022/23": ("2022/23", "2022-23", "2022/2023"),
                  "2023/24": ("2023/24", "2023-24", "2023/2024"),
                  "2024/25": ("2024/25", "2024-25", "2024/2025")}


def written(amount: Decimal, style: int) -> str:
    """The same amount as a person might type it."""
    if style == 0:
        return str(amount)  # 1234.5 or 1234
    if style == 1:
        return format_money(amount)  # £1,234.50
    if style == 2:
        return format_money(amount, pence=True)  # £1,234.00
    return format_money(amount, pence=True).replace("£", "")  # 1,234.00


LINE = st.tuples(
    st.sampled_from(PARTNERS),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABC,'\"0123456789", min_size=1, max_size=20)
    .filter(lambda text: text.strip() != ""),
    st.sampled_from(YEARS),
    st.integers(min_value=-10**8, max_value=10**13).map(lambda pence: Decimal(pence).scaleb(-2)),
    st.integers(min_value=0, max_value=3),  # how the amount is written
    st.integers(min_value=0, max_value=2),  # how the year is written
)


def write_case(folder: Path, lines: list[tuple], stated: list[tuple[str, Decimal]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["partner", "line", "year", "amount", "type"])
    for partner, name, year, amount, style, spelling in lines:
        writer.writerow([partner, name, YEAR_SPELLINGS[year][spelling], written(amount, style),
                         ""])
    (folder / BUDGET).write_text(buffer.getvalue(), encoding="utf-8")
    schedule = folder / SCHEDULE
    text = schedule.read_text(encoding="utf-8")
    text = text[: text.index("stated_totals:")] + "stated_totals:\n" + "".join(
        f"  - {scope}\n    amount: \"{format_money(amount, pence=True)}\"\n"
        for scope, amount in stated)
    schedule.write_text(text, encoding="utf-8")


def arithmetic_errors(folder: Path) -> list[str]:
    loaded = load_agreement(folder)
    return [f"{f.file}:{f.line}: {f.path}: {f.message}" for f in run_checks(loaded)
            if f.severity == "error"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=25))
def test_budget_tables_add_up_exactly(lines: list[tuple]) -> None:
    expected = sum((line[3] for line in lines), Decimal(0))
    by_partner_year: dict[tuple[str, str], Decimal] = {}
    for partner, _, year, amount, _, _ in lines:
        by_partner_year[(partner, year)] = by_partner_year.get((partner, year), 0) + amount
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(shutil.copytree(MINIMAL, Path(tmp, "minimal")))
        # A term covering 2022/23 to 2024/25, from the day ICBs were established.
        agreement = folder / "agreement.yaml"
        agreement.write_text(agreement.read_text(encoding="utf-8")
                             .replace("commencement_date: 2024-04-01", "commencement_date: 2022-07-01")
                             .replace("agreement_date: 2024-03-15", "agreement_date: 2022-03-15"),
                             encoding="utf-8")
        stated = [("label: All contributions", expected)] + [
            (f"partner: {partner}\n    year: {year}", amount)
            for (partner, year), amount in sorted(by_partner_year.items())]
        write_case(folder, lines, stated)

        loaded = load_agreement(folder)
        schedule = loaded.agreement.schedules[0]
        totals = schedule_totals(schedule)
        assert len(schedule.contributions) == len(lines)
        assert [line.amount for line in schedule.contributions] == [line[3] for line in lines]
        assert totals.total == expected
        for (partner, year), amount in by_partner_year.items():
            assert totals.get(partner, year) == amount

        errors = arithmetic_errors(folder)
        if expected > 0:
            assert errors == []
        else:  # a pooled fund must hold something
            assert errors and all("more than nothing" in e for e in errors), errors

        penny = Decimal("0.01")
        write_case(folder, lines, [("label: All contributions", expected + penny)] + stated[1:])
        errors = [e for e in arithmetic_errors(folder) if "more than nothing" not in e]
        assert len(errors) == 1, errors
        assert errors[0].startswith(f"minimal/{SCHEDULE.as_posix()}:")
        assert "schedules[0].stated_totals[0].amount" in errors[0]
        assert "difference £0.01" in errors[0]


def test_the_checks_walks_skip_only_fields_that_cannot_hold_what_they_look_for() -> None:
    """The drafting check reads every text and the open-point check finds every open point,
    though both leave out the fields whose type cannot hold one (a budget line's amount, all
    of a budget line): the same as a walk of every field, in the same order."""
    from pydantic import BaseModel

    from s75docs.check import data
    from s75docs.model.agreement import OpenPoint

    def every(value: object, path: tuple[object, ...], want: type, into: list[object]) -> None:
        if isinstance(value, want):
            into.append((path, value))
        elif isinstance(value, BaseModel) and not (want is str and isinstance(value, OpenPoint)):
            for name in type(value).model_fields:
                if not (want is str and name in data._NOTE_FIELDS):
                    every(getattr(value, name), (*path, name), want, into)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                every(item, (*path, i), want, into)
        elif isinstance(value, dict):
            for key, item in value.items():
                every(item, (*path, key), want, into)

    for folder in sorted((ROOT / "examples").glob("*/agreement.yaml")):
        agreement = load_agreement(folder.parent).agreement
        texts: list[object] = []
        points: list[object] = []
        every(agreement, (), str, texts)
        every(agreement, (), OpenPoint, points)
        assert list(data._texts(agreement, ())) == texts and len(texts) > 100
        assert data.open_points(agreement) == points and points


def test_the_terms_check_reads_every_string_of_the_data_in_order() -> None:
    """Whether a capitalised phrase is a name from the data is looked up in all its text."""
    from pydantic import BaseModel

    from s75docs.check.terms import _strings

    def every(value: object) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, BaseModel):
            return [s for name in type(value).model_fields for s in every(getattr(value, name))]
        if isinstance(value, (list, tuple)):
            return [s for item in value for s in every(item)]
        if isinstance(value, dict):
            return [s for item in value.values() for s in every(item)]
        return []

    for folder in sorted((ROOT / "examples").glob("*/agreement.yaml")):
        agreement = load_agreement(folder.parent).agreement
        assert _strings(agreement) == every(agreement) and len(every(agreement)) > 100


def test_partner_fields_are_found_in_order_in_the_model_and_the_yaml() -> None:
    """Every place that names a partner, depth first, in the model and in the parsed YAML
    (the walk keeps a stack of its own): as a plain recursive reading finds them."""
    from collections.abc import Iterator, Mapping

    import yaml

    from s75docs.constants import (
        AGREEMENT_PARTNER_FIELDS,
        KEYS,
        SCHEDULE_PARTNER_FIELDS,
        PartnerRef,
        partner_fields,
    )

    def reference(value: object, pattern: tuple[str, ...], path: tuple[str | int, ...],
                  not_keys: frozenset[str]) -> Iterator[PartnerRef]:
        if not pattern:
            if isinstance(value, str) and value not in not_keys:
                yield PartnerRef(path, value)
            return
        step, rest = pattern[0], pattern[1:]
        if step == "*":
            for i, item in enumerate(value if isinstance(value, list) else []):
                yield from reference(item, rest, (*path, i), not_keys)
        elif step == KEYS:
            for key in value if isinstance(value, Mapping) else {}:
                if isinstance(key, str) and key not in not_keys:
                    yield PartnerRef((*path, key), key, is_mapping_key=True)
        else:
            child = value.get(step) if isinstance(value, Mapping) else getattr(value, step, None)
            yield from reference(child, rest, (*path, step), not_keys)

    for folder in sorted((ROOT / "examples").glob("*/agreement.yaml")):
        agreement = load_agreement(folder.parent).agreement
        raw = yaml.safe_load(folder.read_text(encoding="utf-8"))
        cases = [(agreement, AGREEMENT_PARTNER_FIELDS), (raw, AGREEMENT_PARTNER_FIELDS)]
        cases += [(s, SCHEDULE_PARTNER_FIELDS) for s in agreement.schedules]
        for data, fields in cases:
            expected = [ref for pattern, not_keys in fields.items()
                        for ref in reference(data, pattern, (), not_keys)]
            assert list(partner_fields(data, fields)) == expected
