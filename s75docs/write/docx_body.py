"""The agreement's body in Word: parts, clauses, tables, references and tracked changes.

:class:`BodyWriter` reads the reference document's styles and lists, then writes each part's
paragraphs as WordprocessingML text: clause paragraphs on the linked multilevel list (a new
list instance per part), bookmarks round the clauses references name, ``REF`` fields for
references, the contents field's text, and a redline's ``w:ins``/``w:del`` revisions. The text is
spliced into the serialised document part where the ``{{p body }}`` placeholder stood (making
one lxml element per node was most of a big table's build). Bookmark and revision ids stand as
tokens until they are numbered in document order, with the reference's own. See
:mod:`s75docs.write.docx` for the whole design.
"""

from __future__ import annotations

import copy
import functools
import re
import weakref
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from s75docs.document.nodes import (
    NUMBERED_PARTS,
    Block,
    Cell,
    Document,
    Part,
    Span,
    plain_text,
    spans,
)
from s75docs.errors import Finding, S75Error
from s75docs.write.docx_xml import (
    AUTHOR,
    PLAIN,
    Format,
    clean,
    el,
    esc,
    esc_attr,
    field_runs,
    fragment,
    qn,
    run_props,
    serialise,
    tag,
    text_run,
)

if TYPE_CHECKING:
    from s75docs.write.docx import DocxMeta
    from s75docs.write.docx_package import Package

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


# What a build's documents share (see BodyWriter.block_runs): by id(block), the block, the
# revisions' author and date, and its runs.
Shared = dict[int, tuple[Block, tuple[str, object], list[str]]]


