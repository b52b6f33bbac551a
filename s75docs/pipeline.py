"""The pipeline for one agreement: load, check, render once into the document tree, write.

``prepare`` is what ``check`` and ``build`` share; ``build_agreement`` hands the outputs to
:mod:`s75docs.output.atomic`, which swaps them into place under a lock.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s75docs.check.compliance import Row, compliance, compliance_findings, load_map
from s75docs.check.data import run_checks
from s75docs.check.terms import proper_names, undefined_terms, unused_terms
from s75docs.constants import BUILTIN_TEMPLATES, FORMATS, INPUTS_FILE
from s75docs.document.citations import load_citations
from s75docs.document.nodes import Document, Part
from s75docs.document.resolve import build_tree, select_parts
from s75docs.errors import Finding, S75Error
from s75docs.load.folder import Loaded, load_agreement
from s75docs.options import choose_formats
from s75docs.output.atomic import publish
from s75docs.output.inputs import inputs_json, inputs_record
from s75docs.render.context import template_context
from s75docs.render.environment import long_date, render_seconds, render_template, template_dirs
from s75docs.render.folders import folders_fixed
from s75docs.render.limits import TimeLimitError, stage, time_limit
from s75docs.render.wording import (
    DRAFT_MARKING,
    compliance_markdown,
    open_points_markdown,
    render_line,
)
from s75docs.write.markdown import PartTexts, write_markdown

if TYPE_CHECKING:
    from s75docs.write.docx_body import Shared

AGREEMENT_TEMPLATE = "agreement.md.j2"


@dataclass
class Prepared:
    """An agreement checked and, when the data allowed, rendered and proved against the statute."""

    loaded: Loaded
    findings: list[Finding]
    dirs: list[Path]
    document: Document | None = None
    compliance: list[Row] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.document is not None and not any(
            f.severity == "error" for f in self.findings)


YOUNG_OBJECTS = 100_000  # the collector's first threshold while an agreement is built
MIDDLE_COLLECTIONS = 100  # its second: young collections per collection of the middle
# generation, which holds what survived one (a big table's millions of objects, walked each time)


_COLLECTIONS = threading.Lock()
_builds = [0, 0, 0, 0]  # how many builds run now; the thresholds they replaced


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the garbage collector less often while an agreement is built.

    A build makes millions of objects that live until it ends (the budget lines, the rendered
    text, the document tree), and almost none of them is garbage; at the default threshold
    (700) the collector runs thousands of times over them, and each full collection walks the
    whole heap, so its cost grew faster than the input: 4 of the 18 s of CPU of a 5 MB budget
    table (bench/big_csv.py). Collections still run (cycles are still freed), after every
    YOUNG_OBJECTS new objects instead of 700, and the middle generation's after every
    MIDDLE_COLLECTIONS of those instead of 10 (each walked up to a million objects: 0.4 s of a
    5 MB table's build). The thresholds are the process's, so nested and
    concurrent builds share one change, undone when the last ends.
    """
    with _COLLECTIONS:
        if _builds[0] == 0:
            _builds[1:] = gc.get_threshold()
            gc.set_threshold(YOUNG_OBJECTS, MIDDLE_COLLECTIONS, *_builds[3:])
        _builds[0] += 1
    try:
        yield
    finally:
        with _COLLECTIONS:
            _builds[0] -= 1
            if _builds[0] == 0:
                gc.set_threshold(*_builds[1:])


def prepare(path: Path | str | Loaded, *, final: bool = False,
            templates: list[Path] | None = None) -> Prepared:
    """Load, check, render and prove compliance: the work ``check`` and ``build`` share.

    Rendering is skipped when the data has errors (the templates would only fail on them).
    ``path`` may be an agreement already loaded (a batch build loads it first to hash it).
    """
    with fewer_collections(), folders_fixed():
        return _prepare(path, final=final, templates=templates)


