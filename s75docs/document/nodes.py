"""The nodes of the one document tree every writer reads, and the one walk over them.

A :class:`Document` holds parts; a :class:`Part` a title (spans) and blocks; a :class:`Block`
spans and, for a table, rows of :class:`Cell`; a :class:`Span` may hold spans (bold, italic).
:func:`walk` visits them all in reading order, each with its ancestors, so that a reader that
needs "every span", "every reference with its clause" or "the text with deletions left out"
asks one function instead of writing its own recursion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from s75docs.document.citations import Citations, builtin_citations

SpanKind = Literal["text", "strong", "em", "define", "ref", "open", "break"]
BlockKind = Literal["clause", "heading", "text", "bullet", "table"]
PartKind = Literal["front", "body", "schedule", "scheme", "execution"]
PART_KINDS = ("front", "body", "schedule", "scheme", "execution")
NUMBERED_PARTS = ("body", "schedule", "scheme")


@dataclass(slots=True)  # slots: an agreement makes tens of thousands of spans
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


@dataclass(slots=True)
class Cell:
    spans: list[Span]
    align: str = "left"
    header: bool = False

    def plain(self) -> str:
        return plain_text(self.spans)


@dataclass(slots=True, weakref_slot=True)  # (the Word writer's table cache holds it weakly)
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


@dataclass(slots=True)
class Part:
    kind: PartKind
    title: list[Span]
    label: str | None = None
    number: int | None = None
    key: str | None = None  # for schemes: the schedule key, used to name per-scheme files
    blocks: list[Block] = field(default_factory=list)
    change: str | None = None  # "ins" / "del": the whole part, in a redline
    name: str = ""  # how a reference names the part ("Schedule 2"), set when numbered

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
    citations: Citations = field(default_factory=builtin_citations)  # the forms it was numbered with

    def open_points(self) -> list[OpenPointAt]:
        """Every open point in reading order, with the part and clause it stands in."""
        found = []
        for part in self.parts:
            places: list[tuple[Block | None, list[Node]]] = [(None, list(part.title))]
            places += [(block, [block]) for block in part.blocks]
            for block, items in places:
                if block is not None and flat_without_open(block):
                    continue  # most paragraphs: nothing to walk
                for span in spans(items, kind="open"):
                    where = part.heading
                    if block is not None and block.full_number:
                        before, number, _ = self.citations.reference(part, block)
                        where += f", {before}{number}"
                    found.append(OpenPointAt(span.text, where))
        return found

    def defined_terms(self) -> list[str]:
        return [b.defines for p in self.parts for b in p.blocks if b.defines]


def descendants(blocks: list[Block], index: int) -> range:
    """The blocks after ``index`` that sit under it: after a numbered clause, everything up to
    the next clause at its level or above (its sub-clauses, and the text, lists and tables
    between them); after a heading, everything up to the next heading."""
    level = blocks[index].level
    heading = blocks[index].kind == "heading"
    end = index + 1
    while end < len(blocks) and blocks[end].kind != "heading" and (
            heading or blocks[end].kind != "clause" or blocks[end].level > level):
        end += 1
    return range(index + 1, end)


def flat_without_open(block: Block) -> bool:
    """Whether a block is spans without children or rows, none of them an open point."""
    if block.rows:
        return False
    for span in block.spans:
        if span.kind == "open" or span.children:
            return False
    return True


Node: TypeAlias = Document | Part | Block | Cell | Span
Visit: TypeAlias = tuple[Node, tuple[Node, ...]]  # a node and its ancestors, outermost first


def children(node: Node) -> list[Node]:
    """A node's children in reading order: a part's title before its blocks, a table's cells
    after the block's own spans."""
    if isinstance(node, Span):
        return list(node.children)
    if isinstance(node, Cell):
        return list(node.spans)
    if isinstance(node, Block):
        return [*node.spans, *(cell for row in node.rows for cell in row)]
    if isinstance(node, Part):
        return [*node.title, *node.blocks]
    return list(node.parts)


def walk(nodes: Iterable[Node], *, prune: Callable[[Node], bool] | None = None
         ) -> Iterator[Visit]:
    """Every node under (and including) ``nodes``, depth first in reading order, with its
    ancestors; a node ``prune`` accepts is skipped with everything inside it."""
    stack: list[Visit] = [(node, ()) for node in reversed(list(nodes))]
    while stack:
        node, ancestors = stack.pop()
        if prune is not None and prune(node):
            continue
        yield node, ancestors
        inner = (*ancestors, node)
        stack.extend((child, inner) for child in reversed(children(node)))


def spans(nodes: Iterable[Node], *, without: str | None = None,
          kind: str | None = None) -> Iterator[Span]:
    """Every span under ``nodes``; ``without="del"`` leaves out a redline's deleted text (and
    so reads the text with the changes accepted), ``"ins"`` its inserted text; ``kind`` only
    the spans of that kind ("ref", "open"). (The walk's order, without its ancestors, with a
    stack of its own: this runs over every cell of a big table, where nested generators cost a
    frame a level for each span, and where ``kind`` leaves the plain text out in bulk.)"""
    stack: list[Node] = list(nodes)
    stack.reverse()
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        if without is not None and getattr(node, "change", None) == without:
            continue
        if isinstance(node, Span):
            if kind is None or node.kind == kind:
                yield node
            if node.children:
                extend(reversed(node.children))
        elif isinstance(node, Cell):
            extend(reversed(node.spans))
        elif isinstance(node, Block):
            # A table's cells have no change of their own to test: their spans go in directly.
            if kind is None:
                extend([span for row in reversed(node.rows) for cell in reversed(row)
                        for span in reversed(cell.spans)])
            else:
                extend([span for row in reversed(node.rows) for cell in reversed(row)
                        for span in reversed(cell.spans) if span.kind == kind or span.children])
            extend(reversed(node.spans))
        else:
            extend(reversed(children(node)))


def plain_text(items: list[Span], *, without: str | None = None) -> str:
    """The spans' text as a reference or a comparison reads it (see ``spans`` for ``without``)."""
    if without is None:  # every word: each span's own text, three times faster than a walk
        if len(items) == 1 and items[0].kind == "text" and not items[0].children:
            return items[0].text  # most table cells
        return "".join(span.plain() for span in items)
    return "".join(span.plain() for span in spans(items, without=without) if not span.children)
