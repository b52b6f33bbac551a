"""The Word writer: styles, real numbering, cross-reference fields, literal text, same bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from s75docs.document.nodes import NUMBERED_PARTS, Document, spans
from s75docs.document.resolve import build_tree
from s75docs.document.typography import curl
from s75docs.errors import S75Error
from s75docs.render.environment import escape_markdown
from s75docs.write.docx import DocxMeta, write_docx
from s75docs.write.docx_xml import clean

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "tree-sample.md"
REFERENCE = ROOT / "s75docs" / "templates" / "reference.docx"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
MARKING = "Draft (3) \u2014 12.09.2016 \u2014 subject to contract"
META = DocxMeta(
    title="Section 75 Partnership Agreement",
    core_date=dt.date(2022, 4, 1),
    parties=[("Oxfordshire County Council", "the Council"),
             ("NHS Buckinghamshire, Oxfordshire and Berkshire West Integrated Care Board",
              "the ICB")],
    draft_marking=MARKING,
    subject="OCC-BOB-2022",
)


def sample() -> Document:
    return build_tree(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def written() -> bytes:
    return write_docx(sample(), META, REFERENCE)


def part_xml(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read(name))


def text_of(paragraph: etree._Element) -> str:
    return "".join(paragraph.xpath(".//w:t/text()", namespaces=NS))


def style_names(data: bytes) -> dict[str, str]:
    styles = part_xml(data, "word/styles.xml")
    return {s.get(f"{{{W}}}styleId"): s.xpath("w:name/@w:val", namespaces=NS)[0]
            for s in styles.xpath("w:style", namespaces=NS)}


def body_paragraphs(data: bytes) -> list[tuple[str, etree._Element]]:
    """(style name, paragraph) for every paragraph of the document body, tables included."""
    names = style_names(data)
    document = part_xml(data, "word/document.xml")
    out = []
    for p in document.iter(f"{{{W}}}p"):
        style = p.xpath("w:pPr/w:pStyle/@w:val", namespaces=NS)
        out.append((names.get(style[0], style[0]) if style else "Normal", p))
    return out


def test_opens_with_python_docx(written: bytes) -> None:
    opened = docx.Document(io.BytesIO(written))
    texts = [p.text for p in opened.paragraphs]
    assert "THIS AGREEMENT is dated 1 April 2022." in texts
    assert len(opened.tables) == 2
    assert opened.sections[0].page_width.mm == pytest.approx(210, abs=0.5)  # A4
    assert opened.sections[0].page_height.mm == pytest.approx(297, abs=0.5)


def test_the_writer_leaves_no_reference_cycle() -> None:
    """Everything the writer makes is freed as soon as it is done with, not left for the
    collector: a cycle through the writer would hold its package (the reference's parsed parts)
    until a collection, and cost every build of a batch that collection's walk."""
    import gc

    document = sample()
    gc.collect()
    gc.disable()
    try:
        write_docx(document, META, REFERENCE)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        kept = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not kept & {"BodyWriter", "Package", "_Document", "_Element"}


def test_clauses_have_clause_styles_and_no_typed_numbers(written: bytes) -> None:
    document = sample()
    expected = [(f"Clause {b.level}", b.plain()) for p in document.parts
                if p.kind in NUMBERED_PARTS for b in p.blocks if b.kind == "clause"]
    found = [(style, text_of(p)) for style, p in body_paragraphs(written)
             if style.startswith("Clause ")]
    assert found == expected
    typed = re.compile(r"^\s*(\d+(\.\d+)*\.?|\([a-z]+\)|\([ivx]+\)|\([A-Z]\))\s")
    assert not [text for _, text in found if typed.match(text)]
    # Parties and recitals too: numbered by Word, not typed.
    front = [(style, text_of(p)) for style, p in body_paragraphs(written)
             if style in ("Parties", "Recitals")]
    assert [style for style, _ in front] == ["Parties"] * 2 + ["Recitals"] * 3
    assert not [text for _, text in front if typed.match(text)]


def test_one_multilevel_list_with_five_levels(written: bytes) -> None:
    numbering = part_xml(written, "word/numbering.xml")
    names = {v: k for k, v in style_names(written).items()}
    clause1 = names["Clause 1"]
    [abstract] = numbering.xpath(f'w:abstractNum[w:lvl/w:pStyle/@w:val="{clause1}"]',
                                 namespaces=NS)
    levels = {int(lvl.get(f"{{{W}}}ilvl")): lvl for lvl in abstract.xpath("w:lvl", namespaces=NS)}
    wanted = [("%1.", "decimal"), ("%1.%2", "decimal"), ("%1.%2.%3", "decimal"),
              ("(%4)", "lowerLetter"), ("(%5)", "lowerRoman")]
    for ilvl, (text, fmt) in enumerate(wanted):
        lvl = levels[ilvl]
        assert lvl.xpath("w:lvlText/@w:val", namespaces=NS) == [text]
        assert lvl.xpath("w:numFmt/@w:val", namespaces=NS) == [fmt]
        assert lvl.xpath("w:pStyle/@w:val", namespaces=NS) == [names[f"Clause {ilvl + 1}"]]
        ind = lvl.xpath("w:pPr/w:ind", namespaces=NS)[0]
        assert int(ind.get(f"{{{W}}}hanging")) > 0
    lefts = [int(levels[i].xpath("w:pPr/w:ind/@w:left", namespaces=NS)[0]) for i in range(5)]
    assert lefts == sorted(lefts) and lefts[4] > lefts[1]  # stepping in
    # Each Clause N style is linked to the list through its own numPr.
    styles = part_xml(written, "word/styles.xml")
    for level in range(1, 6):
        [style] = styles.xpath(f'w:style[@w:styleId="{names[f"Clause {level}"]}"]', namespaces=NS)
        assert style.xpath("w:pPr/w:numPr/w:numId/@w:val", namespaces=NS)


def test_each_numbered_part_restarts_its_own_list(written: bytes) -> None:
    numbering = part_xml(written, "word/numbering.xml")
    names = {v: k for k, v in style_names(written).items()}
    [abstract_id] = numbering.xpath(
        f'w:abstractNum[w:lvl/w:pStyle/@w:val="{names["Clause 1"]}"]/@w:abstractNumId',
        namespaces=NS)
    part_nums: list[set[str]] = []
    for style, p in body_paragraphs(written):
        if style in ("Part Heading", "Agreement Title"):
            part_nums.append(set())
        elif style.startswith("Clause "):
            part_nums[-1].update(p.xpath("w:pPr/w:numPr/w:numId/@w:val", namespaces=NS))
    numbered = [nums for nums in part_nums if nums]
    assert len(numbered) == 4  # agreed terms, two schedules, one scheme
    assert all(len(nums) == 1 for nums in numbered)
    ids = [next(iter(nums)) for nums in numbered]
    assert len(set(ids)) == 4
    for num_id in ids:
        [num] = numbering.xpath(f'w:num[@w:numId="{num_id}"]', namespaces=NS)
        assert num.xpath("w:abstractNumId/@w:val", namespaces=NS) == [abstract_id]
        starts = {int(o.get(f"{{{W}}}ilvl")): o.xpath("w:startOverride/@w:val", namespaces=NS)
                  for o in num.xpath("w:lvlOverride", namespaces=NS)}
        assert all(starts[i] == ["1"] for i in range(5))


def fields(data: bytes) -> list[tuple[str, str]]:
    """(instruction, shown text) of every complex field in the body."""
    document = part_xml(data, "word/document.xml")
    out: list[tuple[str, str]] = []
    state, instruction, shown = "", "", ""
    for node in document.iter(f"{{{W}}}fldChar", f"{{{W}}}instrText", f"{{{W}}}t"):
        if node.tag == f"{{{W}}}fldChar":
            kind = node.get(f"{{{W}}}fldCharType")
            if kind == "begin":
                state, instruction, shown = "instr", "", ""
            elif kind == "separate":
                state = "result"
            elif kind == "end":
                out.append((instruction.strip(), shown))
                state = ""
        elif node.tag == f"{{{W}}}instrText" and state == "instr":
            instruction += node.text or ""
        elif node.tag == f"{{{W}}}t" and state == "result":
            shown += node.text or ""
    return out


def bookmarked_text(data: bytes) -> dict[str, tuple[str, str]]:
    """bookmark name -> (text inside the bookmark, text of its whole paragraph)."""
    out = {}
    for _, p in body_paragraphs(data):
        for start in p.xpath("w:bookmarkStart", namespaces=NS):
            name, bid = start.get(f"{{{W}}}name"), start.get(f"{{{W}}}id")
            inside, on = [], False
            for node in p.iter(f"{{{W}}}bookmarkStart", f"{{{W}}}bookmarkEnd", f"{{{W}}}t"):
                if node.tag.endswith("bookmarkStart") and node.get(f"{{{W}}}id") == bid:
                    on = True
                elif node.tag.endswith("bookmarkEnd") and node.get(f"{{{W}}}id") == bid:
                    on = False
                elif node.tag.endswith("}t") and on:
                    inside.append(node.text or "")
            out[name] = ("".join(inside), text_of(p))
    return out


def test_cross_references_are_ref_fields_to_bookmarks(written: bytes) -> None:
    document = sample()
    refs = [s for s in spans(document.parts) if s.kind == "ref"]
    ref_fields = [(i, shown) for i, shown in fields(written) if i.startswith("REF ")]
    assert [shown for _, shown in ref_fields] == [s.number for s in refs]
    marks = bookmarked_text(written)
    for span, (instruction, _) in zip(refs, ref_fields, strict=False):
        name = instruction.split()[1]
        assert re.fullmatch(r"_Ref_s75_\d{4}", name)
        part, block = document.labels[span.target]
        inside, paragraph = marks[name]
        if block is None:  # a whole part: the bookmark holds its name, the field shows its text
            assert "\\w" not in instruction and inside == span.number
        else:  # a clause: the field shows the paragraph's number in full context
            assert instruction == f"REF {name} \\w \\h"
            assert paragraph == block.plain()
    # The text around each field is the tree's, so the paragraph reads as in the Markdown.
    texts = [text_of(p) for _, p in body_paragraphs(written)]
    assert "Any overspend is shared as set out in paragraph 2 of Scheme 1, and reports under " \
           "clause 3.2.2(a) are considered by the board described in Schedule 1." in texts
    # Bookmark names are numbered in document order.
    names = [n for n in marks if n.startswith("_Ref_s75_")]
    assert names == sorted(names)


def test_open_points_are_highlighted_and_terms_bold(written: bytes) -> None:
    document = part_xml(written, "word/document.xml")
    highlighted = ["".join(r.xpath("w:t/text()", namespaces=NS)) for r in document.iter(f"{{{W}}}r")
                   if r.xpath('w:rPr/w:highlight[@w:val="yellow"]', namespaces=NS)]
    assert highlighted == ["[length of any extension to be agreed]"]
    bold = {"".join(r.xpath("w:t/text()", namespaces=NS)) for r in document.iter(f"{{{W}}}r")
            if r.xpath("w:rPr/w:b", namespaces=NS)}
    for term in ("Agreement", "Partners", "Partner", "Pooled Fund", "Regulations", "Council"):
        assert f"\u201c{term}\u201d" in bold
    assert "\u00a31,000,000" in bold  # **strong** text
    italic = {"".join(r.xpath("w:t/text()", namespaces=NS)) for r in document.iter(f"{{{W}}}r")
              if r.xpath("w:rPr/w:i", namespaces=NS)}
    assert italic == {"unless"}


def test_tables_have_style_header_row_and_alignment(written: bytes) -> None:
    document = part_xml(written, "word/document.xml")
    names = {v: k for k, v in style_names(written).items()}
    tables = document.xpath("//w:tbl", namespaces=NS)
    assert len(tables) == 2
    for table in tables:
        assert table.xpath("w:tblPr/w:tblStyle/@w:val", namespaces=NS) == [names["Agreement Table"]]
        rows = table.xpath("w:tr", namespaces=NS)
        assert rows[0].xpath("w:trPr/w:tblHeader", namespaces=NS)
        assert not rows[1].xpath("w:trPr/w:tblHeader", namespaces=NS)
        header_runs = rows[0].xpath(".//w:r", namespaces=NS)
        assert header_runs and all(r.xpath("w:rPr/w:b", namespaces=NS) for r in header_runs)
        widths = [int(w) for w in table.xpath("w:tblGrid/w:gridCol/@w:w", namespaces=NS)]
        assert all(w > 700 for w in widths)
    quorum = tables[0].xpath("w:tr[2]/w:tc[3]/w:p", namespaces=NS)[0]
    assert quorum.xpath("w:pPr/w:jc/@w:val", namespaces=NS) == ["right"]
    assert text_of(quorum) == "3"
    first = tables[0].xpath("w:tr[2]/w:tc[1]/w:p", namespaces=NS)[0]
    assert not first.xpath("w:pPr/w:jc", namespaces=NS)


def test_parts_start_on_new_pages_with_part_headings(written: bytes) -> None:
    headings = [(style, text_of(p), bool(p.xpath("w:pPr/w:pageBreakBefore", namespaces=NS)))
                for style, p in body_paragraphs(written)
                if style in ("Part Heading", "Agreement Title")]
    assert headings == [
        ("Agreement Title", "Section 75 Partnership Agreement", True),  # after the contents
        ("Part Heading", "Agreed Terms", True),
        ("Part Heading", "Schedule 1: Governance", True),
        ("Part Heading", "Schedule 2: Scheme Specifications", True),
        ("Part Heading", "Scheme 1: Better Care Fund", True),
        ("Part Heading", "Execution", True),
    ]
    sub = [text_of(p) for style, p in body_paragraphs(written) if style == "Sub Heading"]
    assert sub == ["Contributions"]
    bullets = [text_of(p) for style, p in body_paragraphs(written) if style == "List Bullet"]
    assert bullets == ["the Council: \u00a31,000,000;", "the ICB: \u00a32,500,000."]


def test_cover_contents_header_and_footer(written: bytes) -> None:
    texts = [text_of(p) for _, p in body_paragraphs(written)]
    assert texts[0] == META.title
    assert META.parties[0][0] in texts and META.parties[1][0] in texts
    assert texts.count(MARKING) == 1  # on the cover
    assert "Dated " in texts  # no date yet: a line to fill in
    toc = [i for i, _ in fields(written) if i.startswith("TOC ")]
    # Outline levels 1 and 2 only, so that updating it lists each entry once, without the title.
    assert toc == ['TOC \\o "1-2" \\h \\z']
    contents = [(style, text_of(p)) for style, p in body_paragraphs(written)
                if style.startswith("toc ")]
    assert contents[:3] == [("toc 1", "Agreed Terms"), ("toc 2", "1.Definitions and Interpretation"),
                            ("toc 2", "2.Commencement and Duration")]
    header = part_xml(written, "word/header1.xml")
    assert "".join(header.xpath("//w:t/text()", namespaces=NS)) == MARKING
    [style] = header.xpath("//w:pStyle/@w:val", namespaces=NS)
    assert style_names(written)[style] == "Draft Marking"
    assert part_xml(written, "word/styles.xml").xpath(
        f'w:style[@w:styleId="{style}"]/w:pPr/w:jc/@w:val', namespaces=NS) == ["right"]
    footer = part_xml(written, "word/footer1.xml")
    instructions = [t.strip() for t in footer.xpath("//w:instrText/text()", namespaces=NS)]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert "".join(footer.xpath("//w:t/text()", namespaces=NS)).startswith("Page ")


def test_final_document_has_no_marking() -> None:
    data = write_docx(sample(), DocxMeta(title=META.title, core_date=META.core_date,
                                         parties=META.parties, draft_marking=""), REFERENCE)
    header = part_xml(data, "word/header1.xml")
    assert "".join(header.xpath("//w:t/text()", namespaces=NS)) == ""
    assert "Draft" not in "".join(text_of(p) for _, p in body_paragraphs(data))


def test_same_input_same_bytes(written: bytes) -> None:
    assert write_docx(sample(), META, REFERENCE) == written
    with zipfile.ZipFile(io.BytesIO(written)) as archive:
        infos = archive.infolist()
        assert infos[0].filename == "[Content_Types].xml"
        assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
        everything = b"".join(archive.read(i) for i in infos if i.filename.endswith(".xml"))
    assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2022-04-01T00:00:00Z<" in core
    assert "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">2022-04-01T00:00:00Z<" in core
    assert "<dc:creator>s75docs</dc:creator>" in core
    assert "<cp:lastModifiedBy>s75docs</cp:lastModifiedBy>" in core
    assert "<cp:revision>1</cp:revision>" in core
    assert f"<dc:title>{META.title}</dc:title>" in core and "<dc:subject>OCC-BOB-2022<" in core
    for random_id in (b"w:rsid", b"w14:paraId", b"w14:textId", b"w15:docId", b"w14:docId"):
        assert random_id not in everything
    ids = [int(i) for i in re.findall(rb'<w:bookmarkStart w:id="(\d+)"', everything)]
    assert ids == list(range(len(ids)))


SCRIPT = """
import datetime as dt, hashlib, sys
from pathlib import Path
from s75docs.write.docx import DocxMeta, write_docx
from s75docs.document.resolve import build_tree
meta = DocxMeta(title={title!r}, core_date=dt.date(2022, 4, 1), parties={parties!r},
                draft_marking={marking!r}, subject={subject!r})
data = write_docx(build_tree(Path({sample!r}).read_text(encoding="utf-8")), meta,
                  Path({reference!r}))
print(hashlib.sha256(data).hexdigest())
"""


@pytest.mark.parametrize("env", [
    {"TZ": "Pacific/Kiritimati", "LC_ALL": "C", "PYTHONHASHSEED": "1"},
    {"TZ": "America/Los_Angeles", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "4242"},
])
def test_same_bytes_in_another_time_zone_locale_and_hash_seed(written: bytes,
                                                              env: dict[str, str]) -> None:
    script = SCRIPT.format(title=META.title, parties=META.parties, marking=META.draft_marking,
                           subject=META.subject, sample=str(SAMPLE), reference=str(REFERENCE))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, **env}, cwd=ROOT, timeout=120, check=True)
    assert result.stdout.strip() == hashlib.sha256(written).hexdigest()


