"""Versions: semantic diff, deeds of variation and successor bodies."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s75docs.document.resolve import build_tree
from s75docs.errors import S75Error
from s75docs.output.atomic import MARKER, MARKER_TEXT
from s75docs.versions.variation import (
    apply_operations,
    deed_operations,
    document_lines,
    write_variation,
)

ROOT = Path(__file__).resolve().parent.parent
OXON = ROOT / "examples" / "oxfordshire-2022"
HARINGEY = ROOT / "examples" / "haringey-2016"
BOB = "NHS Buckinghamshire, Oxfordshire and Berkshire West Integrated Care Board"
SUCCESSOR = f"""\
key: icb
name: {BOB}
defined_term: the ICB
kind: icb
address: {{to_be_agreed: "the ICB's address for notices"}}
execution:
  method: signatories
  signatories:
    - post: Chief Executive
"""


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "s75docs", *map(str, args)],
                          capture_output=True, text=True, check=False, cwd=ROOT)


def test_diff_of_a_folder_against_itself_is_empty() -> None:
    result = run("diff", OXON, OXON)
    assert result.returncode == 0, result.stderr
    assert "No changes." in result.stdout


def test_diff_reports_changed_contributions_and_clauses(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(HARINGEY, new)
    csv = next((new / "budgets").glob("*.csv"))
    lines = csv.read_text().splitlines()
    lines[1] = lines[1].replace("000", "001", 1)
    csv.write_text("\n".join(lines) + "\n")
    result = run("diff", HARINGEY, new)
    assert result.returncode == 1
    assert "Contributions" in result.stdout and "changed" in result.stdout
    as_json = run("diff", HARINGEY, new, "--json")
    assert '"group": "contributions"' in as_json.stdout


def test_diff_reads_git_revisions_without_touching_the_tree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(OXON, repo / "agreement")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "v1"], check=True)
    subprocess.run([*git, "tag", "v1"], check=True)
    agreement = repo / "agreement" / "agreement.yaml"
    agreement.write_text(agreement.read_text().replace("6 months", "9 months"))
    subprocess.run([*git, "commit", "-qam", "v2"], check=True)
    result = run("diff", repo / "agreement", "--rev", "v1..HEAD")
    assert result.returncode == 1, result.stderr
    assert "termination, notice: \u201c6 months\u201d to \u201c9 months\u201d" in result.stdout
    assert "nine months" in result.stdout
    status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""


@pytest.fixture(scope="module")
def succession(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    tmp = tmp_path_factory.mktemp("succession")
    (tmp / "icb.yaml").write_text(SUCCESSOR)
    result = run("succeed", OXON, "--partner", "ccg", "--successor", tmp / "icb.yaml",
                 "--date", "2022-07-01", "--scheme", "the NHS England transfer scheme of 2022",
                 "-o", tmp / "oxon-icb", "--deed-dir", tmp / "deed", "--format", "md")
    assert result.returncode == 0, result.stderr
    return tmp / "oxon-icb", tmp / "deed", result.stderr


def test_diff_says_a_succession_in_plain_words(succession: tuple[Path, Path]) -> None:
    """A successor in its predecessor's place: one line for the succession, each scheme's money
    as a transfer, field-level lines of sensible length, execution blocks named by partner."""
    data, _, _ = succession
    result = run("diff", OXON, data)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    data_part = out[:out.index("\nClauses\n")]
    assert f"NHS Oxfordshire Clinical Commissioning Group (the CCG) succeeded by {BOB} (the ICB)" \
        in data_part
    assert "Live Well (Adults with Support Needs), 2022/23: the CCG's £93,585,000.00 " \
        "transferred to the ICB" in data_part
    assert "-£" not in data_part and "100.0%" not in data_part  # no loss and gain
    shares = data_part.split("Risk share")[1].split("\n\n")[0] if "Risk share" in data_part else ""
    assert "49%" not in shares.split("overspends")[0]  # the shares moved with the partner
    assert "{'" not in out and "'}" not in out  # no Python dicts
    assert max(len(line) for line in data_part.splitlines()) < 250
    assert "the ICB, execution, signatory 1, post: \u201cAuthorised Signatory\u201d to " \
        "\u201cChief Executive\u201d" in data_part
    assert "start of the clauses" not in out
    assert out.count("the execution block of NHS Oxfordshire Clinical Commissioning Group (now "
                     f"the execution block of {BOB}) changed") == 1  # one heading, many lines


def test_diff_risk_share_and_a_replaced_partner_field_by_field() -> None:
    """A share changed reads "the Council: 51% to 55%"; a partner swapped for another (no
    history) with the same money reads as a replacement and transfers, not a loss and a gain."""
    from s75docs.load.folder import load_agreement
    from s75docs.versions.diff import model_changes

    old = load_agreement(OXON).agreement
    icb = old.partner("ccg").model_copy(update={"key": "icb", "name": BOB,
                                                "defined_term": "the ICB"})
    new = old.model_copy(update={
        "partners": [p if p.key != "ccg" else icb for p in old.partners],
        "risk_share": old.risk_share.model_copy(update={"shares": {
            "council": Decimal(55), "icb": Decimal(45)}}),
        "schedules": [s.model_copy(update={"contributions": [
            line.model_copy(update={"partner": "icb"}) if line.partner == "ccg" else line
            for line in s.contributions]}) for s in old.schedules]})
    lines = [c.summary for c in model_changes(old, new)]
    assert f"NHS Oxfordshire Clinical Commissioning Group (the CCG) replaced by {BOB} " \
        "(the ICB)" in lines
    assert "risk share, the Council: 51% to 55%" in lines
    assert "risk share, the ICB: 49% to 45%" in lines  # the CCG's share, now the ICB's
    assert "Age Well (Better Care Fund), 2022/23: the CCG's £102,030,000.00 transferred to " \
        "the ICB" in lines
    assert not any("£0.00" in line for line in lines)


def test_diff_json_is_the_same_on_every_run(tmp_path: Path) -> None:
    """Changes to several partners come out in the agreement's order, whatever Python's string
    hashing (model_changes looped over sets of keys)."""
    import os

    new = tmp_path / "new"
    shutil.copytree(OXON, new)
    agreement = new / "agreement.yaml"
    text = agreement.read_text()
    for key in ("the Council's", "the CCG's"):
        text = text.replace(f"{{to_be_agreed: \"{key} address for notices\"}}",
                            f"{key.split()[1][:-2]} House, Oxford", 1)
    agreement.write_text(text)
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        result = subprocess.run([sys.executable, "-m", "s75docs", "diff", str(OXON), str(new),
                                 "--json"], capture_output=True, text=True, check=False,
                                cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed})
        assert result.returncode == 1, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert "the Council, address" in outputs.pop()


def test_diff_exits_2_for_errors_and_1_for_differences(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(OXON, broken)
    (broken / "agreement.yaml").write_text("reference: [\n")
    not_an_agreement = tmp_path / "empty"
    not_an_agreement.mkdir()
    unreadable = tmp_path / "unreadable"
    shutil.copytree(OXON, unreadable)
    (unreadable / "agreement.yaml").unlink()
    (unreadable / "agreement.yaml").mkdir()  # a folder where the file should be
    for folder, message in ((broken, "YAML syntax error"),
                            (not_an_agreement, "no agreement.yaml"),
                            (unreadable, "agreement.yaml")):
        result = run("diff", OXON, folder)
        assert result.returncode == 2, (folder, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
    result = run("diff", OXON, "--rev", "no-such-revision")
    assert result.returncode == 2 and "is not a commit" in result.stderr


def test_succession_deed_names_both_bodies(succession: tuple[Path, Path, str]) -> None:
    _, deed, _ = succession
    text = (deed / "deed-of-variation.md").read_text()
    recitals = text[text.index("### Background"):text.index("# Agreed Terms")]
    operative = text[text.index("## 2 Variations"):text.index("## 3")]
    for part in (recitals, operative):
        assert "NHS Oxfordshire Clinical Commissioning Group" in part and BOB in part
    assert "the NHS England transfer scheme of 2022" in recitals
    # recital (A): the agreement as made, by its original parties and title
    assert ("(A) Oxfordshire County Council and NHS Oxfordshire Clinical Commissioning Group "
            "entered into") in recitals
    assert "between Oxfordshire County Council and NHS Oxfordshire Clinical Commissioning " \
           "Group\u201d" in recitals
    assert "in accordance with clause 30 of the Agreement" in operative  # the variation clause
    assert "renumbered" not in operative  # nothing moved
    assert "executed as a deed" in text


def test_succession_reads_across_only_what_names_a_partner(
        succession: tuple[Path, Path, str], tmp_path: Path) -> None:
    """Parties, keys and tables name the ICB; the drafter's own words that name the CCG are
    kept and reported (file, field, line); the CCG's approval stays the CCG's, and the history
    is recited."""
    data, deed, warnings = succession
    lines = (data / "agreement.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip().startswith("reports_to:"))
    assert f"{data / 'agreement.yaml'}:{line}: governance[0].reports_to: still names the CCG" \
        in " ".join(warnings.split())
    result = run("build", data, "-o", tmp_path, "--format", "md")
    assert result.returncode == 0, result.stderr
    varied = (deed / "agreement-as-varied.md").read_text()
    built = (tmp_path / "oxfordshire-s75-2022-2022-07-01" / "agreement.md").read_text()
    assert varied.split("\n", 3)[3] == built.split("\n", 3)[3]  # the same agreement
    assert varied.startswith("# SECTION 75 POOLED COMMISSIONING BUDGET AGREEMENT BETWEEN "
                             "OXFORDSHIRE COUNTY COUNCIL AND NHS OXFORDSHIRE CLINICAL "
                             "COMMISSIONING GROUP (AS VARIED BY A DEED WITH EFFECT FROM 1 JULY "
                             "2022)")
    assert "(the **\u201cICB\u201d**)" in varied and "| the ICB |" in varied
    assert "ICB's Governing Body" not in varied
    assert ("The Governing Body of NHS Oxfordshire Clinical Commissioning Group (whose functions "
            "passed to the ICB on 1 July 2022) approved") in varied
    assert (f"On 1 July 2022 {BOB} succeeded NHS Oxfordshire Clinical Commissioning Group under "
            "the NHS England transfer scheme of 2022") in varied


def test_succession_refuses_what_it_cannot_do_safely(tmp_path: Path) -> None:
    bad = tmp_path / "gp.yaml"
    bad.write_text(SUCCESSOR.replace("kind: icb", "kind: gp_practice"))
    result = run("succeed", OXON, "--partner", "ccg", "--successor", bad, "--date", "2022-07-01",
                 "-o", tmp_path / "out")
    assert result.returncode == 1 and "not an eligible section 75 body" in result.stderr
    council = tmp_path / "council.yaml"
    council.write_text(SUCCESSOR)
    result = run("succeed", OXON, "--partner", "council", "--successor", council,
                 "--date", "2022-07-01", "-o", tmp_path / "out")
    assert result.returncode == 1 and "a council's functions pass to a council" in result.stderr
    assert not (tmp_path / "out").exists()
    (tmp_path / "exists").mkdir()
    good = tmp_path / "icb.yaml"
    good.write_text(SUCCESSOR)
    result = run("succeed", OXON, "--partner", "ccg", "--successor", good,
                 "--date", "2022-07-01", "-o", tmp_path / "exists")
    assert result.returncode == 1 and "--force" in result.stderr


def test_two_icbs_merging_into_one(tmp_path: Path) -> None:
    """April 2026: two ICB partners of one agreement abolished and merged into a new ICB."""
    from s75docs.load.folder import load_agreement
    from s75docs.model.finance import schedule_totals
    from s75docs.versions.succession import succeed

    two = tmp_path / "two"
    shutil.copytree(ROOT / "tests" / "fixtures" / "minimal", two)
    agreement = two / "agreement.yaml"
    text = agreement.read_text()
    text = text.replace("    council: 50%\n    icb: 50%", "    council: 50%\n    icb: 30%\n    west: 20%")
    text = text.replace("governance:", """  - key: west
    name: NHS West Exampleshire Integrated Care Board
    defined_term: West ICB
    kind: icb
    address: West House, Exampletown EX3 3CC
    execution:
      method: signatories
      signatories:
        - post: Chief Executive
