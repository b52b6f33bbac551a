"""The agreement's body in Word: parts, clauses, tables, references and tracked changes.

:class:`BodyWriter` reads the reference document's styles and lists, then builds each part's
paragraphs in the rendered document's XML where the ``{{p body }}`` placeholder stands: clause
paragraphs on the linked multilevel list (a new list instance per part), bookmarks round the
clauses references name, ``REF`` fields for references, the contents field's text, and a
redline's ``w:ins``/``w:del`` revisions. See :mod:`s75docs.write.docx` for the whole design.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from docx.oxml.ns import qn
from docx.shared import Twips

from s75docs.document.nodes import (
    NUMBERED_PARTS,
    Block,
    Cell,
    Document,
    Node,
    Part,
    Span,
    plain_text,
    spans,
    walk,
)
from s75docs.errors import Finding, S75Error
from s75docs.write.docx_xml import AUTHOR, PLAIN, Format, clean, el, field_runs, text_run

if TYPE_CHECKING:
    from s75docs.write.docx import DocxMeta

PLACEHOLDER_STYLE = "S75BodyPlaceholder"
BOOKMARK_PREFIX = "_Ref_s75_"
TOC_PREFIX = "_Toc_s75_"

# Style names the writer uses; a firm's reference.docx must keep them.
PART_HEADING = "Part Heading"
AGREEMENT_TITLE = "Agreement Title"
FRONT_HEADING = "Front Heading"
SUB_HEADING = "Sub Heading"
CLAUSE = "Clause {}"
BODY = "Body {}"
PARTIES = "Parties"
RECITALS = "Recitals"
LIST_BULLET = "List Bullet"
TABLE_TEXT = "Table Text"
TABLE_STYLE = "Agreement Table"
TABLE_GAP = 240  # twips of space between a table and the paragraph after it
EXECUTION_TEXT = "Execution Text"  # optional: Normal if the reference has no such style
TOC_STYLE = "toc {}"  # optional: without "toc 1" the contents field keeps its text until updated
TOC_HEADING = "TOC Heading"  # optional: the contents' heading, left out with the contents
MIN_CONTENTS = 6  # fewer entries (a deed, a schedule on its own) need no contents page
SCHEDULE_OUTLINE = 2  # a schedule's paragraphs: level 3, under the part, out of the contents
MAX_STYLE_LEVEL = 5
REQUIRED_STYLES = (PART_HEADING, AGREEMENT_TITLE, FRONT_HEADING, SUB_HEADING,
                   *(CLAUSE.format(n) for n in range(1, MAX_STYLE_LEVEL + 1)),
                   *(BODY.format(n) for n in range(1, MAX_STYLE_LEVEL + 1)),
                   PARTIES, RECITALS, LIST_BULLET, TABLE_TEXT, TABLE_STYLE)


class BodyWriter:
    def __init__(self, docx: Any, where: str, meta: DocxMeta | None = None) -> None:
        self.docx = docx
        self.where = where
        self.revision_author = clean(meta.revision_author) if meta else AUTHOR
        self.revision_date = meta.revision_date if meta else None
        self.body = docx.element.body
        self.style_ids = self._style_ids()
        missing = [name for name in REQUIRED_STYLES if name.casefold() not in self.style_ids]
        if missing:
            self._fail(f"the reference document has no style named {', '.join(map(repr, missing))}")
        try:
            self.numbering = docx.part.numbering_part.element
        except Exception as exc:  # pragma: no cover - python-docx adds an empty part if missing
            raise S75Error(Finding("error", f"the reference document has no numbering: {exc}",
                                   where, code="template")) from exc
        self.clause_list = self._linked_list(CLAUSE.format(1))
        self.clause_levels = {level: self._level_of(self.clause_list, CLAUSE.format(level),
                                                    level - 1)
                              for level in range(1, MAX_STYLE_LEVEL + 1)}
        self.text_at = {0: 0, **{level: self._indent(self.clause_list,
                                                     self.clause_levels[level])[0]
                                 for level in self.clause_levels}}
        self.lists = {"clause": self.clause_list, "parties": self._linked_list(PARTIES),
                      "recitals": self._linked_list(RECITALS)}
        bullet_list = self._linked_list(LIST_BULLET)
        self.bullet_hanging = self._indent(bullet_list, self._level_of(bullet_list, LIST_BULLET,
                                                                       0))[1] or 360
        section = docx.sections[-1]
        try:
            self.text_width = int((section.page_width - section.left_margin
                                   - section.right_margin) / 635)
        except TypeError:  # a section without page size or margins
            self.text_width = 9026
        self.bookmark_names: dict[str, str] = {}
        self.part_targets: dict[str, bool] = {}
        self.toc_entries: list[tuple[str, str, str, int]] = []  # number, text, anchor, level
        level_text = self.numbering.xpath(
            f'w:abstractNum[@w:abstractNumId="{self.clause_list}"]'
            f'/w:lvl[@w:ilvl="{self.clause_levels[1]}"]/w:lvlText/@w:val')
        self.clause_number_text = str(level_text[0]) if level_text else "%1"
        ids = [int(v) for v in self.body.xpath(".//w:bookmarkStart/@w:id") if v.isdigit()]
        self.next_bookmark_id = max(ids, default=-1) + 1

    def _fail(self, message: str) -> None:
        raise S75Error(Finding("error", message, self.where, code="template"))

    # styles and lists of the reference document

    def _style_ids(self) -> dict[str, str]:
        styles = self.docx.styles.element
        out: dict[str, str] = {}
        for style in styles.xpath("w:style"):
            names = style.xpath("w:name/@w:val")
            style_id = style.get(qn("w:styleId"))
            if names and style_id and names[0].casefold() not in out:
                out[names[0].casefold()] = style_id
        return out

    def style(self, name: str) -> str:
        return self.style_ids[name.casefold()]

    def _linked_list(self, style_name: str) -> str:
        """The abstractNumId of the list the style is linked to."""
        style_id = self.style(style_name)
        style = self.docx.styles.element.xpath(f'w:style[@w:styleId="{style_id}"]')[0]
        num_ids = style.xpath("w:pPr/w:numPr/w:numId/@w:val")
        abstract = self.numbering.xpath(f'w:num[@w:numId="{num_ids[0]}"]/w:abstractNumId/@w:val'
                                        ) if num_ids else []
        if not abstract:
            self._fail(f"style {style_name!r} of the reference document is not linked to a "
                       "numbered list (Word: Define New Multilevel List, Link level to style)")
        return str(abstract[0])

    def _level_of(self, abstract_id: str, style_name: str, default: int) -> int:
        levels = self.numbering.xpath(
            f'w:abstractNum[@w:abstractNumId="{abstract_id}"]/w:lvl'
            f'[w:pStyle/@w:val="{self.style(style_name)}"]/@w:ilvl')
        return int(levels[0]) if levels else default

    def _indent(self, abstract_id: str, ilvl: int) -> tuple[int, int]:
        """(left, hanging) of a list level, in twips."""
        ind = self.numbering.xpath(f'w:abstractNum[@w:abstractNumId="{abstract_id}"]'
                                   f'/w:lvl[@w:ilvl="{ilvl}"]/w:pPr/w:ind')
        if not ind:
            return 0, 0

        def twips(name: str) -> int:
            value = ind[0].get(qn(f"w:{name}"))
            return int(value) if value and value.lstrip("-").isdigit() else 0

        return twips("left") or twips("start"), twips("hanging")

    def _new_num(self, abstract_id: str) -> int:
        """A new instance of a list, counting from 1 on every level."""
        num = self.numbering.add_num(int(abstract_id))
        for ilvl in range(9):
            num.add_lvlOverride(ilvl=ilvl).add_startOverride(1)
        return int(num.numId)

    # paragraphs

    def paragraph(self, style_name: str, *, num: tuple[int, int] | None = None,
                  ind: tuple[int, int] | None = None, page_break: bool = False,
                  keep_next: bool = False, jc: str | None = None, outline: int | None = None,
                  change: str | None = None) -> Any:
        props = [el("w:pStyle", val=self.style(style_name))]
        if keep_next:
            props.append(el("w:keepNext"))
        if page_break:
            props.append(el("w:pageBreakBefore"))
        if num is not None:
            num_id, ilvl = num
            props.append(el("w:numPr", [el("w:ilvl", val=ilvl), el("w:numId", val=num_id)]))
        if ind is not None:
            left, hanging = ind
            props.append(el("w:ind", left=left, hanging=hanging) if hanging else
                         el("w:ind", left=left))
        if jc:
            props.append(el("w:jc", val=jc))
        if outline is not None:
            props.append(el("w:outlineLvl", val=outline))
        if change:  # the paragraph mark itself inserted or deleted: the paragraph comes or goes
            props.append(el("w:rPr", [self.revision(change)]))
        return el("w:p", [el("w:pPr", props)])

    def revision(self, change: str) -> Any:
        """A ``w:ins`` or ``w:del`` with the redline's author and date (ids are set at the end)."""
        attrs: dict[str, object] = {"id": 0, "author": self.revision_author}
        if self.revision_date is not None:
            attrs["date"] = f"{self.revision_date.isoformat()}T00:00:00Z"
        return el("w:ins" if change == "ins" else "w:del", (), **attrs)

    def tracked(self, runs: list[tuple[Any, str | None]]) -> list[Any]:
        """Runs, each neighbouring group of inserted (or deleted) ones wrapped in one revision."""
        out: list[Any] = []
        wrapper, current = None, None
        for run, change in runs:
            if change is None:
                out.append(run)
                wrapper = current = None
                continue
            if wrapper is None or change != current:
                wrapper, current = self.revision(change), change
                out.append(wrapper)
            wrapper.append(run)
        return out

    def bookmark(self, paragraph: Any, label: str | None) -> None:
        """Bookmark what the paragraph holds so far, if a reference names the label."""
        if not label or label not in self.bookmark_names:
            return
        bookmark_id = self.next_bookmark_id
        self.next_bookmark_id += 1
        children = [c for c in paragraph if c.tag != qn("w:pPr")]
        start = el("w:bookmarkStart", id=bookmark_id, name=self.bookmark_names[label])
        end = el("w:bookmarkEnd", id=bookmark_id)
        if not children:
            paragraph.extend([start, end])
            return
        children[0].addprevious(start)
        children[-1].addnext(end)

    def runs(self, items: list[Span], fmt: Format = PLAIN) -> list[Any]:
        """Runs for spans, neighbouring text of one format merged into one run."""
        out: list[tuple[Any, str | None]] = []
        pending: list[tuple[str, Format]] = []

        def flush() -> None:
            merged: list[tuple[str, Format]] = []
            for text, f in pending:
                if merged and merged[-1][1] == f:
                    merged[-1] = (merged[-1][0] + text, f)
                else:
                    merged.append((text, f))
            out.extend((text_run(text, f), f.change) for text, f in merged if text)
            pending.clear()

        for span, ancestors in walk(items):
            if not isinstance(span, Span) or span.children:
                continue
            f = _format(fmt, (*ancestors, span))
            if span.kind == "text":
                pending.append((clean(span.text), f))
            elif span.kind == "break":
                pending.append((" ", f))
            elif span.kind == "define":
                pending.append((f"\u201c{clean(span.text)}\u201d", replace(f, bold=True)))
            elif span.kind == "open":
                pending.append((f"[{clean(span.text)}]", replace(f, highlight=True)))
            elif span.kind == "ref":
                name = self.bookmark_names.get(span.target)
                # A target in a part left out (a scheme on its own), or deleted text: no field.
                if name is None or f.change == "del":
                    pending.append((clean(span.plain()), f))
                    continue
                pending.append((clean(span.before), f))
                flush()
                switches = "\\h" if self.part_targets.get(span.target) else "\\w \\h"
                out.extend((run, f.change) for run in
                           field_runs(f"REF {name} {switches}", clean(span.number), f))
                pending.append((clean(span.after), f))
        flush()
        return self.tracked(out)

    # the document

    def write(self, document: Document) -> None:
        placeholders = self.body.xpath(
            f'.//w:p[w:pPr/w:pStyle/@w:val="{PLACEHOLDER_STYLE}"]')
        if not placeholders:
            self._fail("the reference document has no '{{p body }}' paragraph for the agreement")
        self._name_bookmarks(document)
        placeholder = placeholders[0]
        for part in document.parts:
            for element in self.part(part):
                placeholder.addprevious(element)
        placeholder.getparent().remove(placeholder)
        for extra in placeholders[1:]:
            extra.getparent().remove(extra)
        self.contents()
        self._renumber_bookmarks()
        self._number_revisions()

    def _renumber_bookmarks(self) -> None:
        """Bookmark ids 0, 1, 2 ... in document order."""
        ids: dict[str, str] = {}
        for node in self.body.iter(qn("w:bookmarkStart")):
            ids.setdefault(node.get(qn("w:id")), str(len(ids)))
        for node in self.body.iter(qn("w:bookmarkStart"), qn("w:bookmarkEnd")):
            old = node.get(qn("w:id"))
            if old in ids:
                node.set(qn("w:id"), ids[old])

    def _number_revisions(self) -> None:
        """Tracked changes' ids in document order, after the bookmarks' (both are annotations,
        whose ids Word wants unique)."""
        first = len({node.get(qn("w:id")) for node in self.body.iter(qn("w:bookmarkStart"))})
        for number, node in enumerate(self.body.iter(qn("w:ins"), qn("w:del")), first):
            node.set(qn("w:id"), str(number))

    def contents(self) -> None:
        """Fill the contents (TOC) field's shown text with the parts and the clauses of the
        terms, linked to them; a short document loses its contents page instead.

        Page numbers are left to Word, which rebuilds the field when it updates fields on
        opening (the reference document asks it to) or on F9: a page number written here could
        only be a guess, and LibreOffice shows a contents field's text as it finds it. The field
        collects outline levels 1 and 2 only, the levels of these entries, so that updating it
        in either program lists each once and leaves out the title and the schedules' paragraphs.
        """
        if TOC_STYLE.format(1).casefold() not in self.style_ids:
            return
        instruction_tag, char_tag, char_type = qn("w:instrText"), qn("w:fldChar"), \
            qn("w:fldCharType")
        nodes = self.body.iter(instruction_tag, char_tag)  # just the fields, in document order
        toc = next((n for n in nodes if n.tag == instruction_tag
                    and (n.text or "").strip().upper().startswith("TOC ")), None)
        if toc is None:
            return
        instr_run = toc.getparent()
        begin_run = instr_run.getprevious()
        if begin_run is None or not begin_run.xpath('w:fldChar[@w:fldCharType="begin"]'):
            return
        depth, end_char = 0, None
        for node in nodes:  # the fields after the contents' instruction
            if node.tag == char_tag:
                kind = node.get(char_type)
                if kind == "begin":
                    depth += 1
                elif kind == "end":
                    if depth == 0:
                        end_char = node
                        break
                    depth -= 1
        first = instr_run.getparent()
        last = end_char.getparent().getparent() if end_char is not None else None
        if last is None or first.tag != qn("w:p") or last.tag != qn("w:p") or \
                first.getparent() is not last.getparent():
            return
        old = [first]
        while old[-1] is not last:
            following = old[-1].getnext()
            if following is None:
                return
            old.append(following)
        if len(self.toc_entries) < MIN_CONTENTS:
            heading = first.getprevious()
            if heading is not None and TOC_HEADING.casefold() in self.style_ids and \
                    heading.xpath(f'w:pPr/w:pStyle/@w:val="{self.style(TOC_HEADING)}"'):
                old.insert(0, heading)
            for p in old:
                p.getparent().remove(p)
            return
        paragraphs = []
        for number, text, anchor, level in self.toc_entries:
            style = TOC_STYLE.format(level)
            p = self.paragraph(style if style.casefold() in self.style_ids else TOC_STYLE.format(1))
            link = el("w:hyperlink", anchor=anchor, history=1)
            plain = PLAIN
            if number:
                link.append(text_run(number, plain))
                link.append(el("w:r", [el("w:tab")]))
            link.append(text_run(text, plain))
            p.append(link)
            paragraphs.append(p)
        paragraphs[0].insert(1, copy.deepcopy(begin_run))
        paragraphs[0].insert(2, copy.deepcopy(instr_run))
        paragraphs[0].insert(3, el("w:r", [el("w:fldChar", fldCharType="separate")]))
        paragraphs[-1].append(el("w:r", [el("w:fldChar", fldCharType="end")]))
        for p in paragraphs:
            first.addprevious(p)
        for p in old:
            p.getparent().remove(p)

    def toc_entry(self, paragraph: Any, number: str, text: str, level: int) -> None:
        anchor = f"{TOC_PREFIX}{len(self.toc_entries) + 1:04d}"
        self.toc_entries.append((number, clean(text), anchor, level))
        bookmark_id = self.next_bookmark_id
        self.next_bookmark_id += 1
        props = paragraph.find(qn("w:pPr"))
        start = el("w:bookmarkStart", id=bookmark_id, name=anchor)
        if props is not None:
            props.addnext(start)
        else:
            paragraph.insert(0, start)
        paragraph.append(el("w:bookmarkEnd", id=bookmark_id))

    def _name_bookmarks(self, document: Document) -> None:
        """``_Ref_s75_0001`` ... for every referenced label, in document order."""
        # Deleted text's references are written as text, so need no bookmark.
        targets = {s.target for s in spans(document.parts, without="del") if s.kind == "ref"}
        for part in document.parts:
            labels = [(_label(part), True)] + [(_label(b), False) for b in part.blocks]
            for label, is_part in labels:
                if label and label in targets and label not in self.bookmark_names:
                    number = len(self.bookmark_names) + 1
                    self.bookmark_names[label] = f"{BOOKMARK_PREFIX}{number:04d}"
                    self.part_targets[label] = is_part

    def part(self, part: Part) -> list[Any]:
        out = [self.part_heading(part)]
        numbered = part.kind in NUMBERED_PARTS
        nums: dict[str, int] = {}
        gapped: list[int] = []  # positions in `out` of paragraphs that follow a table
        for index, block in enumerate(part.blocks):
            following = part.blocks[index + 1] if index + 1 < len(part.blocks) else None
            if block.kind == "heading":
                if part.kind == "front":
                    nums = {k: v for k, v in nums.items() if k == "clause"}
                p = self.paragraph(SUB_HEADING if numbered else FRONT_HEADING,
                                   change=block.change)
                p.extend(self.runs(block.spans))
                out.append(p)
            elif block.kind == "clause":
                out.append(self.clause(block, nums, in_terms=part.kind == "body"))
                if _lead_in(block, following):  # stays on the page of its first item
                    out[-1].get_or_add_pPr().keepNext_val = True
            elif block.kind == "bullet":
                left = self.text_at[min(block.level, MAX_STYLE_LEVEL)] + self.bullet_hanging
                p = self.paragraph(LIST_BULLET, ind=(left, self.bullet_hanging),
                                   change=block.change)
                p.extend(self.runs(block.spans))
                out.append(p)
            elif block.kind == "table":
                spacer = following is None or following.kind == "table"
                out.extend(self.table(block, spacer=spacer))
                if not spacer:
                    gapped.append(len(out))
            elif part.kind == "execution" and not block.level:
                out.append(self.execution_text(block, following))
            else:
                level = min(block.level, MAX_STYLE_LEVEL)
                p = self.paragraph(BODY.format(level) if level else "Normal",
                                   change=block.change)
                p.extend(self.runs(block.spans))
                self.bookmark(p, _label(block))
                out.append(p)
        for position, element in enumerate(out[:-1]):  # what introduces a table stays with it
            if element.tag == qn("w:p") and out[position + 1].tag == qn("w:tbl"):
                element.get_or_add_pPr().keepNext_val = True
        for position in gapped:  # the gap after a table, on the paragraph that follows it
            out[position].get_or_add_pPr().get_or_add_spacing().before = Twips(TABLE_GAP)
        return out

    def execution_text(self, block: Block, following: Block | None) -> Any:
        """Execution blocks: each party's block kept on one page, where it fits."""
        keep = following is not None and not _all_strong(following)
        style = EXECUTION_TEXT if EXECUTION_TEXT.casefold() in self.style_ids else "Normal"
        p = self.paragraph(style, keep_next=keep, change=block.change)
        p.extend(self.runs(block.spans))
        self.bookmark(p, _label(block))
        return p

    def part_heading(self, part: Part) -> Any:
        """Each part's heading starts a page (the first after the contents)."""
        p = self.paragraph(AGREEMENT_TITLE if part.kind == "front" else PART_HEADING,
                           page_break=True, change=part.change)
        fmt = Format(change=part.change)
        if part.name:
            p.extend(self.tracked([(text_run(part.name, fmt), part.change)]))
            self.bookmark(p, _label(part))
            p.extend(self.tracked([(text_run(": ", fmt), part.change)]))
            p.extend(self.runs(part.title, fmt))
        else:
            p.extend(self.runs(part.title, fmt))
            self.bookmark(p, _label(part))
        if part.kind != "front" and part.change != "del":
            title = plain_text(part.title, without="del")  # a redline's contents show the new headings
            self.toc_entry(p, "", f"{part.name}: {title}" if part.name else title, 1)
        return p

    def clause(self, block: Block, nums: dict[str, int], *, in_terms: bool) -> Any:
        """A numbered paragraph; a clause heading of the terms is listed in the contents, one
        of a schedule or scheme only put at a lower outline level (navigable, not listed)."""
        style_kind = block.list_style if block.list_style in self.lists else "clause"
        abstract = self.lists[style_kind]
        if style_kind not in nums:
            nums[style_kind] = self._new_num(abstract)
        level = min(block.level, MAX_STYLE_LEVEL)
        if style_kind == "clause":
            p = self.paragraph(CLAUSE.format(level), num=(nums[style_kind],
                                                          self.clause_levels[level]),
                               outline=None if in_terms or level > 1 else SCHEDULE_OUTLINE,
                               change=block.change)
        else:
            style = PARTIES if style_kind == "parties" else RECITALS
            base = self._level_of(abstract, style, 0)
            ilvl = base + level - 1
            p = self.paragraph(style, num=(nums[style_kind], ilvl),
                               ind=self._indent(abstract, ilvl) if level > 1 else None,
                               change=block.change)
        p.extend(self.runs(block.spans))
        self.bookmark(p, _label(block))
        if in_terms and style_kind == "clause" and level == 1 and block.change != "del":
            # A redline's contents list the headings as they now read.
            self.toc_entry(p, self.clause_number_text.replace("%1", block.number),
                           plain_text(block.spans, without="del"), 2)
        return p

    def table(self, block: Block, *, spacer: bool) -> list[Any]:
        """The table; with ``spacer``, an empty paragraph after it, which Word needs only
        between two tables or at the very end (elsewhere the next paragraph is spaced)."""
        if not block.rows:
            return []
        columns = max(len(row) for row in block.rows)
        indent = self.text_at[min(block.level, MAX_STYLE_LEVEL)]
        total = max(self.text_width - indent, 2000)
        widths = _column_widths(block.rows, columns, total)
        table = el("w:tbl", [
            el("w:tblPr", [
                el("w:tblStyle", val=self.style(TABLE_STYLE)),
                el("w:tblW", w=total, type="dxa"),
                el("w:tblInd", w=indent, type="dxa"),
                el("w:tblLayout", type="fixed"),
                el("w:tblLook", val="04A0", firstRow=1, lastRow=0, firstColumn=0,
                    lastColumn=0, noHBand=1, noVBand=1),
            ]),
            el("w:tblGrid", [el("w:gridCol", w=w) for w in widths]),
        ])
        kept = _kept_rows(len(block.rows))
        for index, row in enumerate(block.rows):
            header = all(cell.header for cell in row) and bool(row)
            tr_props = [el("w:cantSplit")]
            if header and index == 0:
                tr_props.append(el("w:tblHeader"))
            row_change = block.change or _row_change(row)
            if row_change:  # an inserted or deleted row: accepting or rejecting removes it
                tr_props.append(self.revision(row_change))
            tr = el("w:tr", [el("w:trPr", tr_props)])
            for c in range(columns):
                cell = row[c] if c < len(row) else Cell([])
                tr.append(self.cell(cell, widths[c], header, keep_next=index in kept))
            table.append(tr)
        if not spacer:
            return [table]
        gap = self.paragraph("Normal", change=block.change)
        gap[0].insert(1, el("w:spacing", before=0, after=0))
        return [table, gap]

    def cell(self, cell: Cell, width: int, header: bool, *, keep_next: bool = False) -> Any:
        jc = {"right": "right", "center": "center"}.get(cell.align)
        p = self.paragraph(TABLE_TEXT, jc=jc, keep_next=keep_next)
        p.extend(self.runs(cell.spans, Format(bold=header)))
        return el("w:tc", [el("w:tcPr", [el("w:tcW", w=width, type="dxa")]), p])


