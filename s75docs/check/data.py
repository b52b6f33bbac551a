"""What ``s75docs check`` verifies once the data has loaded: references, statute, arithmetic,
dates and open points. Each check is a plain function from a loaded agreement to findings.

Statutory rules follow the NHS Bodies and Local Authorities Partnership Arrangements Regulations
2000 (SI 2000/617); rules the domain notes mark "to confirm" are warnings, and say so.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from s75docs.check.fields import fields_holding
from s75docs.check.integrated import check_integrated
from s75docs.constants import AGREEMENT_PARTNER_FIELDS, SCHEDULE_PARTNER_FIELDS, partner_fields
from s75docs.errors import Finding, Severity
from s75docs.load.folder import Loaded, Origin
from s75docs.model.agreement import (
    Agreement,
    Arrangement,
    BudgetLine,
    OpenPoint,
    PartnerKind,
    PooledFundManager,
    Schedule,
    StatedTotal,
    add_period,
)
from s75docs.model.finance import schedule_totals, totals_of
from s75docs.model.money import Period, financial_year_containing, financial_year_of, format_money

PathKey = tuple[str | int, ...]

# Functions section 75 cannot cover (reg 3 / reg 6 of SI 2000/617), each with the words that
# reveal it and the reason a person is given.
EXCLUDED_FUNCTIONS: list[tuple[re.Pattern[str], str]] = [
    # (not a GP's or doctor's surgery: the premises, where much integrated care is based)
    (re.compile(r"\bsurg(?:ical\b|ery\b(?<!\bGP surgery)(?<!\bGP's surgery)"
                r"(?<!\bGP’s surgery)(?<!\bdoctor's surgery)(?<!\bdoctor’s surgery))",
                re.I), "surgery"),
    (re.compile(r"\bradiotherapy\b", re.I), "radiotherapy"),
    (re.compile(r"\btermination of pregnanc(y|ies)\b|\babortion", re.I), "termination of pregnancy"),
    (re.compile(r"\bendoscop(y|ies|ic)\b", re.I), "endoscopy"),
    (re.compile(r"\bclass (4|iv) laser", re.I), "Class 4 laser treatment"),
    (re.compile(r"\bemergency ambulance", re.I), "emergency ambulance services"),
]
# Any of them: most texts name none, and one search of the alternatives is 4x quicker than six.
_ANY_EXCLUDED = re.compile("|".join(f"(?:{p.pattern})" for p, _ in EXCLUDED_FUNCTIONS), re.I)


# Words that mark a value as a note for the drafter, not text to print in an agreement.
DRAFTING_NOTE = re.compile(r"\b(placeholders?|to be (agreed|confirmed|inserted)|TBC|TBA)\b", re.I)
# Defined terms that data text must capitalise as the templates do.
LOWER_CASE_TERMS = re.compile(r"\b(overspends?|underspends?)\b")
# Fields whose text is a note about the data by design (printed as an open point, or not at all).
_NOTE_FIELDS = frozenset({"illustrative", "label", "source"})
DFG = re.compile(r"disabled facilities grant", re.I)


def _duplicates(keys: list[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            yield i, key
        seen.add(key)


def check_references(loaded: Loaded) -> Iterator[Finding]:
    a, o = loaded.agreement, loaded.origin
    for collection, items in (("partners", a.partners), ("governance", a.governance),
                              ("schedules", a.schedules)):
        for i, key in _duplicates([item.key for item in items]):
            yield o.finding("error", (collection, i, "key"),
                            f"key '{key}' is used twice; keys must be unique", "references")
    partners = {p.key for p in a.partners}
    known = ", ".join(sorted(partners))

    def unknown(path: PathKey, key: str) -> Finding:
        return o.finding("error", path, f"'{key}' is not a partner (partners: {known})",
                         "references")

    for path, key, _ in partner_fields(a, AGREEMENT_PARTNER_FIELDS):
        if key not in partners and not (path[0] == "approvals" and a.former(key)):
            yield unknown(path, key)
    names = {s.key for s in a.schedules} | {
        s.fund_name for s in a.schedules if s.has(Arrangement.pooled_fund)}
    for i, name in enumerate(a.risk_share.applies_to):
        if name not in names:
            yield o.finding("error", ("risk_share", "applies_to", i), f"{name!r} is neither a "
                            f"scheme key nor a pooled fund (known: {', '.join(sorted(names))})",
                            "references")
    for s, schedule in enumerate(a.schedules):
        for path, key, _ in partner_fields(schedule, SCHEDULE_PARTNER_FIELDS):
            if key not in partners and not _made_before_transfer(a, schedule, path, key):
                yield unknown(("schedules", s, *path), key)


def _made_before_transfer(a: Agreement, schedule: Schedule, path: PathKey, key: str) -> bool:
    """A former partner's contribution (or stated total) for a financial year before the one
    in which its successor took over: it stays the former partner's."""
    former = a.former(key)
    if former is None or path[0] not in ("contributions", "stated_totals"):
        return False
    year = getattr(getattr(schedule, str(path[0]))[int(path[1])], "year", None)
    return year is not None and year < financial_year_containing(former[1].date)


