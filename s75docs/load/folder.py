"""Load an agreement folder into the model: YAML, care-group presets and budget tables.

An agreement is a folder holding ``agreement.yaml``; it lists its Part 2 schedule files, which may
``extends:`` a preset from the top-level ``schedules/`` folder and name budget tables. Every value
keeps its origin (file and line) so that any finding, here or in ``checks.py``, can point at it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from s75docs.constants import AGREEMENT_FILE, BUILTIN_PRESETS, KEY_PATTERN, PACKAGE
from s75docs.errors import Finding, S75Error, Severity, format_path
from s75docs.load.budgets import read_budget_table
from s75docs.load.source import PathKey, Source, load_yaml
from s75docs.model import agreement as model


@dataclass
class Origin:
    """Maps a field path of the merged agreement back to the file and line it came from."""

    agreement: Source
    schedules: dict[int, list[Source]] = field(default_factory=dict)  # own file first, then presets
    budget_rows: dict[tuple[int, int], str] = field(default_factory=dict)

    def locate(self, path: PathKey) -> tuple[str, int | None]:
        if len(path) >= 2 and path[0] == "schedules" and isinstance(path[1], int):
            index = path[1]
            rest = path[2:]
            row = rest[1] if len(rest) >= 2 and rest[0] == "contributions" else None
            if isinstance(row, int) and (index, row) in self.budget_rows:
                file, _, line = self.budget_rows[(index, row)].rpartition(":")
                return file, int(line)
            sources = self.schedules.get(index)
            if sources:
                for source in sources:
                    if rest[:1] and rest[:1] in source.lines:
                        return source.file, source.line_of(rest)
                return sources[0].file, sources[0].line_of(rest)
        return self.agreement.file, self.agreement.line_of(path)

    def finding(self, severity: Severity, path: PathKey, message: str, code: str = "") -> Finding:
        file, line = self.locate(path)
        return Finding(severity, message, file, format_path(path), line, code)


@dataclass
class Loaded:
    """A loaded agreement with what is needed to report on it."""

    agreement: model.Agreement
    root: Path
    origin: Origin
    files: list[Path]  # every input file read, for hashing and for proving inputs are untouched


def _inside(root: Path, relative: object, display: str, path: PathKey, source: Source) -> Path:
    """Resolve a file named in the data, refusing anything that leaves the agreement folder."""
    where = Finding("error", "", source.file, format_path(path), source.line_of(path))
    if not isinstance(relative, str) or not relative.strip():
        raise S75Error(_with(where, f"expected a file name relative to the agreement folder, "
                                    f"got {relative!r}"))
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise S75Error(_with(where, f"{display} {relative!r} must be a path inside the agreement "
                                    "folder (no absolute paths or '..')"))
    full = root / candidate
    try:
        if full.is_symlink() or not full.resolve().is_relative_to(root.resolve()):
            raise S75Error(_with(where, f"{display} {relative!r} is a link or leaves the "
                                        "agreement folder; copy the file into the folder instead"))
        if not full.exists():
            raise S75Error(_with(where, f"{display} {relative!r} does not exist"))
        if not full.is_file():
            raise S75Error(_with(where, f"{display} {relative!r} is not a regular file"))
    except (OSError, ValueError) as exc:  # a name too long, or holding a NUL byte
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise S75Error(_with(where, f"{display} {relative[:80]!r} cannot be opened: "
                                    f"{reason}")) from None
    return full


def _budget_ref(ref: object, path: PathKey, source: Source) -> tuple[object, str | None]:
    """A ``budget_files`` entry: a file name, or ``{file: name, sheet: name}`` to choose a
    workbook's sheet (the schema refuses other fields once the tables are read)."""
    if not isinstance(ref, dict):
        return ref, None
    sheet = ref.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise S75Error(Finding("error", "expected the name of a sheet", source.file,
                               format_path(path + ("sheet",)), source.line_of(path + ("sheet",))))
    return ref.get("file"), sheet


def _with(template: Finding, message: str) -> Finding:
    return Finding(template.severity, message, template.file, template.path, template.line)


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def find_preset(name: str, search: list[Path]) -> Path | None:
    for folder in search:
        candidate = folder / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    return None


def _own_preset(root: Path, preset: Path, own: Source) -> None:
    """A preset in the agreement's own presets/ folder must stay inside the folder, like any
    file the agreement names (a link could otherwise read a file from anywhere)."""
    folder = root / "presets"
    if preset.parent != folder:
        return
    if preset.is_symlink() or folder.is_symlink() \
            or not preset.resolve().is_relative_to(root.resolve()):
        raise S75Error(Finding("error", f"preset {preset.name!r} is a link or leaves the "
                               "agreement folder; copy the file into presets/ instead",
                               own.file, "extends", own.line_of(("extends",))))