class BodyWriter:
    # looked up in the reference's styles and lists (see _look_up)
    style_ids: dict[str, str]
    _levels: dict[tuple[str, str, int], int]
    _indents: dict[tuple[str, int], tuple[int, int]]
    clause_list: str
    clause_levels: dict[int, int]
    text_at: dict[int, int]
    lists: dict[str, str]
    bullet_hanging: int
    clause_number_text: str

    def __init__(self, docx: Package, where: str, meta: DocxMeta | None = None,
                 shared: Shared | None = None) -> None:
        self.docx = docx
        self.where = where
        self.revision_author = clean(meta.revision_author) if meta else AUTHOR
        self.revision_date = meta.revision_date if meta else None
        self.shared = shared
        self.fixed = True  # no reference met in the runs being written (see block_runs)
        self.body = docx.document.find(qn("w:body"))
        self.numbering = docx.numbering
        self._by_name: dict[str, str] = {}  # style ids by the names the writer asks for
        self._num_ids: set[int] | None = None  # the list instances' ids in use (_new_num)
        # What the reference's styles and lists say, looked up once per reference (the lists'
        # definitions are the reference's: a document only adds list instances to them).
        looked_up = docx.reference.memo.get("body")
        if looked_up is None:
            looked_up = docx.reference.memo["body"] = self._look_up()
        (self.style_ids, self._levels, self._indents, self.clause_list, self.clause_levels,
         self.text_at, self.lists, self.bullet_hanging, self.clause_number_text) = looked_up
        self.text_width = _text_width(self.body)
        self.bookmark_names: dict[str, str] = {}
        self.part_targets: dict[str, bool] = {}
        self.toc_entries: list[tuple[str, str, str, int]] = []  # number, text, anchor, level
        self.bookmark_count = 0

    def _look_up(self) -> tuple[Any, ...]:
        """The styles' ids, the lists the styles are linked to, their levels and indents."""
        self.style_ids = self._style_ids()
        self._levels, self._indents = {}, {}  # list levels and indents, as they are looked up
        missing = [name for name in REQUIRED_STYLES if name.casefold() not in self.style_ids]
        if missing:
            self._fail(f"the reference document has no style named {', '.join(map(repr, missing))}")
        clause_list = self._linked_list(CLAUSE.format(1))
        clause_levels = {level: self._level_of(clause_list, CLAUSE.format(level), level - 1)
                         for level in range(1, MAX_STYLE_LEVEL + 1)}
        text_at = {0: 0, **{level: self._indent(clause_list, clause_levels[level])[0]
                            for level in clause_levels}}
        lists = {"clause": clause_list, "parties": self._linked_list(PARTIES),
                 "recitals": self._linked_list(RECITALS)}
        bullet_list = self._linked_list(LIST_BULLET)
        bullet_hanging = self._indent(bullet_list, self._level_of(bullet_list, LIST_BULLET,
                                                                  0))[1] or 360
        level_text = self.numbering.xpath(
            f'w:abstractNum[@w:abstractNumId="{clause_list}"]'
            f'/w:lvl[@w:ilvl="{clause_levels[1]}"]/w:lvlText/@w:val')
        return (self.style_ids, self._levels, self._indents, clause_list, clause_levels, text_at,
                lists, bullet_hanging, str(level_text[0]) if level_text else "%1")

    def _fail(self, message: str) -> None:
        raise S75Error(Finding("error", message, self.where, code="template"))

    # styles and lists of the reference document

    def _style_ids(self) -> dict[str, str]:
        styles = self.docx.styles
        out: dict[str, str] = {}
        for style in styles.xpath("w:style"):
            names = style.xpath("w:name/@w:val")
            style_id = style.get(qn("w:styleId"))
            if names and style_id and names[0].casefold() not in out:
                out[names[0].casefold()] = style_id
        return out

    def style(self, name: str) -> str:
        found = self._by_name.get(name)
        if found is None:
            found = self._by_name[name] = self.style_ids[name.casefold()]
        return found

    def _linked_list(self, style_name: str) -> str:
        """The abstractNumId of the list the style is linked to."""
        style_id = self.style(style_name)
        style = self.docx.styles.xpath(f'w:style[@w:styleId="{style_id}"]')[0]
        num_ids = style.xpath("w:pPr/w:numPr/w:numId/@w:val")
        abstract = self.numbering.xpath(f'w:num[@w:numId="{num_ids[0]}"]/w:abstractNumId/@w:val'
                                        ) if num_ids else []
        if not abstract:
            self._fail(f"style {style_name!r} of the reference document is not linked to a "
                       "numbered list (Word: Define New Multilevel List, Link level to style)")
        return str(abstract[0])

    def _level_of(self, abstract_id: str, style_name: str, default: int) -> int:
        key = (abstract_id, style_name, default)
        if key not in self._levels:
            self._levels[key] = self._find_level(abstract_id, style_name, default)
        return self._levels[key]

    def _find_level(self, abstract_id: str, style_name: str, default: int) -> int:
        levels = self.numbering.xpath(
            f'w:abstractNum[@w:abstractNumId="{abstract_id}"]/w:lvl'
            f'[w:pStyle/@w:val="{self.style(style_name)}"]/@w:ilvl')
        return int(levels[0]) if levels else default

    def _indent(self, abstract_id: str, ilvl: int) -> tuple[int, int]:
        """(left, hanging) of a list level, in twips."""
        if (abstract_id, ilvl) not in self._indents:
            self._indents[abstract_id, ilvl] = self._find_indent(abstract_id, ilvl)
        return self._indents[abstract_id, ilvl]

    def _find_indent(self, abstract_id: str, ilvl: int) -> tuple[int, int]:
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
        used = self._num_ids
        if used is None:  # the reference's; then each added here (the lists of every part)
            used = self._num_ids = {int(n) for n in self.numbering.xpath("w:num/@w:numId")
                                    if n.isdigit()}
        num_id = next(n for n in range(1, len(used) + 2) if n not in used)
        used.add(num_id)
        overrides = "".join(f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="1"/>'
                            "</w:lvlOverride>" for ilvl in range(9))
        num = fragment(f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{int(abstract_id)}"/>'
                       f"{overrides}</w:num>")[0]  # as python-docx's add_num and add_lvlOverride
        cleanup = self.numbering.find(qn("w:numIdMacAtCleanup"))
        if cleanup is None:
            self.numbering.append(num)
        else:
            cleanup.addprevious(num)
        return num_id

    # paragraphs

    def paragraph(self, style_name: str, *, num: tuple[int, int] | None = None,
                  ind: tuple[int, int] | None = None, page_break: bool = False,
                  keep_next: bool = False, jc: str | None = None, outline: int | None = None,
                  change: str | None = None) -> Para:
        return Para(self.style(style_name), keep_next=keep_next, page_break=page_break, num=num,
                    ind=ind, jc=jc, outline=outline,
                    mark=f"<w:rPr>{self.revision(change)}</w:rPr>" if change else "")

    def revision(self, change: str, inner: str | None = None) -> str:
        """A ``w:ins`` or ``w:del`` with the redline's author and date, round ``inner`` (its id
        is a token, numbered in document order at the end)."""
        name = "w:ins" if change == "ins" else "w:del"
        date = "" if self.revision_date is None else \
            f' w:date="{self.revision_date.isoformat()}T00:00:00Z"'
        head = f'<{name} w:id="{REVISION_TOKEN}" w:author="{esc_attr(self.revision_author)}"{date}'
        return head + "/>" if inner is None else f"{head}>{inner}</{name}>"

    def tracked(self, runs: list[tuple[str, str | None]]) -> list[str]:
        """Runs, each neighbouring group of inserted (or deleted) ones wrapped in one revision."""
        out: list[str] = []
        group: list[str] = []
        current = None
        for run, change in runs:
            if change != current and group:
                assert current is not None
                out.append(self.revision(current, "".join(group)))
                group = []
            current = change
            if change is None:
                out.append(run)
            else:
                group.append(run)
        if group:
            assert current is not None
            out.append(self.revision(current, "".join(group)))
        return out

    def _bookmark_id(self) -> str:
        self.bookmark_count += 1
        return f"{BOOKMARK_TOKEN}{self.bookmark_count}{BOOKMARK_TOKEN}"

    def bookmark(self, paragraph: Para, label: str | None) -> None:
        """Bookmark what the paragraph holds so far, if a reference names the label."""
        if not label or label not in self.bookmark_names:
            return
        bookmark_id = self._bookmark_id()
        start = f'<w:bookmarkStart w:id="{bookmark_id}" w:name="{self.bookmark_names[label]}"/>'
        paragraph.content.insert(0, start)
        paragraph.content.append(f'<w:bookmarkEnd w:id="{bookmark_id}"/>')

    def block_runs(self, block: Block) -> list[str]:
        """A paragraph's runs; written once for the documents sharing ``shared`` (a build's
        agreement and each scheme on its own), unless they hold a reference, whose field
        depends on the document's bookmarks. Revision ids are tokens, the same everywhere;
        their author and date are part of the key."""
        if self.shared is None:
            return self.runs(block.spans)
        key = (self.revision_author, self.revision_date)
        found = self.shared.get(id(block))
        if found is not None and found[0] is block and found[1] == key:
            return found[2]
        self.fixed = True
        out = self.runs(block.spans)
        if self.fixed:
            self.shared[id(block)] = (block, key, out)
        return out

    def runs(self, items: list[Span], fmt: Format = PLAIN) -> list[str]:
        """Runs for spans, neighbouring text of one format merged into one run."""
        if not fmt.change and len(items) == 1 and items[0].kind == "text" and \
                not items[0].children and not items[0].change:  # most table cells
            text = clean(items[0].text)
            return [text_run(text, fmt)] if text else []
        out: list[tuple[str, str | None]] = []
        pending: list[tuple[str, Format]] = []
        for span in items:
            self._visit(span, fmt, pending, out)
        _flush(pending, out)
        return self.tracked(out)

    def _visit(self, span: Span, outer: Format, pending: list[tuple[str, Format]],
               out: list[tuple[str, str | None]]) -> None:
        """One span's text into ``pending``, a reference's field straight into ``out``.
        (A method, not a function nested in :meth:`runs`: a nested function calling itself is
        a reference cycle, which would keep the whole writer until the collector ran.)"""
        f = _format(outer, span)
        if span.children:
            for child in span.children:
                self._visit(child, f, pending, out)
        elif span.kind == "text":
            pending.append((clean(span.text), f))
        elif span.kind == "break":
            pending.append((" ", f))
        elif span.kind == "define":
            pending.append((f"\u201c{clean(span.text)}\u201d", _derived(f, "strong", None)))
        elif span.kind == "open":
            pending.append((f"[{clean(span.text)}]", _derived(f, "open", None)))
        elif span.kind == "ref":
            self.fixed = False
            name = self.bookmark_names.get(span.target)
            # A target in a part left out (a scheme on its own), or deleted text: no field.
            if name is None or f.change == "del":
                pending.append((clean(span.plain()), f))
                return
            pending.append((clean(span.before), f))
            _flush(pending, out)
            switches = "\\h" if self.part_targets.get(span.target) else "\\w \\h"
            out.extend((run, f.change) for run in
                       field_runs(f"REF {name} {switches}", clean(span.number), f))
            pending.append((clean(span.after), f))

    # the document

    def write(self, document: Document) -> dict[str, bytes]:
        """Write the document's body where the placeholder stands; returns the document part's
        bytes by zip entry name (the body is spliced into the serialised part as text: building
        it element by element in lxml was the writer's whole cost)."""
        placeholders = self.body.xpath(
            f'.//w:p[w:pPr/w:pStyle/@w:val="{PLACEHOLDER_STYLE}"]')
        if not placeholders:
            self._fail("the reference document has no '{{p body }}' paragraph for the agreement")
        self._name_bookmarks(document)
        placeholder = placeholders[0]
        for extra in placeholders[1:]:
            extra.getparent().remove(extra)
        marker = fragment(MARKER)[0]
        placeholder.addprevious(marker)
        placeholder.getparent().remove(placeholder)
        pieces = [element.xml() for part in document.parts for element in self.part(part)]
        self.contents()
        body = self._number_annotations(marker, pieces)
        head, found, tail = serialise(self.docx.document).partition(MARKER.encode())
        if not found:  # pragma: no cover - the marker is ours, written as lxml writes it
            self._fail("the body's place in the document was lost")
        return {self.docx.main: b"".join((head, body.encode("utf-8"), tail))}

    def _number_annotations(self, marker: Any, pieces: list[str]) -> str:
        """Bookmark ids 0, 1, 2 ... in document order, then tracked changes' ids after them
        (both are annotations, whose ids Word wants unique): the reference's own in its tree,
        the body's in its text, where they stand as tokens. The body comes as its paragraphs'
        and tables' XML, joined here: only the pieces with a bookmark are searched (a budget
        table's XML may be tens of megabytes with none)."""
        start_tag, end_tag, id_attr = qn("w:bookmarkStart"), qn("w:bookmarkEnd"), qn("w:id")
        before: list[Any] = []
        after: list[Any] = []
        side = before
        for node in self.body.iter(start_tag, qn("w:p")):
            if node is marker:
                side = after
            elif node.tag == start_tag:
                side.append(node)
        ids: dict[str, str] = {}
        for node in before:
            ids.setdefault(node.get(id_attr), str(len(ids)))
        body_ids: dict[str, str] = {}
        marked = [BOOKMARK_TOKEN in piece for piece in pieces]
        for piece, has in zip(pieces, marked, strict=True):
            for token in _BOOKMARK_START.findall(piece) if has else ():
                body_ids.setdefault(token, str(len(ids) + len(body_ids)))
        for node in after:
            ids.setdefault(node.get(id_attr), str(len(ids) + len(body_ids)))
        for node in self.body.iter(start_tag, end_tag):
            old = node.get(id_attr)
            if old in ids:
                node.set(id_attr, ids[old])
        body = "".join([_BOOKMARK_ID.sub(lambda m: body_ids[m.group(1)], piece)
                        if has and body_ids else piece
                        for piece, has in zip(pieces, marked, strict=True)])
        first = len({node.get(id_attr) for node in self.body.iter(start_tag)}) + len(body_ids)
        revisions_before: list[Any] = []
        revisions_after: list[Any] = []
        side = revisions_before
        for node in self.body.iter(qn("w:ins"), qn("w:del"), qn("w:p")):
            if node is marker:
                side = revisions_after
            elif node.tag != qn("w:p"):
                side.append(node)
        number = first
        for node in revisions_before:
            node.set(id_attr, str(number))
            number += 1
        if REVISION_TOKEN in body:
            pieces = body.split(REVISION_TOKEN)
            body = "".join(piece + (str(number + i) if i < len(pieces) - 1 else "")
                           for i, piece in enumerate(pieces))
            number += len(pieces) - 1
        for node in revisions_after:
            node.set(id_attr, str(number))
            number += 1
        return body

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
            link = text_run(number, PLAIN) + "<w:r><w:tab/></w:r>" if number else ""
            p.content.append(f'<w:hyperlink w:anchor="{esc_attr(anchor)}" w:history="1">'
                             f"{link}{text_run(text, PLAIN)}</w:hyperlink>")
            paragraphs.append(p.xml())
        toc_paragraphs = fragment("".join(paragraphs))
        toc_paragraphs[0].insert(1, copy.deepcopy(begin_run))
        toc_paragraphs[0].insert(2, copy.deepcopy(instr_run))
        toc_paragraphs[0].insert(3, el("w:r", [el("w:fldChar", fldCharType="separate")]))
        toc_paragraphs[-1].append(el("w:r", [el("w:fldChar", fldCharType="end")]))
        for p in toc_paragraphs:
            first.addprevious(p)
        for p in old:
            p.getparent().remove(p)

    def toc_entry(self, paragraph: Para, number: str, text: str, level: int) -> None:
        anchor = f"{TOC_PREFIX}{len(self.toc_entries) + 1:04d}"
        self.toc_entries.append((number, clean(text), anchor, level))
        bookmark_id = self._bookmark_id()
        paragraph.content.insert(0, f'<w:bookmarkStart w:id="{bookmark_id}" w:name="{anchor}"/>')
        paragraph.content.append(f'<w:bookmarkEnd w:id="{bookmark_id}"/>')

    def _name_bookmarks(self, document: Document) -> None:
        """``_Ref_s75_0001`` ... for every referenced label, in document order."""
        # Deleted text's references are written as text, so need no bookmark.
        targets = ref_targets(document.parts)
        for part in document.parts:
            labels = [(_label(part), True)] + [(_label(b), False) for b in part.blocks]
            for label, is_part in labels:
                if label and label in targets and label not in self.bookmark_names:
                    number = len(self.bookmark_names) + 1
                    self.bookmark_names[label] = f"{BOOKMARK_PREFIX}{number:04d}"
                    self.part_targets[label] = is_part

    def part(self, part: Part) -> list[Para | Table]:
        out: list[Para | Table] = [self.part_heading(part)]
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
                p.content.extend(self.block_runs(block))
                out.append(p)
            elif block.kind == "clause":
                clause = self.clause(block, nums, in_terms=part.kind == "body")
                if _lead_in(block, following):  # stays on the page of its first item
                    clause.keep_next = True
                out.append(clause)
            elif block.kind == "bullet":
                left = self.text_at[min(block.level, MAX_STYLE_LEVEL)] + self.bullet_hanging
                p = self.paragraph(LIST_BULLET, ind=(left, self.bullet_hanging),
                                   change=block.change)
                p.content.extend(self.block_runs(block))
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
                p.content.extend(self.block_runs(block))
                self.bookmark(p, _label(block))
                out.append(p)
        for position, element in enumerate(out[:-1]):  # what introduces a table stays with it
            if isinstance(element, Para) and isinstance(out[position + 1], Table):
                element.keep_next = True
        for position in gapped:  # the gap after a table, on the paragraph that follows it
            gap = out[position]
            assert isinstance(gap, Para)
            gap.spacing = f'<w:spacing w:before="{TABLE_GAP}"/>'
        return out

    def execution_text(self, block: Block, following: Block | None) -> Para:
        """Execution blocks: each party's block kept on one page, where it fits."""
        keep = following is not None and not _all_strong(following)
        style = EXECUTION_TEXT if EXECUTION_TEXT.casefold() in self.style_ids else "Normal"
        p = self.paragraph(style, keep_next=keep, change=block.change)
        p.content.extend(self.block_runs(block))
        self.bookmark(p, _label(block))
        return p

    def part_heading(self, part: Part) -> Para:
        """Each part's heading starts a page (the first after the contents)."""
        p = self.paragraph(AGREEMENT_TITLE if part.kind == "front" else PART_HEADING,
                           page_break=True, change=part.change)
        fmt = Format(change=part.change)
        if part.name:
            p.content.extend(self.tracked([(text_run(part.name, fmt), part.change)]))
            self.bookmark(p, _label(part))
            p.content.extend(self.tracked([(text_run(": ", fmt), part.change)]))
            p.content.extend(self.runs(part.title, fmt))
        else:
            p.content.extend(self.runs(part.title, fmt))
            self.bookmark(p, _label(part))
        if part.kind != "front" and part.change != "del":
            title = plain_text(part.title, without="del")  # a redline's contents show the new headings
            self.toc_entry(p, "", f"{part.name}: {title}" if part.name else title, 1)
        return p

    def clause(self, block: Block, nums: dict[str, int], *, in_terms: bool) -> Para:
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
        p.content.extend(self.block_runs(block))
        self.bookmark(p, _label(block))
        if in_terms and style_kind == "clause" and level == 1 and block.change != "del":
            # A redline's contents list the headings as they now read.
            self.toc_entry(p, self.clause_number_text.replace("%1", block.number),
                           plain_text(block.spans, without="del"), 2)
        return p

    def table(self, block: Block, *, spacer: bool) -> list[Para | Table]:
        """The table; with ``spacer``, an empty paragraph after it, which Word needs only
        between two tables or at the very end (elsewhere the next paragraph is spaced)."""
        if not block.rows:
            return []
        indent = self.text_at[min(block.level, MAX_STYLE_LEVEL)]
        total = max(self.text_width - indent, 2000)
        # The same table in a schedule's own document: written once, if nothing in it depends
        # on the document around it.
        key = _plain_table_key(block, (self.style(TABLE_STYLE), self.style(TABLE_TEXT), indent,
                                       total))
        xml = None if key is None else _TABLES.get(block, key)
        if xml is None:
            xml = self.table_xml(block, indent, total)
            if key is not None:
                _TABLES.put(block, key, xml)
        if not spacer:
            return [Table(xml)]
        gap = self.paragraph("Normal", change=block.change)
        gap.spacing = '<w:spacing w:before="0" w:after="0"/>'
        return [Table(xml), gap]

    def table_xml(self, block: Block, indent: int, total: int) -> str:
        columns = max(len(row) for row in block.rows)
        widths, size = _column_widths(block.rows, columns, total)
        xml = [f'<w:tbl><w:tblPr><w:tblStyle w:val="{esc_attr(self.style(TABLE_STYLE))}"/>'
               f'<w:tblW w:w="{total}" w:type="dxa"/><w:tblInd w:w="{indent}" w:type="dxa"/>'
               '<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" '
               'w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
               "</w:tblPr><w:tblGrid>",
               *(f'<w:gridCol w:w="{w}"/>' for w in widths), "</w:tblGrid>"]
        cell_props = [f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr>' for w in widths]
        style = f'<w:p><w:pPr><w:pStyle w:val="{esc_attr(self.style(TABLE_TEXT))}"/>'
        kept = _kept_rows(len(block.rows))
        empty = Cell([])
        # A cell's XML depends on its column, alignment and text and on its row's format and
        # keep: a budget table repeats most of its cells' text, so each is written once.
        written: dict[tuple[int, str, str, str, str], str] = {}
        formats = {bold: Format(bold=bold, size=size) for bold in (False, True)}
        for index, row in enumerate(block.rows):
            header = bool(row) and row[0].header and all(cell.header for cell in row)
            tr_props = "<w:cantSplit/>"
            if header and index == 0:
                tr_props += "<w:tblHeader/>"
            first = row[0].spans if row else None  # (_row_change's own first test, inline)
            row_change = block.change or (None if first and not first[0].children
                                          and first[0].change is None else _row_change(row))
            if row_change:  # an inserted or deleted row: accepting or rejecting removes it
                tr_props += self.revision(row_change)
            xml.append(f"<w:tr><w:trPr>{tr_props}</w:trPr>")
            fmt = formats[header]
            props = run_props(fmt)
            keep = "<w:keepNext/>" if index in kept else ""
            for c in range(columns):
                cell = row[c] if c < len(row) else empty
                spans = cell.spans
                if len(spans) == 1 and spans[0].kind == "text" and not spans[0].children \
                        and not spans[0].change:  # most cells: one run of plain text (_plain)
                    key = (c, cell.align, spans[0].text, props, keep)
                    found = written.get(key)
                    if found is None:
                        text = clean(spans[0].text)
                        runs = f'<w:r>{props}<w:t xml:space="preserve">{esc(text)}</w:t></w:r>' \
                            if text else ""
                        found = written[key] = (f"{cell_props[c]}{style}{keep}"
                                                f"{_JC.get(cell.align, '')}</w:pPr>{runs}</w:p>"
                                                "</w:tc>")
                    xml.append(found)
                    continue
                runs = "".join(self.runs(spans, fmt))
                xml.append(f"{cell_props[c]}{style}{keep}{_JC.get(cell.align, '')}</w:pPr>"
                           f"{runs}</w:p></w:tc>")
            xml.append("</w:tr>")
        xml.append("</w:tbl>")
        return "".join(xml)


class _TableCache:
    """Tables already written, by block and key (the layout and every cell's text, alignment
    and header flag, compared whole, so a table changed since is written afresh), only while
    their block lives."""

    def __init__(self) -> None:
        self.entries: dict[int, tuple[weakref.ref[Block], tuple[object, ...], str]] = {}

    def get(self, block: Block, key: tuple[object, ...]) -> str | None:
        entry = self.entries.get(id(block))
        if entry is None or entry[0]() is not block or entry[1] != key:
            return None
        return entry[2]

    def put(self, block: Block, key: tuple[object, ...], xml: str) -> None:
        self.entries = {number: entry for number, entry in self.entries.items()
                        if entry[0]() is not None}
        self.entries[id(block)] = (weakref.ref(block), key, xml)


def _plain_table_key(block: Block, layout: tuple[object, ...]) -> tuple[object, ...] | None:
    """What a table whose text stands alone is written from; None when any of it depends on
    the document around it (a reference, a change), which can differ from one document to
    the next. Emphasis, defined terms and open points are written the same everywhere (a
    budget table's bold total row), so they are part of the key."""
    if block.change:
        return None
    cells: list[tuple[object, str, bool]] = []
    for row in block.rows:
        for cell in row:
            if _plain(cell):
                cells.append((cell.spans[0].text, cell.align, cell.header))
                continue
            content = _fixed_spans(cell.spans)
            if content is None:
                return None
            cells.append((content, cell.align, cell.header))
    return (*layout, tuple(len(row) for row in block.rows), tuple(cells))


def _fixed_spans(items: list[Span]) -> tuple[object, ...] | None:
    """The spans as a key, if their runs depend on nothing but themselves: no reference (its
    field names a bookmark of this document) and no change (its revision is this document's)."""
    key: list[object] = []
    for span in items:
        if span.kind == "ref" or span.change:
            return None
        children = _fixed_spans(span.children)
        if children is None:
            return None
        key.append((span.kind, span.text, children))
    return tuple(key)


_TABLES = _TableCache()


def _plain(cell: Cell) -> bool:
    """A cell of one plain text span: no emphasis, reference, open point or change."""
    spans = cell.spans
    return len(spans) == 1 and spans[0].kind == "text" and not spans[0].children \
        and not spans[0].change


@dataclass
class Table:
    """A table, its XML ready."""

    text: str

    def xml(self) -> str:
        return self.text


@dataclass(slots=True)
class Para:
    """A paragraph still open to change (bookmarks, keep with next, the gap after a table):
    its properties, in the order WordprocessingML puts them, and its content as XML."""

    style: str
    keep_next: bool = False
    page_break: bool = False
    num: tuple[int, int] | None = None
    spacing: str = ""
    ind: tuple[int, int] | None = None
    jc: str | None = None
    outline: int | None = None
    mark: str = ""  # the paragraph mark's w:rPr: inserted or deleted with the paragraph
    content: list[str] = field(default_factory=list)

    def xml(self) -> str:
        props = [_pstyle(self.style)]
        if self.keep_next:
            props.append("<w:keepNext/>")
        if self.page_break:
            props.append("<w:pageBreakBefore/>")
        if self.num is not None:
            num_id, ilvl = self.num
            props.append(f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')
        props.append(self.spacing)
        if self.ind is not None:
            left, hanging = self.ind
            props.append(f'<w:ind w:left="{left}" w:hanging="{hanging}"/>' if hanging else
                         f'<w:ind w:left="{left}"/>')
        if self.jc:
            props.append(tag("jc", val=self.jc))
        if self.outline is not None:
            props.append(f'<w:outlineLvl w:val="{self.outline}"/>')
        props.append(self.mark)
        return f"<w:p><w:pPr>{''.join(props)}</w:pPr>{''.join(self.content)}</w:p>"


@functools.lru_cache(maxsize=256)
def _pstyle(style_id: str) -> str:
    return f'<w:pStyle w:val="{esc_attr(style_id)}"/>'


_JC = {"right": '<w:jc w:val="right"/>', "center": '<w:jc w:val="center"/>'}
# Ids of the body's annotations stand as tokens until they are numbered in document order.
BOOKMARK_TOKEN = "\x01"
REVISION_TOKEN = "\x02"
_BOOKMARK_START = re.compile('<w:bookmarkStart w:id="\x01(\\d+)\x01"')
_BOOKMARK_ID = re.compile("\x01(\\d+)\x01")
MARKER = f'<w:p><w:pPr><w:pStyle w:val="{PLACEHOLDER_STYLE}"/></w:pPr></w:p>'


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
_TABLE_SIZE = 20  # half-points: the Table Text style's 10 pt
_SMALLEST_TABLE_SIZE = 14  # 7 pt: smaller is hard to read on paper


def _column_widths(rows: list[list[Cell]], columns: int,
                   total: int) -> tuple[list[int], int | None]:
    """Column widths (twips) summing to ``total``, no column narrower than its longest word
    (so "£60,987,000.47" never breaks), the rest shared in proportion to the columns' text; and
    the text's size in half-points where the style's 10 pt would not let every word fit (a
    table of four years' amounts with pence), down to 7 pt (None: the style's size)."""
    distinct: list[set[str]] = [set() for _ in range(columns)]
    for row in rows:
        for c, cell in enumerate(row[:columns]):
            spans = cell.spans  # most cells: one plain span (Cell.plain's own shortcut)
            distinct[c].add(spans[0].text if len(spans) == 1 and spans[0].kind == "text"
                            and not spans[0].children else cell.plain())
    words, texts = [], []
    for column in distinct:  # each distinct text measured once: a budget table repeats most
        words.append(max([max(map(len, t.split()), default=0) for t in column], default=0) or 1)
        texts.append(max((len(t) for t in column), default=1))
    room = total - columns * _CELL_PADDING
    size = None
    if sum(words) * _CHAR_TWIPS > room:
        size = max(_SMALLEST_TABLE_SIZE, _TABLE_SIZE * room // (sum(words) * _CHAR_TWIPS))
    char = _CHAR_TWIPS * (size or _TABLE_SIZE) // _TABLE_SIZE
    least = [n * char + _CELL_PADDING for n in words]
    wanted = [max(n, 4) * char + _CELL_PADDING for n in texts]
    if sum(least) >= total:  # too many columns to fit every word: share by those needs
        widths = [total * n // sum(least) for n in least]
    elif sum(wanted) <= total:  # everything fits on one line: spread the spare room evenly
        widths = [n * total // sum(wanted) for n in wanted]
    else:  # the longest words fit; the rest goes to the columns with the most text
        spare = total - sum(least)
        extra = [w - n for w, n in zip(wanted, least, strict=False)]
        widths = [n + spare * e // max(sum(extra), 1) for n, e in zip(least, extra, strict=False)]
    widths[-1] += total - sum(widths)
    return widths, size


def _label(item: Block | Part) -> str | None:
    """The label to bookmark: none on deleted text, whose references are written as text."""
    return None if item.change == "del" else item.label



def _flush(pending: list[tuple[str, Format]], out: list[tuple[str, str | None]]) -> None:
    """The pending texts as runs, neighbours of one format merged into one run."""
    merged: list[tuple[str, Format]] = []
    for text, f in pending:
        if merged and (merged[-1][1] is f or merged[-1][1] == f):
            merged[-1] = (merged[-1][0] + text, f)
        else:
            merged.append((text, f))
    out.extend((text_run(text, f), f.change) for text, f in merged if text)
    pending.clear()

def _format(outer: Format, span: Span) -> Format:
    """The format of a span's text inside ``outer``: bold or italic inside a bold or italic
    span, changed as the innermost change says."""
    kind = span.kind
    if kind != "strong" and kind != "em":
        if not span.change:  # most spans
            return outer
        kind = "text"
    return _derived(outer, kind, span.change)


@functools.lru_cache(maxsize=1024)
def _derived(outer: Format, kind: str, change: str | None) -> Format:
    """``outer`` changed as ``change`` says and made bold for "strong", italic for "em" and
    highlighted for "open" (made once for each: ``replace`` is slow, and every span asks)."""
    f = outer
    if change:
        f = replace(f, change=change)
    if kind == "strong":
        f = replace(f, bold=True)
    elif kind == "em":
        f = replace(f, italic=True)
    elif kind == "open":
        f = replace(f, highlight=True)
    return f


def _row_change(row: list[Cell]) -> str | None:
    """"ins" / "del" when every piece of text in the row is inserted (or deleted)."""
    first = row[0].spans if row else None
    if first and not first[0].children and first[0].change is None:
        return None  # the first piece of text is unchanged (most rows)
    changes = set()
    for span in spans(row):
        if not span.children:
            if span.change is None:
                return None
            changes.add(span.change)
    return changes.pop() if len(changes) == 1 else None


def ref_targets(parts: list[Part]) -> set[str]:
    """The targets of the parts' references, deleted text left out: what
    ``spans(parts, without="del", kind="ref")`` finds, without a generator's cost a span (this
    runs over every span of every document)."""
    targets: set[str] = set()
    for part in parts:
        if part.change != "del":
            _ref_targets(part.title, targets)
            for block in part.blocks:
                if block.change != "del":
                    _ref_targets(block.spans, targets)
                    for row in block.rows:
                        for cell in row:
                            _ref_targets(cell.spans, targets)
    return targets


def _ref_targets(items: list[Span], targets: set[str]) -> None:
    """Add the targets of the references among ``items`` (see :func:`ref_targets`)."""
    for span in items:
        if span.change == "del":
            continue
        if span.kind == "ref":
            targets.add(span.target)
        if span.children:
            _ref_targets(span.children, targets)


def _lead_in(block: Block, following: Block | None) -> bool:
    """A paragraph that introduces the list below it ("... are as follows:")."""
    return following is not None and following.level > block.level \
        and block.plain().rstrip().endswith(":")


def _all_strong(block: Block) -> bool:
    """A paragraph wholly in bold: in the execution part, the name over a party's block."""
    shown = [s for s in block.spans if s.kind != "text" or s.text.strip()]
    return block.kind == "text" and bool(shown) and all(s.kind == "strong" for s in shown)


_UNITS = {"mm": 36000, "cm": 360000, "in": 914400, "pt": 12700, "pc": 152400, "pi": 152400}


def _emu(value: str | None) -> int | None:
    """A page measure in EMU: twips, or a number with its unit (``2.54cm``), as Word writes."""
    if value is None:
        return None
    unit = value[-2:]
    if unit in _UNITS:
        return int(round(float(value[:-2]) * _UNITS[unit]))
    return int(value) * 635


def _text_width(body: Any) -> int:
    """The width between the last section's margins, in twips (A4 with 1" margins if the
    section gives no page size or margins)."""
    sections = body.xpath("w:p/w:pPr/w:sectPr | w:sectPr")
    if sections:
        size, margins = sections[-1].find(qn("w:pgSz")), sections[-1].find(qn("w:pgMar"))
        if size is not None and margins is not None:
            measures = [_emu(size.get(qn("w:w"))), _emu(margins.get(qn("w:left"))),
                        _emu(margins.get(qn("w:right")))]
            if None not in measures:
                width, left, right = measures
                return int((width - left - right) / 635)  # type: ignore[operator]
    return 9026
