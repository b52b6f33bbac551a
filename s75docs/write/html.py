"""The document tree as HTML, for the workspace's live preview.

A fragment, not a page: the workspace puts it beside the form. Clause numbers are written out as
the tree numbered them, a cross-reference is a link to the anchor of the clause or part it names,
a definition is a ``<dfn>``, an open point a highlighted ``<mark>``. Every piece of text passes
through :func:`html.escape`, so a party named ``<b>x</b>`` or ``{{x}}`` shows exactly that.
"""

from __future__ import annotations

from html import escape

from s75docs.document.nodes import Block, Cell, Document, Part, Span

_WRAP = {"strong": "strong", "em": "em"}


def anchor(label: str) -> str:
    """The element id of a labelled clause or part (labels are the template's own words)."""
    return "l-" + label


def _spans(items: list[Span]) -> str:
    return "".join(_span(span) for span in items)


def _span(span: Span) -> str:
    if span.kind in _WRAP:
        tag = _WRAP[span.kind]
        out = f"<{tag}>{_spans(span.children)}</{tag}>"
    elif span.kind == "define":
        out = f"<dfn>{escape(span.plain())}</dfn>"
    elif span.kind == "ref":
        out = (f'{escape(span.before)}<a class="ref" href="#{escape(anchor(span.target))}">'
               f"{escape(span.number)}</a>{escape(span.after)}")
    elif span.kind == "open":
        out = f'<mark class="open" title="open point">{escape(span.plain())}</mark>'
    elif span.kind == "break":
        out = "<br>"
    else:
        out = escape(span.plain())
    return _change(out, span.change) if span.change and not span.children else out


def _change(html: str, change: str | None) -> str:
    """A redline's change as ``<ins>``/``<del>``."""
    tag = "ins" if change == "ins" else "del"
    return f"<{tag}>{html}</{tag}>"


def _id(label: str | None) -> str:
    return f' id="{escape(anchor(label))}"' if label else ""


def _cell(cell: Cell) -> str:
    tag = "th" if cell.header else "td"
    align = f' class="{escape(cell.align)}"' if cell.align != "left" else ""
    return f"<{tag}{align}>{_spans(cell.spans)}</{tag}>"


def _table(block: Block) -> str:
    rows = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in block.rows)
    return f"<table{_id(block.label)}>{rows}</table>"


def _block(part: Part, block: Block) -> str:
    text = _spans(block.spans)
    if block.kind == "clause":
        number = f'<span class="num">{escape(block.number)}</span> '
        if block.level == 1 and part.kind != "front":
            out = f'<h3 class="clause"{_id(block.label)}>{number}{text}</h3>'
        else:
            out = (f'<p class="clause level-{block.level}"{_id(block.label)}>'
                   f"{number}{text}</p>")
    elif block.kind == "heading":
        out = f"<h4{_id(block.label)}>{text}</h4>"
    elif block.kind == "bullet":
        out = f'<p class="bullet level-{block.level}"{_id(block.label)}>\u2022 {text}</p>'
    elif block.kind == "table":
        out = _table(block)
    else:
        out = f"<p{_id(block.label)}>{text}</p>"
    return _change(out, block.change) if block.change else out


def write_html(document: Document) -> str:
    """The whole document as an HTML fragment: one ``<section>`` a part."""
    sections = []
    for part in document.parts:
        title = _spans(part.title)
        heading = f"{escape(part.name)}: {title}" if part.name else title
        blocks = "\n".join(_block(part, block) for block in part.blocks)
        section = (f'<section class="part {escape(part.kind)}"{_id(part.label)}>'
                   f"<h2>{heading}</h2>\n{blocks}</section>")
        sections.append(_change(section, part.change) if part.change else section)
    return "\n".join(sections) + "\n"
