"""Terms real agreements use (issue 12): who exercises whose functions, term options, no risk
share, bodies and their dates, optional clause families. Golden text of the clauses each changes,
and the checks that refuse what section 75 does not allow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import copy_with_edits

from s75docs.check.data import run_checks
from s75docs.errors import Finding, S75Error
from s75docs.load.folder import load_agreement
from s75docs.pipeline import build_agreement

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "fixtures" / "minimal"
A, S = "agreement.yaml", "schedules/pooled.yaml"

TRUST = """  - key: trust
    name: Exampleshire Partnership NHS Trust
    defined_term: the Trust
    kind: nhs_trust
    address: Trust HQ, Exampletown EX3 3CC
    consent: NHS Exampleshire Integrated Care Board consented on 1 March 2024.
    execution:
      method: signatories
      signatories:
        - post: Chief Executive
governance:"""
DISTRICT = """  - key: district
    name: Exampleshire District Council
    defined_term: the District Council
    kind: district_council
    address: Town Hall, Exampletown EX4 4DD
    execution:
      method: common_seal
      signatories:
        - post: Authorised Officer
governance:"""


def copy(tmp_path: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    return copy_with_edits(MINIMAL, tmp_path / "minimal", edits)


def findings(folder: Path, code: str) -> list[str]:
    """``path: message`` of each finding with ``code``, errors and warnings only."""
    return [f"{f.path}: {f.message}" for f in run_checks(load_agreement(folder))
            if f.code == code and f.severity in ("error", "warning")]


def errors(folder: Path) -> list[Finding]:
    return [f for f in run_checks(load_agreement(folder)) if f.severity == "error"]


def built(folder: Path, tmp_path: Path) -> str:
    written = build_agreement(folder, tmp_path / "out")[0] / "agreement.md"
    # Words compared with straight apostrophes and without the Markdown escapes of brackets
    # (tests/test_typography.py and test_markdown_preview.py check those).
    return written.read_text("utf-8").replace("\u2019", "'").replace("\\[", "[") \
        .replace("\\]", "]")


def clause(text: str, title: str) -> str:
    """The numbered paragraphs of the body clause headed ``title``, one per line."""
    body = text.split("\n# ")[1]
    match = re.search(rf"^## \d+ {re.escape(title)}\n(.*?)(?=^## |^# |\Z)", body, re.M | re.S)
    assert match, title
    return "\n".join(line for line in match.group(1).splitlines() if line.strip())


# 1. Delegation as data ----------------------------------------------------------------------

def test_a_trust_exercises_the_councils_functions_under_regulation_8(tmp_path: Path) -> None:
    folder = copy(tmp_path, {
        A: [("governance:", TRUST)],
        S: [("  - lead_commissioning\nlead_commissioner: council\n",
             "  - integrated_provision\ndelegations:\n"
             "  - functions_of: council\n    exercised_by: trust\n")]})
    assert errors(folder) == []
    text = built(folder, tmp_path)
    functions = clause(text, "Functions")
    assert ("5.2.1 for the Community Equipment Pooled Fund Scheme, the Trust exercises the "
            "Health-Related Functions of Council, under regulation 8 of the Regulations.") \
        in functions
    assert "ICB, under" not in functions  # the ICB delegates nothing
    assert ("6.1 For each of the following Schemes, the Partner named provides the Services in "
            "an integrated way, exercising for that purpose the functions that clause 5.2 lists "
            "for the Scheme:\n6.1.1 Community Equipment Pooled Fund: the Trust.") \
        in clause(text, "Commissioning Arrangements")


def test_the_lead_commissioner_is_shorthand_only_where_unambiguous(tmp_path: Path) -> None:
    two = built(MINIMAL, tmp_path / "two")
    assert ("5.2.1 for the Community Equipment Pooled Fund Scheme, Council exercises the NHS "
            "Functions of ICB, under regulation 9 of the Regulations.") in clause(two, "Functions")
    three = copy(tmp_path, {A: [("governance:", TRUST)]})
    assert findings(three, "statute.delegation") == [
        "schedules[0].lead_commissioner: naming the lead commissioner does not say whose "
        "functions it exercises when another partner is of its own kind or an NHS trust: list "
        "them in 'delegations' (functions_of, exercised_by)"]


def test_delegations_section_75_does_not_allow_are_errors(tmp_path: Path) -> None:
    folder = copy(tmp_path, {
        A: [("governance:", TRUST.replace("governance:", DISTRICT))],
        S: [("lead_commissioner: council\n", "lead_commissioner: council\ndelegations:\n"
             "  - functions_of: district\n    exercised_by: council\n"
             "  - functions_of: icb\n    exercised_by: trust\n"
             "  - functions_of: icb\n    exercised_by: icb\n"
             "  - functions_of: icb\n    exercised_by: council\n")]})
    messages = findings(folder, "statute.delegation")
    assert messages[0].startswith("schedules[0].delegations[0]: a council cannot exercise "
                                  "another council's functions under section 75")
    assert "section 101 of the Local Government Act 1972" in messages[0]
    assert messages[1].startswith("schedules[0].delegations[1]: an NHS body cannot exercise "
                                  "another NHS body's functions under section 75")
    assert messages[2] == ("schedules[0].delegations[2]: 'icb' cannot exercise its own "
                           "functions on its own behalf")
    assert messages[3].startswith("schedules[0].delegations: the lead commissioner is "
                                  "'council', but another partner exercises functions here")
    assert len(messages) == 4
    unknown = copy(tmp_path / "unknown", {S: [(
        "lead_commissioner: council\n",
        "delegations:\n  - functions_of: nobody\n    exercised_by: council\n")]})
    assert [f.path for f in errors(unknown)] == ["schedules[0].delegations[0].functions_of"]


# 2. Term options ----------------------------------------------------------------------------

TERM = """term:
  kind: fixed
  end_date: 2027-03-31
  review: annual
  extension:
    period: 12 months
    times: 2
    notice: 3 months
  variation_notice: 2 months