HOSTILE = ("Smith & Jones <Ltd> {{ party }} {% if x %} {_{ %_} {#c#} \"quoted\" 'apos' "
           "\u2018curly\u2019 Caf\u00e9 \u015a\u0142\u0105sk \u65e5\u672c \U0001d518 "
           "\\back\\slash *star* _under_ [bracket] | pipe ]]> &amp; &#123;")


def test_hostile_text_comes_out_literally() -> None:
    long = "word " * 2000
    markdown = (f"# {escape_markdown(HOSTILE)} {{.body}}\n\n## Clause\n\n"
                f"1. Name: {escape_markdown(HOSTILE)}\n1. Long: {escape_markdown(long)}\n")
    document = build_tree(markdown)
    meta = DocxMeta(title=HOSTILE, core_date=dt.date(2016, 9, 12),
                    parties=[(HOSTILE, "the \u201cCouncil\u201d & co")], draft_marking=HOSTILE,
                    subject=HOSTILE)
    data = write_docx(document, meta, REFERENCE)
    texts = [text_of(p) for _, p in body_paragraphs(data)]
    shown = curl(HOSTILE)  # quotes curled, everything else as written
    assert shown != HOSTILE
    assert texts[0] == shown  # cover title, through docxtpl
    assert texts.count(shown) == 4  # title, party, marking, part heading (too short for contents)
    assert f"Name: {shown}" in texts
    assert f"Long: {' '.join(long.split())}" in texts
    header = part_xml(data, "word/header1.xml")
    assert "".join(header.xpath("//w:t/text()", namespaces=NS)) == shown
    opened = docx.Document(io.BytesIO(data))
    assert opened.core_properties.title == shown
    assert opened.core_properties.subject == HOSTILE  # the reference: data kept exact
    assert opened.core_properties.subject == HOSTILE


