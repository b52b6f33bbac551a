"""Property: any valid agreement renders, with every value printed as written."""

from __future__ import annotations

import html
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from s75docs.document.typography import curl
from s75docs.pipeline import outputs_for, prepare

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = "abcdefgh XYZ é’'\"&<>*_[]{}|{{ }}{% %}()!\\-."  # no N, @, ?, =, # (see below)
TEXT = st.text(alphabet=HOSTILE, min_size=1, max_size=30).map(" ".join).map(str.split).map(
    " ".join).filter(lambda s: any(c.isalpha() for c in s))
COUNCIL_KINDS = ["county_council", "unitary_council", "london_borough_council",
                 "metropolitan_borough_council", "district_council", "city_of_london"]
NHS_KINDS = ["icb", "nhs_england"]
ARRANGEMENTS = st.sampled_from([
    ["pooled_fund", "lead_commissioning"], ["pooled_fund"], ["aligned_budget"],
    ["joint_commissioning"], ["aligned_budget", "lead_commissioning"],
    ["pooled_fund", "joint_commissioning"],
])


@st.composite
def agreements(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    council, nhs = draw(TEXT), draw(TEXT)
    partners = [
        {"key": "council", "name": f"{council} Council", "defined_term": "the Council",
         "kind": draw(st.sampled_from(COUNCIL_KINDS)), "address": draw(TEXT),
         "execution": {"method": "common_seal", "signatories": [{"post": draw(TEXT)}]}},
        {"key": "icb", "name": f"NHS {nhs}", "defined_term": "the ICB",
         "kind": draw(st.sampled_from(NHS_KINDS)),
         "address": {"to_be_agreed": draw(TEXT)},
         "execution": {"method": "signatories", "signatories": [{"post": draw(TEXT)}]}},
    ]
    fixed = draw(st.booleans())
    agreement = {
        "reference": "random", "title": draw(TEXT), "area": draw(TEXT), "version": "Draft (1)",
        "status": "draft", "version_date": "2024-02-01",
        "agreement_date": draw(st.sampled_from(["2024-03-15", {"to_be_agreed": "date"}])),
        "commencement_date": "2024-04-01",
        "term": draw(st.sampled_from([{"kind": "rolling"},
                                      {"kind": "fixed", "end_date": "2027-03-31"}])),
        "termination": {"notice": draw(st.sampled_from(["6 months", "1 month", "90 days"])),
                        "shorter_notice": [{"event": draw(TEXT), "notice": "3 months"}]},
        "consultation": {"description": draw(TEXT)},
        "approvals": [{"partner": "council", "body": draw(TEXT), "date": "2024-03-01"}],
        "partners": partners,
        "governance": [{"key": "board", "name": draw(TEXT), "membership": [draw(TEXT)],
                        "chairs": [draw(TEXT)], "frequency": "monthly", "role": draw(TEXT)}],
        "risk_share": {"method": "fixed", "shares": {"council": "51%", "icb": "49%"}}
        if fixed else {"method": "proportional"},
        "keep_removed_clauses": draw(st.booleans()),
    }
    schedules = []
    for i in range(draw(st.integers(1, 3))):
        arrangements = draw(ARRANGEMENTS)
        host = draw(st.sampled_from(["council", "icb"]))
        schedule: dict[str, Any] = {
            "key": f"scheme-{i}", "title": draw(TEXT), "care_group": draw(TEXT),
            "eligibility": draw(TEXT), "arrangements": arrangements,
            "nhs_functions": [draw(TEXT)], "health_related_functions": [draw(TEXT)],
            "services": draw(st.lists(TEXT, min_size=1, max_size=3)),
            "aims_and_outcomes": draw(st.lists(TEXT, min_size=1, max_size=3)),
            "non_financial_contributions": [],
            "reporting": {"quarterly_reports": True, "annual_return": True},
            "contributions": [
                {"partner": draw(st.sampled_from(["council", "icb"])), "line": draw(TEXT),
                 "year": draw(st.sampled_from(["2024/25", "2025/26"])),
                 "amount": f"{draw(st.integers(1, 10**11)) / 100:.2f}"}
                for _ in range(draw(st.integers(1, 4)))
            ],
        }
        if "pooled_fund" in arrangements:
            schedule |= {"host_partner": host,
                         "pooled_fund_manager": {"post": draw(TEXT), "partner": host}}
        if "lead_commissioning" in arrangements:
            schedule["lead_commissioner"] = draw(st.sampled_from(
                ["council", "icb", {"to_be_agreed": "lead to be agreed"}]))
        schedules.append(schedule)
    agreement["schedules"] = [f"schedules/scheme-{i}.yaml" for i in range(len(schedules))]
    return agreement, schedules, [council, nhs]


PREVIEW = MarkdownIt("commonmark").enable("table")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(agreements(), st.booleans())
def test_any_valid_agreement_renders(case: tuple[dict, list, list[str]], docx: bool) -> None:
    agreement, schedules, names = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "agreement"
        (folder / "schedules").mkdir(parents=True)
        (folder / "agreement.yaml").write_text(yaml.safe_dump(agreement, allow_unicode=True),
                                               encoding="utf-8")
        for schedule in schedules:
            (folder / "schedules" / f"{schedule['key']}.yaml").write_text(
                yaml.safe_dump(schedule, allow_unicode=True), encoding="utf-8")
        prepared = prepare(folder)
        errors = [f for f in prepared.findings if f.severity == "error"]
        assert not errors, errors
        assert prepared.document is not None
        files = outputs_for(prepared.loaded, prepared.document, ("md", "docx") if docx else
                            ("md",), prepared.dirs)
        text = files["agreement.md"].decode("utf-8")
        # As a Markdown previewer shows it: the name as written, its quotes curled.
        shown = html.unescape(re.sub(r"<[^>]+>", "", PREVIEW.render(text)))
        for name in names:
            assert curl(name) in shown
        # None and our markers cannot come from the data's alphabet, so any is a leak.
        for stray in ("None", "{@", "{?", "{=", "{#"):  # in the file as written
            assert stray not in text


_LINE_TEXT = st.text(st.sampled_from("ab *_[]<>|#{}\\.&-'\"£1"), min_size=1, max_size=8).filter(
    lambda t: t.strip() != "" and not t.strip().startswith(("-", "+", "=", "@")))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_LINE_TEXT, st.sampled_from(["2024/25", "2025/26"]),
                          st.integers(-10**9, 10**9), st.sampled_from([None, "x", "X", "y"])),
                min_size=1, max_size=8))