def check_partners(loaded: Loaded) -> Iterator[Finding]:
    a, o = loaded.agreement, loaded.origin
    if not any(p.kind.is_council for p in a.partners):
        yield o.finding("error", ("partners",), "section 75 needs at least one local authority "
                        "partner (county, district, unitary, metropolitan or London borough "
                        "council, or the City of London)", "statute.partners")
    if all(p.kind.is_council for p in a.partners):
        yield o.finding("error", ("partners",), "section 75 needs at least one NHS body partner "
                        "(ICB, CCG from 1 April 2013 to 30 June 2022, PCT before 1 April 2013, "
                        "NHS England, NHS trust or foundation trust)",
                        "statute.partners")
    for i, partner in enumerate(a.partners):
        yield from _kind_dates(loaded, i)
        if partner.kind.is_trust and partner.consent is None:
            yield o.finding("error", ("partners", i, "consent"), "an NHS trust partner needs the "
                            "consent of the commissioners it holds NHS contracts with (regs 7(2), "
                            "8(2), 9(2)); record it in 'consent'", "statute.consent")
        if partner.kind.is_council and partner.execution.method != "common_seal":
            yield o.finding("warning", ("partners", i, "execution", "method"), "a council "
                            "usually executes under its common seal", "execution")


_KIND_NAMES = {PartnerKind.pct: "PCTs", PartnerKind.ccg: "CCGs", PartnerKind.icb: "ICBs"}


def _kind_dates(loaded: Loaded, i: int) -> Iterator[Finding]:
    """A body of a kind that did not exist when it became a partner: PCTs to 31 March 2013,
    CCGs from 1 April 2013 to 30 June 2022, ICBs from 1 July 2022. The partner holds its place
    from its last transfer (or commencement); each predecessor up to the day before its
    transfer, so a transfer dated after its predecessor's abolition warns. A current partner
    outliving its kind is not flagged: a transfer scheme moves its rights by law, and the
    agreement as made still names it."""
    a, o = loaded.agreement, loaded.origin
    partner = a.partners[i]
    dates = sorted({before.date for before in partner.history})
    spans: list[tuple[PathKey, PartnerKind | None, dt.date, dt.date | None]] = []
    for h, before in enumerate(partner.history):
        # From the transfer before its own (bodies merging on one date share it), to the day
        # before its transfer: a CCG succeeded on 1 July 2022 was last a partner on 30 June.
        earlier = [d for d in dates if d < before.date]
        spans.append((("partners", i, "history", h, "kind"), before.kind,
                      earlier[-1] if earlier else a.commencement_date,
                      before.date - dt.timedelta(days=1)))
    spans.append((("partners", i, "kind"), partner.kind,
                  dates[-1] if dates else a.commencement_date, None))
    for path, kind, first, last in spans:
        if kind is None:
            continue
        born, abolished = kind.existed
        name = _KIND_NAMES.get(kind, kind.value)
        if born is not None and first < born:
            yield o.finding("error", path, f"{name} were established on {_long(born)}: one "
                            f"cannot be a partner on {_long(first)}", "statute.partners")
        if abolished is None:
            continue
        ended = _long(abolished + dt.timedelta(days=1))
        if first > abolished:
            yield o.finding("error", path, f"{name} were abolished on {ended}: one cannot be a "
                            f"partner on {_long(first)}; name its successor", "statute.partners")
        elif last is not None and last > abolished:
            yield o.finding("warning", path, f"{name} were abolished on {ended}, but this one "
                            f"was succeeded only on {_long(last + dt.timedelta(days=1))}: check "
                            "the transfer date", "statute.partners")


