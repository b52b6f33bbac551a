"""PDF (``build --format pdf`` and the workspace's download): the .docx through LibreOffice.

Skipped when LibreOffice is not installed, unless the CI variable is set: then it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from s75docs.errors import S75Error
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
