"""The canonical text: the document tree written as Markdown for ``git diff``.

One paragraph per line, clause numbers written out, tables as pipe tables, no timestamps.
The text is for people and diffs; the tool never reads it back.
"""

from __future__ import annotations

from s75docs.document.nodes import Block, Cell, Document, Part, Span, spans


def _spans(spans: list[Span]) -> str:
    out = []
    for span in spans:
        if span.kind == "strong":
            text = f"**{_spans(span.children)}**"
        elif span.kind == "em":
            text = f"*{_spans(span.children)}*"
        elif span.kind == "define":
            text = f"**{span.plain()}**"
        else:
            text = span.plain()
        out.append(_critic(text, span.change) if span.change and not span.children else text)
    return "".join(out)


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
