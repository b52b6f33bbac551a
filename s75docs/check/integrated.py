"""Checks on integrated provision: retained functions, delegated limits, approved mental health
professionals and CQC registration. Each refuses what would make its clause untrue: a function
both kept and handed over, a limit on a partner that exercises nobody's functions, an AMHP
approved by anyone but a local authority.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from s75docs.errors import Finding
from s75docs.load.folder import Loaded

_WORDS = re.compile(r"[^\w]+")
# "sections 14 and 17 of the Care Act 2014", "section 114 of the Mental Health Act 1983"
_CITATION = re.compile(r"\bsections? (\d+[A-Z]*(?:(?:, | and | or | to )\d+[A-Z]*)*) of the "
                       r"((?:[A-Z][\w-]*\s(?:(?:of|and|for|the|in)\s)*)+(?:Act|Regulations) "
                       r"\d{4})")
_NUMBER = re.compile(r"(\d+)([A-Z]*)")


def _normal(text: str) -> str:
    """Words only, lower case: two ways of typing one function compare equal."""
    return _WORDS.sub(" ", text.lower()).strip()


def citations(text: str) -> set[tuple[str, str]]:
    """The (section, Act) pairs ``text`` cites; "sections 18 to 20" is 18, 19 and 20."""
    found: set[tuple[str, str]] = set()
    for match in _CITATION.finditer(text):
        act = match.group(2)
        parts = re.split(r"(, | and | or | to )", match.group(1))
        for i in range(0, len(parts), 2):
            found.add((parts[i], act))
            if i >= 2 and parts[i - 1] == " to ":
                low, high = _NUMBER.fullmatch(parts[i - 2]), _NUMBER.fullmatch(parts[i])
                if low and high and not low.group(2) and not high.group(2):
                    found.update((str(n), act) for n in range(int(low.group(1)) + 1,
                                                              min(int(high.group(1)), 1000)))
    return found


def check_integrated(loaded: Loaded) -> Iterator[Finding]:
    a, o = loaded.agreement, loaded.origin
    kinds = {p.key: p.kind for p in a.partners}
    for s, schedule in enumerate(a.schedules):
        delegations = a.delegations(schedule)
        delegating = {d.functions_of for d in delegations}
        exercising = {d.exercised_by for d in delegations}
        for i, kept in enumerate(schedule.retained_functions):
            kind = kinds.get(kept.partner)
            if kind is None or kept.partner not in delegating:
                continue
            listed = schedule.health_related_functions if kind.is_council \
                else schedule.nhs_functions
            name = _normal(kept.function)
            at = ("schedules", s, "retained_functions", i, "function")
            if any(name == _normal(text) for text in listed):
                yield o.finding("error", at, "this function is retained, but it is also listed "
                                "among the functions this scheme covers, which another partner "
                                f"exercises for '{kept.partner}': a function is either "
                                "delegated or retained", "integrated.retained")
            elif shared := sorted(citations(kept.function) & {
                    c for text in listed for c in citations(text)}):
                section, act = shared[0]
                yield o.finding("warning", at, f"this retained function cites section "
                                f"{section} of the {act}, which a function this scheme covers "
                                f"(exercised for '{kept.partner}' by another partner) also "
                                "cites: make sure no part of it is both delegated and retained",
                                "integrated.retained")
        for i, limit in enumerate(schedule.delegated_limits):
            path = ("schedules", s, "delegated_limits", i)
            if limit.limit <= 0:
                yield o.finding("error", (*path, "limit"), "a delegated limit must be a positive "
                                "sum of money", "integrated.limit")
            if limit.partner in kinds and limit.partner not in exercising:
                yield o.finding("error", (*path, "partner"), f"'{limit.partner}' exercises no "
                                "other partner's functions in this scheme: a delegated limit "
                                "binds a partner that does (see 'delegations')",
                                "integrated.limit")
        amhp = schedule.amhp
        if amhp is not None and amhp.approved_by in kinds and \
                not kinds[amhp.approved_by].is_council:
            yield o.finding("error", ("schedules", s, "amhp", "approved_by"), "only a local "
                            "authority may approve a person to act as an approved mental "
                            "health professional (section 114 of the Mental Health Act 1983); "
                            "its staff, or another partner's, then act on its behalf",
                            "integrated.amhp")
        seen: set[tuple[str, str]] = set()
        for i, registration in enumerate(schedule.cqc_registration):
            for j, activity in enumerate(registration.activities):
                if (registration.partner, activity) in seen:
                    yield o.finding("error", ("schedules", s, "cqc_registration", i,
                                              "activities", j), f"'{registration.partner}' is "
                                    f"already listed for {activity.value}", "integrated.cqc")
                seen.add((registration.partner, activity))
