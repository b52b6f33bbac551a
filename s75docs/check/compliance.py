"""Proof, from the rendered document, that every prescribed item of the Regulations is there.

``templates/statute-map.yaml`` maps each item (reg 7(3)(a)-(g), the reg 7(4) host partner,
pooled fund manager and reporting, the reg 8/9 items, reg 4 consultation) to the clause labels
that satisfy it; ``{key}`` in a label stands for a scheme's key. An item is satisfied when every
label it names is on a live clause of the document (not one kept as "[Not used]").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from s75docs.document.nodes import Document
from s75docs.errors import Finding, S75Error
from s75docs.load.source import load_yaml
from s75docs.model.agreement import Agreement, Arrangement

MAP_FILE = "statute-map.yaml"
NOT_USED = "[Not used]"


class MapItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(min_length=1)
    regulation: str = Field(min_length=1)
    applies_to: str = Field(pattern="^(pooled_fund|delegation|agreement)$")
    labels: list[str] = Field(min_length=1)


@dataclass
class Row:
    item: str
    regulation: str
    scheme: str  # scheme title, or "" for agreement-wide items
    where: list[str]  # "clause 7.2", "paragraph 3 of Scheme 1", ...
    missing: list[str]

    @property
    def satisfied(self) -> bool:
        return not self.missing


def load_map(dirs: list[Path]) -> list[MapItem]:
    for folder in dirs:
        path = folder / MAP_FILE
        if path.is_file():
            source = load_yaml(path, display=str(path))
            try:
                return [MapItem.model_validate(entry) for entry in source.data or []]
            except (ValidationError, TypeError) as exc:
                raise S75Error(Finding("error", f"statute map is not valid: {exc}",
                                       str(path), code="compliance")) from exc
    raise S75Error(Finding("error", f"no {MAP_FILE} in the template folders", code="compliance"))


def _where(document: Document, label: str) -> str | None:
    target = document.labels.get(label)
    if target is None:
        return None
    part, block = target
    if block is not None and block.plain().strip() == NOT_USED:
        return None
    return document.citations.cite(part, block)


def compliance(agreement: Agreement, document: Document, items: list[MapItem]) -> list[Row]:
    """Every prescribed item for the agreement and each scheme it applies to, with where it is."""
    rows: list[Row] = []
    for entry in items:
        if entry.applies_to == "agreement":
            targets = [("", "")]
        else:
            kinds = (Arrangement.pooled_fund,) if entry.applies_to == "pooled_fund" else \
                (Arrangement.lead_commissioning, Arrangement.integrated_provision)
            targets = [(s.title, s.key) for s in agreement.schedules
                       if any(s.has(kind) for kind in kinds)]
        for title, key in targets:
            found: list[str] = []
            missing: list[str] = []
            for label in entry.labels:
                name = label.replace("{key}", key)
                where = _where(document, name)
                (found if where else missing).append(where or name)
            rows.append(Row(entry.item, entry.regulation, title, found, missing))
    return rows


def compliance_findings(rows: list[Row], source: str) -> list[Finding]:
    return [
        Finding("error", f"{row.regulation}: {row.item}"
                + (f" for the scheme '{row.scheme}'" if row.scheme else "")
                + " is not in the rendered agreement (no live clause labelled "
                + ", ".join(repr(m) for m in row.missing) + ")", source, code="compliance")
        for row in rows if not row.satisfied
    ]

