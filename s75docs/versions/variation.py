"""Deeds of variation, derived from the change between two rendered versions of an agreement.

The change set is computed on the document trees: a changed clause of the agreement body is
deleted and replaced (or inserted, or deleted) by number; a changed schedule or scheme is
replaced whole by the version annexed to the deed. A successor body's new name and defined term
are one operative clause ("references to the CCG are to be read as references to the ICB")
rather than a change to every clause that mentions it. ``apply_operations`` replays the change
set on the old text, which is how the tests prove the deed is complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from s75docs.constants import AGREEMENT_FILE, FORMATS
from s75docs.document.tree import Document, Part, Span, build_tree, iter_spans, walk_spans
from s75docs.errors import Finding, S75Error
from s75docs.load.source import load_yaml
from s75docs.model.agreement import Agreement, Partner
from s75docs.output.atomic import clean_stale, locked, write_atomically
from s75docs.pipeline import (
    document_files,
    document_meta,
    reference_docx,
    user_template_dirs,
)
from s75docs.render.context import template_context
from s75docs.render.environment import Safe, escape_markdown, long_date, render_template, short_date
from s75docs.versions.compare import Version, load_version
from s75docs.versions.diff import ClauseChange, block_key, clause_changes, part_key
from s75docs.versions.succession import read_across

DEED_TEMPLATE = "deed.md.j2"
OperationKind = Literal["replace_clause", "insert_clause", "delete_clause", "replace_part",
                        "insert_part", "delete_part"]


@dataclass
class Rename:
    """A successor taking a predecessor's place: names and defined terms read across."""

    old: Partner
    new: Partner
    transfer_scheme: str | None = None

    def apply(self, text: str) -> str:
        return read_across(text, self.old, self.new)


@dataclass
class Operation:
    """One operative clause of a deed."""

    kind: OperationKind
    old_citation: str = ""
    new_citation: str = ""
    text: str = ""  # the new clause text, for clause operations
    old_index: int = -1  # position of the clause in the old body (replace, delete)
    new_index: int = -1  # position of the clause in the new body (replace, insert)
    line: str = ""  # the new clause as the deed states it (kind, level and text)
    part: Part | None = None  # the new part, annexed, for part operations
    annex: int | None = None
    old_heading: str = ""


@dataclass
class Deed:
    operations: list[Operation]
    renames: list[Rename]
    annexed: list[Part] = field(default_factory=list)


def renames_between(old: Agreement, new: Agreement) -> list[Rename]:
    """Partners of NEW whose history names a partner of OLD that is no longer there."""
    new_keys = {p.key for p in new.partners}
    found = []
    for partner in new.partners:
        for predecessor in partner.history:
            for gone in old.partners:
                if gone.name == predecessor.name and (gone.key not in new_keys or
                                                       gone.key == partner.key):
                    found.append(Rename(gone, partner, predecessor.transfer_scheme))
    return found


def _renamed(document: Document, renames: list[Rename]) -> Document:
    """A copy of ``document`` whose text reads with successors' names (for comparing)."""
    if not renames:
        return document
    copy = deepcopy(document)
    for part in copy.parts:
        for span in _all_spans(part):
            for rename in renames:
                span.text = rename.apply(span.text)
                span.before, span.after = rename.apply(span.before), rename.apply(span.after)
    return copy


def _all_spans(part: Part) -> Iterator[Span]:
    yield from walk_spans(part.title)
    for block in part.blocks:
        yield from iter_spans(block)


def deed_operations(old: Document, new: Document, renames: list[Rename]) -> Deed:
    """The operative clauses that turn OLD's text into NEW's."""
    changes = clause_changes(_renamed(old, renames), new)
    operations: list[Operation] = []
    annexed: list[Part] = []
    replaced_parts: set[str] = set()
    new_parts = {part_key(p): p for p in new.parts}
    old_parts = {part_key(p): p for p in old.parts}
    for change in changes:
        key = change.part_key
        kind = key.split(":", 1)[0]
        if kind in ("body", "front", "execution"):
            if kind == "body":
                operations.append(_clause_operation(change))
            continue  # parties and execution follow the data; renames cover successors
        if key in replaced_parts:
            continue
        replaced_parts.add(key)
        if key in new_parts:
            part = new_parts[key]
            annexed.append(part)
            operations.append(Operation(
                "replace_part" if key in old_parts else "insert_part",
                old_citation=old_parts[key].name if key in old_parts else "",
                new_citation=part.name, part=part, annex=len(annexed),
                old_heading=old_parts[key].heading if key in old_parts else ""))
        else:
            operations.append(Operation("delete_part", old_citation=old_parts[key].name,
                                        old_heading=old_parts[key].heading))
    return Deed(operations, renames, annexed)


def _clause_operation(change: ClauseChange) -> Operation:
    if change.kind == "replaced":
        assert change.old and change.new
        return Operation("replace_clause", change.old.citation, change.new.citation,
                         change.new.text, change.old.index, change.new.index,
                         block_key(change.new.block))
    if change.kind == "inserted":
        assert change.new
        return Operation("insert_clause", "", change.new.citation, change.new.text,
                         new_index=change.new.index, line=block_key(change.new.block))
    assert change.old
    return Operation("delete_clause", change.old.citation, old_index=change.old.index)


# --- replaying a deed (for proof) --------------------------------------------------------------

def _texts(part: Part) -> list[str]:
    return [block_key(b) for b in part.blocks]


