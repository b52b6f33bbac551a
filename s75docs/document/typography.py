"""Typographic quotes: the one rule that turns straight quotes and apostrophes into curly ones.

Templates and data are typed with ``"`` and ``'``; a signed agreement prints “ ” ‘ ’. The rule
runs once, where the tree is built (:func:`typeset`, from the reader), on the text a reader sees
(text, defined terms, open points), so every writer prints the same marks; the report and cover
helpers call :func:`curl` on the values they print outside the tree. What must stay exact is left
alone: a web address, an email address or a path (a word holding ``://``, ``@``, ``www.`` or a
``/``) and everything that is not text (labels, reference targets, file names are never spans).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

from s75docs.document.nodes import Block, Cell, Document, Node, Part, Span

OPEN_DOUBLE, CLOSE_DOUBLE, OPEN_SINGLE, CLOSE_SINGLE = "\u201c", "\u201d", "\u2018", "\u2019"
# A character after which a quote opens rather than closes.
_OPENS_AFTER = frozenset(" \t\n([{/\u2014\u2013-" + OPEN_DOUBLE + OPEN_SINGLE)
_EXACT = re.compile(r"\S*(?:://|@|\bwww\.|/)\S*")  # addresses and paths: printed as typed
_CURLED_KINDS = ("text", "define", "open")


def _quote(char: str, before: str, after: str) -> str:
    opening = before == "" or before in _OPENS_AFTER
    if char == '"':
        return OPEN_DOUBLE if opening else CLOSE_DOUBLE
    if opening and not after.isdigit():  # ’90s is an apostrophe
        return OPEN_SINGLE
    return CLOSE_SINGLE  # a closing quote, or an apostrophe: partner’s, Partners’


def _curl_words(text: str, before: str) -> str:
    out = []
    for index, char in enumerate(text):
        if char in "\"'":
            char = _quote(char, before, text[index + 1:index + 2])
        out.append(char)
        before = char
    return "".join(out)


@functools.lru_cache(maxsize=16384)  # pure; a long-lived process (the workspace) meets the same
def curl(text: str, before: str = "") -> str:
    """``text`` with curly quotes and apostrophes; ``before`` is the character printed before
    it (a quote at the start of a span after a bold word closes)."""
    if "'" not in text and '"' not in text:
        return text
    out: list[str] = []
    position = 0
    for exact in _EXACT.finditer(text):
        out.append(_curl_words(text[position:exact.start()], (before + "".join(out))[-1:]))
        out.append(exact.group())
        position = exact.end()
    out.append(_curl_words(text[position:], (before + "".join(out))[-1:]))
    return "".join(out)


def typeset(nodes: Iterable[Node]) -> None:
    """Curl the quotes of every text span under ``nodes``, each paragraph, heading and table cell
    read as one run so that a quote after a bold word or a reference closes."""
    for container in _containers(nodes):
        if len(container) == 1 and not container[0].children:  # one span (most table cells)
            node = container[0]
            if node.kind in _CURLED_KINDS and ("'" in node.text or '"' in node.text):
                node.text = curl(node.text)
            continue
        before = ""  # the last character printed in the paragraph, cell or title
        for node in _leaves(container):
            if node.kind in _CURLED_KINDS:
                node.text = curl(node.text, before)
            shown = "x" if node.kind == "ref" else node.plain()  # a reference ends in a number
            before = shown[-1:] or before


def _containers(nodes: Iterable[Node]) -> Iterator[list[Span]]:
    """The span lists that are read as one run each (titles, paragraphs, cells), in order."""
    for node in nodes:
        if isinstance(node, Document):
            yield from _containers(node.parts)
        elif isinstance(node, Part):
            yield node.title
            for block in node.blocks:  # not a generator a level: a table has 100,000s of cells
                yield block.spans
                for row in block.rows:
                    for cell in row:
                        yield cell.spans
        elif isinstance(node, Block):
            yield node.spans
            for row in node.rows:
                for cell in row:
                    yield cell.spans
        elif isinstance(node, Cell):
            yield node.spans
        else:
            raise TypeError("typeset reads paragraphs, cells and titles, not loose spans")


def _leaves(items: list[Span]) -> Iterator[Span]:
    for span in items:
        if span.children:
            yield from _leaves(span.children)
        else:
            yield span
