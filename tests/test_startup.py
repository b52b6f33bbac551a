"""Start-up cost: ``--help`` loads none of the heavy libraries, ``check`` of a CSV-only agreement
loads no spreadsheet library. Each case runs in a fresh interpreter and lists ``sys.modules``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "fixtures" / "minimal"

HEAVY = ("docx", "docxtpl", "lxml", "markdown_it", "jinja2", "pandas", "openpyxl")
SPREADSHEETS = ("pandas", "openpyxl")

SCRIPT = """
import json, sys
from s75docs.cli import cli
try:
    cli({args!r}, standalone_mode=False, obj={{}})
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""


def loaded_after(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """Top-level packages imported by running ``s75docs ARGS``, and what it printed."""
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(args=list(args))],
                            capture_output=True, text=True, cwd=ROOT, check=False,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stdout + result.stderr
    output, _, last = result.stdout.rstrip("\n").rpartition("\n")
    return set(json.loads(last)), output


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["check", "--help"]])
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    modules, output = loaded_after(*args)
    assert "Usage:" in output
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_check_of_csv_budgets_loads_no_spreadsheet_library() -> None:
    assert not list(MINIMAL.rglob("*.xls*"))
    modules, output = loaded_after("check", str(MINIMAL))
    assert "0 error(s)" in output
    assert "jinja2" in modules  # it did render: the check is complete
    assert not modules & set(SPREADSHEETS), sorted(modules & set(SPREADSHEETS))


def test_the_library_api_is_still_importable_from_the_package() -> None:
    import s75docs

    assert callable(s75docs.check_agreement) and callable(s75docs.load_agreement)
    with pytest.raises(AttributeError):
        s75docs.no_such_function  # noqa: B018


def test_an_unchanged_rebuild_loads_no_heavy_library(tmp_path: Path) -> None:
    """Skipping an up-to-date agreement only hashes files: no schema, templates or writers."""
    out = str(tmp_path / "out")
    first, output = loaded_after("build", str(MINIMAL), "-o", out, "--format", "md")
    assert "1 built" in output and "jinja2" in first
    again, output = loaded_after("build", str(MINIMAL), "-o", out, "--format", "md")
    assert "0 built, 1 skipped" in output
    assert not again & {*HEAVY, "pydantic"}, sorted(again & {*HEAVY, "pydantic"})


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no on-disk template cache here")
def test_a_word_build_loads_neither_python_docx_nor_docxtpl(tmp_path: Path) -> None:
    """The reference .docx is read and its cover filled by s75docs.write.docx_package and
    docx_cover; docxtpl prepares the cover's tags once, and its compiled code is kept in the
    template cache, so later builds load neither it nor python-docx."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "S75DOCS_NO_CACHE": ""}
    for attempt in ("first", "again"):
        modules, output = loaded_after("build", str(MINIMAL), "-o", str(tmp_path / attempt),
                                       "--format", "md,docx", env=env)
        assert "1 built" in output and "lxml" in modules
        assert list((tmp_path / attempt).rglob("*.docx"))
    assert not modules & {"docx", "docxtpl"}, sorted(modules & {"docx", "docxtpl"})