def test_characters_xml_cannot_hold_are_dropped_not_fatal() -> None:
    document = build_tree("# Title {.body}\n\n## Clause\n\n1. Bell\x07 and form\x0cfeed.\n")
    data = write_docx(document, DocxMeta(title="T\x01itle", core_date=dt.date(2020, 1, 1),
                                         draft_marking="Draft\x0b1"), REFERENCE)
    texts = [text_of(p) for _, p in body_paragraphs(data)]
    assert "Bell and formfeed." in texts and "Title" in texts


def test_reference_without_a_needed_style_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(REFERENCE) as source:
        entries = {i.filename: source.read(i) for i in source.infolist()}
    entries["word/styles.xml"] = entries["word/styles.xml"].replace(
        b'w:val="Clause 3"', b'w:val="Level 3"')
    broken = tmp_path / "reference.docx"
    with zipfile.ZipFile(broken, "w") as out:
        for name, data in entries.items():
            out.writestr(name, data)
    with pytest.raises(S75Error, match="no style named 'Clause 3'"):
        write_docx(sample(), META, broken)


def test_reference_docx_is_what_the_script_writes(tmp_path: Path) -> None:
    out = tmp_path / "reference.docx"
    subprocess.run([sys.executable, str(ROOT / "s75docs" / "templates" / "make_reference_docx.py"), str(out)],
                   check=True, capture_output=True, timeout=60)
    assert out.read_bytes() == REFERENCE.read_bytes()


