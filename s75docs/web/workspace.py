"""The workspace's state: the agreements of a folder, and one drafter's unsaved changes to each.

An :class:`Editing` session keeps the text of agreement.yaml as it was loaded and the changes
made in the form since. Each change is made to that text through the round-trip writer (so
comments and layout stay), written into a private copy of the agreement folder, and the copy is
checked and rendered by the same ``prepare`` as ``s75docs check``: the findings, the preview and
the downloads all come from the data as it would be saved. Saving writes the same text to the
real file, atomically, unless the file changed on disk since it was loaded.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from s75docs.check.compliance import Row
from s75docs.constants import AGREEMENT_FILE, INPUTS_FILE
from s75docs.document.nodes import OpenPointAt
from s75docs.errors import Finding, S75Error
from s75docs.load.roundtrip import YamlFile
from s75docs.load.source import read_text
from s75docs.output.atomic import write_file
from s75docs.pipeline import Prepared, document_files, prepare, reference_docx
from s75docs.versions.diff import ClauseChange
from s75docs.web.budgets import (
    WORKBOOK_SUFFIXES,
    Table,
    cell_findings,
    grid_rows,
    parse_table,
    read_text_bom,
    table_text,
)
from s75docs.web.forms import (
    FormField,
    PathKey,
    answer,
    build_form,
    new_entry,
    new_item,
    partner_keys,
)
from s75docs.write.html import write_html

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LAST_STEP = re.compile(r"(\.[^.\[]+|\[\d+\])$")


def find_agreements(folder: Path) -> dict[str, Path]:
    """The agreement folders the workspace serves, by name: ``folder`` itself if it is one, else
    its sub-folders that hold agreement.yaml. Names come from here only, never from a request,
    and a folder that is a link (or whose agreement.yaml is) is left out, as the loader would."""
    root = folder.resolve()
    candidates = [root] if (root / AGREEMENT_FILE).is_file() else sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    return {p.name: p for p in candidates
            if not p.is_symlink() and (p / AGREEMENT_FILE).is_file()
            and not (p / AGREEMENT_FILE).is_symlink() and p.resolve().is_relative_to(root)}


@dataclass
class State:
    """What the page shows after a change: findings (by form field, the rest apart), the preview
    and the panels beside it. ``preview`` is empty when the data has errors."""

    findings: list[Finding]
    by_field: dict[str, list[Finding]] = field(default_factory=dict)
    general: list[Finding] = field(default_factory=list)
    preview: str = ""
    compliance: list[Row] = field(default_factory=list)
    open_points: list[OpenPointAt] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


@dataclass
class Conflict:
    """The file changed on disk since it was loaded: both texts, for the drafter to compare."""

    disk: str
    ours: str


@dataclass
class Budget:
    """A budget table the agreement reads, open in the grid: the text loaded and as edited.
    A workbook has no table: it is shown read-only."""

    relative: str  # inside the agreement folder, with "/" between the parts
    display: str  # as findings name it
    loaded_text: str = ""
    text: str = ""
    table: Table | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        return self.table is not None

    @property
    def dirty(self) -> bool:
        return self.text != self.loaded_text


class Editing:
    """One agreement open in the workspace: the loaded text, the changes, a checked copy."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.file = folder / AGREEMENT_FILE
        self.display = f"{folder.name}/{AGREEMENT_FILE}"  # as findings name it
        self.lock = threading.Lock()
        self._work = tempfile.TemporaryDirectory(prefix="s75docs-workspace-")
        self.copy = Path(self._work.name) / folder.name
        shutil.copytree(folder, self.copy, symlinks=True, ignore=shutil.ignore_patterns(".*"))
        self.loaded_text = read_text(self.file, display=self.display)
        self.text = self.loaded_text
        self.prepared: Prepared | None = None
        self._form: tuple[str, list[FormField]] = ("", [])
        # Which fields there are and what they take: a change of value changes neither.
        self._fields = self._named_fields()
        self._composer = ThreadPoolExecutor(max_workers=1)
        self.budget_files: list[str] = []  # the tables the agreement read, as it loaded
        self._budgets: dict[str, Budget] = {}
        self.state = self._changed(self.text)

    def form(self) -> list[FormField]:
        """The form filled from the text as it stands, for the page (a change finds its field
        in the list made at opening: a change of value adds or removes no field)."""
        if self._form[0] != self.text:
            data = yaml.load(self.text, Loader=_LOADER)  # the C reader: values only, fast
            self._form = (self.text, build_form(data if isinstance(data, dict) else {}))
        return self._form[1]

    def _named_fields(self) -> dict[str, FormField]:
        return {f.name: f for top in self.form() for f in top.walk()}

    def _editable(self) -> YamlFile:
        """The text as it stands, composed for the round-trip writer. ruamel's composer takes a
        tenth of a second, so it is done in the background after each change, while the drafter
        reads the preview and types the next one."""
        file = self._next.result()
        return file if file.source == self.text else YamlFile(self.text, self.display)

    def _changed(self, text: str) -> State:
        """Take the new text, check and render it, then compose it for the next edit: in the
        background, once the preview is made, so that the two do not share the processor
        while the drafter waits."""
        self.text = text
        self.state = self._refresh()
        self._recompose()
        return self.state

    def _recompose(self) -> None:
        self._next = self._composer.submit(YamlFile, self.text, self.display)

    def change(self, name: str, submitted: dict[str, Any]) -> State:
        """Apply one field's new answer; a change the file cannot take is refused at the field."""
        found = self._fields.get(name)
        if found is None:
            raise S75Error(Finding("error", f"no field {name!r} in this form", self.display,
                                   code="usage"))
        try:
            decided = answer(found, submitted)
        except ValueError as exc:
            return self._refused(name, str(exc))
        try:
            text = _edited(self._editable(), found.path, *decided)
        except S75Error as exc:
            self._recompose()  # the composed file may hold half the edit: compose afresh
            return self._refused(name, "; ".join(f.message for f in exc.findings))
        return self._changed(text)

    def change_list(self, name: str, action: str, index: int) -> State:
        """Add an item to a list of groups (partners, approvals ...), or remove or move one;
        the form then has other fields, so the page draws it again."""
        found = self._fields.get(name)
        if found is None or found.role != "list" or action not in LIST_ACTIONS:
            raise S75Error(Finding("error", f"no list {name!r} in this form to {action}",
                                   self.display, code="usage"))
        try:
            text = _list_edited(self._editable(), found, action, index, self.partner_keys())
        except S75Error as exc:
            self._recompose()
            return self._refused(name, "; ".join(f.message for f in exc.findings))
        self.text = text
        self._fields = self._named_fields()  # before the findings are placed at them
        return self._changed(text)

    def change_map(self, name: str, action: str, key: str) -> State:
        """Add an entry to a mapping keyed by partner (a risk share) or by a fixed list of
        words (clauses), or remove one; the form then has other fields, so it is drawn again."""
        found = self._fields.get(name)
        if found is None or found.role != "map" or action not in MAP_ACTIONS:
            raise S75Error(Finding("error", f"no mapping {name!r} in this form to {action}",
                                   self.display, code="usage"))
        given = {child.path[-1] for child in found.children}
        if action == "remove" and key not in given:
            return self._refused(name, f"there is no entry for {key!r} to remove")
        if action == "add" and key in given:
            return self._refused(name, f"there is already an entry for {key!r}")
        if action == "add" and key not in found.key_choices:
            return self._refused(name, f"{key!r} is not one of {', '.join(found.key_choices)}")
        try:
            text = _map_edited(self._editable(), found, action, key)
        except S75Error as exc:
            self._recompose()
            return self._refused(name, "; ".join(f.message for f in exc.findings))
        self.text = text
        self._fields = self._named_fields()
        return self._changed(text)

    def _refused(self, name: str, message: str) -> State:
        refused = Finding("error", f"not changed: {message}", self.display, name)
        return _placed([refused, *self.state.findings], self.state, set(self._fields))

    def _refresh(self) -> State:
        (self.copy / AGREEMENT_FILE).write_text(self.text, encoding="utf-8")
        self.prepared = None
        try:
            self.prepared = prepare(self.copy)
            findings = self.prepared.findings
            self._note_budgets(self.prepared.loaded.files)
        except S75Error as exc:
            findings = exc.findings
        state = State(findings)
        if self.prepared is not None and self.prepared.ok and self.prepared.document:
            state.preview = write_html(self.prepared.document)
            state.compliance = self.prepared.compliance
            state.open_points = self.prepared.document.open_points()
        return _placed(findings, state, set(self._fields))

    @property
    def dirty(self) -> bool:
        return self.text != self.loaded_text

    def partner_keys(self) -> tuple[str, ...]:
        data = yaml.load(self.text, Loader=_LOADER)
        return partner_keys(data if isinstance(data, dict) else {})

    # --- budget tables ------------------------------------------------------------------------

    def _note_budgets(self, files: list[Path]) -> None:
        """Remember the budget tables the agreement reads (a table once listed stays listed,
        so that a table the data cannot read at the moment can still be put right)."""
        for file in files:
            if file.suffix.lower() in (".csv", *WORKBOOK_SUFFIXES) \
                    and file.resolve().is_relative_to(self.copy.resolve()):
                relative = file.resolve().relative_to(self.copy.resolve()).as_posix()
                if relative not in self.budget_files:
                    self.budget_files.append(relative)

    def budget(self, index: int) -> Budget:
        """The ``index``-th budget table, opened on first use; only tables the agreement reads
        are named, by their place in that list, never by a path from the request."""
        if not 0 <= index < len(self.budget_files):
            raise S75Error(Finding("error", f"no budget table {index + 1}", self.display,
                                   code="usage"))
        relative = self.budget_files[index]
        if relative not in self._budgets:
            self._budgets[relative] = self._open_budget(relative)
        return self._budgets[relative]

    def unsaved_budgets(self) -> set[str]:
        return {relative for relative, budget in self._budgets.items() if budget.dirty}

    def _open_budget(self, relative: str) -> Budget:
        budget = Budget(relative, str(Path(self.folder.name, relative)))
        path = self._real(relative)
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            return budget
        budget.loaded_text, budget.table = parse_table(path, budget.display)
        budget.rows = grid_rows(budget.table)
        budget.ends = table_text(budget.table, budget.rows)[1]
        budget.text = budget.loaded_text  # the grid as loaded is the file as it is
        copied = self.copy / relative
        if read_text_bom(copied, budget.display) != budget.text:  # changed since we opened
            copied.write_text(budget.text, encoding="utf-8", newline="")
            self.state = self._refresh()
        return budget

    def _real(self, relative: str) -> Path:
        """A table's path in the real folder, refused if it is a link or leaves the folder."""
        path = self.folder / relative
        if path.is_symlink() or not path.resolve().is_relative_to(self.folder.resolve()):
            raise S75Error(Finding("error", f"{relative} is a link or leaves the agreement "
                                   "folder; not opened", self.display))
        return path

    def change_budget(self, index: int, rows: list[dict[str, Any]]) -> State:
        """The grid's rows written into the checked copy, checked with the agreement."""
        budget = self.budget(index)
        if budget.table is None:
            raise S75Error(Finding("error", "workbooks are read-only in the workspace",
                                   budget.display, code="usage"))
        budget.rows = rows
        budget.text, budget.ends = table_text(budget.table, rows)
        (self.copy / budget.relative).write_text(budget.text, encoding="utf-8", newline="")
        self.state = self._refresh()
        return self.state

    def budget_findings(self, index: int) -> tuple[dict[str, list[Finding]], list[Finding]]:
        """Findings about the table by cell ("row:column"), then the rest: those about the
        table as a whole, and the errors and warnings elsewhere (a stated total that no
        longer adds up names the schedule, not the table)."""
        budget = self.budget(index)
        elsewhere = [f for f in self.state.findings if f.severity in ("error", "warning")
                     and not (f.file or "").startswith(budget.display)]
        if budget.table is None:
            return {}, [f for f in self.state.findings
                        if (f.file or "").startswith(budget.display)] + elsewhere
        cells, rest = cell_findings(self.state.findings, budget.display, budget.ends,
                                    budget.table.header)
        return cells, rest + elsewhere

    def save_budget(self, index: int) -> Conflict | None:
        """Write the table, unless it changed on disk since it was loaded."""
        budget = self.budget(index)
        path = self._real(budget.relative)
        disk = read_text_bom(path, budget.display)
        if disk != budget.loaded_text:
            return Conflict(disk, budget.text)
        write_file(path, budget.text.encode("utf-8"))
        budget.loaded_text = budget.text
        return None

    def save(self) -> Conflict | None:
        """Write the changes to agreement.yaml, unless it changed on disk since it was loaded."""
        disk = read_text(self.file, display=self.display)
        if disk != self.loaded_text:
            return Conflict(disk, self.text)
        if self.file.resolve() != (self.folder / AGREEMENT_FILE).resolve() \
                or self.file.is_symlink():
            raise S75Error(Finding("error", "agreement.yaml is a link; not saved", self.display))
        write_file(self.file, self.text.encode("utf-8"))
        self.loaded_text = self.text
        return None

    def reload(self) -> State:
        """Forget the changes and read the files again (after a conflict, say)."""
        self.loaded_text = read_text(self.file, display=self.display)
        for relative in self._budgets:
            shutil.copyfile(self._real(relative), self.copy / relative)
        self._budgets.clear()
        self.text = self.loaded_text
        self._fields = self._named_fields()
        return self._changed(self.loaded_text)

    def download(self, fmt: str) -> tuple[str, bytes]:
        """The agreement with its unsaved changes as .docx or .pdf: (file name, bytes)."""
        prepared = self.prepared
        if prepared is None or not prepared.ok or prepared.document is None:
            raise S75Error(Finding("error", "the agreement has errors: correct them first",
                                   self.display))
        files = document_files(prepared.loaded, prepared.document, "agreement", (fmt,),
                               reference_docx(prepared.dirs))
        return f"{prepared.loaded.agreement.reference}.{fmt}", files[f"agreement.{fmt}"]

    def redline(self, rev: str = "HEAD") -> tuple[str, bytes]:
        """The saved agreement as Word tracked changes against a git commit (the last one)."""
        from s75docs.versions.redline import redline_bytes

        against = "" if rev == "HEAD" else f"-{rev[:10]}"
        return (f"{self.folder.name}-redline{against}.docx",
                redline_bytes(self.folder, None, rev=rev, fmt="docx"))

    def close(self) -> None:
        self._composer.shutdown(wait=False, cancel_futures=True)
        self._work.cleanup()


