"""Citation forms come from templates/citations.yaml: ours give today's wording, a firm's
folder overrides any form, and a malformed file is refused naming the file, key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from s75docs.constants import BUILTIN_TEMPLATES
from s75docs.document.citations import CITATIONS_FILE, builtin_citations, load_citations
from s75docs.document.resolve import build_tree
from s75docs.errors import S75Error
from s75docs.pipeline import compliance_markdown, prepare
from s75docs.versions.diff import clause_changes
from s75docs.write.markdown import write_markdown

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "fixtures" / "minimal"

BODY = """\
# Agreed Terms {.body}

## Fund {#fund}

1. The fund is kept. {#fund.kept}
1. See {@sched.board} and {@fund.kept}.

# Governance {.schedule} {#sched}

## Board

1. The board meets. {#sched.board}
"""


def firm(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "precedents"
    folder.mkdir()
    (folder / CITATIONS_FILE).write_text(text, encoding="utf-8")
    return folder


def test_the_built_in_forms_give_todays_wording() -> None:
    md = write_markdown(build_tree(BODY))
    assert "# Schedule 1: Governance" in md
    assert "See paragraph 1.1 of Schedule 1 and clause 1.1." in md
    table = BODY.replace("\n# Governance", "\n| a | b |\n|---|---|\n| 1 | 2 |\n\n# Governance")
    [change] = clause_changes(build_tree(BODY), build_tree(table))
    assert change.new is not None and change.new.citation == "the table after clause 1.2"
    start = BODY.replace("## Fund {#fund}\n", "### Note\n\n## Fund {#fund}\n")
    [change] = clause_changes(build_tree(BODY), build_tree(start))
    assert change.new is not None
    assert change.new.citation == "the heading at the start of the clauses"


def test_a_firms_forms_change_the_output_and_the_rest_stay_ours(tmp_path: Path) -> None:
    folder = firm(tmp_path, 'clause: "Clause {number}"\nschedule: "SCHEDULE {number}"\n'
                            'paragraph: "{part}, para {number}"\n')
    forms = load_citations([folder, BUILTIN_TEMPLATES])
    md = write_markdown(build_tree(BODY, citations=forms))
    assert "# SCHEDULE 1: Governance" in md
    assert "See SCHEDULE 1, para 1.1 and Clause 1.1." in md
    assert forms.forms["recital"] == builtin_citations().forms["recital"]


SELF = BODY + """\
1. The chair follows {@sched.board}. {#sched.chair}

# Finance {.schedule}

1. As {@sched.chair} says.
"""


def test_a_schedule_citing_its_own_paragraph_does_not_name_itself(tmp_path: Path) -> None:
    md = write_markdown(build_tree(SELF))
    assert "The chair follows paragraph 1.1." in md  # inside Schedule 1
    assert "As paragraph 1.2 of Schedule 1 says." in md  # from Schedule 2
    assert "See paragraph 1.1 of Schedule 1 and clause 1.1." in md  # from the body
    forms = load_citations([firm(tmp_path, 'own_paragraph: "paragraph {number} of this {part}"\n'
                                           'schedule: "Schedule {number}"\n'),
                            BUILTIN_TEMPLATES])
    assert "The chair follows paragraph 1.1 of this Schedule 1." in \
        write_markdown(build_tree(SELF, citations=forms))


def test_a_firms_folder_changes_a_whole_build(tmp_path: Path) -> None:
    ours = prepare(MINIMAL)
    theirs = prepare(MINIMAL, templates=[firm(tmp_path, 'clause: "Clause {number}"\n')])
    assert ours.document is not None and theirs.document is not None
    before, after = write_markdown(ours.document), write_markdown(theirs.document)
    assert "under clause 7.1" in before and "under Clause 7.1" in after
    assert after.count("Clause ") >= before.count("under clause ")
    report = compliance_markdown("T", theirs.compliance, theirs.dirs)
    assert "Clause " in report and "| clause " not in report


@pytest.mark.parametrize("text, key, message", [
    ('clause: "clause {number}"\nclaws: "x {number}"\n', "claws", "unknown citation form"),
    ('clause: "clause"\n', "clause", "must use {number} exactly once"),
    ('clause: "clause {number} {part}"\n', "clause", "{part} is not a placeholder"),
    ('clause: "clause {number"\n', "clause", "literal brace"),
    ("clause: [3]\n", "clause", "must be text"),
    ('kinds:\n  tabel: table\n', "kinds.tabel", "unknown block kind"),
])
def test_a_malformed_file_names_file_key_and_line(tmp_path: Path, text: str, key: str,
                                                  message: str) -> None:
    folder = firm(tmp_path, text)
    with pytest.raises(S75Error) as caught:
        load_citations([folder, BUILTIN_TEMPLATES])
    [finding] = caught.value.findings
    assert finding.file == str(folder / CITATIONS_FILE)
    assert finding.path == key and finding.line is not None
    assert message in finding.message


def test_a_bad_firm_file_stops_the_build(tmp_path: Path) -> None:
    with pytest.raises(S75Error, match="unknown citation form"):
        prepare(MINIMAL, templates=[firm(tmp_path, 'section: "s. {number}"\n')])
