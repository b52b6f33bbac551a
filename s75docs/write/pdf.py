"""PDF from the Word output, through LibreOffice headless.

Committee papers, the signing copy and the other side's review want PDF. Laying out a legal
document is a word processor's work, so the .docx (with its real numbering and fields) is handed
to ``soffice --headless --convert-to pdf`` rather than drawn a second time here. Each conversion
runs in a fresh folder with a private LibreOffice profile, so that parallel builds do not clash.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from s75docs.errors import Finding, S75Error

TIMEOUT = 180  # seconds; a first start of LibreOffice on a slow machine takes tens of seconds


def soffice() -> str:
    """The LibreOffice program, or an error that says how to get it."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise S75Error(Finding("error", "PDF needs LibreOffice, which is not installed (no "
                               "'soffice' on the PATH): install LibreOffice, or ask for docx "
                               "and save it as PDF from Word", code="usage"))
    return found


def docx_to_pdf(files: dict[str, bytes]) -> dict[str, bytes]:
    """Each ``name.docx`` of ``files`` as ``name.pdf``, converted in one LibreOffice run."""
    program = soffice()
    with tempfile.TemporaryDirectory(prefix="s75docs-pdf-") as work:
        folder = Path(work)
        names = {}
        for index, (name, data) in enumerate(sorted(files.items())):
            source = folder / f"{index:03d}.docx"  # flat names: one output folder for all
            source.write_bytes(data)
            names[name] = source
        profile = (folder / "profile").as_uri()
        try:
            subprocess.run([program, f"-env:UserInstallation={profile}", "--headless",
                            "--convert-to", "pdf", "--outdir", str(folder),
                            *(str(p) for p in names.values())],
                           check=True, capture_output=True, timeout=TIMEOUT, cwd=folder,
                           env={**os.environ, "HOME": str(folder)})
        except (subprocess.SubprocessError, OSError) as exc:
            raise S75Error(Finding("error", f"LibreOffice could not convert to PDF: {exc}",
                                   code="pdf")) from exc
        out = {}
        for name, source in names.items():
            pdf = source.with_suffix(".pdf")
            if not pdf.is_file():
                raise S75Error(Finding("error", f"LibreOffice wrote no PDF for {name}",
                                       code="pdf"))
            out[name.removesuffix(".docx") + ".pdf"] = pdf.read_bytes()
        return out
