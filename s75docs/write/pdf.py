"""PDF from the Word output, through LibreOffice headless.

Committee papers, the signing copy and the other side's review want PDF. Laying out a legal
document is a word processor's work, so the .docx (with its real numbering and fields) is handed
to LibreOffice rather than drawn a second time here. Each conversion runs in a fresh folder with
a private LibreOffice profile, so that parallel builds do not clash.

The contents of a .docx is a TOC field: its page numbers exist only once a word processor has
laid the document out (Word updates the field on opening). ``soffice --convert-to pdf`` does not
update it, so a PDF made that way has a contents with no page numbers. Instead a small Basic
macro, put into the private profile, opens each .docx, updates its indexes and exports the PDF.
Basic is part of every LibreOffice (Python scripting is a separate package on Linux), and the
macro reads its folder from the environment, so no path is quoted into a command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from s75docs.errors import Finding, S75Error

TIMEOUT = 180  # seconds; a first start of LibreOffice on a slow machine takes tens of seconds
FOLDER_VARIABLE = "S75DOCS_PDF_FOLDER"
MACRO = "macro:///Standard.Module1.Convert"
_BASIC = f"""\
Sub Convert
  On Error GoTo Failed
  Dim folder As String, name As String, i As Integer
  Dim doc As Object, indexes As Object
  Dim load(0) As New com.sun.star.beans.PropertyValue
  Dim store(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = "Hidden"
  load(0).Value = True
  store(0).Name = "FilterName"
  store(0).Value = "writer_pdf_Export"
  folder = ConvertToURL(Environ("{FOLDER_VARIABLE}"))
  name = Dir(folder & "/", 0)
  Do While name <> ""
    If LCase(Right(name, 5)) = ".docx" Then
      doc = StarDesktop.loadComponentFromURL(folder & "/" & name, "_blank", 0, load())
      indexes = doc.getDocumentIndexes()
      For i = 0 To indexes.getCount() - 1
        indexes.getByIndex(i).update()
      Next i
      doc.storeToURL(folder & "/" & Left(name, Len(name) - 5) & ".pdf", store())
      doc.close(True)
    End If
    name = Dir()
  Loop
Failed:
  StarDesktop.terminate()
End Sub
"""
_MODULE = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC '
           '"-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n<script:module '
           'xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
           f'script:language="StarBasic">{escape(_BASIC, {chr(34): "&quot;"})}</script:module>\n')


def soffice() -> str:
    """The LibreOffice program, or an error that says how to get it."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise S75Error(Finding("error", "PDF needs LibreOffice, which is not installed (no "
                               "'soffice' on the PATH): install LibreOffice, or ask for docx "
                               "and save it as PDF from Word", code="usage"))
    return found


def _run(command: list[str], folder: Path) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT, cwd=folder,
                       env={**os.environ, "HOME": str(folder), FOLDER_VARIABLE: str(folder)})
    except (subprocess.SubprocessError, OSError) as exc:
        raise S75Error(Finding("error", f"LibreOffice could not convert to PDF: {exc}",
                               code="pdf")) from exc


def docx_to_pdf(files: dict[str, bytes]) -> dict[str, bytes]:
    """Each ``name.docx`` of ``files`` as ``name.pdf``, its contents updated, in one
    LibreOffice run (after a first run that only creates the private profile)."""
    program = soffice()
    with tempfile.TemporaryDirectory(prefix="s75docs-pdf-") as work:
        folder = Path(work)
        names = {}
        for index, (name, data) in enumerate(sorted(files.items())):
            source = folder / f"{index:03d}.docx"  # flat names: one output folder for all
            source.write_bytes(data)
            names[name] = source
        profile = folder / "profile"
        option = f"-env:UserInstallation={profile.as_uri()}"
        # A new profile is filled from LibreOffice's presets on its first start, which would
        # overwrite the macro: start once to create it, then put the macro in.
        _run([program, option, "--headless", "--terminate_after_init"], folder)
        module = profile / "user" / "basic" / "Standard" / "Module1.xba"
        if not module.parent.is_dir():
            raise S75Error(Finding("error", "LibreOffice did not create its profile, so the "
                                   "contents could not be updated for the PDF", code="pdf"))
        module.write_text(_MODULE, encoding="utf-8")
        _run([program, option, "--headless", "--norestore", MACRO], folder)
        out = {}
        for name, source in names.items():
            pdf = source.with_suffix(".pdf")
            if not pdf.is_file():
                raise S75Error(Finding("error", f"LibreOffice wrote no PDF for {name}",
                                       code="pdf"))
            out[name.removesuffix(".docx") + ".pdf"] = pdf.read_bytes()
        return out