def _prepare(path: Path | str | Loaded, *, final: bool,
             templates: list[Path] | None) -> Prepared:
    loaded = path if isinstance(path, Loaded) else load_agreement(path)
    findings = run_checks(loaded, final=final)
    dirs = user_template_dirs(loaded, templates)
    prepared = Prepared(loaded, findings, dirs)
    if any(f.severity == "error" for f in findings):
        return prepared
    # One time limit over all that runs on the templates' output: a firm's template can make
    # the tree and the checks slow as well as the rendering.
    try:
        with time_limit(render_seconds(_data_bytes(loaded)), "rendering and checking"):
            document = render_with(loaded, dirs)
            stage("checking compliance with the statute")
            rows = compliance(loaded.agreement, document, load_map(dirs))
            stage("checking defined terms")
            undefined = undefined_terms(document, loaded.agreement, proper_names(dirs))
            unused = unused_terms(document)
    except TimeLimitError as exc:
        raise S75Error(Finding("error", str(exc), AGREEMENT_TEMPLATE, code="template")) from exc
    findings.extend(compliance_findings(rows, AGREEMENT_TEMPLATE))
    findings.extend(
        Finding("warning", f"'{term}' is used as a defined term but not defined",
                AGREEMENT_TEMPLATE, code="terms") for term in undefined)
    findings.extend(
        Finding("warning", f"'{term}' is defined but the agreement never uses it",
                AGREEMENT_TEMPLATE, code="terms") for term in unused)
    prepared.document, prepared.compliance = document, rows
    return prepared


def _data_bytes(loaded: Loaded) -> int:
    """The size of the agreement's input files, which the time limit allows for."""
    total = 0
    for file in loaded.files:
        try:
            total += file.stat().st_size
        except OSError:
            pass
    return total


def user_template_dirs(loaded: Loaded, extra: list[Path] | None = None) -> list[Path]:
    """The firm's template folders (command line first, then agreement.yaml), then ours."""
    dirs = list(extra or [])
    if loaded.agreement.templates:
        named = Path(loaded.agreement.templates)
        folder = loaded.root / named
        if named.is_absolute() or ".." in named.parts \
                or not folder.resolve().is_relative_to(loaded.root.resolve()):
            raise S75Error(Finding("error", f"template folder {loaded.agreement.templates!r} "
                                   "must be a folder inside the agreement folder (no absolute "
                                   "paths, '..' or links out); give others with --templates",
                                   loaded.origin.agreement.file, "templates",
                                   loaded.origin.agreement.line_of(("templates",))))
        dirs.append(folder)
    for folder in dirs:
        if not folder.is_dir():
            raise S75Error(Finding("error", f"template folder {folder} does not exist",
                                   loaded.origin.agreement.file, "templates",
                                   loaded.origin.agreement.line_of(("templates",))))
    return template_dirs(dirs)


def render_agreement(loaded: Loaded, templates: list[Path] | None = None) -> Document:
    """Templates -> Markdown -> one finished document tree (numbered, references resolved)."""
    return render_with(loaded, user_template_dirs(loaded, templates))


def render_with(loaded: Loaded, dirs: list[Path]) -> Document:
    context = template_context(loaded.agreement)
    markdown = render_template(AGREEMENT_TEMPLATE, context, dirs)
    stage("reading the rendered text into the document tree")
    document = build_tree(markdown, source=AGREEMENT_TEMPLATE, citations=load_citations(dirs))
    document.meta = document_meta(loaded, render_line(DRAFT_MARKING, context, dirs))
    return document


def document_meta(loaded: Loaded, draft_marking: str) -> dict[str, str]:
    """What the writers show besides the text; ``draft_marking`` comes from a template."""
    a = loaded.agreement
    dated = long_date(a.agreement_date) if isinstance(a.agreement_date, dt.date) else ""
    return {"title": a.title, "reference": a.reference, "draft_marking": draft_marking,
            "version": a.version, "dated": dated}


def scheme_parts(document: Document) -> list[Part]:
    return [part for part in document.parts if part.kind == "scheme"]