governance:""")
    agreement.write_text(text)
    table = two / "budgets" / "pooled.csv"
    table.write_text(table.read_text().replace("icb,Wheelchair", "west,Wheelchair"))
    before = load_agreement(two).agreement
    (tmp_path / "merged.yaml").write_text(SUCCESSOR.replace(BOB, "NHS Greater Exampleshire "
                                                            "Integrated Care Board"))
    with pytest.raises(S75Error, match="give the successor a key of its own"):
        succeed(two, ["icb", "west"], tmp_path / "merged.yaml", dt.date(2026, 4, 1),
                tmp_path / "merged", deed_dir=tmp_path / "deed", formats=("md",))
    (tmp_path / "merged.yaml").write_text(
        (tmp_path / "merged.yaml").read_text().replace("key: icb", "key: greater"))
    result = succeed(two, ["icb", "west"], tmp_path / "merged.yaml", dt.date(2026, 4, 1),
                     tmp_path / "merged", deed_dir=tmp_path / "deed", formats=("md",))
    merged = load_agreement(tmp_path / "merged").agreement
    assert [p.key for p in merged.partners] == ["council", "greater"]
    assert [h.name for h in merged.partner("greater").history] == [
        "NHS Exampleshire Integrated Care Board", "NHS West Exampleshire Integrated Care Board"]
    assert {k: str(v) for k, v in merged.risk_share.shares.items()} == {"council": "50",
                                                                         "greater": "50"}
    old_totals = schedule_totals(before.schedules[0])
    new_totals = schedule_totals(merged.schedules[0])
    # 2024/25 is before the transfer: each ICB's contribution stays its own
    assert new_totals.by_partner == old_totals.by_partner
    assert new_totals.total == old_totals.total
    assert run("check", tmp_path / "merged").returncode == 0
    assert len(result.succession.predecessors) == 2
    assert load_agreement(two).agreement == before  # the input folder is untouched


def test_naming_a_partner_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "icb.yaml").write_text(SUCCESSOR)
    result = run("succeed", OXON, "--partner", "ccg", "--partner", "ccg", "--successor",
                 tmp_path / "icb.yaml", "--date", "2022-07-01", "-o", tmp_path / "out")
    assert result.returncode == 1 and "named twice" in result.stderr


def test_a_contributions_change_replaces_exactly_that_schedule(tmp_path: Path) -> None:
    """Money moved between two 2022/23 lines of one scheme (totals unchanged, fixed risk share):
    the deed replaces that scheme and varies nothing else."""
    new = tmp_path / "new"
    shutil.copytree(OXON, new)
    csv = new / "budgets" / "live-well.csv"
    text = csv.read_text()
    text = text.replace('learning disability and/or autism,2022/23,"£62,000,000"',
                        'learning disability and/or autism,2022/23,"£61,000,000"')
    text = text.replace('mental health,2022/23,"£22,000,000"', 'mental health,2022/23,"£23,000,000"')
    csv.write_text(text)
    out = write_variation(OXON, new, dt.date(2022, 10, 1), "to move funds within Live Well",
                          tmp_path / "deed", formats=("md",))
    text = (out / "deed-of-variation.md").read_text()
    operative = text[text.index("## 2 Variations"):text.index("## 3")]
    assert operative.count("\n2.") == 2, operative  # the preamble and one variation
    assert "Scheme 1: Live Well (Adults with Support Needs) is deleted and replaced by the " \
        "Scheme 1 annexed to this deed as Annex 1" in operative
    assert text.count("\n# Annex ") == 1  # one annex
    assert "\n# Annex 1: Scheme 1: Live Well (Adults with Support Needs)\n" in text
    assert "to move funds within Live Well" in (out / "data" / "agreement.yaml").read_text()
    from s75docs.versions.compare import load_version
    from s75docs.versions.variation import render_deed

    document, _ = render_deed(load_version(OXON), load_version(new), dt.date(2022, 10, 1), "x")
    assert document.meta["draft_marking"] == \
        "Draft deed of variation \u2014 01.10.2022 \u2014 subject to contract"


PARA = st.text(alphabet="abcdefgh ", min_size=1, max_size=12).map(str.strip).filter(bool)


def _markdown(clauses: list[list[str]], schedule: list[str]) -> str:
    out = ["# Terms {.body}", ""]
    for i, items in enumerate(clauses):
        out += [f"## Clause {i}", ""] + [f"1. {t}" for t in items] + [""]
    out += ["# Annex {.schedule} {#sch.a}", "", "## Part", ""] + [f"1. {t}" for t in schedule]
    return "\n".join(out) + "\n"


DOCS = st.tuples(st.lists(st.lists(PARA, min_size=1, max_size=4), min_size=1, max_size=5),
                 st.lists(PARA, min_size=1, max_size=4))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS, DOCS)
def test_property_applying_the_deed_to_old_yields_new(old: tuple, new: tuple) -> None:
    a, b = build_tree(_markdown(*old)), build_tree(_markdown(*new))
    deed = deed_operations(a, b, [])
    assert apply_operations(a, b, deed) == document_lines(b)


def _with_notice(source: Path, target: Path, before: str, after: str) -> Path:
    """A copy of an agreement folder with its ordinary notice period changed."""
    shutil.copytree(source, target)
    agreement = target / "agreement.yaml"
    agreement.write_text(agreement.read_text().replace(f"notice: {before}", f"notice: {after}"))
    return target


def test_the_next_deed_recites_the_last(tmp_path: Path) -> None:
    """vary writes NEW's data with the deed recorded; a deed from that data recites it."""
    new = _with_notice(OXON, tmp_path / "new", "6 months", "9 months")
    first = write_variation(OXON, new, dt.date(2022, 10, 1), "to lengthen the notice period",
                            tmp_path / "first", formats=("md",))
    recorded = first / "data"
    again = _with_notice(recorded, tmp_path / "again", "9 months", "12 months")
    second = write_variation(recorded, again, dt.date(2023, 4, 1), "to lengthen it again",
                             tmp_path / "second", formats=("md",))
    text = (second / "deed-of-variation.md").read_text()
    assert "varied by a deed dated 1 October 2022: to lengthen the notice period" in text
    first_text = (first / "deed-of-variation.md").read_text()
    assert "Clause 22.1 is deleted and replaced with: \u201cAny Partner may terminate" in first_text
    assert "nine months" in first_text