def _long(date: dt.date) -> str:
    return f"{date.day} {date:%B %Y}"


def check_excluded_functions(loaded: Loaded) -> Iterator[Finding]:
    for s, schedule in enumerate(loaded.agreement.schedules):
        for field_name in ("nhs_functions", "health_related_functions", "services"):
            for i, text in enumerate(getattr(schedule, field_name)):
                if not _ANY_EXCLUDED.search(text):
                    continue
                for pattern, name in EXCLUDED_FUNCTIONS:
                    if pattern.search(text):
                        yield loaded.origin.finding(
                            "error", ("schedules", s, field_name, i),
                            f"{name} is an excluded NHS function: section 75 arrangements cannot "
                            "cover it (SI 2000/617 reg 3(4)); remove it from the schedule",
                            "statute.excluded")


def _prescribed(schedule: Schedule, agreement: Agreement) -> list[tuple[str, PathKey, bool]]:
    """The reg 7(3) / 8(3) / 9(3) items for one scheme: (item, field, present)."""
    return [
        ("(a) the agreed aims and outcomes", ("aims_and_outcomes",),
         bool(schedule.aims_and_outcomes)),
        ("(b) the contributions (or payments) of each partner", ("contributions",),
         bool(schedule.contributions)),
        ("(c) the NHS functions and health-related functions", ("nhs_functions",),
         bool(schedule.nhs_functions) and bool(schedule.health_related_functions)),
        ("(d) the persons and the kinds of services covered", ("services",),
         bool(schedule.services) and schedule.eligibility is not None),
        ("(e) the staff, goods, services or accommodation provided (an empty list if none)",
         ("non_financial_contributions",), schedule.non_financial_contributions is not None),
        ("(f) the duration, review, variation and termination", ("phases",),
         agreement.term is not None and agreement.termination is not None),
        ("(g) how the arrangements are managed and monitored", ("reporting",),
         schedule.reporting is not None and bool(agreement.governance)),
    ]


