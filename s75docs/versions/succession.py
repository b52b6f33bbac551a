"""A successor body taking a partner's place by statutory transfer: new data, then a deed.

CCGs passed to ICBs on 1 July 2022 under NHS England's transfer schemes, and ICBs merge from
April 2026; councils are reorganised too. ``succeed`` writes a new agreement folder in which the
successor replaces the predecessor (or two predecessors merging into one): its key, name and
defined term everywhere in the data, budget tables included, with the predecessor kept in the
successor's ``history``. The deed of variation then recites the transfer.

Inputs are never modified: the new folder is written beside them, and an existing one is only
replaced with ``force``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from s75docs.constants import AGREEMENT_FILE
from s75docs.errors import Finding, S75Error
from s75docs.load.folder import Loaded, load_agreement
from s75docs.load.source import load_yaml
from s75docs.model.agreement import Partner, PartnerKind
from s75docs.output.atomic import clean_stale, locked, write_atomically

# Fields of a schedule that hold partner keys (the agreement's are handled one by one).
SCHEDULE_KEY_FIELDS = {"lead_commissioner", "host_partner"}
SCHEDULE_LIST_KEY_FIELDS = {"contributions", "non_financial_contributions", "lead_officers",
                            "stated_totals"}


@dataclass
class Succession:
    predecessors: list[Partner]
    successor: Partner
    date: dt.date
    transfer_scheme: str | None

    def text(self, value: str) -> str:
        """Free text read across: each predecessor's name and defined term become the
        successor's ("the CCG" -> "the ICB", "CCG's" -> "ICB's")."""
        for old in self.predecessors:
            value = read_across(value, old, self.successor)
        return value

    def key(self, value: object) -> object:
        return self.successor.key if value in {p.key for p in self.predecessors} else value


def read_across(text: str, old: Partner, new: Partner) -> str:
    """``text`` as it reads once ``new`` has succeeded ``old``: name and defined term, with or
    without "the", replaced wherever they stand as whole words."""
    for before, after in ((old.name, new.name), (old.defined_term, new.defined_term),
                          (_bare(old.defined_term), _bare(new.defined_term))):
        text = re.sub(rf"(?<![\w-]){re.escape(before)}(?![\w-])", after, text)
    return text


def _bare(term: str) -> str:
    return term[4:] if term.lower().startswith("the ") else term


def read_successor(path: Path) -> dict[str, Any]:
    source = load_yaml(path, display=str(path))
    if not isinstance(source.data, dict):
        raise S75Error(Finding("error", "expected the successor's fields (key, name, "
                               "defined_term, kind, address, execution)", str(path), line=1))
    return source.data


def plan(loaded: Loaded, partner_keys: list[str], successor_data: dict[str, Any],
         date: dt.date, transfer_scheme: str | None, source: str) -> Succession:
    """Check the succession is one the tool can do safely, and describe it."""
    agreement = loaded.agreement
    by_key = {p.key: p for p in agreement.partners}
    unknown = [k for k in partner_keys if k not in by_key]
    if unknown:
        raise S75Error(Finding("error", f"no partner {', '.join(map(repr, unknown))} in this "
                               f"agreement (partners: {', '.join(sorted(by_key))})", "--partner"))
    if len(set(partner_keys)) != len(partner_keys):
        raise S75Error(Finding("error", "a partner is named twice", "--partner"))
    data = dict(successor_data)
    data.setdefault("history", [])
    try:
        successor = Partner.model_validate(data)
    except ValidationError as exc:
        kinds = ", ".join(k.value for k in PartnerKind)
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise S75Error(Finding("error", f"the successor is not an eligible section 75 body as "
                               f"described: {problems} (kinds: {kinds})", source)) from None
    predecessors = [by_key[k] for k in partner_keys]
    if successor.kind == PartnerKind.ccg:
        raise S75Error(Finding("error", "a CCG cannot be a successor: CCGs were abolished on "
                               "1 July 2022", source, "kind"))
    for old in predecessors:
        if old.kind.is_council != successor.kind.is_council:
            raise S75Error(Finding("error", f"{successor.name} cannot succeed {old.name}: a "
                                   "council's functions pass to a council, an NHS body's to an "
                                   "NHS body", source, "kind"))
    others = {p.key for p in agreement.partners} - set(partner_keys)
    if successor.key in others:
        raise S75Error(Finding("error", f"the successor's key '{successor.key}' is already a "
                               "partner's; a successor that is already a partner is a merger "
                               "into it: name both with --partner", source, "key"))
    if date <= agreement.commencement_date:
        raise S75Error(Finding("error", f"the succession date {date} is not after the "
                               f"agreement commenced ({agreement.commencement_date})", "--date"))
    history = [*successor.history,
               *({"name": p.name, "defined_term": p.defined_term, "date": date,
                  "transfer_scheme": transfer_scheme} for p in predecessors)]
    successor = Partner.model_validate({**successor.model_dump(mode="python"),
                                        "history": history})
    return Succession(predecessors, successor, date, transfer_scheme)