def document_lines(document: Document) -> dict[str, list[str]]:
    """The text of each part, keyed as parts are matched across versions."""
    return {part_key(p): _texts(p) for p in document.parts if p.kind != "front"
            and p.kind != "execution"}


def apply_operations(old: Document, new: Document, deed: Deed) -> dict[str, list[str]]:
    """OLD's text with the deed applied: equal to ``document_lines(new)`` when the deed is right.

    Clause operations are replayed in the order computed, against the renamed old text; a part
    operation substitutes the annexed part.
    """
    renamed = _renamed(old, deed.renames)
    result: dict[str, list[str]] = {key: [] for key in document_lines(new)}
    old_lines = document_lines(renamed)
    for key in result:
        if key in old_lines:
            result[key] = list(old_lines[key])
    body_ops = [op for op in deed.operations if op.kind.endswith("_clause")]
    if body_ops:
        result["body"] = _replay_body(renamed, body_ops)
    for op in deed.operations:
        if op.part is not None:
            result[part_key(op.part)] = _texts(op.part)
    return {k: v for k, v in result.items() if k in document_lines(new)}


def _replay_body(old: Document, ops: list[Operation]) -> list[str]:
    """Replay clause operations as a reader of the deed would: replacements and deletions at
    the old positions (from the end, so earlier positions hold), then insertions at the new."""
    old_body = next(p for p in old.parts if p.kind == "body")
    lines = _texts(old_body)
    for op in sorted((o for o in ops if o.kind != "insert_clause"),
                     key=lambda o: o.old_index, reverse=True):
        lines[op.old_index:op.old_index + 1] = [op.line] if op.kind == "replace_clause" else []
    for op in sorted((o for o in ops if o.kind == "insert_clause"), key=lambda o: o.new_index):
        lines.insert(op.new_index, op.line)
    return lines


# --- rendering the deed ------------------------------------------------------------------------

def render_deed(old: Version, new: Version, variation_date: dt.date, reason: str,
                templates: list[Path] | None = None) -> tuple[Document, Deed]:
    """The deed of variation as a document tree: the deed's own parts, then the annexes."""
    if variation_date < new.loaded.agreement.commencement_date:
        raise S75Error(Finding("error", f"the variation date {variation_date} is before the "
                               "agreement commences", "--date"))
    renames = renames_between(old.loaded.agreement, new.loaded.agreement)
    deed = deed_operations(old.document, new.document, renames)
    if not deed.operations and not renames:
        raise S75Error(Finding("error", "the two versions render the same agreement: there is "
                               "nothing for a deed to vary", "NEW"))
    context = template_context(new.loaded.agreement)
    context.update(
        old=old.loaded.agreement,
        variation_date=variation_date,
        reason=reason,
        deed=deed,
        operations=deed.operations,
        renames=renames,
        quote=lambda text: Safe("\u201c" + escape_markdown(text) + "\u201d"),
    )
    dirs = user_template_dirs(new.loaded, templates)
    markdown = render_template(DEED_TEMPLATE, context, dirs)
    document = build_tree(markdown, source=DEED_TEMPLATE)
    document.parts.extend(deed.annexed)
    document.meta = document_meta(new.loaded)
    document.meta["title"] = f"Deed of Variation: {new.loaded.agreement.title}"
    if document.meta["draft_marking"]:  # the deed is a draft of its own, dated for its variation
        document.meta["draft_marking"] = (f"Draft deed of variation \u2014 "
                                          f"{short_date(variation_date)} \u2014 subject to contract")
    return document, deed


def recorded_data(new: Version, variation_date: dt.date, reason: str) -> dict[str, bytes]:
    """NEW's data folder with this deed added to ``variations:``, so the next deed recites it.

    Written into the output folder (inputs are never modified); copy it over the agreement
    folder once the deed is signed.
    """
    root = new.loaded.root
    files: dict[str, bytes] = {}
    for path in new.loaded.files:
        if path.is_relative_to(root):
            files[f"data/{path.relative_to(root)}"] = path.read_bytes()
    main = root / AGREEMENT_FILE
    # Our loader, not yaml.safe_load: YAML 1.1 would turn 'version: 1:30' into 90 here.
    data = load_yaml(main).data or {}
    entries = list(data.get("variations") or [])
    entries.append({"date": variation_date.isoformat(), "description": reason})
    data["variations"] = entries
    files[f"data/{AGREEMENT_FILE}"] = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=100).encode("utf-8")
    return files


def write_variation(old_path: Path, new_path: Path, variation_date: dt.date, reason: str,
                    out_dir: Path, *, formats: tuple[str, ...] = FORMATS,
                    templates: list[Path] | None = None) -> Path:
    """Write the deed, the agreement as varied, and NEW's data with the deed recorded."""
    old = load_version(old_path, templates, checked=True)
    new = load_version(new_path, templates, checked=True)
    document, _ = render_deed(old, new, variation_date, reason, templates)
    dirs = user_template_dirs(new.loaded, templates)
    files: dict[str, bytes] = {}
    consolidated = new.document
    consolidated.meta = dict(consolidated.meta)
    consolidated.meta["title"] = (f"{new.loaded.agreement.title} (as varied by a deed with "
                                  f"effect from {long_date(variation_date)})")
    for stem, doc in (("deed-of-variation", document), ("agreement-as-varied", consolidated)):
        files.update(document_files(new.loaded, doc, stem, formats, reference_docx(dirs)))
    files.update(recorded_data(new, variation_date, reason))
    with locked(out_dir.parent, out_dir.name):
        clean_stale(out_dir)
        write_atomically(out_dir, files)
    return out_dir
