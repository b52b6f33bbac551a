"""Every faulty agreement under tests/bad/ fails the way its expect.yaml says, and only that way.

Each case folder is the minimal fixture with one fault (written by tests/bad/_make.py). The check
must exit with the expected code, name the file, field path and line, never print a traceback,
and leave every input file exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from s75docs.cli import cli

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "bad"
CASES = sorted(path.parent for path in BAD.glob("*/expect.yaml"))
EXPECT_KEYS = {"description", "exit", "args", "file", "path", "line", "message"}


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under the folder: file contents by hash, links by target, folders by name."""
    state: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            key = str(path.relative_to(folder))
            if path.is_symlink():
                state[key] = "link:" + os.readlink(path)
            elif path.is_dir():
                state[key] = "dir"
            else:
                state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def load_expect(case: Path) -> dict[str, Any]:
    expect = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    assert set(expect) <= EXPECT_KEYS, f"unknown keys in expect.yaml: {set(expect) - EXPECT_KEYS}"
    assert expect.get("exit") in (1, 2) and expect.get("message")
    return expect


def shown_file(case: Path, expect: dict[str, Any]) -> str | None:
    """How the CLI names the file: relative to the agreement folder's parent."""
    file = expect.get("file")
    if file is None:
        return None
    return case.name if file == "." else f"{case.name}/{file}"


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 35


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Path) -> None:
    expect = load_expect(case)
    args = [str(a) for a in expect.get("args", [])]
    before = snapshot(case)

    env = {**os.environ, "COLUMNS": "1000", "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "s75docs", "check", str(case), *args],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output
    assert run.returncode == expect["exit"], output
    message = expect["message"]
    assert message in output, output

    if expect["exit"] == 1:
        # One line of the output carries the message and its whole location.
        where = shown_file(case, expect)
        if where is not None and "line" in expect:
            where += f":{expect['line']}"
        rows = [line for line in output.splitlines() if message in line]
        assert any((where is None or where in row) and expect.get("path", "") in row
                   for row in rows), f"no row names {where} {expect.get('path')}:\n{output}"

        result = CliRunner().invoke(cli, ["check", str(case), "--json", *args], obj={})
        assert result.exit_code == expect["exit"], result.output
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit), result.exception
        findings = json.loads(result.stdout)
        matching = [f for f in findings if message in f["message"]]
        assert matching, findings
        assert any(
            f["severity"] == "error"
            and (shown_file(case, expect) is None
                 or (f["file"] or "").endswith(shown_file(case, expect) or ""))
            and ("path" not in expect or f["path"] == expect["path"])
            and ("line" not in expect or f["line"] == expect["line"])
            for f in matching
        ), (expect, matching)

    assert snapshot(case) == before, "the check changed or created files in the case folder"
