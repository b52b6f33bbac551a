"""A successor body taking a partner's place by statutory transfer: new data, then a deed.

CCGs passed to ICBs on 1 July 2022 under NHS England's transfer schemes, and ICBs merge from
April 2026; councils are reorganised too. ``succeed`` writes a new agreement folder in which the
successor replaces the predecessor (or two predecessors merging into one) wherever the data names
a partner: its entry, its key (budget tables, risk shares, stated totals, which combine). What
stays the predecessor's keeps its key, recorded in the successor's ``history``: its approvals and
its contributions for earlier financial years. The drafter's own words are never rewritten: those
that still name a predecessor are reported. The deed of variation then recites the transfer.

Inputs are never modified: the new folder is written beside them, and an existing one is only
replaced with ``force``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from s75docs.constants import (
    AGREEMENT_FILE,
    AGREEMENT_PARTNER_FIELDS,
    FORMATS,
    SCHEDULE_PARTNER_FIELDS,
    partner_fields,
)
from s75docs.errors import Finding, S75Error, format_path
from s75docs.load.folder import Loaded, load_agreement
from s75docs.load.roundtrip import PathKey, YamlFile
from s75docs.load.source import load_yaml
from s75docs.model.agreement import Partner, PartnerKind
from s75docs.model.money import (
    financial_year_containing,
    format_money,
    parse_financial_year,
    parse_money,
)
from s75docs.output.atomic import publish

REASON_TEMPLATE = "succession-reason.md.j2"  # the deed's "to record that ..." recital
VERSION_TEMPLATE = "meta/succession-version.md.j2"  # the new data's version label by default


@dataclass
class Succession:
    predecessors: list[Partner]
    successor: Partner
    date: dt.date
    transfer_scheme: str | None

    @property
    def first_year(self) -> str:
        """The financial year from which contributions are the successor's: earlier years'
        stay attributed to the body that made them."""
        return financial_year_containing(self.date)

    def key(self, value: object, year: object = None) -> object:
        """A partner key as it reads after the transfer (a predecessor's contribution for an
        earlier ``year`` keeps the predecessor's key)."""
        if value not in {p.key for p in self.predecessors}:
            return value
        made = _year(year) if isinstance(year, str) else None
        if made is not None and made < self.first_year:
            return value
        return self.successor.key

    def names(self, text: str) -> list[str]:
        """The predecessors' names and defined terms that ``text`` still uses."""
        return [name for old in self.predecessors for name in _names(old)
                if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)]


def read_across(text: str, old: Partner, new: Partner) -> str:
    """``text`` as it reads once ``new`` has succeeded ``old``: name and defined term, with or
    without "the", replaced wherever they stand as whole words (how a deed's "references to the
    CCG are to be read as references to the ICB" reads; used to compare versions, never to
    rewrite a drafter's words)."""
    for before, after in zip(_names(old), _names(new), strict=True):
        text = re.sub(rf"(?<![\w-]){re.escape(before)}(?![\w-])", after, text)
    return text


def _names(partner: Partner) -> tuple[str, str, str]:
    term = partner.defined_term
    return partner.name, term, term[4:] if term.lower().startswith("the ") else term


def _year(text: str) -> str | None:
    try:
        return parse_financial_year(text)
    except ValueError:
        return None


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
    first_year = financial_year_containing(date)
    kept = sorted({line.partner for schedule in agreement.schedules
                   for line in schedule.contributions
                   if line.partner == successor.key and line.year < first_year})
    if kept:
        raise S75Error(Finding("error", f"the successor's key '{successor.key}' is the key of "
                               "a body it succeeds, whose contributions before "
                               f"{first_year} stay its own: give the successor a key of its own",
                               source, "key"))
    if date <= agreement.commencement_date:
        raise S75Error(Finding("error", f"the succession date {date} is not after the "
                               f"agreement commenced ({agreement.commencement_date})", "--date"))
    if agreement.term.end_date is not None and date > agreement.term.end_date:
        raise S75Error(Finding("error", f"the succession date {date} is after the agreement "
                               f"ended ({agreement.term.end_date}): there is nothing to succeed "
                               "to", "--date"))
    history = [*successor.history,
               *({"key": p.key, "name": p.name, "defined_term": p.defined_term, "date": date,
                  "transfer_scheme": transfer_scheme, "kind": p.kind.value}
                 for p in predecessors)]
    successor = Partner.model_validate({**successor.model_dump(mode="python"),
                                        "history": history})
    return Succession(predecessors, successor, date, transfer_scheme)