# --- the page ----------------------------------------------------------------------------------

def outline_levels(data: bytes) -> dict[str, str]:
    """Each paragraph style's outline level (0 is level 1), by style name."""
    styles = part_xml(data, "word/styles.xml")
    names = style_names(data)
    return {names[s.get(f"{{{W}}}styleId")]: s.xpath("w:pPr/w:outlineLvl/@w:val", namespaces=NS)[0]
            for s in styles.xpath("w:style[w:pPr/w:outlineLvl]", namespaces=NS)}


def test_outline_levels_put_parts_above_clauses(written: bytes) -> None:
    levels = outline_levels(written)
    assert (levels["Part Heading"], levels["Clause 1"], levels["Agreement Title"]) == \
        ("0", "1", "9")
    # A schedule's paragraphs sit under their part, below the contents' two levels.
    document = part_xml(written, "word/document.xml")
    direct = document.xpath("//w:p/w:pPr/w:outlineLvl/@w:val", namespaces=NS)
    assert direct and set(direct) == {"2"}
    contents = [text_of(p) for style, p in body_paragraphs(written) if style.startswith("toc ")]
    assert not [c for c in contents if "Partnership Board" in c or "Overview" in c], contents


def test_the_document_language_is_british_english(written: bytes) -> None:
    assert docx.Document(io.BytesIO(written)).core_properties.language == "en-GB"
    styles = part_xml(written, "word/styles.xml")
    assert styles.xpath("//w:docDefaults//w:lang/@w:val", namespaces=NS) == ["en-GB"]
    assert styles.xpath("//w:docDefaults//w:widowControl", namespaces=NS)


