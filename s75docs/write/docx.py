"""The Word writer: the document tree as a .docx on the firm's reference document.

``reference.docx`` (``templates/make_reference_docx.py`` writes ours) supplies the page set-up,
the styles, the multilevel clause numbering, the cover page, the contents field, the header
with the draft marking and the footer with page numbers. It is read once per process
(:mod:`s75docs.write.docx_package`) and its few docxtpl-style tags (``{{ title }}``,
``{{ draft_marking }}``, the parties) are filled from :class:`DocxMeta`, escaped, by
:mod:`s75docs.write.docx_cover` (docxtpl itself only for the few tag forms that module leaves
to it).

The agreement itself never goes through the tags or Jinja: the tags render only a placeholder
paragraph where ``{{p body }}`` stands, and this module then builds the agreement's paragraphs
directly in the rendered document's XML and puts them in the placeholder's place. So a party's
name is printed exactly as written, whatever it holds.

Numbers are real Word numbering, not typed text: every clause paragraph has a ``Clause N``
style linked to one multilevel list, and each numbered part gets its own list instance
(``w:num`` with a ``startOverride`` on every level) so that each part counts from 1, as the tree
does. Cross-references are ``REF`` fields to bookmarks round the clauses they name, with the
tree's number as the field's text, so updating the fields in Word shows the same numbers
(LibreOffice computes them on opening: tests/test_libreoffice.py checks they agree). The
contents field is given the part and clause headings as its text; Word adds the page numbers
when it updates the field (the reference document asks it to update fields on opening).

A redline's tree (``redline.redline_document``) comes out with Word tracked changes: spans
marked "ins"/"del" as ``w:ins``/``w:del`` runs (deleted text in ``w:delText``, a deleted
cross-reference as plain text), a wholly inserted or deleted paragraph with its paragraph mark
marked too, so that accepting or rejecting removes the paragraph, and a table row whose every
cell is marked as an inserted or deleted row (``w:trPr``). Revision ids count up in document
order after the bookmarks' ids; the author and date come from :class:`DocxMeta`, which also
switches Track Changes on in the file's settings, so that edits made to a redline are tracked.

The output is deterministic: the same tree, meta and reference give the same bytes (fixed zip
dates and order, fixed core properties, no revision-save ids or random paragraph ids).
"""


from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from s75docs.document.nodes import Document
from s75docs.document.typography import curl
from s75docs.errors import Finding, S75Error
from s75docs.write.docx_body import PLACEHOLDER_STYLE, BodyWriter, Shared
from s75docs.write.docx_cover import NAMES, DocxtplNeededError, cover, cover_environment, template_text
from s75docs.write.docx_package import Package, Reference, load_reference
from s75docs.write.docx_xml import AUTHOR, core_properties, deterministic_zip, track_revisions


@dataclass(frozen=True)
class DocxMeta:
    """What the reference document's tags and the file's properties show."""

    title: str
    core_date: dt.date  # created/modified date in the file's properties (midnight UTC)
    parties: list[tuple[str, str]] = field(default_factory=list)  # (name, defined term)
    draft_marking: str = ""  # "Draft (3) — 12.09.2016 — subject to contract"; empty when final
    subject: str = ""
    dated: str = ""  # the date on the cover's "Dated" line; empty until it is known
    part_of: str = ""  # for a schedule printed on its own: the title of its agreement
    revision_author: str = AUTHOR  # who the tracked changes of a redline are attributed to
    revision_date: dt.date | None = None  # their date; none written when None
    track_revisions: bool = False  # a redline: Track Changes on for the reader's own edits


def write_docx(document: Document, meta: DocxMeta, reference: Path,
               shared: Shared | None = None) -> bytes:
    """The document as .docx bytes, on the styles and cover of ``reference``. Documents made
    of the same finished parts (a build's agreement and each scheme on its own) may pass one
    ``shared``, so that what they have in common is written once."""
    reference = Path(reference)
    where = str(reference)
    parsed = load_reference(reference)
    # The tree's quotes are curled as it is built; these values come from the data.
    meta = replace(meta, title=curl(meta.title), draft_marking=curl(meta.draft_marking),
                   part_of=curl(meta.part_of),
                   parties=[(curl(name), curl(term)) for name, term in meta.parties])
    context = {
        "title": template_text(meta.title),
        "subject": template_text(meta.subject),
        "draft_marking": template_text(meta.draft_marking),
        "dated": template_text(meta.dated),
        "part_of": template_text(meta.part_of),
        "parties": [{"name": template_text(name), "defined_term": template_text(term)}
                    for name, term in meta.parties],
        "body": Markup(f'<w:p><w:pPr><w:pStyle w:val="{PLACEHOLDER_STYLE}"/></w:pPr></w:p>'),
    }
    try:
        package = parsed.copy()
        cover(parsed).fill(package, context, where)
    except DocxtplNeededError:
        package = _docxtpl_package(reference, context, where)
    body = BodyWriter(package, where, meta, shared).write(document)
    core_properties(package, meta)
    if meta.track_revisions:
        track_revisions(package)
    return deterministic_zip(package.entries(), body)


def _docxtpl_package(reference: Path, context: dict[str, Any], where: str) -> Package:
    """The reference's tags filled by docxtpl itself, for the few of its features
    :mod:`s75docs.write.docx_cover` leaves to it (table-cell tags, tags in footnotes)."""
    import io

    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    try:
        template = DocxTemplate(str(reference))
        template.init_docx()
        template.render(context, jinja_env=cover_environment(), autoescape=True)
    except TemplateError as exc:
        raise S75Error(Finding("error", f"the reference document's tags failed: {exc} (it may "
                               f"use {NAMES})", where, code="template")) from exc
    except Exception as exc:  # a damaged file, or tags docxtpl cannot read
        raise S75Error(Finding("error", f"cannot open the reference document: {exc}", where,
                               code="template")) from exc
    out = io.BytesIO()
    template.save(out)
    return Reference(out.getvalue(), where).copy()
