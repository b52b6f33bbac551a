"""compliance.md tells the truth: an item resting on an open point is open, not satisfied; rows
name the arrangement they check (reg 7 pooled fund, reg 8 an NHS body exercising a council's
functions, reg 9 a council exercising NHS functions); an NHS trust partner gets consent rows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from s75docs.check.compliance import Row
from s75docs.pipeline import prepare
from s75docs.render.environment import template_dirs
from s75docs.render.wording import compliance_markdown

ROOT = Path(__file__).resolve().parent.parent
OXON = ROOT / "examples" / "oxfordshire-2022"
HARINGEY = ROOT / "examples" / "haringey-2016"
WESTMERE = ROOT / "examples" / "westmere-integrated-2024"
SUFFOLK = ROOT / "examples" / "suffolk-bcf-2025"
CONSENT = ("reg 7(2)", "reg 8(2)", "reg 9(2)")


def rows(folder: Path) -> list[Row]:
    prepared = prepare(folder)
    assert prepared.document is not None, prepared.findings
    return prepared.compliance


def find(found: list[Row], regulation: str, scheme: str = "", item: str = "") -> list[Row]:
    return [r for r in found if r.regulation == regulation and r.scheme == scheme
            and item in r.item]


def test_rows_follow_each_schemes_delegations_with_three_partners() -> None:
    """Westmere: the Trust exercises the Council's functions in one scheme (reg 8 only), the
    Council the ICB's in the other (reg 9 only, beside reg 7 for its pooled fund); with the
    delegations given, nothing rests on a lead commissioner."""
    westmere = rows(WESTMERE)
    integrated, aftercare = "Integrated Adult Mental Health Services", "Section 117 After-care"
    assert {r.regulation[:5] for r in westmere if r.scheme == integrated} == {"reg 8"}
    assert {r.regulation[:5] for r in westmere if r.scheme == aftercare} == {"reg 7", "reg 9"}
    assert all(r.status == "satisfied" for r in westmere if not r.regulation.endswith("(3)(f)"))
    assert len(find(westmere, "reg 8(2)", integrated)) == 1  # the Trust's consent


def test_an_item_resting_on_an_open_point_is_open_not_satisfied() -> None:
    haringey = rows(HARINGEY)
    # The recital records that consultation has not been done: the value is an open point.
    [consultation] = find(haringey, "reg 4(2)")
    assert consultation.where == ["recital (D)"]
    assert consultation.status == "open" and consultation.open == ["consultation"]
    [host] = find(haringey, "reg 7(4)", "Older People (Better Care Fund)", "a host partner")
    assert host.status == "open" and not host.satisfied
    [settled] = find(haringey, "reg 7(4)", "Learning Disabilities", "a host partner")
    assert settled.status == "satisfied"
    report = compliance_markdown("T", haringey, template_dirs())
    line = next(x for x in report.splitlines() if x.startswith("| reg 4(2) |"))
    assert line.endswith("| open: consultation to be agreed |")


def test_contributions_the_data_marks_illustrative_are_open_not_satisfied() -> None:
    """Suffolk's budget lines are illustrative (the scheme prints them as an open point), so the
    contributions the Regulations require are still to be agreed; a scheme without the mark
    (Westmere's after-care pool) is satisfied."""
    scheme = "Suffolk Better Care Fund"
    for regulation in ("reg 7(3)(b)", "reg 9(3)(b)"):
        [row] = find(rows(SUFFOLK), regulation, scheme)
        assert row.status == "open" and row.open[-1] == "contributions", row
    [pooled] = find(rows(WESTMERE), "reg 7(3)(b)", "Section 117 After-care")
    assert pooled.status == "satisfied"


def test_an_item_with_an_open_point_inside_its_record_is_open() -> None:
    """Suffolk's consultation is recorded but its date is still to be agreed: the reg 4(2) row
    is open and says what is; Westmere's, dated, is satisfied."""
    found = rows(SUFFOLK)
    [consultation] = find(found, "reg 4(2)")
    assert consultation.status == "open" and consultation.open == ["consultation.date"]
    report = compliance_markdown("T", found, template_dirs())
    line = next(x for x in report.splitlines() if x.startswith("| reg 4(2) |"))
    assert line.endswith("| open: consultation date to be agreed |")
    [dated] = find(rows(WESTMERE), "reg 4(2)")
    assert dated.status == "satisfied"


def test_an_open_point_in_a_cited_clause_leaves_the_item_open() -> None:
    """Westmere's termination clause leaves the notice on the Trust losing its registration to
    be agreed: every duration row that cites the clause is open and shows the bracketed note.
    In Haringey, clause 5.2's paragraph for the Older People scheme has an open lead
    commissioner, which leaves that scheme's rows open but not the other schemes' that cite
    the same clause."""
    westmere = rows(WESTMERE)
    duration = [r for r in westmere if r.regulation.endswith("(3)(f)")]
    assert len(duration) == 3
    for row in duration:
        assert row.status == "open" and not row.open
        assert row.points == ["notice period when the Trust loses its registration"]
    report = compliance_markdown("T", westmere, template_dirs())
    assert report.count("| open: [notice period when the Trust loses its registration] |") == 3
    assert all(r.satisfied for r in westmere if not r.regulation.endswith("(3)(f)"))
    haringey = rows(HARINGEY)
    [functions] = find(haringey, "reg 9(3)(c)", "Learning Disabilities")
    assert functions.where[-1] == "clause 5.2" and functions.status == "satisfied"
    [pooled] = find(haringey, "reg 7(3)(g)", "Older People (Better Care Fund)")
    assert "host partner to follow the choice of lead commissioner" in pooled.points


def test_rows_name_the_arrangement_they_check() -> None:
    haringey = rows(HARINGEY)
    # Learning Disabilities: the Council leads, so it exercises NHS functions (reg 9).
    assert find(haringey, "reg 9(4)", "Learning Disabilities")
    assert not find(haringey, "reg 8(4)", "Learning Disabilities")
    # Mental Health: the CCG leads, exercising the Council's health-related functions (reg 8).
    assert find(haringey, "reg 8(3)(a)", "Mental Health")
    assert not find(haringey, "reg 9(3)(a)", "Mental Health")
    assert not find(haringey, "reg 9(4)", "Mental Health")
    # Only a council's exercise of NHS functions has a statutory reporting duty (reg 9(4)).
    assert not [r for r in haringey if r.regulation == "reg 8(4)"]
    # Older People: the lead is not yet agreed, so both are checked, and both are open.
    for regulation in ("reg 8(3)(a)", "reg 9(4)"):
        [row] = find(haringey, regulation, "Older People (Better Care Fund)")
        assert row.status == "open" and row.open == ["exercising_partner"]
    # CAMHS is commissioned jointly: nobody exercises another's functions.
    assert not [r for r in haringey if r.scheme.startswith("Child and")
                and r.regulation.startswith(("reg 8", "reg 9"))]


def test_an_nhs_trust_partner_gets_a_consent_row_for_each_arrangement(tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    shutil.copytree(OXON, folder)
    agreement = folder / "agreement.yaml"
    text = agreement.read_text(encoding="utf-8")
    assert "    kind: ccg\n" in text
    agreement.write_text(text.replace(
        "    kind: ccg\n",
        "    kind: nhs_trust\n    consent: {to_be_agreed: consent of the ICB}\n", 1),
        encoding="utf-8")
    for name in ("live-well", "age-well"):  # with a trust, whose functions must be said
        schedule = folder / "schedules" / f"{name}.yaml"
        schedule.write_text(schedule.read_text(encoding="utf-8") + "delegations:\n"
                            "  - {functions_of: ccg, exercised_by: council}\n", encoding="utf-8")
    found = rows(folder)
    consent = [r for r in found if r.regulation in CONSENT]
    assert {r.regulation for r in consent} == {"reg 7(2)", "reg 9(2)"}  # the Council leads
    assert all(r.partner and r.status == "open" and r.open == ["consent"] for r in consent)
    # Each row cites the consent sentence itself, not the whole Functions clause.
    assert all(len(r.where) == 1 and re.fullmatch(r"clause \d+\.\d+", r.where[0])
               for r in consent)
    prepared = prepare(folder)
    assert prepared.document is not None
    [(part, block)] = [t for name, t in prepared.document.labels.items()
                       if name.startswith("functions.consent.")]
    assert block is not None and consent[0].where == [f"clause {block.full_number}"]
    assert "has obtained the consent of its commissioners" in block.plain()
    assert not [r for r in rows(OXON) if r.regulation in CONSENT]  # no trust, no row


TERMINATION = ROOT / "s75docs" / "templates" / "body" / "termination.md.j2"


def test_a_better_care_fund_scheme_cannot_end_mid_year_whoever_writes_termination(
        tmp_path: Path) -> None:
    """The clause that makes notice end only at a year's end is checked for each BCF scheme, so
    a firm's own termination clause that drops it is reported (a warning: a national
    condition), while a scheme without the Better Care Fund needs no such clause."""
    [ours] = find(rows(SUFFOLK), "BCF national conditions", "Suffolk Better Care Fund")
    assert ours.status == "satisfied" and ours.where
    assert not [r for r in rows(OXON) if r.regulation == "BCF national conditions"
                and r.scheme in ("Live Well", "Start Well", "Public Health")]
    firm = tmp_path / "firm" / "body"
    firm.mkdir(parents=True)
    text = TERMINATION.read_text("utf-8")
    start = text.index("{% if bcf %}")
    end = text.index("{% endif %}", start) + len("{% endif %}\n")
    (firm / TERMINATION.name).write_text(text[:start] + text[end:], "utf-8")
    prepared = prepare(SUFFOLK, templates=[firm.parent])
    [dropped] = find(prepared.compliance, "BCF national conditions",
                     "Suffolk Better Care Fund")
    assert dropped.status == "missing" and dropped.missing == ["termination.bcf"]
    [warning] = [f for f in prepared.findings if f.code == "compliance"]
    assert warning.severity == "warning" and "BCF national conditions" in warning.message
    report = compliance_markdown("T", prepared.compliance, template_dirs())
    assert "| MISSING: termination.bcf |" in report


def test_a_trust_consents_only_to_the_arrangements_it_is_party_to(tmp_path: Path) -> None:
    """Westmere's Trust takes part in the integrated scheme (reg 8), not in the after-care pool
    the Council runs for itself and the ICB (regs 7 and 9): its commissioners' consent is
    checked, and cited in the clause, under regulation 8(2) only."""
    westmere = rows(WESTMERE)
    consent = [(r.regulation, r.scheme) for r in westmere if r.regulation in CONSENT]
    assert consent == [("reg 8(2)", "Integrated Adult Mental Health Services")]
    prepared = prepare(WESTMERE)
    assert prepared.document is not None
    [(_, block)] = [t for name, t in prepared.document.labels.items()
                    if name.startswith("functions.consent.")]
    assert block is not None
    assert ("has obtained the consent of its commissioners that regulation 8(2) of the "
            "Regulations requires:") in block.plain()
    # Were the Trust to pay into the after-care pool, it would be party to regs 7 and 9 there.
    folder = tmp_path / "westmere"
    shutil.copytree(WESTMERE, folder)
    budget = folder / "budgets" / "aftercare.csv"
    lines = budget.read_text(encoding="utf-8").splitlines()
    budget.write_text("\n".join([*lines, lines[-1].replace("icb", "trust", 1)]) + "\n",
                      encoding="utf-8")
    assert {r.regulation for r in rows(folder) if r.regulation in CONSENT} == set(CONSENT)
