"""Proof, from the rendered document and the data, that every prescribed item of the Regulations is there.

``templates/statute-map.yaml`` maps each item (reg 4 consultation; reg 7(3)(a)-(g) and 7(4) for
a pooled fund; reg 8(3) where an NHS body exercises a council's health-related functions; reg
9(3) and 9(4) where a council exercises NHS functions; the 7(2), 8(2) and 9(2) consent of an NHS
trust's commissioners; and, for a Better Care Fund scheme, the national conditions a clause must
meet, such as no mid-year ending) to the clause labels that satisfy it; ``{key}`` in a label stands for a
scheme's key, ``{partner}`` for a trust partner's key. An item is *missing* when a label it
names is not on a live clause (one kept as "[Not used]" is not live); *open* when the clauses
are there but a value it rests on (the map's ``data``) is still an open point or not given, so
that the clause holds only a bracketed note, or a recital records that a step has not been
taken; *satisfied* otherwise. The test is on the data, never on the wording, so a firm's clauses
are judged the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from s75docs.document.nodes import Block, Document, descendants, flat_without_open, spans
from s75docs.errors import Finding, S75Error
from s75docs.load.source import load_yaml
from s75docs.model.agreement import Agreement, Arrangement, OpenPoint, Partner, Schedule

MAP_FILE = "statute-map.yaml"
NOT_USED = "[Not used]"
AppliesTo = Literal["agreement", "pooled_fund", "nhs_body_exercises", "council_exercises",
                    "better_care_fund"]
Status = Literal["satisfied", "open", "missing"]
DELEGATIONS = (Arrangement.lead_commissioning, Arrangement.integrated_provision)


class MapItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(min_length=1)
    regulation: str = Field(min_length=1)
    applies_to: AppliesTo
    labels: list[str] = Field(min_length=1)
    # Fields (dotted) of the agreement, the scheme or, with per_trust, the NHS trust partner
    # that the item rests on: an open point or nothing there leaves the item open.
    data: list[str] = []
    per_trust: bool = False  # one row for each NHS trust partner (its commissioners' consent)
    # A statutory item missing is an error; a national condition of the Better Care Fund (which
    # binds through the funding, not the Regulations) is a warning for the drafter to confirm.
    severity: Literal["error", "warning"] = "error"


@dataclass
class Row:
    item: str
    regulation: str
    scheme: str  # scheme title, or "" for agreement-wide items
    where: list[str]  # "clause 7.2", "paragraph 3 of Scheme 1", ...
    missing: list[str]  # labels not on a live clause
    open: list[str] = field(default_factory=list)  # data fields still to be agreed
    partner: str = ""  # the NHS trust a consent row is about
    severity: Literal["error", "warning"] = "error"  # of the finding when it is missing
    points: list[str] = field(default_factory=list)  # open points in the clauses it cites

    @property
    def status(self) -> Status:
        return "missing" if self.missing else "open" if self.open or self.points else \
            "satisfied"

    @property
    def satisfied(self) -> bool:
        return self.status == "satisfied"


def load_map(dirs: list[Path]) -> list[MapItem]:
    for folder in dirs:
        path = folder / MAP_FILE
        if path.is_file():
            info = path.stat()
            return list(_read_map(path, info.st_mtime_ns, info.st_size, info.st_ino))
    raise S75Error(Finding("error", f"no {MAP_FILE} in the template folders", code="compliance"))


@functools.lru_cache(maxsize=16)  # read again when the file changes (its stat says so)
def _read_map(path: Path, mtime_ns: int, size: int, inode: int) -> tuple[MapItem, ...]:
    source = load_yaml(path, display=str(path))
    try:
        return tuple(MapItem.model_validate(entry) for entry in source.data or [])
    except (ValidationError, TypeError) as exc:
        raise S75Error(Finding("error", f"statute map is not valid: {exc}",
                               str(path), code="compliance")) from exc


class _OpenPoints:
    """The open points under each label, found once for all the rows of a report."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.found: dict[str, list[tuple[Block, str]]] = {}

    def under(self, label: str) -> list[tuple[Block, str]]:
        """The open points in the clause a label marks, the paragraphs numbered under it
        included (a whole part, for a part's label), each with its paragraph: a notice period
        still to be agreed in the termination clause leaves the item citing the clause open."""
        if label not in self.found:
            self.found[label] = self._under(label)
        return self.found[label]

    def _under(self, label: str) -> list[tuple[Block, str]]:
        target = self.document.labels.get(label)
        if target is None:
            return []
        part, block = target
        under = part.blocks
        if block is not None:
            index = next(i for i, b in enumerate(part.blocks) if b is block)
            under = [block, *(part.blocks[i] for i in descendants(part.blocks, index))]
        return [(paragraph, span.text) for paragraph in under
                if not flat_without_open(paragraph) for span in spans([paragraph], kind="open")]


