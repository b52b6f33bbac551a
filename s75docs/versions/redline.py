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

import datetime as dt
import difflib
import re
from copy import deepcopy
from dataclasses import replace
from pathlib import Path

from s75docs.constants import REDLINE_FORMATS
from s75docs.document.nodes import Block, Cell, Document, Part, Span, plain_text, spans, walk
from s75docs.errors import Finding, S75Error
from s75docs.options import choose_formats, new_or_rev
from s75docs.versions.diff import block_key, part_key

_TOKEN = re.compile(r"\s+|[\w£.,%/'’-]+|[^\w\s]")


def _tokens(items: list[Span]) -> list[tuple[str, str]]:
    """(word, style) pairs for a paragraph's spans; styles survive a word-level comparison.
    A word's style is its innermost bold or italic span's (a defined term is bold). An open point
    is one token of style "open", its note without the brackets, so that the redline keeps it an
    open point (highlighted, its brackets the tool's own rather than text to escape)."""
    out: list[tuple[str, str]] = []
    for span, ancestors in walk(items):
        if not isinstance(span, Span) or span.children:
            continue
        if span.kind == "open":  # one token: an open point changes as a whole, brackets ours
            out.append((span.text, "open"))
            continue
        style = "strong" if span.kind == "define" else next(
            (a.kind for a in reversed(ancestors) if isinstance(a, Span) and a.kind in ("strong", "em")),
            "")
        out.extend((t, style) for t in _TOKEN.findall(span.plain()))
    return out


def _span(text: str, style: str, change: str | None) -> Span:
    if style == "strong":
        return Span("strong", children=[Span("text", text, change=change)], change=change)
    if style == "em":
        return Span("em", children=[Span("text", text, change=change)], change=change)
    if style == "open":
        return Span("open", text, change=change)
    return Span("text", text, change=change)


def _merge_runs(tokens: list[tuple[str, str, str | None]]) -> list[Span]:
    spans: list[Span] = []
    run: list[str] = []
    key: tuple[str, str | None] | None = None
    for text, style, change in tokens:
        if key is not None and ((style, change) != key or style == "open"):  # each its own
            spans.append(_span("".join(run), *key))
            run = []
        key = (style, change)
        run.append(text)
    if key is not None:
        spans.append(_span("".join(run), *key))
    return spans


def word_diff(old: list[Span], new: list[Span]) -> list[Span]:
    """NEW's spans with OLD's words that went marked deleted and NEW's words marked inserted.

    A word or a space left unchanged between two changes is taken into them, so that a name
    replaced by a longer one reads as one deletion and one insertion ("NHS ~~Oxfordshire
    Clinical Commissioning Group~~ Buckinghamshire, Oxfordshire and Berkshire West ..."), not
    as a patchwork of the words the two happen to share."""
    a, b = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(a=[t for t, _ in a], b=[t for t, _ in b], autojunk=False)
    opcodes = matcher.get_opcodes()
    merged: list[tuple[str, str, str | None]] = []
    deleted: list[tuple[str, str]] = []
    inserted: list[tuple[str, str]] = []
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            words = sum(1 for t, _ in b[j1:j2] if not t.isspace())
            if (deleted or inserted) and index + 1 < len(opcodes) and words <= 1:
                deleted.extend(a[i1:i2])
                inserted.extend(b[j1:j2])
                continue
            merged.extend((t, s, "del") for t, s in deleted)
            merged.extend((t, s, "ins") for t, s in inserted)
            deleted, inserted = [], []
            merged.extend((t, s, None) for t, s in b[j1:j2])
            continue
        deleted.extend(a[i1:i2])
        inserted.extend(b[j1:j2])
    merged.extend((t, s, "del") for t, s in deleted)
    merged.extend((t, s, "ins") for t, s in inserted)
    return _merge_runs(merged)


def _marked(block: Block, change: str) -> Block:
    marked = deepcopy(block)
    marked.change = change
    for span in spans([marked]):
        span.change = change
    return marked


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
        for x, y in zip(olds[:paired], news[:paired], strict=False):
            rows.append([replace(cell, spans=word_diff(x[c].spans, cell.spans))
                         if c < len(x) else _marked_row([cell], "ins")[0]
                         for c, cell in enumerate(y)])
        rows.extend(_marked_row(x, "del") for x in olds[paired:])
        rows.extend(_marked_row(y, "ins") for y in news[paired:])
    return rows


