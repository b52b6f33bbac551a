"""Small helpers the test modules share."""

from __future__ import annotations

import shutil
from pathlib import Path


def copy_with_edits(source: Path, target: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    """A copy of an agreement folder with text replaced in the named files (each old text must
    be there, so a test never silently edits nothing)."""
    shutil.copytree(source, target)
    for name, pairs in edits.items():
        path = target / name
        text = path.read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text, (name, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return target
