"""LibreOffice lays out the .docx and computes its numbers: they must be the tree's numbers.

The clause numbers in the .docx are Word numbering (styles linked to a multilevel list, a fresh
list for each part) and the cross-references are REF fields, which LibreOffice computes when it
lays the document out. So the PDF's text shows whether a word processor, working from the real
numbering, arrives at the same numbers as ``document/resolve.py`` and the Markdown.

Skipped when LibreOffice is not installed, unless the CI variable is set: then it fails.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from s75docs.document.nodes import Document, spans
from s75docs.document.resolve import build_tree
from s75docs.write.docx import DocxMeta, write_docx
from s75docs.write.markdown import write_markdown

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "tree-sample.md"
REFERENCE = ROOT / "s75docs" / "templates" / "reference.docx"
TIMEOUT = 120


def tools() -> tuple[str, str]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftotext = shutil.which("pdftotext")
    if soffice and pdftotext:
        return soffice, pdftotext
    missing = "LibreOffice (soffice)" if not soffice else "poppler (pdftotext)"
    if os.environ.get("CI"):
        pytest.fail(f"{missing} is not installed, and CI is set: the rendering test must run")
    pytest.skip(f"{missing} is not installed")


@pytest.fixture(scope="module")
def document() -> Document:
    return build_tree(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pdf_text(document: Document, tmp_path_factory: pytest.TempPathFactory) -> str:
    soffice, pdftotext = tools()
    work = tmp_path_factory.mktemp("libreoffice")
    meta = DocxMeta(title="Section 75 Partnership Agreement", core_date=dt.date(2022, 4, 1),
                    parties=[("Oxfordshire County Council", "the Council")],
                    draft_marking="Draft (3) \u2014 12.09.2016 \u2014 subject to contract")
    source = work / "sample.docx"
    source.write_bytes(write_docx(document, meta, REFERENCE))
    profile = (work / "profile").as_uri()  # a private profile: parallel runs do not clash
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(work), str(source)],
                   check=True, capture_output=True, timeout=TIMEOUT, cwd=work)
    pdf = work / "sample.pdf"
    assert pdf.is_file(), "LibreOffice wrote no PDF"
    result = subprocess.run([pdftotext, "-layout", str(pdf), "-"], check=True,
                            capture_output=True, timeout=TIMEOUT)
    return result.stdout.decode("utf-8")


def squash(text: str) -> str:
    """One space between words; a word LibreOffice breaks after its hyphen ("NHS-" / "funded")
    is joined again."""
    return " ".join(re.sub(r"(?<=\w)-\n\s*", "-", text).split())


def expected_numbers(document: Document) -> list[tuple[str, str]]:
    """(number as md_writer writes it, the start of the clause's text), in document order."""
    markdown = write_markdown(document).replace("*", "")  # bold and italic marks
    out = []
    for part in document.parts:
        for block in part.blocks:
            if block.kind != "clause":
                continue
            words = squash(block.plain()).split()
            out.append((block.number, " ".join(words[:4])))
            assert f"{block.number} {' '.join(words[:4])}" in markdown  # the Markdown's numbers
    return out


def test_pdf_has_pages_and_no_broken_references(pdf_text: str) -> None:
    pages = [page for page in pdf_text.split("\f") if page.strip()]
    assert len(pages) > 1
    assert "Error! Reference" not in pdf_text
    assert "Reference source not found" not in pdf_text
    assert "Page 1 of" not in pdf_text  # no footer on the cover
    assert f"Page 2 of {len(pages)}" in pdf_text


def test_libreoffice_numbers_clauses_as_the_tree_does(document: Document, pdf_text: str) -> None:
    text = squash(pdf_text)
    position = text.index("THIS AGREEMENT is dated")  # after the contents page
    expected = expected_numbers(document)
    assert ("(i)", "the income and expenditure") in expected  # five levels deep
    assert [n for n, _ in expected].count("1.1") == 4  # each numbered part starts at 1
    seen = []
    for number, start in expected:
        found = text.find(start, position)
        assert found >= 0, f"clause {number} {start!r} not found after position {position}"
        before = text[position:found].rstrip()
        # Level 1 numbers are "1." in Word ("%1."); the tree and Markdown write "1".
        shown = re.search(r"(\S+)$", before)
        assert shown is not None, f"no number before {start!r}"
        assert shown.group(1) in (number, number + "."), (number, start, before[-60:])
        seen.append(shown.group(1).rstrip("."))
        position = found + len(start)
    assert seen == [n for n, _ in expected]


def test_libreoffice_computes_the_same_cross_references(document: Document,
                                                        pdf_text: str) -> None:
    """LibreOffice works REF fields out itself from the bookmarks and the numbering."""
    text = squash(pdf_text)
    for part in document.parts:
        for block in part.blocks:
            plain = squash(block.plain())
            for span in spans([block]):
                if span.kind != "ref":
                    continue
                cited = span.before + span.number + span.after
                at = plain.index(cited)
                # The reference with a few words either side, as the paragraph reads.
                context = plain[max(plain.rfind(" ", 0, max(at - 15, 0)), 0):at + len(cited)]
                assert squash(context) in text, (span.target, context)


def _convert(docx: Path, work: Path) -> str:
    soffice, pdftotext = tools()
    profile = (work / "profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(work), str(docx)],
                   check=True, capture_output=True, timeout=TIMEOUT, cwd=work)
    pdf = work / (docx.stem + ".pdf")
    assert pdf.is_file(), "LibreOffice wrote no PDF"
    return subprocess.run([pdftotext, "-layout", str(pdf), "-"], check=True,
                          capture_output=True, timeout=TIMEOUT).stdout.decode("utf-8")


def test_worked_example_numbers_match_the_markdown(tmp_path: Path) -> None:
    """The committed Oxfordshire agreement: every clause number LibreOffice lays out from the
    Word numbering is the number in the committed Markdown, in the same order."""
    from s75docs.pipeline import prepare

    tools()
    document = prepare(ROOT / "examples" / "oxfordshire-2022").document
    assert document is not None
    built = ROOT / "build" / "oxfordshire-s75-2022"
    shutil.copy(built / "agreement.docx", tmp_path / "agreement.docx")
    text = squash(_convert(tmp_path / "agreement.docx", tmp_path))
    markdown = (built / "agreement.md").read_text(encoding="utf-8").replace("*", "")
    position = text.index("THIS AGREEMENT is dated")
    checked = 0
    expected_numbers(document)  # the Markdown's numbers are the tree's
    clauses = [(b.number, " ".join(squash(b.plain()).split()[:10]))
               for part in document.parts for b in part.blocks if b.kind == "clause"]
    for number, start in clauses:
        assert f"{number} {start}" in markdown
        found = text.find(start, position)
        assert found >= 0, f"clause {number} {start!r} not found"
        shown = re.search(r"(\S+)$", text[position:found].rstrip())
        assert shown is not None and shown.group(1) in (number, number + "."), (number, start)
        position = found + len(start)
        checked += 1
    assert checked > 300
    assert "Error! Reference" not in text


UPDATE_CONTENTS = """
import subprocess, sys, time, uno
from com.sun.star.beans import PropertyValue
soffice, profile, port, source = sys.argv[1:5]
office = subprocess.Popen([soffice, f"-env:UserInstallation={profile}", "--headless",
                           f"--accept=socket,host=localhost,port={port};urp;"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(100):
        try:
            context = resolver.resolve(
                f"uno:socket,host=localhost,port={port};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.5)
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop",
                                                               context)
    hidden = PropertyValue()
    hidden.Name, hidden.Value = "Hidden", True
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0,
                                            (hidden,))
    indexes = document.getDocumentIndexes()
    for i in range(indexes.getCount()):
        indexes.getByIndex(i).update()
        print(indexes.getByIndex(i).getAnchor().getString())
    document.close(True)
finally:
    office.terminate()
    office.wait()
"""


def test_updating_the_contents_in_libreoffice_lists_each_entry_once(
        document: Document, tmp_path: Path) -> None:
    """LibreOffice's "Update" rebuilds the contents from the field's switches: each part and
    clause of the terms once, with page numbers, not the title or a schedule's paragraphs."""
    soffice, _ = tools()
    python = shutil.which("python3", path="/usr/bin")  # the system's, which LibreOffice bridges
    if python is None:
        pytest.skip("no system python3 for LibreOffice's Python bridge")
    source = tmp_path / "sample.docx"
    source.write_bytes(write_docx(document, DocxMeta(
        title="Section 75 Partnership Agreement", core_date=dt.date(2022, 4, 1)), REFERENCE))
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    result = subprocess.run(
        [python, "-c", UPDATE_CONTENTS, soffice, (tmp_path / "profile").as_uri(), str(port),
         str(source)], capture_output=True, text=True, timeout=TIMEOUT)
    if result.returncode and "No module named 'uno'" in result.stderr:
        pytest.skip(f"LibreOffice's Python bridge does not load: {result.stderr[-200:]}")
    assert result.returncode == 0, result.stderr
    entries = [line.rsplit("\t", 1)[0] for line in result.stdout.splitlines() if line.strip()]
    assert all(line.rsplit("\t", 1)[-1].isdigit() for line in result.stdout.splitlines()
               if line.strip())  # a page number on every entry
    assert entries[:2] == ["Agreed Terms", "1. Definitions and Interpretation"]
    assert len(entries) == len(set(entries))
    assert "Section 75 Partnership Agreement" not in entries
    assert "Schedule 1: Governance" in entries
    assert not [e for e in entries if "Partnership Board" in e or "Overview" in e]
