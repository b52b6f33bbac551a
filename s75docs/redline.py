"""A redline: NEW's document tree with OLD's differences marked as tracked changes.

We write our own tracked changes over the two document trees rather than comparing two Word
files afterwards: the trees already match clause to clause (``diff.clause_changes``), so the
redline keeps our numbering and styles, and no external program (python-redlines ships a .NET
binary) is needed. Blocks are matched as the deed matches them; within a changed paragraph the
words are compared, so the reader sees "£22,000,000" struck through and "£23,000,000" inserted.

Each span and block carries ``change`` ("ins" / "del"); the writers show it: Word as
``w:ins``/``w:del`` revisions, Markdown as CriticMarkup ``{++ ++}`` / ``{-- --}``.
"""

from __future__ import annotations

import difflib
import re
from copy import deepcopy
from dataclasses import replace

from .diff import part_key
from .tree import Block, Cell, Document, Part, Span

_TOKEN = re.compile(r"\s+|[\w£.,%/'’-]+|[^\w\s]")


def _tokens(spans: list[Span], style: str = "") -> list[tuple[str, str]]:
    """(word, style) pairs for a paragraph's spans; styles survive a word-level comparison."""
    out: list[tuple[str, str]] = []
    for span in spans:
        if span.kind in ("strong", "em"):
            out.extend(_tokens(span.children, span.kind))
        elif span.kind == "define":
            out.extend((t, "strong") for t in _TOKEN.findall(span.plain()))
        else:
            out.extend((t, style) for t in _TOKEN.findall(span.plain()))
    return out


def _span(text: str, style: str, change: str | None) -> Span:
    if style in ("strong", "em"):
        return Span(style, children=[Span("text", text, change=change)], change=change)
    return Span("text", text, change=change)  # an open point keeps its brackets as text


def _merge_runs(tokens: list[tuple[str, str, str | None]]) -> list[Span]:
    spans: list[Span] = []
    run: list[str] = []
    key: tuple[str, str | None] | None = None
    for text, style, change in tokens:
        if key is not None and (style, change) != key:
            spans.append(_span("".join(run), *key))
            run = []
        key = (style, change)
        run.append(text)
    if key is not None:
        spans.append(_span("".join(run), *key))
    return spans


def word_diff(old: list[Span], new: list[Span]) -> list[Span]:
    """NEW's spans with OLD's words that went marked deleted and NEW's words marked inserted."""
    a, b = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(a=[t for t, _ in a], b=[t for t, _ in b], autojunk=False)
    merged: list[tuple[str, str, str | None]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            merged.extend((t, s, None) for t, s in b[j1:j2])
            continue
        merged.extend((t, s, "del") for t, s in a[i1:i2])
        merged.extend((t, s, "ins") for t, s in b[j1:j2])
    return _merge_runs(merged)


def _marked(block: Block, change: str) -> Block:
    marked = deepcopy(block)
    marked.change = change
    for span in _all(marked.spans):
        span.change = change
    for row in marked.rows:
        for cell in row:
            for span in _all(cell.spans):
                span.change = change
    return marked


def _all(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        out.append(span)
        out.extend(_all(span.children))
    return out


def _changed(old: Block, new: Block) -> Block:
    merged = deepcopy(new)
    if new.kind == "table" and old.kind == "table":
        merged.rows = _rows(old.rows, new.rows)
        return merged
    merged.spans = word_diff(old.spans, new.spans)
    return merged


def _row_key(row: list[Cell]) -> str:
    return " | ".join(c.plain() for c in row)


def _marked_row(row: list[Cell], change: str) -> list[Cell]:
    return [replace(cell, spans=_marked(Block("text", cell.spans), change).spans)
            for cell in row]


def _rows(old: list[list[Cell]], new: list[list[Cell]]) -> list[list[Cell]]:
    """Rows matched like paragraphs: unchanged, changed word by word, inserted or deleted.
    A row whose every cell is inserted (or deleted) is an inserted (or deleted) row."""
    rows: list[list[Cell]] = []
    matcher = difflib.SequenceMatcher(a=[_row_key(r) for r in old], b=[_row_key(r) for r in new],
                                      autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows.extend(new[j1:j2])
            continue
        olds, news = old[i1:i2], new[j1:j2]
        paired = min(len(olds), len(news)) if op == "replace" and len(olds) == len(news) else 0
        for x, y in zip(olds[:paired], news[:paired]):
            rows.append([replace(cell, spans=word_diff(x[c].spans, cell.spans))
                         if c < len(x) else _marked_row([cell], "ins")[0]
                         for c, cell in enumerate(y)])
        rows.extend(_marked_row(x, "del") for x in olds[paired:])
        rows.extend(_marked_row(y, "ins") for y in news[paired:])
    return rows


def _key(block: Block) -> str:
    rows = " / ".join(" | ".join(c.plain() for c in row) for row in block.rows)
    return f"{block.kind}:{block.level}:{block.plain()}{rows}"


def _part(old: Part, new: Part) -> Part:
    blocks: list[Block] = []
    matcher = difflib.SequenceMatcher(a=[_key(b) for b in old.blocks],
                                      b=[_key(b) for b in new.blocks], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            blocks.extend(new.blocks[j1:j2])
            continue
        olds, news = old.blocks[i1:i2], new.blocks[j1:j2]
        paired = min(len(olds), len(news)) if op == "replace" else 0
        for x, y in zip(olds[:paired], news[:paired]):
            if x.kind == y.kind and x.level == y.level:
                blocks.append(_changed(x, y))
            else:
                blocks.extend([_marked(x, "del"), _marked(y, "ins")])
        blocks.extend(_marked(x, "del") for x in olds[paired:])
        blocks.extend(_marked(y, "ins") for y in news[paired:])
    return replace(new, blocks=blocks)


def redline_document(old: Document, new: Document) -> Document:
    """One document: NEW's parts in order, each merged with OLD's; parts only in OLD are kept,
    deleted, where they stood."""
    old_parts = {part_key(p): p for p in old.parts}
    new_keys = {part_key(p) for p in new.parts}
    parts: list[Part] = []
    for part in new.parts:
        before = old_parts.get(part_key(part))
        parts.append(_part(before, part) if before is not None else
                     replace(part, blocks=[_marked(b, "ins") for b in part.blocks]))
    for key, part in old_parts.items():
        if key not in new_keys:
            parts.append(replace(part, blocks=[_marked(b, "del") for b in part.blocks]))
    return replace(new, parts=parts, meta=dict(new.meta))


def accept(spans: list[Span]) -> str:
    """The text with every change accepted (what NEW says)."""
    return "".join(s.plain() if not s.children else accept(s.children)
                   for s in spans if s.change != "del")


def reject(spans: list[Span]) -> str:
    """The text with every change rejected (what OLD said)."""
    return "".join(s.plain() if not s.children else reject(s.children)
                   for s in spans if s.change != "ins")
