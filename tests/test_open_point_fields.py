"""Every field the model lets be an open point renders as a highlighted open point.

The fields are read from the model, so a field that becomes open-point-able later is tested
too: each is set, in turn, to an open point in a worked example, and the agreement is checked,
rendered and proved against the statute, and written out and read back. A template that treats
the value as agreed ("'OpenPoint' object has no attribute 'count'") fails here, and so does a
serializer that writes an open notice period as "to_be_agreed='...'".
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from s75docs.errors import format_path
from s75docs.load.folder import Loaded, load_agreement
from s75docs.model import agreement as model
from s75docs.pipeline import prepare
from s75docs.write.markdown import write_markdown

ROOT = Path(__file__).resolve().parent.parent
Path_ = tuple[str | int, ...]


def _allows_open(annotation: Any) -> bool:
    return annotation is model.OpenPoint or any(_allows_open(a)
                                                for a in typing.get_args(annotation))


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models(arg)


def open_fields(cls: type[BaseModel] = model.Agreement,
                seen: set[type[BaseModel]] | None = None) -> Iterator[str]:
    """"Class.field" for every field, in every model under ``cls``, that may be an open point."""
    seen = set() if seen is None else seen
    seen.add(cls)
    for name, info in cls.model_fields.items():
        if _allows_open(info.annotation):
            yield f"{cls.__name__}.{name}"
        for sub in _models(info.annotation):
            if sub not in seen and sub is not model.OpenPoint:
                yield from open_fields(sub, seen)


# Where each field is tried: an example and the path to the field in its model. A fixed term
# with an extension, and a break, are added to Oxfordshire where the example has none.
EXTENSION = model.Extension(period=model.Period(count=1, unit="months"),
                            notice=model.Period(count=3, unit="months"))
PLACES: dict[str, tuple[str, Path_]] = {
    "Agreement.agreement_date": ("haringey-2016", ("agreement_date",)),
    "Agreement.consultation": ("haringey-2016", ("consultation",)),
    "Consultation.date": ("oxfordshire-2022", ("consultation", "date")),
    "Approval.date": ("haringey-2016", ("approvals", 0, "date")),
    "Partner.address": ("haringey-2016", ("partners", 0, "address")),
    "Partner.code": ("haringey-2016", ("partners", 1, "code")),
    "Partner.consent": ("oxfordshire-trust", ("partners", 1, "consent")),
    "Signatory.name": ("haringey-2016", ("partners", 0, "execution", "signatories", 0, "name")),
    "Extension.notice": ("oxfordshire-2022", ("term", "extension", "notice")),
    "Term.variation_notice": ("haringey-2016", ("term", "variation_notice")),
    "Termination.notice": ("haringey-2016", ("termination", "notice")),
    "NoticeEvent.notice": ("oxfordshire-2022", ("termination", "shorter_notice", 0, "notice")),
    "BreakOption.notice": ("oxfordshire-2022", ("termination", "breaks", 0, "notice")),
    "GovernanceBody.chairs": ("haringey-2016", ("governance", 0, "chairs")),
    "GovernanceBody.frequency": ("haringey-2016", ("governance", 0, "frequency")),
    "GovernanceBody.quorum": ("haringey-2016", ("governance", 0, "quorum")),
    "Schedule.eligibility": ("haringey-2016", ("schedules", 0, "eligibility")),
    "Schedule.lead_commissioner": ("haringey-2016", ("schedules", 0, "lead_commissioner")),
    "Schedule.host_partner": ("haringey-2016", ("schedules", 0, "host_partner")),
    "Schedule.pooled_fund_manager": ("haringey-2016", ("schedules", 0, "pooled_fund_manager")),
    "Schedule.non_financial_contributions": ("haringey-2016",
                                             ("schedules", 0, "non_financial_contributions")),
    "Schedule.exit_arrangements": ("haringey-2016", ("schedules", 0, "exit_arrangements")),
    "LeadOfficer.name": ("oxfordshire-2022", ("schedules", 0, "lead_officers", 0, "name")),
}


def replaced(node: Any, path: Path_, value: Any) -> Any:
    """``node`` with the value at ``path`` replaced (models are frozen)."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(key, int):
        return [replaced(item, rest, value) if i == key else item for i, item in enumerate(node)]
    return node.model_copy(update={key: replaced(getattr(node, key), rest, value)})


@cache
def example(name: str) -> Loaded:
    if name == "oxfordshire-trust":  # the CCG an NHS trust, the Council exercising its functions
        loaded = example("oxfordshire-2022")
        a = replaced(loaded.agreement, ("partners", 1, "kind"), model.PartnerKind.nhs_trust)
        for index in (0, 1):
            a = replaced(a, ("schedules", index, "delegations"), [model.Delegation(
                functions_of=a.partners[1].key, exercised_by=a.partners[0].key)])
        return dataclasses.replace(loaded, agreement=a)
    loaded = load_agreement(ROOT / "examples" / name)
    if name != "oxfordshire-2022":
        return loaded
    # Oxfordshire with a fixed term, an extension option, a break and a lead officer, so that
    # every optional field has somewhere to stand.
    a = loaded.agreement
    a = replaced(a, ("term",), a.term.model_copy(update={
        "kind": "fixed", "end_date": a.commencement_date.replace(year=a.commencement_date.year + 5),
        "extension": EXTENSION}))
    a = replaced(a, ("termination", "breaks"), [model.BreakOption(
        date=a.commencement_date.replace(year=a.commencement_date.year + 3),
        notice=model.Period(count=6, unit="months"))])
    officer = model.LeadOfficer(partner=a.partners[0].key, post="Director")
    a = replaced(a, ("schedules", 0, "lead_officers"), [officer])
    return dataclasses.replace(loaded, agreement=a)


def test_every_open_point_field_has_a_place() -> None:
    assert sorted(PLACES) == sorted(set(open_fields()))


@pytest.mark.parametrize("field", sorted(PLACES))
def test_an_open_point_renders_as_one(field: str) -> None:
    name, path = PLACES[field]
    loaded = example(name)
    note = f"{field} to be agreed"
    agreement = replaced(loaded.agreement, path, model.OpenPoint(to_be_agreed=note))
    # Written out (diffs, the workspace) and read back, it is still the same open point.
    assert model.Agreement.model_validate(agreement.model_dump(mode="json")) == agreement
    prepared = prepare(dataclasses.replace(loaded, agreement=agreement))
    errors = [f for f in prepared.findings if f.severity == "error"]
    assert not errors and prepared.document is not None, errors
    # The checks find it where it stands (their walk skips fields that cannot hold one).
    assert [f.path for f in prepared.findings if f.code == "open_point" and note in f.message] \
        == [format_path(path)], prepared.findings
    text = write_markdown(prepared.document)
    assert "to_be_agreed" not in text and "OpenPoint" not in text
    if field not in NOT_PRINTED:
        assert note in [p.note for p in prepared.document.open_points()], field


# Fields the agreement leaves out while they are open: an organisation code is printed in
# brackets after the party's name, and an open one is simply not printed there.
NOT_PRINTED = {"Partner.code"}
