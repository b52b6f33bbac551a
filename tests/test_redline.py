"""Redlines: NEW against OLD as Word tracked changes. Accepting every change gives NEW's Word
text, rejecting every change gives OLD's; the file opens in LibreOffice and is deterministic."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from s75docs.document.nodes import Document
from s75docs.document.resolve import build_tree
from s75docs.pipeline import document_files, reference_docx, user_template_dirs
from s75docs.versions.compare import load_version
from s75docs.versions.redline import accept, redline_document, reject, write_redline

ROOT = Path(__file__).resolve().parent.parent
OLD = ROOT / "examples" / "oxfordshire-2022"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
TIMEOUT = 120


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def new(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Oxfordshire agreement with money moved, a notice changed and lines added and gone."""
    folder = tmp_path_factory.mktemp("versions") / "oxfordshire-2022"
    shutil.copytree(OLD, folder)
    budget = folder / "budgets" / "live-well.csv"
    # (a) £1.5m moved between two of the Council's lines, £0.5m of it to a new line (c).
    edit(budget, 'autism,2022/23,"£62,000,000"', 'autism,2022/23,"£60,500,000"')
    edit(budget, 'mental health,2022/23,"£22,000,000"', 'mental health,2022/23,"£23,000,000"')
    with budget.open("a", encoding="utf-8") as stream:
        stream.write('council,Adult social care: autism support,2022/23,"£500,000",pooled\n')
    agreement = folder / "agreement.yaml"
    edit(agreement, "  notice: 6 months\n", "  notice: 9 months\n")
    # (b) a shorter-notice event's text and period changed; (c) another event added.
    edit(agreement, "the Partners have not been able to agree their Contributions for the coming "
         "Financial Year\n      notice: {to_be_agreed: \"shorter notice period when Contributions "
         "are not agreed (the report to Cabinet of 15 March 2022 does not give it)\"}\n",
         "the Partners have not been able to agree their Contributions for the coming "
         "Financial Year\n      notice: 2 months\n"
         "    - event: a Partner ceases to have the functions that a Scheme covers\n"
         "      notice: 1 month\n")
    # A paragraph that goes altogether.
    edit(folder / "schedules" / "live-well.yaml",
         "  - use single purchasing and contracting across health and social care where that "
         "gives better value\n", "")
    return folder


