"""The typed model of a Section 75 agreement: what the YAML says, validated.

Every field a person may not yet have agreed can be an :class:`OpenPoint` instead of a value.
Cross-field rules that need the whole agreement (partner keys, statute, arithmetic) live in
``checks.py``; the model only says what each field must look like.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
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
    WrapSerializer,
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
# Written back as "6 months"; anything else (an open point in a ``NoticePeriod | OpenPoint``
# field, which this validator's "any" schema cannot tell apart) is written as itself.
NoticePeriod = Annotated[Period, PlainValidator(parse_period), WrapSerializer(
    lambda value, write: str(value) if isinstance(value, Period) else write(value))]
Text = Annotated[str, Field(min_length=1)]
# Read from the text as typed, by our rules: only YYYY-MM-DD, and only true/false (never yes/on/1).
Date = Annotated[dt.date, BeforeValidator(parse_date)]
Bool = StrictBool


_PERCENT_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _percent(value: object) -> Decimal:
    text = "" if value is None else str(value).strip().removesuffix("%").strip()
    if not text:  # a share just added in the workspace, say: ask for one, not for money
        raise ValueError("give a percentage between 0 and 100, such as 49%")
    if not _PERCENT_TEXT.fullmatch(text):  # "4x9%" is a mistyped percentage, not bad money
        raise ValueError(f"{value!r} is not a percentage between 0 and 100, such as 49%")
    amount = parse_money(text)
    if not 0 <= amount <= 100:
        raise ValueError(f"{value!r} is not a percentage between 0 and 100")
    return amount


Percent = Annotated[Decimal, BeforeValidator(_percent), PlainSerializer(lambda d: f"{d}%")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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
    pct = "pct"
    nhs_england = "nhs_england"
    nhs_trust = "nhs_trust"
    foundation_trust = "foundation_trust"

    @property
    def is_council(self) -> bool:
        return self in COUNCIL_KINDS

    @property
    def is_trust(self) -> bool:
        return self in (PartnerKind.nhs_trust, PartnerKind.foundation_trust)

    @property
    def existed(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last day a body of this kind could be a partner (None: no limit), so
        that a CCG in a 2009 agreement, or a PCT after 2013, is caught."""
        return _KIND_DATES.get(self, (None, None))


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


# PCTs were abolished and CCGs established by the Health and Social Care Act 2012; CCGs were
# abolished and ICBs established by the Health and Care Act 2022.
_KIND_DATES: dict[PartnerKind, tuple[dt.date | None, dt.date | None]] = {
    PartnerKind.pct: (None, dt.date(2013, 3, 31)),
    PartnerKind.ccg: (dt.date(2013, 4, 1), dt.date(2022, 6, 30)),
    PartnerKind.icb: (dt.date(2022, 7, 1), None),
}


def add_period(date: dt.date, period: Period, times: int = 1) -> dt.date:
    """``date`` moved on by ``period`` ``times`` over (back, for negative ``times``); a day past
    the end of the month it lands in becomes that month's last day (31 January plus one month is
    28 or 29 February), as a term or notice is counted."""
    if period.unit == "days":
        return date + dt.timedelta(days=period.count * times)
    months = date.month - 1 + period.count * times
    year, month = date.year + months // 12, months % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(date.day, last))


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
    kind: PartnerKind | None = Field(
        None, description="What the predecessor was (a CCG, a PCT): checked against the dates")


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


class Extension(Strict):
    """An option to extend a fixed term: by how long, how many times, and how it is exercised
    (all the Partners agreeing in writing, or one Partner giving notice)."""

    period: NoticePeriod
    times: int = Field(1, ge=1, le=20)
    exercised_by: Key | Literal["all"] = "all"
    notice: NoticePeriod | OpenPoint


class Term(Strict):
    kind: Literal["fixed", "rolling"]
    end_date: Date | None = None
    review: Literal["annual"] | None = "annual"
    extension: Extension | None = None
    variation_notice: NoticePeriod | OpenPoint | None = Field(
        None, description="The notice a Partner gives of a proposed variation")

    @model_validator(mode="after")
    def _end_date_matches_kind(self) -> Term:
        if self.kind == "fixed" and self.end_date is None:
            raise ValueError("a fixed term needs an end_date")
        if self.kind == "rolling" and self.end_date is not None:
            raise ValueError("a rolling term has no end_date (it runs until terminated)")
        if self.kind == "rolling" and self.extension is not None:
            raise ValueError("a rolling term cannot be extended (it runs until terminated); "
                             "make it fixed, with an end_date, to give an extension option")
        return self

    @property
    def latest_end(self) -> dt.date | None:
        """The last day the term can run to if every extension is taken."""
        if self.end_date is None or self.extension is None:
            return self.end_date
        return add_period(self.end_date, self.extension.period, self.extension.times)