def test_a_title_naming_the_parties_is_not_followed_by_them(written: bytes) -> None:
    titled = replace(META, title="Agreement between Oxfordshire County Council and the ICB",
                     dated="1 April 2022")
    texts = [text_of(p) for _, p in body_paragraphs(write_docx(sample(), titled, REFERENCE))]
    assert texts[1:3] == ["Dated 1 April 2022", MARKING]  # no "between" and the parties again
    assert [text_of(p) for _, p in body_paragraphs(written)][1:3] == ["between", META.parties[0][0]]


def test_the_cover_template_decides_whether_to_list_the_parties(tmp_path: Path) -> None:
    """The decision is the reference document's, not the writer's: a firm's cover that always
    lists the parties lists them under a title that names them too."""
    ours = zipfile.ZipFile(REFERENCE)
    theirs = tmp_path / "reference.docx"
    with zipfile.ZipFile(theirs, "w") as out:
        for item in ours.infolist():
            data = ours.read(item)
            if item.filename == "word/document.xml":
                tag = re.search(rb"\{%p if [^%]*between[^%]*%\}", data)
                assert tag is not None
                data = data.replace(tag.group(), b"{%p if true %}")
            out.writestr(item, data)
    titled = replace(META, title="Agreement between Oxfordshire County Council and the ICB")
    texts = [text_of(p) for _, p in body_paragraphs(write_docx(sample(), titled, theirs))]
    assert texts[1:3] == ["between", META.parties[0][0]]


