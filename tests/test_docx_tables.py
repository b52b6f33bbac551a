"""A table whose text stands alone (plain text, emphasis) is written once and reused for a
schedule's own document: the reuse must never print a table that has changed since, nor one
whose cells depend on the document."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

import pytest

from s75docs.constants import BUILTIN_TEMPLATES
from s75docs.document.resolve import build_tree, select_parts
from s75docs.write import docx_body
from s75docs.write.docx import DocxMeta, write_docx

META = DocxMeta(title="Agreement", core_date=dt.date(2022, 4, 1))
REFERENCE = BUILTIN_TEMPLATES / "reference.docx"
MARKDOWN = """# Terms {.body}

## Scope {#scope}

1. The budget is:

| Partner | Amount |
|---|---:|
| Council | 1,000 |
| ICB | 2,000 |

# Budget {.scheme}

## Lines

1. As {@scope} says:

| Line | Where |
|---|---|
| Equipment | {@scope} |
"""
TOTALLED = """# Budget {.scheme}

## Lines

1. The lines are:

| Line | Amount |
|---|---:|
| Equipment | 1,000 |
| **Total** | **1,000** |

# Other {.scheme}

## Lines

1. None.
"""


def body(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read("word/document.xml").decode("utf-8")


def test_a_changed_table_is_written_afresh() -> None:
    document = build_tree(MARKDOWN)
    first = body(write_docx(document, META, REFERENCE))
    assert "2,000" in first
    table = next(b for b in document.parts[0].blocks if b.kind == "table")
    table.rows[2][1].spans[0].text = "3,000"
    second = body(write_docx(document, META, REFERENCE))
    assert "3,000" in second and "2,000" not in second
    assert second.replace("3,000", "2,000") == first


def test_a_table_holding_a_reference_follows_its_document() -> None:
    """In the agreement the reference is a field to the clause; in the scheme on its own,
    where the clause is not, it is plain text."""
    document = build_tree(MARKDOWN)
    whole = body(write_docx(document, META, REFERENCE))
    alone = body(write_docx(select_parts(document, [document.parts[1]]), META, REFERENCE))
    assert whole.count("REF _Ref_s75_") == 2
    assert "REF _Ref_s75_" not in alone and alone.count("clause 1") == 2


def test_a_wide_table_of_amounts_is_set_smaller_so_no_amount_breaks() -> None:
    """Six columns of amounts with pence do not fit at 10 pt: the table's text is set smaller
    (not below 7 pt) rather than breaking "£10,646,662.94" inside the number."""
    def document(amount: str) -> str:
        rows = "\n".join(f"| Integrated Adult Mental Health Services |{f' {amount} |' * 5}"
                         for _ in range(2))
        text = ("# Terms {.body}\n\n## Scope\n\n1. The totals are:\n\n"
                "| Scheme | 2024/25 | 2025/26 | 2026/27 | 2027/28 | Total |\n"
                f"|---|---:|---:|---:|---:|---:|\n{rows}\n")
        docx = write_docx(build_tree(text), META, REFERENCE)
        return zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()

    from s75docs.write.docx_body import _CELL_PADDING, _CHAR_TWIPS
    wide = document("£10,646,662.94")
    sizes = {int(s) for s in re.findall(r'<w:sz w:val="(\d+)"/>', wide)}
    assert len(sizes) == 1 and 14 <= sizes.pop() < 20
    size = int(re.findall(r'<w:sz w:val="(\d+)"/>', wide)[0])
    widths = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"/>', wide)]
    for width in widths[1:]:  # each amount column holds the amount on one line at that size
        assert width >= len("£10,646,662.94") * (_CHAR_TWIPS * size // 20) + _CELL_PADDING
    # A table that fits keeps the style's size.
    assert "<w:sz " not in document("£1,000")


def test_a_table_with_a_bold_total_is_written_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A budget table's total row is bold, which no document changes: the scheme's own
    document reuses the agreement's table; a bold cell changed since is written afresh."""
    written = []
    table_xml = docx_body.BodyWriter.table_xml

    def counted(self: docx_body.BodyWriter, *args: Any) -> str:
        written.append(1)
        return table_xml(self, *args)

    monkeypatch.setattr(docx_body.BodyWriter, "table_xml", counted)
    document = build_tree(TOTALLED)
    whole = body(write_docx(document, META, REFERENCE))
    alone = body(write_docx(select_parts(document, [document.parts[0]]), META, REFERENCE))
    assert len(written) == 1
    assert whole.count("<w:b/>") == alone.count("<w:b/>") > 0
    table = next(b for b in document.parts[0].blocks if b.kind == "table")
    table.rows[2][1].spans[0].children[0].text = "2,000"
    again = body(write_docx(document, META, REFERENCE))
    assert len(written) == 2
    assert "2,000" in again and again.replace("2,000", "1,000") == whole