def _edited(file: YamlFile, path: PathKey, remove: bool, value: Any) -> str:
    """The file's text with one field changed as the form says, through the round-trip writer."""
    parent = file.get(path[:-1])
    present = path[-1] in parent if isinstance(parent, dict) else False
    if remove:
        if present:
            file.delete(path)
    elif not present:
        file.add(path[:-1], str(path[-1]), value)
    elif isinstance(value, list) and isinstance(file.get(path), list) and file.get(path):
        _set_list(file, path, value)
    else:
        file.set(path, value)
    return file.text()


LIST_ACTIONS = ("add", "remove", "up", "down")


def _list_edited(file: YamlFile, found: FormField, action: str, index: int,
                 keys: tuple[str, ...]) -> str:
    """The file's text with an item added to, removed from or moved in the list ``found``."""
    path = found.path
    parent = file.get(path[:-1])
    items = parent.get(path[-1]) if isinstance(parent, dict) else None
    count = len(items) if isinstance(items, list) else 0
    if action == "add":
        item = new_item(found.item_type, keys, (*path, count))
        if count:
            file.append(path, item)
        else:  # absent, empty or ``[]``: written afresh as a block list
            if isinstance(parent, dict) and path[-1] in parent:
                file.delete(path)
            file.add(path[:-1], str(path[-1]), [item])
        return file.text()
    other = index - 1 if action == "up" else index + 1
    if not 0 <= index < count or action != "remove" and not 0 <= other < count:
        raise S75Error(Finding("error", f"there is no item {index + 1} to {action}", file.name,
                               found.name))
    if action == "remove":
        file.delete(path if count == 1 else (*path, index))  # the last one: the list goes
    else:
        file.swap(path, index, other)
    return file.text()