def test_succession_keeps_the_data_as_written(succession: tuple[Path, Path, str]) -> None:
    """Every comment survives, and the only lines that change are those of the fields that
    change: the partner entry, keys and the new version (never the drafter's own words)."""
    import difflib

    data, _, _ = succession
    names = re.compile(r"(partner: |^    )ccg\b|^(reference|version|version_date):")
    for old in sorted(OXON.rglob("*.yaml")):
        before = old.read_text().splitlines()
        after = (data / old.relative_to(OXON)).read_text().splitlines()
        assert [line for line in before if line.lstrip().startswith("#")] == \
            [line for line in after if line.lstrip().startswith("#")], old
        partner = before.index("  - key: ccg") if old.name == "agreement.yaml" else -1
        for line in difflib.ndiff(before, after):
            if line.startswith("- "):
                where = before.index(line[2:])
                assert names.search(line[2:]) or partner <= where < partner + 10, (old, line)


def test_succeeded_agreement_has_a_reference_and_version_of_its_own(
        succession: tuple[Path, Path, str]) -> None:
    from s75docs.load.folder import load_agreement

    new = load_agreement(succession[0]).agreement
    assert new.reference == "oxfordshire-s75-2022-2022-07-01"
    assert new.version_date == dt.date(2022, 7, 1)
    assert new.version == "Succession draft"  # the draft marking reads "Succession draft — 01.07.2022 — ..."


