"""Defined-term hygiene: capitalised terms the agreement uses as defined terms but never defines.

A term used as a defined term reads "the Host Partner": "the" and capitalised words. Such a
phrase is reported when no definition covers it and it is not a name from the data (a board, a
service) or the title of an Act ("the Care Act 2014"). Definitions the document does not use need
no report: the tree drops them, so the definitions clause holds exactly the terms in use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from .tree import NUMBERED_PARTS, Document

_CANDIDATE = re.compile(r"\bthe ([A-Z][\w-]*+(?: [A-Z][\w-]*+)*+)(?!\s*\d{4})")
_STRUCTURE = {"Schedule", "Schedules", "Scheme", "Schemes", "Part", "Regulations"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def undefined_terms(document: Document, data: BaseModel) -> list[str]:
    """Capitalised terms used after "the" that no definition covers, in order of first use."""
    defined = set(document.defined_terms())
    data_text = "\n".join(_strings(data))
    found: dict[str, None] = {}
    for part in document.parts:
        if part.kind not in NUMBERED_PARTS:
            continue
        for block in part.blocks:
            if block.kind == "heading" or (block.kind == "clause" and block.level == 1):
                continue
            for match in _CANDIDATE.finditer(block.plain()):
                term = match.group(1).strip()
                if term in _STRUCTURE or term in defined or term.rstrip("s") in defined:
                    continue
                if term in data_text:
                    continue
                found.setdefault(term)
    return list(found)
