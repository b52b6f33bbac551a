"""What the templates see: the agreement model plus the figures and groupings derived from it.

Derived values (totals, which flexibilities apply, a worked risk-share illustration) are computed
here once, in Python, so templates only choose wording; they never add up money themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import jinja2

from s75docs.model.agreement import (
    Agreement,
    Arrangement,
    ClauseFamily,
    OpenPoint,
    Partner,
    Schedule,
)
from s75docs.model.finance import (
    Totals,
    merged_totals,
    risk_share_schedules,
    risk_share_totals,
    risk_shares,
    risk_shares_by_year,
    schedule_totals,
    split,
    totals_of,
)
from s75docs.model.money import Period, financial_year_of, format_money
from s75docs.render.bounds import text_helper
from s75docs.render.environment import Safe, escape_markdown
from s75docs.render.imports import pure

ILLUSTRATIVE_OVERSPEND = Decimal(1_000_000)
PARTNERS_JOINTLY = "phrases/partners-jointly.md.j2"


@dataclass
class ContributionRow:
    partner: Partner
    line: str
    year: str
    amount: Decimal
    type: str | None


TableLine = tuple[Safe, Safe, str | None, Safe, Decimal, Safe]  # a line of Scheme.cells


@dataclass
class Delegated:
    """A partner exercising another's functions for a scheme, under regulation 8 or 9."""

    functions_of: Partner
    exercised_by: Partner
    regulation: int | None


@dataclass
class Scheme:
    """One Part 2 scheme specification with its figures."""

    schedule: Schedule
    index: int
    totals: Totals
    rows: list[ContributionRow]
    partners: list[Partner]  # partners contributing, in agreement order
    parties: list[Partner]  # partners it involves at all (Agreement.parties), in agreement order
    pooled: bool
    aligned: bool
    lead_partner: Partner | None
    host: Partner | None
    manager_partner: Partner | None
    delegations: list[Delegated]  # whose functions each partner exercises, with the regulation
    extension_years: list[str]  # financial years with contributions that only an extension reaches
    # The budget-line table, worked out once here rather than per line in the template (a table
    # may have 60,000 lines): each line as (partner, line, type, year, amount, amount_text) with
    # the partner's defined term, the line and the year already escaped for printing (each
    # distinct text once), the type and amount as they are, and the amount as the table prints
    # it (``amount | money(pence=s.pence)``, escaped); whether any amount has pence; and the
    # distinct types, as Jinja's ``unique`` gives them (case ignored, first spelling kept).
    cells: list[TableLine] = field(default_factory=list)
    pence: bool = False
    line_types: list[str | None] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        # Templates read schedule fields straight off the scheme (scheme.title, scheme.services).
        return getattr(self.schedule, name)


@dataclass
class PartnerContributions:
    """One partner's Contributions across the schemes, for a schedule per partner: its lines,
    scheme by scheme, and their sums by scheme (``totals.get(scheme key, year)``)."""

    partner: Partner
    rows: list[tuple[Scheme, ContributionRow]]
    schemes: list[Scheme]  # those it contributes to, in order
    totals: Totals
    extension_years: list[str]  # as Scheme.extension_years


def partner_contributions(agreement: Agreement, schemes: list[Scheme]
                          ) -> list[PartnerContributions]:
    """Each contributing partner's lines, in agreement order (a former partner's after)."""
    keys = [p.key for p in agreement.partners]
    found = {line.partner for s in agreement.schedules for line in s.contributions}
    result = []
    for key in [k for k in keys if k in found] + sorted(found - set(keys)):
        # The schemes' own rows (their partner is the contributor with this key).
        rows = [(scheme, row) for scheme in schemes for row in scheme.rows
                if row.partner.key == key]
        # A row has its line's year and amount; with keys given, no partner is read.
        totals = totals_of([row for _, row in rows],  # type: ignore[misc]
                           [scheme.key for scheme, _ in rows])
        result.append(PartnerContributions(
            _contributor(agreement, key), rows,
            [s for s in schemes if s.key in totals.by_partner], totals,
            _extension_years(agreement, totals.years)))
    return result