@pytest.fixture(scope="module")
def redline(new: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_redline(OLD, new, tmp_path_factory.mktemp("redline") / "redline.docx",
                         author="Legal Services")


def normal_docx(folder: Path) -> bytes:
    """The agreement's .docx exactly as ``s75docs build`` writes it."""
    version = load_version(folder)
    files = document_files(version.loaded, version.document, "agreement", ("docx",),
                           reference_docx(user_template_dirs(version.loaded)))
    return files["agreement.docx"]


def document_xml(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read("word/document.xml"))


def _unwrap(node: etree._Element) -> None:
    parent = node.getparent()
    index = parent.index(node)
    for offset, child in enumerate(list(node)):
        parent.insert(index + offset, child)
    parent.remove(node)


def resolve(root: etree._Element, keep: str) -> etree._Element:
    """Every tracked change accepted (``keep="ins"``) or rejected (``keep="del"``), as Word
    does: the other kind's text goes, with paragraphs and rows whose mark is of that kind."""
    drop = "del" if keep == "ins" else "ins"
    for p in root.xpath(f"//w:p[w:pPr/w:rPr/w:{drop}]", namespaces=NS):
        p.getparent().remove(p)
    for tr in root.xpath(f"//w:tr[w:trPr/w:{drop}]", namespaces=NS):
        tr.getparent().remove(tr)
    for marker in root.xpath(f"//w:pPr/w:rPr/w:{keep} | //w:trPr/w:{keep}", namespaces=NS):
        marker.getparent().remove(marker)
    for wrapper in root.xpath(f"//w:{drop}", namespaces=NS):
        wrapper.getparent().remove(wrapper)
    for wrapper in root.xpath(f"//w:{keep}", namespaces=NS):
        _unwrap(wrapper)
    for deleted in root.xpath("//w:delText", namespaces=NS):
        deleted.tag = w("t")
    for deleted in root.xpath("//w:delInstrText", namespaces=NS):
        deleted.tag = w("instrText")
    return root


def paragraphs(root: etree._Element) -> list[tuple[str, str]]:
    """(style, text) of every paragraph of the body, table cells included."""
    out = []
    for p in root.iter(w("p")):
        style = p.xpath("w:pPr/w:pStyle/@w:val", namespaces=NS)
        out.append((style[0] if style else "", "".join(p.xpath(".//w:t/text()",
                                                                 namespaces=NS))))
    return out


def test_accepting_every_change_gives_the_new_agreement(redline: Path, new: Path) -> None:
    accepted = resolve(document_xml(redline.read_bytes()), keep="ins")
    assert paragraphs(accepted) == paragraphs(document_xml(normal_docx(new)))


def test_rejecting_every_change_gives_the_old_agreement(redline: Path) -> None:
    rejected = resolve(document_xml(redline.read_bytes()), keep="del")
    assert paragraphs(rejected) == paragraphs(document_xml(normal_docx(OLD)))


def test_changes_are_marked_where_they_are(redline: Path) -> None:
    root = document_xml(redline.read_bytes())
    inserted = "".join(root.xpath("//w:ins//w:t/text()", namespaces=NS))
    deleted = "".join(root.xpath("//w:del//w:delText/text()", namespaces=NS))
    for words in ("nine", "two", "£60,500,000", "£23,000,000", "autism support", "£500,000",
                  "a Partner ceases to have the functions that a Scheme covers"):
        assert words in inserted, words
    for words in ("six", "shorter notice period when Contributions are not agreed",
                  "£62,000,000", "£22,000,000",
                  "use single purchasing and contracting"):
        assert words in deleted, words
    assert not root.xpath("//w:ins//w:delText | //w:del//w:t", namespaces=NS)
    # A whole paragraph inserted or deleted has its paragraph mark marked; so has a new row.
    marked = {(p.xpath("w:pPr/w:rPr/*", namespaces=NS)[0].tag, "".join(
        p.xpath(".//w:t/text() | .//w:delText/text()", namespaces=NS)))
        for p in root.xpath("//w:p[w:pPr/w:rPr/w:ins or w:pPr/w:rPr/w:del]", namespaces=NS)}
    assert (w("ins"), "a Partner ceases to have the functions that a Scheme covers: not less "
            "than one month’s written notice.") in marked
    assert any(tag == w("del") and text.startswith("use single purchasing")
               for tag, text in marked)
    rows = root.xpath("//w:tr[w:trPr/w:ins]", namespaces=NS)
    assert len(rows) == 1 and "autism support" in "".join(rows[0].itertext())
    # Ids: unique, in document order, after the bookmarks'; author and date as given.
    revisions = root.xpath("//w:ins | //w:del", namespaces=NS)
    ids = [int(r.get(w("id"))) for r in revisions]
    bookmarks = root.xpath("//w:bookmarkStart/@w:id", namespaces=NS)
    assert ids == list(range(len(bookmarks), len(bookmarks) + len(ids)))
    assert {r.get(w("author")) for r in revisions} == {"Legal Services"}
    assert {r.get(w("date")) for r in revisions} == {"2022-03-15T00:00:00Z"}  # NEW's version date


def test_the_tree_redline_accepts_and_rejects_to_each_version(new: Path) -> None:
    old_doc, new_doc = load_version(OLD).document, load_version(new).document
    merged = redline_document(old_doc, new_doc)
    for kind in ("clause", "text", "bullet", "heading"):
        accepted = [accept(b.spans) for p in merged.parts for b in p.blocks
                    if b.kind == kind and b.change != "del"]
        rejected = [reject(b.spans) for p in merged.parts for b in p.blocks
                    if b.kind == kind and b.change != "ins"]
        assert accepted == [b.plain() for p in new_doc.parts for b in p.blocks if b.kind == kind]
        assert rejected == [b.plain() for p in old_doc.parts for b in p.blocks if b.kind == kind]


def test_same_versions_same_bytes(redline: Path, new: Path, tmp_path: Path) -> None:
    again = write_redline(OLD, new, tmp_path / "again.docx", author="Legal Services")
    assert again.read_bytes() == redline.read_bytes()


def test_unchanged_agreement_has_no_tracked_changes(tmp_path: Path) -> None:
    same = write_redline(OLD, OLD, tmp_path / "same.docx")
    root = document_xml(same.read_bytes())
    assert not root.xpath("//w:ins | //w:del", namespaces=NS)
    assert paragraphs(root) == paragraphs(document_xml(normal_docx(OLD)))


def test_markdown_redline_uses_criticmarkup(new: Path, tmp_path: Path) -> None:
    text = write_redline(OLD, new, tmp_path / "redline.md").read_text(encoding="utf-8")
    assert ("22.1 Any Partner may terminate this Agreement, or any Scheme, by giving the other "
            "Partners not less than {--six--}{++nine++} months’ written notice.") in text
    assert "not less than {--[shorter notice period when Contributions are not agreed" in text
    assert "{++two months’ written notice; or++}" in text
    assert ("22.2.3 {++a Partner ceases to have the functions that a Scheme covers: not less "
            "than one month’s written notice.++}") in text
    assert "{--£62,000,000--}{++£60,500,000++}" in text


def test_command_line(new: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.docx"
    result = subprocess.run([sys.executable, "-m", "s75docs", "redline", str(OLD), str(new),
                             "-o", str(out), "--author", "Legal Services", "--date",
                             "2022-07-01"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    dates = set(document_xml(out.read_bytes()).xpath("//w:ins/@w:date", namespaces=NS))
    assert dates == {"2022-07-01T00:00:00Z"}
    result = subprocess.run([sys.executable, "-m", "s75docs", "redline", str(OLD), str(new),
                             "--rev", "HEAD"], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "not both" in result.stderr


def test_redline_converts_in_libreoffice(redline: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is not installed, and CI is set")
        pytest.skip("LibreOffice (soffice) is not installed")
    source = tmp_path / "redline.docx"
    shutil.copy(redline, source)
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=TIMEOUT, cwd=tmp_path)
    pdf = tmp_path / "redline.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 10_000
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run([pdftotext, str(pdf), "-"], check=True, capture_output=True,
                              timeout=TIMEOUT).stdout.decode("utf-8")
        assert "sixnine months" in " ".join(text.split())  # both shown, marked as changes
        assert "Error! Reference" not in text


def test_a_renamed_body_reads_as_one_deletion_and_one_insertion() -> None:
    from s75docs.document.nodes import Span
    from s75docs.versions.redline import word_diff

    old = [Span("text", "NHS Oxfordshire Clinical Commissioning Group of Oxford")]
    new = [Span("text", "NHS Buckinghamshire, Oxfordshire and Berkshire West Integrated Care "
                        "Board of Oxford")]
    spans = word_diff(old, new)
    assert accept(spans) == new[0].text and reject(spans) == old[0].text
    assert [(s.change, s.text) for s in spans] == [
        (None, "NHS"), ("del", " Oxfordshire Clinical Commissioning Group"),
        ("ins", " Buckinghamshire, Oxfordshire and Berkshire West Integrated Care Board"),
        (None, " of Oxford")]


SMALL = """\
# Agreement between A and {title} {{.front}}

THIS AGREEMENT is dated 1 April 2022.

# Agreed Terms {{.body}}

## Term

1. This Agreement starts on 1 April 2022. {{#start}}
{extra}
## Notices

1. Notices under {{@start}} go to the Partner's address.
{schedule}"""


def small(title: str, extra: str = "", schedule: str = "") -> Document:
    return build_tree(SMALL.format(title=title, extra=extra, schedule=schedule))


def test_retitled_added_and_removed_parts_and_a_deleted_clause_resolve_both_ways() -> None:
    """A successor's name in the title is tracked, a schedule only one version has comes or
    goes whole (heading included), and a clause cited elsewhere keeps its bookmark."""
    import datetime as dt

    from s75docs.write.docx import DocxMeta, write_docx
    from s75docs.write.markdown import write_markdown

    old = small("the CCG", extra="1. A clause that goes.\n",
                schedule="\n# Old Schedule {.schedule} {#old}\n\n1. Gone with it.\n")
    new = small("the ICB", schedule="\n# New Schedule {.schedule} {#new}\n\n1. Here now.\n")
    merged = redline_document(old, new)
    reference = ROOT / "s75docs" / "templates" / "reference.docx"
    meta = DocxMeta(title="Agreement", core_date=dt.date(2022, 4, 1))
    data = write_docx(merged, meta, reference)
    root = document_xml(data)
    assert paragraphs(resolve(document_xml(data), keep="ins")) == \
        paragraphs(document_xml(write_docx(new, meta, reference)))
    rejected = paragraphs(resolve(root, keep="del"))
    expected = paragraphs(document_xml(write_docx(old, meta, reference)))
    # The deleted schedule is kept at the end of the redline: the same paragraphs, reordered.
    # The contents list the headings as they now read (Word rebuilds the field anyway).
    assert sorted(p for p in rejected if p[0] != "TOC1") == \
        sorted(p for p in expected if p[0] != "TOC1")
    markdown = write_markdown(merged)
    assert "# AGREEMENT BETWEEN A AND THE {--CCG--}{++ICB++}" in markdown
    assert "# {++Schedule 1: New Schedule++}" in markdown
    assert "# {--Schedule 1: Old Schedule--}" in markdown
    assert "{--A clause that goes.--}" in markdown
    # The reference to clause 1.1 still points at a bookmark round the (unchanged) clause.
    bookmarks = root.xpath("//w:bookmarkStart/@w:name", namespaces=NS)
    fields = root.xpath("//w:instrText/text()", namespaces=NS)
    assert any(name in field for name in bookmarks for field in fields if "REF" in field)


def settings_xml(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read("word/settings.xml"))


def test_redline_switches_on_track_changes(redline: Path) -> None:
    """The other side's edits to the redline come back tracked; an agreement is not tracked."""
    settings = settings_xml(redline.read_bytes())
    names = [etree.QName(child).localname for child in settings]
    assert names.count("trackRevisions") == 1
    assert names.index("trackRevisions") < names.index("defaultTabStop")  # the schema's order
    assert not settings_xml(normal_docx(OLD)).xpath("//w:trackRevisions", namespaces=NS)


def test_redline_is_dated_at_the_new_versions_date(tmp_path: Path) -> None:
    later = tmp_path / "later"
    shutil.copytree(OLD, later)
    edit(later / "agreement.yaml", "version_date: 2022-03-15", "version_date: 2022-07-01")
    edit(later / "agreement.yaml", "  notice: 6 months\n", "  notice: 9 months\n")
    data = write_redline(OLD, later, tmp_path / "redline.docx").read_bytes()
    dates = set(document_xml(data).xpath("//w:ins/@w:date | //w:del/@w:date", namespaces=NS))
    assert dates == {"2022-07-01T00:00:00Z"}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"2022-07-01T00:00:00Z</dcterms:modified>" in archive.read("docProps/core.xml")


def _view(markdown: str, keep: str) -> str:
    """CriticMarkup resolved: ``keep="ins"`` accepts every change, ``"del"`` rejects them."""
    import re

    drop = "--" if keep == "ins" else r"\+\+"
    kept = r"\+\+" if keep == "ins" else "--"
    markdown = re.sub(rf"\{{{drop}.*?{drop}\}}", "", markdown)
    return re.sub(rf"\{{{kept}(.*?){kept}\}}", r"\1", markdown)


def test_markdown_redline_never_splits_emphasis() -> None:
    """A change inside a bold name sits wholly inside its ``**``; a bold paragraph inserted
    whole has its ``**`` wholly inside the CriticMarkup; either way, accepting or rejecting
    the changes leaves Markdown that reads the whole name as bold."""
    from markdown_it import MarkdownIt

    from s75docs.write.markdown import write_markdown

    ccg = "NHS Oxfordshire Clinical Commissioning Group"
    icb = "NHS Buckinghamshire, Oxfordshire and Berkshire West Integrated Care Board"
    old = small("the CCG", extra=f"1. Signed for **{ccg}** by its officer.\n")
    new = small("the ICB", extra=f"1. Signed for **{icb}** by its officer.\n\n"
                                 "1. **A wholly bold new clause.**\n")
    markdown = write_markdown(redline_document(old, new))
    assert "****" not in markdown
    assert ("Signed for **NHS {--Oxfordshire Clinical Commissioning Group--}{++Buckinghamshire, "
            "Oxfordshire and Berkshire West Integrated Care Board++}** by its officer.") in markdown
    assert "{++**A wholly bold new clause.**++}" in markdown
    render = MarkdownIt().render
    accepted, rejected = render(_view(markdown, "ins")), render(_view(markdown, "del"))
    assert f"<strong>{icb}</strong>" in accepted and ccg not in accepted
    assert "<strong>A wholly bold new clause.</strong>" in accepted
    assert f"<strong>{ccg}</strong>" in rejected and "wholly bold" not in rejected
    assert "**" not in accepted + rejected  # every marker paired


def test_a_redline_keeps_open_points_and_escapes_only_data_brackets() -> None:
    """An open point in a changed paragraph stays an open point: ``[note]`` with the tool's own
    brackets, highlighted in Word, changed as a whole; a bracket in the data stays escaped, and
    the Markdown still reads back as the text (CommonMark)."""
    from markdown_it import MarkdownIt

    from s75docs.write.markdown import write_markdown

    old = small("the CCG", extra="1. The [data] host is {?host partner to be agreed} for now.\n\n"
                                 "1. Chair: {?chair to be agreed}, then review.\n")
    new = small("the ICB", extra="1. The [data] host is {?host partner to follow the lead} "
                                 "from today.\n\n1. Chair: {?chair to be agreed}, then a review.\n")
    document = redline_document(old, new)
    markdown = write_markdown(document)
    assert "{--[host partner to be agreed]--}" in markdown
    assert "{++[host partner to follow the lead]++}" in markdown
    assert "Chair: [chair to be agreed], then" in markdown
    assert "\\[data\\]" in markdown and "\\[host" not in markdown and "\\[chair" not in markdown
    notes = [p.note for p in document.open_points()]
    assert notes == ["host partner to be agreed", "host partner to follow the lead",
                     "chair to be agreed"]
    accepted = MarkdownIt("commonmark").render(_view(markdown, "ins"))
    assert "The [data] host is [host partner to follow the lead] from today." in accepted
    assert "<a " not in accepted