def test_a_schedule_on_its_own_names_its_agreement_and_a_short_one_has_no_contents() -> None:
    scheme = build_tree("# Live Well {.scheme}\n\n## Aims\n\n1. Better lives.\n")
    meta = replace(META, title="Scheme 1: Live Well", part_of=META.title)
    data = write_docx(scheme, meta, REFERENCE)
    texts = [text_of(p) for _, p in body_paragraphs(data)]
    assert texts[:3] == ["Scheme 1: Live Well", "forming part of the", META.title]
    assert not [t for t in texts if t.startswith("Dated")]
    styles = {style for style, _ in body_paragraphs(data)}
    assert "TOC Heading" not in styles and "toc 1" not in styles
    assert not [i for i, _ in fields(data) if i.startswith("TOC ")]


def test_a_table_keeps_its_last_rows_and_total_together() -> None:
    rows = "".join(f"| line {n} | £{n} |\n" for n in range(20))
    document = build_tree(f"# T {{.body}}\n\n## Money\n\n1. The lines:\n\n| Line | £ |\n"
                          f"|---|--:|\n{rows}| Total | £190 |\n")
    data = write_docx(document, META, REFERENCE)
    table = part_xml(data, "word/document.xml").xpath("//w:tbl", namespaces=NS)[0]
    kept = [bool(tr.xpath(".//w:keepNext", namespaces=NS)) for tr in table.xpath("w:tr",
                                                                                 namespaces=NS)]
    assert kept[0] and kept[-3:] == [True, True, False] and not any(kept[1:-3])
    assert len(table.xpath("w:tr/w:trPr/w:cantSplit", namespaces=NS)) == len(kept)
    intro = table.getprevious()
    assert intro.xpath("w:pPr/w:keepNext", namespaces=NS)  # "The lines:" stays with its table
    short = build_tree("# T {.body}\n\n## Money\n\n| A | B |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n")
    table = part_xml(write_docx(short, META, REFERENCE), "word/document.xml").xpath(
        "//w:tbl", namespaces=NS)[0]
    assert [bool(tr.xpath(".//w:keepNext", namespaces=NS)) for tr in table.xpath(
        "w:tr", namespaces=NS)] == [True, True, False]  # a short table moves whole