def check_statute(loaded: Loaded) -> Iterator[Finding]:
    a, o = loaded.agreement, loaded.origin
    partner_kinds = {p.key: p for p in a.partners}
    for s, schedule in enumerate(a.schedules):
        base: PathKey = ("schedules", s)
        pooled = schedule.has(Arrangement.pooled_fund)
        delegated = schedule.delegating
        yield from _delegations(loaded, s)
        if not (pooled or delegated):
            continue
        regulation = "reg 7(3)" if pooled else "reg 8(3)/9(3)"
        for item, path, present in _prescribed(schedule, a):
            if not present:
                yield o.finding("error", base + path, f"{regulation} requires the agreement to "
                                f"specify {item}; this schedule does not", "statute.prescribed")
        if delegated and schedule.lead_commissioner is None and not schedule.delegations:
            yield o.finding("error", base + ("lead_commissioner",), "a delegation (lead "
                            "commissioning or integrated provision) must name the partner that "
                            "exercises the functions, or mark it to be agreed", "statute.lead")
        if not pooled:
            continue
        if schedule.host_partner is None:
            yield o.finding("error", base + ("host_partner",), "reg 7(4): a pooled fund needs a "
                            "host partner responsible for its accounts and audit",
                            "statute.host")
        if schedule.pooled_fund_manager is None:
            yield o.finding("error", base + ("pooled_fund_manager",), "reg 7(4): a pooled fund "
                            "needs a pooled fund manager", "statute.manager")
        elif isinstance(schedule.pooled_fund_manager, PooledFundManager) and isinstance(
                schedule.host_partner, str) and \
                schedule.pooled_fund_manager.partner != schedule.host_partner:
            yield o.finding("error", base + ("pooled_fund_manager", "partner"), "reg 7(4): the "
                            "pooled fund manager must be an officer of the host partner "
                            f"('{schedule.host_partner}'), not of "
                            f"'{schedule.pooled_fund_manager.partner}'", "statute.manager")
        if schedule.reporting is not None:
            if not schedule.reporting.quarterly_reports:
                yield o.finding("error", base + ("reporting", "quarterly_reports"), "reg 7(4): the "
                                "pooled fund manager must give the partners quarterly reports",
                                "statute.reporting")
            if not schedule.reporting.annual_return:
                yield o.finding("error", base + ("reporting", "annual_return"), "reg 7(4): the "
                                "pooled fund manager must give the partners an annual return",
                                "statute.reporting")
        host = partner_kinds.get(schedule.host_partner) if isinstance(
            schedule.host_partner, str) else None
        if host is not None and host.kind == "nhs_england":
            yield o.finding("warning", base + ("host_partner",), "NHS England hosting a local "
                            "pooled fund is unusual (to confirm)", "statute.host")
    yield from _shared_funds(loaded)
    yield from _doubtful(loaded)
    if isinstance(a.consultation, OpenPoint):
        return
    if not a.consultation.description.strip():
        yield o.finding("warning", ("consultation",), "reg 4: the partners should have jointly "
                        "consulted those affected (to confirm)", "statute.consultation")


def _delegations(loaded: Loaded, s: int) -> Iterator[Finding]:
    """Each delegation must be one regulation 8 or 9 allows, and where the lead commissioner
    alone is ambiguous the data must say whose functions it exercises."""
    a, o = loaded.agreement, loaded.origin
    schedule = a.schedules[s]
    base: PathKey = ("schedules", s, "delegations")
    kinds = {p.key: p.kind for p in a.partners}
    for i, d in enumerate(schedule.delegations):
        if d.functions_of == d.exercised_by:
            yield o.finding("error", base + (i,), f"'{d.exercised_by}' cannot exercise its own "
                            "functions on its own behalf", "statute.delegation")
            continue
        of, by = kinds.get(d.functions_of), kinds.get(d.exercised_by)
        if of is None or by is None or of.is_council != by.is_council:
            continue
        if of.is_council:
            yield o.finding("error", base + (i,), "a council cannot exercise another council's "
                            "functions under section 75: regulation 8 lets an NHS body exercise "
                            "a council's health-related functions, and regulation 9 a council "
                            "an NHS body's functions (councils delegate to each other under "
                            "section 101 of the Local Government Act 1972)", "statute.delegation")
        else:
            yield o.finding("error", base + (i,), "an NHS body cannot exercise another NHS "
                            "body's functions under section 75: regulation 8 lets an NHS body "
                            "exercise a council's health-related functions, and regulation 9 a "
                            "council an NHS body's functions", "statute.delegation")
    lead = schedule.lead_commissioner
    if schedule.delegating and not schedule.delegations and isinstance(lead, str) and \
            lead in kinds and a.lead_delegators(lead) is None:
        yield o.finding("error", ("schedules", s, "lead_commissioner"), "naming the lead "
                        "commissioner does not say whose functions it exercises when another "
                        "partner is of its own kind or an NHS trust: list them in 'delegations' "
                        "(functions_of, exercised_by)", "statute.delegation")
    elif isinstance(lead, str) and lead != "joint" and any(
            d.exercised_by != lead for d in schedule.delegations):
        yield o.finding("warning", base, f"the lead commissioner is '{lead}', but another "
                        "partner exercises functions here: make sure the Scheme means that",
                        "statute.delegation")


