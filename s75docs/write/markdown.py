"""The canonical text: the document tree written as Markdown for ``git diff``.

One paragraph per line, clause numbers written out, tables as pipe tables, no timestamps.
The text is for people and diffs; the tool never reads it back.
"""

from __future__ import annotations

import itertools

from s75docs.document.nodes import Block, Cell, Document, Part, Span, spans


def _spans(spans: list[Span], marked: bool = True) -> str:
    """Spans as Markdown; ``marked=False`` leaves a redline's changes unmarked.

    Neighbouring spans of one emphasis are written as one run, so that a redline's change inside
    a bold name sits wholly inside its ``**`` ("**NHS {--Oxfordshire--}{++Berkshire++}**"),
    and a run changed as a whole wholly inside the CriticMarkup ("{++**NHS Berkshire**++}"):
    never "**NHS ****{--", which no Markdown reader takes for bold."""
    out: list[str] = []
    for marker, group in itertools.groupby(spans, key=_marker):
        run = list(group)
        changes = {span.change for span in run}
        if not marker:
            out.extend(_inner(span, marked) for span in run)
        elif marked and len(changes) == 1 and None not in changes:
            out.append(_critic(_emphasis(marker, "".join(_inner(s, False) for s in run)),
                               changes.pop()))
        else:
            out.append(_emphasis(marker, "".join(_inner(s, marked) for s in run)))
    return "".join(out)


def _marker(span: Span) -> str:
    return "**" if span.kind in ("strong", "define") else "*" if span.kind == "em" else ""


def _inner(span: Span, marked: bool) -> str:
    """A span's text without its own emphasis; a changed leaf marked when ``marked``."""
    if span.kind in ("strong", "em"):
        return _spans(span.children, marked)
    text = span.plain()
    return _critic(text, span.change) if marked and span.change and not span.children else text


def _emphasis(marker: str, text: str) -> str:
    """``text`` between ``marker``s, its outer spaces outside them ("** x**" is not bold)."""
    core = text.strip()
    if not core:
        return text
    start = text.index(core)
    return f"{text[:start]}{marker}{core}{marker}{text[start + len(core):]}"


def _critic(text: str, change: str | None) -> str:
    """A redline's changes as CriticMarkup: {++inserted++}, {--deleted--}."""
    return f"{{++{text}++}}" if change == "ins" else f"{{--{text}--}}"


def _cell(cell: Cell) -> str:
    return _spans(cell.spans).replace("|", "\\|")


def _table(block: Block) -> list[str]:
    if not block.rows:
        return []
    header, *body = block.rows
    rule = ["---:" if c.align == "right" else ":---:" if c.align == "center" else "---"
            for c in header]
    lines = ["| " + " | ".join(_cell(c) for c in header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in body]
    return ["\n".join(lines)]


def _block(part: Part, block: Block) -> list[str]:
    text = _spans(block.spans)
    if block.kind == "clause":
        if block.level == 1 and part.kind != "front":
            return [f"## {block.number} {text}"]
        return [f"{block.number} {text}"]
    if block.kind == "heading":
        return [f"### {text}"]
    if block.kind == "bullet":
        return [f"- {text}"]
    if block.kind == "table":
        return _table(block)
    return [text]


def write_markdown(document: Document) -> str:
    """The whole document as Markdown text ending in one newline."""
    paragraphs: list[str] = []
    for part in document.parts:
        heading = part.heading
        if not part.change and any(s.change for s in spans(part.title)):
            heading = f"{part.name}: {_spans(part.title)}" if part.name else _spans(part.title)
        heading = heading.upper() if part.kind == "front" else heading
        paragraphs.append(f"# {_critic(heading, part.change) if part.change else heading}")
        for block in part.blocks:
            paragraphs.extend(_block(part, block))
    return "\n\n".join(paragraphs) + "\n"