@dataclass
class Fund:
    """A pooled fund: one or more schemes paying into it, one host, one manager."""

    name: str
    schemes: list[Scheme]
    totals: Totals

    @property
    def host(self) -> Partner | None:
        return self.schemes[0].host

    @property
    def host_partner(self) -> object:
        return self.schemes[0].host_partner


def pooled_funds(schemes: list[Scheme]) -> list[Fund]:
    """Pooled schemes grouped by the fund they pay into, in order of first appearance."""
    groups: dict[str, list[Scheme]] = {}
    for scheme in schemes:
        if scheme.pooled:
            groups.setdefault(scheme.schedule.fund_name, []).append(scheme)
    return [Fund(name, members, merged_totals([m.totals for m in members]))
            for name, members in groups.items()]


def _partner_or_none(agreement: Agreement, key: object) -> Partner | None:
    if isinstance(key, str) and key != "joint":
        try:
            return agreement.partner(key)
        except KeyError:
            return None
    return None


def _contributor(agreement: Agreement, key: str) -> Partner:
    """The partner that made a contribution; for a former partner's contribution (a year before
    its successor took over), the successor's record under the former partner's own name, which
    no longer has a defined term of its own."""
    former = agreement.former(key)
    if former is None:
        return agreement.partner(key)
    successor, predecessor = former
    return successor.model_copy(update={"key": key, "name": predecessor.name,
                                        "defined_term": predecessor.name, "history": []})


def scheme_view(agreement: Agreement, schedule: Schedule, index: int) -> Scheme:
    totals = schedule_totals(schedule)
    keys = {line.partner for line in schedule.contributions}
    contributors = {key: _contributor(agreement, key) for key in sorted(keys)}
    partners = [p for p in agreement.partners if p.key in keys] + [
        contributors[key] for key in sorted(keys - {p.key for p in agreement.partners})]
    rows = [
        ContributionRow(contributors[line.partner], line.line, line.year, line.amount, line.type)
        for line in schedule.contributions
    ]
    pence = any(row.amount % 1 for row in rows)
    parties = agreement.parties(schedule)
    manager = schedule.pooled_fund_manager
    return Scheme(
        schedule=schedule,
        index=index,
        totals=totals,
        rows=rows,
        partners=partners,
        parties=[p for p in agreement.partners if p.key in parties],
        pooled=schedule.has(Arrangement.pooled_fund),
        aligned=schedule.has(Arrangement.aligned_budget) or any(
            p.kind == "aligned" for p in schedule.phases),
        lead_partner=_partner_or_none(agreement, schedule.lead_commissioner),
        host=_partner_or_none(agreement, schedule.host_partner),
        manager_partner=None if manager is None or isinstance(manager, OpenPoint)
        else _partner_or_none(agreement, manager.partner),
        delegations=[Delegated(agreement.partner(d.functions_of), agreement.partner(d.exercised_by),
                               d.regulation) for d in agreement.delegations(schedule)],
        extension_years=_extension_years(agreement, totals.years),
        cells=_cells(rows, pence),
        pence=pence,
        line_types=_unique_types(rows),
    )


def _cells(rows: list[ContributionRow], pence: bool) -> list[TableLine]:
    """The rows for the budget-line table (see ``Scheme.cells``): each distinct text escaped
    once, and everything as ``{{ value }}`` would print it."""
    escaped: dict[str, Safe] = {}

    def text(value: str) -> Safe:
        found = escaped.get(value)
        if found is None:
            found = escaped[value] = Safe(escape_markdown(value))
        return found

    return [(text(row.partner.defined_term), text(row.line), row.type, text(row.year),
             row.amount, Safe(escape_markdown(format_money(row.amount, pence=pence))))
            for row in rows]


def _unique_types(rows: list[ContributionRow]) -> list[str | None]:
    """The rows' types, each once in order of first use, case ignored: Jinja's ``unique``."""
    seen: dict[object, str | None] = {}
    for row in rows:
        seen.setdefault(row.type.lower() if isinstance(row.type, str) else row.type, row.type)
    return list(seen.values())


