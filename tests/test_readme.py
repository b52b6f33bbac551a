"""The README's examples run as written: the Library section's Python, on a copy of the repo's
examples (the shell walkthroughs are run by tests/test_walkthrough.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def test_the_library_example_runs(tmp_path: Path) -> None:
    [code] = re.findall(r"```python\n(.*?)```", section("Library"), re.S)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "built scratch/build/oxfordshire-s75-2022"
    assert lines[1] == "['termination, notice: \u201c6 months\u201d to \u201c9 months\u201d']"
    assert lines[2].startswith("Section 75 Pooled Commissioning Budget Agreement")
    deed = tmp_path / "scratch" / "deed"
    assert (deed / "deed-of-variation.docx").is_file() and (deed / "data").is_dir()
    assert (tmp_path / "scratch" / "redline.docx").is_file()


def test_every_command_has_its_function_in_the_library_section() -> None:
    from s75docs import api

    named = set(re.findall(r"# s75docs ([a-z-]+)", section("Library")))
    commands = set(re.findall(r"^\| `([a-z-]+)[ `]", section("Commands"), re.M))
    assert named == commands, (named ^ commands)
    for command in commands:
        function = {"check": "check_agreement"}.get(command, command.replace("-", "_"))
        assert callable(getattr(api, function, None)), command