class NoticeEvent(Strict):
    event: Text
    notice: NoticePeriod | OpenPoint


class BreakOption(Strict):
    """A date on which any Partner may end the agreement on the notice given, even within the
    lock-in."""

    date: dt.date
    notice: NoticePeriod | OpenPoint


class Termination(Strict):
    notice: NoticePeriod | OpenPoint
    shorter_notice: list[NoticeEvent] = []
    earliest_expiry: dt.date | None = Field(
        None, description="The lock-in: no notice under the general right may expire before it")
    breaks: list[BreakOption] = []


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

    method: Literal["fixed", "proportional", "none"]
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
        if self.method == "none" and (self.shares or self.applies_to):
            raise ValueError("with no risk share ('method: none') nothing is shared: give no "
                             "'shares' or 'applies_to'")
        return self


class Arrangement(StrEnum):
    pooled_fund = "pooled_fund"
    aligned_budget = "aligned_budget"
    lead_commissioning = "lead_commissioning"
    joint_commissioning = "joint_commissioning"
    integrated_provision = "integrated_provision"


class Delegation(Strict):
    """One partner exercising another's functions for a scheme: a council an NHS body's (reg 9),
    or an NHS body, including a trust, a council's health-related functions (reg 8)."""

    functions_of: Key
    exercised_by: Key


class RetainedFunction(Strict):
    """A function a partner keeps and exercises itself, though others of its functions are
    exercised for it under the scheme (a council's approval of AMHPs, its charging decisions)."""

    partner: Key
    function: Text


class DelegatedLimit(Strict):
    """A limit on what a partner exercising another's functions may commit or decide alone
    ("a package of care and support for one person, up to £1,200 a week")."""

    partner: Key = Field(description="The partner exercising the functions, bound by the limit")
    matter: Text = Field(description="What the limit is on: a kind of expenditure or decision")
    limit: Money
    per: Text | None = Field(None, description="The unit the limit is counted in: \"a week\"")


class AmhpArrangements(Strict):
    """Approved mental health professionals (section 114 of the Mental Health Act 1983): the
    local authority that approves them, and the partners whose staff act as them."""

    approved_by: Key
    employed_by: list[Key] = Field(min_length=1)
    arrangements: Text | None = Field(None, description="How the service runs (rota, out of "
                                      "hours cover); printed as agreed text")


class RegulatedActivity(StrEnum):
    """The regulated activities of Schedule 1 to the Health and Social Care Act 2008 (Regulated
    Activities) Regulations 2014; the words printed for each are in the templates."""

    personal_care = "personal_care"
    accommodation_nursing_or_personal_care = "accommodation_nursing_or_personal_care"
    accommodation_substance_misuse = "accommodation_substance_misuse"
    treatment_of_disease_disorder_or_injury = "treatment_of_disease_disorder_or_injury"
    assessment_or_treatment_under_mental_health_act = \
        "assessment_or_treatment_under_mental_health_act"
    surgical_procedures = "surgical_procedures"
    diagnostic_and_screening_procedures = "diagnostic_and_screening_procedures"
    management_of_supply_of_blood = "management_of_supply_of_blood"
    transport_triage_and_remote_advice = "transport_triage_and_remote_advice"
    maternity_and_midwifery = "maternity_and_midwifery"
    termination_of_pregnancies = "termination_of_pregnancies"
    slimming_clinics = "slimming_clinics"
    nursing_care = "nursing_care"
    family_planning = "family_planning"


class CqcRegistration(Strict):
    """The partner registered with the Care Quality Commission as the service provider for
    regulated activities carried on under the scheme."""

    partner: Key
    activities: list[RegulatedActivity] = Field(min_length=1)


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
    delegations: list[Delegation] = Field(
        [], description="Whose functions each partner exercises; with two partners, the "
        "lead commissioner exercising the other's functions is assumed")
    retained_functions: list[RetainedFunction] = Field(
        [], description="Functions a partner keeps and does not delegate under this scheme")
    delegated_limits: list[DelegatedLimit] = []
    amhp: AmhpArrangements | None = None
    cqc_registration: list[CqcRegistration] = []
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
    def delegating(self) -> bool:
        """Whether one partner exercises another's functions for this scheme (reg 8 or 9)."""
        return bool(self.delegations) or self.has(Arrangement.lead_commissioning) or self.has(
            Arrangement.integrated_provision)

    @property
    def exercising_partner(self) -> list[Delegation] | Key | OpenPoint | None:
        """Who exercises another's functions: the delegations listed, else the lead
        commissioner (an open point, or None, while that is not agreed)."""
        return self.delegations or self.lead_commissioner

    @property
    def better_care_fund(self) -> bool:
        """Whether the scheme holds Better Care Fund money (its title, care group or a budget
        line's type says so): the national conditions then govern how it is held and ended."""
        types = {line.type for line in self.contributions if line.type}  # each once
        words = [self.title, self.care_group, *types]
        return any("better care fund" in text.lower() for text in words)

    @property
    def fund_name(self) -> str:
        """The pooled fund this scheme pays into (its own title unless ``fund`` names another)."""
        return self.fund or self.title


