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
import difflib
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from s75docs.constants import AGREEMENT_FILE, FORMATS
from s75docs.document.citations import Citations, load_citations
from s75docs.document.nodes import Block, Document, Part, Span, descendants, spans
from s75docs.document.resolve import build_tree
from s75docs.errors import Finding, S75Error
from s75docs.load.roundtrip import YamlFile
from s75docs.model.agreement import Agreement, Partner
from s75docs.output.atomic import publish
from s75docs.pipeline import (
    document_files,
    document_meta,
    reference_docx,
    user_template_dirs,
)
from s75docs.render.context import template_context
from s75docs.render.environment import Safe, escape_markdown, render_template
from s75docs.render.wording import DEED_DRAFT_MARKING, DEED_TITLE, VARIED_TITLE, render_line
from s75docs.versions.compare import Version, load_version
from s75docs.versions.diff import ClauseChange, block_key, clause_changes, part_key, table_text
from s75docs.versions.succession import agreement_files, read_across

DEED_TEMPLATE = "deed.md.j2"
VARIATION_LABEL = "variation"  # the label of the agreement's own variation clause
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
    lines: list[str] = field(default_factory=list)  # the new blocks as the deed states them
    old_count: int = 1  # old blocks it replaces or deletes: a clause and its sub-clauses
    sub_clauses: list[tuple[str, str]] = field(default_factory=list)  # (citation, text) added
    old_last: str = ""  # the old clause's last sub-clause, when it goes with its sub-clauses
    part: Part | None = None  # the new part, annexed, for part operations
    annex: int | None = None
    old_heading: str = ""


@dataclass
class Deed:
    operations: list[Operation]
    renames: list[Rename]
    annexed: list[Part] = field(default_factory=list)
    renumbered: bool = False  # whether any clause, paragraph or Scheme kept has a new number


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
    for span in spans(copy.parts):
        for rename in renames:
            span.text = rename.apply(span.text)
            span.before, span.after = rename.apply(span.before), rename.apply(span.after)
    return copy


def deed_operations(old: Document, new: Document, renames: list[Rename]) -> Deed:
    """The operative clauses that turn OLD's text into NEW's.

    Both are compared as the deed's rename clause reads them (a predecessor's name as its
    successor's), so that a name the drafter has not yet reworded is not a change; a changed
    clause is quoted as NEW has it.
    """
    old_read, new_read = _renamed(old, renames), _renamed(new, renames)
    changes = clause_changes(old_read, new_read)
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
                operations.append(_clause_operation(change, new_parts["body"]))
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
    body = [op for op in operations if op.kind.endswith("_clause")]
    if body:
        merged = _with_sub_clauses(body, old_parts["body"], new_parts["body"])
        operations = merged + [op for op in operations if not op.kind.endswith("_clause")]
    return Deed(operations, renames, annexed, _renumbered(old_read, new_read))


def _clause_operation(change: ClauseChange, body: Part) -> Operation:
    """One changed block as an operation, quoting NEW's own words (not as read across)."""
    if change.kind == "replaced":
        assert change.old and change.new
        block = body.blocks[change.new.index]
        return Operation("replace_clause", change.old.citation, change.new.citation,
                         _block_text(block), change.old.index, change.new.index,
                         [block_key(block)])
    if change.kind == "inserted":
        assert change.new
        block = body.blocks[change.new.index]
        return Operation("insert_clause", "", change.new.citation, _block_text(block),
                         new_index=change.new.index, lines=[block_key(block)])
    assert change.old
    return Operation("delete_clause", change.old.citation, old_index=change.old.index)


def _block_text(block: Block) -> str:
    return table_text(block) if block.kind == "table" else block.plain()


def _with_sub_clauses(ops: list[Operation], old: Part, new: Part) -> list[Operation]:
    """A clause replaced or deleted together with all its sub-clauses is one operation ("clause
    13 is deleted and replaced with ..."), not one for the clause and one for each sub-clause."""
    by_old = {op.old_index: op for op in ops if op.old_index >= 0}
    by_new = {op.new_index: op for op in ops if op.new_index >= 0}
    absorbed: set[int] = set()
    for op in ops:
        if op.kind == "insert_clause" or not old.blocks[op.old_index].full_number \
                or id(op) in absorbed:
            continue
        olds = descendants(old.blocks, op.old_index)
        news = descendants(new.blocks, op.new_index) if op.kind == "replace_clause" else range(0)
        if not olds or not all(i in by_old for i in olds) or not all(j in by_new for j in news) \
                or any(by_new[j].kind == "replace_clause" and by_new[j].old_index not in olds
                       for j in news) \
                or any(by_old[i].kind == "replace_clause" and by_old[i].new_index not in news
                       for i in olds):
            continue
        absorbed |= {id(by_old[i]) for i in olds} | {id(by_new[j]) for j in news}
        op.old_count += len(olds)
        op.old_last = by_old[olds[-1]].old_citation
        op.sub_clauses = [(by_new[j].new_citation, by_new[j].text) for j in news]
        op.lines += [line for j in news for line in by_new[j].lines]
    return [op for op in ops if id(op) not in absorbed]