def load_agreement(folder: Path | str, presets: list[Path] | None = None) -> Loaded:
    """Read and validate an agreement folder. Raises S75Error with every schema finding."""
    root = Path(folder)
    if root.is_file() and root.name == AGREEMENT_FILE:
        root = root.parent
    main = root / AGREEMENT_FILE
    if not main.is_file():
        raise S75Error(Finding("error", f"no {AGREEMENT_FILE} in this folder; an agreement is a "
                                        "folder holding agreement.yaml", str(root)))
    base = root.parent
    if main.is_symlink():
        raise S75Error(Finding("error", f"{AGREEMENT_FILE} is a link; an agreement's files must "
                                        "be in its folder, so copy the file there instead",
                               _relative(main, base)))
    agreement_src = load_yaml(main, display=_relative(main, base))
    if not isinstance(agreement_src.data, dict):
        raise S75Error(Finding("error", "expected a mapping of fields at the top of the file",
                               agreement_src.file, line=1))
    search = [root / "presets", *(presets or []), BUILTIN_PRESETS]
    origin = Origin(agreement_src)
    files = [main]
    data = dict(agreement_src.data)
    schedule_refs = data.get("schedules", [])
    if not isinstance(schedule_refs, list):
        raise S75Error(origin.finding("error", ("schedules",),
                                      "expected a list of schedule files"))
    merged_schedules = []
    for index, ref in enumerate(schedule_refs):
        path = ("schedules", index)
        schedule_file = _inside(root, ref, "schedule file", path, agreement_src)
        files.append(schedule_file)
        own = load_yaml(schedule_file, display=_relative(schedule_file, base))
        if not isinstance(own.data, dict):
            raise S75Error(Finding("error", "expected a mapping of schedule fields", own.file, line=1))
        sources = [own]
        merged = dict(own.data)
        preset_name = own.data.get("extends")
        if preset_name is not None:
            preset_path = find_preset(preset_name, search) if isinstance(preset_name, str) \
                and re.fullmatch(KEY_PATTERN, preset_name) else None  # no paths, NULs
            if preset_path is None:
                known = sorted(p.stem for folder in search if folder.is_dir()
                               for p in folder.glob("*.yaml"))
                raise S75Error(Finding(
                    "error", f"no care-group preset named {preset_name!r}; known presets: "
                             f"{', '.join(known)}", own.file, "extends", own.line_of(("extends",))))
            _own_preset(root, preset_path, own)
            preset = load_yaml(preset_path, display=_relative(preset_path, PACKAGE))
            files.append(preset_path)
            if not isinstance(preset.data, dict):
                raise S75Error(Finding("error", "expected a mapping of schedule fields",
                                       preset.file, line=1))
            sources.append(preset)
            merged = {**preset.data, **own.data}
        origin.schedules[index] = sources
        lines = list(merged.get("contributions", []) or [])
        budget_files = merged.get("budget_files", []) or []
        if not isinstance(budget_files, list):
            raise S75Error(Finding("error", "expected a list of budget table files",
                                   own.file, "budget_files", own.line_of(("budget_files",))))
        for b_index, budget_ref in enumerate(budget_files):
            ref_path = ("budget_files", b_index)
            name, sheet = _budget_ref(budget_ref, ref_path, own)
            table = _inside(root, name, "budget table", ref_path, own)
            files.append(table)
            for row in read_budget_table(table, _relative(table, base), sheet=sheet):
                origin.budget_rows[(index, len(lines))] = row["source"]
                lines.append(row)
        merged["contributions"] = lines
        merged_schedules.append(merged)
    data["schedules"] = merged_schedules
    try:
        agreement = model.Agreement.model_validate(data)
    except ValidationError as exc:
        raise S75Error(schema_findings(exc, data, origin)) from None
    return Loaded(agreement, root, origin, files)


# --- pydantic's messages, rewritten for a person ------------------------------------------------


def _field_names() -> list[str]:
    names: set[str] = set()
    for obj in vars(model).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(obj.model_fields)
    return sorted(names)


def _real_path(loc: tuple[Any, ...], data: Any) -> tuple[PathKey, list[str]]:
    """Split pydantic's location into the data path and the union branches it passed through."""
    path: list[str | int] = []
    tags: list[str] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            path.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and part.isidentifier() \
                and part[:1].islower() and part not in ("str", "date", "bool", "int", "list",
                                                         "dict", "decimal"):
            path.append(part)  # a missing field
            current = None
        else:
            tags.append(str(part))
    return tuple(path), tags


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        field_name = str(error["loc"][-1])
        close = difflib.get_close_matches(field_name, _field_names(), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown field '{field_name}'{hint}"
    if kind == "string_pattern_mismatch":
        return ("expected a key: lower-case letters, digits, '-' or '_', starting with a letter, "
                "at most 40 characters")
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return "expected a date written as YYYY-MM-DD"
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:]


def schema_findings(exc: ValidationError, data: Any, origin: Origin) -> list[Finding]:
    """One finding per field, however many union branches pydantic tried."""
    grouped: dict[PathKey, list[tuple[list[str], str]]] = {}
    for error in exc.errors(include_url=False):
        path, tags = _real_path(error["loc"], data)
        grouped.setdefault(path, []).append((tags, _message(error)))
    findings = []
    for path, errors in grouped.items():
        open_allowed = any("OpenPoint" in tags for tags, _ in errors)
        messages = [m for tags, m in errors if "OpenPoint" not in tags] or [errors[0][1]]
        unique = list(dict.fromkeys(messages))
        message = unique[0] if len(unique) == 1 else "expected one of: " + "; or ".join(unique)
        if open_allowed:
            message += " (or an open point: {to_be_agreed: 'note'})"
        findings.append(origin.finding("error", path, message, "schema"))
    return findings
