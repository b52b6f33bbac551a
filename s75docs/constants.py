"""Names and limits shared across the stages, in a module that imports nothing costly.

The CLI, the batch scheduler and the input fingerprints read these without pulling in pydantic,
Jinja or lxml, so ``s75docs --help`` and an up-to-date check stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

PACKAGE = Path(__file__).resolve().parent
BUILTIN_TEMPLATES = PACKAGE / "templates"  # our clause files, reports and reference.docx
BUILTIN_PRESETS = PACKAGE / "presets"  # care-group schemes a schedule may `extends:`
AGREEMENT_FILE = "agreement.yaml"
INPUTS_FILE = ".inputs"  # the fingerprint of what a build read, in its output folder
FORMATS = ("md", "docx")  # what `build` writes unless asked for others
OUTPUT_FORMATS = ("md", "docx", "pdf")  # what may be asked for; PDF is made from the .docx
REDLINE_FORMATS = ("docx", "md")  # Word tracked changes, or CriticMarkup
KEY_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"  # partner keys, references, preset names
MAX_LEVEL = 5  # clause levels: 1, 1.1, 1.1.1, (a), (i)


def default_jobs() -> int:
    """Parallel builds when none are asked for: one per core."""
    return os.cpu_count() or 1

# Every field that names a partner by its key, as a path from a schedule (or, for AGREEMENT_…,
# from agreement.yaml): "*" stands for each item of a list, KEYS (last) for each key of a mapping.
# Checks, succession and diff all read this one list; a new field naming a partner goes here.
# Each path maps to the words it may hold that name no partner.
KEYS = "<keys>"
SCHEDULE_PARTNER_FIELDS: dict[tuple[str, ...], frozenset[str]] = {
    ("lead_commissioner",): frozenset({"joint"}),
    ("delegations", "*", "functions_of"): frozenset(),
    ("delegations", "*", "exercised_by"): frozenset(),
    ("retained_functions", "*", "partner"): frozenset(),
    ("delegated_limits", "*", "partner"): frozenset(),
    ("amhp", "approved_by"): frozenset(),
    ("amhp", "employed_by", "*"): frozenset(),
    ("cqc_registration", "*", "partner"): frozenset(),
    ("host_partner",): frozenset(),
    ("pooled_fund_manager", "partner"): frozenset(),
    ("contributions", "*", "partner"): frozenset(),
    ("non_financial_contributions", "*", "partner"): frozenset(),
    ("lead_officers", "*", "partner"): frozenset(),
    ("stated_totals", "*", "partner"): frozenset(),
}
AGREEMENT_PARTNER_FIELDS: dict[tuple[str, ...], frozenset[str]] = {
    ("approvals", "*", "partner"): frozenset(),
    ("risk_share", "shares", KEYS): frozenset(),
    ("term", "extension", "exercised_by"): frozenset({"all"}),
}


class PartnerRef(NamedTuple):
    """One place that names a partner: its field path, the key, and whether the key is a key of
    a mapping (a risk share) rather than a value."""

    path: tuple[str | int, ...]
    key: str
    is_mapping_key: bool = False


def partner_fields(data: object, fields: dict[tuple[str, ...], frozenset[str]]
                   ) -> Iterator[PartnerRef]:
    """Each partner key ``data`` names at ``fields``; ``data`` is parsed YAML or the model
    (fields read as keys of a mapping, else as attributes)."""

    for pattern, not_keys in fields.items():  # each depth first, with a stack of its own
        # (a budget table's 100,000 lines each name a partner)
        stack: list[tuple[object, int, tuple[str | int, ...]]] = [(data, 0, ())]
        while stack:
            value, depth, path = stack.pop()
            if depth == len(pattern):
                if isinstance(value, str) and value not in not_keys:
                    yield PartnerRef(path, value)
                continue
            step = pattern[depth]
            if step == "*":
                items = value if isinstance(value, list) else []
                stack.extend([(item, depth + 1, (*path, i))
                              for i, item in reversed(list(enumerate(items)))])
            elif step == KEYS:
                for key in value if isinstance(value, Mapping) else {}:
                    if isinstance(key, str) and key not in not_keys:
                        yield PartnerRef((*path, key), key, is_mapping_key=True)
            else:
                child = value.get(step) if isinstance(value, Mapping) else getattr(value, step, None)
                stack.append((child, depth + 1, (*path, step)))
