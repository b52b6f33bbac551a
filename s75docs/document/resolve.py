"""Numbering, definitions and cross-references: a parsed document made ready for the writers.

Numbers, cross-references and the list of defined terms are computed here, after unused
definitions are dropped, so that inserting a clause renumbers every reference. How a number is
cited ("clause 22.2") comes from the citation forms of the template folders.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from s75docs.constants import MAX_LEVEL
from s75docs.document.citations import Citations, builtin_citations
from s75docs.document.nodes import NUMBERED_PARTS, Block, Document, Part, plain_text, spans
from s75docs.document.reader import parse
from s75docs.errors import Finding, S75Error


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
    """Whether ``text`` has ``term`` (or its plural) as words of its own. The pattern starts
    with the term itself, so that the search skips along the text to it; the check that no
    letter or hyphen comes before is made after it, looking back past the term."""
    escaped = re.escape(term)
    return re.search(rf"{escaped}(?<![\w-]{escaped})s?(?![\w-])", text) is not None


def prune_definitions(document: Document) -> None:
    """Keep only the definitions the document uses (directly, or through a used definition)."""
    defining = [b for p in document.parts if p.kind in NUMBERED_PARTS for b in p.blocks
                if b.defines]
    if not defining:
        return
    chosen = {id(b) for b in defining}
    others = " ".join(itertools.chain(
        (b.plain() for p in document.parts for b in p.blocks if id(b) not in chosen),
        (plain_text(c.spans) for p in document.parts for b in p.blocks for r in b.rows
         for c in r),
        (plain_text(p.title) for p in document.parts)))
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
            part.name = document.citations.part_name(part.kind, part.number)
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


def resolve_references(document: Document, source: str = "templates") -> None:
    """Give every reference the citation of its label, in the document's citation forms."""
    missing = []
    for part in document.parts:
        for span in spans([part], kind="ref"):
            target = document.labels.get(span.target)
            if target is None:
                missing.append(span.target)
                continue
            try:
                span.before, span.number, span.after = document.citations.reference(
                    *target, source=part)
            except ValueError as exc:
                raise S75Error(Finding("error", f"reference {span.target!r}: {exc}", source,
                                       code="template")) from exc
    if missing:
        known = ", ".join(sorted(document.labels)) or "none"
        raise S75Error([Finding("error", f"cross-reference to unknown label {name!r} "
                                f"(labels: {known})", source, code="template")
                        for name in dict.fromkeys(missing)])


def finish(document: Document, citations: Citations | None = None) -> Document:
    """Drop unused definitions, number everything and resolve references: ready for writers.
    ``citations`` are the forms of the template folders (ours when None)."""
    document.citations = citations or builtin_citations()
    prune_definitions(document)
    number(document)
    resolve_references(document)
    return document


def build_tree(markdown: str, *, source: str = "rendered agreement",
               citations: Citations | None = None) -> Document:
    """Rendered Markdown to a finished tree: read, numbered, references resolved."""
    return finish(parse(markdown, source=source), citations)


def select_parts(document: Document, keep: list[Part]) -> Document:
    """A document of some parts of a finished one (a scheme on its own), numbers unchanged."""
    return replace(document, parts=[p for p in document.parts if p in keep])
