"""The build summary printed without rich (to a pipe) is the table rich prints there."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from s75docs.batch import Result, plain_summary_table, summary_table

CASES = [
    [Result(Path("examples/oxfordshire-2022"), "built", open_points=12, seconds=0.66)],
    [Result(Path("a"), "built", open_points=1, seconds=10.5),
     Result(Path("examples/a-much-longer-folder-name"), "skipped", detail="up to date",
            seconds=0.01),
     Result(Path("b"), "failed", seconds=123.456)],
    [Result(Path("x"), "skipped", detail="inputs unchanged")],
    [Result(Path(f"corpus/agreement-{n:03d}"), "built", open_points=n, seconds=n / 7)
     for n in range(30)],
]


def rich_text(results: list[Result], width: int) -> str:
    out = io.StringIO()
    Console(file=out, highlight=False, soft_wrap=True, width=width).print(summary_table(results))
    return out.getvalue()


@pytest.mark.parametrize("results", CASES)
def test_the_plain_table_is_what_rich_prints(results: list[Result]) -> None:
    width = max(80, max(len(str(r.path)) for r in results) + 60)
    plain = plain_summary_table(results, width)
    assert plain is not None
    assert plain + "\n" == rich_text(results, width)


def test_rich_lays_out_what_would_wrap_or_is_not_plain_ascii() -> None:
    long = [Result(Path("a"), "skipped", detail="x" * 100)]
    assert plain_summary_table(long, 80) is None
    assert plain_summary_table([Result(Path("caf\u00e9-\u65e5\u672c"), "built")], 80) is None


def test_a_folder_name_with_brackets_prints_literally() -> None:
    results = [Result(Path("[red]x[/]"), "built")]
    assert "[red]x[/] " in rich_text(results, 80)
    assert "[red]x[/] " in (plain_summary_table(results, 80) or "")
