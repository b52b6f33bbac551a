"""Budget tables (CSV or XLSX) read into budget-line dicts, every cell kept as exact text.

CSV is read with the standard library; openpyxl is imported only when a workbook is named, so a
folder of CSV budgets never pays for it. Numbers in a workbook are taken from the cell's stored
value and turned into text before parsing, never summed as floats.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from s75docs.errors import Finding, S75Error
from s75docs.load.source import control_character, read_text

COLUMNS = ("partner", "line", "year", "amount", "type")
REQUIRED = ("partner", "line", "year", "amount")
# What a spreadsheet reads as a formula at the start of a cell ("-" too: -2+3+cmd|...). Only the
# text columns are tested: a negative amount such as -1000 is a legitimate refund or reduction.
_FORMULA_START = ("=", "+", "-", "@")
MAX_WORKBOOK_BYTES = 50 * 1024 * 1024  # a workbook's parts, unpacked: refuses a "zip bomb"


Row = tuple[int, dict[str, str]]  # (line or row number, cells)


def read_budget_table(path: Path, display: str) -> list[dict[str, Any]]:
    """Budget lines from one table, each with a ``source`` of ``file:row`` for error messages."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path, display)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path, display)
    else:
        raise S75Error(
            Finding("error", f"budget tables must be .csv or .xlsx, not '{suffix or path.name}'",
                    display)
        )
    lines = []
    for number, cells in rows:
        if not any(value.strip() for value in cells.values()):
            continue
        for column, value in cells.items():
            bad = control_character(value)  # no place in a Word document; could drive a terminal
            if bad:
                raise S75Error(
                    Finding("error", f"cell {column!r} holds the control character {bad}; "
                            "budget tables hold plain text",
                            display, path=column, line=number)
                )
        for column in ("partner", "line", "type"):
            value = cells.get(column, "").strip()
            if value.startswith(_FORMULA_START):
                raise S75Error(
                    Finding("error", f"cell {column!r} looks like a spreadsheet formula "
                            f"({value[:20]!r}); budget tables hold values only", display,
                            path=column, line=number)
                )
        line = {k: v.strip() for k, v in cells.items() if v.strip() or k in REQUIRED}
        line["source"] = f"{display}:{number}"
        lines.append(line)
    return lines


def _check_header(header: list[str], display: str, line: int) -> list[str]:
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h and h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in names]
    if unknown or missing:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if unknown:
            parts.append("unknown column(s) " + ", ".join(unknown))
        raise S75Error(
            Finding("error", "; ".join(parts) + f"; expected the columns {', '.join(COLUMNS)} "
                    "(type optional)", display, line=line)
        )
    if len(set(names)) != len(names):
        raise S75Error(Finding("error", "a column is named twice in the header", display, line=line))
    return names


def _csv_rows(path: Path, display: str) -> list[Row]:
    text = read_text(path, display=display)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    header: list[str] | None = None
    records = iter(reader)
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a cell longer than the csv module's field limit
            raise S75Error(Finding("error", f"cannot read CSV row: {exc}", display,
                                   line=reader.line_num)) from exc
        number = reader.line_num
        if header is None:
            if not any(cell.strip() for cell in record):
                continue
            header = _check_header(record, display, number)
            continue
        if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
            raise S75Error(
                Finding("error", f"row has {len(record)} cells but the header has {len(header)}",
                        display, line=number)
            )
        cells = {name: (record[i] if i < len(record) else "") for i, name in enumerate(header)}
        rows.append((number, cells))
    if header is None:
        raise S75Error(Finding("error", "budget table is empty (no header row)", display))
    return rows


def _xlsx_cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # repr gives the shortest text that reads back as the same double: what the user typed.
        return format(Decimal(repr(value)), "f")
    return str(value)


def _xlsx_rows(path: Path, display: str) -> list[Row]:
    import zipfile

    from openpyxl import load_workbook

    from s75docs.load.source import MAX_BYTES

    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise S75Error(Finding("error", f"file is {size:,} bytes; inputs are limited to "
                                   f"{MAX_BYTES:,}", display))
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_WORKBOOK_BYTES:
            raise S75Error(Finding("error", f"workbook unpacks to {unpacked:,} bytes; workbooks "
                                   f"are limited to {MAX_WORKBOOK_BYTES:,}", display))
        book = load_workbook(path, read_only=False, data_only=False)
        sheet = book.worksheets[0]
    except S75Error:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise S75Error(Finding("error", f"cannot open workbook: {exc}", display)) from exc
    except Exception as exc:
        raise S75Error(Finding("error", "cannot open workbook: it is damaged or not an Excel "
                               f"workbook ({type(exc).__name__}: {exc})", display)) from exc
    where = f"{display}[{sheet.title}]"
    if sheet.merged_cells.ranges:
        first = min(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
        raise S75Error(
            Finding("error", f"merged cells ({first}) are not allowed in a budget table; "
                    "unmerge them so every row stands alone", where, line=first.min_row)
        )
    for letter, dim in sheet.column_dimensions.items():
        if dim.hidden:
            raise S75Error(Finding("error", f"column {letter} is hidden; budget tables must show "
                                   "every value they hold", where))
    for number, dim in sheet.row_dimensions.items():
        if dim.hidden:
            raise S75Error(Finding("error", "row is hidden; budget tables must show every value "
                                   "they hold", where, line=number))
    rows: list[Row] = []
    header: list[str] | None = None
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f":
                raise S75Error(
                    Finding("error", f"cell {cell.coordinate} holds a formula; paste values "
                            "so the figure is the one the partners agreed", where,
                            line=cell.row)
                )
        values = [_xlsx_cell_text(cell.value) for cell in cells]
        number = cells[0].row if cells else 0
        if header is None:
            if any(v.strip() for v in values):
                header = _check_header(values, where, number)
            continue
        rows.append((number, {name: values[i] if i < len(values) else ""
                              for i, name in enumerate(header) if name}))
    if header is None:
        raise S75Error(Finding("error", "budget table is empty (no header row)", where))
    return rows