def _walk_text(value: Any, succession: Succession) -> Any:
    if isinstance(value, str):
        return succession.text(value)
    if isinstance(value, list):
        return [_walk_text(v, succession) for v in value]
    if isinstance(value, dict):
        return {k: _walk_text(v, succession) for k, v in value.items()}
    return value


def _agreement_data(data: dict[str, Any], succession: Succession) -> dict[str, Any]:
    out = dict(data)
    keys = {p.key for p in succession.predecessors}
    partners: list[Any] = []
    for entry in out.get("partners", []):
        if isinstance(entry, dict) and entry.get("key") in keys:
            if not any(p.get("key") == succession.successor.key for p in partners):
                partners.append(succession.successor.model_dump(mode="json", exclude_none=True))
            continue
        partners.append(entry)
    out["partners"] = partners
    out["approvals"] = [
        {**a, "partner": succession.successor.key, "by_predecessor": True}
        if isinstance(a, dict) and a.get("partner") in keys else a
        for a in out.get("approvals", [])
    ]
    shares = (out.get("risk_share") or {}).get("shares")
    if isinstance(shares, dict):
        merged: dict[str, Any] = {}
        for key, value in shares.items():
            new_key = str(succession.key(key))
            merged[new_key] = _add_percent(merged[new_key], value) if new_key in merged else value
        out["risk_share"] = {**out["risk_share"], "shares": merged}
    return {k: partners if k == "partners" else _walk_text(v, succession) for k, v in out.items()}


def _add_percent(a: Any, b: Any) -> str:
    from decimal import Decimal

    def number(v: Any) -> Decimal:
        return Decimal(str(v).strip().removesuffix("%").strip())

    return f"{number(a) + number(b)}%"


def _schedule_data(data: dict[str, Any], succession: Succession) -> dict[str, Any]:
    out = _walk_text(dict(data), succession)
    for name in SCHEDULE_KEY_FIELDS:
        if name in out:
            out[name] = succession.key(out[name])
    manager = out.get("pooled_fund_manager")
    if isinstance(manager, dict) and "partner" in manager:
        out["pooled_fund_manager"] = {**manager, "partner": succession.key(manager["partner"])}
    for name in SCHEDULE_LIST_KEY_FIELDS:
        if isinstance(out.get(name), list):
            out[name] = [{**item, "partner": succession.key(item["partner"])}
                         if isinstance(item, dict) and "partner" in item else item
                         for item in out[name]]
    return dict(out)


def _csv_data(text: str, succession: Succession) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return text
    header = [h.strip().lower() for h in rows[0]]
    column = header.index("partner") if "partner" in header else None
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        if column is not None and column < len(row):
            row = [*row[:column], str(succession.key(row[column].strip())), *row[column + 1:]]
        writer.writerow(row)
    return buffer.getvalue()


def _xlsx_data(path: Path, succession: Succession) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book.worksheets[0]
    header = [str(c.value or "").strip().lower() for c in next(sheet.iter_rows(max_row=1))]
    if "partner" in header:
        column = header.index("partner") + 1
        for row in range(2, sheet.max_row + 1):
            cell = sheet.cell(row=row, column=column)
            if isinstance(cell.value, str):
                cell.value = succession.key(cell.value.strip())
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=False)


def succeed(path: Path, partner_keys: list[str], successor_file: Path, date: dt.date,
            out: Path, *, transfer_scheme: str | None = None, force: bool = False) -> Succession:
    """Write the agreement data with the successor in place into ``out``; returns the plan."""
    loaded = load_agreement(path)
    succession = plan(loaded, partner_keys, read_successor(successor_file), date,
                      transfer_scheme, str(successor_file))
    out = Path(out)
    if out.resolve() == loaded.root.resolve() or loaded.root.resolve() in out.resolve().parents:
        raise S75Error(Finding("error", "the new agreement folder must not be the old one or "
                               "inside it", str(out)))
    if out.exists() and not force:
        raise S75Error(Finding("error", "folder already exists; choose another with -o or "
                               "replace it with --force", str(out)))
    files: dict[Path, bytes] = {}
    root = loaded.root
    # Data re-read by our loader (text as typed), never yaml.safe_load, which would turn an
    # organisation code 0100 into 64 in the new agreement.
    for file in loaded.files:
        if not file.is_relative_to(root):
            continue  # a built-in preset: referenced by name, not copied
        relative = file.relative_to(root)
        if file.suffix.lower() == ".csv":
            files[relative] = _csv_data(file.read_text(encoding="utf-8-sig"),
                                        succession).encode("utf-8")
        elif file.suffix.lower() in (".xlsx", ".xlsm"):
            files[relative] = _xlsx_data(file, succession)
        elif file.name == AGREEMENT_FILE and file.parent == root:
            data = load_yaml(file).data
            files[relative] = _dump(_agreement_data(data, succession)).encode("utf-8")
        else:
            data = load_yaml(file).data
            files[relative] = _dump(_schedule_data(data, succession)).encode("utf-8")
    # The new data must load before it replaces anything.
    with locked(out.parent, out.name):
        clean_stale(out)
        write_atomically(out, {p.as_posix(): data for p, data in files.items()},
                         verify=lambda staged: None if load_agreement(staged) else None)
    return succession
