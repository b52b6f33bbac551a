"""``pip install .`` gives a working tool: the wheel carries every template, the reference
document and the presets (they live inside the package, not beside it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "s75docs"


def test_the_wheel_carries_every_template_and_preset(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: setuptools writes build/ and *.egg-info in-tree
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for name in listed:
        if not name.startswith(("build/", "tests/", "examples/")) and (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                            "-w", str(tmp_path), str(source)], capture_output=True, text=True,
                           timeout=600)
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("s75docs-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {p.relative_to(ROOT).as_posix() for folder in ("templates", "presets")
              for p in (PACKAGE / folder).rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    assert "s75docs/templates/reference.docx" in wanted
    assert wanted <= names, sorted(wanted - names)
    assert not any(name.startswith(("tests/", "build/", "examples/")) for name in names)