def _renumbered(old: Document, new: Document) -> bool:
    """Whether a clause or a Scheme both versions keep has a different number in NEW: only
    then does a deed say the rest is renumbered (a clause kept as "[Not used]" moves nothing;
    a changed schedule is replaced whole, so the numbers inside it need no word)."""
    old_parts = {part_key(p): p for p in old.parts}
    for new_part in new.parts:
        old_part = old_parts.get(part_key(new_part))
        if old_part is None:
            continue
        if old_part.name != new_part.name:
            return True
        if new_part.kind != "body":
            continue
        a, b = _texts(old_part), _texts(new_part)
        matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
        for block in matcher.get_matching_blocks():
            if any(old_part.blocks[block.a + k].full_number
                   != new_part.blocks[block.b + k].full_number for k in range(block.size)):
                return True
    return False


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


def read_as_renamed(lines: dict[str, list[str]], renames: list[Rename]) -> dict[str, list[str]]:
    """Lines as the deed's rename clause reads them, to compare a replayed deed with NEW."""
    for rename in renames:
        lines = {k: [rename.apply(line) for line in v] for k, v in lines.items()}
    return lines


def _replay_body(old: Document, ops: list[Operation]) -> list[str]:
    """Replay clause operations as a reader of the deed would: replacements and deletions at
    the old positions (from the end, so earlier positions hold), then insertions at the new."""
    old_body = next(p for p in old.parts if p.kind == "body")
    lines = _texts(old_body)
    for op in sorted((o for o in ops if o.kind != "insert_clause"),
                     key=lambda o: o.old_index, reverse=True):
        lines[op.old_index:op.old_index + op.old_count] = op.lines
    for op in sorted((o for o in ops if o.kind == "insert_clause"), key=lambda o: o.new_index):
        lines[op.new_index:op.new_index] = op.lines
    return lines


# --- rendering the deed ------------------------------------------------------------------------

def deed_context(old: Version, new: Version, variation_date: dt.date, reason: str,
                 deed: Deed) -> dict[str, Any]:
    """What the deed's templates see: NEW's agreement context and the deed's own values,
    among them how OLD cites its own variation clause (the power the deed is made under)."""
    context = template_context(new.loaded.agreement)
    labelled = old.document.labels.get(VARIATION_LABEL)
    context.update(
        old=old.loaded.agreement,
        variation_date=variation_date,
        reason=reason,
        deed=deed,
        operations=deed.operations,
        renames=deed.renames,
        variation_clause=old.document.citations.cite(*labelled) if labelled else None,
        quote=lambda text: Safe("\u201c" + escape_markdown(text) + "\u201d"),
    )
    return context


def annexed(parts: list[Part], citations: Citations) -> list[Part]:
    """Copies of the parts a deed annexes, each headed "Annex 1", "Annex 2" before its own
    heading (NEW's parts are left as they are: the agreement as varied uses them too)."""
    found = []
    for number, part in enumerate(parts, 1):
        copy = deepcopy(part)
        copy.title = [Span("text", part.heading)]
        copy.name = citations.part_name("annex", number)
        found.append(copy)
    return found


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
    context = deed_context(old, new, variation_date, reason, deed)
    dirs = user_template_dirs(new.loaded, templates)
    markdown = render_template(DEED_TEMPLATE, context, dirs)
    citations = load_citations(dirs)
    document = build_tree(markdown, source=DEED_TEMPLATE, citations=citations)
    document.parts.extend(annexed(deed.annexed, citations))
    document.meta = {**document_meta(new.loaded, render_line(DEED_DRAFT_MARKING, context, dirs)),
                     "title": render_line(DEED_TITLE, context, dirs)}
    return document, deed


def recorded_data(new: Version, variation_date: dt.date, reason: str) -> dict[str, bytes]:
    """NEW's data folder with this deed added to ``variations:`` (the rest of the file kept as
    written), so the next deed recites it.

    Written into the output folder (inputs are never modified); copy it over the agreement
    folder once the deed is signed.
    """
    root = new.loaded.root
    files = {f"data/{name}": data for name, data in agreement_files(new.loaded).items()}
    doc = YamlFile.read(root / AGREEMENT_FILE)
    entry = {"date": variation_date, "description": reason}
    if doc.data.get("variations"):
        doc.append(("variations",), entry)
    else:
        if "variations" in doc.data:  # written empty: replaced by the list with this deed
            doc.delete(("variations",))
        doc.add((), "variations", [entry])
    files[f"data/{AGREEMENT_FILE}"] = doc.text().encode("utf-8")
    return files


def write_variation(old_path: Path, new_path: Path, variation_date: dt.date, reason: str,
                    out_dir: Path, *, formats: tuple[str, ...] = FORMATS,
                    templates: list[Path] | None = None) -> Path:
    """Write the deed, the agreement as varied, and NEW's data with the deed recorded."""
    old = load_version(old_path, templates, checked=True)
    new = load_version(new_path, templates, checked=True)
    document, deed = render_deed(old, new, variation_date, reason, templates)
    dirs = user_template_dirs(new.loaded, templates)
    files: dict[str, bytes] = {}
    consolidated = new.document
    title = render_line(VARIED_TITLE, deed_context(old, new, variation_date, reason, deed), dirs)
    consolidated.meta = {**consolidated.meta, "title": title}
    for part in consolidated.parts:
        if part.kind == "front":  # its cover says "as varied by", not only its properties
            part.title = [Span("text", title)]
    for stem, doc in (("deed-of-variation", document), ("agreement-as-varied", consolidated)):
        files.update(document_files(new.loaded, doc, stem, formats, reference_docx(dirs)))
    files.update(recorded_data(new, variation_date, reason))
    publish(out_dir, files, inputs=[old_path, new_path, *(templates or [])])
    return out_dir