termination:
  notice: 6 months
  earliest_expiry: 2026-03-31
  breaks:
    - date: 2025-03-31
      notice: 3 months
"""
PHASE_END = ("    start: 2024-04-01\n", "    start: 2024-04-01\n    end: 2027-03-31\n")


def test_term_options_render_in_the_term_termination_and_variation_clauses(
        tmp_path: Path) -> None:
    folder = copy(tmp_path, {A: [("term:\n  kind: rolling\n  review: annual\ntermination:\n"
                                  "  notice: 6 months\n", TERM)], S: [PHASE_END]})
    assert findings(folder, "dates") == []
    text = built(folder, tmp_path)
    assert clause(text, "Term") == (
        "2.1 This Agreement comes into force on the Commencement Date.\n"
        "2.2 This Agreement continues until 31 March 2027, or the later date to which it is "
        "extended under clause 2.3, unless it is terminated earlier under clause 21.\n"
        "2.3 The Partners may extend this Agreement by twelve months at a time, no more than two "
        "times, so that it ends no later than 31 March 2029. An extension is made by all the "
        "Partners agreeing it in writing not less than three months before the date on which "
        "this Agreement would otherwise end.\n"
        "2.4 The Partners will review this Agreement and each Scheme at least once in every "
        "Financial Year under clause 19.")
    termination = clause(text, "Termination and Default")
    assert termination.startswith(
        "21.1 Any Partner may terminate this Agreement, or any Scheme, by giving the other "
        "Partners not less than six months' written notice expiring no earlier than "
        "31 March 2026.\n"
        "21.2 Any Partner may also terminate this Agreement with effect on any of the following "
        "dates by giving the other Partners written notice expiring on that date, even though "
        "the date is earlier than 31 March 2026:\n"
        "21.2.1 31 March 2025, on not less than three months' notice.\n")
    assert ("Any Partner may propose a variation by giving the other Partners not less than two "
            "months' written notice of it.") in clause(text, "Variation")

    one = copy(tmp_path / "one", {A: [(
        "term:\n  kind: rolling\n  review: annual\n",
        "term:\n  kind: fixed\n  end_date: 2027-03-31\n  extension:\n    period: 6 months\n"
        "    exercised_by: council\n    notice: {to_be_agreed: extension notice}\n")],
        S: [PHASE_END]})
    assert ("2.3 Council may extend this Agreement once, by six months, so that it ends no later "
            "than 30 September 2027. Council extends it by giving the other Partners not less "
            "than [extension notice] written notice before the date on which this Agreement "
            "would otherwise end.") in clause(built(one, tmp_path / "one"), "Term")


def test_term_options_are_checked_against_the_dates(tmp_path: Path) -> None:
    folder = copy(tmp_path, {A: [("term:\n  kind: rolling\n  review: annual\ntermination:\n"
                                  "  notice: 6 months\n", TERM
                                  .replace("2026-03-31", "2027-06-30")
                                  .replace("- date: 2025-03-31", "- date: 2024-05-31")
                                  .replace("    notice: 3 months\n  variation", "    notice: "
                                           "37 months\n  variation"))], S: [PHASE_END]})
    assert findings(folder, "dates") == [
        "termination.earliest_expiry: no notice may expire before 2027-06-30, but that is not "
        "within the term (2024-04-01 to 2027-03-31)",
        "termination.breaks[0].date: 3 months notice for a break on 2024-05-31 would have to be "
        "given before the agreement commences (2024-04-01)",
        "term.extension.notice: 37 months notice before the term ends (2027-03-31) falls before "
        "it commences (2024-04-01)"]
    pointless = copy(tmp_path / "pointless", {A: [(
        "  notice: 6 months\n", "  notice: 6 months\n  earliest_expiry: 2024-09-01\n"
        "  breaks:\n    - date: 2025-03-31\n      notice: 1 month\n")]})
    assert findings(pointless, "dates") == [
        "termination.earliest_expiry: 6 months notice given on commencement already expires "
        "after 2024-09-01: the lock-in adds nothing",
        "termination.breaks[0].date: the break date 2025-03-31 is not within a lock-in "
        "(termination.earliest_expiry), so the general right to end the agreement on notice "
        "already covers it"]


def test_budgets_for_years_within_an_extension_are_accepted(tmp_path: Path) -> None:
    """A financial year that only an extension option reaches is within the term the partners
    may have; its Contributions are said to apply only if the term is extended."""
    fixed = ("term:\n  kind: fixed\n  end_date: 2025-03-31\n{extension}  review: annual\n")
    year = 'icb,Wheelchair service,2025/26,"£160,000",revenue\n'
    edits = {"budgets/pooled.csv": [('150,000.25",revenue\n', '150,000.25",revenue\n' + year)],
             S: [("    start: 2024-04-01\n", "    start: 2024-04-01\n    end: 2026-03-31\n"),
                 ('  - amount: "£1,250,000.50"', '  - amount: "£1,410,000.50"')]}
    extended = copy(tmp_path / "extended", {**edits, A: [("term:\n  kind: rolling\n  review: "
                    "annual\n", fixed.format(extension="  extension:\n    period: 12 months\n"
                                              "    notice: 3 months\n"))]})
    assert findings(extended, "dates.years") == findings(extended, "dates.phases") == []
    text = built(extended, tmp_path)
    assert ("The Contributions for 2025/26 apply only if this Agreement is extended under "
            "clause 2.3 to cover that Financial Year.") in text
    assert text.count("apply only if this Agreement is extended") == 1
    plain = copy(tmp_path / "plain", {**edits, A: [("term:\n  kind: rolling\n  review: "
                 "annual\n", fixed.format(extension=""))]})
    assert findings(plain, "dates.years") == [
        "schedules[0].contributions[4].year: financial year 2025/26 falls outside the "
        "agreement's term"]
    assert findings(plain, "dates.phases") == [
        "schedules[0].phases[0].end: phase runs past the end of the term (2025-03-31)"]


def test_a_rolling_term_cannot_be_extended(tmp_path: Path) -> None:
    folder = copy(tmp_path, {A: [("  review: annual\n", "  review: annual\n  extension:\n"
                                  "    period: 12 months\n    notice: 3 months\n")]})
    with pytest.raises(S75Error, match="a rolling term cannot be extended"):
        load_agreement(folder)


# 3. No risk share ---------------------------------------------------------------------------

NO_SHARE = ("risk_share:\n  method: fixed\n  shares:\n    council: 50%\n    icb: 50%\n"
            "  overspends: Shared between the partners in the percentages above.\n"
            "  underspends: Returned to the partners in the percentages above.\n",
            "risk_share:\n  method: none\n")


def test_no_risk_share_bears_its_own_and_prints_no_illustration(tmp_path: Path) -> None:
    folder = copy(tmp_path, {A: [NO_SHARE], S: [("  - pooled_fund\n", "  - aligned_budget\n")]})
    assert errors(folder) == [] and findings(folder, "risk_share") == []
    text = built(folder, tmp_path)
    risk = clause(text, "Risk Share, Overspends and Underspends")
    assert risk.startswith(
        "10.1 This clause sets out how Overspends and Underspends are managed. They are not "
        "shared between the Partners. Schedule 3 explains the method in more detail.\n")
    assert ("10.3 There is no risk share. Each Partner bears any Overspend, and keeps any "
            "Underspend, on the expenditure made for its own functions under each Scheme.\n"
            "10.4 **Overspends.** Any Overspend that remains at the end of a Financial Year "
            "after the action agreed under clause 10.2 is met by the Partner for whose functions "
            "the expenditure was made.\n") in risk
    schedule = text.split("# Schedule 3")[1].split("\n# ")[0]
    assert "The Partners do not share an Overspend or Underspend: each Partner bears its own, " \
           "as clause 10.3 provides." in schedule
    assert "is met as clause 10.4 provides" in schedule
    assert "Illustration" not in schedule and "%" not in schedule
    assert "they are not shared under clause 10" in text.split("# Scheme 1")[1]


def test_no_risk_share_on_a_pooled_fund_warns(tmp_path: Path) -> None:
    folder = copy(tmp_path, {A: [NO_SHARE]})
    assert findings(folder, "risk_share") == [
        "risk_share.method: with no risk share each Partner bears its own Overspends, even on a "
        "pooled fund; a pooled fund usually shares them: make sure that is meant"]
    text = built(folder, tmp_path)
    assert "including expenditure from a Pooled Fund" in text
    assert "which pays it to the Host Partner" in text


# 5. Bodies and dates ------------------------------------------------------------------------

def test_a_body_must_have_existed_while_it_is_a_partner(tmp_path: Path) -> None:
    ccg_2009 = copy(tmp_path / "ccg", {A: [
        ("commencement_date: 2024-04-01", "commencement_date: 2009-04-01"),
        ("    kind: icb\n", "    kind: ccg\n")]})
    assert [m for m in findings(ccg_2009, "statute.partners") if "established" in m] == [
        "partners[1].kind: CCGs were established on 1 April 2013: one cannot be a partner on "
        "1 April 2009"]
    pct_2024 = copy(tmp_path / "pct", {A: [("    kind: icb\n", "    kind: pct\n")]})
    assert findings(pct_2024, "statute.partners") == [
        "partners[1].kind: PCTs were abolished on 1 April 2013: one cannot be a partner on "
        "1 April 2024; name its successor"]
    fixed = copy(tmp_path / "fixed", {A: [
        ("commencement_date: 2024-04-01", "commencement_date: 2012-04-01"),
        ("term:\n  kind: rolling\n", "term:\n  kind: fixed\n  end_date: 2014-03-31\n"),
        ("    kind: icb\n", "    kind: pct\n")]})
    # Outliving its kind is no fault of the agreement as made: a transfer scheme moves it.
    assert findings(fixed, "statute.partners") == []


def test_each_transfer_is_checked_against_the_kinds(tmp_path: Path) -> None:
    history = ("    code: QXX\n    history:\n"
               "      - name: NHS Exampleshire CCG\n        defined_term: the CCG\n"
               "        kind: ccg\n        date: {date}\n")
    good = copy(tmp_path / "good", {A: [
        ("commencement_date: 2024-04-01", "commencement_date: 2019-04-01"),
        ("    code: QXX\n", history.format(date="2022-07-01"))]})
    assert findings(good, "statute.partners") == []
    early = copy(tmp_path / "early", {A: [
        ("commencement_date: 2024-04-01", "commencement_date: 2019-04-01"),
        ("    code: QXX\n", history.format(date="2021-04-01"))]})
    assert findings(early, "statute.partners") == [
        "partners[1].kind: ICBs were established on 1 July 2022: one cannot be a partner on "
        "1 April 2021"]
    late = copy(tmp_path / "late", {A: [
        ("commencement_date: 2024-04-01", "commencement_date: 2019-04-01"),
        ("    code: QXX\n", history.format(date="2023-04-01"))]})
    assert findings(late, "statute.partners") == [
        "partners[1].history[0].kind: CCGs were abolished on 1 July 2022, but this one was "
        "succeeded only on 1 April 2023: check the transfer date"]



def test_predecessors_merging_on_one_date_are_each_judged_the_day_before(
        tmp_path: Path) -> None:
    """Two CCGs succeeded by one ICB on 1 July 2022: each was last a partner on 30 June 2022,
    when CCGs still existed; neither is judged on the transfer date."""
    two = ("    code: QXX\n    history:\n"
           "      - name: NHS North Exampleshire CCG\n        defined_term: the North CCG\n"
           "        kind: ccg\n        date: {date}\n"
           "      - name: NHS South Exampleshire CCG\n        defined_term: the South CCG\n"
           "        kind: ccg\n        date: 2022-07-01\n")
    merged = copy(tmp_path / "merged", {A: [
        ("commencement_date: 2024-04-01", "commencement_date: 2019-04-01"),
        ("    code: QXX\n", two.format(date="2022-07-01"))]})
    assert findings(merged, "statute.partners") == []
    # One succeeded earlier is judged from commencement to the day before its own transfer,
    # the other from that transfer on.
    staggered = copy(tmp_path / "staggered", {A: [
        ("commencement_date: 2024-04-01", "commencement_date: 2012-04-01"),
        ("    code: QXX\n", two.format(date="2013-04-01"))]})
    assert findings(staggered, "statute.partners") == [
        "partners[1].history[0].kind: CCGs were established on 1 April 2013: one cannot be a "
        "partner on 1 April 2012"]


# 6. Optional clause families ----------------------------------------------------------------

def test_capital_expenditure_can_be_removed_and_kept_as_not_used(tmp_path: Path) -> None:
    default = built(MINIMAL, tmp_path / "default")
    assert "## 12 Capital Expenditure" in default
    removed = copy(tmp_path / "removed", {A: [(
        "schedules:\n", "clauses:\n  capital_expenditure: false\nschedules:\n")]})
    text = built(removed, tmp_path / "removed")
    assert "Capital Expenditure" not in text and "## 12 VAT" in text
    kept = copy(tmp_path / "kept", {A: [(
        "schedules:\n", "keep_removed_clauses: true\nclauses:\n  capital_expenditure: false\n"
        "schedules:\n")]})
    text = built(kept, tmp_path / "kept")
    # Non-Pooled Funds (clause 9) is kept as "[Not used]" too.
    assert "## 13 [Not used]" in text and "## 14 VAT" in text


def test_optional_families_print_only_when_chosen(tmp_path: Path) -> None:
    families = ["set_up_costs", "existing_contracts", "charges", "staff", "health_and_safety",
                "equality", "public_involvement", "publicity"]
    # Never chosen: no trace, even where removed clauses are kept.
    kept = copy(tmp_path / "kept", {A: [("schedules:\n", "keep_removed_clauses: true\n"
                                         "schedules:\n")]})
    text = built(kept, tmp_path / "kept")
    assert re.findall(r"^## (\d+) \[Not used\]$", text, re.M) == ["9"]  # Non-Pooled Funds
    assert "## 13 Staff" not in text and "Publicity" not in text
    chosen = copy(tmp_path / "chosen", {A: [("schedules:\n", "clauses:\n" + "".join(
        f"  {f}: true\n" for f in families) + "schedules:\n")]})
    assert [f for f in run_checks(load_agreement(chosen)) if f.severity != "open"] == []
    text = built(chosen, tmp_path / "chosen")
    headings = re.findall(r"^## \d+ (.*)$", text.split("\n# ")[1], re.M)
    for title in ("Existing Contracts", "Set-Up Costs", "Staff", "Charges", "Health and Safety",
                  "Equality", "Patient and Public Involvement", "Publicity"):
        assert title in headings
    assert clause(text, "Staff").startswith(
        "13.1 Where a Partner's staff are to be seconded to another Partner, the Partners will "
        "agree the terms of the secondment in writing before it begins")
    assert "The seconding Partner remains their employer, as clause 12.3 provides." in \
        clause(text, "Staff")
    assert clause(text, "Equality").startswith(
        "22.1 The duty in clause 20.1 to comply with the Equality Act 2010 applies to a Partner "
        "exercising another Partner's functions")
    assert "Transfer of Undertakings (Protection of Employment) Regulations 2006" in \
        clause(text, "Staff")
    assert "or pays it into the Pooled Fund where the Scheme Specification so provides" in \
        clause(text, "Charges")
    removed = copy(tmp_path / "removed", {A: [("schedules:\n", "keep_removed_clauses: true\n"
                                               "clauses:\n  staff: false\nschedules:\n")]})
    assert "[Not used]" in built(removed, tmp_path / "removed")


def test_a_council_lead_exercises_both_icbs_functions(tmp_path: Path) -> None:
    west = TRUST.replace("key: trust", "key: west").replace(
        "Exampleshire Partnership NHS Trust", "NHS West Exampleshire Integrated Care Board"
    ).replace("the Trust", "the West ICB").replace("nhs_trust", "icb")
    folder = copy(tmp_path, {A: [("governance:", west)]})
    assert findings(folder, "statute.delegation") == []
    functions = clause(built(folder, tmp_path), "Functions")
    # One Partner exercising two Partners' functions under one regulation is said once.
    assert "Council exercises the NHS Functions of ICB and the West ICB, under regulation 9" \
        in functions


# 7. Integrated provision fields --------------------------------------------------------------

INTEGRATED = ("  - lead_commissioning\nlead_commissioner: council\n",
              "  - integrated_provision\ndelegations:\n"
              "  - functions_of: council\n    exercised_by: trust\n"
              "retained_functions:\n"
              "  - partner: council\n    function: charging for care and support under sections "
              "14 and 17 of the Care Act 2014\n"
              "delegated_limits:\n"
              "  - partner: trust\n    matter: a package of care for one person\n"
              "    limit: \"£1,200.50\"\n    per: a week\n"
              "  - partner: trust\n    matter: a single urgent payment\n    limit: \"£500\"\n"
              "amhp:\n  approved_by: council\n  employed_by: [trust]\n"
              "cqc_registration:\n  - partner: trust\n    activities: [personal_care, "
              "assessment_or_treatment_under_mental_health_act]\n")


def scheme_paragraph(folder: Path, tmp_path: Path, heading: str) -> str:
    """The numbered paragraphs under ``heading`` in the first scheme's own schedule file."""
    out = build_agreement(folder, tmp_path / "out", formats=("md",))[0]
    text = next((out / "schedules").glob("01-*.md")).read_text("utf-8").replace("\u2019", "'")
    match = re.search(rf"^## \d+ {heading}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, heading
    return "\n".join(line for line in match.group(1).splitlines() if line.strip())


def test_integrated_provision_fields_print_in_the_scheme(tmp_path: Path) -> None:
    folder = copy(tmp_path, {A: [("governance:", TRUST)], S: [INTEGRATED]})
    assert errors(folder) == []
    assert scheme_paragraph(folder, tmp_path, "Integrated Provision") == (
        "7.1 Council keeps the following functions, which are not exercised on its behalf "
        "under this Scheme, and exercises them itself:\n"
        "7.1.1 charging for care and support under sections 14 and 17 of the Care Act 2014.\n"
        "7.2 A Partner exercising another Partner's functions under this Scheme may commit "
        "expenditure or take decisions within the following limits only; a commitment or "
        "decision above a limit needs the prior written approval of the Partner whose functions "
        "are being exercised:\n"
        "7.2.1 the Trust: a package of care for one person, up to £1,200.50 a week; and\n"
        "7.2.2 the Trust: a single urgent payment, up to £500.\n"
        "7.3 In relation to approved mental health professionals:\n"
        "7.3.1 Council approves persons to act as approved mental health professionals under "
        "section 114 of the Mental Health Act 1983, and keeps that function; and\n"
        "7.3.2 a registered professional employed by the Trust acts as an approved mental "
        "health professional only while approved by Council, and when so acting acts on behalf "
        "of Council and exercises their own independent judgement.\n"
        "7.4 Each Partner named below is registered with the Care Quality Commission under the "
        "Health and Social Care Act 2008 as the service provider for the regulated activities "
        "listed against it that are carried on under this Scheme. It must keep that "
        "registration and meet its conditions, and must tell the other Partners promptly of "
        "any change to it and of any enforcement action the Care Quality Commission takes or "
        "proposes:\n"
        "7.4.1 the Trust: personal care; and assessment or medical treatment for persons "
        "detained under the Mental Health Act 1983.")
    # Without the fields there is no such paragraph, and the numbering is as before.
    plain = scheme_paragraph(MINIMAL, tmp_path / "plain", "Financial Contributions")
    assert plain.startswith("7.1 The Partners' Contributions")


def test_integrated_provision_checks(tmp_path: Path) -> None:
    bad = INTEGRATED[1].replace(
        "charging for care and support under sections 14 and 17 of the Care Act 2014",
        "Provision of aids and adaptations under the Care Act 2014.").replace(
        "\"£500\"", "\"£0\"").replace("approved_by: council", "approved_by: icb").replace(
        "  - partner: trust\n    matter: a package", "  - partner: icb\n    matter: a package"
    ).replace("activities: [personal_care, ", "activities: [personal_care, personal_care, ")
    folder = copy(tmp_path, {A: [("governance:", TRUST)], S: [(INTEGRATED[0], bad)]})
    assert [f"{f.path}: {f.message}" for f in errors(folder)] == [
        "schedules[0].retained_functions[0].function: this function is retained, but it is "
        "also listed among the functions this scheme covers, which another partner exercises "
        "for 'council': a function is either delegated or retained",
        "schedules[0].delegated_limits[0].partner: 'icb' exercises no other partner's functions "
        "in this scheme: a delegated limit binds a partner that does (see 'delegations')",
        "schedules[0].delegated_limits[1].limit: a delegated limit must be a positive sum of "
        "money",
        "schedules[0].amhp.approved_by: only a local authority may approve a person to act as "
        "an approved mental health professional (section 114 of the Mental Health Act 1983); "
        "its staff, or another partner's, then act on its behalf",
        "schedules[0].cqc_registration[0].activities[1]: 'trust' is already listed for "
        "personal_care"]
    unknown = copy(tmp_path / "unknown", {A: [("governance:", TRUST)], S: [(
        INTEGRATED[0], INTEGRATED[1].replace("employed_by: [trust]", "employed_by: [nobody]"))]})
    assert [f.path for f in errors(unknown)] == ["schedules[0].amhp.employed_by[0]"]
    typed = copy(tmp_path / "typed", {A: [("governance:", TRUST)], S: [(
        INTEGRATED[0], INTEGRATED[1].replace("personal_care,", "home_care,"))]})
    with pytest.raises(S75Error):
        load_agreement(typed)


# 4. Contribution schedules per partner -------------------------------------------------------

PER_PARTNER = ("schedules:\n", "contributions:\n  presentation: per_partner\nschedules:\n")


def schedule_part(text: str, title: str) -> str:
    """The paragraphs and table rows of the schedule headed ``title``, one per line."""
    match = re.search(rf"^# Schedule \d+: {re.escape(title)}\n(.*?)(?=^# )", text, re.M | re.S)
    assert match, title
    return "\n".join(line for line in match.group(1).splitlines() if line.strip())


def test_contributions_per_partner_have_a_schedule_of_their_own(tmp_path: Path) -> None:
    folder = copy(tmp_path, {A: [PER_PARTNER]})
    assert errors(folder) == []
    text = built(folder, tmp_path)
    assert schedule_part(text, "Contributions of Each Partner").endswith(
        "## 3 NHS Exampleshire Integrated Care Board\n"
        "3.1 The Contributions of ICB are:\n"
        "| Scheme | Budget line | Financial Year | Amount |\n"
        "| --- | --- | --- | ---: |\n"
        "| Community Equipment Pooled Fund | Equipment purchase | 2024/25 | £500,000.25 |\n"
        "| Community Equipment Pooled Fund | Wheelchair service | 2024/25 | £150,000.25 |\n"
        "| **Total** |  |  | **£650,000.50** |\n"
        "3.2 The Contributions of ICB by Scheme and Financial Year are:\n"
        "| Scheme | 2024/25 | Total |\n"
        "| --- | ---: | ---: |\n"
        "| Community Equipment Pooled Fund | £650,000.50 | £650,000.50 |\n"
        "| **Total** | **£650,000.50** | **£650,000.50** |")
    assert "## 2 Exampleshire Council\n\n2.1 The Contributions of Council are:" in text
    contributions = clause(text, "Financial Contributions")
    assert contributions.startswith(
        "9.1 Each Partner's Contributions to each Scheme, for each Financial Year the Partners "
        "have agreed, are set out in Schedule 2, in the paragraph for that Partner, and their "
        "totals for each Scheme in its Scheme Specification.")
    assert "record them in an updated Schedule 2 under clause 29" in contributions
    assert "and recorded in an updated Schedule 2;" in contributions
    assert ("**\u201cContribution\u201d** means the amount each Partner pays into a Pooled Fund "
            "for a Financial Year, as set out in Schedule 2;") in text.replace("'", "\u2019")
    assert ("The Pooled Fund is made up of the Contributions to the Scheme it serves set out "
            "in Schedule 2.") in text
    assert scheme_paragraph(folder, tmp_path / "scheme", "Financial Contributions").startswith(
        "7.1 The Partners' Contributions to this Scheme are set out, Partner by Partner, in "
        "Schedule 2, and are paid into the Pooled Fund. Contributions may be varied only under "
        "clause 9. Their totals by Partner and Financial Year are:\n"
        "| Partner | 2024/25 | Total |\n| --- | ---: | ---: |\n"
        "| Council | £600,000.00 | £600,000.00 |\n| ICB | £650,000.50 | £650,000.50 |\n"
        "| **Total** | **£1,250,000.50** | **£1,250,000.50** |\n7.2 ")
    # Per scheme (the default) there is no such schedule and the scheme lists its lines.
    plain = built(MINIMAL, tmp_path / "plain")
    assert "Contributions of Each Partner" not in plain
    assert "# Schedule 2: Governance" in plain


def test_contributions_per_partner_reconcile_to_the_penny(tmp_path: Path) -> None:
    folder = copy(tmp_path, {A: [(PER_PARTNER[0], "stated_totals:\n  - partner: icb\n"
                                  "    amount: \"£650,000.49\"\n" + PER_PARTNER[1])]})
    assert [f"{f.path}: {f.message}" for f in errors(folder)] == [
        "stated_totals[0].amount: stated total for icb is £650,000.49 but the budget lines add "
        "up to £650,000.50 (difference -£0.01)"]


def test_a_retained_function_citing_a_delegated_section_warns(tmp_path: Path) -> None:
    """Not word for word the same, but "sections 14 to 18" and "sections 18 to 20" of one Act
    overlap at section 18: a person should make sure nothing is both delegated and retained."""
    folder = copy(tmp_path, {A: [("governance:", TRUST)], S: [
        INTEGRATED, ("  - Provision of aids and adaptations under the Care Act 2014",
                     "  - meeting needs under sections 18 to 20 of the Care Act 2014")]})
    folder_text = (folder / S).read_text("utf-8").replace(
        "charging for care and support under sections 14 and 17 of the Care Act 2014",
        "charging under sections 14 to 18 of the Care Act 2014")
    (folder / S).write_text(folder_text, "utf-8")
    assert errors(folder) == []
    assert findings(folder, "integrated.retained") == [
        "schedules[0].retained_functions[0].function: this retained function cites section 18 "
        "of the Care Act 2014, which a function this scheme covers (exercised for 'council' by "
        "another partner) also cites: make sure no part of it is both delegated and retained"]
    apart = copy(tmp_path / "apart", {A: [("governance:", TRUST)], S: [
        INTEGRATED, ("  - Provision of aids and adaptations under the Care Act 2014",
                     "  - meeting needs under sections 18 to 20 of the Care Act 2014")]})
    assert findings(apart, "integrated.retained") == []  # sections 14 and 17: no overlap
