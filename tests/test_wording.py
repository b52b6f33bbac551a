"""The tool's own wording comes from templates: ours reproduce it, a firm's folder replaces it.

The committed build/ (test_examples) proves our templates give the agreement, compliance.md and
open-points.md byte for byte; the deed, the agreement as varied and the redline are checked here.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from s75docs.document.resolve import build_tree
from s75docs.load.folder import load_agreement
from s75docs.pipeline import (
    build_agreement,
    document_files,
    prepare,
    reference_docx,
    render_agreement,
    user_template_dirs,
)
from s75docs.render.environment import template_dirs
from s75docs.render.wording import compliance_markdown, open_points_markdown
from s75docs.versions.redline import redline_bytes
from s75docs.versions.textconv import docx_text
from s75docs.versions.variation import write_variation

ROOT = Path(__file__).resolve().parent.parent
OXON = ROOT / "examples" / "oxfordshire-2022"
HARINGEY = ROOT / "examples" / "haringey-2016"
OXON_TITLE = ("Section 75 Pooled Commissioning Budget Agreement between Oxfordshire County Council "
              "and NHS Oxfordshire Clinical Commissioning Group")
VARIED = dt.date(2022, 10, 1)

FIRM = {
    "meta/draft-marking.md.j2": "PROJET {{ a.version }} ({{ a.version_date | short_date }})\n",
    "meta/deed-title.md.j2": "Acte modificatif: {{ a.title }}\n",
    "meta/deed-draft-marking.md.j2": "Projet d'acte {{ variation_date | short_date }}\n",
    "meta/varied-title.md.j2": "{{ a.title }}, consolidated {{ variation_date | short_date }}\n",
    "meta/redline-subject.md.j2": "Redline {{ old.version }} to {{ a.version }}\n",
    "phrases/partners-jointly.md.j2": "both Partners together\n",
    "reports/compliance.md.j2": "# Compliance of {{ plain(title) }}\n\n{% for row in rows %}\n"
                                "- {{ plain(row.regulation) }}: {{ 'yes' if row.satisfied "
                                "else 'no' }}\n{% endfor %}\n",
    "reports/open-points.md.j2": "# To agree\n\n{% for p in points %}\n* {{ plain(p.note) }}\n"
                                 "{% endfor %}\n",
}


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A firm's precedents folder replacing every piece of the tool's own wording."""
    folder = tmp_path_factory.mktemp("firm")
    for name, text in FIRM.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def copy(source: Path, to: Path, file: str, old: str, new: str) -> Path:
    """A copy of an example with one piece of text in one of its files changed."""
    shutil.copytree(source, to)
    path = to / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return to


def docx_part(docx: Path | bytes, name: str) -> str:
    with zipfile.ZipFile(docx if isinstance(docx, Path) else io.BytesIO(docx)) as archive:
        return archive.read(name).decode("utf-8")


def core(docx: Path | bytes, tag: str) -> str:
    """A Word document property: ``title``, ``subject``."""
    found = re.search(rf"<dc:{tag}>([^<]*)</dc:{tag}>", docx_part(docx, "docProps/core.xml"))
    assert found, tag
    return found[1]


# --- the draft marking and the reports of a build -----------------------------------------------

def test_our_draft_marking_and_none_when_final(tmp_path: Path) -> None:
    assert render_agreement(load_agreement(HARINGEY)).meta["draft_marking"] == \
        "Draft (3) \u2014 12.09.2016 \u2014 subject to contract"
    final = copy(HARINGEY, tmp_path / "final", "agreement.yaml", "status: draft", "status: final")
    assert render_agreement(load_agreement(final)).meta["draft_marking"] == ""


def test_a_firm_replaces_the_draft_marking_and_both_reports(firm: Path, tmp_path: Path) -> None:
    out, _ = build_agreement(HARINGEY, tmp_path, templates=[firm])
    committed = ROOT / "build" / out.name
    # The clause text is the same; the marking (the cover, the header) and the reports are the firm's.
    assert (out / "agreement.md").read_bytes() == (committed / "agreement.md").read_bytes()
    for docx in [out / "agreement.docx", *sorted((out / "schedules").glob("*.docx"))]:
        assert "PROJET Draft (3) (12.09.2016)" in docx_text(docx)  # escapes read back as text
        assert "PROJET Draft (3) (12.09.2016)" in docx_part(docx, "word/header1.xml")
        assert "subject to contract" not in docx_text(docx)
    points = (out / "open-points.md").read_text(encoding="utf-8")
    assert points.startswith("# To agree\n\n* date of the agreement to be inserted on completion\n")
    compliance = (out / "compliance.md").read_text(encoding="utf-8")
    assert compliance.startswith("# Compliance of Section 75 Partnership Agreement between ")
    assert "\n- reg 4(2): no\n" in compliance  # consultation is still an open point