def _doubtful(loaded: Loaded) -> Iterator[Finding]:
    """Data that is lawful to write but legally doubtful: warnings for a person to confirm."""
    a, o = loaded.agreement, loaded.origin
    county = any(p.kind == PartnerKind.county_council for p in a.partners)
    for s, schedule in enumerate(a.schedules):
        for i, text in enumerate(schedule.health_related_functions):
            if county and DFG.search(text):
                yield o.finding("warning", ("schedules", s, "health_related_functions", i),
                                "disabled facilities grants are functions of the district "
                                "councils in a two-tier area, not of the county council: a "
                                "county can pool the grant but cannot delegate the function "
                                "(to confirm)", "statute.functions")
        if schedule.better_care_fund and not schedule.has(Arrangement.pooled_fund):
            yield o.finding("warning", ("schedules", s, "arrangements"), "the Better Care Fund "
                            "must be held in a pooled fund under section 75 (a national "
                            "condition); this scheme has no pooled_fund arrangement",
                            "statute.bcf")
    if a.risk_share.method == "none" and any(s.has(Arrangement.pooled_fund)
                                             for s in a.schedules):
        yield o.finding("warning", ("risk_share", "method"), "with no risk share each Partner "
                        "bears its own Overspends, even on a pooled fund; a pooled fund usually "
                        "shares them: make sure that is meant", "risk_share")
    for i, approval in enumerate(a.approvals):
        if isinstance(approval.date, dt.date) and approval.date > a.commencement_date:
            yield o.finding("warning", ("approvals", i, "date"), f"approved on {approval.date}, "
                            f"after the agreement commences ({a.commencement_date}): "
                            "commencement would be retrospective; make sure that is meant",
                            "dates")
        kind = next((p.kind for p in a.partners if p.key == approval.partner), None)
        if kind == PartnerKind.icb and "governing body" in approval.body.lower():
            yield o.finding("warning", ("approvals", i, "body"), "an ICB has a Board, not a "
                            "Governing Body (a CCG had a Governing Body)", "statute.partners")
    for i, body in enumerate(a.governance):
        if body.kind == "partnership" and "health and wellbeing board" in body.name.lower():
            yield o.finding("warning", ("governance", i, "kind"), "a Health and Wellbeing Board "
                            "is a committee of the council (section 194 of the Health and Social "
                            "Care Act 2012): set kind: council_committee", "governance")
        if body.kind == "council_committee" and body.quorum is not None:
            yield o.finding("warning", ("governance", i, "quorum"), "a council committee's "
                            "quorum is set by the council's constitution, not by this agreement",
                            "governance")
    if a.governance and all(body.kind == "council_committee" for body in a.governance):
        yield o.finding("warning", ("governance",), "no governance body is the Partners' own "
                        "(kind: partnership): the terms of reference are for a partnership "
                        "board still to be agreed; add the board the Partners establish",
                        "governance")


def _shared_funds(loaded: Loaded) -> Iterator[Finding]:
    """Schemes paying into one pooled fund must agree on its host and manager."""
    first: dict[str, tuple[int, Schedule]] = {}
    for s, schedule in enumerate(loaded.agreement.schedules):
        if not schedule.has(Arrangement.pooled_fund):
            continue
        if schedule.fund_name not in first:
            first[schedule.fund_name] = (s, schedule)
            continue
        _, leader = first[schedule.fund_name]
        for name in ("host_partner", "pooled_fund_manager"):
            if getattr(schedule, name) != getattr(leader, name):
                yield loaded.origin.finding(
                    "error", ("schedules", s, name), f"this scheme shares the pooled fund "
                    f"'{schedule.fund_name}' with '{leader.title}' but names a different "
                    f"{name.replace('_', ' ')}; one pooled fund has one", "statute.fund")


