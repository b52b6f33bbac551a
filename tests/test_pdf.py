"""PDF (``build --format pdf`` and the workspace's download): the .docx through LibreOffice.

Skipped when LibreOffice is not installed, unless the CI variable is set: then it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from s75docs.errors import S75Error
from s75docs.pipeline import build_agreement
from s75docs.write import pdf

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "fixtures" / "minimal"


def test_pdf_without_libreoffice_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(S75Error, match="PDF needs LibreOffice"):
        pdf.docx_to_pdf({"agreement.docx": b""})


def test_build_pdf_without_libreoffice_writes_nothing(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "s75docs", "build", str(MINIMAL), "-o",
                          str(tmp_path / "out"), "--format", "pdf"], capture_output=True,
                         text=True, env={**os.environ, "PATH": str(tmp_path)}, timeout=300)
    assert run.returncode == 1 and "PDF needs LibreOffice" in run.stderr + run.stdout
    assert "Traceback" not in run.stderr and not (tmp_path / "out").exists()


def test_build_writes_pdf_beside_markdown(tmp_path: Path) -> None:
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed, and CI is set: the PDF test must run")
        pytest.skip("LibreOffice is not installed")
    run = subprocess.run([sys.executable, "-m", "s75docs", "build", str(MINIMAL), "-o",
                          str(tmp_path), "--format", "md,pdf"], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    [folder] = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert (folder / "agreement.pdf").read_bytes().startswith(b"%PDF")
    assert (folder / "agreement.md").is_file() and not (folder / "agreement.docx").exists()


ENTRY = re.compile(r"^\s*(\S.*?)\s*\.{4,}\s*(\d+)\s*$")


def test_the_pdf_contents_shows_the_pages_the_headings_are_on(tmp_path: Path) -> None:
    if not ((shutil.which("soffice") or shutil.which("libreoffice")) and
            shutil.which("pdftotext")):
        if os.environ.get("CI"):
            pytest.fail("LibreOffice or pdftotext is not installed, and CI is set")
        pytest.skip("LibreOffice or pdftotext is not installed")
    folder, _ = build_agreement(ROOT / "examples" / "oxfordshire-2022", tmp_path,
                                formats=("pdf",))
    text = subprocess.run(["pdftotext", "-layout", str(folder / "agreement.pdf"), "-"],
                          check=True, capture_output=True, timeout=120).stdout.decode("utf-8")
    pages = text.split("\f")
    entries = [(m.group(1), int(m.group(2))) for page in pages for line in page.splitlines()
               if (m := ENTRY.match(line))]
    contents = max((i for i, page in enumerate(pages)
                    if any(ENTRY.match(line) for line in page.splitlines())), default=0) + 1
    assert len(entries) >= 50, entries  # 39 clauses, the terms, 8 schedules, 4 schemes, execution
    for title, page in entries:  # a heading starts a line; its words may wrap
        words = r"\s+".join(re.escape(w) for w in title.split())
        heading = re.compile(rf"^\s*{words}(?!\w)", re.IGNORECASE | re.MULTILINE)
        found = [n for n, body in enumerate(pages[contents:], contents + 1)
                 if heading.search(body)]
        assert found and found[0] == page, (title, page, found[:3])