def test_open_points_says_none_when_there_are_none() -> None:
    document = build_tree("# Terms {.body}\n\n## Term\n\n1. It lasts.\n")
    document.meta = {"title": "A | B"}
    assert open_points_markdown(document, template_dirs()) == "# Open points: A | B\n\nNone.\n"


def test_a_bar_in_a_scheme_title_cannot_shift_the_compliance_columns(tmp_path: Path) -> None:
    folder = copy(OXON, tmp_path / "bar", "schedules/live-well.yaml",
                  "title: Live Well (Adults with Support Needs)",
                  "title: Live Well | Adults with Support Needs")
    prepared = prepare(folder)
    assert prepared.document is not None
    text = compliance_markdown("T", prepared.compliance, template_dirs())
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert any("Live Well \\| Adults" in row for row in rows)
    assert {len(re.findall(r"(?<!\\)\|", row)) for row in rows} == {6}


# --- "the Partners jointly" -------------------------------------------------------------------

@pytest.mark.parametrize("use_firm", [False, True], ids=["ours", "firm"])
def test_the_partners_jointly_comes_from_a_template(use_firm: bool, firm: Path,
                                                    tmp_path: Path) -> None:
    folder = copy(HARINGEY, tmp_path / "joint", "schedules/camhs.yaml",
                  "arrangements: [pooled_fund, joint_commissioning]",
                  "arrangements: [pooled_fund, integrated_provision]")
    loaded = load_agreement(folder)
    templates = [firm] if use_firm else None
    document = render_agreement(loaded, templates)
    files = document_files(loaded, document, "agreement", ("md", "docx"),
                           reference_docx(user_template_dirs(loaded, templates)))
    phrase = "both Partners together" if use_firm else "the Partners jointly"
    expected = f"The Services are provided in an integrated way by {phrase}."
    assert expected in files["agreement.md"].decode("utf-8")
    (tmp_path / "agreement.docx").write_bytes(files["agreement.docx"])
    assert expected in docx_text(tmp_path / "agreement.docx")


# --- the deed, the agreement as varied and the redline ------------------------------------------

@pytest.fixture(scope="module")
def new(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy(OXON, tmp_path_factory.mktemp("new") / "oxon", "agreement.yaml",
                "notice: 6 months", "notice: 9 months")


@pytest.mark.parametrize("use_firm", [False, True], ids=["ours", "firm"])
def test_deed_and_as_varied_titles_and_marking(use_firm: bool, firm: Path, new: Path,
                                               tmp_path: Path) -> None:
    out = write_variation(OXON, new, VARIED, "to lengthen the notice period", tmp_path / "deed",
                          templates=[firm] if use_firm else None)
    deed, varied = out / "deed-of-variation.docx", out / "agreement-as-varied.docx"
    if use_firm:
        title, marking = f"Acte modificatif: {OXON_TITLE}", "Projet d\u2019acte 01.10.2022"
        varied_title = f"{OXON_TITLE}, consolidated 01.10.2022"
    else:
        title = f"Deed of Variation: {OXON_TITLE}"
        marking = "Draft deed of variation \u2014 01.10.2022 \u2014 subject to contract"
        varied_title = f"{OXON_TITLE} (as varied by a deed with effect from 1 October 2022)"
    assert core(deed, "title") == title and docx_text(deed).startswith(title + "\n")
    assert marking in docx_part(deed, "word/header1.xml") and marking in docx_text(deed)
    assert core(varied, "title") == varied_title and docx_text(varied).startswith(varied_title)


@pytest.mark.parametrize("use_firm", [False, True], ids=["ours", "firm"])
def test_redline_subject(use_firm: bool, firm: Path, new: Path) -> None:
    data = redline_bytes(OXON, new, templates=[firm] if use_firm else None)
    expected = "Redline Draft for finalisation to Draft for finalisation" if use_firm else \
        ("oxfordshire-s75-2022: redline of Draft for finalisation (2022-03-15) against "
         "Draft for finalisation (2022-03-15)")
    assert core(data, "subject") == expected
