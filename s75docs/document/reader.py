"""The Markdown reader: the templates' rendered Markdown as parts and blocks, not yet numbered.

Conventions in the templates' Markdown (see templates/README.md):

* ``# Title {.kind #label}`` starts a part: ``front``, ``body``, ``schedule`` (numbered
  Schedule 1, 2 ...), ``scheme`` (a Part 2 scheme specification: Scheme 1, 2 ...) or
  ``execution``.
* In numbered parts ``## Heading`` is a level-1 clause (1), ordered lists nest as 1.1, 1.1.1,
  (a), (i); a second paragraph in an item continues it unnumbered. ``###`` is an unnumbered
  sub-heading, ``-`` lists are unnumbered bullets, pipe tables are tables.
* Inline markers, produced only by template helpers: ``{#label}`` labels the clause it stands
  in, ``{@label}`` refers to one, ``{=Term}`` defines a term, ``{?note}`` is an open point.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim
from markdown_it.rules_block.table import escapedSplit
from markdown_it.rules_core import StateCore, text_join
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from s75docs.constants import MAX_LEVEL
from s75docs.document.nodes import NUMBERED_PARTS, PART_KINDS, Block, Cell, Document, Part, Span, plain_text
from s75docs.document.typography import typeset
from s75docs.errors import Finding, S75Error

_MARKERS = {"#": "s75_label", "@": "s75_ref", "?": "s75_open", "=": "s75_define", ".": "s75_class"}
_UNESCAPE = re.compile(r"\\(.)")


def _marker_rule(state: StateInline, silent: bool) -> bool:
    """``{#x}``, ``{@x}``, ``{?x}``, ``{=x}``, ``{.x}``: our markers, never user data (escaped)."""
    src, pos = state.src, state.pos
    if src[pos] != "{" or pos + 1 >= state.posMax or src[pos + 1] not in _MARKERS:
        return False
    i = pos + 2
    while i < state.posMax:
        if src[i] == "\\":
            i += 2
            continue
        if src[i] == "}":
            break
        i += 1
    else:
        return False
    if not silent:
        token = state.push(_MARKERS[src[pos + 1]], "", 0)
        token.content = _UNESCAPE.sub(r"\1", src[pos + 2:i])
    state.pos = i + 1
    return True


def markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    md.disable(["image", "link", "autolink", "html_inline", "html_block", "code", "fence",
                "blockquote", "hr", "lheading", "reference", "text_join"])
    md.inline.ruler.before("escape", "s75_markers", _marker_rule)
    md.core.ruler.at("inline", _inline_rule)
    return md


def _inline_rule(state: StateCore) -> None:
    """markdown-it's ``inline`` and ``text_join`` rules, each paragraph's text read once: the
    clauses of one agreement after another are mostly the same paragraphs."""
    for token in state.tokens:
        if token.type == "inline":
            token.children = list(_inline_children(token.content, state.md))


@functools.lru_cache(maxsize=1024)  # the paragraphs an agreement shares with others stay
def _inline_children(content: str, md: MarkdownIt) -> tuple[Token, ...]:
    """One paragraph's inline tokens, as the two rules make them (no rule enabled here reads
    the parse's ``env``: references are disabled). Never changed afterwards, so shared."""
    children: list[Token] = []
    md.inline.parse(content, md, {}, children)
    line = Token("inline", "", 0, content=content, children=children)
    text_join(SimpleNamespace(tokens=[line]))  # type: ignore[arg-type]
    return tuple(line.children or [])


_PARSER = markdown_parser()
# Where the Markdown may be cut into pieces read apart: a heading after a blank line, where
# every block before it has ended. The pieces give the same tokens as the whole. (The blank
# line is matched, not looked behind for: a pattern that starts with text is searched for
# quickly, one that starts with a look-behind is tried at every character, 5x slower.)
_PIECE_END = re.compile(r"\n\n(?=#{1,3} )")


@functools.lru_cache(maxsize=1024)
def _piece_tokens(piece: str) -> tuple[Token, ...]:
    return tuple(_PARSER.parse(piece))


def read_tokens(markdown: str) -> list[Token]:
    """The Markdown's tokens, read heading by heading and remembered: a long-lived process (the
    workspace, after an edit) reads again only the sections whose text changed. The reader
    never changes a token, so one may be shared."""
    return [token for piece in pieces(markdown) for token in _piece_tokens(piece)]


def pieces(markdown: str) -> list[str]:
    """The Markdown cut before each heading that follows a blank line (see ``_PIECE_END``)."""
    ends = [match.end() for match in _PIECE_END.finditer(markdown)]
    bounds = zip([0, *ends], [*ends, len(markdown)], strict=True)
    return [markdown[start:end] for start, end in bounds if end > start]


@dataclass
class _Inline:
    spans: list[Span]
    label: str | None = None
    classes: list[str] = field(default_factory=list)
    defines: str | None = None


def _inline(token: Token, where: str) -> _Inline:
    out = _Inline([])
    stack: list[list[Span]] = [out.spans]
    for child in token.children or []:
        kind = child.type
        if kind == "text":
            if child.content:
                stack[-1].append(Span("text", child.content))
        elif kind in ("softbreak", "hardbreak"):
            stack[-1].append(Span("break"))
        elif kind == "code_inline":
            stack[-1].append(Span("text", child.content))
        elif kind in ("strong_open", "em_open"):
            span = Span("strong" if kind == "strong_open" else "em")
            stack[-1].append(span)
            stack.append(span.children)
        elif kind in ("strong_close", "em_close"):
            stack.pop()
        elif kind == "s75_label":
            if out.label:
                raise S75Error(Finding("error", f"two labels ({out.label}, {child.content}) in "
                                       "one paragraph", where, code="template"))
            out.label = child.content
        elif kind == "s75_class":
            out.classes.append(child.content)
        elif kind == "s75_ref":
            stack[-1].append(Span("ref", target=child.content))
        elif kind == "s75_open":
            stack[-1].append(Span("open", child.content))
        elif kind == "s75_define":
            stack[-1].append(Span("define", child.content))
            out.defines = child.content
        else:  # pragma: no cover - rules for anything else are disabled
            stack[-1].append(Span("text", child.content))
    _trim(out.spans)
    return out


def _trim(spans: list[Span]) -> None:
    """Markers at the end of a line leave a trailing space behind; drop it."""
    while spans and spans[-1].kind == "text" and not spans[-1].text.strip():
        spans.pop()
    if spans and spans[-1].kind == "text":
        spans[-1].text = spans[-1].text.rstrip()
    if spans and spans[0].kind == "text":
        spans[0].text = spans[0].text.lstrip()


def parse(markdown: str, *, source: str = "rendered agreement") -> Document:
    """Markdown (from the templates) to parts and blocks, quotes curled; numbering is left to
    ``finish``."""
    reader = _Reader(source)
    for kind, segment in _segments(markdown):
        if kind == "table":
            reader.table(segment)
        else:
            reader.tokens(read_tokens(segment))
    typeset(reader.parts)
    return Document(reader.parts)


class _Reader:
    """The state of one reading: the part and the lists open, across the text's segments."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[Part] = []
        self.part: Part | None = None
        self.lists: list[str] = []  # "ol" / "ul" stack
        self.list_style = "clause"

    def table(self, table: Table) -> None:
        """A pipe table split by :func:`_segments`: its columns' alignments and its rows, the
        header row first."""
        part = self.part = _require_part(self.part, self.source)
        block = Block("table", level=_numbered_depth(part, self.lists))
        aligns, rows = table
        plain: dict[str, str | None] = {}  # each distinct cell text read once (a budget table
        # repeats its partners, lines and years); the spans are each cell's own
        header = True
        for row in rows:
            cells = []
            for text, align in zip(row, aligns, strict=True):
                if text in plain:
                    found = plain[text]
                else:
                    found = plain[text] = _plain_cell(text)
                spans = _parsed_cell(text, self.source) if found is None \
                    else [Span("text", found)] if found else []
                cells.append(Cell(spans, align, header))
            block.rows.append(cells)
            header = False
        part.blocks.append(block)

    def tokens(self, tokens: list[Token]) -> None:
        source = self.source
        part, lists, list_style = self.part, self.lists, self.list_style
        first_para_in_item = False
        row: list[Cell] | None = None
        table: Block | None = None
        cell_header = False
        cell_align = "left"
        heading_tag = ""
        for token in tokens:
            kind = token.type
            if kind == "heading_open":
                heading_tag = token.tag
            elif kind == "inline" and heading_tag:
                inline = _inline(token, source)
                if heading_tag == "h1":
                    part_kind = next((c for c in inline.classes if c in PART_KINDS), None)
                    if part_kind is None:
                        raise S75Error(Finding("error", f"part heading {plain_text(inline.spans)!r} "
                                               "needs a kind: {.front}, {.body}, {.schedule}, "
                                               "{.scheme} or {.execution}", source, code="template"))
                    keys = [c[4:] for c in inline.classes if c.startswith("key=")]
                    part = Part(part_kind, inline.spans, inline.label, key=keys[0] if keys else None)  # type: ignore[arg-type]
                    self.parts.append(part)
                    list_style = "clause"
                else:
                    part = _require_part(part, source)
                    if heading_tag == "h2" and part.kind in NUMBERED_PARTS:
                        part.blocks.append(Block("clause", inline.spans, 1, inline.label))
                    else:
                        styles = [c for c in inline.classes if c in ("parties", "recitals")]
                        list_style = styles[0] if styles else "clause"
                        part.blocks.append(Block("heading", inline.spans, 0, inline.label))
                heading_tag = ""
            elif kind in ("ordered_list_open", "bullet_list_open"):
                lists.append("ol" if kind == "ordered_list_open" else "ul")
            elif kind in ("ordered_list_close", "bullet_list_close"):
                lists.pop()
            elif kind == "list_item_open":
                first_para_in_item = True
            elif kind == "inline" and table is not None:
                cell = Cell(_inline(token, source).spans, cell_align, cell_header)
                assert row is not None
                row.append(cell)
            elif kind == "inline":
                part = _require_part(part, source)
                inline = _inline(token, source)
                _add_paragraph(part, inline, lists, first_para_in_item, list_style, source)
                first_para_in_item = False
            elif kind == "table_open":
                part = _require_part(part, source)
                table = Block("table", level=_numbered_depth(part, lists))
            elif kind == "table_close":
                assert table is not None and part is not None
                part.blocks.append(table)
                table = None
            elif kind == "tr_open":
                row = []
            elif kind == "tr_close":
                assert table is not None and row is not None
                table.rows.append(row)
                row = None
            elif kind in ("th_open", "td_open"):
                cell_header = kind == "th_open"
                style = token.attrGet("style") or ""
                cell_align = "right" if "right" in str(style) else "center" if "center" in str(
                    style) else "left"
        self.part, self.list_style = part, list_style


# --- pipe tables without the general parser ------------------------------------------------------
# A budget table may have tens of thousands of rows; markdown-it-py reads them at a few
# microseconds a token. A table that stands alone (a blank line before and after, every line
# starting with "|") is read here instead, by the rules of markdown-it's own table rule (the
# same cell splitting, trimming and alignment), and only the cells that hold inline markup go
# through its inline parser. Anything else is left in the text for markdown-it.

_NEWLINES = re.compile(r"\r\n?|\n")
_DELIMITER_ROW = re.compile(r"\|(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*")
_BLANK = re.compile(r"[ \t]*")
_INLINE_MARKUP = frozenset("`*_&\\{\n")  # what markdown-it's enabled inline rules act on
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash escape of ASCII punctuation
_MAX_AUTOCOMPLETED_CELLS = 0x10000  # markdown-it's limit on cells a short row is padded with


def _segments(markdown: str) -> Iterator[tuple[str, Any]]:
    """The text as ("text", Markdown) and ("table", :data:`Table`) in order."""
    if "\r" in markdown:  # (rarely: the substitution rewrites every line of a long text)
        markdown = _NEWLINES.sub("\n", markdown)
    lines = markdown.replace("\0", "\ufffd").split("\n")
    start = index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("|") and (index == 0 or _BLANK.fullmatch(lines[index - 1])):
            end = index
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            rows = None
            if end == len(lines) or _BLANK.fullmatch(lines[end]):
                rows = _table_rows(lines[index:end])
            if rows is not None:
                if start < index:
                    yield "text", "\n".join(lines[start:index])
                yield "table", rows
                start = index = end
                continue
            index = end
            continue
        index += 1
    if start < len(lines):
        yield "text", "\n".join(lines[start:])


Table = tuple[list[str], list[list[str]]]  # each column's alignment; the rows' cell texts


def _table_rows(lines: list[str]) -> Table | None:
    """The table as markdown-it reads it (its columns' alignments, then the header row and the
    body rows, each cut or padded to the header's length), or None when it is not a plain
    table."""
    if len(lines) < 2 or not _DELIMITER_ROW.fullmatch(lines[1]):
        return None
    aligns = []
    for column in lines[1].split("|")[1:-1]:
        cell = mdTrim(column)
        aligns.append("center" if cell[0] == ":" and cell[-1] == ":" else
                      "right" if cell[-1] == ":" else "left")
    count = len(aligns)
    trimmed: dict[str, str] = {}  # each distinct cell trimmed once: a budget table repeats most
    header = _split_row(lines[0], trimmed)
    if len(header) != count:
        return None
    rows = [header]
    autocompleted = 0
    for line in lines[2:]:
        cells = _split_row(line, trimmed)
        autocompleted += count - len(cells)
        if autocompleted > _MAX_AUTOCOMPLETED_CELLS:
            return None
        if len(cells) != count:
            cells = (cells + [""] * (count - len(cells)))[:count]
        rows.append(cells)
    return aligns, rows


def _split_row(line: str, trimmed: dict[str, str]) -> list[str]:
    text = mdTrim(line)
    cells = escapedSplit(text) if "\\|" in text else text.split("|")
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    out = []
    for cell in cells:
        done = trimmed.get(cell)
        if done is None:
            done = trimmed[cell] = mdTrim(cell)
        out.append(done)
    return out


def _plain_cell(text: str) -> str | None:
    """A cell's text when it is plain (one text span as markdown-it gives it, or none when
    empty), else None: it holds inline markup for markdown-it's inline parser."""
    if "\\" not in text:
        if _INLINE_MARKUP.isdisjoint(text):  # plain text: one text span, as markdown-it gives it
            return text.strip()  # what _trim does to a lone span
    elif _INLINE_MARKUP.isdisjoint(_ESCAPED.sub("", text)):
        # Plain text with escaped punctuation (every amount: "1,000\\.00"): every backslash
        # left starts an escape, read left to right as markdown-it does.
        return text.replace("\\\\", "\0").replace("\\", "").replace("\0", "\\").strip()
    return None


def _parsed_cell(text: str, source: str) -> list[Span]:
    """A cell with inline markup, read by markdown-it's inline parser."""
    return _inline(_PARSER.parseInline(text)[0], source).spans


def _require_part(part: Part | None, source: str) -> Part:
    if part is None:
        raise S75Error(Finding("error", "text before the first part heading ('# Title {.body}')",
                               source, code="template"))
    return part


def _numbered_depth(part: Part, lists: list[str]) -> int:
    """The clause level text at this depth belongs to (for indentation)."""
    depth = sum(1 for kind in lists if kind == "ol")
    return depth + (1 if part.kind in NUMBERED_PARTS else 0)


def _add_paragraph(part: Part, inline: _Inline, lists: list[str], first: bool, list_style: str,
                   source: str) -> None:
    ordered_depth = sum(1 for kind in lists if kind == "ol")
    if lists and lists[-1] == "ol" and first:
        level = ordered_depth + (1 if part.kind in NUMBERED_PARTS else 0)
        if level > MAX_LEVEL:
            raise S75Error(Finding("error", f"clauses nest {level} deep; the numbering has "
                                   f"{MAX_LEVEL} levels", source, code="template"))
        part.blocks.append(Block("clause", inline.spans, level, inline.label,
                                 defines=inline.defines, list_style=list_style))
        return
    if lists and lists[-1] == "ul" and first:
        part.blocks.append(Block("bullet", inline.spans, _numbered_depth(part, lists),
                                 inline.label, defines=inline.defines))
        return
    # A continuation paragraph (or a plain one): it belongs to the enclosing clause for labels.
    if inline.label:
        owner = _last_numbered(part)
        if owner is None or owner.label:
            part.blocks.append(Block("text", inline.spans, _numbered_depth(part, lists),
                                     inline.label))
            return
        owner.label = inline.label
    part.blocks.append(Block("text", inline.spans, _numbered_depth(part, lists),
                             defines=inline.defines))


def _last_numbered(part: Part) -> Block | None:
    for block in reversed(part.blocks):
        if block.kind == "clause":
            return block
    return None

