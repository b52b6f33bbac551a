"""Drafting: what a solicitor would strike or query in a rendered agreement, one test a class.

Contradictions (risk-share scope, a fund established twice, two routes to change the shares),
drafting notes printed as agreed text, statutory and factual accuracy, and drafting quality
(list grammar, repetition, self-citation, defined terms, role sentences, money columns).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import copy_with_edits

from s75docs.check.data import run_checks
from s75docs.errors import Finding
from s75docs.load.folder import load_agreement
from s75docs.pipeline import build_agreement

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/agreement.yaml"))
MINIMAL = ROOT / "tests" / "fixtures" / "minimal"
NUMBERED = re.compile(r"^(\d+(?:\.\d+)*) (.*)$")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("build")
    # Apostrophes are typographic in the outputs; these tests read the words, so compare them
    # with straight ones (tests/test_typography.py checks the typography itself).
    return {folder.name: (build_agreement(folder, out)[0] / "agreement.md").read_text("utf-8")
            .replace("\u2019", "'") for folder in EXAMPLES}


def parts(text: str) -> dict[str, str]:
    """The agreement's parts by heading: "body", "Schedule 3: Risk Share ...", "Scheme 2: ..."."""
    out: dict[str, str] = {}
    current = "front"
    for line in text.splitlines(keepends=True):
        if line.startswith("# "):
            heading = line[2:].strip()
            current = "body" if heading == "Agreed Terms" else heading
        out[current] = out.get(current, "") + line
    return out


def clause(text: str, number: str) -> str:
    """The text of one numbered paragraph, its sub-paragraphs and continuation lines."""
    lines: list[str] = []
    inside = False
    for line in parts(text)["body"].splitlines():
        if m := NUMBERED.match(line):
            inside = m.group(1) == number or m.group(1).startswith(number + ".")
        elif line.startswith("#"):
            inside = False
        if inside and line.strip():
            lines.append(line)
    return "\n".join(lines)


