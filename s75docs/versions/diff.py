"""What changed between two versions of an agreement: in the data, and clause by clause.

The semantic changes compare the models (partners, contributions, roles, term, governance), so
they read as a commissioning officer would say them. The clause changes compare the two rendered
document trees, matching clauses by label first and by position and text otherwise, so that a
deed of variation can name each clause by its old and new number.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from s75docs.constants import SCHEDULE_PARTNER_FIELDS
from s75docs.document.citations import Citations
from s75docs.document.nodes import Block, Document, Part
from s75docs.model.agreement import Agreement, OpenPoint, Schedule
from s75docs.model.finance import schedule_totals
from s75docs.model.money import format_money

# A schedule's roles: the fields that name one partner (a lead, a host), not a list of them.
SCHEDULE_ROLES = tuple(dict.fromkeys(path[0] for path in SCHEDULE_PARTNER_FIELDS
                                     if "*" not in path))


@dataclass(frozen=True)
class Change:
    """One semantic change, grouped for printing."""

    group: str  # "partners", "contributions", "roles", "schedules", "term", "governance", ...
    summary: str
    old: str = ""
    new: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, OpenPoint):
        return f"[{value.to_be_agreed}]"
    if isinstance(value, BaseModel):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.model_dump(mode="json").items()
                         if v not in (None, [], {}))
    if isinstance(value, list):
        return "; ".join(_show(v) for v in value) or "(none)"
    return str(value)


def _partner_changes(old: Agreement, new: Agreement) -> Iterator[Change]:
    old_by, new_by = {p.key: p for p in old.partners}, {p.key: p for p in new.partners}
    replaced = set()
    for key in old_by.keys() - new_by.keys():
        gone = old_by[key]
        successor = next((p for p in new.partners if any(h.name == gone.name for h in p.history)),
                         None)
        if successor is not None:
            replaced.add(successor.key)
            yield Change("partners", f"{gone.name} replaced by {successor.name}",
                         f"{gone.name} ({gone.defined_term})",
                         f"{successor.name} ({successor.defined_term})")
        else:
            yield Change("partners", f"partner removed: {gone.name}", gone.name, "")
    for key in new_by.keys() - old_by.keys() - replaced:
        yield Change("partners", f"partner added: {new_by[key].name}", "", new_by[key].name)
    for key in old_by.keys() & new_by.keys():
        a, b = old_by[key], new_by[key]
        for name in ("name", "defined_term", "kind", "address", "code", "execution", "consent"):
            if getattr(a, name) != getattr(b, name):
                yield Change("partners", f"{b.name}: {name.replace('_', ' ')} changed",
                             _show(getattr(a, name)), _show(getattr(b, name)))


def _money_change(label: str, old: Decimal, new: Decimal) -> Change:
    diff = new - old
    pct = f" ({diff * 100 / old:+.1f}%)" if old else ""
    return Change("contributions", f"{label}: {format_money(diff, pence=True)}{pct}",
                  format_money(old, pence=True), format_money(new, pence=True))


def _schedule_changes(old: Schedule, new: Schedule) -> Iterator[Change]:
    a, b = schedule_totals(old), schedule_totals(new)
    partners = sorted({k for k, _ in a.by_partner_year} | {k for k, _ in b.by_partner_year})
    years = sorted(set(a.by_year) | set(b.by_year))
    for partner in partners:
        for year in years:
            before, after = a.get(partner, year), b.get(partner, year)
            if before != after:
                yield _money_change(f"{new.title}, {partner}, {year}", before, after)
    for name in SCHEDULE_ROLES:
        if getattr(old, name) != getattr(new, name):
            yield Change("roles", f"{new.title}: {name.replace('_', ' ')} changed",
                         _show(getattr(old, name)), _show(getattr(new, name)))
    for name in ("arrangements", "phases", "eligibility", "services", "nhs_functions",
                 "health_related_functions", "aims_and_outcomes", "title"):
        if getattr(old, name) != getattr(new, name):
            yield Change("schedules", f"{new.title}: {name.replace('_', ' ')} changed",
                         _show(getattr(old, name)), _show(getattr(new, name)))


def model_changes(old: Agreement, new: Agreement) -> list[Change]:
    """The changes in the data, in plain words, grouped."""
    changes = list(_partner_changes(old, new))
    old_s, new_s = {s.key: s for s in old.schedules}, {s.key: s for s in new.schedules}
    for key in old_s.keys() - new_s.keys():
        changes.append(Change("schedules", f"schedule removed: {old_s[key].title}"))
    for key in new_s.keys() - old_s.keys():
        changes.append(Change("schedules", f"schedule added: {new_s[key].title}"))
    for key in sorted(old_s.keys() & new_s.keys()):
        changes.extend(_schedule_changes(old_s[key], new_s[key]))
    for name, group in (("term", "term"), ("termination", "term"),
                        ("commencement_date", "term"), ("governance", "governance"),
                        ("risk_share", "risk share"), ("title", "agreement"),
                        ("agreement_date", "agreement"), ("status", "agreement"),
                        ("version", "agreement")):
        if getattr(old, name) != getattr(new, name):
            changes.append(Change(group, f"{name.replace('_', ' ')} changed",
                                  _show(getattr(old, name)), _show(getattr(new, name))))
    order = ["partners", "contributions", "roles", "schedules", "term", "risk share",
             "governance", "agreement"]
    return sorted(changes, key=lambda c: order.index(c.group))


# --- clause changes --------------------------------------------------------------------------

ChangeKind = Literal["replaced", "inserted", "deleted"]


@dataclass
class Located:
    part: Part
    block: Block
    index: int  # position of the block in its part
    citations: Citations  # the forms of the document the block is in

    @property
    def citation(self) -> str:
        """How a deed names this block: "clause 22.2", or the unnumbered text after one."""
        if self.block.full_number:
            return self.citations.cite(self.part, self.block)
        earlier = next((b for b in reversed(self.part.blocks[: self.index]) if b.full_number),
                       None)
        return self.citations.unnumbered(self.part, self.block, earlier)

    @property
    def text(self) -> str:
        if self.block.kind == "table":
            return table_text(self.block)
        return self.block.plain()


@dataclass
class ClauseChange:
    kind: ChangeKind
    old: Located | None = None
    new: Located | None = None
    part_key: str = ""  # the part the change belongs to ("scheme:<key>", "body", ...)
    extra: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "part": self.part_key,
            "old": self.old.citation if self.old else None,
            "new": self.new.citation if self.new else None,
            "old_text": self.old.text if self.old else None,
            "new_text": self.new.text if self.new else None,
        }


def part_key(part: Part) -> str:
    """Parts are matched across versions by kind and label (or key), never by number."""
    return f"{part.kind}:{part.key or part.label or ''}" if part.kind != "body" else "body"


def table_text(block: Block) -> str:
    return " / ".join(" | ".join(c.plain() for c in row) for row in block.rows)


def block_key(block: Block) -> str:
    """What makes two blocks the same across versions: kind, level and text, not the number
    (numbers follow from the structure, so a renumbered clause is not a changed one)."""
    return f"{block.kind}:{block.level}:{block.plain()}{table_text(block)}"



def clause_changes(old: Document, new: Document) -> list[ClauseChange]:
    """Clause-level changes, part by part, in the order of the new document."""
    old_parts = {part_key(p): p for p in old.parts}
    new_parts = {part_key(p): p for p in new.parts}
    changes: list[ClauseChange] = []
    for key, part in new_parts.items():
        before = old_parts.get(key)
        if before is None:
            changes.extend(ClauseChange("inserted", None, Located(part, b, i, new.citations), key)
                           for i, b in enumerate(part.blocks))
            continue
        changes.extend(_part_changes(before, part, key, old.citations, new.citations))
    for key, part in old_parts.items():
        if key not in new_parts:
            changes.extend(ClauseChange("deleted", Located(part, b, i, old.citations), None, key)
                           for i, b in enumerate(part.blocks))
    return changes


def _part_changes(old: Part, new: Part, key: str, old_forms: Citations,
                  new_forms: Citations) -> Iterator[ClauseChange]:
    a = [block_key(b) for b in old.blocks]
    b = [block_key(b) for b in new.blocks]
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds = [Located(old, old.blocks[i], i, old_forms) for i in range(i1, i2)]
        news = [Located(new, new.blocks[j], j, new_forms) for j in range(j1, j2)]
        paired = min(len(olds), len(news)) if op == "replace" else 0
        for x, y in zip(olds[:paired], news[:paired], strict=False):
            yield ClauseChange("replaced", x, y, key)
        for x in olds[paired:]:
            yield ClauseChange("deleted", x, None, key)
        for y in news[paired:]:
            yield ClauseChange("inserted", None, y, key)