def _counts_for(schedule: Schedule | None, label: str, paragraph: Block,
                titles: list[str]) -> bool:
    """Whether an open point in a cited clause leaves this row open: always in a clause of the
    scheme's own (a label with ``{key}`` or ``{partner}``) or for the agreement as a whole; in
    a clause of the agreement's, only where its paragraph names no scheme (clause 5.2 gives one
    paragraph to each scheme, and another scheme's open point is not this one's)."""
    if schedule is None or "{" in label:
        return True
    text = paragraph.plain()
    return not any(title in text for title in titles)


def _where(document: Document, label: str) -> str | None:
    target = document.labels.get(label)
    if target is None:
        return None
    part, block = target
    if block is not None and block.plain().strip() == NOT_USED:
        return None
    return document.citations.cite(part, block)


def exercised_by(agreement: Agreement, schedule: Schedule) -> set[AppliesTo]:
    """Which of regs 8 and 9 a scheme's delegations fall under: each delegation's regulation
    (its ``delegations``, or its lead commissioner exercising the others' functions); both while
    that is not settled."""
    if not (schedule.delegations or any(schedule.has(kind) for kind in DELEGATIONS)):
        return set()
    regulations = {d.regulation for d in agreement.delegations(schedule)}
    if regulations and None not in regulations:
        return {"council_exercises" if r == 9 else "nhs_body_exercises" for r in regulations}
    lead = schedule.lead_commissioner
    keys = {p.key for p in agreement.partners}
    if isinstance(lead, str) and lead in keys:
        return {"council_exercises" if agreement.partner(lead).kind.is_council
                else "nhs_body_exercises"}
    return {"council_exercises", "nhs_body_exercises"}


def _targets(agreement: Agreement, entry: MapItem) -> Iterator[tuple[object, Schedule | None]]:
    """What each row of an item is about: the agreement, or each scheme it applies to."""
    if entry.applies_to == "agreement":
        yield agreement, None
        return
    for schedule in agreement.schedules:
        if entry.applies_to == "pooled_fund" and schedule.has(Arrangement.pooled_fund) or \
                entry.applies_to == "better_care_fund" and schedule.better_care_fund or \
                entry.applies_to in exercised_by(agreement, schedule):
            yield schedule, schedule


def _open_at(source: object, path: str) -> str | None:
    """Where the value at ``path`` is still to be agreed, if it is: ``path`` when it is not
    given, an open point, or a scheme's budget lines that its data marks ``illustrative``
    (printed as an open point); the path of an open point inside it (``consultation.date``)."""
    if path == "contributions" and isinstance(source, Schedule) and source.illustrative:
        return path
    value = _value(source, path)
    if value is None or value == [] or value == "":
        return path
    return _open_point_in(value, path)


def _open_point_in(value: object, path: str) -> str | None:
    """The path of an open point: ``value`` itself, or a field of a record (not a list: a budget
    table may hold 100,000 lines) or of a record inside it."""
    if isinstance(value, OpenPoint):
        return path
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            found = _open_point_in(getattr(value, name), f"{path}.{name}")
            if found:
                return found
    return None


def _value(source: object, path: str) -> object:
    for name in path.split("."):
        if source is None or isinstance(source, OpenPoint):
            return source
        source = getattr(source, name)
    return source


def compliance(agreement: Agreement, document: Document, items: list[MapItem]) -> list[Row]:
    """Every prescribed item for the agreement and each scheme it applies to, with where it is."""
    rows: list[Row] = []
    trusts: list[Partner | None] = [p for p in agreement.partners if p.kind.is_trust]
    parties_of: dict[int, set[str]] = {}  # each scheme's, once: it reads every budget line
    titles = [s.title for s in agreement.schedules]
    open_points = _OpenPoints(document)
    for entry in items:
        for subject, schedule in _targets(agreement, entry):
            key, title = (schedule.key, schedule.title) if schedule else ("", "")
            parties = None
            if schedule:
                if id(schedule) not in parties_of:
                    parties_of[id(schedule)] = agreement.parties(schedule)
                parties = parties_of[id(schedule)]
            for partner in [p for p in trusts if parties is None or p and p.key in parties] \
                    if entry.per_trust else [None]:
                found: list[str] = []
                missing: list[str] = []
                points: dict[str, None] = {}
                for label in entry.labels:
                    name = label.replace("{key}", key).replace(
                        "{partner}", partner.key if partner else "")
                    where = _where(document, name)
                    (found if where else missing).append(where or name)
                    if where:
                        points.update((point, None) for paragraph, point
                                      in open_points.under(name)
                                      if _counts_for(schedule, label, paragraph, titles))
                source = partner if partner is not None else subject
                open_fields = [at for path in entry.data if (at := _open_at(source, path))]
                rows.append(Row(entry.item, entry.regulation, title, found, missing, open_fields,
                                partner.name if partner else "", entry.severity, list(points)))
    return rows


def compliance_findings(rows: list[Row], source: str) -> list[Finding]:
    return [
        Finding(row.severity, f"{row.regulation}: {row.item}"
                + (f" for the scheme '{row.scheme}'" if row.scheme else "")
                + " is not in the rendered agreement (no live clause labelled "
                + ", ".join(repr(m) for m in row.missing) + ")", source, code="compliance")
        for row in rows if row.missing
    ]
