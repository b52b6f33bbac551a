"""Builds are byte-for-byte the same whatever the environment: time zone, locale, hash seed and
working directory (with the agreement named by a relative or an absolute path).

Each variant builds the same two agreements (the minimal fixture and the Oxfordshire example,
Markdown and Word) in its own process, all at once; every output file must be identical to the
baseline's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AGREEMENTS = {"minimal": ROOT / "tests" / "fixtures" / "minimal",
              "oxfordshire": ROOT / "examples" / "oxfordshire-2022"}


def locales() -> list[str]:
    try:
        found = subprocess.run(["locale", "-a"], capture_output=True, text=True,
                               check=False).stdout.split()
    except FileNotFoundError:
        found = []
    utf8 = next((name for name in found if name.lower() in ("c.utf8", "c.utf-8", "en_gb.utf8",
                                                              "en_us.utf8")), "C.UTF-8")
    return ["C", utf8]


C, UTF8 = locales()
BASE = {"TZ": "UTC", "LC_ALL": UTF8, "LANG": UTF8, "PYTHONHASHSEED": "0"}
VARIANTS: dict[str, tuple[dict[str, str], str]] = {
    # name: (environment changes, working directory: "root" or "elsewhere")
    "baseline": ({}, "root"),
    "tz-auckland": ({"TZ": "Pacific/Auckland"}, "root"),
    "tz-honolulu": ({"TZ": "Pacific/Honolulu"}, "root"),
    "locale-c": ({"LC_ALL": C, "LANG": C}, "root"),
    "hash-seed-12345": ({"PYTHONHASHSEED": "12345"}, "root"),
    "other-cwd-relative-paths": ({}, "elsewhere"),
}


def outputs(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("determinism")
    # The agreements are copied so that the "elsewhere" variant can name them relatively.
    for name, source in AGREEMENTS.items():
        shutil.copytree(source, base / "inputs" / name)
    elsewhere = base / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    processes: dict[str, subprocess.Popen[str]] = {}
    for variant, (changes, where) in VARIANTS.items():
        env = {**os.environ, "PYTHONPATH": str(ROOT), **BASE, **changes}
        env.pop("LC_CTYPE", None)
        env.pop("LANGUAGE", None)
        if where == "elsewhere":
            cwd = elsewhere
            paths = [os.path.relpath(base / "inputs" / name, elsewhere) for name in AGREEMENTS]
            out = os.path.relpath(base / "out" / variant, elsewhere)
        else:
            cwd = ROOT
            paths = [str(base / "inputs" / name) for name in AGREEMENTS]
            out = str(base / "out" / variant)
        processes[variant] = subprocess.Popen(
            [sys.executable, "-m", "s75docs", "build", *paths, "-o", out, "--jobs", "1",
             "--format", "md,docx"], cwd=cwd, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
    for variant, process in processes.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, f"{variant}:\n{stdout}\n{stderr}"
    return {variant: base / "out" / variant for variant in VARIANTS}


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "baseline"])
def test_outputs_are_identical(builds: dict[str, Path], variant: str) -> None:
    expected, actual = outputs(builds["baseline"]), outputs(builds[variant])
    assert len(expected) >= 10 and any(name.endswith(".docx") for name in expected)
    differing = sorted(name for name in expected.keys() | actual.keys()
                       if expected.get(name) != actual.get(name))
    assert not differing, f"{variant} differs from the baseline in {differing}"
