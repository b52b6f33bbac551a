"""Sums of budget lines and risk-share splits: the one place where money is added up.

Checks compare stated totals with these sums and the templates print them, so a figure in a
document and the figure the check verified are the same Decimal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from s75docs.model.agreement import Agreement, Arrangement, BudgetLine, Schedule

_HUNDREDTH = Decimal("0.01")  # a percentage as printed; a penny


@dataclass
class Totals:
    """Exact sums of one schedule's budget lines, by partner, year and both."""

    total: Decimal = Decimal(0)
    by_partner: dict[str, Decimal] = field(default_factory=dict)
    by_year: dict[str, Decimal] = field(default_factory=dict)
    by_partner_year: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    @property
    def years(self) -> list[str]:
        return sorted(self.by_year)

    def get(self, partner: str | None = None, year: str | None = None) -> Decimal:
        """The total for a partner and/or year (either may be None for all)."""
        if partner is None and year is None:
            return self.total
        if partner is None:
            return self.by_year.get(year or "", Decimal(0))
        if year is None:
            return self.by_partner.get(partner, Decimal(0))
        return self.by_partner_year.get((partner, year), Decimal(0))


def totals_of(lines: list[BudgetLine], keys: list[str] | None = None) -> Totals:
    """Exact sums of ``lines``; the first dimension is each line's partner, or the matching
    item of ``keys`` (a partner's lines summed by scheme, for a schedule per partner).

    Each line is added once, to its partner and year; the other sums are of those few. Sums of
    amounts (at most two decimal places, under a trillion pounds each) are exact, so in any
    order they are the same Decimals, to the last digit and decimal place."""
    by_both: dict[tuple[str, str], Decimal] = {}
    get, zero = by_both.get, Decimal(0)
    if keys is None:
        for line in lines:
            both = (line.partner, line.year)
            by_both[both] = get(both, zero) + line.amount
    else:
        for key, line in zip(keys, lines, strict=True):
            both = (key, line.year)
            by_both[both] = get(both, zero) + line.amount
    return _from_both(by_both)


def merged_totals(parts: list[Totals]) -> Totals:
    """The totals of several tables' lines together, from each table's totals: the same as
    adding up all their lines (the sums are exact, and a key comes first where it first
    comes in the tables in order)."""
    by_both: dict[tuple[str, str], Decimal] = {}
    zero = Decimal(0)
    for part in parts:
        for both, amount in part.by_partner_year.items():
            by_both[both] = by_both.get(both, zero) + amount
    return _from_both(by_both)


def _from_both(by_both: dict[tuple[str, str], Decimal]) -> Totals:
    by_partner: dict[str, Decimal] = defaultdict(Decimal)
    by_year: dict[str, Decimal] = defaultdict(Decimal)
    total = Decimal(0)
    for (key, year), amount in by_both.items():
        total += amount
        by_partner[key] += amount
        by_year[year] += amount
    return Totals(total, dict(by_partner), dict(by_year), by_both)


def schedule_totals(schedule: Schedule) -> Totals:
    return totals_of(schedule.contributions)


def successors_of(agreement: Agreement) -> dict[str, str]:
    """Each body since succeeded, by key, mapped to its successor's key: a risk share counts
    a predecessor's money as its successor's, whose liabilities the transfer made them."""
    return {before.key: partner.key for partner in agreement.partners
            for before in partner.history if before.key}


def _totals(schedules: list[Schedule], owner: dict[str, str]) -> Totals:
    return totals_of([line.model_copy(update={"partner": owner.get(line.partner, line.partner)})
                      if line.partner in owner else line
                      for schedule in schedules for line in schedule.contributions])


def risk_share_schedules(agreement: Agreement) -> list[Schedule]:
    """The schemes whose over- and underspends are shared: those ``applies_to`` names (a scheme
    by key, a pooled fund by name), or every pooled scheme; none with ``method: none``. An
    aligned budget stays with its
    partner unless named, so the clause, the schedule and each scheme say the same thing."""
    scope = agreement.risk_share.applies_to
    if agreement.risk_share.method == "none":
        return []

    def covered(schedule: Schedule) -> bool:
        pooled = schedule.has(Arrangement.pooled_fund)
        if not scope:
            return pooled
        return schedule.key in scope or (pooled and schedule.fund_name in scope)

    return [schedule for schedule in agreement.schedules if covered(schedule)]


def risk_share_totals(agreement: Agreement) -> Totals:
    """The Contributions the risk share covers, each body's counted as its successor's: what
    proportional shares are worked out from."""
    return _totals(risk_share_schedules(agreement), successors_of(agreement))


def risk_shares(agreement: Agreement, covered: Totals | None = None,
                year: str | None = None) -> dict[str, Decimal]:
    """Each partner's percentage of an over- or underspend, fixed or in proportion to the
    Contributions the risk share covers (``covered``, if already summed): those of ``year``
    alone if one is given, else of every year together."""
    share = agreement.risk_share
    if share.method == "fixed":
        return dict(share.shares)
    if covered is None:
        covered = risk_share_totals(agreement)
    total = covered.get(year=year)
    if total == 0:
        return {}
    # A partner with no Contribution the risk share covers (a trust in an integrated service
    # beside a pooled fund) takes no share, and is not listed with 0%.
    return {
        partner.key: covered.get(partner.key, year) * 100 / total
        for partner in agreement.partners if partner.key in covered.by_partner
    }


def risk_shares_by_year(agreement: Agreement, covered: Totals) -> dict[str, dict[str, Decimal]]:
    """Proportional shares year by year, where the Contributions give the years different
    shares to the two decimal places printed; empty where one set of shares holds for every
    year (the risk share clause then states the shares once)."""
    years = covered.years
    if agreement.risk_share.method != "proportional" or len(years) < 2 or "" in years:
        return {}
    by_year = {year: risk_shares(agreement, covered, year) for year in years}
    printed = {tuple(v.quantize(_HUNDREDTH) for v in shares.values())
               for shares in by_year.values()}
    return by_year if len(printed) > 1 else {}


def split(amount: Decimal, shares: dict[str, Decimal]) -> dict[str, Decimal]:
    """Split an amount by percentages to the penny; the last partner takes the rounding remainder,
    so the parts always add back to the whole."""
    keys = list(shares)
    parts: dict[str, Decimal] = {}
    for key in keys[:-1]:
        parts[key] = (amount * shares[key] / 100).quantize(_HUNDREDTH, ROUND_HALF_UP)
    if keys:
        parts[keys[-1]] = amount - sum(parts.values(), Decimal(0))
    return parts