def check_arithmetic(loaded: Loaded) -> Iterator[Finding]:
    a, o = loaded.agreement, loaded.origin
    if a.risk_share.method == "fixed":
        total = sum(a.risk_share.shares.values(), Decimal(0))
        if total != 100:
            yield o.finding("error", ("risk_share", "shares"), f"risk shares add up to {total}%, "
                            "not 100%", "arithmetic.risk_share")
        missing = [p.key for p in a.partners if p.key not in a.risk_share.shares]
        if missing:
            yield o.finding("warning", ("risk_share", "shares"), "no risk share given for "
                            f"{', '.join(missing)}: they bear none of an overspend",
                            "arithmetic.risk_share")
    for s, schedule in enumerate(a.schedules):
        for i, stated in enumerate(schedule.stated_totals):
            yield from _compare_total(o, ("schedules", s, "stated_totals", i, "amount"), stated,
                                      schedule.contributions)
        if schedule.has(Arrangement.pooled_fund) and schedule.contributions and \
                schedule_totals(schedule).total <= 0:
            yield o.finding("error", ("schedules", s, "contributions"), "a pooled fund's "
                            "contributions must add up to more than nothing", "arithmetic.total")
    for i, stated in enumerate(a.stated_totals):
        schedules = [s for s in a.schedules if stated.fund is None or (
            s.has(Arrangement.pooled_fund) and s.fund_name == stated.fund)]
        if stated.fund is not None and not schedules:
            funds = sorted({s.fund_name for s in a.schedules if s.has(Arrangement.pooled_fund)})
            yield o.finding("error", ("stated_totals", i, "fund"), f"no pooled fund named "
                            f"{stated.fund!r} (pooled funds: {', '.join(funds) or 'none'})",
                            "references")
            continue
        yield from _compare_total(o, ("stated_totals", i, "amount"), stated,
                                  [line for s in schedules for line in s.contributions])


def _compare_total(o: Origin, path: PathKey, stated: StatedTotal, lines: list[BudgetLine]
                   ) -> Iterator[Finding]:
    """A stated total against the exact sum of the budget lines it covers."""
    covered = [line for line in lines
               if (stated.partner is None or line.partner == stated.partner)
               and (stated.year is None or line.year == stated.year)
               and (stated.type is None or line.type == stated.type)]
    actual = totals_of(covered).total
    if actual != stated.amount:
        scope = " for ".join(filter(None, ["stated total", stated.label, stated.partner,
                                           stated.year, stated.type]))
        yield o.finding(
            "error", path,
            f"{scope} is {format_money(stated.amount, pence=True)} but the budget lines "
            f"add up to {format_money(actual, pence=True)} (difference "
            f"{format_money(stated.amount - actual, pence=True)})", "arithmetic.total")


def check_dates(loaded: Loaded) -> Iterator[Finding]:
    a, o = loaded.agreement, loaded.origin
    end = a.term.end_date
    latest = a.term.latest_end  # phases and budgets may run into an extension option
    if end is not None and end <= a.commencement_date:
        yield o.finding("error", ("term", "end_date"), f"the term ends ({end}) before it "
                        f"commences ({a.commencement_date})", "dates")
    yield from _term_options(loaded)
    if isinstance(a.agreement_date, dt.date) and a.agreement_date > a.commencement_date:
        yield o.finding("warning", ("agreement_date",), "the agreement is dated after it "
                        "commences: make sure commencement is meant to be retrospective", "dates")
    for s, schedule in enumerate(a.schedules):
        base: PathKey = ("schedules", s, "phases")
        previous = None
        for i, phase in enumerate(schedule.phases):
            if phase.end is not None and phase.end < phase.start:
                yield o.finding("error", base + (i, "end"), f"phase ends ({phase.end}) before "
                                f"it starts ({phase.start})", "dates.phases")
            if phase.start < a.commencement_date:
                yield o.finding("error", base + (i, "start"), f"phase starts ({phase.start}) "
                                f"before the agreement commences ({a.commencement_date})",
                                "dates.phases")
            if latest is not None and (phase.end is None or phase.end > latest):
                yield o.finding("error", base + (i, "end"), "phase runs past the end of the "
                                f"term ({latest})", "dates.phases")
            if previous is not None:
                if previous.end is None or phase.start <= previous.end:
                    yield o.finding("error", base + (i, "start"), f"phase starting {phase.start} "
                                    "overlaps the phase before it; phases must follow one another",
                                    "dates.phases")
                elif phase.start != previous.end + dt.timedelta(days=1):
                    yield o.finding("error", base + (i, "start"), f"gap between phases: the one "
                                    f"before ends {previous.end}, this starts {phase.start}",
                                    "dates.phases")
            previous = phase
        # A year within an extension option is allowed: the scheme says its Contributions
        # apply only if the term is extended (render/context.py, extension_years).
        outside: dict[str, bool] = {}  # by financial year: a budget table has a few
        for i, line in enumerate(schedule.contributions):
            if line.year not in outside:
                first, _ = financial_year_of(line.year)
                year_start, year_end = dt.date(first, 4, 1), dt.date(first + 1, 3, 31)
                outside[line.year] = year_end < a.commencement_date or (
                    latest is not None and year_start > latest)
            if outside[line.year]:
                yield o.finding("error", ("schedules", s, "contributions", i, "year"),
                                f"financial year {line.year} falls outside the agreement's term",
                                "dates.years")