MAP_ACTIONS = ("add", "remove")


def _map_edited(file: YamlFile, found: FormField, action: str, key: str) -> str:
    """The file's text with ``key`` added to the mapping ``found`` (at its end, its value
    empty for the checks to ask for) or removed from it; the last entry takes the mapping."""
    path = found.path
    parent = file.get(path[:-1])
    mapping = parent.get(path[-1]) if isinstance(parent, dict) else None
    count = len(mapping) if isinstance(mapping, dict) else 0
    if action == "remove":
        file.delete(path if count == 1 else (*path, key))
    elif count:
        file.add(path, key, new_entry(found))
    else:  # absent, empty or ``{}``: written afresh as a block
        if isinstance(parent, dict) and path[-1] in parent:
            file.delete(path)
        file.add(path[:-1], str(path[-1]), {key: new_entry(found)})
    return file.text()


def _set_list(file: YamlFile, path: PathKey, lines: list[str]) -> None:
    """A block list given new items: changed ones set, new ones appended, surplus removed."""
    old = list(file.get(path))
    for index, line in enumerate(lines[:len(old)]):
        if old[index] != line:
            file.set((*path, index), line)
    for line in lines[len(old):]:
        file.append(path, line)
    for index in reversed(range(len(lines), len(old))):
        file.delete((*path, index))


