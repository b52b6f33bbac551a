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
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from s75docs.constants import AGREEMENT_FILE, BUILTIN_TEMPLATES, INPUTS_FILE, KEY_PATTERN, PACKAGE
from s75docs.render.folders import listing

TEMPLATE_SUFFIXES = (".j2", ".yaml", ".txt")  # and reference.docx
_REFERENCE = re.compile(KEY_PATTERN)


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
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix().encode("utf-8")
        sources.update(name + b"\0" + path.read_bytes() + b"\0")
    return {"version": installed, "sources": sources.hexdigest()}


def template_files(folder: Path) -> dict[str, str]:
    """Every file in one template folder a build could use, by path relative to the folder:
    templates (``.j2``, ``.yaml``, ``.txt``) and ``reference.docx``."""
    return {name: _template_digest(path, status)
            for name, (path, status) in sorted(listing(folder).items())
            if _suffix(base := name.rpartition("/")[2]) in TEMPLATE_SUFFIXES
            or base == "reference.docx"}


def _suffix(name: str) -> str:
    """A file name's suffix as ``Path.suffix`` reads it (none for ``.j2`` alone)."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


_TEMPLATE_DIGESTS: dict[tuple[str, int, int, int, int], str] = {}


def _template_digest(path: str, status: os.stat_result) -> str:
    """A template file's digest, remembered for the process while its inode, size and modification
    and change times stay the same: a batch hashes the same template folders for every
    agreement (an editor's save makes a new inode or moves the change time, which cannot be
    set back)."""
    key = (path, status.st_ino, status.st_mtime_ns, status.st_ctime_ns, status.st_size)
    digest = _TEMPLATE_DIGESTS.get(key)
    if digest is None:
        digest = _TEMPLATE_DIGESTS[key] = file_digest(Path(path))
    return digest


def _input_name(path: Path, root: Path) -> str:
    """``<agreement folder>/schedules/x.yaml``, ``s75docs:schedules/x.yaml`` for our presets;
    ``root`` resolved already (it is the same for every file of a build)."""
    full = path.resolve()
    for base, prefix in ((root, root.name + "/"), (PACKAGE, "s75docs:")):
        if full.is_relative_to(base):
            return prefix + full.relative_to(base).as_posix()
    return full.as_posix()


def inputs_record(files: list[Path], root: Path, dirs: list[Path],
                  formats: tuple[str, ...]) -> dict[str, Any]:
    """The inputs of one build: agreement files, template folders (in search order), formats,
    tool. ``digest`` is one hash over all of it."""
    presets = root / "presets"  # a preset added here would shadow a built-in one
    resolved = root.resolve()
    record: dict[str, Any] = {
        "agreement": dict(sorted((_input_name(p, resolved), file_digest(p)) for p in files)),
        "presets": sorted(p.name for p in presets.glob("*.yaml")) if presets.is_dir() else [],
        "templates": [template_files(d) for d in dirs],
        "formats": sorted(set(formats)),
        "tool": tool_fingerprint(),
    }
    record["digest"] = _sha256(_canonical(record))
    return record


def inputs_json(record: dict[str, Any], outputs: dict[str, bytes], source: Path,
                open_points: int = 0) -> bytes:
    """The ``.inputs`` file: the record, the SHA-256 of each output written with it (so that a
    damaged or edited output is rebuilt), the agreement folder built (so that another folder
    with the same reference is never taken for it) and the number of open points (so that a
    skipped build can still report them)."""
    return _canonical({**record, "outputs": {name: _sha256(data) for name, data in outputs.items()},
                       "source": str(source.resolve()), "open_points": open_points}) + b"\n"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=True).encode("ascii")


def up_to_date(destination: Path, record: dict[str, Any], source: Path) -> bool:
    """True when ``destination`` was built from exactly these inputs, from this agreement
    folder, and every output is there as it was written."""
    try:
        recorded = json.loads(_regular_file(destination / INPUTS_FILE).read_bytes())
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict) or recorded.get("digest") != record["digest"] \
            or recorded.get("source") != str(source.resolve()):
        return False
    outputs = recorded.get("outputs")
    if not isinstance(outputs, dict):
        return False
    try:
        return all(isinstance(name, str) and isinstance(digest, str)
                   and _inside(destination / name, destination)
                   and file_digest(_regular_file(destination / name)) == digest
                   for name, digest in outputs.items())
    except OSError:
        return False


def _regular_file(path: Path) -> Path:
    """``path`` if it is a regular file and not a link; else OSError (a FIFO or a device would
    block or never end)."""
    if path.is_symlink() or not stat.S_ISREG(path.stat().st_mode):
        raise OSError(f"{path} is not a regular file")
    return path


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _recorded_path(name: str, root: Path) -> Path | None:
    """The file a name in ``.inputs`` stands for, or None (so the agreement is loaded in full)
    unless it is a regular file inside the agreement folder or among our presets: a record
    is data on disk, and must not lead the check anywhere else."""
    resolved = root.resolve()
    if name.startswith("s75docs:"):
        base, path = PACKAGE, PACKAGE / name.removeprefix("s75docs:")
    elif name.startswith(resolved.name + "/"):
        base, path = resolved, root / name.removeprefix(resolved.name + "/")
    else:
        return None
    try:
        if not path.resolve().is_relative_to(base):
            return None
        return _regular_file(path)
    except OSError:
        return None


Reference = tuple[Path, dict[str, Any], str]  # a folder's root, agreement.yaml, its reference


def read_reference(path: Path | str) -> Reference | None:
    """An agreement folder's root, its agreement.yaml as plain data and its ``reference``,
    read without the schema; None when they cannot be read so cheaply (a full load will say
    why)."""
    import yaml

    root = Path(path)
    if root.is_file() and root.name == AGREEMENT_FILE:
        root = root.parent
    try:
        main = _regular_file(root / AGREEMENT_FILE)
        if main.stat().st_size > 5 * 1024 * 1024:  # source.MAX_BYTES: the loader refuses it
            return None
        data = yaml.load(main.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, ValueError, yaml.YAMLError, RecursionError):
        return None
    reference = data.get("reference") if isinstance(data, dict) else None
    if not isinstance(reference, str) or not _REFERENCE.fullmatch(reference):
        return None
    return root, data, reference


def unchanged_since_last_build(found: Reference, out_dir: Path | str,
                               formats: tuple[str, ...], templates: Sequence[Path] = ()
                               ) -> tuple[Path, dict[str, Any]] | None:
    """The output folder and ``.inputs`` of an agreement's last build when nothing has changed
    since, found without loading the agreement (no schema, no budget tables); None when in any
    doubt. ``found`` is what :func:`read_reference` read of the folder.

    Takes ``reference`` (and ``templates``) from agreement.yaml, then hashes the files that the
    last build recorded. That is the same answer as loading: which files a load reads follows
    from the contents of the files it read (schedule list, ``extends``, ``budget_files``) and
    from the agreement's ``presets/`` folder, and all of those are in the record.
    """
    try:
        root, data, reference = found
        destination = Path(out_dir) / reference
        recorded = json.loads(_regular_file(destination / INPUTS_FILE).read_bytes())
        files = [_recorded_path(name, root) for name in recorded["agreement"]]
        dirs = list(templates)
        own = data.get("templates")
        if own is not None:
            folder = root / own
            if not isinstance(own, str) or Path(own).is_absolute() or ".." in Path(own).parts \
                    or not folder.resolve().is_relative_to(root.resolve()):
                return None
            dirs.append(folder)
        dirs.append(BUILTIN_TEMPLATES)
        if None in files or not all(d.is_dir() for d in dirs):
            return None
        record = inputs_record(files, root, dirs, formats)  # type: ignore[arg-type]
        return (destination, recorded) if up_to_date(destination, record, root) else None
    except (OSError, ValueError, TypeError, AttributeError, KeyError, RecursionError):
        return None
