"""Budget tables (CSV or XLSX) read into budget-line dicts, every cell kept as exact text.

CSV is read with the standard library; openpyxl is imported only when a workbook is named, so a
folder of CSV budgets never pays for it. Numbers in a workbook are taken from the cell's stored
value and turned into text before parsing, never summed as floats.

A workbook must show what it holds: the figure signed is the one anyone opening it can see. So
one sheet is read (the one the data names, or the only visible one), never a hidden one, and
hidden or zero-size rows and columns and cells whose number format shows nothing are refused.
Only the cells the file holds are visited: a sheet's stated size never drives the work.
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


def read_budget_table(path: Path, display: str, *, sheet: str | None = None
                      ) -> list[dict[str, Any]]:
    """Budget lines from one table, each with a ``source`` of ``file:row`` for error messages.

    ``sheet`` names the worksheet of a workbook to read (by default its only visible one).
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if sheet is not None:
            raise S75Error(Finding("error", f"a CSV file has no sheets; drop 'sheet: {sheet}'",
                                   display))
        rows = _csv_rows(path, display)
        letters: dict[str, str] = {}
    elif suffix in (".xlsx", ".xlsm"):
        rows, display, letters = _xlsx_rows(path, display, sheet)
    else:
        raise S75Error(
            Finding("error", f"budget tables must be .csv or .xlsx, not '{suffix or path.name}'",
                    display)
        )
    def cell(column: str, number: int) -> str:  # a workbook's cells have names: "cell D4"
        return f"cell {letters[column]}{number} ({column!r})" if column in letters \
            else f"cell {column!r}"

    lines = []
    for number, cells in rows:
        stripped = dict(zip(cells, map(str.strip, cells.values()), strict=True))
        if not any(stripped.values()):
            continue
        # The row's cells looked at together ("\n" is not a control character), each apart
        # only when one holds one, to name it.
        for column, value in cells.items() if control_character("\n".join(cells.values())) \
                else ():
            bad = control_character(value)  # no place in a Word document; could drive a terminal
            if bad:
                raise S75Error(
                    Finding("error", f"{cell(column, number)} holds the control character {bad}; "
                            "budget tables hold plain text",
                            display, path=column, line=number)
                )
        for column in ("partner", "line", "type"):
            value = stripped.get(column, "")
            if value.startswith(_FORMULA_START):
                raise S75Error(
                    Finding("error", f"{cell(column, number)} looks like a spreadsheet formula "
                            f"({value[:20]!r}); budget tables hold values only", display,
                            path=column, line=number)
                )
        line = stripped if all(stripped.values()) else {
            k: v for k, v in stripped.items() if v or k in REQUIRED}
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
        cells = dict(zip(header, record, strict=True)) if len(record) == len(header) else {
            name: (record[i] if i < len(record) else "") for i, name in enumerate(header)}
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


def _sections(number_format: str) -> list[str]:
    """The ``;``-separated sections of an Excel number format (quoted text and ``\\;`` kept)."""
    sections: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in number_format:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            sections.append("".join(current))
            current = []
            continue
        current.append(char)
    return [*sections, "".join(current)]


def _format_hides(number_format: str, value: object) -> bool:
    """Whether the format shows nothing for this value: ``;;;`` hides everything, ``0;;`` hides
    negatives and zero. The section used is Excel's: positive, negative, zero, text."""
    if ";" not in number_format or isinstance(value, bool):
        return False
    sections = _sections(number_format)
    if isinstance(value, str):
        index = 3 if len(sections) >= 4 else None
    elif isinstance(value, (int, float, Decimal)):
        index = 0 if value > 0 or len(sections) < 2 else 1 if value < 0 \
            else 2 if len(sections) >= 3 else 0
    else:
        return False
    return index is not None and not sections[index].strip()


def _choose_sheet(book: Any, display: str, name: str | None) -> Any:
    """The named worksheet, or the only visible one; never a hidden one."""
    if name is not None:
        if name not in book.sheetnames or book[name] not in book.worksheets:
            raise S75Error(Finding("error", f"the workbook has no worksheet named {name!r}; "
                                   f"its sheets are {', '.join(map(repr, book.sheetnames))}",
                                   display))
        sheet = book[name]
    else:
        visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
        if len(visible) != 1:
            listed = ", ".join(repr(ws.title) for ws in visible) or "none"
            raise S75Error(Finding("error", f"the workbook has {len(visible)} visible worksheets "
                                   f"({listed}); name the one to read in budget_files as "
                                   "{file: ..., sheet: ...}", display))
        sheet = visible[0]
    if sheet.sheet_state != "visible":
        state = "very hidden" if sheet.sheet_state == "veryHidden" else "hidden"
        raise S75Error(Finding("error", f"sheet {sheet.title!r} is {state}; budget tables must "
                               "show every value they hold", f"{display}[{sheet.title}]"))
    return sheet