def _placed(findings: list[Finding], state: State, names: set[str]) -> State:
    """Each finding about agreement.yaml at the nearest form field that holds its path; the
    rest (other files, the rendered agreement) apart."""
    placed = State(findings, preview=state.preview, compliance=state.compliance,
                   open_points=state.open_points)
    for finding in findings:
        name = finding.path
        if finding.severity != "open" and finding.file and finding.file.endswith(AGREEMENT_FILE):
            while name and name not in names:
                name = _LAST_STEP.sub("", name)
        if name and name in names and finding.severity != "open":
            placed.by_field.setdefault(name, []).append(finding)
        else:
            placed.general.append(finding)
    return placed


def changed_words(clause: ClauseChange) -> list[list[tuple[str, str]]]:
    """A changed clause as paragraphs of (text, "del" | "ins" | "") runs: one paragraph with
    the words that went and came amid those that stayed (as a redline marks them); a table, or
    a clause inserted or deleted whole, as the old and the new paragraph."""
    from s75docs.versions.redline import word_diff

    if clause.old is None or clause.new is None or "table" in (clause.old.block.kind,
                                                               clause.new.block.kind):
        return [[(located.text, change)] for located, change in
                ((clause.old, "del"), (clause.new, "ins")) if located is not None]
    return [[(span.plain(), span.change or "")
             for span in word_diff(clause.old.block.spans, clause.new.block.spans)]]


