"""The build summary table: one row per agreement, its folder printed as typed."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from s75docs.batch import Result, summary_table


def rich_text(results: list[Result], width: int) -> str:
    out = io.StringIO()
    Console(file=out, highlight=False, soft_wrap=True, width=width).print(summary_table(results))
    return out.getvalue()


def test_a_folder_name_with_brackets_prints_literally() -> None:
    """rich would read ``[red]x[/]`` as markup and swallow it."""
    results = [Result(Path("[red]x[/]"), "built", open_points=3)]
    text = rich_text(results, 80)
    assert "[red]x[/] " in text and " 3 " in text
