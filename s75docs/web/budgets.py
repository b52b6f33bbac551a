"""A CSV budget table edited as a grid, written back so that only the rows changed differ.

The table keeps the text of each record as the file had it. A grid row still holding its
record's cells is written back as that text, byte for byte; a changed or new row is written as
CSV in the file's line endings; the header, the column order, a leading BOM and the absence of
a final line break stay. Each row's line in the new text is known, so a finding about a line
of the table (``s75docs check`` names file and line) is shown at its row and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s75docs.errors import Finding
from s75docs.load.source import read_text

BOM = "\ufeff"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Record:
    cells: list[str]
    raw: str  # the record's text in the file, line break included


@dataclass
class Table:
    """One CSV budget table: the text before its header, the header, and its records."""

    head: str
    header: list[str]
    records: list[Record] = field(default_factory=list)
    bom: str = ""
    newline: str = "\n"
    final_newline: bool = True


def read_text_bom(path: Path, display: str) -> str:
    """A text file as it is, a leading BOM kept (to compare and write back byte for byte)."""
    return read_text(path, display=display, keep_bom=True)


def parse_table(path: Path, display: str) -> tuple[str, Table]:
    """The file's text (BOM kept) and its table (the loader checks it later, in ``prepare``)."""
    whole = read_text_bom(path, display)
    text = whole.removeprefix(BOM)
    bom = BOM if whole.startswith(BOM) else ""
    lines = text.splitlines(keepends=True)
    table = Table("", [], bom=bom, newline="\r\n" if "\r\n" in text else "\n",
                  final_newline=text.endswith("\n"))
    reader = csv.reader(lines)
    done = 0
    header_seen = False
    for record in reader:
        raw = "".join(lines[done:reader.line_num])
        done = reader.line_num
        if not header_seen:
            table.head += raw
            if any(cell.strip() for cell in record):
                header_seen, table.header = True, record
            continue
        table.records.append(Record(record, raw))
    return whole, table


def _padded(cells: list[str], width: int) -> list[str]:
    return [*cells, *[""] * (width - len(cells))][:max(width, len(cells))]


def grid_rows(table: Table) -> list[dict[str, Any]]:
    """The rows for the page: each record's id (its place in the file) and cells by column."""
    width = len(table.header)
    return [{"id": i, "cells": _padded(r.cells, width)} for i, r in enumerate(table.records)]


def table_text(table: Table, rows: list[dict[str, Any]]) -> tuple[str, list[int]]:
    """The file's new text for the grid's rows, and the line each row ends on (the line a
    finding names). A row that holds its record's cells keeps the record's text."""
    width = len(table.header)
    pieces = [table.head if table.head.endswith("\n") else table.head + table.newline]
    line = pieces[0].count("\n")  # lines before the next row
    ends: list[int] = []
    for row in rows:
        record = table.records[row["id"]] if isinstance(row.get("id"), int) \
            and 0 <= row["id"] < len(table.records) else None
        cells = [str(c) for c in row["cells"]]
        if record is not None and _padded(record.cells, width) == _padded(cells, width):
            text = record.raw if record.raw.endswith("\n") else record.raw + table.newline
        else:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator=table.newline).writerow(cells)
            text = buffer.getvalue()
        pieces.append(text)
        line += text.count("\n")
        ends.append(line)
    out = "".join(pieces)
    if not table.final_newline:
        out = out.removesuffix("\n").removesuffix("\r")
    return table.bom + out, ends


def cell_findings(findings: list[Finding], display: str, ends: list[int],
                  header: list[str]) -> tuple[dict[str, list[Finding]], list[Finding]]:
    """Findings about the table by cell (``"row:column"``, row from 0), and the rest about it.

    The loader names the column as the path; the checks name the budget line's field
    (``schedules[1].contributions[3].amount``), whose last step is the column."""
    rows = {line: index for index, line in enumerate(ends)}
    columns = [h.strip().lower() for h in header]
    by_cell: dict[str, list[Finding]] = {}
    rest: list[Finding] = []
    for finding in findings:
        if finding.file != display:
            continue
        column = finding.path.rsplit(".", 1)[-1]
        row = rows.get(finding.line) if finding.line is not None else None
        if row is not None and column in columns:
            by_cell.setdefault(f"{row}:{columns.index(column)}", []).append(finding)
        else:
            rest.append(finding)
    return by_cell, rest
