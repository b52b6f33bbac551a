"""A command never deletes or overwrites an input or anything it did not create (issue 15):
outputs that overlap an input, folders of the user's own, and links where a lock file goes."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from s75docs.errors import S75Error
from s75docs.output.atomic import MARKER, guard, publish

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "minimal"
REFERENCE = "minimal-2024"


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def s75docs(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "s75docs", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "", "COLUMNS": "200"})


@pytest.fixture
def agreement(tmp_path: Path) -> Path:
    """The minimal agreement in a folder named like its reference, so that ``-o ..`` aims the
    build at the agreement folder itself."""
    folder = tmp_path / REFERENCE
    shutil.copytree(FIXTURE, folder)
    return folder


def refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert message in output, output


def test_a_build_aimed_at_the_agreement_folder_is_refused(agreement: Path) -> None:
    before = snapshot(agreement)
    refused(s75docs("build", str(agreement), "-o", str(agreement.parent), cwd=agreement.parent),
            "is the input")
    assert snapshot(agreement) == before


def test_a_build_inside_the_agreement_folder_is_refused(agreement: Path) -> None:
    before = snapshot(agreement)
    refused(s75docs("build", str(agreement), "-o", str(agreement / "out"), cwd=agreement),
            "is inside the input")
    assert snapshot(agreement) == before
    assert not (agreement / "out").exists()


def test_a_folder_of_the_users_own_is_never_replaced(agreement: Path, tmp_path: Path) -> None:
    mine = tmp_path / "out" / REFERENCE
    mine.mkdir(parents=True)
    (mine / "my-notes.txt").write_text("keep me\n", encoding="utf-8")
    refused(s75docs("build", str(agreement), "-o", str(tmp_path / "out"), cwd=tmp_path),
            "holds files that s75docs did not write")
    assert sorted(p.name for p in mine.iterdir()) == ["my-notes.txt"]


def test_a_folder_s75docs_wrote_is_replaced_whole(agreement: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert s75docs("build", str(agreement), "-o", str(out), cwd=tmp_path).returncode == 0
    assert (out / REFERENCE / MARKER).is_file()
    (out / REFERENCE / "stale.md").write_text("from an older build\n", encoding="utf-8")
    assert s75docs("build", str(agreement), "-o", str(out), "--force",
                   cwd=tmp_path).returncode == 0
    assert not (out / REFERENCE / "stale.md").exists()


def test_a_lock_file_that_is_a_link_is_refused_and_not_followed(agreement: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    precious = tmp_path / "precious.txt"
    precious.write_text("do not truncate\n", encoding="utf-8")
    (out / f".{REFERENCE}.lock").symlink_to(precious)
    refused(s75docs("build", str(agreement), "-o", str(out), cwd=tmp_path),
            "is not a lock file of ours")
    assert precious.read_text(encoding="utf-8") == "do not truncate\n"


@pytest.mark.parametrize("output, relation", [("a", "is"), ("a/b", "is inside"), (".", "contains")])
def test_guard_names_how_an_output_overlaps_an_input(tmp_path: Path, output: str,
                                                     relation: str) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    with pytest.raises(S75Error) as caught:
        guard(tmp_path / output, [tmp_path / "a"])
    assert f"{relation} the input" in caught.value.findings[0].message


def test_publish_writes_nothing_when_the_output_overlaps_an_input(tmp_path: Path) -> None:
    source = tmp_path / "agreement"
    source.mkdir()
    (source / "agreement.yaml").write_text("title: x\n", encoding="utf-8")
    with pytest.raises(S75Error):
        publish(source, {"agreement.md": b"# x\n"}, inputs=[source])
    assert sorted(p.name for p in source.iterdir()) == ["agreement.yaml"]


# --- what a skipped build trusts ----------------------------------------------------------------


def build(agreement: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return s75docs("build", str(agreement), "-o", str(out), "--format", "md", *extra,
                   cwd=out.parent)


def test_a_damaged_output_is_rebuilt_not_skipped(agreement: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(agreement, out).returncode == 0
    written = out / REFERENCE / "agreement.md"
    good = written.read_bytes()
    written.write_bytes(good[: len(good) // 2])  # truncated, as by a full disk or a bad copy
    again = build(agreement, out)
    assert "1 built, 0 skipped" in again.stdout, again.stdout
    assert written.read_bytes() == good


def test_another_folder_with_the_same_reference_is_not_up_to_date(agreement: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "out"
    twin = tmp_path / "elsewhere" / REFERENCE
    shutil.copytree(agreement, twin)
    assert build(agreement, out).returncode == 0
    assert "1 built, 0 skipped" in build(twin, out).stdout  # same inputs, not the same folder


def test_one_reference_twice_in_one_build_is_refused_before_anything_is_written(
        agreement: Path, tmp_path: Path) -> None:
    twin = tmp_path / "elsewhere" / REFERENCE
    shutil.copytree(agreement, twin)
    out = tmp_path / "out"
    result = s75docs("build", str(agreement), str(twin), "-o", str(out), cwd=tmp_path)
    refused(result, f"reference '{REFERENCE}' is also the reference of")
    assert not out.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_recorded_input_or_output_that_is_a_fifo_is_not_read(agreement: Path,
                                                               tmp_path: Path) -> None:
    import json
    import os

    out = tmp_path / "out"
    assert build(agreement, out).returncode == 0
    record_file = out / REFERENCE / ".inputs"
    record = json.loads(record_file.read_text(encoding="utf-8"))
    fifo = out / REFERENCE / "pipe"
    os.mkfifo(fifo)
    record["outputs"]["pipe"] = "0" * 64
    record["agreement"][f"{REFERENCE}/../../../../dev/zero"] = "0" * 64
    record_file.write_text(json.dumps(record), encoding="utf-8")
    again = build(agreement, out)  # must neither hang on the FIFO nor read /dev/zero
    assert again.returncode == 0 and "1 built, 0 skipped" in again.stdout, again.stdout


# --- vary ----------------------------------------------------------------------------------------


def nine_months(agreement: Path, tmp_path: Path) -> Path:
    new = tmp_path / "new"
    shutil.copytree(agreement, new)
    text = (new / "agreement.yaml").read_text(encoding="utf-8")
    assert "notice: 6 months" in text
    (new / "agreement.yaml").write_text(text.replace("notice: 6 months", "notice: 9 months", 1),
                                        encoding="utf-8")
    return new


def test_vary_into_the_folder_that_holds_both_versions_is_refused(agreement: Path,
                                                                   tmp_path: Path) -> None:
    new = nine_months(agreement, tmp_path)
    before = snapshot(tmp_path)
    refused(s75docs("vary", str(agreement), str(new), "--date", "2024-10-01", "-o", ".",
                    cwd=tmp_path), "contains the input")
    assert snapshot(tmp_path) == before


def test_vary_into_a_folder_that_cannot_be_made_says_so(agreement: Path, tmp_path: Path) -> None:
    new = nine_months(agreement, tmp_path)
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    refused(s75docs("vary", str(agreement), str(new), "--date", "2024-10-01", "-o",
                    str(tmp_path / "a-file" / "deed"), cwd=tmp_path), "cannot write the outputs")


def test_a_redline_never_overwrites_an_input(agreement: Path, tmp_path: Path) -> None:
    new = nine_months(agreement, tmp_path)
    before = snapshot(agreement)
    refused(s75docs("redline", str(agreement), str(new), "-o",
                    str(agreement / "agreement.yaml"), cwd=tmp_path), "is inside the input")
    assert snapshot(agreement) == before