def _part(old: Part, new: Part) -> Part:
    blocks: list[Block] = []
    matcher = difflib.SequenceMatcher(a=[block_key(b) for b in old.blocks],
                                      b=[block_key(b) for b in new.blocks], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            blocks.extend(new.blocks[j1:j2])
            continue
        olds, news = old.blocks[i1:i2], new.blocks[j1:j2]
        paired = min(len(olds), len(news)) if op == "replace" else 0
        for x, y in zip(olds[:paired], news[:paired], strict=False):
            if x.kind == y.kind and x.level == y.level:
                blocks.append(_changed(x, y))
            else:
                blocks.extend([_marked(x, "del"), _marked(y, "ins")])
        blocks.extend(_marked(x, "del") for x in olds[paired:])
        blocks.extend(_marked(y, "ins") for y in news[paired:])
    title = new.title if plain_text(old.title) == plain_text(new.title) else \
        word_diff(old.title, new.title)  # a successor's name in the agreement's title
    return replace(new, title=title, blocks=blocks)


def _marked_part(part: Part, change: str) -> Part:
    """A part only one version has: its heading and every block inserted (or deleted)."""
    title = deepcopy(part.title)
    for span in spans(title):
        span.change = change
    return replace(part, title=title, change=change,
                   blocks=[_marked(b, change) for b in part.blocks])


def redline_document(old: Document, new: Document) -> Document:
    """One document: NEW's parts in order, each merged with OLD's; parts only in OLD are kept,
    deleted, where they stood."""
    old_parts = {part_key(p): p for p in old.parts}
    new_keys = {part_key(p) for p in new.parts}
    parts: list[Part] = []
    for part in new.parts:
        before = old_parts.get(part_key(part))
        parts.append(_part(before, part) if before is not None else _marked_part(part, "ins"))
    for key, part in old_parts.items():
        if key not in new_keys:
            parts.append(_marked_part(part, "del"))
    return replace(new, parts=parts, meta=dict(new.meta))


def accept(items: list[Span]) -> str:
    """The text with every change accepted (what NEW says)."""
    return plain_text(items, without="del")


def reject(items: list[Span]) -> str:
    """The text with every change rejected (what OLD said)."""
    return plain_text(items, without="ins")


def redline_bytes(old: Path, new: Path | None = None, *, rev: str | None = None,
                  author: str = "s75docs", date: dt.date | None = None, fmt: str = "docx",
                  templates: list[Path] | None = None) -> bytes:
    """The redline of agreement folder OLD against NEW (or of git revisions of OLD, ``rev``
    as for ``diff``), as a .docx on NEW's reference document or as Markdown (CriticMarkup).

    The changes are dated ``date``, by default NEW's version date, so that the same two
    versions always give the same bytes."""
    from s75docs.pipeline import reference_docx, user_template_dirs
    from s75docs.versions.compare import load_version, version_folders
    from s75docs.write.markdown import write_markdown

    choose_formats([fmt], REDLINE_FORMATS)
    new_or_rev(new, rev)
    with version_folders(old, new, rev) as (before, after):
        a, b = load_version(before, templates), load_version(after, templates)
        redlined = redline_document(a.document, b.document)
        if fmt == "md":
            return write_markdown(redlined).encode("utf-8")
        from s75docs.render.wording import REDLINE_SUBJECT, render_line
        from s75docs.write.docx import DocxMeta, write_docx

        now = b.loaded.agreement
        # Read inside the block: templates and reference document may be in a revision's folder.
        dirs = user_template_dirs(b.loaded, templates)
        meta = DocxMeta(
            title=redlined.meta["title"],
            parties=[(p.name, p.defined_term) for p in now.partners],
            draft_marking=redlined.meta["draft_marking"],
            core_date=now.version_date,
            subject=render_line(REDLINE_SUBJECT, {"a": now, "old": a.loaded.agreement}, dirs),
            revision_author=author,
            revision_date=date or now.version_date,
            track_revisions=True,
        )
        return write_docx(redlined, meta, reference_docx(dirs))


def write_redline(old: Path, new: Path | None, out: Path, *, rev: str | None = None,
                  author: str = "s75docs", date: dt.date | None = None, fmt: str | None = None,
                  templates: list[Path] | None = None) -> Path:
    """Write the redline of OLD against NEW to ``out`` (.docx, or Markdown when ``fmt`` is
    "md" or ``out`` ends in .md), replacing the file in one step. Returns the path written."""
    out = Path(out)
    fmt = fmt or ("md" if out.suffix.lower() == ".md" else "docx")
    data = redline_bytes(old, new, rev=rev, author=author, date=date, fmt=fmt,
                         templates=templates)
    from s75docs.output.atomic import write_file

    try:
        write_file(out, data)
    except OSError as exc:
        raise S75Error(Finding("error", f"cannot write the redline to {out}: "
                               f"{exc.strerror or exc}", str(out))) from exc
    return out