def _term_options(loaded: Loaded) -> Iterator[Finding]:
    """The lock-in, break dates and extension option against the term they belong to."""
    a, o = loaded.agreement, loaded.origin
    start, end, notice = a.commencement_date, a.term.end_date, a.termination.notice
    lock_in = a.termination.earliest_expiry
    if lock_in is not None:
        path: PathKey = ("termination", "earliest_expiry")
        if lock_in <= start or (end is not None and lock_in > end):
            yield o.finding("error", path, f"no notice may expire before {lock_in}, but that is "
                            f"not within the term ({start} to {end or 'termination'})", "dates")
        elif isinstance(notice, Period) and add_period(start, notice) >= lock_in:
            yield o.finding("warning", path, f"{notice} notice given on commencement already "
                            f"expires after {lock_in}: the lock-in adds nothing", "dates")
    for i, option in enumerate(a.termination.breaks):
        path = ("termination", "breaks", i, "date")
        if option.date <= start or (end is not None and option.date >= end):
            yield o.finding("error", path, f"the break date {option.date} is not within the "
                            f"term ({start} to {end or 'termination'})", "dates")
        elif isinstance(option.notice, Period) and add_period(
                option.date, option.notice, -1) < start:
            yield o.finding("error", path, f"{option.notice} notice for a break on "
                            f"{option.date} would have to be given before the agreement "
                            f"commences ({start})", "dates")
        elif lock_in is None or option.date >= lock_in:
            yield o.finding("warning", path, f"the break date {option.date} is not within a "
                            "lock-in (termination.earliest_expiry), so the general right to end "
                            "the agreement on notice already covers it", "dates")
    extension = a.term.extension
    if extension is not None and end is not None and isinstance(extension.notice, Period) and \
            add_period(end, extension.notice, -1) < start:
        yield o.finding("error", ("term", "extension", "notice"), f"{extension.notice} notice "
                        f"before the term ends ({end}) falls before it commences ({start})",
                        "dates")


def _texts(value: Any, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    """Every string the data holds, with its field path; open points are notes by design.
    (Depth first in field order, with a stack of its own: a budget table has 60,000 lines.)"""
    stack: list[tuple[Any, PathKey]] = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, BaseModel) and not isinstance(value, OpenPoint):
            stack.extend([(getattr(value, name), path + (name,))
                          for name in _text_fields(type(value))])
        else:
            stack.extend(reversed(_items(value, path)))


def _items(value: Any, path: PathKey) -> list[tuple[Any, PathKey]]:
    """A list's or a mapping's items with their paths, in order; none for anything else."""
    if isinstance(value, list):
        return [(item, path + (i,)) for i, item in enumerate(value)]
    if isinstance(value, dict):
        return [(item, path + (key,)) for key, item in value.items()]
    return []


