"""``git diff`` of a built .docx through ``s75docs textconv``: the changed clause, numbered."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from s75docs.pipeline import document_files, reference_docx, user_template_dirs
from s75docs.versions.compare import load_version
from s75docs.versions.textconv import docx_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "oxfordshire-2022"
BUILT = ROOT / "build" / "oxfordshire-s75-2022"


def s75docs(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command as the venv runs it (``python -m s75docs``, this interpreter)."""
    return subprocess.run([sys.executable, "-m", "s75docs", *args], capture_output=True,
                          text=True, check=False, cwd=cwd, env=git_env(cwd))


def git_env(ceiling: Path | None) -> dict[str, str]:
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="Test",
               GIT_AUTHOR_EMAIL="test@example.org", GIT_COMMITTER_NAME="Test",
               GIT_COMMITTER_EMAIL="test@example.org")
    if ceiling is not None:  # never find a repository above the scratch folder
        env["GIT_CEILING_DIRECTORIES"] = str(ceiling.parent)
    return env


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True, env=git_env(repo)).stdout


def build_docx(folder: Path) -> bytes:
    version = load_version(folder)
    return document_files(version.loaded, version.document, "agreement", ("docx",),
                          reference_docx(user_template_dirs(version.loaded)))["agreement.docx"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q")
    return folder


def test_git_diff_shows_the_changed_clause_with_its_number(repo: Path, tmp_path: Path) -> None:
    (repo / "agreement.docx").write_bytes(build_docx(EXAMPLE))
    git(repo, "add", "agreement.docx")
    git(repo, "commit", "-q", "-m", "six months")
    changed = tmp_path / "oxfordshire-2022"
    shutil.copytree(EXAMPLE, changed)
    agreement = changed / "agreement.yaml"
    text = agreement.read_text(encoding="utf-8")
    agreement.write_text(text.replace("  notice: 6 months\n", "  notice: 9 months\n"),
                         encoding="utf-8")
    (repo / "agreement.docx").write_bytes(build_docx(changed))
    assert "Binary files" in git(repo, "diff")  # before the set-up

    result = s75docs("git-setup", str(repo), cwd=repo)
    assert result.returncode == 0, result.stderr
    diff = git(repo, "diff")
    removed = [line for line in diff.splitlines() if line.startswith("-") and "months" in line]
    added = [line for line in diff.splitlines() if line.startswith("+") and "months" in line]
    assert removed == ["-22.1 Any Partner may terminate this Agreement, or any Scheme, by giving "
                       "the other Partners not less than six months\u2019 written notice."]
    assert added == ["+22.1 Any Partner may terminate this Agreement, or any Scheme, by giving "
                     "the other Partners not less than nine months\u2019 written notice."]
    assert len(re.findall(r"^[-+][^-+]", diff, re.M)) == 2  # nothing else changed


def test_git_setup_is_idempotent_and_keeps_other_lines(repo: Path) -> None:
    (repo / ".gitattributes").write_text("*.csv text eol=lf", encoding="utf-8")  # no newline
    for _ in range(2):
        result = s75docs("git-setup", str(repo), cwd=repo)
        assert result.returncode == 0, result.stderr
    assert (repo / ".gitattributes").read_text(encoding="utf-8") == \
        "*.csv text eol=lf\n*.docx diff=s75docs\n"
    command = git(repo, "config", "diff.s75docs.textconv").strip()
    assert command.endswith(" -m s75docs textconv") and sys.executable in command
    assert git(repo, "check-attr", "diff", "agreement.docx").strip().endswith("diff: s75docs")


def test_git_setup_outside_a_repository_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "not-a-repo"
    folder.mkdir()
    result = s75docs("git-setup", str(folder), cwd=folder)
    assert result.returncode == 1
    assert "not in a git repository" in result.stderr and "Traceback" not in result.stderr
    assert not (folder / ".gitattributes").exists()


def test_textconv_numbers_match_the_markdown() -> None:
    """Every numbered line of the committed Markdown, in order, is a line of the textconv."""
    text = docx_text(BUILT / "agreement.docx").splitlines()
    markdown = [re.sub(r"^#+ ", "", line).replace("*", "")
                for line in (BUILT / "agreement.md").read_text(encoding="utf-8").splitlines()]
    numbered = re.compile(r"^(\d+(\.\d+)*|\([a-zA-Z]+\)) ")
    start = text.index(next(line for line in text if line.startswith("(1) ")))
    assert [line for line in text[start:] if numbered.match(line)] == \
        [line for line in markdown if numbered.match(line)]
    assert "| the Council | Adult social care: mental health | pooled | 2022/23 | £22,000,000 |" \
        in text


def test_textconv_of_a_word_file_not_made_by_us(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("First paragraph")
    document.add_paragraph("A numbered item", style="List Number")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "a", "b"
    document.save(str(tmp_path / "other.docx"))
    result = s75docs("textconv", str(tmp_path / "other.docx"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "First paragraph\nA numbered item\n| a | b |\n"


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_textconv_of_a_bad_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.docx"
    bad.write_bytes(content)
    result = s75docs("textconv", str(bad))
    assert result.returncode == 1
    assert "cannot read it as a Word document" in result.stderr
    assert "Traceback" not in result.stderr


def test_textconv_of_a_zip_without_a_document(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "empty.docx", "w") as archive:
        archive.writestr("word/other.xml", "<x/>")
    result = s75docs("textconv", str(tmp_path / "empty.docx"))
    assert result.returncode == 1 and "word/document.xml" in result.stderr
    assert "Traceback" not in result.stderr


def test_git_setup_never_writes_through_a_linked_gitattributes(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "someone-elses-file"
    elsewhere.write_text("precious\n", encoding="utf-8")
    (repo / ".gitattributes").symlink_to(elsewhere)
    result = s75docs("git-setup", str(repo), cwd=repo)
    assert result.returncode == 1
    assert "is a link or not a regular file" in result.stderr
    assert "Traceback" not in result.stderr
    assert elsewhere.read_text(encoding="utf-8") == "precious\n"