def _strings(value: Any, path: PathKey = ()) -> list[PathKey]:
    """The path of every string value (not mapping keys) under ``value``."""
    if isinstance(value, str):
        return [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _strings(v, (*path, i))]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _strings(v, (*path, k))]
    return []


KEPT = frozenset({"title", "partners", "approvals"})  # as made, the successor's own, or the predecessor's


def free_text_findings(doc: YamlFile, succession: Succession) -> list[Finding]:
    """Free text and open points that still name a predecessor: not rewritten (a name inside a
    drafter's sentence may be history, or may need other words, such as "the ICB's Board" for
    "the CCG's Governing Body"), but reported, field by field, for the drafter to resolve."""
    found = []
    for path in _strings(doc.data):
        if path[0] in KEPT:
            continue
        names = succession.names(doc.get(path))
        if names:
            found.append(Finding(
                "warning", f"still names {names[0]}: reword it for {succession.successor.name} "
                "by hand (the deed reads the old name as the new one, but not, say, a "
                "Governing Body as a Board)", doc.name, format_path(path), doc.line_of(path),
                "succession.free-text"))
    return found


def _read_across(doc: YamlFile, fields: dict[tuple[str, ...], frozenset[str]],
                 succession: Succession) -> None:
    """Every field naming a predecessor made to name the successor, except what stays the
    predecessor's (its approvals, its contributions for earlier years); a mapping keyed by
    partners, like a risk share, merges the predecessors' entries, and stated totals that come
    to cover the same lines combine."""
    merged: dict[PathKey, list[PathKey]] = {}
    renamed: list[PathKey] = []
    for ref in partner_fields(doc.data, fields):
        if ref.key not in {p.key for p in succession.predecessors} or ref.path[0] in KEPT:
            continue
        if ref.is_mapping_key:
            merged.setdefault(ref.path[:-1], []).append(ref.path)
            continue
        entry = doc.get(ref.path[:-1])
        year = entry.get("year") if isinstance(entry, dict) else None
        if succession.key(ref.key, year) != ref.key:
            renamed.append(ref.path)
    dropped = _combine_totals(doc, [p for p in renamed if p[0] == "stated_totals"])
    for path in renamed:
        if path[:2] not in dropped:
            doc.set(path, succession.successor.key)
    for first, *others in merged.values():
        if others:
            values = [doc.get(p) for p in (first, *others)]
            doc.set(first, _add_percent(values))
        doc.rename_key(first, succession.successor.key)
        for path in others:
            doc.delete(path)
    for path in sorted(dropped, key=lambda p: int(p[1]), reverse=True):
        doc.delete(path)


def _combine_totals(doc: YamlFile, renamed: list[PathKey]) -> set[PathKey]:
    """Stated totals about to cover the same lines (two predecessors' totals, each to be the
    successor's) become one: their amounts added into the first. Returns the others, to be
    removed."""
    groups: dict[tuple[Any, ...], list[PathKey]] = {}
    for path in renamed:
        entry = doc.get(path[:-1])
        scope = tuple(entry.get(k) for k in ("year", "type", "fund"))
        groups.setdefault(scope, []).append(path[:-1])
    dropped: set[PathKey] = set()
    for entries in groups.values():
        if len(entries) < 2:
            continue
        amounts = [doc.get((*entry, "amount")) for entry in entries]
        try:
            total = sum((parse_money(a) for a in amounts), Decimal(0))
        except (TypeError, ValueError):
            continue  # an open point among them: left for the drafter (check reports it)
        doc.set((*entries[0], "amount"), format_money(total))
        dropped.update(entries[1:])
    return dropped


