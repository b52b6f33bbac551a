"""Fuzzing the loader: whatever is in the files, the only exception is S75Error.

Hypothesis writes random YAML documents (structures dumped with ``yaml.safe_dump``), the fixture
with one value replaced or removed at random, random text and random bytes as agreement.yaml,
the schedule file or the budget table of a copy of the minimal fixture, then loads and checks it
(``load_agreement`` + ``run_checks``; the mutations also render, as ``check`` does). A user error
is an S75Error with findings; anything else escaping is a bug. About 150 examples in all, so
that it runs in seconds in CI.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s75docs.check.data import run_checks
from s75docs.errors import Finding, S75Error
from s75docs.load.folder import load_agreement
from s75docs.pipeline import prepare

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "minimal"
FILES = {"agreement": "agreement.yaml", "schedule": "schedules/pooled.yaml",
         "budget": "budgets/pooled.csv"}


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- what goes into the files -------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.sampled_from(["council", "icb", "pooled", "2024/25", "£1,000", "6 months", "50%",
                     "pooled_fund", "fixed", "rolling", "draft", "final", "to_be_agreed",
                     "schedules/pooled.yaml", "budgets/pooled.csv", "../x", "/etc/passwd"]))
FIELD_NAMES = ["reference", "title", "partners", "key", "kind", "schedules", "term", "notice",
               "amount", "partner", "year", "risk_share", "shares", "phases", "start", "end",
               "to_be_agreed", "extends", "budget_files", "contributions", "stated_totals"]
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10)),
                        children, max_size=4)),
    max_leaves=20)


def dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)


def paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_in(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_in(item, prefix + (index,))
    return found


def mutated(data: Any, path: tuple[Any, ...], replacement: Any, remove: bool) -> Any:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if remove:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return data


# --- running the loader -------------------------------------------------------------------------


@contextmanager
def fixture_with(name: str, content: str | bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "agreement"
        shutil.copytree(FIXTURE, folder)
        target = folder / FILES[name]
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        yield folder


def only_user_errors(folder: Path, render: bool = False) -> None:
    """Load and check (and, when ``render``, render as ``check`` does): only S75Error escapes,
    and it carries findings with messages."""
    try:
        if render:
            prepare(folder)
        else:
            run_checks(load_agreement(folder))
    except S75Error as exc:
        assert exc.findings and all(isinstance(f, Finding) and f.message for f in exc.findings)


@fuzz(30)
@given(st.sampled_from(sorted(FILES)), values)
def test_random_yaml_structures(name: str, value: Any) -> None:
    text = dump(value)
    if name == "budget":  # a CSV whose cells are YAML's text: commas, quotes, brackets
        text = "partner,line,year,amount,type\n" + text
    with fixture_with(name, text) as folder:
        only_user_errors(folder)


@fuzz(40)
@given(st.sampled_from(["agreement", "schedule"]), st.data())
def test_fixture_with_one_value_changed(name: str, data: st.DataObject) -> None:
    original = yaml.safe_load((FIXTURE / FILES[name]).read_text(encoding="utf-8"))
    path = data.draw(st.sampled_from(paths_in(original)), label="path")
    remove = data.draw(st.booleans(), label="remove")
    replacement = data.draw(values, label="replacement")
    with fixture_with(name, dump(mutated(original, path, replacement, remove))) as folder:
        only_user_errors(folder, render=True)


budget_cell = st.one_of(st.text(max_size=12), st.sampled_from(
    ["council", "icb", "2024/25", "2022-23", "£1,000", "-£5.00", "1.005", "1e9", "NaN", "-0",
     "=1+1", "@SUM(A1)", "+1", "(100)", "£-1", "1,00,0", " ", "\t=cmd", "9" * 400]))


@fuzz(30)
@given(st.lists(st.lists(budget_cell, min_size=0, max_size=7), max_size=6),
       st.sampled_from(["partner,line,year,amount,type", "partner,line,year,amount",
                        "amount,year,line,partner", ""]))
def test_random_budget_tables(rows: list[list[str]], header: str) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
    with fixture_with("budget", (header + "\n" if header else "") + buffer.getvalue()) as folder:
        only_user_errors(folder, render=True)


@fuzz(25)
@given(st.sampled_from(sorted(FILES)), st.text(max_size=300))
def test_random_text(name: str, text: str) -> None:
    with fixture_with(name, text) as folder:
        only_user_errors(folder)


@fuzz(25)
@given(st.sampled_from(sorted(FILES)), st.binary(max_size=300))
def test_random_bytes(name: str, content: bytes) -> None:
    with fixture_with(name, content) as folder:
        only_user_errors(folder)