def outputs_for(loaded: Loaded, document: Document, formats: tuple[str, ...],
                dirs: list[Path]) -> dict[str, bytes]:
    """Every output file of a build, by path relative to build/<reference>/."""
    reference = reference_docx(dirs)
    written: PartTexts = {}  # each scheme's own document repeats its part of the agreement
    word: Shared = {}  # ... in Word too (write_docx's ``shared``)
    files = document_files(loaded, document, "agreement", formats, reference, written, word)
    for number, part in enumerate(scheme_parts(document), 1):
        scheme = select_parts(document, [part])
        scheme.meta = {**document.meta, "title": part.heading, "part_of": document.meta["title"]}
        files.update(document_files(loaded, scheme, f"schedules/{number:02d}-{part.key or number}",
                                    formats, reference, written, word))
    files["open-points.md"] = open_points_markdown(document, dirs).encode("utf-8")
    return files


def document_files(loaded: Loaded, doc: Document, stem: str, formats: tuple[str, ...],
                   reference: Path, written: PartTexts | None = None,
                   word: Shared | None = None) -> dict[str, bytes]:
    """One document written in each format asked for: ``{stem}.md``, ``.docx``, ``.pdf`` (made
    from the .docx by LibreOffice); ``written`` as for :func:`write_markdown`, ``word`` as
    ``shared`` for :func:`write_docx`."""
    files: dict[str, bytes] = {}
    if "md" in formats:
        files[f"{stem}.md"] = write_markdown(doc, written).encode("utf-8")
    if "docx" in formats or "pdf" in formats:
        from s75docs.write.docx import DocxMeta, write_docx

        a = loaded.agreement
        meta = DocxMeta(
            title=doc.meta.get("title", a.title),
            parties=[(p.name, p.defined_term) for p in a.partners],
            draft_marking=doc.meta.get("draft_marking", ""),
            core_date=a.version_date,
            subject=a.reference,
            dated=doc.meta.get("dated", ""),
            part_of=doc.meta.get("part_of", ""),
        )
        docx = {f"{stem}.docx": write_docx(doc, meta, reference, word)}
        if "pdf" in formats:
            from s75docs.write.pdf import docx_to_pdf

            files.update(docx_to_pdf(docx))
        if "docx" in formats:
            files.update(docx)
    return files


def reference_docx(dirs: list[Path]) -> Path:
    for folder in dirs:
        candidate = folder / "reference.docx"
        if candidate.is_file():
            return candidate
    return BUILTIN_TEMPLATES / "reference.docx"


def build_agreement(path: Path | str | Loaded, out_dir: Path | str = "build", *,
                    formats: tuple[str, ...] = FORMATS, templates: list[Path] | None = None,
                    inputs: dict[str, Any] | None = None) -> tuple[Path, list[Finding]]:
    """Check, render and write one agreement; returns its output folder and the findings.
    ``inputs`` is the inputs record of ``path`` as loaded, where the caller has already made
    it (a batch's up-to-date check).

    Errors in the checks stop the build before anything is written.
    """
    with fewer_collections(), folders_fixed():
        return _build_agreement(path, out_dir, formats=formats, templates=templates,
                                inputs=inputs)


def _build_agreement(path: Path | str | Loaded, out_dir: Path | str, *,
                     formats: tuple[str, ...], templates: list[Path] | None,
                     inputs: dict[str, Any] | None) -> tuple[Path, list[Finding]]:
    formats = choose_formats(formats)
    loaded = path if isinstance(path, Loaded) else load_agreement(path)
    # Hashed before rendering: an input edited during the build makes the next one rebuild.
    record = inputs if inputs is not None else inputs_record(
        loaded.files, loaded.root, user_template_dirs(loaded, templates), formats)
    prepared = prepare(loaded, templates=templates)
    errors = [f for f in prepared.findings if f.severity == "error"]
    if errors or prepared.document is None:
        raise S75Error(errors)
    loaded, document = prepared.loaded, prepared.document
    files = outputs_for(loaded, document, formats, prepared.dirs)
    files["compliance.md"] = compliance_markdown(loaded.agreement.title, prepared.compliance,
                                                 prepared.dirs).encode("utf-8")
    files[INPUTS_FILE] = inputs_json(record, files, loaded.root, sum(
        1 for f in prepared.findings if f.severity == "open"))
    out = Path(out_dir)
    destination = out / loaded.agreement.reference
    publish(destination, files, inputs=[loaded.root, *(templates or [])])
    return destination, prepared.findings