def _add_percent(values: list[Any]) -> str:
    return f"{sum(Decimal(str(v).strip().removesuffix('%').strip()) for v in values)}%"


def _agreement_data(doc: YamlFile, succession: Succession, reference: str, version: str,
                    version_date: dt.date) -> None:
    """The agreement with the successor in its predecessors' place and a version of its own."""
    keys = {p.key for p in succession.predecessors}
    _read_across(doc, AGREEMENT_PARTNER_FIELDS, succession)
    places = [i for i, entry in enumerate(doc.data.get("partners") or [])
              if isinstance(entry, dict) and entry.get("key") in keys]
    doc.replace(("partners", places[0]),
                succession.successor.model_dump(mode="python", exclude_none=True))
    for i in reversed(places[1:]):
        doc.delete(("partners", i))
    for name, value in (("reference", reference), ("version", version),
                        ("version_date", version_date)):
        doc.set((name,), value)


def _csv_data(text: str, succession: Succession) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return text
    header = [h.strip().lower() for h in rows[0]]
    column = header.index("partner") if "partner" in header else None
    year = header.index("year") if "year" in header else None
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        if column is not None and column < len(row):
            when = row[year] if year is not None and year < len(row) else None
            row = [*row[:column], str(succession.key(row[column].strip(), when)),
                   *row[column + 1:]]
        writer.writerow(row)
    return buffer.getvalue()


def _xlsx_data(path: Path, succession: Succession) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book.worksheets[0]
    header = [str(c.value or "").strip().lower() for c in next(sheet.iter_rows(max_row=1))]
    if "partner" in header:
        column = header.index("partner") + 1
        year = header.index("year") + 1 if "year" in header else None
        for row in range(2, sheet.max_row + 1):
            cell = sheet.cell(row=row, column=column)
            when = sheet.cell(row=row, column=year).value if year else None
            if isinstance(cell.value, str):
                cell.value = succession.key(cell.value.strip(), str(when))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class Succeeded:
    """What ``succeed`` did: the plan, the two folders it wrote, and the free text left for the
    drafter (warnings naming file, field and line)."""

    succession: Succession
    data: Path  # the new agreement folder
    deed: Path  # the deed of variation and the agreement as varied
    findings: list[Finding] = field(default_factory=list)


def default_reference(reference: str, date: dt.date) -> str:
    """The succeeded agreement's reference, unless one is given: the old one with the date, so
    that its outputs never overwrite the original's."""
    return f"{reference}-{date.isoformat()}"


def succeed(path: Path, partner_keys: list[str], successor_file: Path, date: dt.date,
            out: Path | None = None, *, deed_dir: Path | None = None,
            transfer_scheme: str | None = None, reference: str | None = None,
            version: str | None = None, version_date: dt.date | None = None,
            force: bool = False, formats: tuple[str, ...] = FORMATS,
            templates: list[Path] | None = None) -> Succeeded:
    """Put a successor body in the place of ``partner_keys``: the agreement data rewritten into
    ``out`` (default: beside ``path``, named with the date) and the deed that records it into
    ``deed_dir`` (default: build/deeds/<out's name>).

    The deed is written before the new data is put in place, so a failure leaves neither.
    """
    from s75docs.versions.variation import write_variation

    path = Path(path)
    loaded = load_agreement(path)
    succession = plan(loaded, partner_keys, read_successor(successor_file), date,
                      transfer_scheme, str(successor_file))
    out = Path(out) if out is not None else path.parent / f"{path.name}-{date.isoformat()}"
    deeds = Path(deed_dir) if deed_dir is not None else Path("build") / "deeds" / out.name
    if out.exists() and not force:
        raise S75Error(Finding("error", "folder already exists; choose another with -o or "
                               "replace it with --force", str(out)))
    agreement = loaded.agreement
    files, findings = _new_files(loaded, succession, out,
                                 reference or default_reference(agreement.reference, date),
                                 version or default_version(loaded, succession, templates),
                                 version_date or date)
    reason = succession_reason(loaded, succession, templates)

    def deed_from(staged: Path) -> None:
        write_variation(path, staged, date, reason, deeds, formats=formats, templates=templates)

    publish(out, files, inputs=[loaded.root, Path(successor_file), *(templates or [])],
            verify=deed_from)
    return Succeeded(succession, out, deeds, findings)


