"""What changed between two versions of an agreement: in the data, and clause by clause.

The semantic changes compare the models (partners, contributions, roles, term, governance), so
they read as a commissioning officer would say them. The clause changes compare the two rendered
document trees, matching clauses by label first and by position and text otherwise, so that a
deed of variation can name each clause by its old and new number.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from s75docs.constants import AGREEMENT_PARTNER_FIELDS, KEYS, SCHEDULE_PARTNER_FIELDS
from s75docs.document.citations import Citations
from s75docs.document.nodes import Block, Document, Part
from s75docs.model.agreement import Agreement, Schedule
from s75docs.model.finance import schedule_totals
from s75docs.model.money import format_money

# A schedule's roles: the fields that name one partner (a lead, a host), not a list of them.
SCHEDULE_ROLES = tuple(dict.fromkeys(path[0] for path in SCHEDULE_PARTNER_FIELDS
                                     if "*" not in path))
# The group each agreement field's changes are printed under (the rest: "agreement"), in order.
GROUPS = {"term": "term", "termination": "term", "commencement_date": "term",
          "risk_share": "risk share", "governance": "governance"}
ORDER = ["partners", "contributions", "roles", "schedules", "term", "risk share", "governance",
         "agreement"]
LONG = 60  # text longer than this is shown round its changed words only
CONTEXT = 4  # words of unchanged text either side of a change


@dataclass(frozen=True)
class Change:
    """One change in the data: its group, the line that says it in plain words ("risk share,
    the Council: 51% to 55%"), and the values before and after, for a reader of the JSON."""

    group: str
    summary: str
    old: str = ""
    new: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def successors(old: Agreement, new: Agreement) -> dict[str, str]:
    """Each old partner's key -> the key of the new partner in its place: the one whose history
    names it (a successor body), else one added with exactly its contributions."""
    heirs: dict[str, str] = {}
    for gone in old.partners:
        heir = next((p for p in new.partners if any(h.name == gone.name for h in p.history)),
                    None)
        if heir is not None:
            heirs[gone.key] = heir.key
    new_keys, old_keys = {p.key for p in new.partners}, {p.key for p in old.partners}
    added = [p.key for p in new.partners if p.key not in old_keys and p.key not in heirs.values()]
    for gone in old.partners:
        money = _contributions(old, gone.key)
        if gone.key in new_keys or gone.key in heirs or not money:
            continue
        match = next((key for key in added if _contributions(new, key) == money), None)
        if match is not None:
            heirs[gone.key] = match
            added.remove(match)
    return heirs


def _contributions(agreement: Agreement, partner: str) -> dict[tuple[str, str], Decimal]:
    return {(s.key, year): amount for s in agreement.schedules
            for (key, year), amount in schedule_totals(s).by_partner_year.items()
            if key == partner and amount}


class _Fields:
    """Field-by-field changes between two versions of a part of the data, in plain words.

    Values are compared as the model dumps them; a partner's key is shown as its defined term,
    and a key that the partner's successor now holds in its place is no change (the succession
    says it once). Lists of named items are matched by key, other lists item by item."""

    def __init__(self, old: Agreement, new: Agreement, heirs: dict[str, str]) -> None:
        self.terms = {p.key: p.defined_term for p in [*old.partners, *new.partners]}
        self.heirs = heirs

    def changes(self, group: str, label: list[str], old: Any, new: Any,
                partner_fields: Iterable[tuple[str, ...]]) -> Iterator[Change]:
        fields = frozenset(partner_fields)
        for where, before, after in self._walk(label, old, new, (), fields):
            summary = ", ".join(part for part in where if part)
            if before is None:
                yield Change(group, f"{summary}: added {after}", "", after or "")
            elif after is None:
                yield Change(group, f"{summary}: removed {before}", before, "")
            else:
                yield Change(group, f"{summary}: {before} to {after}", before, after)

    def _walk(self, label: list[str], old: Any, new: Any, pattern: tuple[str, ...],
              fields: frozenset[tuple[str, ...]]
              ) -> Iterator[tuple[list[str], str | None, str | None]]:
        if old == new:
            return
        if isinstance(old, dict) and isinstance(new, dict) and not _is_open(old, new):
            keyed = (*pattern, KEYS) in fields  # a mapping by partner (a risk share's shares)
            if keyed:
                old = {self._heir(key, old): value for key, value in old.items()}
            for key in dict.fromkeys([*old, *new]):
                name = self.terms.get(key, key) if keyed else \
                    "" if (*pattern, key, KEYS) in fields else key.replace("_", " ")
                yield from self._walk([*label, name], old.get(key), new.get(key),
                                      (*pattern, "*" if keyed else key), fields)
        elif isinstance(old, list) and isinstance(new, list):
            yield from self._items(label, old, new, (*pattern, "*"), fields)
        elif pattern in fields and isinstance(old, str) and self.heirs.get(old) == new:
            return  # the successor in its predecessor's place
        elif isinstance(old, str) and isinstance(new, str) and pattern not in fields:
            yield label, *_excerpt(old, new)
        else:
            yield label, self._show(old, pattern in fields), self._show(new, pattern in fields)

    def _heir(self, key: str, mapping: dict[str, Any]) -> str:
        heir = self.heirs.get(key, key)
        return key if heir != key and heir in mapping else heir  # a merger keeps each share

    def _items(self, label: list[str], old: list[Any], new: list[Any], pattern: tuple[str, ...],
               fields: frozenset[tuple[str, ...]]
               ) -> Iterator[tuple[list[str], str | None, str | None]]:
        if all(isinstance(item, dict) and "key" in item for item in [*old, *new]):
            old_by = {item["key"]: item for item in old}
            new_by = {item["key"]: item for item in new}
            for key in dict.fromkeys([*old_by, *new_by]):
                a, b = old_by.get(key), new_by.get(key)
                name = str((b or a or {}).get("name", key))
                if a is None or b is None:
                    yield label, self._show(a, False) if a else None, \
                        self._show(b, False) if b else None
                else:
                    yield from self._walk([*label, name], a, b, pattern, fields)
            return
        matcher = difflib.SequenceMatcher(a=[repr(item) for item in old],
                                          b=[repr(item) for item in new], autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
            for offset in range(paired):  # "signatories" -> "signatory 1"
                item = f"{_singular(label[-1])} {j1 + offset + 1}" if label else ""
                yield from self._walk([*label[:-1], item], old[i1 + offset], new[j1 + offset],
                                      pattern, fields)
            for item in old[i1 + paired:i2]:
                yield label, self._show(item, pattern in fields), None
            for item in new[j1 + paired:j2]:
                yield label, None, self._show(item, pattern in fields)

    def _show(self, value: Any, partner: bool) -> str:
        if value is None:
            return "(none)"
        if partner and isinstance(value, str):
            return self.terms.get(value, value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, dict):
            if _is_open(value):
                return f"[{value['to_be_agreed']}]"
            return _quoted_short("; ".join(f"{k.replace('_', ' ')}: {self._show(v, False)}"
                                           for k, v in value.items() if v not in (None, [], {})))
        if isinstance(value, list):
            return "; ".join(self._show(v, partner) for v in value) or "(none)"
        return _quoted_short(str(value)) if isinstance(value, str) and " " in value else str(value)


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _is_open(*values: dict[str, Any]) -> bool:
    """Whether any of the values is an open point ({"to_be_agreed": ...})."""
    return any(set(value) == {"to_be_agreed"} for value in values)


def _quoted_short(text: str) -> str:
    """Text in quotes, cut short at twice ``LONG`` (a whole item added or removed)."""
    return f"“{text if len(text) <= 2 * LONG else text[:2 * LONG] + '…'}”"


def _excerpt(old: str, new: str) -> tuple[str, str]:
    """Two texts as shown side by side: whole when short, else the changed words with a few
    words of context ("…by the CCG." to "…by the ICB."), so a changed paragraph is one line."""
    if len(old) <= LONG and len(new) <= LONG:
        return (_quoted_short(old) if " " in old else old), (_quoted_short(new) if " " in new
                                                             else new)
    a, b = old.split(" "), new.split(" ")
    changed = [op for op in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
               if op[0] != "equal"]
    first, last = changed[0], changed[-1]

    def cut(words: list[str], start: int, end: int) -> str:
        start, end = max(start - CONTEXT, 0), min(end + CONTEXT, len(words))
        text = " ".join(words[start:end])
        return f"“{'…' if start else ''}{text}{'…' if end < len(words) else ''}”"

    return cut(a, first[1], last[2]), cut(b, first[3], last[4])


def _partner_changes(old: Agreement, new: Agreement, heirs: dict[str, str],
                     fields: _Fields) -> Iterator[Change]:
    new_by = {p.key: p for p in new.partners}
    old_keys = {p.key for p in old.partners}
    for gone in old.partners:
        heir = new_by.get(heirs.get(gone.key, gone.key))
        if heir is None:
            yield Change("partners", f"partner removed: {gone.name}", gone.name, "")
            continue
        a = gone.model_dump(mode="json", exclude={"key"})
        b = heir.model_dump(mode="json", exclude={"key"})
        if gone.key in heirs:
            how = "succeeded" if any(h.name == gone.name for h in heir.history) else "replaced"
            yield Change("partners", f"{gone.name} ({gone.defined_term}) {how} by {heir.name} "
                         f"({heir.defined_term})", gone.name, heir.name)
            for name in ("name", "defined_term", "history"):
                a.pop(name), b.pop(name)
        yield from fields.changes("partners", [heir.defined_term], a, b, ())
    for partner in new.partners:
        if partner.key not in old_keys and partner.key not in heirs.values():
            yield Change("partners", f"partner added: {partner.name}", "", partner.name)


def _contribution_changes(title: str, old: Schedule, new: Schedule, heirs: dict[str, str],
                          terms: dict[str, str]) -> Iterator[Change]:
    """Each partner's contributions by year; a predecessor's contributions that its successor
    now makes (to the penny) as one transfer, not as one partner's loss and another's gain."""
    a, b = schedule_totals(old), schedule_totals(new)
    partners = list(dict.fromkeys([k for k, _ in a.by_partner_year] +
                                  [k for k, _ in b.by_partner_year]))
    for year in sorted(set(a.by_year) | set(b.by_year)):
        done: set[str] = set()
        for heir in dict.fromkeys(heirs.values()):
            gone = [k for k, h in heirs.items() if h == heir and k != heir and a.get(k, year)]
            moved = sum((a.get(k, year) for k in gone), Decimal(0))
            if gone and not any(b.get(k, year) for k in gone) and \
                    b.get(heir, year) - a.get(heir, year) == moved:
                done.update([heir, *gone])
                for key in gone:
                    amount = format_money(a.get(key, year), pence=True)
                    yield Change("contributions", f"{title}, {year}: {terms.get(key, key)}'s "
                                 f"{amount} transferred to {terms.get(heir, heir)}",
                                 terms.get(key, key), terms.get(heir, heir))
        for partner in partners:
            before, after = a.get(partner, year), b.get(partner, year)
            if partner not in done and before != after:
                yield _money_change(f"{title}, {terms.get(partner, partner)}, {year}",
                                    before, after)


def _money_change(label: str, old: Decimal, new: Decimal) -> Change:
    diff = new - old
    sign = "+" if diff > 0 else "-"
    pct = f", {diff * 100 / old:+.1f}%" if old else ""
    before, after = format_money(old, pence=True), format_money(new, pence=True)
    return Change("contributions", f"{label}: {before} to {after} "
                  f"({sign}{format_money(abs(diff), pence=True)}{pct})", before, after)


def _schedule_changes(old: Schedule, new: Schedule, heirs: dict[str, str],
                      fields: _Fields) -> Iterator[Change]:
    yield from _contribution_changes(new.title, old, new, heirs, fields.terms)
    skip = {"key", "contributions", "budget_files"}
    a, b = old.model_dump(mode="json", exclude=skip), new.model_dump(mode="json", exclude=skip)
    for name in a:
        group = "roles" if name in SCHEDULE_ROLES else "schedules"
        yield from fields.changes(group, [new.title, name.replace("_", " ")], a[name], b[name],
                                  (path[1:] for path in SCHEDULE_PARTNER_FIELDS
                                   if path[0] == name))


def model_changes(old: Agreement, new: Agreement) -> list[Change]:
    """The changes in the data, in plain words, grouped, in the same order on every run."""
    heirs = successors(old, new)
    fields = _Fields(old, new, heirs)
    changes = list(_partner_changes(old, new, heirs, fields))
    old_s, new_s = {s.key: s for s in old.schedules}, {s.key: s for s in new.schedules}
    for key, schedule in old_s.items():
        if key not in new_s:
            changes.append(Change("schedules", f"schedule removed: {schedule.title}"))
    for key, schedule in new_s.items():
        if key in old_s:
            changes.extend(_schedule_changes(old_s[key], schedule, heirs, fields))
        else:
            changes.append(Change("schedules", f"schedule added: {schedule.title}"))
    skip = {"partners", "schedules"}
    a, b = old.model_dump(mode="json", exclude=skip), new.model_dump(mode="json", exclude=skip)
    for name in a:
        changes.extend(fields.changes(GROUPS.get(name, "agreement"), [name.replace("_", " ")],
                                      a[name], b[name],
                                      (path[1:] for path in AGREEMENT_PARTNER_FIELDS
                                       if path[0] == name)))
    return sorted(changes, key=lambda c: ORDER.index(c.group))


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
        """How a deed names this block: "clause 22.2", or the unnumbered text after one; in the
        execution part (which no deed varies), the partner whose execution block it is in."""
        if self.part.kind == "execution":
            return _execution_block(self.part.blocks[: self.index + 1])
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


def _execution_block(blocks: list[Block]) -> str:
    """The execution block the last of ``blocks`` is in: each starts with the partner's name
    in bold on a line of its own (templates/execution.md.j2)."""
    name = next((b.plain() for b in reversed(blocks) if b.kind == "text" and len(b.spans) == 1
                 and b.spans[0].kind == "strong"), None)
    return f"the execution block of {name}" if name else "the start of the execution page"


@dataclass
class ClauseChange:
    kind: ChangeKind
    old: Located | None = None
    new: Located | None = None
    part_key: str = ""  # the part the change belongs to ("scheme:<key>", "body", ...)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """What the change is, by the place it is in: "clause 22.1 changed", "clause 3.2
        (now 3.3) changed", "clause 22.3 inserted"."""
        if self.old and self.new:
            old, new = self.old.citation, self.new.citation
            return f"{new} changed" if old == new else f"{old} (now {new}) changed"
        if self.new:
            return f"{self.new.citation} inserted"
        assert self.old
        return f"{self.old.citation} deleted"

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
