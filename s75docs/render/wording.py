"""The tool's own wording around the documents: metadata lines and the reports of a build.

None of it is written here. The draft marking, the titles a deed and a varied agreement carry,
``compliance.md`` and ``open-points.md`` come from templates in ``templates/meta/`` and
``templates/reports/``, which a firm overrides like any clause (see templates/README.md).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s75docs.document.nodes import Document
from s75docs.document.reader import parse
from s75docs.document.typography import curl
from s75docs.render.bounds import text_helper
from s75docs.render.environment import Safe, render_template
from s75docs.write.markdown import escape_inline

if TYPE_CHECKING:
    from s75docs.check.compliance import Row

DRAFT_MARKING = "meta/draft-marking.md.j2"
DEED_TITLE = "meta/deed-title.md.j2"
DEED_DRAFT_MARKING = "meta/deed-draft-marking.md.j2"
VARIED_TITLE = "meta/varied-title.md.j2"
REDLINE_SUBJECT = "meta/redline-subject.md.j2"
COMPLIANCE_REPORT = "reports/compliance.md.j2"
OPEN_POINTS_REPORT = "reports/open-points.md.j2"


def render_line(name: str, context: dict[str, Any], dirs: list[Path]) -> str:
    """A metadata template (a title, the draft marking) as one line of plain text.

    The template writes Markdown like every other (values escaped, open points as markers);
    the line is read back as Markdown, so what Word's properties and the cover show is the text
    a reader sees, without the escapes. Several paragraphs are joined by spaces.
    """
    document = parse(f"# {{.front}}\n\n{render_template(name, context, dirs)}", source=name)
    return " ".join(" ".join(block.plain() for block in part.blocks) for part in document.parts)


@text_helper
def plain(text: str) -> Safe:
    """Report text on one line as a Markdown previewer prints it: quotes curled as in the
    documents, and escaped for CommonMark only where a previewer would read it (not the
    template escaping, whose backslashes before every ``.`` or ``(`` would show in the file)."""
    return Safe(_one_line(str(text)))


@text_helper
def cell(text: str) -> Safe:
    """Report text for a pipe-table cell: as ``plain``, with ``|`` escaped so that a title holding
    one cannot shift the columns after it."""
    return Safe(_one_line(str(text)).replace("|", "\\|"))


@functools.lru_cache(maxsize=4096)  # a report repeats its regulations and items, and every
def _one_line(text: str) -> str:  # agreement of a batch the same ones
    return escape_inline(curl(" ".join(text.split())))


def _report(name: str, context: dict[str, Any], dirs: list[Path]) -> str:
    return render_template(name, {**context, "plain": plain, "cell": cell}, dirs)


def compliance_markdown(title: str, rows: list[Row], dirs: list[Path]) -> str:
    """``compliance.md``: each prescribed item, the scheme and where it is satisfied."""
    return _report(COMPLIANCE_REPORT, {"title": title, "rows": rows}, dirs)


def open_points_markdown(document: Document, dirs: list[Path]) -> str:
    """``open-points.md``: every open point of the document and where it stands."""
    return _report(OPEN_POINTS_REPORT, {"title": document.meta.get("title", ""),
                                        "points": document.open_points()}, dirs)
