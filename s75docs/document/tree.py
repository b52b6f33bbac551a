"""The one document tree every writer walks, built once from the rendered Markdown.

Conventions in the templates' Markdown (see templates/README.md):

* ``# Title {.kind #label}`` starts a part: ``front``, ``body``, ``schedule`` (numbered
  Schedule 1, 2 ...), ``scheme`` (a Part 2 scheme specification: Scheme 1, 2 ...) or
  ``execution``.
* In numbered parts ``## Heading`` is a level-1 clause (1), ordered lists nest as 1.1, 1.1.1,
  (a), (i); a second paragraph in an item continues it unnumbered. ``###`` is an unnumbered
  sub-heading, ``-`` lists are unnumbered bullets, pipe tables are tables.
* Inline markers, produced only by template helpers: ``{#label}`` labels the clause it stands
  in, ``{@label}`` refers to one, ``{=Term}`` defines a term, ``{?note}`` is an open point.

Numbers, cross-references and the list of defined terms are computed here, after unused
definitions are dropped, so that inserting a clause renumbers every reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from s75docs.constants import MAX_LEVEL
from s75docs.errors import Finding, S75Error

SpanKind = Literal["text", "strong", "em", "define", "ref", "open", "break"]
BlockKind = Literal["clause", "heading", "text", "bullet", "table"]
PartKind = Literal["front", "body", "schedule", "scheme", "execution"]
PART_KINDS = ("front", "body", "schedule", "scheme", "execution")
NUMBERED_PARTS = ("body", "schedule", "scheme")


@dataclass
class Span:
    """A run of inline content. ``ref`` spans carry their computed text once resolved."""

    kind: SpanKind
    text: str = ""
    children: list[Span] = field(default_factory=list)
    target: str = ""  # label, for refs
    before: str = ""  # resolved ref: "clause " ...
    number: str = ""  # ... "22.2" (what a Word REF field shows) ...
    after: str = ""  # ... " of Schedule 2"
    change: str | None = None  # "ins" / "del" in a redline

    def plain(self) -> str:
        if self.kind == "ref":
            return self.before + self.number + self.after
        if self.kind == "define":
            return f"\u201c{self.text}\u201d"
        if self.kind == "open":
            return f"[{self.text}]"
        if self.kind == "break":
            return " "
        if self.children:
            return "".join(child.plain() for child in self.children)
        return self.text


@dataclass
class Cell:
    spans: list[Span]
    align: str = "left"
    header: bool = False

    def plain(self) -> str:
        return plain_text(self.spans)


@dataclass
class Block:
    """One paragraph-level element of a part."""

    kind: BlockKind
    spans: list[Span] = field(default_factory=list)
    level: int = 0  # clause level 1..5 for numbered blocks; indent level otherwise
    label: str | None = None
    number: str = ""  # this block's own number: "1", "1.2", "(a)"
    full_number: str = ""  # as a reference cites it: "1.2.3(a)"
    defines: str | None = None
    list_style: str = "clause"  # "clause", "parties" (1), "recitals" (A)
    rows: list[list[Cell]] = field(default_factory=list)
    change: str | None = None  # "ins" / "del": the whole paragraph, in a redline

    def plain(self) -> str:
        return plain_text(self.spans)


@dataclass
class Part:
    kind: PartKind
    title: list[Span]
    label: str | None = None
    number: int | None = None
    key: str | None = None  # for schemes: the schedule key, used to name per-scheme files
    blocks: list[Block] = field(default_factory=list)
    change: str | None = None  # "ins" / "del": the whole part, in a redline

    @property
    def name(self) -> str:
        """How a reference names the part: "Schedule 2", "Scheme 1"; empty for the body."""
        if self.kind in ("schedule", "scheme") and self.number is not None:
            return f"{self.kind.capitalize()} {self.number}"
        return ""

    @property
    def heading(self) -> str:
        title = plain_text(self.title)
        return f"{self.name}: {title}" if self.name else title


@dataclass
class OpenPointAt:
    note: str
    where: str


@dataclass
class Document:
    parts: list[Part]
    meta: dict[str, str] = field(default_factory=dict)
    labels: dict[str, tuple[Part, Block | None]] = field(default_factory=dict)

    def open_points(self) -> list[OpenPointAt]:
        found = []
        for part in self.parts:
            for block in part.blocks:
                where = part.heading
                if block.full_number:
                    where += f", {reference_parts(part, block)[0]}{block.full_number}"
                for span in iter_spans(block):
                    if span.kind == "open":
                        found.append(OpenPointAt(span.text, where))
            for span in walk_spans(part.title):
                if span.kind == "open":
                    found.append(OpenPointAt(span.text, part.heading))
        return found

    def defined_terms(self) -> list[str]:
        return [b.defines for p in self.parts for b in p.blocks if b.defines]


def walk_spans(spans: list[Span]) -> Iterator[Span]:
    for span in spans:
        yield span
        yield from walk_spans(span.children)


def iter_spans(block: Block) -> Iterator[Span]:
    yield from walk_spans(block.spans)
    for row in block.rows:
        for cell in row:
            yield from walk_spans(cell.spans)


def plain_text(spans: list[Span]) -> str:
    return "".join(span.plain() for span in spans)


# --- parsing -------------------------------------------------------------------------------------

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
                "blockquote", "hr", "lheading", "reference"])
    md.inline.ruler.before("escape", "s75_markers", _marker_rule)
    return md


_PARSER = markdown_parser()


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
    """Markdown (from the templates) to parts and blocks; numbering is left to ``finish``."""
    tokens = _PARSER.parse(markdown)
    parts: list[Part] = []
    part: Part | None = None
    lists: list[str] = []  # "ol" / "ul" stack
    first_para_in_item = False
    list_style = "clause"
    row: list[Cell] | None = None
    table: Block | None = None
    cell_header = False
    cell_align = "left"
    heading_tag = ""
    i = 0
    while i < len(tokens):
        token = tokens[i]
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
                parts.append(part)
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
        i += 1
    return Document(parts)


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


# --- numbering, definitions and references -------------------------------------------------------

def _letters(n: int, upper: bool = False) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("A" if upper else "a") + rem) + out
    return out


_ROMAN = ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), *_ROMAN):
        while n >= value:
            out += numeral
            n -= value
    return out


def format_number(counters: list[int], level: int, style: str = "clause") -> tuple[str, str]:
    """(own number, full number) for a block at ``level`` given the counters of its ancestors."""
    if style == "parties":
        own = f"({counters[level - 1]})" if level == 1 else f"({_letters(counters[level - 1])})"
        return own, own
    if style == "recitals":
        own = f"({_letters(counters[level - 1], upper=True)})" if level == 1 else \
            f"({_letters(counters[level - 1])})"
        return own, own
    dotted = ".".join(str(c) for c in counters[: min(level, 3)])
    if level <= 3:
        return dotted, dotted
    letter = f"({_letters(counters[3])})"
    if level == 4:
        return letter, dotted + letter
    roman = f"({_roman(counters[4])})"
    return roman, dotted + letter + roman


def _uses(text: str, term: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(term)}s?(?![\w-])", text) is not None


def prune_definitions(document: Document) -> None:
    """Keep only the definitions the document uses (directly, or through a used definition)."""
    defining = [b for p in document.parts if p.kind in NUMBERED_PARTS for b in p.blocks
                if b.defines]
    if not defining:
        return
    chosen = {id(b) for b in defining}
    others = " ".join(b.plain() for p in document.parts for b in p.blocks if id(b) not in chosen)
    others += " ".join(c.plain() for p in document.parts for b in p.blocks for r in b.rows
                       for c in r)
    others += " ".join(plain_text(p.title) for p in document.parts)
    used = {b.defines for b in defining if b.defines and _uses(others, b.defines)}
    changed = True
    while changed:
        changed = False
        for block in defining:
            if block.defines in used:
                text = "".join(s.plain() for s in block.spans if s.kind != "define")
                for other in defining:
                    if other.defines not in used and other.defines and _uses(text, other.defines):
                        used.add(other.defines)
                        changed = True
    for part in document.parts:
        if part.kind in NUMBERED_PARTS:
            part.blocks = _alphabetical([b for b in part.blocks
                                         if id(b) not in chosen or b.defines in used])


def _alphabetical(blocks: list[Block]) -> list[Block]:
    """Each run of consecutive definitions at one level, sorted by term (case ignored)."""
    out: list[Block] = []
    run: list[Block] = []
    for block in [*blocks, None]:
        if block is not None and block.defines and block.kind == "clause" and (
                not run or run[-1].level == block.level):
            run.append(block)
            continue
        out.extend(sorted(run, key=lambda b: (b.defines or "").casefold()))
        run = []
        if block is not None:
            if block.defines and block.kind == "clause":
                run.append(block)
            else:
                out.append(block)
    return out


def number(document: Document) -> None:
    """Number parts and clauses, then record every label."""
    counts = {"schedule": 0, "scheme": 0}
    document.labels = {}
    for part in document.parts:
        if part.kind in counts:
            counts[part.kind] += 1
            part.number = counts[part.kind]
        if part.label:
            _add_label(document, part.label, part, None)
        counters = [0] * MAX_LEVEL
        style_counters: dict[str, list[int]] = {}
        for block in part.blocks:
            if block.kind == "clause":
                own_counters = counters if block.list_style == "clause" else \
                    style_counters.setdefault(block.list_style, [0] * MAX_LEVEL)
                own_counters[block.level - 1] += 1
                for deeper in range(block.level, MAX_LEVEL):
                    own_counters[deeper] = 0
                block.number, block.full_number = format_number(own_counters, block.level,
                                                                block.list_style)
            elif block.kind == "heading" and part.kind == "front":
                style_counters.clear()
            if block.label:
                _add_label(document, block.label, part, block)


def _add_label(document: Document, name: str, part: Part, block: Block | None) -> None:
    if name in document.labels:
        raise S75Error(Finding("error", f"label {name!r} is given to two clauses",
                               "templates", code="template"))
    document.labels[name] = (part, block)


def reference_parts(part: Part, block: Block | None) -> tuple[str, str, str]:
    """("clause ", "22.2", "") or ("paragraph ", "3", " of Schedule 2") or ("", "Schedule 2", "")."""
    if block is None:
        return "", part.name or part.heading, ""
    if not block.full_number:
        raise ValueError("the label stands on an unnumbered paragraph")
    if part.kind == "body":
        return "clause ", block.full_number, ""
    if part.kind == "front":
        return ("recital " if block.list_style == "recitals" else "party "), block.full_number, ""
    return "paragraph ", block.full_number, f" of {part.name}"


def resolve_references(document: Document, source: str = "templates") -> None:
    missing = []
    for part in document.parts:
        for block in part.blocks:
            for span in iter_spans(block):
                if span.kind != "ref":
                    continue
                target = document.labels.get(span.target)
                if target is None:
                    missing.append(span.target)
                    continue
                try:
                    span.before, span.number, span.after = reference_parts(*target)
                except ValueError as exc:
                    raise S75Error(Finding("error", f"reference {span.target!r}: {exc}", source,
                                           code="template")) from exc
    if missing:
        known = ", ".join(sorted(document.labels)) or "none"
        raise S75Error([Finding("error", f"cross-reference to unknown label {name!r} "
                                f"(labels: {known})", source, code="template")
                        for name in dict.fromkeys(missing)])


def finish(document: Document) -> Document:
    """Drop unused definitions, number everything and resolve references: ready for writers."""
    prune_definitions(document)
    number(document)
    resolve_references(document)
    return document


def build_tree(markdown: str, *, source: str = "rendered agreement") -> Document:
    return finish(parse(markdown, source=source))


def select_parts(document: Document, keep: list[Part]) -> Document:
    """A document of some parts of a finished one (a scheme on its own), numbers unchanged."""
    return replace(document, parts=[p for p in document.parts if p in keep])
