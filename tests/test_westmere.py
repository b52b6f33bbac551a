"""The third worked example (examples/westmere-integrated-2024): a council, its ICB and a mental
health trust. Golden text of each clause the terms of issue 12 changed, as the example prints
them: who acts for whom with three partners, the risk share of the partners who pool, an aligned
scheme's contributions, the integrated-provision paragraph and the schedule per partner."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from s75docs.check.data import run_checks
from s75docs.load.folder import load_agreement
from s75docs.pipeline import build_agreement

ROOT = Path(__file__).resolve().parent.parent
WESTMERE = ROOT / "examples" / "westmere-integrated-2024"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_agreement(WESTMERE, tmp_path_factory.mktemp("westmere"), formats=("md",))[0]


def paragraphs(path: Path, *numbers: str) -> list[str]:
    """Each numbered paragraph (``4.1.2 ...``) of a built file, apostrophes straight."""
    text = path.read_text("utf-8").replace("\u2019", "'")
    found = []
    for number in numbers:
        match = re.search(rf"^{re.escape(number)} .*$", text, re.M)
        assert match, number
        found.append(match.group(0))
    return found


def test_three_partners_each_act_only_for_the_partner_whose_functions_they_exercise(
        out: Path) -> None:
    assert paragraphs(out / "agreement.md", "4.1.2", "4.1.3", "5.2.1", "5.2.2", "6.1", "6.1.1",
                      "6.4.1") == [
        "4.1.2 lead commissioning, under which one Partner commissions services on behalf of one "
        "or more other Partners and exercises their functions for that purpose under regulation "
        "8 or 9 of the Regulations (see clause 6.1), for the Section 117 After-care Scheme;",
        "4.1.3 integrated provision, under which one Partner provides services that combine NHS "
        "Functions and Health-Related Functions and exercises one or more other Partners' "
        "functions for that purpose under regulation 8 or 9 of the Regulations (see clause 6.4), "
        "for the Integrated Adult Mental Health Services Scheme; and",
        "5.2.1 for the Integrated Adult Mental Health Services Scheme, the Trust exercises the "
        "Health-Related Functions of the Council, under regulation 8 of the Regulations, other "
        "than the functions that paragraph 7.1 of Scheme 1 says the Council keeps; and",
        "5.2.2 for the Section 117 After-care Scheme, the Council exercises the NHS Functions of "
        "the ICB, under regulation 9 of the Regulations.",
        "6.1 The Lead Commissioner for each of the following Schemes commissions the Services "
        "for that Scheme for itself and on behalf of each Partner whose functions clause 5.2 "
        "lists it as exercising for the Scheme:",
        "6.1.1 Section 117 After-care: the Council.",
        "6.4.1 Integrated Adult Mental Health Services: the Trust."]
    text = (out / "agreement.md").read_text("utf-8")
    assert ("1.1 This Schedule applies to each Scheme for which a Partner commissions or provides "
            "Services on behalf of one or more other Partners under clause 6:") in text
    assert paragraphs(out / "schedules" / "02-aftercare.md", "3.2") == [
        "3.2 The Lead Commissioner for this Scheme is the Council, which commissions the "
        "Services for itself and on behalf of each Partner whose functions clause 5.2 lists it "
        "as exercising for this Scheme."]


def test_only_the_partners_who_pool_share_the_risk(out: Path) -> None:
    """A proportional risk share names the partners whose Contributions it covers: the Trust,
    which pays nothing into the after-care pool, is not listed with 0%."""
    text = (out / "agreement.md").read_text("utf-8")
    assert paragraphs(out / "agreement.md", "12.3.1", "12.3.2") == [
        "12.3.1 the Council: 50%; and", "12.3.2 the ICB: 50%."]
    assert "the Trust: 0%" not in text and "| the Trust | £0 |" not in text


def test_the_integrated_scheme_reads_as_agreed(out: Path) -> None:
    scheme = out / "schedules" / "01-integrated-mental-health.md"
    assert paragraphs(scheme, "7.1", "7.2.1", "7.3.2", "7.4.1", "8.1", "8.2", "8.3") == [
        "7.1 The Council keeps the following functions, which are not exercised on its behalf "
        "under this Scheme, and exercises them itself:",
        "7.2.1 the Trust: a package of care and support in the community for one person, up to "
        "£1,200 a week;",
        "7.3.2 a registered professional employed by the Council or the Trust acts as an "
        "approved mental health professional only while approved by the Council, and when so "
        "acting acts on behalf of the Council and exercises their own independent judgement; "
        "and",
        "7.4.1 the Trust: treatment of disease, disorder or injury; and assessment or medical "
        "treatment for persons detained under the Mental Health Act 1983.",
        "8.1 The Partners' Contributions to this Scheme are set out, Partner by Partner, in "
        "Schedule 2. Contributions may be varied only under clause 10. Their totals by Partner "
        "and Financial Year are:",
        "8.2 The Contributions for 2027/28 apply only if this Agreement is extended under clause "
        "2.3 to cover that Financial Year.",
        "8.3 Each Partner spends its Contributions to this Scheme from its own Aligned Budget "
        "under clause 9.2, and pays none of them to another Partner unless this Scheme "
        "Specification provides otherwise."]


def test_each_partner_has_its_paragraph_of_contributions(out: Path) -> None:
    text = (out / "agreement.md").read_text("utf-8").replace("\u2019", "'")
    schedule = text[text.index("# Schedule 2: Contributions of Each Partner"):
                    text.index("# Schedule 3: Governance")]
    assert re.findall(r"^## \d+ (.+)$", schedule, re.M) == [
        "Application", "Westmere Council", "NHS Westmere and Dales Integrated Care Board",
        "Westmere Partnership NHS Foundation Trust"]
    assert ("| Section 117 After-care | £4,070,000 | £4,192,100 | £4,317,863 | £0 | £12,579,963 |"
            ) in schedule
    assert ("| **Total** | **£13,812,500** | **£14,227,600** | **£14,654,428** | **£10,646,662** "
            "| **£53,341,190** |") in schedule
    assert ("2.3 The Contributions of the Council for 2027/28 apply only if this Agreement is "
            "extended under clause 2.3 to cover that Financial Year.") in schedule
    assert "for 2027/28" not in schedule[schedule.index("## 3 NHS"):schedule.index("## 4 ")]


def test_an_aligned_scheme_names_the_partners_whose_budgets_it_aligns(out: Path) -> None:
    """The ICB has no budget in the integrated scheme: 'the Partners' budgets' would say it had."""
    scheme = out / "schedules" / "01-integrated-mental-health.md"
    assert paragraphs(scheme, "3.1") == [
        "3.1 The budgets of the Council and the Trust for this Scheme are Aligned Budgets: each "
        "of them keeps its own budget and accounts, and the Partners manage them together under "
        "this Scheme."]


