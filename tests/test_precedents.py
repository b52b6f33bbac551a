"""The example precedents folder the README points to: it replaces one clause and no other."""

from __future__ import annotations

from pathlib import Path

from s75docs.api import load_agreement
from s75docs.pipeline import render_agreement
from s75docs.write.markdown import write_markdown

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "oxfordshire-2022"
FIRM = ROOT / "precedents" / "example-firm"


def clauses(text: str) -> dict[str, str]:
    """The agreement's lines by clause number (the first word of each numbered line)."""
    return {line.split(" ", 1)[0]: line for line in text.splitlines()
            if line[:1].isdigit() and " " in line}


def test_the_example_firm_replaces_the_notices_clause_only() -> None:
    loaded = load_agreement(EXAMPLE)
    ours = write_markdown(render_agreement(loaded))
    firms = write_markdown(render_agreement(loaded, [FIRM]))
    assert "recorded delivery" in firms and "recorded delivery" not in ours
    assert "Notices may not be given by email." in firms
    changed = {number for number, line in clauses(firms).items()
               if clauses(ours).get(number) != line}
    heading = next(line for line in ours.splitlines() if line.endswith("Notices"))
    notices = heading.lstrip("#").split()[0].rstrip(".")
    assert changed and all(n.split(".")[0] == notices for n in changed), sorted(changed)