def copy(tmp_path: Path, folder: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    return copy_with_edits(folder, tmp_path / folder.name, edits)


def findings(folder: Path, code: str) -> list[Finding]:
    return [f for f in run_checks(load_agreement(folder)) if f.code == code]


OXFORDSHIRE = ROOT / "examples" / "oxfordshire-2022"


# 1. Contradictions -------------------------------------------------------------------------

def test_aligned_budgets_stay_outside_the_pooled_risk_share(built: dict[str, str]) -> None:
    text = built["oxfordshire-2022"]
    by_part = parts(text)
    assert "how those on the Pooled Fund are shared" in clause(text, "12.1")
    assert clause(text, "12.7").endswith(
        "Overspends and Underspends on the Aligned Budgets for Start Well (Children's Services) "
        "and Public Health are not shared: they are dealt with under clause 9.4.")
    assert clause(text, "9.4") == ("9.4 Each Partner bears any Overspend, and keeps any "
                                   "Underspend, on its own Aligned Budget.")
    schedule = next(t for h, t in by_part.items() if h.startswith("Schedule 3"))
    assert "It applies to the Pooled Fund, and to no other budget." in schedule
    for heading, scheme in by_part.items():
        if heading.startswith(("Scheme 3", "Scheme 4")):  # Start Well, Public Health
            assert "as clause 9.4 provides; they are not shared under clause 12." in scheme
            assert "fall within the risk share" not in scheme
        elif heading.startswith(("Scheme 1", "Scheme 2")):
            assert "Overspends and Underspends on the single pooled budget fall within the risk " \
                   "share in clause 12, and are dealt with as it provides." in scheme


def test_risk_share_scope_is_data(tmp_path: Path) -> None:
    folder = copy(tmp_path, OXFORDSHIRE, {"agreement.yaml": [(
        "  change: a further", "  applies_to: [single pooled budget, start-well]\n"
        "  change: a further")]})
    assert findings(folder, "references") == []
    written = build_agreement(folder, tmp_path / "out")[0] / "agreement.md"
    text = written.read_text("utf-8").replace("\u2019", "'")
    assert "how those on the single pooled budget and the Aligned Budgets for Start Well " \
           "(Children's Services) are shared" in clause(text, "12.1")
    assert "except that Overspends and Underspends on the Aligned Budgets for Start Well " \
           "(Children's Services) are shared under clause 12" in clause(text, "9.4")
    assert "on the Aligned Budgets for Public Health are not shared" in text
    start_well = next(t for h, t in parts(text).items() if h.startswith("Scheme 3"))
    assert "Overspends and Underspends on this Scheme fall within the risk share in clause 12" \
        in start_well

    wrong = copy(tmp_path / "wrong", OXFORDSHIRE, {"agreement.yaml": [(
        "  change: a further", "  applies_to: [no-such-scheme]\n  change: a further")]})
    assert ["'no-such-scheme' is neither" in f.message for f in findings(wrong, "references")] \
        == [True]


def test_shares_that_follow_each_years_contributions_are_stated_for_each_year(
        built: dict[str, str]) -> None:
    """Clause 11.3 shares "in proportion to their Contributions ... for the Financial Year
    concerned": where Suffolk's two years give different shares, each year's is stated (not
    the two years' sum), and the illustration says which year's it uses. Westmere's three years
    give the same shares, stated once."""
    suffolk = built["suffolk-bcf-2025"]
    shares = clause(suffolk, "11.3")
    assert "11.3.1 the Council: 38.59% for 2025/26 and 37.66% for 2026/27;" in shares
    assert "11.3.3 the SNEE ICB: 55.51% for 2025/26 and 56.35% for 2026/27." in shares
    schedule = next(t for h, t in parts(suffolk).items() if h.startswith("Schedule 3"))
    assert "| 2026/27 | the Norfolk and Waveney ICB | £6,450,000 | 5.98% |" in schedule
    assert "| 2025/26 | **Total** | **£105,200,000** | **100%** |" in schedule
    assert "add together the Contributions" not in schedule
    assert "at the end of the 2025/26 Financial Year would be shared in that year's shares" \
        in schedule
    assert "| the Council | 38.59% | £385,931.56 |" in schedule
    westmere = built["westmere-integrated-2024"]
    assert "the Council: 50%;" in clause(westmere, "12.3") + clause(westmere, "11.3")
    assert " for 2024/25" not in clause(westmere, "12.3") + clause(westmere, "11.3")


def test_a_pooled_fund_that_ends_returns_its_underspend(built: dict[str, str]) -> None:
    """On termination an Underspend cannot be carried forward in a fund that is ending (the
    default of clause 11.6, Suffolk's own text too): the final account returns it. And a
    Scheme says its fund falls within the risk share, not that every Underspend is shared."""
    suffolk = built["suffolk-bcf-2025"]
    assert clause(suffolk, "21.4.4") == (
        "21.4.4 prepare a final account of each Pooled Fund; any Overspend on it is dealt with "
        "under clause 11, and any Underspend left in it is returned to the Partners in the shares "
        "in clause 11.3, unless they agree otherwise.")
    assert "Underspends are carried forward in the Pooled Fund" in clause(suffolk, "11.6")
    scheme = next(t for h, t in parts(suffolk).items() if h.startswith("Scheme 1"))
    assert "fall within the risk share in clause 11, and are dealt with as it provides." in scheme
    assert "are shared under clause 11" not in suffolk


def test_clauses_give_duties_to_offices_and_stages_that_exist(built: dict[str, str]) -> None:
    """Westmere: no secretary to the Board is provided for, and the informal stage of the
    dispute clause is the officers', not the Board's; the ICB contributes no budget to the
    aligned Scheme; and an Overspend a Partner causes on the Council's Aligned Budget stays
    under clause 9.4, as clause 12.7 says, the breach clause speaking of the Pooled Fund."""
    text = built["westmere-integrated-2024"]
    assert "secretary" not in text
    assert "The Partners arrange for the Westmere Mental Health Partnership Board to have a " \
        "register of the declarations" in text
    assert "6.1.8 helps the Partners to resolve disputes between them, without changing the " \
        "procedure in clause 23." in text
    assert clause(text, "9.1").startswith("9.1 The budgets that the Partners contribute to the "
                                          "following Schemes are Aligned Budgets")
    assert clause(text, "12.6").startswith("12.6 Where an Overspend on the Pooled Fund results")
    assert "dealt with under clause 9.4" in clause(text, "12.7")
    assert clause(built["suffolk-bcf-2025"], "11.7").startswith(
        "11.7 Where an Overspend results from a Partner's breach")
    # A Scheme with neither indicators nor monitoring arrangements is measured by its aims.
    assert "1.1.2 for the Section 117 After-care Scheme, its aims and outcomes in paragraph 2 of " \
        "Scheme 2, its Scheme Specification setting no indicators." in text
    assert "1.1.1 for the Live Well (Adults with Support Needs) Scheme, the assurance and " \
        "monitoring arrangements in paragraph 10 of Scheme 1;" in built["oxfordshire-2022"]


def test_the_delegation_clause_keeps_out_the_functions_a_partner_keeps(
        built: dict[str, str]) -> None:
    """Westmere's Council keeps its safeguarding and other functions (Scheme 1 para 7.1); the
    clauses prevail over a Scheme Specification, so clause 5.2 carves them out itself."""
    assert clause(built["westmere-integrated-2024"], "5.2.1") == (
        "5.2.1 for the Integrated Adult Mental Health Services Scheme, the Trust exercises the "
        "Health-Related Functions of the Council, under regulation 8 of the Regulations, other "
        "than the functions that paragraph 7.1 of Scheme 1 says the Council keeps; and")
    assert "7.1 The Council keeps the following functions" in built["westmere-integrated-2024"]


def test_a_shared_pooled_fund_is_established_once(built: dict[str, str]) -> None:
    for text in built.values():
        assert text.count("establish the following Pooled Fund") == 1
        assert "establish a Pooled Fund" not in text
    assert "The Contributions to this Scheme are paid into the single pooled budget, " \
           "established under clause 7.1 for Live Well (Adults with Support Needs) and Age Well " \
           "(Better Care Fund)." in built["oxfordshire-2022"]


def test_one_route_to_change_the_risk_share(built: dict[str, str]) -> None:
    text = built["oxfordshire-2022"]
    assert clause(text, "12.3").endswith(
        "The percentages reflect each Partner's contribution to the Pooled Fund, as indicated by "
        "the 2021/22 outturn forecast. These shares can be changed only by a variation under "
        "clause 30, made after a further decision of the Council's Cabinet.")
    assert text.count("These shares can be changed only") == 1
    assert "The percentages can be changed only by a variation" not in text
    # The shares are stated once, in clause 12.3; Schedule 3 shows them only in its illustration.
    assert re.findall(r"\b51%", parts(text)["body"]) == ["51%"]


# 2. Drafting notes --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["haringey-2016", "oxfordshire-2022"])
def test_drafting_notes_are_open_points_not_agreed_text(built: dict[str, str], name: str) -> None:
    operative = re.sub(r"\[[^\]]*\]", "", built[name])  # open points are highlighted brackets
    for note in ("placeholder", "Illustrative figures", "illustrative figures", "equals the sum",
                 "to be agreed", "stated total"):
        assert note not in operative, note
    assert "[illustrative figures, to be replaced by the agreed Contributions: " in built[name]


def test_a_draft_check_reports_illustrative_figures() -> None:
    loaded = load_agreement(OXFORDSHIRE)
    found = [f for f in run_checks(loaded) if f.code == "illustrative"]
    assert len(found) == 4 and {f.severity for f in found} == {"open"}
    final = [f for f in run_checks(loaded, final=True) if f.code == "illustrative"]
    assert {f.severity for f in final} == {"error"}


def test_notes_written_as_text_are_reported(tmp_path: Path) -> None:
    folder = copy(tmp_path, MINIMAL, {"agreement.yaml": [
        ("      - Director of Adult Social Services (Council)\n    frequency",
         "      - chair to be agreed by the Partners\n    frequency"),
        ("  overspends: Shared between the partners in the percentages above.",
         "  overspends: Overspends are shared 50% each, and underspends too.")]})
    messages = [f"{f.path}: {f.message}" for f in findings(folder, "drafting")]
    assert any(m.startswith("governance[0].chairs[0]: this reads as a note") for m in messages)
    assert any(m.startswith("risk_share.overspends: 'underspends' is a defined term")
               for m in messages)
    assert any(m.startswith("risk_share.overspends: this repeats the shares") for m in messages)


# 3. Statutory and factual accuracy ----------------------------------------------------------

def test_legally_doubtful_data_warns(tmp_path: Path) -> None:
    folder = copy(tmp_path, MINIMAL, {
        "agreement.yaml": [
            ("kind: unitary_council", "kind: county_council"),
            ("    body: ICB Board\n    date: 2024-03-05", "    body: ICB Governing Body\n"
             "    date: 2024-04-05"),
            ("    role: Oversees", "    quorum: two members\n    role: Oversees"),
            ("  - key: board\n    name: Joint Commissioning Board",
             "  - key: board\n    name: Exampleshire Health and Wellbeing Board")],
        "schedules/pooled.yaml": [
            ("title: Community Equipment Pooled Fund", "title: Better Care Fund"),
            ("  - pooled_fund\n", "  - aligned_budget\n"),
            ("  - Provision of aids and adaptations under the Care Act 2014",
             "  - functions on disabled facilities grants")]})
    loaded = load_agreement(folder)
    messages = [f"{f.path}: {f.message}" for f in run_checks(loaded) if f.severity == "warning"]
    expected = [
        "schedules[0].health_related_functions[0]: disabled facilities grants are functions of "
        "the district councils",
        "schedules[0].arrangements: the Better Care Fund must be held in a pooled fund",
        "approvals[1].date: approved on 2024-04-05, after the agreement commences",
        "approvals[1].body: an ICB has a Board, not a Governing Body",
        "governance[0].kind: a Health and Wellbeing Board is a committee of the council"]
    for start in expected:
        assert any(m.startswith(start) for m in messages), (start, messages)


def test_wording_follows_the_law(built: dict[str, str]) -> None:
    for text in built.values():
        assert "the NHS body" not in text
        assert "because the Regulations use them" in text
        assert "because section 75 of the NHS Act uses them" not in text
        governance = next(t for h, t in parts(text).items() if h.endswith(": Governance"))
        if "Health and Wellbeing Board\n" in governance:  # a council committee keeps its rules
            hwb = governance[governance.index("Health and Wellbeing Board\n"):]
            assert "Quorum:" not in hwb and "and this Agreement does not change them." in hwb
    oxfordshire = built["oxfordshire-2022"]
    assert '**“NHS Partner”** means the CCG;' in oxfordshire
    assert "the NHS Partner's duty under section 3 of the National Health Service Act 2006" \
        in oxfordshire
    assert clause(oxfordshire, "22.3") == (
        "22.3 Notice that ends this Agreement, or ends the Age Well (Better Care Fund) Scheme, "
        "which holds the Better Care Fund, takes effect only at the end of a Financial Year, so "
        "that the Better Care Fund stays in a pooled fund for the whole of each year, as the "
        "national conditions require.")


# 4. Drafting quality ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["haringey-2016", "oxfordshire-2022"])
def test_every_list_reads_as_one_sentence(built: dict[str, str], name: str) -> None:
    """Items ending ";" end the last but one with "; and" or "; or", and the last with "."."""
    for part, text in parts(built[name]).items():
        siblings: dict[str, list[str]] = {}
        for line in text.splitlines():
            if m := NUMBERED.match(line):
                parent = m.group(1).rpartition(".")[0]
                siblings.setdefault(parent, []).append(m.group(2).strip())
        for parent, items in siblings.items():
            if not parent or len(items) < 2 or not all(i.endswith(";") for i in items[:-2]):
                continue
            if not items[-2].endswith(";") and not items[-2].endswith(("; and", "; or")):
                continue  # paragraphs, not a list
            where = f"{part} {parent}"
            assert items[-2].endswith(("; and", "; or")), (where, items[-2])
            assert items[-1].endswith((".", ",")), (where, items[-1])


def test_termination_events_and_own_default(built: dict[str, str]) -> None:
    text = clause(built["oxfordshire-2022"], "22.2")
    assert text.splitlines()[1].endswith("written notice; or")
    assert text.splitlines()[2].endswith("written notice.")
    assert "No Partner may rely on its own default to give shorter notice." in \
        built["oxfordshire-2022"]


def test_nothing_said_twice(built: dict[str, str]) -> None:
    haringey = clause(built["haringey-2016"], "7")
    assert haringey.count("the budgets are aligned from 1 September 2016") == 1
    assert "7.3 For Learning Disabilities, Mental Health, Older People (Better Care Fund), " \
           "Violence Against Women and Girls: IDVA and IRIS Services and Child and Adolescent " \
           "Mental Health Services, the budgets are aligned" in haringey
    for text in built.values():
        for heading, body in parts(text).items():
            if m := re.match(r"(Schedule|Scheme) (\d+)", heading):
                assert f"of {m.group(1)} {m.group(2)}" not in body, heading


def test_defined_terms_are_used_as_defined(built: dict[str, str]) -> None:
    for text in built.values():
        assert not re.search(r"\b(overspends?|underspends?)\b", text)
        # One role, one term: with lead commissioning only, the role is the Lead Commissioner
        # in clause 6 and in the joint working schedule alike ("Lead Partner" is not used);
        # integrated provision (Westmere) needs the wider term, defined before it is used.
        if "**“Lead Partner”** means" in text:
            assert text.index("**“Lead Partner”** means") < text.index("Lead Partner must")
            continue
        definition = text.index("**“Lead Commissioner”** means")
        assert definition < text.index("## 2 ") < text.index("Lead Commissioner's requests")
        assert "Lead Partner" not in text


def test_non_financial_contributions_read_as_clauses(built: dict[str, str],
                                                    tmp_path: Path) -> None:
    for text in built.values():
        assert not re.search(r"\((staff|goods|services|accommodation)\):", text)
    assert "9.1.1 the Council provides, as staff, the integrated lead commissioner for learning " \
        "disabilities" in built["haringey-2016"]
    assert "the CCG provides, as services, support to commissioners" in built["oxfordshire-2022"]
    firm = tmp_path / "firm" / "phrases"
    firm.mkdir(parents=True)
    (firm / "non-financial.md.j2").write_text(
        "{% macro item(who, kind, what) %}{{ who }} makes available ({{ kind }}) {{ what }}"
        "{% endmacro %}", "utf-8")
    text = (build_agreement(ROOT / "examples" / "haringey-2016", tmp_path / "out",
                            formats=("md",), templates=[firm.parent])[0] / "agreement.md"
            ).read_text("utf-8")
    assert "the Council makes available (staff) the integrated lead commissioner" in text


def test_one_partner_exercising_several_partners_functions_is_said_once(
        built: dict[str, str]) -> None:
    text = built["suffolk-bcf-2025"]
    assert "5.2.1 for the Suffolk Better Care Fund Scheme, the Council exercises the NHS " \
        "Functions of the Norfolk and Waveney ICB and the SNEE ICB, under regulation 9 of the " \
        "Regulations.\n" in text
    assert "5.2.2" not in clause(text, "5.2")


def test_exit_arrangements_read_as_a_sentence_or_follow_the_frame(built: dict[str, str]) -> None:
    assert "On exit from this Scheme: On" not in built["suffolk-bcf-2025"]
    assert "11.4 On termination the Partners agree how contracts" in built["suffolk-bcf-2025"]
    assert "11.4 On exit from this Scheme: the Partners agree how the contracts" in \
        built["oxfordshire-2022"]


def test_a_lead_commissioner_commissions_and_lists_read_alike(built: dict[str, str]) -> None:
    """With lead commissioning only, the Lead Commissioner is not said to provide Services; the
    conflicts policy's list of the people it applies to is one list, without a stray "to"."""
    for name, text in built.items():
        if "**“Lead Partner”** means" in text:
            continue  # integrated provision: the Lead Partner may provide Services
        schedule = next(t for h, t in parts(text).items() if "Joint Working" in h)
        assert not re.search(r"\bprovides? (the )?Services", schedule), name
        policy = next(t for h, t in parts(text).items() if "Conflicts of Interest Policy" in h)
        assert re.search(r"It applies to the members of the governance bodies under clause \d+, "
                         r"each Lead Commissioner, each Pooled Fund Manager and any other person "
                         r"who takes part", policy), name


def test_a_pooled_fund_serving_two_schemes_is_spoken_of_as_such(built: dict[str, str]) -> None:
    """Oxfordshire's single pooled budget serves Live Well and Age Well: no clause says it is
    for "its Scheme" or "that Scheme"; one fund is "the Pooled Fund", not "each Pooled Fund"."""
    oxfordshire, suffolk = built["oxfordshire-2022"], built["suffolk-bcf-2025"]
    for text in built.values():
        assert "purposes of its Scheme" not in text and "that Scheme only" not in text
    assert "only for the purposes of the Schemes it serves;" in clause(oxfordshire, "8.3")
    assert "only for the purposes of the Schemes that Pooled Fund serves." in oxfordshire
    assert "7.2 The Pooled Fund is made up of the Contributions set out in the Scheme " \
        "Specifications of the Schemes it serves." in oxfordshire
    assert "7.2 The Pooled Fund is made up of the Contributions set out in the Scheme " \
        "Specification of the Scheme it serves." in suffolk
    assert "7.2 Each Pooled Fund is made up" in built["haringey-2016"]


@pytest.mark.parametrize("name", [p.name for p in EXAMPLES])
def test_no_parenthesis_inside_or_beside_another(built: dict[str, str], name: str) -> None:
    """A title that ends in brackets ("Age Well (Better Care Fund)") is not put in brackets again,
    nor followed by another bracket ("Live Well (Adults ...) (adults ...)")."""
    found = re.findall(r".{0,60}(?:\([^()]*\([^()]*\)\)|\) \().{0,20}", built[name])
    assert not found, found
    assert "Better Care Fund" not in built[name] or re.search(
        r"or ends the .+ Schemes?, which holds? the Better Care Fund, takes effect "
        r"only at the end of a Financial Year", built[name])


def test_illustrative_shares_are_one_open_point(tmp_path: Path) -> None:
    """Shares worked out from illustrative Contributions are asked about once (clause 12), not
    again in Schedule 3."""
    out = build_agreement(ROOT / "examples" / "haringey-2016", tmp_path, formats=("md",))[0]
    points = (out / "open-points.md").read_text("utf-8")
    assert points.count("illustrative Contributions") + points.count(
        "Contributions above are illustrative") == 1


def test_contributions_of_an_aligned_phase_are_not_said_to_be_pooled(
        built: dict[str, str]) -> None:
    """Haringey's schemes are aligned until 31 March 2017: their contributions tables (2016/17
    lines included) do not say the Contributions are paid into the Pooled Fund, only from when."""
    text = built["haringey-2016"]
    assert "are set out below and are paid into the Pooled Fund" not in text
    assert text.count("They are paid into the Pooled Fund from 1 April 2017; until then each "
                      "Partner holds its own Contributions as an Aligned Budget.") == 5
    assert "are set out below and are paid into the Pooled Fund" in built["suffolk-bcf-2025"]


def test_preset_functions_carry_no_drafting_notes(built: dict[str, str]) -> None:
    for text in built.values():
        assert "in a two-tier area" not in text
    assert "4.2.3 the Council's functions on disabled facilities grants under Part 1" in \
        built["haringey-2016"]


def test_one_role_one_term_with_integrated_provision(tmp_path: Path) -> None:
    folder = copy(tmp_path, OXFORDSHIRE, {"schedules/age-well.yaml": [
        ("arrangements: [pooled_fund, lead_commissioning]",
         "arrangements: [pooled_fund, integrated_provision]")]})
    text = (build_agreement(folder, tmp_path / "out", formats=("md",))[0] / "agreement.md"
            ).read_text("utf-8").replace("\u2019", "'")
    # Lead Partner is then the one term for the role in Schedule 4, defined to cover both.
    assert "**“Lead Partner”** means, for a Scheme, the Lead Commissioner or" in text
    schedule = next(t for h, t in parts(text).items() if "Joint Working" in h)
    assert "Lead Commissioner" not in schedule and "The Lead Partner must:" in schedule
    assert "commission or provide the Services in line with" in schedule
    assert "meet its obligations in Schedule 4." in text


def test_roles_read_as_sentences(built: dict[str, str]) -> None:
    text = built["oxfordshire-2022"]
    assert "Its role is as follows" not in text and "Role: " not in text
    assert text.count("The Joint Commissioning Executive gives strategic direction to the Health") \
        == 1  # in its terms of reference, which Schedule 2 refers to rather than repeats
    assert "The Haringey Health and Wellbeing Board keeps its statutory role" in \
        built["haringey-2016"]


JCE_ROLE = "      Gives strategic direction to the Health, Education and Social Care integrated"


@pytest.mark.parametrize(("role", "printed"), [
    ("Oversees the Schemes", "The Joint Commissioning Executive oversees the Schemes."),
    ("Has strategic oversight of the Schemes.",
     "The Joint Commissioning Executive has strategic oversight of the Schemes."),
    ("NHS England sets the national conditions it applies.",
     "NHS England sets the national conditions it applies."),
    ("CCG's officers attend it", "CCG's officers attend it."),
    ("Council's Cabinet delegates to it the oversight of the Schemes.",
     "Council's Cabinet delegates to it the oversight of the Schemes."),
    ("Oxfordshire County Council's members sit on it.",
     "Oxfordshire County Council's members sit on it."),
    ("Partners meet in it", "Partners meet in it."),
    ("Its role is to oversee the Schemes.", "Its role is to oversee the Schemes."),
    ("Healthwatch Oxfordshire attends it.", "Healthwatch Oxfordshire attends it."),
])
def test_a_role_keeps_the_case_of_its_proper_nouns(tmp_path: Path, role: str,
                                                   printed: str) -> None:
    """A role written as what the body does follows the body's name; any other role, however
    it begins (an acronym, a partner's name, a defined term), prints as written."""
    yaml = (OXFORDSHIRE / "agreement.yaml").read_text("utf-8")
    start = yaml.index(JCE_ROLE)
    end = yaml.index("    reports_to: the Council's Cabinet and the CCG's Governing Body")
    folder = copy(tmp_path, OXFORDSHIRE, {"agreement.yaml": [(yaml[start:end], f"      {role}\n")]})
    text = (build_agreement(folder, tmp_path / "out", formats=("md",))[0] / "agreement.md"
            ).read_text("utf-8").replace("\u2019", "'")
    terms = next(t for h, t in parts(text).items() if h.startswith("Schedule 6"))
    assert f"1.2 {printed}\n" in terms


def type_column(text: str) -> list[str]:
    """The cells of every contributions table's Type column."""
    cells: list[str] = []
    column = None
    for line in text.splitlines():
        row = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") \
            else None
        if row is None:
            column = None
        elif column is None:
            column = row.index("Type") if "Type" in row and "Budget line" in row else -1
        elif column >= 0 and not set(row[column]) <= set("-:") and row[0] != "**Total**":
            cells.append(row[column])
    return cells


def test_terms_of_reference_go_to_the_partnerships_board_not_a_council_committee(
        tmp_path: Path) -> None:
    yaml = (OXFORDSHIRE / "agreement.yaml").read_text("utf-8")
    start, hwb, end = (yaml.index("  - key: jce\n"), yaml.index("  # A committee of the Council"),
                       yaml.index("\n# Report, paras 7(b) and 36"))
    jce, council_committee = yaml[start:hwb], yaml[hwb:end].rstrip("\n") + "\n"
    folder = copy(tmp_path, OXFORDSHIRE,
                  {"agreement.yaml": [(jce + council_committee, council_committee + jce)]})
    text = (build_agreement(folder, tmp_path / "out", formats=("md",))[0] / "agreement.md"
            ).read_text("utf-8").replace("\u2019", "'")
    by_part = parts(text)
    terms = next(t for h, t in by_part.items() if h.startswith("Schedule 6"))
    assert "1.1 These are the terms of reference of the Joint Commissioning Executive" in terms
    assert "Oxfordshire Health and Wellbeing Board" not in terms
    governance = next(t for h, t in by_part.items() if h.startswith("Schedule 2"))
    hwb = governance[governance.index("Oxfordshire Health and Wellbeing Board\n"):
                     governance.index("Joint Commissioning Executive\n")]
    assert "Quorum" not in hwb and "terms of reference" not in hwb
    assert "and this Agreement does not change them." in hwb
    assert "The terms of reference of the Joint Commissioning Executive are in Schedule 6." in text
    assert "The Joint Commissioning Executive monitors the Schemes" in text
    assert "through the Oxfordshire Health and Wellbeing Board" not in text
    assert not findings(folder, "governance")
    alone = copy_with_edits(OXFORDSHIRE, tmp_path / "alone", {"agreement.yaml": [(jce, "")]})
    assert [f.path for f in findings(alone, "governance")] == ["governance"]


def test_with_only_a_council_committee_clause_and_terms_of_reference_name_one_board(
        tmp_path: Path) -> None:
    """The Health and Wellbeing Board alone: clause 19.1 lists the partnership board that the
    terms of reference describe (its name an open point, asked for once), Schedule 2 points to
    them, and every clause speaks of the same board."""
    yaml = (OXFORDSHIRE / "agreement.yaml").read_text("utf-8")
    jce = yaml[yaml.index("  - key: jce\n"):yaml.index("  # A committee of the Council")]
    folder = copy(tmp_path, OXFORDSHIRE, {"agreement.yaml": [(jce, "")]})
    out = build_agreement(folder, tmp_path / "out", formats=("md",))[0]
    text = (out / "agreement.md").read_text("utf-8").replace("\u2019", "'")
    bodies = clause(text, "19.1")
    assert "19.1.1 the Oxfordshire Health and Wellbeing Board; and" in bodies
    assert "19.1.2 a partnership board that the Partners establish on the terms of reference in " \
        "Schedule 6, [name of the Partners' own partnership board to be agreed]." in bodies
    assert "The terms of reference of the partnership board are in Schedule 6." in clause(text, "19.2")
    assert "The partnership board monitors the Schemes" in text
    assert "principal governance body" not in text
    by_part = parts(text)
    terms = next(t for h, t in by_part.items() if h.startswith("Schedule 6"))
    assert "1.1 These are the terms of reference of the partnership board that the Partners " \
        "establish under clause 19.1.\n" in terms
    governance = next(t for h, t in by_part.items() if h.startswith("Schedule 2"))
    assert "partnership board listed in clause 19.1 are set out in its terms of reference in " \
        "Schedule 6" in governance
    points = (out / "open-points.md").read_text("utf-8")
    assert points.count("name of the") == 1


def test_type_columns_print_words_not_data_values(built: dict[str, str],
                                                  tmp_path: Path) -> None:
    cells = {c for text in built.values() for c in type_column(text)}
    assert {"Better Care Fund", "Pooled budget (not Better Care Fund)", "Block contract",
            "NHS Continuing Healthcare"} <= cells
    assert not {"other pooled", "Other pooled", "pooled", "aligned", "continuing healthcare"} \
        & cells
    edits = {"budgets/live-well.csv": [("autism,2022/23,\"£62,000,000\",pooled",
                                        "autism,2022/23,\"£62,000,000\",aligned")]}
    folder = copy(tmp_path, OXFORDSHIRE, edits)
    text = (build_agreement(folder, tmp_path / "out", formats=("md",))[0] / "agreement.md"
            ).read_text("utf-8")
    assert {"Pooled budget", "Aligned budget"} <= set(type_column(text))
    firm = tmp_path / "firm" / "phrases"
    firm.mkdir(parents=True)
    ours = ROOT / "s75docs" / "templates" / "phrases" / "budget-types.md.j2"
    (firm / ours.name).write_text(ours.read_text("utf-8").replace(
        '"aligned": "Aligned budget"', '"aligned": "Aligned (not pooled)"'), "utf-8")
    text = (build_agreement(folder, tmp_path / "firm-out", formats=("md",),
                            templates=[firm.parent])[0] / "agreement.md").read_text("utf-8")
    assert {"Pooled budget", "Aligned (not pooled)"} <= set(type_column(text))


def test_worked_illustration_reconciles(built: dict[str, str]) -> None:
    schedule = next(t for h, t in parts(built["haringey-2016"]).items()
                    if h.startswith("Schedule 3"))
    assert "The shares are shown to two decimal places; each amount is worked out from the " \
           "exact share and rounded to the nearest penny" in schedule
    assert "| **Total** | **100%** | **£1,000,000.00** |" in schedule
    oxfordshire = next(t for h, t in parts(built["oxfordshire-2022"]).items()
                       if h.startswith("Schedule 3"))
    assert "two decimal places" not in oxfordshire  # 51% and 49% are exact


@pytest.mark.parametrize("name", ["haringey-2016", "oxfordshire-2022"])
def test_money_columns_and_type_columns(built: dict[str, str], name: str) -> None:
    rows = [[c.strip().strip("*") for c in line.strip("|").split("|")]
            for line in built[name].splitlines() if line.startswith("| ")]
    tables: list[list[list[str]]] = []
    for row in rows:
        if row[0] == "Partner":
            tables.append([])
        elif tables:
            tables[-1].append(row)
    for table in tables:
        for column in zip(*table, strict=True):
            money = [c for c in column if c.startswith("£")]
            assert len({"." in c for c in money}) <= 1, column
            assert not {"pooled", "aligned", "other pooled"} & set(column), column


# The Westmere review: three partners, integrated provision, aligned and pooled schemes ------

def definition(text: str, term: str) -> str:
    match = re.search(rf"^\d+\.\d+\.\d+ \*\*\u201c{term}\u201d\*\* (.*)$", text, re.M)
    assert match, term
    return match.group(1)


def test_a_lead_that_acts_for_some_partners_only_is_not_defined_as_acting_for_all(
        built: dict[str, str]) -> None:
    """Westmere's Council commissions after-care for itself and the ICB, not the Trust, and the
    Trust provides the integrated service for the Council alone; Suffolk's Council acts for both
    ICBs, and the two-partner examples' leads for the other Partner: all the Partners."""
    westmere = built["westmere-integrated-2024"]
    assert definition(westmere, "Lead Commissioner") == (
        "means the Partner that commissions services for a Scheme for itself and on behalf of "
        "one or more other Partners, as named in the Scheme Specification;")
    assert definition(westmere, "Lead Partner") == (
        "means, for a Scheme, the Lead Commissioner or the Partner that provides the Services in "
        "an integrated way on behalf of one or more other Partners, as named in the Scheme "
        "Specification;")
    for name in ("haringey-2016", "oxfordshire-2022", "suffolk-bcf-2025"):
        assert definition(built[name], "Lead Commissioner") == (
            "means the Partner that commissions services for a Scheme on behalf of all the "
            "Partners, as named in the Scheme Specification;"), name


WESTMERE = ROOT / "examples" / "westmere-integrated-2024"


@pytest.fixture(scope="module")
def aligned_only(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Westmere without its after-care Pooled Fund: one integrated scheme on Aligned Budgets,
    nothing pooled and no risk share."""
    source = (WESTMERE / "agreement.yaml").read_text("utf-8")
    risk = source[source.index("risk_share:"):source.index("# Each Partner's Contributions")]
    total = source[source.index("  - label: the Council's Contributions for 2024/25"):
                   source.index("  - label: the Trust's")]
    tmp = tmp_path_factory.mktemp("aligned-only")
    folder = copy_with_edits(WESTMERE, tmp / "westmere", {"agreement.yaml": [
        ("  - schedules/aftercare.yaml\n", ""), (risk, "risk_share:\n  method: none\n\n"),
        (total, "")]})
    return (build_agreement(folder, tmp / "out", formats=("md",))[0] / "agreement.md"
            ).read_text("utf-8").replace("\u2019", "'")


def body_paragraph(text: str, title: str, number: int) -> str:
    """Paragraph ``number`` of the clause titled ``title`` (numbers move between examples)."""
    heading = re.search(rf"^## (\d+) {re.escape(title)}$", parts(text)["body"], re.M)
    assert heading, title
    return clause(text, f"{heading.group(1)}.{number}").split("\n")[0].split(" ", 1)[1]


def test_a_forecast_overspend_is_reported_by_whoever_holds_the_budget(
        built: dict[str, str], aligned_only: str) -> None:
    """The Pooled Fund Manager (an officer, not a Partner) reports on a Pooled Fund; the Partner
    holding an Aligned Budget on its own: Westmere has both kinds, Suffolk a Pooled Fund only."""
    title = "Risk Share, Overspends and Underspends"
    start = ("The Partners will manage each Scheme so that its expenditure stays within its "
             "Contributions. ")
    rest = (" the action to be taken, such as changes to how the Services are commissioned or "
            "delivered, so far as that can be done consistently with each Partner's statutory "
            "duties.")
    assert body_paragraph(built["westmere-integrated-2024"], title, 2) == start + (
        "As soon as an Overspend or Underspend is forecast on a Pooled Fund, the Pooled Fund "
        "Manager must tell the Partners; as soon as one is forecast on an Aligned Budget, the "
        "Partner that holds that budget must tell the other Partners. The Partners will then "
        "agree, through the Westmere Mental Health Partnership Board,") + rest
    assert body_paragraph(built["suffolk-bcf-2025"], title, 2) == start + (
        "As soon as an Overspend or Underspend is forecast, the Pooled Fund Manager must tell "
        "the Partners, and the Partners will agree, through the Better Care Fund Partnership "
        "Group,") + rest
    assert body_paragraph(aligned_only, title, 2) == start + (
        "As soon as an Overspend or Underspend is forecast on an Aligned Budget, the Partner "
        "that holds that budget must tell the other Partners, and the Partners will agree, "
        "through the Westmere Mental Health Partnership Board,") + rest
    for text in [*built.values(), aligned_only]:
        assert "Pooled Fund Manager must tell the other Partners" not in text


def test_contributions_to_an_aligned_budget_are_not_said_to_be_paid(
        built: dict[str, str], aligned_only: str) -> None:
    """Only Contributions to a Pooled Fund are paid over; an Aligned Budget stays with its
    Partner (clause 9.2), in the contributions clause, each aligned scheme and Schedule 5."""
    title = "Financial Contributions"
    westmere = built["westmere-integrated-2024"]
    assert body_paragraph(westmere, title, 5) == (
        "Contributions to a Pooled Fund are paid to its Host Partner at the times stated in the "
        "Scheme Specification, and the Host Partner holds them only for the purposes of the "
        "Scheme that Pooled Fund serves. Contributions to an Aligned Budget are not paid to "
        "another Partner: each Partner holds and spends its own under clause 9.2.")
    assert body_paragraph(aligned_only, title, 5) == (
        "Contributions to an Aligned Budget are not paid to another Partner: each Partner holds "
        "and spends its own under clause 7.2.")
    assert body_paragraph(aligned_only, title, 4) == (
        "No Partner may reduce a Contribution that has been agreed without the agreement of the "
        "other Partners.")
    assert "pay a Contribution late" not in aligned_only
    assert "pay a Contribution late" in westmere
    # Suffolk pools everything: each Partner pays, as before.
    assert body_paragraph(built["suffolk-bcf-2025"], title, 5).startswith(
        "Each Partner pays its Contributions at the times stated in the Scheme Specification.")
    for text in (westmere, aligned_only, built["oxfordshire-2022"]):
        assert "continue to pay Contributions" not in text
        assert "each Partner will continue to make Contributions at the rate for the previous " \
               "year until they are agreed, and the Contributions made in the meantime" in text
        assert "Aligned Budget under clause 9.1" not in text
    scheme = parts(westmere)["Scheme 1: Integrated Adult Mental Health Services"]
    assert "from its own Aligned Budget under clause 9.2, and pays none" in scheme
    joint = parts(westmere)["Schedule 5: Joint Working Obligations"]
    assert ("3.1.1 pay its Contributions to a Pooled Fund when they are due, and keep its "
            "Aligned Budget for a Scheme available for that Scheme;") in joint
    assert "3.1.1 keep its Aligned Budget for the Scheme available for the Scheme;" in \
        aligned_only
    assert "3.1.1 pay its Contributions when they are due;" in built["suffolk-bcf-2025"]


def test_a_pooled_fund_some_partners_pay_into_names_them(
        built: dict[str, str], aligned_only: str) -> None:
    """Westmere's Trust pays nothing into the after-care Pooled Fund: the fund is not the Trust's
    to be managed for, and the definitions do not say every Partner pays into it; a Contribution
    to an Aligned Budget is held, not paid (clause 10.5)."""
    westmere = built["westmere-integrated-2024"]
    assert clause(westmere, "7.1.1") == (
        "7.1.1 a Pooled Fund for Section 117 After-care, hosted by the Council, into which the "
        "Council and the ICB pay their Contributions (Scheme 2).")
    assert clause(westmere, "8.3.1") == (
        "8.3.1 manage the Pooled Fund on behalf of the Partners that pay into it and in line "
        "with this Agreement;")
    assert definition(westmere, "Pooled Fund") == (
        "means a fund established under clause 7.1 into which two or more of the Partners pay "
        "Contributions and out of which payments are made for the NHS Functions and the "
        "Health-Related Functions of a Scheme;")
    assert clause(westmere, "4.1.1").startswith(
        "4.1.1 a pooled fund under regulation 7 of the Regulations, into which two or more of "
        "the Partners pay Contributions")
    assert definition(westmere, "Contribution") == (
        "means the amount each Partner pays into a Pooled Fund, or holds in its own Aligned "
        "Budget, for a Financial Year, as set out in Schedule 2;")
    assert definition(aligned_only, "Contribution") == (
        "means the amount each Partner holds in its own Aligned Budget for a Financial Year, as "
        "set out in Schedule 2;")
    # Every Partner pays into Suffolk's fund (both ICBs) and Oxfordshire's single pooled budget.
    for name in ("suffolk-bcf-2025", "oxfordshire-2022", "haringey-2016"):
        text = built[name]
        assert "on behalf of all the Partners and in line with this Agreement" in text, name
        assert "into which the Partners pay Contributions and out of which" in text, name
        assert ", into which the" not in clause(text, "7.1"), name


def test_only_a_partner_taking_part_in_a_scheme_may_end_it(built: dict[str, str]) -> None:
    """Westmere's Trust has no part in the Council's and the ICB's after-care pool and may not
    end it; where every Scheme involves every Partner (Suffolk) any Partner may end any."""
    assert body_paragraph(built["westmere-integrated-2024"], "Termination and Default", 1) == (
        "Any Partner may terminate this Agreement, or any Scheme in which it takes part, by "
        "giving the other Partners not less than twelve months' written notice expiring no "
        "earlier than 31 March 2026.")
    assert body_paragraph(built["westmere-integrated-2024"], "Force Majeure", 3).endswith(
        "If they have not agreed within a further month, any Partner taking part in that Scheme "
        "may end it by giving the other Partners one month's written notice.")
    for name in ("suffolk-bcf-2025", "haringey-2016", "oxfordshire-2022"):
        assert body_paragraph(built[name], "Termination and Default", 1).startswith(
            "Any Partner may terminate this Agreement, or any Scheme, by giving"), name
        assert "any Partner may end that Scheme by giving" in built[name], name


def test_with_no_risk_share_an_aligned_underspend_stays_with_its_partner(
        aligned_only: str) -> None:
    """Without a Pooled Fund there is no Scheme pot to carry an Underspend forward in, nor to
    return it from: each Partner keeps its own (clause 9.4, here 7.4)."""
    assert body_paragraph(aligned_only, "Risk Share, Overspends and Underspends", 5) == (
        "**Underspends.** Each Partner keeps any Underspend on its own Aligned Budget, as clause "
        "7.4 provides.")


def test_terms_of_reference_read_for_one_chair_or_several_and_put_a_quorum_in_a_sentence(
        built: dict[str, str], tmp_path: Path) -> None:
    """Westmere's board has two chairs: its terms of reference speak of "a chair", never "the
    chair" as if there were one; a quorum given as a phrase is put in a sentence."""
    westmere = next(t for h, t in parts(built["westmere-integrated-2024"]).items()
                    if "Terms of Reference" in h)
    assert "Chairs: the Council's Director of Adult Social Services and the ICB's" in westmere
    assert "the chair" not in westmere.replace("chair the meeting", "")
    assert "If no chair is present, the members present choose" in westmere
    assert "The quorum is one member from each Partner." in westmere
    folder = copy(tmp_path, ROOT / "examples" / "westmere-integrated-2024", {"agreement.yaml": [
        ("      - the ICB's Director of Mental Health Commissioning\n", ""),
        ("quorum: one member from each Partner",
         "quorum: A meeting is quorate when two members are present.")]})
    one = next(t for h, t in parts((build_agreement(folder, tmp_path / "out", formats=("md",))[0]
                                    / "agreement.md").read_text("utf-8").replace("\u2019", "'"))
               .items() if "Terms of Reference" in h)
    assert "Chair: the Council's Director of Adult Social Services." in one
    assert "If the chair is absent" in one and "ask the chair to call" in one
    assert "4.1 A meeting is quorate when two members are present.\n" in one