def test_the_host_partner_does_not_pay_itself(out: Path) -> None:
    scheme = out / "schedules" / "02-aftercare.md"
    assert paragraphs(scheme, "7.2") == [
        "7.2 The ICB must pay its Contributions to the Host Partner in equal monthly instalments "
        "in advance, and the Host Partner credits its own Contributions to the Pooled Fund at "
        "the same times, unless this Scheme Specification provides otherwise."]
    assert "The Partners must pay their Contributions to the Host Partner" not in (
        out / "agreement.md").read_text("utf-8")


def test_budgets_ending_with_the_initial_term_are_open_for_an_extension(out: Path) -> None:
    """The after-care pool runs to 31 March 2027, the end of the initial term, but the Scheme
    lasts for the term, which may be extended to 2029: what then is open, not silently unsaid."""
    scheme = out / "schedules" / "02-aftercare.md"
    assert paragraphs(scheme, "3.3", "3.4") == [
        "3.3 From 1 April 2024 to 31 March 2027 the budgets for this Scheme are pooled.",
        "3.4 [whether the budgets for this Scheme continue if this Agreement is extended beyond "
        "31 March 2027]"]
    assert "continue if this Agreement is extended" in (out / "open-points.md").read_text("utf-8")
    found = [f for f in run_checks(load_agreement(WESTMERE)) if f.code == "dates.extension"]
    assert [(f.severity, f.path) for f in found] == [("open", "schedules[1].phases[0].end")]
    # The integrated scheme has no phases: nothing to say.
    assert "is extended beyond" not in (out / "schedules" / "01-integrated-mental-health.md"
                                        ).read_text("utf-8")


def test_the_risk_share_schedule_shares_between_those_who_pay_in(out: Path) -> None:
    text = (out / "agreement.md").read_text("utf-8")
    schedule = text[text.index("# Schedule 4: Risk Share"):text.index("# Schedule 5")]
    assert ("1.2 Where clause 12 provides for an Overspend or Underspend to be shared, the "
            "Partners that pay into the Pooled Fund share it in proportion to their Contributions "
            "to the Pooled Fund for the Financial Year in which it arises") in schedule


def test_schedules_speak_of_the_providing_partner_and_the_functions_kept(out: Path) -> None:
    """No Lead Commissioner reports on the integrated scheme (the Trust, its Lead Partner, does),
    and the Council keeps the functions its Scheme Specification lists, not 'assessments of
    eligibility that the law reserves to it' (the Trust determines eligibility for it)."""
    text = (out / "agreement.md").read_text("utf-8").replace("\u2019", "'")
    assert ("2.1 For each Scheme, the Lead Partner or, where there is none, the Partners' lead "
            "officers prepare a performance report each quarter") in text
    assert ("3.1.4 continue to exercise those of its functions that the Scheme does not cover, "
            "including the functions that the Scheme Specification says it keeps, in a way that "
            "supports the Scheme;") in text
    assert "assessments of eligibility that the law reserves" not in text
