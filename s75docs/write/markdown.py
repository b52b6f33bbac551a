"""The canonical text: the document tree written as Markdown for ``git diff``.

One paragraph per line, clause numbers written out, tables as pipe tables, no timestamps.
The text is for people and diffs; the tool never reads it back. People also preview it (GitHub,
GitLab, VS Code), so every piece of text is escaped for CommonMark: a name holding ``*``, ``_``,
``<b>``, a backtick, ``[x](url)`` or a trailing ``\\`` prints as written there, not as emphasis,
HTML, code or a live link. Only what a previewer could read is escaped, so the diff stays legible.
"""

from __future__ import annotations

import itertools
import re

from s75docs.document.nodes import Block, Cell, Document, Part, Span, spans

# Inline: backslash, code, emphasis, links, HTML and autolinks, strikethrough and maths (GitHub),
# an underscore that could open or close emphasis (not one inside a word), and entities.
_INLINE = re.compile(r"[\\`*\[\]<~$]|(?<![^\W_])_|_(?![^\W_])|&(?=#?\w+;)")
# At the start of a line: a heading, quote, list item, setext underline or numbered list item.
_LINE_START = re.compile(r"^(?:[#>+=-]|\d+(?=[.)]))")
_CLOSING_HASHES = re.compile(r"(?<=\s)#+$")  # an ATX heading would drop them
# An open point's closing "]" before "(", "[" or ":" would make "[...]" a link or a link
# definition; text's own brackets are escaped already, so an unescaped one is an open point's.
_OPEN_POINT_BEFORE_LINK = re.compile(r"(?<!\\)((?:\\\\)*)\](?=[(\[:])")  # after even backslashes


_INLINE_CHARS = frozenset("\\`*[]<~$_&")  # every match of _INLINE holds one of these


def escape_inline(text: str) -> str:
    """Text as CommonMark prints it literally, wherever in a line it stands."""
    if _INLINE_CHARS.isdisjoint(text):
        return text
    return _INLINE.sub(lambda m: "\\" + m.group(), text)


def escape_line(text: str) -> str:
    """Markdown that starts a line (a paragraph, a list item's text): a leading ``#``, ``>``,
    ``-``, ``+``, ``=`` or ``1.`` escaped so it stays text."""
    match = _LINE_START.match(text)
    if match is None:
        return text
    at = match.end() if match.group()[0].isdigit() else 0  # "1\." or "\#"
    return text[:at] + "\\" + text[at:]


def _heading(text: str) -> str:
    return _CLOSING_HASHES.sub(lambda m: "\\" + m.group(), text)


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
    text = "".join(out)
    return _OPEN_POINT_BEFORE_LINK.sub(r"\1\\]", text) if "]" in text else text


def _marker(span: Span) -> str:
    return "**" if span.kind in ("strong", "define") else "*" if span.kind == "em" else ""


def _inner(span: Span, marked: bool) -> str:
    """A span's text without its own emphasis; a changed leaf marked when ``marked``."""
    if span.kind in ("strong", "em"):
        return _spans(span.children, marked)
    text = f"[{escape_inline(span.text)}]" if span.kind == "open" else escape_inline(span.plain())
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


def _plain_cell(text: str) -> str:
    """A cell of plain text (one text span, unchanged) as _spans writes it, ``|`` escaped."""
    text = escape_inline(text)
    if "]" in text:
        text = _OPEN_POINT_BEFORE_LINK.sub(r"\1\\]", text)
    return text.replace("|", "\\|")


def _row(row: list[Cell], plain: dict[str, str]) -> str:
    """A table row; ``plain`` holds the plain cells' text written so far (a budget table
    repeats most of it), by the span's text."""
    cells = []
    for cell in row:
        items = cell.spans
        if len(items) == 1 and items[0].kind == "text" and not items[0].change \
                and not items[0].children:  # most cells
            text = items[0].text
            written = plain.get(text)
            if written is None:
                written = plain[text] = _plain_cell(text)
            cells.append(written)
        else:
            cells.append(_spans(items).replace("|", "\\|"))
    return "| " + " | ".join(cells) + " |"


def _table(block: Block) -> list[str]:
    if not block.rows:
        return []
    header, *body = block.rows
    rule = ["---:" if c.align == "right" else ":---:" if c.align == "center" else "---"
            for c in header]
    plain: dict[str, str] = {}
    lines = [_row(header, plain), "| " + " | ".join(rule) + " |"]
    lines += [_row(row, plain) for row in body]
    return ["\n".join(lines)]


def _block(part: Part, block: Block) -> list[str]:
    text = _spans(block.spans)
    if block.kind == "clause":
        if block.level == 1 and part.kind != "front":
            return [f"## {block.number} {_heading(text)}"]
        return [f"{block.number} {text}"]
    if block.kind == "heading":
        return [f"### {_heading(text)}"]
    if block.kind == "bullet":
        return [f"- {escape_line(text)}"]
    if block.kind == "table":
        return _table(block)
    return [escape_line(text)]


PartTexts = dict[int, tuple[Part, list[str]]]


def write_markdown(document: Document, written: PartTexts | None = None) -> str:
    """The whole document as Markdown text ending in one newline.

    A part's text depends on the part alone, so documents made of the same parts (a build's
    agreement and each scheme on its own) may share ``written``: each part is written once.
    """
    paragraphs: list[str] = []
    for part in document.parts:
        found = written.get(id(part)) if written is not None else None
        if found is None or found[0] is not part:
            found = (part, _part(part))
            if written is not None:
                written[id(part)] = found
        paragraphs += found[1]
    return "\n\n".join(paragraphs) + "\n"


def _part(part: Part) -> list[str]:
    changed = not part.change and any(s.change for s in spans(part.title))
    title = _spans(part.title) if changed else escape_inline(part.heading)
    if changed and part.name:
        title = f"{part.name}: {title}"
    heading = _heading(title.upper() if part.kind == "front" else title)
    paragraphs = [f"# {_critic(heading, part.change) if part.change else heading}"]
    for block in part.blocks:
        paragraphs.extend(_block(part, block))
    return paragraphs
