"""The worked examples: they check clean, build into complete agreements, and build/ is fresh."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from s75docs.errors import S75Error
from s75docs.model.money import parse_money
from s75docs.pipeline import build_agreement, prepare
from s75docs.write.markdown import write_markdown

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/agreement.yaml"))
HEADINGS = [
    "Definitions and Interpretation", "Term", "General Principles", "Partnership Flexibilities",
    "Functions", "Commissioning Arrangements", "Financial Contributions",
    "Non-Financial Contributions", "Risk Share, Overspends and Underspends",
    "Capital Expenditure", "VAT", "Audit and Right of Access",
    "Liabilities, Insurance and Indemnity", "Standards of Conduct and Service",
    "Conflicts of Interest", "Governance", "Review", "Complaints", "Termination and Default",
    "Dispute Resolution", "Force Majeure", "Confidentiality", "Freedom of Information",
    "Ombudsmen", "Information Sharing and Data Protection", "Notices", "Variation", "Change in Law", "Waiver",
    "Severance", "Assignment and Sub-contracting", "Exclusion of Partnership and Agency",
    "Third Party Rights", "Entire Agreement", "Counterparts", "Governing Law and Jurisdiction",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("build")
    return {folder.name: build_agreement(folder, out)[0] for folder in EXAMPLES}


def test_there_are_four_examples() -> None:
    assert [p.name for p in EXAMPLES] == ["haringey-2016", "oxfordshire-2022", "suffolk-bcf-2025",
                                          "westmere-integrated-2024"]


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_example_checks_clean_and_lists_open_points(folder: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "s75docs", "check", str(folder)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # Haringey's report starts the aligned phase on 1 September 2016, before either approval:
    # the check rightly warns that commencement is retrospective, and nothing else.
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning")]
    expected = 2 if folder.name == "haringey-2016" else 0
    assert len(warnings) == expected and all("retrospective" in w for w in warnings), warnings
    assert f"0 error(s), {expected} warning(s)" in result.stdout
    assert "open point(s)" in result.stdout and "to be agreed:" in result.stdout


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_committed_build_is_fresh(folder: Path, built: dict[str, Path]) -> None:
    """build/ is committed; a change to data, templates or code must be rebuilt (make demo)."""
    fresh = built[folder.name]
    committed = ROOT / "build" / fresh.name
    assert committed.is_dir(), f"build/{fresh.name} is missing: run make demo"

    def files(root: Path) -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                      if p.is_file() and p.name != ".inputs")

    assert files(committed) == files(fresh), "outputs added or removed: run make demo"
    stale = [n for n in files(fresh) if (committed / n).read_bytes() != (fresh / n).read_bytes()]
    assert not stale, f"stale outputs in build/{fresh.name}: {stale}; run make demo"


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_every_heading_and_no_stray_output(folder: Path, built: dict[str, Path]) -> None:
    text = (built[folder.name] / "agreement.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \d+ (.+)$", text, re.M)
    for heading in HEADINGS:
        assert heading in headings, heading
    for stray in ("None", "[]", "{{", "}}", "{%", "%}", "{#", "{@", "{?", "{=", "\\", "  "):
        lines = [line for line in text.splitlines() if stray in line and not
                 (stray == "  " and line.startswith("|"))]
        assert not lines, f"{stray!r} in {lines[:2]}"


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_every_contributions_total_is_the_sum_of_its_lines(folder: Path,
                                                           built: dict[str, Path]) -> None:
    """Each lines table ends in a total equal, to the penny, to its lines: one in each Part 2
    schedule, or (contributions per partner) one for each partner in the agreement."""
    out = built[folder.name]
    paths = [out / "agreement.md", *sorted((out / "schedules").glob("*.md"))]
    checked = 0
    for path in paths:
        for table in _tables(path.read_text(encoding="utf-8")):
            if table[0][1:2] != ["Budget line"] or table[0][0] not in ("Partner", "Scheme"):
                continue
            amounts = [parse_money(row[-1]) for row in table[1:-1]]
            assert parse_money(table[-1][-1].strip("*")) == sum(amounts, Decimal(0)), path
            checked += 1
    assert checked >= len(paths) - 1, "a scheme without its lines table"


def _tables(text: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not all(set(c) <= set("-:") for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def test_haringey_has_five_schemes_an_open_lead_and_two_phases(built: dict[str, Path]) -> None:
    out = built["haringey-2016"]
    schemes = sorted(p.name for p in (out / "schedules").glob("*.md"))
    assert len(schemes) == 5
    text = (out / "agreement.md").read_text(encoding="utf-8")
    assert "[lead commissioner to be agreed" in text
    assert "aligned from 1 September 2016 to 31 March 2017" in text
    assert "pooled from 1 April 2017" in text
    assert "lead commissioner to be agreed" in (out / "open-points.md").read_text()


def test_oxfordshire_pool_risk_share_and_notice(built: dict[str, Path]) -> None:
    out = built["oxfordshire-2022"]
    text = (out / "agreement.md").read_text(encoding="utf-8")
    assert text.count("the single pooled budget, for Live Well") == 1
    assert "51%" in text and "49%" in text
    assert "six months\u2019 written notice" in text
    schemes = {p.name: p.read_text(encoding="utf-8") for p in (out / "schedules").glob("*.md")}
    start_well = next(t for n, t in schemes.items() if "start-well" in n)
    assert "Aligned Budget" in start_well and "paid into the Pooled Fund" not in start_well
    totals = [m for t in schemes.values() for m in re.findall(r"\*\*(£[\d,]+)\*\* \|$", t, re.M)]
    for figure in ("£190,585,000", "£208,530,000", "£60,987,000", "£29,333,000"):
        assert figure in totals


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_compliance_shows_every_item_there(folder: Path, built: dict[str, Path]) -> None:
    """Every item is in the text: satisfied, or open where it rests on data still to be agreed
    (Haringey's consultation, Suffolk's consultation date, the contributions of a scheme whose
    budget lines are illustrative, as all but Westmere's are) or cites a clause that holds an
    open point, shown as the bracketed note that open-points.md lists."""
    text = (built[folder.name] / "compliance.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| reg")]
    assert rows and all(line.endswith("| satisfied |") or "| open: " in line for line in rows)
    still = [what for line in rows if "| open: " in line
             for what in line.split("| open: ")[1].rstrip(" |").split("; ")]
    listed = (built[folder.name] / "open-points.md").read_text(encoding="utf-8")
    notes = [what for what in still if what.startswith("[")]
    assert all(f"{note} — " in listed for note in notes), notes
    fields = {what for what in still if not what.startswith("[")}
    assert all(what.endswith(" to be agreed") for what in fields)
    illustrative = any(s.illustrative for s in prepare(folder).loaded.agreement.schedules)
    assert ("contributions to be agreed" in fields) == illustrative
    assert bool(notes) == (folder.name != "suffolk-bcf-2025")  # Suffolk's open rows rest on data


def test_removing_any_satisfying_clause_fails_the_check(tmp_path: Path) -> None:
    """Each clause file that carries a statutory label, replaced by one without it, fails."""
    folder = ROOT / "examples" / "oxfordshire-2022"
    assert prepare(folder).ok
    templates = ROOT / "s75docs" / "templates"
    files = sorted(p for p in (templates / "body").glob("*.md.j2")
                   if any(f'label("{n}' in p.read_text() for n in _statute_labels()))
    assert files
    for clause in files:
        firm = tmp_path / clause.stem
        (firm / "body").mkdir(parents=True)
        (firm / "body" / clause.name).write_text("", encoding="utf-8")
        try:
            result = prepare(folder, templates=[firm])
        except S75Error as exc:  # other clauses refer to it: the build stops outright
            assert any("unknown label" in f.message for f in exc.findings)
            continue
        failed = [f for f in result.findings if f.code == "compliance"]
        assert failed, f"removing {clause.name} went unnoticed"


def _statute_labels() -> set[str]:
    import yaml

    entries = yaml.safe_load((ROOT / "s75docs" / "templates" / "statute-map.yaml").read_text())
    return {label.split("{key}")[0].rstrip(".") for e in entries for label in e["labels"]}


def test_markdown_is_deterministic(tmp_path: Path) -> None:
    folder = EXAMPLES[0]
    first = write_markdown(prepare(folder).document)  # type: ignore[arg-type]
    second = write_markdown(prepare(folder).document)  # type: ignore[arg-type]
    assert first == second


def _variant(tmp_path: Path, *, aligned: bool, keep: bool) -> Path:
    """The minimal fixture, its pooled fund optionally turned into an aligned budget, and
    optionally keeping removed clauses as "[Not used]"."""
    import shutil

    folder = tmp_path / f"aligned-{aligned}-keep-{keep}"
    shutil.copytree(ROOT / "tests" / "fixtures" / "minimal", folder)
    if aligned:
        schedule = folder / "schedules" / "pooled.yaml"
        text = schedule.read_text(encoding="utf-8")
        text = text.replace("  - pooled_fund\n", "  - aligned_budget\n").replace(
            "host_partner: council\npooled_fund_manager:\n  post: Head of Integrated "
            "Commissioning\n  partner: council\n", "").replace("kind: pooled\n", "kind: aligned\n")
        schedule.write_text(text, encoding="utf-8")
    if keep:
        agreement = folder / "agreement.yaml"
        agreement.write_text(agreement.read_text(encoding="utf-8") +
                             "keep_removed_clauses: true\n", encoding="utf-8")
    return folder


def _numbers(folder: Path) -> dict[str, list[str]]:
    """Clause headings of the body: title -> the numbers it stands at."""
    document = prepare(folder).document
    assert document is not None
    body = next(p for p in document.parts if p.kind == "body")
    out: dict[str, list[str]] = {}
    for block in body.blocks:
        if block.kind == "clause" and block.level == 1:
            out.setdefault(block.plain(), []).append(block.number)
    return out


def test_clauses_the_data_makes_irrelevant_drop_out_or_stay_as_not_used(tmp_path: Path) -> None:
    pooled = _numbers(_variant(tmp_path, aligned=False, keep=False))
    assert pooled["Establishment of a Pooled Fund"] == ["7"]
    assert pooled["Pooled Fund Management"] == ["8"]
    assert "Non-Pooled Funds" not in pooled and pooled["Financial Contributions"] == ["9"]
    aligned = _numbers(_variant(tmp_path, aligned=True, keep=False))
    assert "Establishment of a Pooled Fund" not in aligned
    assert "Pooled Fund Management" not in aligned
    assert aligned["Non-Pooled Funds"] == ["7"] and aligned["Financial Contributions"] == ["8"]
    # Keeping removed clauses as "[Not used]", every later clause keeps its number.
    pooled_kept = _numbers(_variant(tmp_path, aligned=False, keep=True))
    aligned_kept = _numbers(_variant(tmp_path, aligned=True, keep=True))
    assert pooled_kept["[Not used]"] == ["9"] and aligned_kept["[Not used]"] == ["7", "8"]
    later = [t for t in pooled_kept if t not in ("[Not used]", "Establishment of a Pooled Fund",
                                                  "Pooled Fund Management")]
    assert later and all(pooled_kept[t] == aligned_kept[t] for t in later
                         if t != "Non-Pooled Funds")


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_word_text_has_no_stray_output(folder: Path, built: dict[str, Path]) -> None:
    from docx import Document as WordDocument

    for path in sorted(built[folder.name].rglob("*.docx")):
        word = WordDocument(str(path))
        texts = [p.text for p in word.paragraphs]
        texts += [c.text for t in word.tables for r in t.rows for c in r.cells]
        for stray in ("None", "[]", "{{", "}}", "{%", "{@", "{?", "{=", "\\"):
            assert not [t for t in texts if stray in t], (path.name, stray)
        empty = [i for i, p in enumerate(word.paragraphs) if not p.text.strip()]
        assert not empty, f"{path.name}: empty paragraphs at {empty[:5]}"