def _new_files(loaded: Loaded, succession: Succession, out: Path, reference: str, version: str,
               version_date: dt.date) -> tuple[dict[str, bytes], list[Finding]]:
    """Every file of the agreement folder (its own templates folder included), rewritten with
    the successor in place, and the free text that still names a predecessor."""
    files = agreement_files(loaded)
    findings: list[Finding] = []
    root = loaded.root
    for file in loaded.files:
        if not file.is_relative_to(root):
            continue  # a built-in preset: referenced by name, not copied
        relative = file.relative_to(root).as_posix()
        if file.suffix.lower() == ".csv":
            files[relative] = _csv_data(file.read_text(encoding="utf-8-sig"),
                                        succession).encode("utf-8")
        elif file.suffix.lower() in (".xlsx", ".xlsm"):
            files[relative] = _xlsx_data(file, succession)
        else:
            doc = YamlFile.read(file)
            if file.name == AGREEMENT_FILE and file.parent == root:
                _agreement_data(doc, succession, reference, version, version_date)
            else:
                _read_across(doc, SCHEDULE_PARTNER_FIELDS, succession)
            files[relative] = doc.text().encode("utf-8")
            findings += free_text_findings(YamlFile(doc.text(), str(out / relative)),
                                           succession)
    return files, findings


def agreement_files(loaded: Loaded) -> dict[str, bytes]:
    """The agreement folder's own files, as they are: its data and its own templates folder
    (named by ``templates:``), so that a copy builds and checks on its own."""
    root = loaded.root
    found = [f for f in loaded.files if f.is_relative_to(root)]
    if loaded.agreement.templates:
        folder = root / loaded.agreement.templates
        found += sorted(f for f in folder.rglob("*") if f.is_file() and not f.is_symlink()
                        and f.resolve().is_relative_to(root.resolve()))
    return {f.relative_to(root).as_posix(): f.read_bytes() for f in found}


def _wording(loaded: Loaded, succession: Succession) -> dict[str, Any]:
    return {"a": loaded.agreement, "successor": succession.successor,
            "predecessors": succession.predecessors, "date": succession.date,
            "transfer_scheme": succession.transfer_scheme}


def default_version(loaded: Loaded, succession: Succession,
                    templates: list[Path] | None = None) -> str:
    """The new data's version label, in the words of VERSION_TEMPLATE (a firm may override
    it), so that its draft marking says what it is."""
    from s75docs.pipeline import user_template_dirs
    from s75docs.render.wording import render_line

    return render_line(VERSION_TEMPLATE, _wording(loaded, succession),
                       user_template_dirs(loaded, templates))


def succession_reason(loaded: Loaded, succession: Succession,
                      templates: list[Path] | None = None) -> str:
    """Why the deed varies the agreement, in the words of REASON_TEMPLATE (a firm may override
    it), as plain text: it is also recorded in the data's ``variations:``."""
    from s75docs.pipeline import user_template_dirs
    from s75docs.render.environment import render_template

    text = render_template(REASON_TEMPLATE, _wording(loaded, succession),
                           user_template_dirs(loaded, templates))
    return re.sub(r"\\(.)", r"\1", " ".join(text.split()))