def test_a_lead_in_stays_with_the_first_item_of_its_list() -> None:
    document = build_tree("# T {.body}\n\n## Staff\n\n1. The contributions are as follows:\n"
                          "   1. the Council provides staff.\n1. Staff remain employees:\n"
                          "1. Nothing else.\n")
    paragraphs = part_xml(write_docx(document, META, REFERENCE), "word/document.xml").xpath(
        "//w:body/w:p", namespaces=NS)
    kept = {"".join(p.xpath(".//w:t/text()", namespaces=NS)):
            bool(p.xpath("w:pPr/w:keepNext", namespaces=NS)) for p in paragraphs}
    assert kept["The contributions are as follows:"]
    assert not kept["the Council provides staff."]
    assert not kept["Staff remain employees:"]  # no list follows it


@given(st.text(st.characters(blacklist_categories=()), max_size=12))
@settings(max_examples=300, deadline=None)
def test_clean_drops_what_xml_forbids_and_spaces_line_ends(text: str) -> None:
    """``clean``'s shortcut for printable text gives what its substitutions give."""
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", text)
    assert clean(text) == expected.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def test_bookmarked_targets_are_the_references_outside_deleted_text() -> None:
    """The writer's own walk for the labels to bookmark finds what ``spans`` finds: references
    in titles, clauses, nested emphasis and table cells, none inside deleted text."""
    from s75docs.document.nodes import Block, Cell, Part, Span
    from s75docs.write.docx_body import ref_targets

    def ref(target: str, change: str | None = None) -> Span:
        return Span("ref", target=target, number="1", change=change)

    parts = [*sample().parts, Part("schedule", [ref("title")], blocks=[
        Block("text", [Span("strong", children=[ref("nested"), ref("gone", "del")])]),
        Block("text", [ref("deleted-block")], change="del"),
        Block("table", rows=[[Cell([ref("cell")]), Cell([Span("em", children=[ref("deep")])])]]),
    ]), Part("schedule", [ref("deleted-part")], change="del")]
    found = ref_targets(parts)
    expected = {s.target for s in spans(parts, without="del", kind="ref")}
    assert found == expected
    assert {"title", "nested", "cell", "deep"} <= found
    assert not {"gone", "deleted-block", "deleted-part"} & found


