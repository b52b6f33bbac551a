"""Defined-term hygiene: capitalised terms the agreement uses as defined terms but never defines.

A term used as a defined term reads "the Host Partner": "the" and capitalised words. Such a
phrase is reported when no definition covers it and it is not a name from the data (a board, a
service), the title of an Act ("the Care Act 2014") or a proper name listed in the templates'
``names.txt`` ("the Information Commissioner"). Definitions the document does not use need no
report: the tree drops them, so the definitions clause holds exactly the terms in use. A term
defined outside it (a party's defined term in the front matter) is kept, and reported when the
agreement never uses it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from s75docs.check.fields import fields_holding
from s75docs.document.nodes import NUMBERED_PARTS, Document
from s75docs.errors import Finding, S75Error

_CANDIDATE = re.compile(r"\bthe ([A-Z][\w-]*+(?: [A-Z][\w-]*+)*+)(?!\s*\d{4})")
# The title of an Act: capitalised words (joined by small words), then Act, Regulations, ...
# A single regex for it backtracks through every run of capitalised words from each of its
# words (quadratic: 40 KB of title case took 21 s), so _legislation() walks each run once.
_CAPITAL = re.compile(r"[A-Z]")
_THE_CAPITAL = re.compile(r"the [A-Z]")  # in every match of _CANDIDATE
_TITLE_WORD = re.compile(r"[A-Z][\w-]*+\s(?:(?:of|and|for|the|in|to|on|with)\s)*+")
_ACT = re.compile(r"(?:Act|Regulations|Order|Rules)(?:\s\d{4})?")
_ACT_WORDS = ("Act", "Regulations", "Order", "Rules")  # _ACT needs one of them
_STRUCTURE = {"Schedule", "Schedules", "Scheme", "Schemes", "Part", "Regulations"}


def _strings(value: Any) -> list[str]:
    """Every string in ``value``, depth first in field order (with a stack of its own: the
    data may hold 100,000 budget lines, each a model of strings)."""
    found: list[str] = []
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, BaseModel):
            stack.extend([getattr(value, name)  # (no amounts, dates or flags: never text)
                          for name in reversed(fields_holding(type(value), str))])
        elif isinstance(value, (list, tuple)):
            stack.extend(reversed(value))
        elif isinstance(value, dict):
            stack.extend(reversed(list(value.values())))
    return found


NAMES_FILE = "names.txt"


def proper_names(dirs: list[Path]) -> set[str]:
    """Names that read like defined terms but are not (one a line; '#' starts a comment)."""
    names: set[str] = set()
    for folder in dirs:
        path = folder / NAMES_FILE
        if path.is_file():
            if not path.resolve().is_relative_to(folder.resolve()):  # shared data: see loader
                raise S75Error(Finding("error", f"{NAMES_FILE} is a link to {path.resolve()}, "
                                       "outside its template folder", str(path)))
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    names.add(line)
    return names


def undefined_terms(document: Document, data: BaseModel,
                    names: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Capitalised terms used after "the" that no definition covers, in order of first use."""
    defined = set(document.defined_terms())
    singulars = {t[:-1] for t in defined if t.endswith("s")}
    covered = covering(defined | singulars | set(names))
    found: dict[str, None] = {}
    in_data: dict[str, bool] = {}  # each term looked up once: the data may be megabytes
    data_text: str | None = None
    for part in document.parts:
        if part.kind not in NUMBERED_PARTS:
            continue
        for block in part.blocks:
            if block.kind == "heading" or (block.kind == "clause" and block.level == 1):
                continue
            for term in _candidates(block.plain(), covered):
                if term in found or term in _STRUCTURE:
                    continue
                if term not in in_data:
                    if data_text is None:  # read only when a term needs looking up
                        data_text = "\n".join(_strings(data))
                    in_data[term] = term in data_text
                if not in_data[term]:
                    found.setdefault(term)
    return list(found)


def covering(terms: set[str]) -> re.Pattern[str] | None:
    """A pattern for any of the terms (or its plural) as whole words, the longest first. One
    group of alternatives, tried in the same order as ``\bTerms?\b|\bTerm2s?\b|...`` and so
    matching the same, compiles in two thirds of the time (a pattern an agreement)."""
    known = sorted(terms, key=len, reverse=True)
    return re.compile(rf"\b(?:{'|'.join(map(re.escape, known))})s?\b") if known else None


@functools.lru_cache(maxsize=8192)  # pure: a long-lived process (the workspace) meets the same
def _candidates(text: str, covered: re.Pattern[str] | None) -> tuple[str, ...]:
    """The words of one block that read like defined terms, Acts' titles and the terms
    ``covered`` left out."""
    if "the " not in text or _THE_CAPITAL.search(text) is None:
        return ()  # half the paragraphs: replacing titles and terms by "\u00a7" makes no "the X"
    text = _legislation(text)
    text = covered.sub("\u00a7", text) if covered else text
    return tuple(match.group(1).strip() for match in _CANDIDATE.finditer(text))


def _legislation(text: str) -> str:
    """``text`` with each Act's title (as ``_TITLE_WORD``s then ``_ACT``) replaced by a "\u00a7".

    Finds what ``re.sub`` would for the one regex ``(?:TITLE_WORD)+ACT``, each run of words
    read once: the longest title ends at the run's last word that is an Act's keyword, and when
    no word of a run is one, no title starts later in the run either (its words are a tail of
    the same run), so the search goes on after the run.
    """
    if not any(keyword in text for keyword in _ACT_WORDS):
        return text  # most paragraphs: no title can end in them
    out: list[str] = []
    done = pos = 0
    while start := _CAPITAL.search(text, pos):
        ends, at = [], start.start()
        while word := _TITLE_WORD.match(text, at):
            at = word.end()
            ends.append(at)
        act = next(filter(None, (_ACT.match(text, end) for end in reversed(ends))), None)
        if act is None:
            pos = at if ends else at + 1
            continue
        out += [text[done:start.start()], "\u00a7"]
        done = pos = act.end()
    return "".join(out) + text[done:]


def unused_terms(document: Document) -> list[str]:
    """Terms defined outside the definitions clause (the parties') that nothing else uses."""
    unused = []
    for part in document.parts:
        for block in part.blocks:
            if not block.defines or part.kind in NUMBERED_PARTS:
                continue
            pattern = re.compile(rf"(?<![\w-]){re.escape(block.defines)}(?![\w-])")
            if not any(pattern.search(other.plain()) for p in document.parts
                       for other in p.blocks if other is not block):
                unused.append(block.defines)
    return unused
