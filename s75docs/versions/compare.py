"""Two versions of an agreement, loaded and rendered side by side: what ``diff`` and ``vary`` use."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s75docs.document.nodes import Document
from s75docs.errors import S75Error
from s75docs.load.folder import Loaded, load_agreement
from s75docs.pipeline import prepare, render_agreement
from s75docs.versions.diff import Change, ClauseChange, clause_changes, model_changes
from s75docs.versions.gitrev import folder_at, parse_range


@dataclass
class Version:
    loaded: Loaded
    document: Document


@dataclass
class Comparison:
    old: Version
    new: Version
    changes: list[Change]
    clauses: list[ClauseChange]

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.clauses)

    def as_dict(self) -> dict[str, Any]:
        return {"changed": self.changed, "changes": [c.as_dict() for c in self.changes],
                "clauses": [c.as_dict() for c in self.clauses]}


def load_version(path: Path, templates: list[Path] | None = None, *,
                 checked: bool = False) -> Version:
    """An agreement loaded and rendered. ``checked`` also refuses data with errors (a deed is
    only drawn between versions that pass ``check``); ``diff`` compares whatever loads."""
    if checked:
        prepared = prepare(path, templates=templates)
        errors = [f for f in prepared.findings if f.severity == "error"]
        if errors or prepared.document is None:
            raise S75Error(errors)
        return Version(prepared.loaded, prepared.document)
    loaded = load_agreement(path)
    return Version(loaded, render_agreement(loaded, templates))


@contextlib.contextmanager
def version_folders(old: Path, new: Path | None, rev: str | None) -> Iterator[tuple[Path, Path]]:
    """The two folders to compare: as given, or read from git revisions of ``old``."""
    if rev is None:
        assert new is not None
        yield old, new
        return
    first, second = parse_range(rev)
    with folder_at(old, first) as before:
        if second is None:
            yield before, old
            return
        with folder_at(old, second) as after:
            yield before, after


def compare(old: Path, new: Path | None = None, rev: str | None = None,
            templates: list[Path] | None = None) -> Comparison:
    with version_folders(old, new, rev) as (before, after):
        a, b = load_version(before, templates), load_version(after, templates)
    return Comparison(a, b, model_changes(a.loaded.agreement, b.loaded.agreement),
                      clause_changes(a.document, b.document))


def print_comparison(comparison: Comparison, console: Any) -> None:
    """Grouped semantic changes, then the clause changes with old and new numbers and text; a run
    of changes in one place (a partner's execution block) under one heading."""
    if not comparison.changed:
        console.print("No changes.")
        return
    group = None
    for change in comparison.changes:
        if change.group != group:
            group = change.group
            console.print(f"\n[bold]{group.capitalize()}[/]")
        console.print(f"  {change.summary}", markup=False)
    if comparison.clauses:
        console.print("\n[bold]Clauses[/]")
    heading = None
    for clause in comparison.clauses:
        if clause.where != heading:
            heading = clause.where
            console.print(f"  {heading}", markup=False)
        if clause.old:
            console.print(f"    - {clause.old.text}", style="red", markup=False)
        if clause.new:
            console.print(f"    + {clause.new.text}", style="green", markup=False)