class ClauseFamily(StrEnum):
    """Optional clauses the data chooses. ``true`` prints one, ``false`` removes it (kept as
    "[Not used]" with ``keep_removed_clauses``); left out, it takes its default: capital
    expenditure is in, the others are not part of the agreement at all."""

    capital_expenditure = "capital_expenditure"
    set_up_costs = "set_up_costs"
    existing_contracts = "existing_contracts"
    charges = "charges"
    staff = "staff"
    health_and_safety = "health_and_safety"
    equality = "equality"
    public_involvement = "public_involvement"
    publicity = "publicity"

    @property
    def default(self) -> bool | None:
        return True if self is ClauseFamily.capital_expenditure else None


class ContributionsLayout(Strict):
    """How the Contributions are presented: in each Scheme Specification (``per_scheme``), or
    in a schedule with a part for each Partner (``per_partner``), each Scheme Specification then
    keeping its totals by Partner and Financial Year."""

    presentation: Literal["per_scheme", "per_partner"] = "per_scheme"


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
    contributions: ContributionsLayout = Field(
        ContributionsLayout(), description="Contributions per scheme, or a schedule per partner")
    variations: list[VariationRecord] = []
    keep_removed_clauses: Bool = False
    clauses: dict[ClauseFamily, Bool] = Field(
        {}, description="Optional clauses chosen in (true) or removed (false)")
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

    def delegations(self, schedule: Schedule) -> list[Exercise]:
        """Whose functions each partner exercises for ``schedule``, with the regulation: the
        scheme's ``delegations``, or the lead commissioner exercising the other partners'
        where that is the only reading (see :meth:`lead_delegators`). Keys naming no partner
        are left to the reference check."""
        kinds = {p.key: p.kind for p in self.partners}
        pairs = [(d.functions_of, d.exercised_by) for d in schedule.delegations]
        lead = schedule.lead_commissioner
        if not pairs and schedule.delegating and isinstance(lead, str):
            pairs = [(key, lead) for key in self.lead_delegators(lead) or []]
        return [Exercise(of, by, _regulation(kinds[of], kinds[by]))
                for of, by in pairs if of in kinds and by in kinds]

    def parties(self, schedule: Schedule) -> set[str]:
        """The partners a scheme involves: those that contribute to it, exercise or delegate
        functions in it, lead it or host its fund. With three partners a scheme may involve two
        (Westmere's Trust has no part in the after-care pool): a trust's commissioners consent
        only to the arrangements it is party to, and a partner ends only a scheme it is in."""
        keys = {line.partner for line in schedule.contributions}
        keys |= {k for d in self.delegations(schedule) for k in (d.functions_of, d.exercised_by)}
        keys |= {k for k in (schedule.lead_commissioner, schedule.host_partner)
                 if isinstance(k, str)}
        return keys

    def lead_delegators(self, lead: str) -> list[str] | None:
        """The partners whose functions a lead commissioner exercises when the data names only
        the lead: every other partner, if each is of the other kind and none is a trust (a
        trust delegating to a council is rare). None when that is ambiguous: another partner of
        the lead's own kind, or a trust, says nothing about who delegates."""
        if lead not in {p.key for p in self.partners}:
            return None
        by = self.partner(lead).kind
        others = [p for p in self.partners if p.key != lead]
        if all(_regulation(p.kind, by) is not None and not p.kind.is_trust for p in others):
            return [p.key for p in others]
        return None


@dataclass(frozen=True)
class Exercise:
    """One partner exercising another's functions, with the regulation that allows it: 8 (an NHS
    body, a council's health-related functions), 9 (a council, an NHS body's functions), or None
    where section 75 allows neither (council to council, NHS body to NHS body)."""

    functions_of: str
    exercised_by: str
    regulation: Literal[8, 9] | None


def _regulation(of: PartnerKind, by: PartnerKind) -> Literal[8, 9] | None:
    if of.is_council != by.is_council:
        return 9 if by.is_council else 8
    return None