def test_a_schemes_table_lines_print_as_its_rows_would(
        lines: list[tuple[str, str, int, str | None]]) -> None:
    """``s.cells`` (escaped and formatted once, in Python) prints what printing ``s.rows``
    through the template's own escaping and ``money`` filter prints; ``s.line_types`` and
    ``s.pence`` are what Jinja's ``unique`` and (as in) ``m.any_pence`` give."""
    from s75docs.load.folder import load_agreement
    from s75docs.model.agreement import BudgetLine
    from s75docs.render.context import scheme_view
    from s75docs.render.environment import make_environment, template_dirs

    agreement = load_agreement(ROOT / "tests" / "fixtures" / "minimal").agreement
    schedule = agreement.schedules[0].model_copy(update={"contributions": [
        BudgetLine(partner=agreement.partners[i % 2].key, line=line, year=year,
                   amount=f"{pence / 100:.2f}" if i % 3 else str(pence // 100), type=kind)
        for i, (line, year, pence, kind) in enumerate(lines)]})
    scheme = scheme_view(agreement, schedule, 1)
    env = make_environment(template_dirs())
    by_rows = env.from_string(
        '{{ s.rows | map(attribute="type") | unique | list | length }}'
        '{% for x in s.rows if x.amount % 1 %}{% if loop.first %}p{% endif %}{% else %}n'
        '{% endfor %}'  # m.any_pence
        '{% for r in s.rows %}|{{ r.partner.defined_term }}|{{ r.line }}|{{ r.type or "" }}|'
        '{{ r.year }}|{{ r.amount | money(pence=s.pence) }}{% endfor %}')
    by_cells = env.from_string(
        '{{ s.line_types | length }}{{ "p" if s.pence else "n" }}'
        '{% for p, l, t, y, a, shown in s.cells %}|{{ p }}|{{ l }}|{{ t or "" }}|{{ y }}|'
        '{{ shown }}{% endfor %}')
    assert by_cells.render(s=scheme) == by_rows.render(s=scheme)