def _refuse_invisible(sheet: Any, where: str) -> None:
    """Hidden, zero-height or zero-width rows and columns hide values from whoever signs."""
    from openpyxl.utils import get_column_letter

    for dim in sheet.column_dimensions.values():
        letters = get_column_letter(dim.min or 1) + (
            f":{get_column_letter(dim.max)}" if dim.max and dim.max != dim.min else "")
        if dim.hidden or (dim.width is not None and dim.width < _MIN_WIDTH):
            state = "hidden" if dim.hidden else "zero width"
            raise S75Error(Finding("error", f"column {letters} is {state}; budget tables must "
                                   "show every value they hold", where))
    for number, dim in sheet.row_dimensions.items():
        if dim.hidden or (dim.height is not None and dim.height < _MIN_HEIGHT):
            state = "hidden" if dim.hidden else "of zero height"
            raise S75Error(Finding("error", f"row {number} is {state}; budget tables must show "
                                   "every value they hold", where, line=number))


_MIN_WIDTH = 0.5  # characters: narrower, and a column shows nothing
_MIN_HEIGHT = 1.0  # points: lower, and a row shows nothing


def _xlsx_rows(path: Path, display: str, sheet_name: str | None
               ) -> tuple[list[Row], str, dict[str, str]]:
    """The rows of the chosen sheet, the name errors give it (``file[sheet]``) and the column
    letter of each header."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

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
    except S75Error:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise S75Error(Finding("error", f"cannot open workbook: {exc}", display)) from exc
    except Exception as exc:
        raise S75Error(Finding("error", "cannot open workbook: it is damaged or not an Excel "
                               f"workbook ({type(exc).__name__}: {exc})", display)) from exc
    sheet = _choose_sheet(book, display, sheet_name)
    where = f"{display}[{sheet.title}]"
    if sheet.merged_cells.ranges:
        first = min(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
        raise S75Error(
            Finding("error", f"merged cells ({first}) are not allowed in a budget table; "
                    "unmerge them so every row stands alone", where, line=first.min_row)
        )
    _refuse_invisible(sheet, where)
    # The cells the file holds, by row. Not iter_rows(): it visits every coordinate up to the
    # sheet's extent, so one cell at A1048576 would make a million rows.
    by_row: dict[int, dict[int, str]] = {}
    for (row, column), cell in sorted(sheet._cells.items()):
        if cell.data_type == "f":
            raise S75Error(
                Finding("error", f"cell {cell.coordinate} holds a formula; paste values "
                        "so the figure is the one the partners agreed", where, line=row)
            )
        if cell.value is not None and _format_hides(cell.number_format, cell.value):
            raise S75Error(
                Finding("error", f"cell {cell.coordinate}'s number format "
                        f"{cell.number_format!r} shows nothing; budget tables must show every "
                        "value they hold", where, line=row)
            )
        by_row.setdefault(row, {})[column] = _xlsx_cell_text(cell.value)
    rows: list[Row] = []
    header: dict[int, str] | None = None
    for number, cells in by_row.items():
        if header is None:
            if any(v.strip() for v in cells.values()):
                first, last = min(cells), max(cells)
                names = _check_header([cells.get(c, "") for c in range(first, last + 1)],
                                      where, number)
                header = {first + i: name for i, name in enumerate(names) if name}
            continue
        stray = [c for c, v in cells.items() if c not in header and v.strip()]
        if stray:
            raise S75Error(Finding("error", f"cell {get_column_letter(stray[0])}{number} holds a "
                                   "value but its column has no header", where, line=number))
        rows.append((number, {name: cells.get(c, "") for c, name in header.items()}))
    if header is None:
        raise S75Error(Finding("error", "budget table is empty (no header row)", where))
    return rows, where, {name: get_column_letter(c) for c, name in header.items()}