@functools.cache
def _text_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` whose type lets them hold text, notes left out, last first (the
    walk's stack order): a budget line's amount is not visited."""
    return tuple(name for name in reversed(fields_holding(model, str))
                 if name not in _NOTE_FIELDS)


def check_drafting(loaded: Loaded) -> Iterator[Finding]:
    """Text the templates print as operative words must read as such: no notes for the drafter,
    defined terms capitalised, and the risk-share shares stated once (the clause lists them)."""
    a, o = loaded.agreement, loaded.origin
    read: dict[str, tuple[bool, str | None]] = {}  # each distinct text searched once
    for path, text in _texts(a, ()):
        found = read.get(text)
        if found is None:
            match = LOWER_CASE_TERMS.search(text)
            found = read[text] = (DRAFTING_NOTE.search(text) is not None,
                                  match.group(0) if match else None)
        note, term = found
        if note:
            yield o.finding("warning", path, "this reads as a note for the drafter but would be "
                            "printed as agreed text: write it as an open point "
                            "({to_be_agreed: ...})", "drafting")
        if term:
            yield o.finding("warning", path, f"{term!r} is a defined term: write it "
                            f"{term.capitalize()!r}", "drafting")
    for name in ("overspends", "underspends"):
        text = getattr(a.risk_share, name) or ""
        if any(f"{share.normalize():f}%" in text for share in a.risk_share.shares.values()):
            yield o.finding("warning", ("risk_share", name), "this repeats the shares, which "
                            "the risk share clause already lists: say only how the amount is "
                            "shared or paid", "drafting")


def _walk(value: Any, path: PathKey) -> Iterator[tuple[PathKey, OpenPoint]]:
    stack: list[tuple[Any, PathKey]] = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, OpenPoint):
            yield path, value
        elif isinstance(value, BaseModel):
            stack.extend([(getattr(value, name), path + (name,))
                          for name in _open_point_fields(type(value))])
        else:
            stack.extend(reversed(_items(value, path)))


@functools.cache
def _open_point_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` whose type lets them hold an open point, last first (the walk's
    stack order): the budget lines, tens of thousands of them, are not visited at all."""
    return tuple(reversed(fields_holding(model, OpenPoint)))


def open_points(agreement: Agreement) -> list[tuple[PathKey, OpenPoint]]:
    """Every value still to be agreed, with its field path, in document order."""
    return list(_walk(agreement, ()))


def check_open_points(loaded: Loaded, *, final: bool = False) -> Iterator[Finding]:
    severity: Severity = "error" if final or loaded.agreement.status == "final" else "open"
    for path, point in open_points(loaded.agreement):
        message = f"to be agreed: {point.to_be_agreed}"
        if severity == "error":
            message += " (a final agreement has no open points)"
        yield loaded.origin.finding(severity, path, message, "open_point")
    for s, schedule in enumerate(loaded.agreement.schedules):
        if schedule.illustrative:
            message = "illustrative figures, to be replaced by the agreed Contributions"
            if severity == "error":
                message = "a final agreement cannot rest on illustrative figures"
            yield loaded.origin.finding(severity, ("schedules", s, "illustrative"), message,
                                        "illustrative")
        # Budgets that end with the initial term of an agreement that may be extended: the
        # scheme prints this as an open point (scheme.md.j2).
        term = loaded.agreement.term
        last = schedule.phases[-1].end if schedule.phases else None
        if term.end_date and term.latest_end and last and term.end_date <= last < term.latest_end:
            message = (f"the budgets end on {last}, but the agreement may be extended to "
                       f"{term.latest_end}: whether they continue in an extension is to be agreed")
            if severity == "error":
                message += " (a final agreement has no open points)"
            yield loaded.origin.finding(
                severity, ("schedules", s, "phases", len(schedule.phases) - 1, "end"), message,
                "dates.extension")


CHECKS: list[Callable[[Loaded], Iterator[Finding]]] = [
    check_references,
    check_partners,
    check_excluded_functions,
    check_statute,
    check_arithmetic,
    check_dates,
    check_integrated,
    check_drafting,
]


def run_checks(loaded: Loaded, *, final: bool = False) -> list[Finding]:
    """All findings for a loaded agreement: errors and warnings first, open points last."""
    findings = [finding for check in CHECKS for finding in check(loaded)]
    findings.extend(check_open_points(loaded, final=final))
    return findings
