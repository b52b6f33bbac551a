#!/usr/bin/env python3
"""Write tests/bad/<case>/: the minimal fixture with exactly one fault, and what the check must say.

Each case is a complete agreement folder a person can open and run by hand::

    .venv/bin/s75docs check tests/bad/money-three-decimals

``expect.yaml`` in the folder holds what ``tests/test_bad_inputs.py`` asserts:

- ``exit``: the exit code (1 for findings with errors, 2 for a usage error);
- ``file``: the file the message must name, relative to the case folder (the CLI prints it
  relative to the folder's parent, so the test checks that the printed name ends with
  ``<case>/<file>``); ``.`` for the folder itself, omitted for a usage error;
- ``path``: the field path the finding names (omitted when there is none);
- ``line``: the line (or spreadsheet row) the finding names (omitted when there is none);
- ``message``: a substring of the message;
- ``args``: extra command-line arguments, e.g. ``["--final"]``.

Regenerate after changing the fixture or this list (the output is committed)::

    .venv/bin/python tests/bad/_make.py

Cases are grouped by fault class: each ``Section`` in ENTRIES starts one, and tests/README.md
counts the cases of each class (test_hostile_inputs.py checks the table).

Faults are text edits of the fixture (each ``old`` must occur exactly once, so an edit cannot
silently miss) or whole files. ``at`` names text in ``file`` whose line the finding must give;
it is looked up in the edited file so expectations follow the fixture when it changes.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
FIXTURE = HERE.parent / "fixtures" / "minimal"

A = "agreement.yaml"
S = "schedules/pooled.yaml"
B = "budgets/pooled.csv"
X = "budgets/pooled.xlsx"


@dataclass
class Case:
    name: str
    description: str
    message: str
    file: str | None  # None: no file to name (a usage error); ".": the agreement folder itself
    path: str | None = None
    at: str | None = None  # text in `file` (after the edits) on the line the finding names
    line: int | None = None  # an explicit line, where `at` cannot say it (workbooks, bytes)
    edits: list[tuple[str, str, str]] = field(default_factory=list)  # (file, old, new)
    files: dict[str, str | bytes] = field(default_factory=dict)  # whole files written
    remove: list[str] = field(default_factory=list)
    build: Callable[[Path], None] | None = None  # anything text cannot express
    exit: int = 1
    args: list[str] = field(default_factory=list)
    kind: str = ""  # the fault class, from the Section the case is listed under


def _csv(rows: list[str]) -> str:
    return "partner,line,year,amount,type\n" + "".join(row + "\n" for row in rows)


def _xlsx(rows: list[list[object]], extra: Callable[[object], None] | None = None
          ) -> Callable[[Path], None]:
    """A step that writes budgets/pooled.xlsx from rows, and points the schedule at it."""

    def step(folder: Path) -> None:
        import datetime as dt

        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "Budget"
        for row in rows:
            sheet.append(row)
        if extra is not None:
            extra(sheet)
        fixed = dt.datetime(2024, 1, 1)
        book.properties.creator = "tests/bad/_make.py"
        book.properties.created = book.properties.modified = fixed
        book.save(folder / X)
        _restamp(folder / X)
        (folder / B).unlink()
        schedule = folder / S
        schedule.write_text(schedule.read_text(encoding="utf-8").replace(B, X), encoding="utf-8")

    return step


XLSX_HEADER = ["partner", "line", "year", "amount", "type"]
XLSX_ROWS = [
    XLSX_HEADER,
    ["council", "Equipment purchase", "2024/25", 400000, "revenue"],
    ["council", "Equipment service staff", "2024/25", 200000, "revenue"],
    ["icb", "Equipment purchase", "2024/25", "500000.25", "revenue"],
    ["icb", "Wheelchair service", "2024/25", "150000.25", "revenue"],
]


def _merge(sheet: object) -> None:
    sheet.merge_cells("A2:A3")  # type: ignore[attr-defined]


def _restamp(path: Path, cut: str | None = None) -> None:
    """Rewrite a workbook's zip with fixed timestamps (so regenerating changes no bytes),
    optionally cutting one part short."""
    import zipfile

    with zipfile.ZipFile(path) as book:
        parts = [(info.filename, book.read(info.filename)) for info in book.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts:
            if name == "docProps/core.xml":  # openpyxl stamps the time of saving: fix it
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z",
                              data)
            if name == cut:
                data = data[: len(data) // 2]
            book.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data,
                          zipfile.ZIP_DEFLATED)


def _damage(folder: Path) -> None:
    _xlsx(XLSX_ROWS)(folder)
    _restamp(folder / X, cut="xl/worksheets/sheet1.xml")


def _not_a_workbook(folder: Path) -> None:
    _xlsx(XLSX_ROWS)(folder)
    (folder / X).write_bytes(b"PK\x03\x04 not really a workbook")


def _symlink_outside(folder: Path) -> None:
    # A budget table that is a link to a file outside the agreement folder (git stores the link).
    target = folder / B
    target.unlink()
    target.symlink_to(Path("..", "..", "..", "fixtures", "minimal", "budgets", "pooled.csv"))


def _link(name: str, target: str | Path) -> Callable[[Path], None]:
    """A step that replaces ``name`` in the case folder with a symbolic link to ``target``."""

    def step(folder: Path) -> None:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        path.symlink_to(target)

    return step


def _schedule_link_inside(folder: Path) -> None:
    # The schedule's content moved to another name inside the folder, and linked to: still a link.
    (folder / "schedules" / "real.yaml").write_bytes((folder / S).read_bytes())
    _link(S, "real.yaml")(folder)


def _preset_link_outside(folder: Path) -> None:
    # presets/camhs.yaml links to one of our own presets, outside the agreement folder.
    (folder / "presets").mkdir()
    _link("presets/camhs.yaml",
          Path("..", "..", "..", "..", "s75docs", "presets", "camhs.yaml"))(folder)


def _zip_bomb(folder: Path) -> None:
    # A workbook whose sheet unpacks to 60 MB (white space between the cells): small on disk,
    # huge in memory if it were parsed.
    import zipfile

    _xlsx(XLSX_ROWS)(folder)
    path = folder / X
    with zipfile.ZipFile(path) as book:
        parts = [(info.filename, book.read(info.filename)) for info in book.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts:
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * 60_000_000, 1)
            book.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data,
                          zipfile.ZIP_DEFLATED)


def _hide_row(sheet: object) -> None:
    sheet.row_dimensions[3].hidden = True  # type: ignore[attr-defined]


def _hide_column(sheet: object) -> None:
    sheet.column_dimensions["D"].hidden = True  # type: ignore[attr-defined]


def _hide_cell(sheet: object) -> None:
    sheet["D3"].number_format = ";;;"  # type: ignore[index]


def _stray_cell(sheet: object) -> None:
    sheet["G3"] = "a note outside the table"  # type: ignore[index]


def _far_cell(sheet: object) -> None:
    # One cell in the sheet's last row: a reader that walks the sheet's extent visits 10^6 rows.
    sheet["E1048576"] = "@SUM(1)"  # type: ignore[index]


def _other_sheet(state: str, first: bool = True) -> Callable[[object], None]:
    """A second sheet ("Old", different figures) in the given state, before or after Budget."""

    def extra(sheet: object) -> None:
        book = sheet.parent  # type: ignore[attr-defined]
        old = book.create_sheet("Old", 0 if first else None)
        for row in XLSX_ROWS[:1] + [["council", "Equipment purchase", "2024/25", 1, "revenue"]]:
            old.append(row)
        old.sheet_state = state

    return extra


def _sheet_xml(rows: list[list[object]], old: bytes, new: bytes) -> Callable[[Path], None]:
    """A workbook step, then one edit of the sheet's XML (what openpyxl cannot write, such as a
    zero row height)."""

    def step(folder: Path) -> None:
        import zipfile

        _xlsx(rows)(folder)
        path = folder / X
        with zipfile.ZipFile(path) as book:
            parts = [(info.filename, book.read(info.filename)) for info in book.infolist()]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
            for name, data in parts:
                if name == "xl/worksheets/sheet1.xml":
                    assert data.count(old) == 1, (old, data)
                    data = data.replace(old, new)
                book.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data,
                              zipfile.ZIP_DEFLATED)

    return step


def _sheet_named(name: str) -> tuple[str, str, str]:
    """The schedule edit that names a sheet of its budget table."""
    return (S, "  - budgets/pooled.csv", "  - {file: budgets/pooled.csv, sheet: %s}" % name)


BILLION_LAUGHS = "".join(
    ["# The classic 'billion laughs': nine levels of aliases, 10^9 strings if expanded.\n",
     'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    + [f"{b}: &{b} [{', '.join(['*' + a] * 10)}]\n" for a, b in zip("abcdefgh", "bcdefghi")])


def _latin1(folder: Path) -> None:
    path = folder / A
    text = path.read_text(encoding="utf-8").replace("area: Exampleshire",
                                                     "area: Exampleshire (£ area)")
    path.write_bytes(text.encode("latin-1"))


@dataclass
class Section:
    """Starts a fault class in ENTRIES: the cases after it, up to the next Section, are of it."""

    kind: str
    title: str


ENTRIES: list[Case | Section] = [
    Section("schema", "required, unknown and mistyped fields; keys"),
    Case("missing-required-field", "the agreement has no title",
         "this field is required", A, "title",
         edits=[(A, "title: Minimal Section 75 Partnership Agreement\n", "")]),
    Case("missing-partner-name", "the ICB partner has no name",
         "this field is required", A, "partners[1].name", at="  - key: icb",
         edits=[(A, "    name: NHS Exampleshire Integrated Care Board\n", "")]),
    Case("unknown-field-typo", "'overview' misspelt in the schedule",
         "unknown field 'overveiw' (did you mean 'overview'?)", S, "schedules[0].overveiw",
         at="overveiw:", edits=[(S, "overview:", "overveiw:")]),
    Case("unknown-field-typo-nested", "'review' misspelt under term",
         "unknown field 'reveiw' (did you mean 'review'?)", A, "term.reveiw",
         at="reveiw:", edits=[(A, "  review: annual", "  reveiw: annual")]),
    Case("wrong-type-list", "board membership given as one string instead of a list",
         "valid list", A, "governance[0].membership", at="membership:",
         edits=[(A, "    membership:\n      - Director of Adult Social Services (Council)\n"
                    "      - Director of Commissioning (ICB)\n",
                 "    membership: Director of Adult Social Services (Council)\n")]),
    Case("wrong-type-bool", "quarterly_reports is neither true nor false",
         "expected true or false", S, "schedules[0].reporting.quarterly_reports",
         at="quarterly_reports:", edits=[(S, "quarterly_reports: true",
                                          "quarterly_reports: sometimes")]),
    Case("bool-yes", "YAML 1.1's 'yes' where true or false is wanted",
         "expected true or false", S, "schedules[0].reporting.annual_return",
         at="annual_return:", edits=[(S, "annual_return: true", "annual_return: yes")]),
    Case("bool-one", "1 where true or false is wanted",
         "expected true or false", S, "schedules[0].reporting.annual_return",
         at="annual_return:", edits=[(S, "annual_return: true", "annual_return: 1")]),
    Case("wrong-type-date", "a date written in words",
         "expected a date written as YYYY-MM-DD", A, "commencement_date",
         at="commencement_date:", edits=[(A, "commencement_date: 2024-04-01",
                                          "commencement_date: 1 April 2024")]),
    Case("impossible-date", "30 February",
         "'2024-02-30' is not a date in the calendar", A, "version_date", at="version_date:",
         edits=[(A, "version_date: 2024-02-01", "version_date: 2024-02-30")]),
    Case("wrong-type-text-or-open-point", "eligibility given as a list",
         "(or an open point", S, "schedules[0].eligibility", at="eligibility:",
         edits=[(S, "eligibility: Residents of Exampleshire",
                 "eligibility:\n  - Residents of Exampleshire")]),
    Case("bad-notice-period", "notice period in words",
         "is not a period", A, "termination.notice", at="notice:",
         edits=[(A, "notice: 6 months", "notice: six months")]),
    Case("unknown-partner-kind", "a GP practice cannot be a partner",
         "input should be", A, "partners[1].kind", at="kind: gp_practice",
         edits=[(A, "    kind: icb\n", "    kind: gp_practice\n")]),
    Case("schedule-key-path-parts", "a schedule key that is a path",
         "expected a key", S, "schedules[0].key", at="key:",
         edits=[(S, "key: pooled\n", 'key: "../x"\n')]),
    Case("fixed-term-no-end-date", "a fixed term with no end date",
         "a fixed term needs an end_date", A, "term", at="term:",
         edits=[(A, "  kind: rolling\n", "  kind: fixed\n")]),
    Case("schedule-key-absolute", "a schedule key that is an absolute path",
         "expected a key", S, "schedules[0].key", at="key:",
         edits=[(S, "key: pooled\n", 'key: "/etc"\n')]),
    Case("schedule-key-device-name", "a schedule key that is a Windows device name",
         "expected a key", S, "schedules[0].key", at="key:",
         edits=[(S, "key: pooled\n", "key: CON\n")]),
    Case("partner-key-path-parts", "a partner key that is a path",
         "expected a key", A, "partners[1].key", at="  - key: ../x",
         edits=[(A, "  - key: icb\n", "  - key: ../x\n")]),
    Case("reference-path-parts", "a reference (the output folder's name) that leaves build/",
         "expected a key", A, "reference", at="reference:",
         edits=[(A, "reference: minimal-2024", 'reference: "../../x"')]),
    Case("reference-device-name", "a reference Windows cannot use as a folder name",
         "'con' is a device name on Windows", A, "reference", at="reference:",
         edits=[(A, "reference: minimal-2024", "reference: con")]),
    Section("references", "keys that name nothing"),
    Case("unknown-partner-in-contributions", "a budget line names a partner that does not exist",
         "'cuncil' is not a partner", B, "schedules[0].contributions[0].partner", at="cuncil",
         edits=[(B, "council,Equipment purchase", "cuncil,Equipment purchase")]),
    Case("unknown-lead-commissioner", "lead_commissioner names a partner that does not exist",
         "'the-council' is not a partner", S, "schedules[0].lead_commissioner",
         at="lead_commissioner:",
         edits=[(S, "lead_commissioner: council", "lead_commissioner: the-council")]),
    Case("unknown-partner-in-risk-share", "risk share for a partner that does not exist",
         "'ibc' is not a partner", A, "risk_share.shares.ibc", at="    ibc:",
         edits=[(A, "    icb: 50%", "    ibc: 50%")]),
    Case("duplicate-partner-key", "two partners share the key 'council'",
         "key 'council' is used twice", A, "partners[1].key",
         at="  - key: council\n    name: NHS",
         edits=[(A, "  - key: icb\n", "  - key: council\n")]),
    Section("money", "amounts, totals and shares"),
    Case("money-bad-grouping", "thousands separators in the wrong places",
         "'£1,00,0' is not an amount of money", B, "schedules[0].contributions[0].amount",
         at="£1,00,0", edits=[(B, '"£400,000"', '"£1,00,0"')]),
    Case("money-three-decimals", "an amount with three decimal places",
         "'1.005' has more than two decimal places", B, "schedules[0].contributions[1].amount",
         at="1.005", edits=[(B, '"200,000.00"', "1.005")]),
    Case("money-exponent", "an amount in exponent notation (a YAML string, not a number)",
         "'1e9' is not an amount of money", S, "schedules[0].stated_totals[1].amount",
         at="amount: 1e9", edits=[(S, 'amount: "£600,000"', "amount: 1e9")]),
    Case("money-exponent-csv", "an amount in exponent notation in a budget table",
         "'1e9' is not an amount of money", B, "schedules[0].contributions[3].amount",
         at="1e9", edits=[(B, '"150,000.25"', "1e9")]),
    Case("money-nan", "NaN in a budget table",
         "'NaN' is not an amount of money", B, "schedules[0].contributions[2].amount",
         at="NaN", edits=[(B, '"500,000.25"', "NaN")]),
    Case("money-nan-yaml", "YAML's .nan as a stated total",
         "'.nan' is not an amount of money", S, "schedules[0].stated_totals[0].amount",
         at="amount: .nan", edits=[(S, 'amount: "£1,250,000.50"\n  - partner',
                                    "amount: .nan\n  - partner")]),
    Case("money-pound-minus-zero", "£-0.00 (sign after the pound sign)",
         "'£-0.00' is not an amount of money", B, "schedules[0].contributions[0].amount",
         at="£-0.00", edits=[(B, '"£400,000"', "£-0.00")]),
    Case("money-negative-zero", "-£0.00",
         "is a negative zero", B, "schedules[0].contributions[0].amount",
         at="-£0.00", edits=[(B, '"£400,000"', "-£0.00")]),
    Case("money-brackets", "an accountant's negative in brackets",
         "'(1,000)' is not an amount of money", B, "schedules[0].contributions[1].amount",
         at="(1,000)", edits=[(B, '"200,000.00"', '"(1,000)"')]),
    Case("money-yaml-bool", "'yes' as an amount (YAML 1.1 would read it as true)",
         "'yes' is not an amount of money", S, "schedules[0].stated_totals[1].amount",
         at="amount: yes", edits=[(S, 'amount: "£600,000"', "amount: yes")]),
    Case("money-inline-three-decimals", "an unquoted YAML number with three places, in a budget "
         "line written in the schedule",
         "'10.005' has more than two decimal places", S, "schedules[0].contributions[0].amount",
         at="amount: 10.005",
         edits=[(S, "budget_files:\n", "contributions:\n  - partner: icb\n    line: Sundries\n"
                                       "    year: 2024/25\n    amount: 10.005\nbudget_files:\n")]),
    Case("money-yaml-octal", "an unquoted 0600000 (YAML 1.1 reads octal: £196,608)",
         "'0600000' starts with a zero", S, "schedules[0].stated_totals[1].amount",
         at="amount: 0600000", edits=[(S, 'amount: "£600,000"', "amount: 0600000")]),
    Case("money-yaml-sexagesimal", "an unquoted 1:30:00 (YAML 1.1 reads base 60: £5,400)",
         "'1:30:00' is not an amount of money", S, "schedules[0].stated_totals[1].amount",
         at="amount: 1:30:00", edits=[(S, 'amount: "£600,000"', "amount: 1:30:00")]),
    Case("money-yaml-hex", "an unquoted 0x1F4 (YAML 1.1 reads hex: £500)",
         "'0x1F4' is not an amount of money", S, "schedules[0].stated_totals[1].amount",
         at="amount: 0x1F4", edits=[(S, 'amount: "£600,000"', "amount: 0x1F4")]),
    Case("money-yaml-negative-zero", "an unquoted -0",
         "'-0' is a negative zero", S, "schedules[0].stated_totals[1].amount",
         at="amount: -0", edits=[(S, 'amount: "£600,000"', "amount: -0")]),
    Case("money-yaml-infinity", "YAML's .inf as an amount",
         "'.inf' is not an amount of money", S, "schedules[0].stated_totals[1].amount",
         at="amount: .inf", edits=[(S, 'amount: "£600,000"', "amount: .inf")]),
    Case("money-yaml-underscores", "an unquoted 600_000 (YAML 1.1 drops the underscore)",
         "'600_000' is not an amount of money", S, "schedules[0].stated_totals[1].amount",
         at="amount: 600_000", edits=[(S, 'amount: "£600,000"', "amount: 600_000")]),
    Case("money-yaml-float-tag", "an explicit !!float tag",
         "YAML tag 'tag:yaml.org,2002:float' is not allowed", S, "stated_totals[1].amount",
         at="amount: !!float 600000", edits=[(S, 'amount: "£600,000"', "amount: !!float 600000")]),
    Case("money-csv-leading-zero", "an amount with a leading zero in a budget table",
         "'0400000' starts with a zero", B, "schedules[0].contributions[0].amount",
         at="0400000", edits=[(B, '"£400,000"', "0400000")]),
    Case("percent-leading-zero", "a risk share of 050%",
         "'050' starts with a zero", A, "risk_share.shares.council", at="    council: 050%",
         edits=[(A, "    council: 50%", "    council: 050%")]),
    Case("stated-total-off-by-penny", "the council's stated total is a penny more than its lines",
         "difference £0.01", S, "schedules[0].stated_totals[1].amount",
         at='amount: "£600,000.01"', edits=[(S, 'amount: "£600,000"', 'amount: "£600,000.01"')]),
    Case("yaml-float-total-off-by-penny", "an unquoted YAML number a penny short of the lines "
         "(read from its text, never through a binary float)",
         "difference -£0.01", S, "schedules[0].stated_totals[0].amount",
         at="amount: 1250000.49", edits=[(S, 'amount: "£1,250,000.50"\n  - partner',
                                          "amount: 1250000.49\n  - partner")]),
    Case("risk-share-60-50", "risk shares that add up to 110%",
         "risk shares add up to 110%, not 100%", A, "risk_share.shares", at="  shares:",
         edits=[(A, "    council: 50%", "    council: 60%")]),
    Case("csv-unknown-year-format", "a financial year written as a single year",
         "'2022' is not a financial year", B, "schedules[0].contributions[0].year",
         at="2022,", edits=[(B, "council,Equipment purchase,2024/25", "council,Equipment purchase,2022")]),
    Case("contribution-year-outside-term", "a budget line for a year before the agreement",
         "financial year 2022/23 falls outside the agreement's term", B,
         "schedules[0].contributions[0].year", at="2022/23",
         edits=[(B, "council,Equipment purchase,2024/25", "council,Equipment purchase,2022/23")]),
    Case("money-huge-integer", "an unquoted YAML integer 5,000 digits long",
         "is more than £999,999,999,999.99", S, "schedules[0].stated_totals[1].amount",
         at="amount: 9999", edits=[(S, 'amount: "£600,000"', "amount: " + "9" * 5000)]),
    Case("money-too-large", "a trillion pounds",
         "is more than £999,999,999,999.99", B, "schedules[0].contributions[0].amount",
         at="1,000,000,000,000", edits=[(B, '"£400,000"', '"£1,000,000,000,000"')]),
    Section("dates", "phases, terms and financial years"),
    Case("overlapping-phases", "an aligned phase overlapping the pooled phase after it",
         "overlaps the phase before it", S, "schedules[0].phases[1].start",
         at="start: 2024-09-01",
         edits=[(S, "  - kind: pooled\n    start: 2024-04-01\n",
                 "  - kind: aligned\n    start: 2024-04-01\n    end: 2024-09-30\n"
                 "  - kind: pooled\n    start: 2024-09-01\n")]),
    Case("gap-between-phases", "a fortnight between the aligned and the pooled phase",
         "gap between phases", S, "schedules[0].phases[1].start", at="start: 2024-10-15",
         edits=[(S, "  - kind: pooled\n    start: 2024-04-01\n",
                 "  - kind: aligned\n    start: 2024-04-01\n    end: 2024-09-30\n"
                 "  - kind: pooled\n    start: 2024-10-15\n")]),
    Case("phase-before-commencement", "a phase starting before the agreement commences",
         "before the agreement commences", S, "schedules[0].phases[0].start",
         at="start: 2023-04-01", edits=[(S, "start: 2024-04-01", "start: 2023-04-01")]),
    Case("date-not-zero-padded", "a date YAML 1.1 reads as a timestamp, 2024-2-1",
         "expected a date written as YYYY-MM-DD", A, "version_date", at="version_date:",
         edits=[(A, "version_date: 2024-02-01", "version_date: 2024-2-1")]),
    Case("date-with-time", "a date with a time of day",
         "expected a date written as YYYY-MM-DD", A, "version_date", at="version_date:",
         edits=[(A, "version_date: 2024-02-01", "version_date: 2024-02-01 09:30:00")]),
    Case("date-term-ends-9999", "a term ending 9999-12-31 (year 10000 once a year is added)",
         "9999-12-31 is not in the years 1900 to 2999", A, "term.end_date", at="end_date:",
         edits=[(A, "  kind: rolling\n", "  kind: fixed\n  end_date: 9999-12-31\n")]),
    Case("financial-year-9999", "a budget line in 9999/00 (it would end in the year 10000)",
         "'9999/00' is not in the years 1900 to 2999", B, "schedules[0].contributions[0].year",
         at="9999/00", edits=[(B, "council,Equipment purchase,2024/25",
                               "council,Equipment purchase,9999/00")]),
    Case("phase-after-term", "a fixed term ends before the phase does",
         "phase runs past the end of the term", S, "schedules[0].phases[0].end",
         at="end: 2028-03-31",
         edits=[(A, "  kind: rolling\n", "  kind: fixed\n  end_date: 2027-03-31\n"),
                (S, "    start: 2024-04-01\n", "    start: 2024-04-01\n    end: 2028-03-31\n")]),
    Section("statute", "what section 75 and the 2000 Regulations require"),
    Case("excluded-function-surgery", "a service that is surgery",
         "surgery is an excluded NHS function", S, "schedules[0].services[1]",
         at="Day surgery", edits=[(S, "  - Community equipment loan service\n",
                                   "  - Community equipment loan service\n"
                                   "  - Day surgery for equipment fitting\n")]),
    Case("pooled-fund-no-host", "a pooled fund with no host partner",
         "needs a host partner", S, "schedules[0].host_partner", line=1,
         edits=[(S, "host_partner: council\n", "")]),
    Case("manager-not-host-officer", "the pooled fund manager is an officer of the other partner",
         "must be an officer of the host partner", S, "schedules[0].pooled_fund_manager.partner",
         at="  partner: icb", edits=[(S, "  post: Head of Integrated Commissioning\n  partner: council",
                                      "  post: Head of Integrated Commissioning\n  partner: icb")]),
    Case("no-quarterly-reports", "the pooled fund reports only annually",
         "quarterly reports", S, "schedules[0].reporting.quarterly_reports",
         at="quarterly_reports:", edits=[(S, "quarterly_reports: true", "quarterly_reports: false")]),
    Case("missing-aims-and-outcomes", "a pooled fund with no aims and outcomes (reg 7(3)(a))",
         "(a) the agreed aims and outcomes", S, "schedules[0].aims_and_outcomes", line=1,
         edits=[(S, "aims_and_outcomes:\n  - People stay independent in their own homes for longer.\n",
                 "")]),
    Case("only-councils", "the NHS partner replaced by a second council",
         "needs at least one NHS body partner", A, "partners", at="partners:",
         edits=[(A, "    kind: icb\n", "    kind: county_council\n")]),
    Case("nhs-trust-without-consent", "an NHS trust partner with no commissioners' consent",
         "needs the consent of the commissioners", A, "partners[1].consent", at="  - key: icb",
         edits=[(A, "    kind: icb\n", "    kind: nhs_trust\n")]),
    Case("ccg-after-july-2022", "a CCG in an agreement commencing in 2024",
         "CCGs were abolished on 1 July 2022", A, "partners[1].kind", at="kind: ccg",
         edits=[(A, "    kind: icb\n", "    kind: ccg\n")]),
    Case("open-point-in-final-check", "an open point, checked with --final",
         "(a final agreement has no open points)", S, "schedules[0].exit_arrangements",
         at="exit_arrangements:", args=["--final"],
         edits=[(S, "exit_arrangements: Equipment is divided in proportion to contributions.",
                 "exit_arrangements:\n  to_be_agreed: division of equipment on exit")]),
    Section("files", "file names, paths, links, sizes and kinds of file"),
    Case("schedule-file-missing", "agreement.yaml names a schedule file that is not there",
         "'schedules/missing.yaml' does not exist", A, "schedules[0]", at="  - schedules/missing",
         edits=[(A, "  - schedules/pooled.yaml", "  - schedules/missing.yaml")]),
    Case("schedule-path-dotdot", "a schedule file named with '..'",
         "must be a path inside the agreement folder", A, "schedules[0]", at="  - schedules/..",
         edits=[(A, "  - schedules/pooled.yaml", "  - schedules/../../minimal/schedules/pooled.yaml")]),
    Case("schedule-path-absolute", "a schedule file named by an absolute path",
         "must be a path inside the agreement folder", A, "schedules[0]", at="  - /etc",
         edits=[(A, "  - schedules/pooled.yaml", "  - /etc/passwd")]),
    Case("schedule-path-nul", "a schedule file name holding a NUL character (a YAML escape)",
         "the control character 0x00 is not allowed", A, "schedules[0]", at='  - "schedules',
         edits=[(A, "  - schedules/pooled.yaml", '  - "schedules/pooled.yaml\\0"')]),
    Case("budget-symlink-outside", "the budget table is a link to a file outside the folder",
         "is a link or leaves the agreement folder", S, "budget_files[0]",
         at="  - budgets/pooled.csv", build=_symlink_outside),
    Case("budget-wrong-extension", "a budget table that is neither CSV nor XLSX",
         "budget tables must be .csv or .xlsx", "budgets/pooled.txt",
         edits=[(S, "budgets/pooled.csv", "budgets/pooled.txt")],
         files={"budgets/pooled.txt": _csv(["council,Equipment purchase,2024/25,1,revenue"])},
         remove=[B]),
    Case("extends-unknown-preset", "the schedule extends a preset that does not exist",
         "no care-group preset named 'no-such-preset'", S, "extends", at="extends:",
         edits=[(S, "key: pooled\n", "key: pooled\nextends: no-such-preset\n")]),
    Case("budget-path-dotdot", "a budget table named with '..' (outside the folder)",
         "must be a path inside the agreement folder", S, "budget_files[0]",
         at="  - ../../fixtures", edits=[(S, "  - budgets/pooled.csv",
                                          "  - ../../fixtures/minimal/budgets/pooled.csv")]),
    Case("budget-path-absolute", "a budget table named by an absolute path",
         "must be a path inside the agreement folder", S, "budget_files[0]",
         at="  - /etc/passwd", edits=[(S, "  - budgets/pooled.csv", "  - /etc/passwd")]),
    Case("budget-symlink-absolute", "the budget table is a link to /etc/passwd",
         "is a link or leaves the agreement folder", S, "budget_files[0]",
         at="  - budgets/pooled.csv", build=_link(B, "/etc/passwd")),
    Case("budget-symlink-dev-zero", "the budget table is a link to /dev/zero (endless)",
         "is a link or leaves the agreement folder", S, "budget_files[0]",
         at="  - budgets/pooled.csv", build=_link(B, "/dev/zero")),
    Case("budget-is-a-folder", "a budget table name that is a folder",
         "is not a regular file", S, "budget_files[0]", at="  - budgets",
         edits=[(S, "  - budgets/pooled.csv", "  - budgets")]),
    Case("schedule-symlink-inside", "the schedule file is a link, even to a file in the folder",
         "is a link or leaves the agreement folder", A, "schedules[0]",
         at="  - schedules/pooled.yaml", build=_schedule_link_inside),
    Case("schedule-symlink-loop", "the schedule file is a link to itself",
         "is a link or leaves the agreement folder", A, "schedules[0]",
         at="  - schedules/pooled.yaml", build=_link(S, "pooled.yaml")),
    Case("schedules-folder-symlink-outside", "the schedules folder is a link out of the folder",
         "is a link or leaves the agreement folder", A, "schedules[0]",
         at="  - schedules/pooled.yaml",
         build=_link("schedules", Path("..", "..", "fixtures", "minimal", "schedules"))),
    Case("preset-symlink-outside", "a preset in the agreement's presets/ that links outside",
         "is a link or leaves the agreement folder", S, "extends", at="extends:",
         edits=[(S, "key: pooled\n", "key: pooled\nextends: camhs\n")],
         build=_preset_link_outside),
    Case("agreement-symlink", "agreement.yaml is a link to another agreement's file",
         "agreement.yaml is a link", A,
         build=_link(A, Path("..", "..", "fixtures", "minimal", "agreement.yaml"))),
    Case("templates-folder-outside", "agreement.yaml names a template folder outside itself",
         "must be a folder inside the agreement folder", A, "templates", at="templates:",
         edits=[(A, "schedules:\n  - schedules/pooled.yaml\n",
                 "schedules:\n  - schedules/pooled.yaml\ntemplates: ../../../templates\n")]),
    Case("templates-folder-absolute", "agreement.yaml names /etc as its template folder",
         "must be a folder inside the agreement folder", A, "templates", at="templates:",
         edits=[(A, "schedules:\n  - schedules/pooled.yaml\n",
                 "schedules:\n  - schedules/pooled.yaml\ntemplates: /etc\n")]),
    Section("budget-tables", "CSV and XLSX budget tables: formulas, cells, workbooks"),
    Case("csv-formula-cell", "a budget cell holding a spreadsheet formula",
         "looks like a spreadsheet formula", B, "line", at="=cmd",
         edits=[(B, "icb,Wheelchair service", "icb,\"=cmd|' /C calc'!A0\"")]),
    Case("csv-unknown-column", "a budget table with a misspelt column",
         "unknown column(s) amnt", B, line=1,
         edits=[(B, "partner,line,year,amount,type", "partner,line,year,amnt,type")]),
    Case("csv-extra-cell", "a budget row with more cells than the header",
         "row has 6 cells but the header has 5", B, at="Wheelchair",
         edits=[(B, '"150,000.25",revenue', '"150,000.25",revenue,extra')]),
    Case("csv-cell-too-long", "a budget cell longer than the CSV reader's limit",
         "cannot read CSV row", B, at="icb,Wheelchair",
         edits=[(B, "icb,Wheelchair service", "icb,Wheelchair service " + "x" * 140_000)]),
    Case("xlsx-merged-cells", "a workbook with merged cells (A2:A3)",
         "merged cells (A2:A3) are not allowed", X + "[Budget]", line=2,
         build=_xlsx(XLSX_ROWS, _merge)),
    Case("xlsx-formula", "a workbook cell holding a formula",
         "cell D4 holds a formula", X + "[Budget]", line=4,
         build=_xlsx(XLSX_ROWS[:3] + [["icb", "Equipment purchase", "2024/25", "=250000*2",
                                       "revenue"]] + XLSX_ROWS[4:])),
    Case("xlsx-damaged", "a file named .xlsx that is not a workbook",
         "cannot open workbook", X,
         build=_not_a_workbook),
    Case("xlsx-damaged-xml", "a workbook whose sheet XML is cut short (a damaged download)",
         "cannot open workbook: it is damaged", X, build=_damage),
    Case("csv-formula-plus", "a budget line starting with '+' (a formula to a spreadsheet)",
         "looks like a spreadsheet formula", B, "line", at="+cmd",
         edits=[(B, "icb,Wheelchair service", "icb,\"+cmd|' /C calc'!A0\"")]),
    Case("csv-formula-minus", "a budget line starting with '-' (-2+3+cmd|...)",
         "looks like a spreadsheet formula", B, "line", at="-2+3",
         edits=[(B, "icb,Wheelchair service", "icb,\"-2+3+cmd|' /C calc'!A0\"")]),
    Case("csv-formula-at", "a budget type starting with '@'",
         "looks like a spreadsheet formula", B, "type", at="@SUM",
         edits=[(B, '"150,000.25",revenue', '"150,000.25",@SUM(1+9)*cmd|\' /C calc\'!A0')]),
    Case("csv-formula-partner", "a formula in the partner column",
         "looks like a spreadsheet formula", B, "partner", at="=HYPERLINK",
         edits=[(B, "icb,Wheelchair service",
                 '"=HYPERLINK(""http://example.invalid"",""icb"")",Wheelchair service')]),
    Case("csv-formula-after-tab", "a formula hidden behind a leading tab",
         "looks like a spreadsheet formula", B, "line", at="\t=cmd",
         edits=[(B, "icb,Wheelchair service", "icb,\"\t=cmd|' /C calc'!A0\"")]),
    Case("csv-formula-amount", "a formula in the amount column (not a negative amount)",
         "'=1000+1' is not an amount of money", B, "schedules[0].contributions[3].amount",
         at="=1000", edits=[(B, '"150,000.25"', "=1000+1")]),
    Case("csv-amount-plus-sign", "an amount with a '+' sign",
         "'+1000' is not an amount of money", B, "schedules[0].contributions[3].amount",
         at="+1000", edits=[(B, '"150,000.25"', "+1000")]),
    Case("csv-control-character", "a terminal escape sequence in a budget line",
         "holds the control character 0x1b", B, "line", at="Wheel",
         edits=[(B, "icb,Wheelchair service", "icb,\"Wheel\x1b[2Jchair service\"")]),
    Case("csv-nul-byte", "a NUL byte in a budget line",
         "holds the control character 0x00", B, "line", at="Wheel",
         edits=[(B, "icb,Wheelchair service", "icb,Wheel\x00chair service")]),
    Case("csv-not-utf8", "a budget table saved as Latin-1 (the £ sign is byte 0xa3)",
         "not UTF-8", B, line=2, files={B: (FIXTURE / B).read_text(encoding="utf-8")
                                         .encode("latin-1")}),
    Case("csv-empty", "an empty budget table",
         "budget table is empty (no header row)", B, files={B: ""}),
    Case("csv-missing-column", "a budget table without its amount column",
         "missing column(s) amount", B, line=1,
         files={B: "partner,line,year,type\ncouncil,Equipment purchase,2024/25,revenue\n"}),
    Case("xlsx-hidden-row", "a workbook with a hidden row",
         "row 3 is hidden", X + "[Budget]", line=3, build=_xlsx(XLSX_ROWS, _hide_row)),
    Case("xlsx-zero-height-row", "a workbook row of zero height",
         "row 3 is of zero height", X + "[Budget]", line=3,
         build=_sheet_xml(XLSX_ROWS, b'<row r="3">', b'<row r="3" ht="0" customHeight="1">')),
    Case("xlsx-hidden-column", "a workbook with a hidden column (the amounts)",
         "column D is hidden", X + "[Budget]", build=_xlsx(XLSX_ROWS, _hide_column)),
    Case("xlsx-zero-width-column", "a workbook column of zero width",
         "column D is zero width", X + "[Budget]",
         build=_sheet_xml(XLSX_ROWS, b"<sheetData>",
                          b'<cols><col min="4" max="4" width="0" customWidth="1"/></cols>'
                          b"<sheetData>")),
    Case("xlsx-format-hides-cell", "an amount formatted ';;;', which shows nothing",
         "cell D3's number format ';;;' shows nothing", X + "[Budget]", line=3,
         build=_xlsx(XLSX_ROWS, _hide_cell)),
    Case("xlsx-stray-cell", "a value in a column with no header (it would be ignored unseen)",
         "cell G3 holds a value but its column has no header", X + "[Budget]", line=3,
         build=_xlsx(XLSX_ROWS, _stray_cell)),
    Case("xlsx-far-cell", "one cell at E1048576: read without visiting a million rows",
         "cell E1048576 ('type') looks like a spreadsheet formula", X + "[Budget]", "type",
         line=1048576,
         build=_xlsx(XLSX_ROWS, _far_cell)),
    Case("xlsx-two-visible-sheets", "two visible sheets and no sheet named",
         "the workbook has 2 visible worksheets", X, build=_xlsx(XLSX_ROWS, _other_sheet("visible"))),
    Case("xlsx-named-sheet-hidden", "budget_files names a hidden sheet",
         "sheet 'Old' is hidden", X + "[Old]", edits=[_sheet_named("Old")],
         build=_xlsx(XLSX_ROWS, _other_sheet("hidden"))),
    Case("xlsx-named-sheet-very-hidden", "budget_files names a very hidden sheet",
         "sheet 'Old' is very hidden", X + "[Old]", edits=[_sheet_named("Old")],
         build=_xlsx(XLSX_ROWS, _other_sheet("veryHidden"))),
    Case("xlsx-named-sheet-missing", "budget_files names a sheet the workbook does not have",
         "the workbook has no worksheet named 'Budgets'", X, edits=[_sheet_named("Budgets")],
         build=_xlsx(XLSX_ROWS)),
    Case("csv-sheet-named", "a sheet named for a CSV file",
         "a CSV file has no sheets", B, edits=[_sheet_named("Budget")]),
    Case("xlsx-zip-bomb", "a workbook whose sheet unpacks to 60 MB (a 'zip bomb')",
         "workbook unpacks to", X, build=_zip_bomb),
    Section("yaml", "YAML itself: encoding, syntax, aliases, tags, depth"),
    Case("non-utf8-agreement", "agreement.yaml saved as Latin-1 (a £ sign is byte 0xa3)",
         "not UTF-8", A, line=4, build=_latin1),
    Case("yaml-syntax-error", "an unclosed bracket",
         "YAML syntax error", A, at="area:",
         edits=[(A, "title: Minimal Section 75 Partnership Agreement\narea: Exampleshire",
                 "title: [Minimal Section 75 Partnership Agreement\narea: Exampleshire")]),
    Case("duplicate-yaml-key", "the field 'version' given twice",
         "duplicate field 'version' (first given on line 5)", A, "version", at="version: Draft (2)",
         edits=[(A, "status: draft\n", "status: draft\nversion: Draft (2)\n")]),
    Case("yaml-alias-billion-laughs", "anchors and aliases (the 'billion laughs' shape)",
         "aliases are not allowed", A, "laughs[0]", at="laughs:",
         edits=[(A, "area: Exampleshire\n",
                 'area: Exampleshire\nlol: &b ["lol", "lol", "lol", "lol", "lol", "lol"]\n'
                 "laughs: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n")]),
    Case("yaml-merge-key", "a YAML merge key",
         "merge keys ('<<') are not allowed", A, "termination", at="  <<:",
         edits=[(A, "termination:\n  notice: 6 months\n",
                 "termination:\n  <<: {notice: 6 months}\n")]),
    Case("yaml-nested-too-deeply", "brackets nested thousands deep",
         "nested too deeply", A,
         edits=[(A, "area: Exampleshire\n", "area: " + "[" * 5000 + "]" * 5000 + "\n")]),
    Case("schedule-not-a-mapping", "a schedule file holding a list",
         "expected a mapping of schedule fields", S, line=1,
         files={S: "- key: pooled\n- title: Community Equipment Pooled Fund\n"}),
    Case("no-agreement-file", "agreement.yaml saved under another name",
         "no agreement.yaml in this folder", ".",
         remove=[A], files={"agreement.yml": (FIXTURE / A).read_text(encoding="utf-8")}),
    Case("yaml-billion-laughs-full", "the whole 'billion laughs' document as agreement.yaml",
         "aliases are not allowed", A, "b[0]", at="b: &b", files={A: BILLION_LAUGHS}),
    Case("yaml-python-tag", "a PyYAML tag that would run a command if constructed",
         "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed", A, "area",
         at="area:", edits=[(A, "area: Exampleshire",
                             'area: !!python/object/apply:os.system ["touch /tmp/pwned"]')]),
    Case("yaml-python-name-tag", "a PyYAML tag naming a Python function",
         "YAML tag 'tag:yaml.org,2002:python/name:os.system' is not allowed", A, "area", at="area:",
         edits=[(A, "area: Exampleshire", "area: !!python/name:os.system")]),
    Case("yaml-binary-scalar", "a !!binary scalar carrying ESC (a terminal escape)",
         "YAML tag 'tag:yaml.org,2002:binary' is not allowed", S, "overview", at="overview:",
         edits=[(S, "overview: A pooled fund for community equipment for adults and children.",
                 "overview: !!binary G1sySkhlbGxv")]),
    Case("yaml-custom-tag", "an application tag on a scalar",
         "YAML tag '!secret' is not allowed", A, "area", at="area:",
         edits=[(A, "area: Exampleshire", "area: !secret Exampleshire")]),
    Case("yaml-nul-byte", "a NUL byte in agreement.yaml",
         "YAML does not allow the character #x0000", A, at="area: Example",
         edits=[(A, "area: Exampleshire", "area: Example\x00shire")]),
    Case("yaml-escaped-control-character", "a terminal escape written as a YAML escape",
         "the control character 0x1b is not allowed", S, "overview", at="overview:",
         edits=[(S, "overview: A pooled fund for community equipment for adults and children.",
                 'overview: "A pooled fund\\x1b[2J for community equipment."')]),
    Case("yaml-two-documents", "agreement.yaml holding two YAML documents",
         "YAML syntax error", A, at="--- # second",
         edits=[(A, "partners:\n", "--- # second\npartners:\n")]),
    Case("yaml-top-level-list", "agreement.yaml holding a list",
         "expected a mapping of fields at the top of the file", A, line=1,
         files={A: "- reference: minimal-2024\n- title: Minimal\n"}),
    Case("yaml-empty-agreement", "an empty agreement.yaml",
         "this field is required", A, "reference", files={A: ""}),
    Section("command-line", "arguments and options the commands refuse"),
    Case("unknown-option", "a misspelt command-line option (a usage error)",
         "--finall", None, exit=2, args=["--finall"]),
]

def _classified(entries: list[Case | Section]) -> tuple[list[Case], dict[str, str]]:
    cases: list[Case] = []
    titles: dict[str, str] = {}
    kind = ""
    for entry in entries:
        if isinstance(entry, Section):
            kind = entry.kind
            titles[kind] = entry.title
        else:
            entry.kind = kind
            cases.append(entry)
    return cases, titles


CASES, KINDS = _classified(ENTRIES)  # KINDS: fault class -> its title


def _line_of(folder: Path, case: Case) -> int | None:
    if case.line is not None or case.at is None:
        return case.line
    text = (folder / case.file).read_text(encoding="utf-8")
    index = text.find(case.at)
    if index < 0:
        sys.exit(f"{case.name}: {case.at!r} is not in {case.file}")
    return text.count("\n", 0, index) + 1


def make(case: Case) -> None:
    folder = HERE / case.name
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(FIXTURE, folder, symlinks=True)
    for name, old, new in case.edits:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            sys.exit(f"{case.name}: {old!r} occurs {text.count(old)} times in {name}, not once")
        path.write_text(text.replace(old, new), encoding="utf-8")
    for name in case.remove:
        (folder / name).unlink()
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if case.build is not None:
        case.build(folder)
    expect: dict[str, object] = {"description": case.description, "exit": case.exit}
    if case.args:
        expect["args"] = case.args
    if case.file is not None:
        expect["file"] = case.file
    if case.path is not None:
        expect["path"] = case.path
    line = _line_of(folder, case)
    if line is not None:
        expect["line"] = line
    expect["message"] = case.message
    (folder / "expect.yaml").write_text(
        "# Written by tests/bad/_make.py; edit the case there, not here.\n"
        + yaml.safe_dump(expect, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8")


def main() -> None:
    names = [case.name for case in CASES]
    if len(set(names)) != len(names):
        sys.exit("two cases share a name")
    for old in HERE.iterdir():  # cases dropped from the list
        if old.is_dir() and (old / "expect.yaml").is_file() and old.name not in names:
            shutil.rmtree(old)
    for case in CASES:
        make(case)
    print(f"wrote {len(CASES)} cases under {HERE}")


if __name__ == "__main__":
    main()