def test_a_failed_succession_writes_nothing_and_force_keeps_the_old_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from s75docs.errors import Finding, S75Error
    from s75docs.versions import variation
    from s75docs.versions.succession import succeed

    (tmp_path / "icb.yaml").write_text(SUCCESSOR)
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("the previous folder")
    (out / MARKER).write_bytes(MARKER_TEXT)  # an earlier succession's output, replaceable

    def fail(*args: object, **kwargs: object) -> Path:
        raise S75Error(Finding("error", "the deed failed", "deed"))

    monkeypatch.setattr(variation, "write_variation", fail)
    with pytest.raises(S75Error, match="the deed failed"):
        succeed(OXON, ["ccg"], tmp_path / "icb.yaml", dt.date(2022, 7, 1), out,
                deed_dir=tmp_path / "deed", force=True, formats=("md",))
    assert {p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")} == \
        {"icb.yaml", "out"}  # no staging folder left, no deed
    assert (out / "kept.txt").read_text() == "the previous folder"
    assert not (tmp_path / "deed").exists()


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_succeeded_folders_get_ordinary_permissions(tmp_path: Path, mask: int) -> None:
    import os
    import stat

    from s75docs.versions.succession import succeed

    (tmp_path / "icb.yaml").write_text(SUCCESSOR)
    old = os.umask(mask)
    try:
        done = succeed(OXON, ["ccg"], tmp_path / "icb.yaml", dt.date(2022, 7, 1),
                       tmp_path / "out", deed_dir=tmp_path / "deed", formats=("md",))
    finally:
        os.umask(old)
    for folder in (done.data, done.deed):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~mask


def test_a_transfer_outside_the_term_is_refused(tmp_path: Path) -> None:
    fixed = tmp_path / "fixed"
    shutil.copytree(OXON, fixed)
    agreement = fixed / "agreement.yaml"
    agreement.write_text(agreement.read_text().replace(
        "  kind: rolling\n  review: annual", "  kind: fixed\n  end_date: 2022-06-30\n  review: annual"))
    (tmp_path / "icb.yaml").write_text(SUCCESSOR)
    result = run("succeed", fixed, "--partner", "ccg", "--successor", tmp_path / "icb.yaml",
                 "--date", "2022-07-01", "-o", tmp_path / "out")
    assert result.returncode == 1 and "after the agreement ended" in result.stderr
    result = run("succeed", fixed, "--partner", "ccg", "--successor", tmp_path / "icb.yaml",
                 "--date", "2022-03-01", "-o", tmp_path / "out")
    assert result.returncode == 1 and "not after the agreement commenced" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_clause_kept_as_not_used_is_one_variation_and_renumbers_nothing() -> None:
    """Clause 1 and its three sub-clauses become "[Not used]": one operation for the clause
    with its sub-clauses, and no number moves (clause 2 stays clause 2)."""
    old = build_tree("# Terms {.body}\n\n## Catering\n\n1. aa\n1. bb\n1. cc\n\n"
                     "## Other\n\n1. dd\n")
    new = build_tree("# Terms {.body}\n\n## Not used\n\n## Other\n\n1. dd\n")
    deed = deed_operations(old, new, [])
    assert [(op.kind, op.old_citation, op.old_last, op.text) for op in deed.operations] == [
        ("replace_clause", "clause 1", "clause 1.3", "Not used")]
    assert not deed.renumbered
    assert apply_operations(old, new, deed) == document_lines(new)
    moved = build_tree("# Terms {.body}\n\n## Other\n\n1. dd\n")
    deleted = deed_operations(old, moved, [])
    assert [(op.kind, op.old_last) for op in deleted.operations] == [
        ("delete_clause", "clause 1.3")]
    assert deleted.renumbered
    assert apply_operations(old, moved, deleted) == document_lines(moved)


def test_vary_and_diff_honour_the_firms_templates_and_the_deed_data_checks_on_its_own(
        tmp_path: Path) -> None:
    """An agreement naming its own precedents folder (`templates:`), varied: the agreement as
    varied keeps the firm's clause, and the deed's data/ (with the folder) checks clean; the
    same clause from --templates for vary and diff."""
    old = tmp_path / "old"
    shutil.copytree(OXON, old)
    shutil.copytree(ROOT / "precedents" / "example-firm", old / "precedents")
    yaml = old / "agreement.yaml"
    yaml.write_text(yaml.read_text().replace("area: Oxfordshire\n",
                                             "area: Oxfordshire\ntemplates: precedents\n"))
    new = _with_notice(old, tmp_path / "new", "6 months", "9 months")
    result = run("vary", old, new, "--date", "2022-10-01", "-o", tmp_path / "deed",
                 "--format", "md")
    assert result.returncode == 0, result.stderr
    assert "recorded delivery" in (tmp_path / "deed" / "agreement-as-varied.md").read_text()
    assert (tmp_path / "deed" / "data" / "precedents" / "body" / "notices.md.j2").is_file()
    checked = run("check", tmp_path / "deed" / "data")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    plain = _with_notice(OXON, tmp_path / "plain", "6 months", "9 months")
    firm = ROOT / "precedents" / "example-firm"
    result = run("vary", OXON, plain, "--date", "2022-10-01", "-o", tmp_path / "deed2",
                 "--format", "md", "--templates", firm)
    assert result.returncode == 0, result.stderr
    assert "recorded delivery" in (tmp_path / "deed2" / "agreement-as-varied.md").read_text()
    assert run("diff", OXON, plain, "--templates", firm).returncode == 1


def _two_ccgs(target: Path) -> Path:
    """The minimal agreement made in 2021 between a council and two CCGs, each with stated
    totals for 2021/22 and 2022/23."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "minimal", target)
    agreement = target / "agreement.yaml"
    text = agreement.read_text().replace("2024-", "2021-").replace("early 2024", "early 2021")
    text = text.replace("  - partner: icb\n    body: ICB Board\n", "  - partner: north\n    body: "
                        "Governing Body\n    date: 2021-03-01\n  - partner: south\n    body: "
                        "Governing Body\n")
    text = text.replace("    icb: 50%", "    north: 30%\n    south: 20%")
    ccg = """  - key: {key}
    name: NHS {name} Exampleshire Clinical Commissioning Group
    defined_term: the {name} CCG
    kind: ccg
    address: CCG House, Exampletown EX2 2BB
    execution:
      method: signatories
      signatories:
        - post: Accountable Officer
"""
    start, end = text.index("  - key: icb"), text.index("governance:")
    text = text[:start] + ccg.format(key="north", name="North") + \
        ccg.format(key="south", name="South") + text[end:]
    agreement.write_text(text)
    (target / "budgets" / "pooled.csv").write_text(
        "partner,line,year,amount,type\n"
        'council,Equipment purchase,2021/22,"£400,000",revenue\n'
        'north,Equipment purchase,2021/22,"£300,000",revenue\n'
        'south,Equipment purchase,2021/22,"£200,000",revenue\n'
        'council,Equipment purchase,2022/23,"£410,000",revenue\n'
        'north,Equipment purchase,2022/23,"£310,000",revenue\n'
        'south,Wheelchair service,2022/23,"£210,000",revenue\n')
    schedule = target / "schedules" / "pooled.yaml"
    text = schedule.read_text().replace("2024-", "2021-").replace("partner: icb", "partner: north")
    text = text[:text.index("stated_totals:")] + """stated_totals:
  # as the CCGs' governing bodies approved them
  - partner: north
    year: 2021/22
    amount: "£300,000"
  - partner: south
    year: 2021/22
    amount: "£200,000"
  - partner: north
    year: 2022/23
    amount: "£310,000"
  - partner: south
    year: 2022/23
    amount: "£210,000"
"""
    schedule.write_text(text)
    return target


def test_two_ccgs_with_stated_totals_into_one_icb(tmp_path: Path) -> None:
    """July 2022: two CCGs, each with stated totals, into one ICB. 2022/23 totals combine;
    2021/22 stays each CCG's, in the data and in the tables; each CCG's approval stays its own,
    worded for the ICB (a Board, never "the ICB's Governing Body")."""
    from s75docs.load.folder import load_agreement

    two = _two_ccgs(tmp_path / "two")
    assert run("check", two).returncode == 0, run("check", two).stdout
    (tmp_path / "icb.yaml").write_text(SUCCESSOR)
    result = run("succeed", two, "--partner", "north", "--partner", "south", "--successor",
                 tmp_path / "icb.yaml", "--date", "2022-07-01", "-o", tmp_path / "merged",
                 "--deed-dir", tmp_path / "deed", "--format", "md,docx")
    assert result.returncode == 0, result.stderr
    merged = load_agreement(tmp_path / "merged").agreement
    assert [(t.partner, t.year, str(t.amount)) for t in merged.schedules[0].stated_totals] == [
        ("north", "2021/22", "300000"), ("south", "2021/22", "200000"),
        ("icb", "2022/23", "520000")]
    assert {(line.partner, line.year) for line in merged.schedules[0].contributions} == {
        ("council", "2021/22"), ("north", "2021/22"), ("south", "2021/22"),
        ("council", "2022/23"), ("icb", "2022/23")}
    assert [a.partner for a in merged.approvals] == ["council", "north", "south"]
    # Each predecessor's kind is kept, and judged on its last day (30 June 2022), not on 1 July.
    assert [(h.key, h.kind) for h in merged.partner("icb").history] == [
        ("north", "ccg"), ("south", "ccg")]
    checked = run("check", tmp_path / "merged")
    assert checked.returncode == 0, checked.stdout
    varied = (tmp_path / "deed" / "agreement-as-varied.md").read_text()
    assert "Governing Body of NHS North Exampleshire Clinical Commissioning Group (whose " \
        "functions passed to the ICB on 1 July 2022) approved" in varied
    assert "ICB's Governing Body" not in varied
    assert "| NHS South Exampleshire Clinical Commissioning Group | Equipment purchase |" in varied
    deed = (tmp_path / "deed" / "deed-of-variation.md").read_text()
    assert ("the rights and liabilities of NHS North Exampleshire Clinical Commissioning Group "
            f"and NHS South Exampleshire Clinical Commissioning Group under the Agreement "
            f"transferred to {BOB}") in deed
    assert f"{BOB} is a party to the Agreement in place of NHS North" in deed


SUFFOLK = ROOT / "examples" / "suffolk-bcf-2025"


def test_an_icb_merger_end_to_end(tmp_path: Path) -> None:
    """1 April 2026: the two ICBs of examples/suffolk-bcf-2025 merge into one. The deed recites
    both, the transfer scheme and the date; `git diff` of the new folder shows only the partner
    entries, keys, the combined 2026/27 stated total and the new version; build, diff, vary and
    redline all run on it."""
    repo = tmp_path / "repo"
    shutil.copytree(SUFFOLK, repo / "suffolk")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "2025"], check=True)
    result = run("succeed", repo / "suffolk", "--partner", "nwicb", "--partner", "sneeicb",
                 "--successor", ROOT / "examples" / "successors" / "norfolk-suffolk-icb.yaml",
                 "--date", "2026-04-01", "--scheme", "the NHS England transfer scheme of 2026",
                 "-o", tmp_path / "merged", "--deed-dir", tmp_path / "deed", "--format", "md")
    assert result.returncode == 0, result.stderr
    shutil.rmtree(repo / "suffolk")
    shutil.copytree(tmp_path / "merged", repo / "suffolk")
    (repo / "suffolk" / MARKER).unlink()
    changed = subprocess.run([*git, "diff", "-U0", "--no-color"], capture_output=True,
                             text=True, check=True).stdout
    lines = [line[1:] for line in changed.splitlines()
             if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    allowed = ("reference:", "version:", "version_date:", "name: NHS", "defined_term: the",
               "kind: icb", "address:", "execution:", "method: signatories", "signatories:",
               "- post: Chief Executive", "history:", "date: 2026-04-01", "transfer_scheme:",
               "year: 2026/27", 'amount: "£')
    keys = re.compile(r"\b(nwicb|sneeicb|nsicb)\b")
    others = [line for line in lines if not line.strip().startswith(allowed)
              and not keys.search(line)]
    assert not others, changed
    deed = (tmp_path / "deed" / "deed-of-variation.md").read_text()
    recitals = deed[deed.index("### Background"):deed.index("# Agreed Terms")]
    assert ("On 1 April 2026 the rights and liabilities of NHS Norfolk and Waveney Integrated "
            "Care Board and NHS Suffolk and North East Essex Integrated Care Board under the "
            "Agreement transferred to NHS Norfolk and Suffolk Integrated Care Board under the "
            "NHS England transfer scheme of 2026.") in recitals
    assert "(A) Suffolk County Council, NHS Norfolk and Waveney Integrated Care Board and NHS " \
        "Suffolk and North East Essex Integrated Care Board entered into" in recitals
    assert "“the ICB: 61.41% for 2025/26 and 62.34% for 2026/27.”" in deed  # the ICBs' money, year by year
    merged = tmp_path / "merged"
    assert run("check", merged).returncode == 0
    assert run("check", tmp_path / "deed" / "data").returncode == 0
    assert run("diff", SUFFOLK, merged).returncode == 1
    assert run("build", merged, "-o", tmp_path / "build", "--format", "md").returncode == 0
    vary = run("vary", SUFFOLK, merged, "--date", "2026-04-01", "--reason", "to record the "
               "merger", "-o", tmp_path / "vary", "--format", "md")
    assert vary.returncode == 0, vary.stderr
    redline = run("redline", SUFFOLK, merged, "-o", tmp_path / "redline.docx")
    assert redline.returncode == 0, redline.stderr
