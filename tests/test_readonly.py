"""Inputs are read-only: check, build, diff and vary never write to, touch or add to an
agreement folder (their outputs go elsewhere).

Two copies of an agreement (the second with a shorter notice period, so diff and vary have work
to do) are run through every command that reads them; afterwards every file and folder in both has
the same bytes, mode and modification time as before, and nothing was added or removed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from s75docs.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "minimal"
OXFORDSHIRE = ROOT / "examples" / "oxfordshire-2022"


def state(folder: Path) -> dict[str, tuple[object, ...]]:
    """Every entry: kind, content hash (files), link target, mode and mtime in nanoseconds."""
    entries: dict[str, tuple[object, ...]] = {}
    for path in sorted([folder, *folder.rglob("*")]):
        info = path.lstat()
        if path.is_symlink():
            content: object = os.readlink(path)
        elif path.is_file():
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            content = "dir"
        entries[str(path.relative_to(folder))] = (content, info.st_mode, info.st_mtime_ns)
    return entries


def to_xlsx(folder: Path) -> None:
    """The minimal fixture's budget table as a workbook (openpyxl must not write back)."""
    import csv

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    with open(folder / "budgets" / "pooled.csv", encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    book.save(folder / "budgets" / "pooled.xlsx")
    (folder / "budgets" / "pooled.csv").unlink()
    schedule = folder / "schedules" / "pooled.yaml"
    schedule.write_text(schedule.read_text(encoding="utf-8").replace(
        "budgets/pooled.csv", "budgets/pooled.xlsx"), encoding="utf-8")


def change_the_notice(folder: Path) -> None:
    """Make the second copy differ in a clause, so that diff and vary have work to do."""
    path = folder / "agreement.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("\n  notice: 6 months\n") == 1
    path.write_text(text.replace("\n  notice: 6 months\n", "\n  notice: 4 months\n"),
                    encoding="utf-8")


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), obj={}, env={"COLUMNS": "200"})
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        result.exception
    assert result.exit_code in (0, 1), result.output  # 1: diff found changes
    return result.output


@pytest.mark.parametrize("source, workbook", [(FIXTURE, True), (OXFORDSHIRE, False)],
                         ids=["minimal-xlsx", "oxfordshire-csv"])
def test_commands_leave_the_inputs_as_they_were(source: Path, workbook: bool, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = tmp_path / "old" / source.name, tmp_path / "new" / source.name
    shutil.copytree(source, old)
    if workbook:
        to_xlsx(old)
    shutil.copytree(old, new)
    change_the_notice(new)
    # A git repository holding the old copy, for diff --rev; its working tree is an input too.
    for args in (["init", "-q"], ["add", "-A"],
                 ["-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-q",
                  "-m", "old"]):
        subprocess.run(["git", "-C", str(old.parent), *args], check=True, capture_output=True)
    before = {"old": state(old), "new": state(new)}
    out = tmp_path / "out"
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)

    run("check", str(old))
    run("check", str(new), "--json", "--final")
    run("build", str(old), str(new), "-o", str(out / "build"), "--jobs", "1")
    run("build", str(old), "-o", str(out / "build"))  # up to date: skipped
    assert "four months" in run("diff", str(old), str(new))
    run("diff", str(old), str(new), "--json")
    run("diff", str(old), "--rev", "HEAD")
    run("vary", str(old), str(new), "--date", "2025-04-01", "-o", str(out / "variation"))

    assert {"old": state(old), "new": state(new)} == before
    assert not any(work.iterdir()), "a command wrote into the working directory"
    assert (out / "build").is_dir() and (out / "variation").is_dir()