KEEP_WHOLE_TABLE = 12  # rows: a table this short is kept on one page
KEEP_LAST_ROWS = 3  # a longer table takes at least its last rows (a total) over a page together


def _kept_rows(count: int) -> set[int]:
    """The rows whose paragraphs keep with the next row: all of a short table, so it moves to
    the next page whole; the header and the last few of a long one, so that neither a header
    nor one row and its total is left on a page of its own."""
    if count <= KEEP_WHOLE_TABLE:
        return set(range(count - 1))
    return {0, *range(count - KEEP_LAST_ROWS, count - 1)}


_CHAR_TWIPS = 115  # an average character of 10 pt Arial, bold headers included
_CELL_PADDING = 2 * 108 + 20


def _column_widths(rows: list[list[Cell]], columns: int, total: int) -> list[int]:
    """Column widths (twips) summing to ``total``: no column narrower than its longest word
    (so "£60,987,000" never breaks), the rest shared in proportion to the columns' text."""
    least, wanted = [], []
    for c in range(columns):
        texts = [row[c].plain() for row in rows if c < len(row)]
        longest_word = max((len(w) for t in texts for w in t.split()), default=1)
        longest_text = max((len(t) for t in texts), default=1)
        least.append(longest_word * _CHAR_TWIPS + _CELL_PADDING)
        wanted.append(max(longest_text, 4) * _CHAR_TWIPS + _CELL_PADDING)
    if sum(least) >= total:  # too many columns to fit every word: share by those needs
        widths = [total * n // sum(least) for n in least]
    elif sum(wanted) <= total:  # everything fits on one line: spread the spare room evenly
        widths = [n * total // sum(wanted) for n in wanted]
    else:  # the longest words fit; the rest goes to the columns with the most text
        spare = total - sum(least)
        extra = [w - n for w, n in zip(wanted, least, strict=False)]
        widths = [n + spare * e // max(sum(extra), 1) for n, e in zip(least, extra, strict=False)]
    widths[-1] += total - sum(widths)
    return widths


def _label(item: Block | Part) -> str | None:
    """The label to bookmark: none on deleted text, whose references are written as text."""
    return None if item.change == "del" else item.label


def _format(outer: Format, path: tuple[Node, ...]) -> Format:
    """The format of the text at the end of ``path`` (its spans, outermost first): bold or
    italic inside a bold or italic span, changed as the innermost change says."""
    f = outer
    for node in path:
        if isinstance(node, Span):
            if node.change:
                f = replace(f, change=node.change)
            if node.kind in ("strong", "em"):
                f = replace(f, bold=True) if node.kind == "strong" else replace(f, italic=True)
    return f


def _row_change(row: list[Cell]) -> str | None:
    """"ins" / "del" when every piece of text in the row is inserted (or deleted)."""
    changes = {s.change for s in spans(row) if not s.children}
    return changes.pop() if len(changes) == 1 and None not in changes else None


def _lead_in(block: Block, following: Block | None) -> bool:
    """A paragraph that introduces the list below it ("... are as follows:")."""
    return following is not None and following.level > block.level \
        and block.plain().rstrip().endswith(":")


def _all_strong(block: Block) -> bool:
    """A paragraph wholly in bold: in the execution part, the name over a party's block."""
    shown = [s for s in block.spans if s.kind != "text" or s.text.strip()]
    return block.kind == "text" and bool(shown) and all(s.kind == "strong" for s in shown)
