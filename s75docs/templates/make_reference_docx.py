"""Write ``templates/reference.docx``: the Word styles, numbering and page set-up of agreements.

Run it after changing this file (``.venv/bin/python templates/make_reference_docx.py``) and commit
both. The package is written from plain XML so that nothing in it is left over from another
program, and byte for byte the same every time (fixed zip dates, fixed order, no random ids).

A firm may replace ``reference.docx`` with its own, made in Word. The writer needs:

* paragraph styles named ``Part Heading``, ``Agreement Title``, ``Front Heading``,
  ``Sub Heading``, ``Clause 1`` .. ``Clause 5``, ``Body 1`` .. ``Body 5``, ``Parties``,
  ``Recitals``, ``List Bullet``, ``Table Text`` and the table style ``Agreement Table``
  (``toc 1`` and ``Execution Text`` are used when present);
* ``Clause 1`` .. ``Clause 5`` linked to one multilevel list (Word: Define New Multilevel List,
  "Link level to style"), ``Parties`` and ``Recitals`` each linked to a list of their own,
  ``List Bullet`` to a bullet list; the writer restarts the lists at 1 in every part;
* the tags ``{{ title }}``, ``{{ draft_marking }}``, ``{{ subject }}``, ``{% for party in
  parties %}`` (``party.name``, ``party.defined_term``), ``{{ dated }}`` (the agreement's
  date, empty until known), ``{{ part_of }}`` (for a schedule printed on its own, the title of
  the agreement it belongs to) anywhere, and ``{{p body }}`` alone in the paragraph where the
  agreement goes. Whether the cover lists the parties is decided here, in the cover's own tags
  (ours leave them out under a title that already says "between X and Y"), not by the writer.
  Tags are docxtpl's: a tag Word has split over several runs still works, and ``{%p ... %}``,
  ``{%tr ... %}`` and ``{%r ... %}`` stand for their whole paragraph, table row or run (so
  ``{%p if part_of %}`` alone in a paragraph keeps or drops the paragraphs up to its
  ``{%p endif %}``). They run in the same sandbox as the clause templates, values escaped.

Outline levels give Word's navigation pane and the contents field their structure: a part's
heading is level 1, a clause of the terms level 2 (the writer puts a schedule's paragraphs at
level 3), and the contents field collects levels 1 and 2.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

OUT = Path(__file__).resolve().parent / "reference.docx"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

FONT = "Arial"
SIZE = 22  # half-points: 11pt
PAGE_W, PAGE_H = 11906, 16838  # A4 in twentieths of a point
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 1440, 1440, 1440
TEXT_W = PAGE_W - 2 * MARGIN_SIDE  # 9026

# Where each clause level's number stands and where its text starts (twips from the margin).
# Level 1 (the clause heading) and level 2 (1.1) hang their number at the margin with text at
# 1.27 cm; 1.1.1 steps in to the text of 1.1; (a) and (i) step in again.
LEVELS = [
    # (lvlText, numFmt, number at, text at)
    ("%1.", "decimal", 0, 720),
    ("%1.%2", "decimal", 0, 720),
    ("%1.%2.%3", "decimal", 720, 1584),
    ("(%4)", "lowerLetter", 1584, 2304),
    ("(%5)", "lowerRoman", 2304, 3024),
    ("(%6)", "upperLetter", 3024, 3744),
    ("(%7)", "upperRoman", 3744, 4464),
    ("%8.", "decimal", 4464, 5184),
    ("%9.", "lowerLetter", 5184, 5904),
]


def w_attrs(**attrs: object) -> str:
    return "".join(f' w:{k}="{escape(str(v), {chr(34): "&quot;"})}"' for k, v in attrs.items())


def el(tag: str, *children: str, **attrs: object) -> str:
    inner = "".join(children)
    return f"<w:{tag}{w_attrs(**attrs)}>{inner}</w:{tag}>" if inner else \
        f"<w:{tag}{w_attrs(**attrs)}/>"


# --- styles -------------------------------------------------------------------------------------

def rpr(*, bold: bool = False, caps: bool = False, size: int | None = None,
        italic: bool = False, color: str | None = None) -> str:
    parts = []
    if bold:
        parts.append(el("b") + el("bCs"))
    if italic:
        parts.append(el("i") + el("iCs"))
    if caps:
        parts.append(el("caps"))
    if color:
        parts.append(el("color", val=color))
    if size:
        parts.append(el("sz", val=size) + el("szCs", val=size))
    return el("rPr", *parts) if parts else ""


def ppr(*, num: tuple[int, int] | None = None, keep_next: bool = False, keep_lines: bool = False,
        before: int | None = None, after: int | None = None, line: int | None = None,
        left: int | None = None, hanging: int | None = None, first_line: int | None = None,
        jc: str | None = None, outline: int | None = None, tabs: str = "",
        border: str = "", page_break_before: bool = False) -> str:
    parts = []
    if keep_next:
        parts.append(el("keepNext"))
    if keep_lines:
        parts.append(el("keepLines"))
    if page_break_before:
        parts.append(el("pageBreakBefore"))
    if num is not None:
        num_id, ilvl = num
        parts.append(el("numPr", el("ilvl", val=ilvl), el("numId", val=num_id)))
    if border:
        parts.append(border)
    if tabs:
        parts.append(el("tabs", tabs))
    spacing: dict[str, object] = {}
    if before is not None:
        spacing["before"] = before
    if after is not None:
        spacing["after"] = after
    if line is not None:
        spacing["line"] = line
        spacing["lineRule"] = "auto"
    if spacing:
        parts.append(el("spacing", **spacing))
    ind = {}
    if left is not None:
        ind["left"] = left
    if hanging is not None:
        ind["hanging"] = hanging
    if first_line is not None:
        ind["firstLine"] = first_line
    if ind:
        parts.append(el("ind", **ind))
    if jc:
        parts.append(el("jc", val=jc))
    if outline is not None:
        parts.append(el("outlineLvl", val=outline))
    return el("pPr", *parts) if parts else ""


def para_style(style_id: str, name: str, *, based_on: str | None = "Normal",
               next_style: str | None = None, p: str = "", r: str = "", ui_priority: int = 10,
               q_format: bool = True) -> str:
    children = [el("name", val=name)]
    if based_on:
        children.append(el("basedOn", val=based_on))
    if next_style:
        children.append(el("next", val=next_style))
    children.append(el("uiPriority", val=ui_priority))
    if q_format:
        children.append(el("qFormat"))
    children += [p, r]
    return el("style", *children, type="paragraph", styleId=style_id)


# numIds in numbering.xml
NUM_CLAUSE, NUM_PARTIES, NUM_RECITALS, NUM_BULLET = 1, 2, 3, 4


def styles_xml() -> str:
    border_box = el("pBdr", *(el(side, val="single", sz=8, space=6, color="auto")
                              for side in ("top", "left", "bottom", "right")))
    toc_tabs = el("tab", val="right", leader="dot", pos=TEXT_W)
    header_tabs = el("tab", val="center", pos=TEXT_W // 2) + el("tab", val="right", pos=TEXT_W)
    styles = [
        el("docDefaults",
           el("rPrDefault", el("rPr",
                               el("rFonts", ascii=FONT, hAnsi=FONT, cs=FONT, eastAsia=FONT),
                               el("sz", val=SIZE), el("szCs", val=SIZE),
                               el("lang", val="en-GB", eastAsia="en-GB", bidi="ar-SA"))),
           el("pPrDefault", el("pPr", el("widowControl"),
                               el("spacing", after=160, line=276, lineRule="auto")))),
        el("style", el("name", val="Normal"), el("qFormat"),
           type="paragraph", default=1, styleId="Normal"),
        el("style", el("name", val="Default Paragraph Font"), el("uiPriority", val=1),
           el("semiHidden"), el("unhideWhenUsed"),
           type="character", default=1, styleId="DefaultParagraphFont"),
        el("style", el("name", val="Normal Table"), el("uiPriority", val=99), el("semiHidden"),
           el("unhideWhenUsed"),
           el("tblPr", el("tblInd", w=0, type="dxa"),
              el("tblCellMar", el("top", w=0, type="dxa"), el("left", w=108, type="dxa"),
                 el("bottom", w=0, type="dxa"), el("right", w=108, type="dxa"))),
           type="table", default=1, styleId="TableNormal"),
        el("style", el("name", val="No List"), el("uiPriority", val=99), el("semiHidden"),
           el("unhideWhenUsed"), type="numbering", default=1, styleId="NoList"),
        # Cover page.
        para_style("Title", "Title", next_style="CoverText",
                   p=ppr(jc="center", before=2880, after=720, line=240, keep_next=True),
                   r=rpr(bold=True, caps=True, size=36)),
        para_style("CoverText", "Cover Text", p=ppr(jc="center", after=480)),
        para_style("CoverParty", "Cover Party", next_style="CoverText",
                   p=ppr(jc="center", after=120, keep_next=True), r=rpr(bold=True, caps=True,
                                                                         size=24)),
        para_style("CoverDated", "Cover Dated", next_style="CoverText",
                   p=ppr(jc="center", before=480, after=480), r=rpr(bold=True)),
        para_style("CoverMarking", "Cover Marking",
                   p=ppr(jc="center", before=1440, after=0, border=border_box),
                   r=rpr(bold=True)),
        # Header and footer.
        para_style("Header", "header", p=ppr(tabs=header_tabs, after=0, line=240),
                   r=rpr(size=18), ui_priority=99, q_format=False),
        para_style("Footer", "footer", p=ppr(tabs=header_tabs, after=0, line=240, jc="center"),
                   r=rpr(size=18), ui_priority=99, q_format=False),
        para_style("DraftMarking", "Draft Marking", based_on="Header",
                   p=ppr(jc="right"), r=rpr(bold=True)),
        # Contents.
        para_style("TOCHeading", "TOC Heading", next_style="TOC1",
                   p=ppr(jc="center", after=360, keep_next=True), r=rpr(bold=True, caps=True)),
        para_style("TOC1", "toc 1", next_style="Normal",
                   p=ppr(tabs=toc_tabs, left=720, hanging=720, before=120, after=60, line=240,
                         keep_next=True), r=rpr(bold=True), ui_priority=39, q_format=False),
        para_style("TOC2", "toc 2", next_style="Normal",
                   p=ppr(tabs=toc_tabs, left=720, hanging=720, after=60, line=240),
                   ui_priority=39, q_format=False),
        # Parts and headings.
        para_style("PartHeading", "Part Heading", next_style="Normal",
                   p=ppr(jc="center", after=360, keep_next=True, outline=0),
                   r=rpr(bold=True, caps=True, size=24)),
        # The title over the parties is not a part: body text in the outline and the contents.
        para_style("AgreementTitle", "Agreement Title", based_on="PartHeading",
                   next_style="Normal", p=ppr(outline=9)),
        para_style("FrontHeading", "Front Heading", next_style="Normal",
                   p=ppr(keep_next=True, before=240, after=160), r=rpr(bold=True, caps=True)),
        para_style("SubHeading", "Sub Heading", next_style="Body1",
                   p=ppr(keep_next=True, before=120, left=720), r=rpr(bold=True)),
    ]
    # Clause 1..5: linked to levels 0..4 of the clause list.
    for level in range(1, 6):
        _, _, number_at, text_at = LEVELS[level - 1]
        if level == 1:
            p = ppr(num=(NUM_CLAUSE, 0), keep_next=True, before=240, after=160,
                    left=text_at, hanging=text_at - number_at, outline=1)
            r = rpr(bold=True)
        else:
            p = ppr(num=(NUM_CLAUSE, level - 1), left=text_at, hanging=text_at - number_at,
                    jc="both")
            r = ""
        styles.append(para_style(f"Clause{level}", f"Clause {level}",
                                 next_style=f"Clause{min(level + 1, 5)}" if level == 1 else
                                 f"Clause{level}", p=p, r=r))
    for level in range(1, 6):
        text_at = LEVELS[level - 1][3]
        styles.append(para_style(f"Body{level}", f"Body {level}", p=ppr(left=text_at, jc="both")))
    styles += [
        para_style("Parties", "Parties", p=ppr(num=(NUM_PARTIES, 0), left=720, hanging=720,
                                               jc="both")),
        para_style("Recitals", "Recitals", p=ppr(num=(NUM_RECITALS, 0), left=720, hanging=720,
                                                 jc="both")),
        para_style("ListBullet", "List Bullet", p=ppr(num=(NUM_BULLET, 0), left=1080, hanging=360,
                                                      jc="both")),
        para_style("ExecutionText", "Execution Text", p=ppr(before=360, after=120)),
        para_style("TableText", "Table Text", p=ppr(before=40, after=40, line=240),
                   r=rpr(size=20)),
        el("style", el("name", val="Agreement Table"), el("basedOn", val="TableNormal"),
           el("uiPriority", val=59),
           el("pPr", el("spacing", before=0, after=0, line=240, lineRule="auto")),
           el("tblPr",
              el("tblBorders", *(el(side, val="single", sz=4, space=0, color="auto")
                                 for side in ("top", "left", "bottom", "right", "insideH",
                                              "insideV"))),
              el("tblCellMar", el("top", w=0, type="dxa"), el("left", w=108, type="dxa"),
                 el("bottom", w=0, type="dxa"), el("right", w=108, type="dxa"))),
           el("tblStylePr", el("rPr", el("b"), el("bCs")),
              el("tcPr", el("shd", val="clear", color="auto", fill="E7E6E6")),
              type="firstRow"),
           type="table", styleId="AgreementTable"),
    ]
    return (XML_DECL + f'<w:styles xmlns:w="{W}" xmlns:r="{R}">' + "".join(styles)
            + "</w:styles>")


# --- numbering ----------------------------------------------------------------------------------

def lvl(ilvl: int, text: str, fmt: str, number_at: int, text_at: int, *,
        style: str | None = None, bold: bool = False, font: str | None = None) -> str:
    children = [el("start", val=1), el("numFmt", val=fmt)]
    if style:
        children.append(el("pStyle", val=style))
    children += [el("lvlText", val=text), el("lvlJc", val="left"),
                 el("pPr", el("ind", left=text_at, hanging=text_at - number_at))]
    r = []
    if font:
        r.append(el("rFonts", ascii=font, hAnsi=font, hint="default"))
    if bold:
        r.append(el("b") + el("bCs"))
    if r:
        children.append(el("rPr", *r))
    return el("lvl", *children, ilvl=ilvl)


def numbering_xml() -> str:
    clause = [lvl(i, text, fmt, at, text_at, style=f"Clause{i + 1}" if i < 5 else None,
                  bold=i == 0)
              for i, (text, fmt, at, text_at) in enumerate(LEVELS)]
    lettered = [lvl(i, f"(%{i + 1})", "lowerLetter", 720 * i, 720 * (i + 1)) for i in range(1, 9)]
    parties = [lvl(0, "(%1)", "decimal", 0, 720, style="Parties"), *lettered]
    recitals = [lvl(0, "(%1)", "upperLetter", 0, 720, style="Recitals"), *lettered]
    bullets = [lvl(i, "\u2022", "bullet", 720 + 360 * i, 1080 + 360 * i,
                   style="ListBullet" if i == 0 else None, font=FONT) for i in range(9)]
    abstract = [
        el("abstractNum", el("nsid", val="53370001"), el("multiLevelType", val="multilevel"),
           el("tmpl", val="53370101"), el("name", val="S75 Clauses"), *clause, abstractNumId=0),
        el("abstractNum", el("nsid", val="53370002"), el("multiLevelType", val="multilevel"),
           el("tmpl", val="53370102"), el("name", val="S75 Parties"), *parties, abstractNumId=1),
        el("abstractNum", el("nsid", val="53370003"), el("multiLevelType", val="multilevel"),
           el("tmpl", val="53370103"), el("name", val="S75 Recitals"), *recitals,
           abstractNumId=2),
        el("abstractNum", el("nsid", val="53370004"), el("multiLevelType", val="hybridMultilevel"),
           el("tmpl", val="53370104"), el("name", val="S75 Bullets"), *bullets, abstractNumId=3),
    ]
    nums = [el("num", el("abstractNumId", val=a), numId=n)
            for n, a in ((NUM_CLAUSE, 0), (NUM_PARTIES, 1), (NUM_RECITALS, 2), (NUM_BULLET, 3))]
    return (XML_DECL + f'<w:numbering xmlns:w="{W}" xmlns:r="{R}">' + "".join(abstract + nums)
            + "</w:numbering>")


# --- document, header, footer -------------------------------------------------------------------

def run(text: str, r: str = "") -> str:
    return f'<w:r>{r}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def p(style: str, *runs: str, extra_ppr: str = "") -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{extra_ppr}</w:pPr>{"".join(runs)}</w:p>'


def field(instruction: str, result: str) -> str:
    return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> {escape(instruction)} </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'{run(result)}<w:r><w:fldChar w:fldCharType="end"/></w:r>')


# Outline levels: 1 for a part (the terms, each schedule and scheme), 2 for a clause of the
# terms; a schedule's paragraphs are written at level 3, so they are navigable but not listed.
TOC_INSTRUCTION = 'TOC \\o "1-2" \\h \\z'
TOC_PLACEHOLDER = ("Right-click here and choose Update Field (or press F9) to build the table "
                   "of contents.")


def document_xml() -> str:
    body = [
        p("Title", run("{{ title }}")),
        p("CoverText", run("{%p if part_of %}")),
        p("CoverText", run("forming part of the")),
        p("CoverParty", run("{{ part_of }}")),
        p("CoverText", run("{%p endif %}")),
        # A title that already says "between X and Y" is not followed by the parties again
        # (for a schedule printed on its own, the title of its agreement decides).
        p("CoverText", run('{%p if " between " not in (" " ~ (part_of or title) ~ " ") | lower %}')),
        p("CoverText", run("between")),
        p("CoverText", run("{%p for party in parties %}")),
        p("CoverParty", run("{{ party.name }}")),
        p("CoverText", run("{%p if not loop.last %}")),
        p("CoverText", run("and")),
        p("CoverText", run("{%p endif %}")),
        p("CoverText", run("{%p endfor %}")),
        p("CoverText", run("{%p endif %}")),
        p("CoverText", run("{%p if not part_of %}")),
        p("CoverDated", run("Dated {{ dated }}")),
        p("CoverText", run("{%p endif %}")),
        p("CoverText", run("{%p if draft_marking %}")),
        p("CoverMarking", run("{{ draft_marking }}")),
        p("CoverText", run("{%p endif %}")),
        p("TOCHeading", run("Contents"), extra_ppr="<w:pageBreakBefore/>"),
        p("TOC1", field(TOC_INSTRUCTION, TOC_PLACEHOLDER)),
        p("Normal", run("{{p body }}")),
    ]
    sect = (
        '<w:sectPr>'
        '<w:headerReference w:type="default" r:id="rIdHeaderDefault"/>'
        '<w:headerReference w:type="first" r:id="rIdHeaderFirst"/>'
        '<w:footerReference w:type="default" r:id="rIdFooterDefault"/>'
        '<w:footerReference w:type="first" r:id="rIdFooterFirst"/>'
        f'<w:pgSz w:w="{PAGE_W}" w:h="{PAGE_H}"/>'
        f'<w:pgMar w:top="{MARGIN_TOP}" w:right="{MARGIN_SIDE}" w:bottom="{MARGIN_BOTTOM}" '
        f'w:left="{MARGIN_SIDE}" w:header="709" w:footer="709" w:gutter="0"/>'
        '<w:cols w:space="708"/><w:titlePg/>'
        '</w:sectPr>'
    )
    return (XML_DECL + f'<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>' + "".join(body)
            + sect + "</w:body></w:document>")


def header_xml(content: str) -> str:
    return XML_DECL + f'<w:hdr xmlns:w="{W}" xmlns:r="{R}">{content}</w:hdr>'


def footer_xml(content: str) -> str:
    return XML_DECL + f'<w:ftr xmlns:w="{W}" xmlns:r="{R}">{content}</w:ftr>'


def settings_xml() -> str:
    return (XML_DECL + f'<w:settings xmlns:w="{W}" xmlns:r="{R}">'
            '<w:zoom w:percent="100"/>'
            '<w:defaultTabStop w:val="720"/>'
            '<w:characterSpacingControl w:val="doNotCompress"/>'
            # Word asks to update fields on opening: the contents and cross-references.
            '<w:updateFields w:val="true"/>'
            '<w:compat><w:compatSetting w:name="compatibilityMode" '
            'w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>'
            '<w:themeFontLang w:val="en-GB"/>'
            '<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/>'
            '</w:settings>')


def font_table_xml() -> str:
    return (XML_DECL + f'<w:fonts xmlns:w="{W}" xmlns:r="{R}">'
            '<w:font w:name="Arial"><w:panose1 w:val="020B0604020202020204"/>'
            '<w:charset w:val="00"/><w:family w:val="swiss"/><w:pitch w:val="variable"/></w:font>'
            '</w:fonts>')


CT = "application/vnd.openxmlformats-officedocument"


def content_types() -> str:
    overrides = [
        ("/word/document.xml", f"{CT}.wordprocessingml.document.main+xml"),
        ("/word/styles.xml", f"{CT}.wordprocessingml.styles+xml"),
        ("/word/numbering.xml", f"{CT}.wordprocessingml.numbering+xml"),
        ("/word/settings.xml", f"{CT}.wordprocessingml.settings+xml"),
        ("/word/fontTable.xml", f"{CT}.wordprocessingml.fontTable+xml"),
        ("/word/header1.xml", f"{CT}.wordprocessingml.header+xml"),
        ("/word/header2.xml", f"{CT}.wordprocessingml.header+xml"),
        ("/word/footer1.xml", f"{CT}.wordprocessingml.footer+xml"),
        ("/word/footer2.xml", f"{CT}.wordprocessingml.footer+xml"),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        ("/docProps/app.xml", f"{CT}.extended-properties+xml"),
    ]
    return (XML_DECL
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{name}" ContentType="{ctype}"/>'
                      for name, ctype in overrides) + "</Types>")


def relationships(rels: list[tuple[str, str, str]]) -> str:
    return (XML_DECL + '<Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="{rid}" Type="{rtype}" Target="{target}"/>'
                      for rid, rtype, target in rels) + "</Relationships>")


OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def package() -> dict[str, str]:
    header = p("DraftMarking", run("{{ draft_marking }}"))
    footer = p("Footer", run("Page "), field("PAGE", "1"), run(" of "), field("NUMPAGES", "1"))
    return {
        "[Content_Types].xml": content_types(),
        "_rels/.rels": relationships([
            ("rId1", f"{OD}/officeDocument", "word/document.xml"),
            ("rId2", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
                     "core-properties", "docProps/core.xml"),
            ("rId3", f"{OD}/extended-properties", "docProps/app.xml"),
        ]),
        "docProps/app.xml": (XML_DECL + '<Properties xmlns="http://schemas.openxmlformats.org/'
                             'officeDocument/2006/extended-properties">'
                             "<Application>s75docs</Application></Properties>"),
        "docProps/core.xml": (
            XML_DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
            '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:title>Section 75 partnership agreement</dc:title>"
            "<dc:creator>s75docs</dc:creator><cp:lastModifiedBy>s75docs</cp:lastModifiedBy>"
            "<cp:revision>1</cp:revision>"
            '<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created>'
            '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:modified>'
            "</cp:coreProperties>"),
        "word/document.xml": document_xml(),
        "word/_rels/document.xml.rels": relationships([
            ("rIdStyles", f"{OD}/styles", "styles.xml"),
            ("rIdNumbering", f"{OD}/numbering", "numbering.xml"),
            ("rIdSettings", f"{OD}/settings", "settings.xml"),
            ("rIdFontTable", f"{OD}/fontTable", "fontTable.xml"),
            ("rIdHeaderDefault", f"{OD}/header", "header1.xml"),
            ("rIdHeaderFirst", f"{OD}/header", "header2.xml"),
            ("rIdFooterDefault", f"{OD}/footer", "footer1.xml"),
            ("rIdFooterFirst", f"{OD}/footer", "footer2.xml"),
        ]),
        "word/styles.xml": styles_xml(),
        "word/numbering.xml": numbering_xml(),
        "word/settings.xml": settings_xml(),
        "word/fontTable.xml": font_table_xml(),
        "word/header1.xml": header_xml(header),
        "word/header2.xml": header_xml(p("Header")),
        "word/footer1.xml": footer_xml(footer),
        "word/footer2.xml": footer_xml(p("Footer")),
    }


def write_zip(entries: dict[str, bytes]) -> bytes:
    """A zip with fixed dates and order: the same bytes for the same entries."""
    import io

    out = io.BytesIO()
    names = sorted(entries, key=lambda n: (n != "[Content_Types].xml", n))
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    out.write_bytes(write_zip({name: text.encode("utf-8") for name, text in package().items()}))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
