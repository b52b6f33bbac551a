"""``git diff`` of a built .docx through ``s75docs textconv``: the changed clause, numbered."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
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
    assert "| the Council | Adult social care: mental health | 2022/23 | £22,000,000 |" \
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


def _numbered_docx(path: Path, nums: str, paragraphs: list[str]) -> Path:
    """A minimal .docx: one abstract list (``Clause 1`` at level 0, ``Clause 2`` at level 1),
    the given ``w:num`` instances, and paragraphs written as "style numId text"."""
    import zipfile

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    styles = "".join(f'<w:style w:type="paragraph" w:styleId="Clause{n}"><w:name w:val="Clause '
                     f'{n}"/></w:style>' for n in (1, 2))
    body = "".join(f'<w:p><w:pPr><w:pStyle w:val="{style}"/><w:numPr><w:numId w:val="{num}"/>'
                   f'</w:numPr></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>'
                   for style, num, text in (p.split(" ", 2) for p in paragraphs))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", f"<w:document {w}><w:body>{body}</w:body>"
                         "</w:document>")
        archive.writestr("word/styles.xml", f"<w:styles {w}>{styles}</w:styles>")
        archive.writestr("word/numbering.xml", f'<w:numbering {w}><w:abstractNum '
                         'w:abstractNumId="7"><w:lvl w:ilvl="0"><w:pStyle w:val="Clause1"/>'
                         '</w:lvl><w:lvl w:ilvl="1"><w:pStyle w:val="Clause2"/></w:lvl>'
                         f'</w:abstractNum>{nums}</w:numbering>')
    return path


def test_textconv_counts_per_abstract_list_as_word_does(tmp_path: Path) -> None:
    """Instances of one abstract list share its counts; a startOverride restarts them where its
    instance is first used, and only there."""
    restart = '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>'
    nums = (f'<w:num w:numId="1"><w:abstractNumId w:val="7"/>{restart}</w:num>'
            '<w:num w:numId="2"><w:abstractNumId w:val="7"/></w:num>'
            f'<w:num w:numId="3"><w:abstractNumId w:val="7"/>{restart}</w:num>')
    path = _numbered_docx(tmp_path / "lists.docx", nums, [
        "Clause1 1 One", "Clause2 2 One.one", "Clause1 2 Two", "Clause2 2 Two.one",
        "Clause1 1 Three (numId 1 again: no second restart)",
        "Clause1 3 Restarted", "Clause2 2 Restarted.one"])
    assert docx_text(path).splitlines() == [
        "1 One", "1.1 One.one", "2 Two", "2.1 Two.one",
        "3 Three (numId 1 again: no second restart)", "1 Restarted", "1.1 Restarted.one"]


def test_textconv_of_a_file_resaved_by_libreoffice_numbers_as_the_original(
        tmp_path: Path) -> None:
    """LibreOffice re-saves our one list instance per part as many instances of one abstract
    list, restarting only the first level where each part starts; the numbers must not move
    (counted per instance, clause 22.1 read "21.1" and the definitions "0.1.x")."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is not installed, and CI is set")
        pytest.skip("LibreOffice (soffice) is not installed")
    source = tmp_path / "agreement.docx"
    shutil.copy(BUILT / "agreement.docx", source)
    out = tmp_path / "resaved"
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--headless", "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out),
                    str(source)], check=True, capture_output=True, timeout=120, cwd=tmp_path)
    resaved = docx_text(out / "agreement.docx")
    assert resaved == docx_text(source)
    assert "\n22.1 Any Partner may terminate this Agreement" in resaved


def _docx_with_document(path: Path, document: bytes, lie_about_size: bool = False) -> None:
    """A copy of a built .docx whose word/document.xml is ``document``; with
    ``lie_about_size`` its zip headers claim the part unpacks to 1,000 bytes."""
    import struct
    import zipfile

    with zipfile.ZipFile(BUILT / "agreement.docx") as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = document if info.filename == "word/document.xml" else source.read(info)
            archive.writestr(info.filename, data)
    if lie_about_size:
        packed = path.read_bytes()
        assert packed.count(struct.pack("<I", len(document))) == 2  # local and central headers
        path.write_bytes(packed.replace(struct.pack("<I", len(document)), struct.pack("<I", 1000)))


def _inflated_document(size: int) -> bytes:
    """A well-formed document.xml of ``size`` bytes, most of it one repeated paragraph."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="'
            b'http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
    paragraph = b"<w:p><w:r><w:t>" + b"A" * 1000 + b"</w:t></w:r></w:p>"
    return head + paragraph * (size // len(paragraph)) + b"</w:body></w:document>"


@pytest.mark.parametrize("case, message", [
    ("bomb", "over the 33,554,432 a part may be"),
    ("packed", "times larger than it is packed"),
    ("lying", "cannot read it as a Word document"),
    ("entities", "declares a DTD or entities"),
])
def test_textconv_of_a_hostile_file_is_refused_quickly(tmp_path: Path, case: str,
                                                       message: str) -> None:
    """git diff runs textconv on files from repositories the user did not write: a small file
    that unpacks to 250 MB (took 19 s and 1.4 GB), one packed 280:1 but under the part limit,
    one whose zip headers lie about its size, and one declaring entities (billion laughs)."""
    bad = tmp_path / "bad.docx"
    if case == "entities":
        laughs = b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">' + b"".join(  # i: 10^9 a's
            b'<!ENTITY %s "%s">' % (bytes([98 + i]), b"&%s;" % bytes([97 + i]) * 10)
            for i in range(8)) + b"]>"
        _docx_with_document(bad, laughs + b"<w:document><w:body>&i;</w:body></w:document>")
    else:
        size = {"bomb": 250_000_000, "packed": 30_000_000, "lying": 250_000_000}[case]
        _docx_with_document(bad, _inflated_document(size), lie_about_size=case == "lying")
    assert bad.stat().st_size < 2_000_000
    started = time.monotonic()
    result = s75docs("textconv", str(bad))
    assert time.monotonic() - started < 10
    assert result.returncode == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