def test_a_build_s_documents_share_runs_but_not_a_reference_s() -> None:
    """An agreement and its scheme on its own, written with one ``shared``, come out as each
    does alone; a paragraph with a reference is not shared, since its field names the
    agreement's bookmark while the scheme on its own, without the clause, prints text."""
    from s75docs.document.resolve import select_parts
    from s75docs.write.docx_body import Shared

    text = SAMPLE.read_text(encoding="utf-8").replace(
        "1. Any overspend is shared in proportion to the contributions.",
        "1. Any overspend is shared in proportion to the contributions.\n"
        "1. The contributions are paid into the fund of {@pooled.fund}.")
    agreement = build_tree(text)
    scheme_part = next(p for p in agreement.parts if p.kind == "scheme")
    scheme = select_parts(agreement, [scheme_part])
    meta = replace(META, title=scheme_part.heading, part_of=META.title)
    shared: Shared = {}
    together = [write_docx(agreement, META, REFERENCE, shared),
                write_docx(scheme, meta, REFERENCE, shared)]
    assert together == [write_docx(agreement, META, REFERENCE),
                        write_docx(scheme, meta, REFERENCE)]
    assert any(entry[0] in scheme_part.blocks for entry in shared.values())  # something shared

    def paid_in(data: bytes) -> etree._Element:
        return next(p for _, p in body_paragraphs(data) if "paid into the fund" in text_of(p))

    assert paid_in(together[0]).xpath(".//w:instrText", namespaces=NS)  # a REF field
    assert not paid_in(together[1]).xpath(".//w:instrText", namespaces=NS)  # text alone


def test_remembered_relationships_and_content_types_follow_their_parts() -> None:
    """The relationships and content types written once per set of parts are written anew
    for a different set (a part added, a target changed), never served from the last."""
    from s75docs.write.docx_package import RT_STYLES, Rel, _content_types, _rels_xml

    first = _rels_xml("word", (Rel("rId1", RT_STYLES, "word/styles.xml"),))
    assert b'Target="styles.xml"' in first
    assert _rels_xml("word", (Rel("rId1", RT_STYLES, "word/styles.xml"),)) == first
    moved = _rels_xml("word", (Rel("rId1", RT_STYLES, "word/other/styles.xml"),))
    assert b'Target="other/styles.xml"' in moved and b'Target="styles.xml"' not in moved
    parts = (("word/document.xml", "application/main+xml"),)
    assert b"/word/settings.xml" not in _content_types(parts)
    assert b'PartName="/word/settings.xml" ContentType="application/settings+xml"' in \
        _content_types((*parts, ("word/settings.xml", "application/settings+xml")))
