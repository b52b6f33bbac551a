"""The typed model of a Section 75 agreement: what the YAML says, validated.

Every field a person may not yet have agreed can be an :class:`OpenPoint` instead of a value.
Cross-field rules that need the whole agreement (partner keys, statute, arithmetic) live in
``checks.py``; the model only says what each field must look like.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    model_validator,
)

from s75docs.constants import KEY_PATTERN
from s75docs.model.money import (
    Period,
    parse_date,
    parse_financial_year,
    parse_money,
    parse_period,
)

Key = Annotated[str, Field(pattern=KEY_PATTERN)]
# Names Windows reserves for devices: a folder build/con/ cannot be made there.
_DEVICE_NAMES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                           *(f"lpt{i}" for i in range(10))})


def _not_a_device(value: str) -> str:
    if value in _DEVICE_NAMES:
        raise ValueError(f"{value!r} is a device name on Windows and cannot name the output "
                         "folder; choose another reference")
    return value


Reference = Annotated[str, Field(pattern=KEY_PATTERN), AfterValidator(_not_a_device)]
Money = Annotated[Decimal, BeforeValidator(parse_money), PlainSerializer(str)]
FinancialYear = Annotated[str, BeforeValidator(parse_financial_year)]
NoticePeriod = Annotated[Period, PlainValidator(parse_period), PlainSerializer(str)]
Text = Annotated[str, Field(min_length=1)]
# Read from the text as typed, by our rules: only YYYY-MM-DD, and only true/false (never yes/on/1).
Date = Annotated[dt.date, BeforeValidator(parse_date)]
Bool = StrictBool


def _percent(value: object) -> Decimal:
    text = str(value).strip().removesuffix("%").strip()
    amount = parse_money(text)
    if not 0 <= amount <= 100:
        raise ValueError(f"{value!r} is not a percentage between 0 and 100")
    return amount


Percent = Annotated[Decimal, BeforeValidator(_percent), PlainSerializer(lambda d: f"{d}%")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenPoint(Strict):
    """A value the partners have still to agree; rendered as a highlighted ``[bracketed note]``."""

    to_be_agreed: Text


class PartnerKind(StrEnum):
    county_council = "county_council"
    district_council = "district_council"
    unitary_council = "unitary_council"
    metropolitan_borough_council = "metropolitan_borough_council"
    london_borough_council = "london_borough_council"
    city_of_london = "city_of_london"
    icb = "icb"
    ccg = "ccg"
    nhs_england = "nhs_england"
    nhs_trust = "nhs_trust"
    foundation_trust = "foundation_trust"

    @property
    def is_council(self) -> bool:
        return self in COUNCIL_KINDS

    @property
    def is_trust(self) -> bool:
        return self in (PartnerKind.nhs_trust, PartnerKind.foundation_trust)


COUNCIL_KINDS = frozenset(
    {
        PartnerKind.county_council,
        PartnerKind.district_council,
        PartnerKind.unitary_council,
        PartnerKind.metropolitan_borough_council,
        PartnerKind.london_borough_council,
        PartnerKind.city_of_london,
    }
)


class Signatory(Strict):
    post: Text
    name: Text | OpenPoint | None = None


class Execution(Strict):
    """How a partner signs: a council under common seal, an NHS body by authorised signatories."""

    method: Literal["common_seal", "signatories"]
    signatories: list[Signatory] = Field(min_length=1)


class Predecessor(Strict):
    """A body this partner succeeded (kept so that recitals can tell the history)."""

    key: Key | None = Field(
        None, description="Its key before the transfer: the approvals it gave and the "
        "contributions it made for earlier financial years keep naming it")
    name: Text
    defined_term: Text
    date: Date
    transfer_scheme: Text | None = None


class Partner(Strict):
    key: Key
    name: Text
    defined_term: Text
    kind: PartnerKind
    address: Text | OpenPoint
    code: Text | OpenPoint | None = None
    execution: Execution
    consent: Text | OpenPoint | None = Field(
        None, description="For an NHS trust: the commissioners' consent to the arrangements"
    )
    history: list[Predecessor] = []


class Term(Strict):
    kind: Literal["fixed", "rolling"]
    end_date: Date | None = None
    review: Literal["annual"] | None = "annual"

    @model_validator(mode="after")
    def _end_date_matches_kind(self) -> Term:
        if self.kind == "fixed" and self.end_date is None:
            raise ValueError("a fixed term needs an end_date")
        if self.kind == "rolling" and self.end_date is not None:
            raise ValueError("a rolling term has no end_date (it runs until terminated)")
        return self


class NoticeEvent(Strict):
    event: Text
    notice: NoticePeriod | OpenPoint


class Termination(Strict):
    notice: NoticePeriod | OpenPoint
    shorter_notice: list[NoticeEvent] = []


class Consultation(Strict):
    description: Text
    date: Date | OpenPoint | None = None


class Approval(Strict):
    partner: Key
    body: Text
    date: Date | OpenPoint
    reference: Text | None = None


class GovernanceBody(Strict):
    """A body through which the partners oversee the agreement. A council committee (the Health and
    Wellbeing Board) keeps its own constitution: the agreement does not set its quorum or chair."""

    key: Key
    name: Text
    kind: Literal["partnership", "council_committee"] = "partnership"
    membership: Annotated[list[Text], Field(min_length=1)]
    chairs: Annotated[list[Text], Field(min_length=1)] | OpenPoint
    frequency: Text | OpenPoint
    role: Text
    quorum: Text | OpenPoint | None = None
    reports_to: Text | None = None


class RiskShare(Strict):
    """How over- and underspends fall: fixed percentages per partner, or pro rata to contributions."""

    method: Literal["fixed", "proportional"]
    shares: dict[Key, Percent] = {}
    applies_to: list[Text] = Field(
        [], description="The pooled funds (by name) and schemes (by key) the risk share covers; "
        "empty for every pooled fund and nothing else")
    basis: Text | None = Field(None, description="Why the shares are what they are; printed once")
    change: Text | None = Field(
        None, description="The approval a change to the shares needs before the variation that "
        "makes it (\"a further decision of the Council's Cabinet\")")
    overspends: Text | None = None
    underspends: Text | None = None

    @model_validator(mode="after")
    def _shares_match_method(self) -> RiskShare:
        if self.method == "fixed" and not self.shares:
            raise ValueError("a fixed risk share needs 'shares' (a percentage for each partner)")
        if self.method == "proportional" and self.shares:
            raise ValueError("a proportional risk share takes no 'shares': they follow contributions")
        return self


class Arrangement(StrEnum):
    pooled_fund = "pooled_fund"
    aligned_budget = "aligned_budget"
    lead_commissioning = "lead_commissioning"
    joint_commissioning = "joint_commissioning"
    integrated_provision = "integrated_provision"


class PooledFundManager(Strict):
    post: Text
    partner: Key


class Phase(Strict):
    kind: Literal["aligned", "pooled"]
    start: Date
    end: Date | None = None


class BudgetLine(Strict):
    partner: Key
    line: Text
    year: FinancialYear
    amount: Money
    type: Text | None = None
    source: str | None = Field(None, description="where the line was read: file and row")


class NonFinancialContribution(Strict):
    partner: Key
    kind: Literal["staff", "goods", "services", "accommodation"]
    description: Text


class Reporting(Strict):
    quarterly_reports: Bool
    annual_return: Bool
    report_to: Text | None = None
    monitoring: Text | None = None
    kpis: list[Text] = []


class StatedTotal(Strict):
    """A total the partners have written down; checked against the sum of the budget lines it
    covers: all of them, or those of one partner, year, budget-line type or pooled fund."""

    amount: Money
    partner: Key | None = None
    year: FinancialYear | None = None
    type: Text | None = None
    fund: Text | None = Field(None, description="Agreement-level totals: one pooled fund's lines")
    label: Text | None = None


class LeadOfficer(Strict):
    partner: Key
    post: Text
    name: Text | OpenPoint | None = None


class BudgetFile(Strict):
    """A budget table named with the sheet to read (a workbook with several visible sheets)."""

    file: Text
    sheet: Text | None = None


class Schedule(Strict):
    """One Part 2 scheme specification: a care group or pooled fund."""

    key: Key
    title: Text
    extends: Key | None = None
    care_group: Text
    overview: Text | None = None
    eligibility: Text | OpenPoint
    arrangements: list[Arrangement] = Field(min_length=1)
    lead_commissioner: Key | Literal["joint"] | OpenPoint | None = None
    host_partner: Key | OpenPoint | None = None
    pooled_fund_manager: PooledFundManager | OpenPoint | None = None
    fund: Text | None = Field(
        None, description="The pooled fund this scheme pays into; schemes naming the same fund "
        "share one pooled fund. Defaults to a fund of the scheme's own.")
    nhs_functions: list[Text] = []
    health_related_functions: list[Text] = []
    services: list[Text] = []
    aims_and_outcomes: list[Text] = []
    commissioning: Text | None = None
    phases: list[Phase] = []
    budget_files: list[str | BudgetFile] = []
    contributions: list[BudgetLine] = []
    variation_of_contributions: Text | None = None
    non_financial_contributions: list[NonFinancialContribution] | OpenPoint | None = None
    staff: Text | None = None
    reporting: Reporting | None = None
    lead_officers: list[LeadOfficer] = []
    exit_arrangements: Text | OpenPoint | None = None
    stated_totals: list[StatedTotal] = []
    illustrative: Text | None = Field(
        None, description="Set when budget lines are illustrative, with the reason; printed"
    )

    def has(self, arrangement: Arrangement) -> bool:
        return arrangement in self.arrangements

    @property
    def better_care_fund(self) -> bool:
        """Whether the scheme holds Better Care Fund money (its title, care group or a budget
        line's type says so): the national conditions then govern how it is held and ended."""
        words = [self.title, self.care_group, *(line.type or "" for line in self.contributions)]
        return any("better care fund" in text.lower() for text in words)

    @property
    def fund_name(self) -> str:
        """The pooled fund this scheme pays into (its own title unless ``fund`` names another)."""
        return self.fund or self.title


class VariationRecord(Strict):
    """An earlier deed of variation, listed in the recitals of the next one."""

    date: Date
    description: Text


class Agreement(Strict):
    reference: Reference
    title: Text
    area: Text
    version: Text
    status: Literal["draft", "final"]
    version_date: Date
    agreement_date: Date | OpenPoint
    commencement_date: Date
    term: Term
    termination: Termination
    consultation: Consultation | OpenPoint
    approvals: list[Approval] = []
    partners: list[Partner] = Field(min_length=2)
    governance: list[GovernanceBody] = []
    risk_share: RiskShare
    schedules: list[Schedule] = []
    stated_totals: list[StatedTotal] = Field(
        [], description="Totals across schedules, e.g. a pooled fund shared by several schemes")
    variations: list[VariationRecord] = []
    keep_removed_clauses: Bool = False
    templates: str | None = None

    def partner(self, key: str) -> Partner:
        for partner in self.partners:
            if partner.key == key:
                return partner
        raise KeyError(key)

    def former(self, key: str) -> tuple[Partner, Predecessor] | None:
        """The partner that succeeded the former partner ``key``, and its record of it."""
        for partner in self.partners:
            for predecessor in partner.history:
                if predecessor.key == key:
                    return partner, predecessor
        return None
