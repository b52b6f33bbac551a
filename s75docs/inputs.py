"""What a build read, hashed: the record that lets an unchanged agreement skip its rebuild.

A build writes ``.inputs`` into its output folder, inside the same atomic swap as the outputs, so
the record and the outputs never disagree. It holds a SHA-256 of every input that decides the
outputs: the agreement's own files (``Loaded.files``: agreement.yaml, schedules, presets, budget
tables), every file in the template search path that a build could use, the formats asked for,
and the tool itself (its version and its Python sources). Computing it reads and hashes files;
it never renders. Keys are relative names, so the record is the same on every machine.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

INPUTS_FILE = ".inputs"
TEMPLATE_PATTERNS = ("*.j2", "*.yaml", "*.txt", "reference.docx")
PACKAGE = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE.parent


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    return _sha256(path.read_bytes())


@functools.cache
def tool_fingerprint() -> dict[str, str]:
    """The package version and one hash over the package's ``*.py`` sources (name and content)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("s75docs")
    except PackageNotFoundError:
        installed = "unknown"
    sources = hashlib.sha256()
    for path in sorted(PACKAGE.glob("*.py")):
        sources.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return {"version": installed, "sources": sources.hexdigest()}


def template_files(folder: Path) -> dict[str, str]:
    """Every file in one template folder a build could use, by path relative to the folder."""
    found: dict[str, str] = {}
    for pattern in TEMPLATE_PATTERNS:
        for path in folder.rglob(pattern):
            if path.is_file():
                found[path.relative_to(folder).as_posix()] = file_digest(path)
    return dict(sorted(found.items()))


def _input_name(path: Path, root: Path) -> str:
    """``<agreement folder>/schedules/x.yaml``, ``s75docs:schedules/x.yaml`` for our presets."""
    full = path.resolve()
    for base, prefix in ((root.resolve(), root.resolve().name + "/"), (PROJECT_ROOT, "s75docs:")):
        if full.is_relative_to(base):
            return prefix + full.relative_to(base).as_posix()
    return full.as_posix()


def inputs_record(files: list[Path], root: Path, dirs: list[Path],
                  formats: tuple[str, ...]) -> dict[str, Any]:
    """The inputs of one build: agreement files, template folders (in search order), formats,
    tool. ``digest`` is one hash over all of it."""
    record: dict[str, Any] = {
        "agreement": dict(sorted((_input_name(p, root), file_digest(p)) for p in files)),
        "templates": [template_files(d) for d in dirs],
        "formats": sorted(set(formats)),
        "tool": tool_fingerprint(),
    }
    record["digest"] = _sha256(_canonical(record))
    return record


def inputs_json(record: dict[str, Any], outputs: list[str]) -> bytes:
    """The ``.inputs`` file: the record plus the output files written with it."""
    return _canonical({**record, "outputs": sorted(outputs)}) + b"\n"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=True).encode("ascii")


def up_to_date(destination: Path, record: dict[str, Any]) -> bool:
    """True when ``destination`` was built from exactly these inputs and its outputs are there."""
    try:
        recorded = json.loads((destination / INPUTS_FILE).read_bytes())
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict) or recorded.get("digest") != record["digest"]:
        return False
    outputs = recorded.get("outputs")
    if not isinstance(outputs, list):
        return False
    return all(isinstance(name, str) and (destination / name).is_file() for name in outputs)