def _extension_years(agreement: Agreement, years: list[str]) -> list[str]:
    """The financial years that start after a fixed term's end date, so fall only within an
    extension option: their Contributions apply only if the term is extended."""
    end = agreement.term.end_date
    if end is None or agreement.term.extension is None:
        return []
    return [y for y in years if dt.date(financial_year_of(y)[0], 4, 1) > end]


def template_context(agreement: Agreement) -> dict[str, Any]:
    """Everything a template may use, by name."""
    schemes = [scheme_view(agreement, s, i + 1) for i, s in enumerate(agreement.schedules)]
    risk_totals = risk_share_totals(agreement)
    shares = risk_shares(agreement, risk_totals)
    shares_by_year = risk_shares_by_year(agreement, risk_totals)
    # The worked illustration is of one year: the first, where the years' shares differ.
    illustration_year = next(iter(shares_by_year), None)
    illustration_shares = shares_by_year[illustration_year] if illustration_year else shares
    arrangements = {a for s in agreement.schedules for a in s.arrangements}
    shared = {s.key for s in risk_share_schedules(agreement)}
    by_key = {p.key: p for p in agreement.partners}

    @pure
    @jinja2.pass_context
    def term(context: jinja2.runtime.Context, key: object) -> object:
        """A partner's defined term from its key; an open point passes through, and 'joint' (the
        Partners together) is worded by a template a firm can override."""
        if isinstance(key, OpenPoint):
            return key
        if key == "joint":
            phrase = context.environment.get_template(PARTNERS_JOINTLY)
            return Safe(phrase.render(context.get_all()).strip())
        if str(key) not in by_key and (former := agreement.former(str(key))):
            return former[1].name  # a body since succeeded, in what stays its own
        return by_key[str(key)].defined_term

    return {
        "a": agreement,
        "partners": agreement.partners,
        "partner": by_key,
        "term": term,
        "former": agreement.former,  # these functions only read (see render/imports.py)
        "councils": [p for p in agreement.partners if p.kind.is_council],
        # The partnership's own board: the first body the Partners establish, never a council
        # committee (a Health and Wellbeing Board keeps its own constitution and quorum).
        "board": next((g for g in agreement.governance if g.kind == "partnership"), None),
        "nhs_bodies": [p for p in agreement.partners if not p.kind.is_council],
        "schemes": schemes,
        "pooled_schemes": [s for s in schemes if s.pooled],
        "funds": pooled_funds(schemes),
        "per_partner": agreement.contributions.presentation == "per_partner",
        # Only a schedule per partner shows them (schedules/partner-contributions.md.j2).
        "partner_contributions": partner_contributions(agreement, schemes)
        if agreement.contributions.presentation == "per_partner" else [],
        "aligned_schemes": [s for s in schemes if s.aligned],
        "has": {a.value: a in arrangements for a in Arrangement},
        "totals": merged_totals([s.totals for s in schemes]),  # every budget line's
        "risk_schemes": [s for s in schemes if s.key in shared],
        # Each optional clause: true (printed), false (removed) or none (never in this agreement).
        "clauses": {f.value: agreement.clauses.get(f, f.default) for f in ClauseFamily},
        "risk_totals": risk_totals,
        "risk_shares": shares,
        "risk_shares_by_year": shares_by_year,
        "illustration_year": illustration_year,
        "illustration_shares": illustration_shares,
        # Proportional shares worked out from figures the data marks illustrative are not real.
        "illustrative_shares": agreement.risk_share.method == "proportional" and any(
            s.illustrative for s in agreement.schedules if s.key in shared),
        "illustrative_overspend": ILLUSTRATIVE_OVERSPEND,
        "illustrative_split": split(ILLUSTRATIVE_OVERSPEND, illustration_shares)
        if illustration_shares else {},
        "is_open": is_open,
        "is_period": is_period,
    }


@text_helper
def is_open(value: object) -> bool:
    return isinstance(value, OpenPoint)


@text_helper
def is_period(value: object) -> bool:
    return isinstance(value, Period)


for _reader in (Agreement.former, Agreement.partner, Agreement.parties, Agreement.delegations,
                Schedule.has, Totals.get):
    pure(_reader)