@dataclass
class Summary:
    """One agreement's line on the front page."""

    name: str
    title: str
    errors: int
    warnings: int
    open_points: int
    last_built: str
    git: str


def summarise(name: str, folder: Path, build_dir: Path) -> Summary:
    """The front page's state of one agreement: its findings, last build and git status."""
    try:
        prepared = prepare(folder)
        findings, title = prepared.findings, prepared.loaded.agreement.title
        reference = prepared.loaded.agreement.reference
    except S75Error as exc:
        findings, title, reference = exc.findings, name, ""
    record = build_dir / reference / INPUTS_FILE if reference else None
    built = (dt.datetime.fromtimestamp(record.stat().st_mtime).strftime("%d %b %Y %H:%M")
             if record is not None and record.is_file() else "never")
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "open")}
    return Summary(name, title, counts["error"], counts["warning"], counts["open"], built,
                   git_status(folder))


def git_status(folder: Path) -> str:
    """"clean", "3 files changed" or "not in git", in the words a drafter reads."""
    try:
        result = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=folder,
                                capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return "not in git"
    if result.returncode != 0:
        return "not in git"
    changed = len(result.stdout.splitlines())
    return "clean" if not changed else f"{changed} file{'s' if changed > 1 else ''} changed"


__all__ = ["Conflict", "Editing", "State", "Summary", "changed_words", "find_agreements",
           "summarise"]
