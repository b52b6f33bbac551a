"""A build that fails, is interrupted or is killed leaves the previous build exactly as it was.

Each test builds the agreement once (the "previous build"), changes the agreement so that a new
build would write different bytes, then makes the next build fail somewhere: in each writer in
turn, in the file writes of ``write_atomically``, in the swap, or by SIGKILL from outside. The
previous build must be byte-for-byte unchanged and no staging folder may be left behind (or, after
a SIGKILL, the next build must clear it away).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from s75docs import pipeline as pipeline_module
from s75docs.cli import cli
from s75docs.errors import S75Error
from s75docs.output import atomic
from s75docs.output.atomic import clean_stale, locked, write_atomically
from s75docs.pipeline import build_agreement
from s75docs.write import docx as docx_writer

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "minimal"
REFERENCE = "minimal-2024"
FORMATS = ("md", "docx")


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``: files by content hash."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest()
                                         if p.is_file() else "dir")
            for p in sorted(folder.rglob("*"))}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob(f".{REFERENCE}.*-*"))


class Previous:
    """An agreement in tmp/agreement, built once into tmp/build, then edited so that the next
    build would differ."""

    def __init__(self, tmp: Path, built: Path):
        self.agreement = tmp / "agreement"
        self.out = tmp / "build"
        shutil.copytree(built / "agreement", self.agreement)
        shutil.copytree(built / "build", self.out)
        self.before = tree(self.destination)
        assert "agreement.docx" in self.before and "schedules/01-pooled.md" in self.before
        path = self.agreement / "agreement.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace(
            "title: Minimal Section 75", "title: Revised Section 75"), encoding="utf-8")

    @property
    def destination(self) -> Path:
        return self.out / REFERENCE

    def rebuild(self) -> Path:
        return build_agreement(self.agreement, self.out, formats=FORMATS)[0]

    def assert_unchanged(self) -> None:
        assert tree(self.destination) == self.before, "the previous build was changed"
        assert leftovers(self.out) == [], "staging or retired folders were left behind"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The agreement and its build, made once and copied for each test."""
    base = tmp_path_factory.mktemp("built")
    shutil.copytree(FIXTURE, base / "agreement")
    destination, _ = build_agreement(base / "agreement", base / "build", formats=FORMATS)
    assert destination == base / "build" / REFERENCE
    return base


@pytest.fixture
def previous(tmp_path: Path, built: Path) -> Previous:
    return Previous(tmp_path, built)


def fail_on_call(number: int, real: Callable[..., Any], exc: BaseException
                 ) -> Callable[..., Any]:
    """``real``, except that call ``number`` raises ``exc`` (a writer failing midway)."""
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == number:
            raise exc
        return real(*args, **kwargs)

    return wrapper


# --- each writer, failing midway ----------------------------------------------------------------

WRITERS = [
    # (module, attribute, which call fails): the agreement is written first, then its schedules
    (pipeline_module, "write_markdown", 2),
    (docx_writer, "write_docx", 2),
    (pipeline_module, "open_points_markdown", 1),
    (pipeline_module, "compliance_markdown", 1),
    (pipeline_module, "inputs_json", 1),
]


@pytest.mark.parametrize("module, name, call", WRITERS,
                         ids=[f"{m.__name__.rsplit('.', 1)[1]}.{n}" for m, n, _ in WRITERS])
def test_a_failing_writer_leaves_the_previous_build(previous: Previous, module: Any, name: str,
                                                    call: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, name,
                        fail_on_call(call, getattr(module, name), RuntimeError("writer broke")))
    with pytest.raises(RuntimeError, match="writer broke"):
        previous.rebuild()
    previous.assert_unchanged()


@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device"),
                                 KeyboardInterrupt()], ids=["disk-full", "ctrl-c"])
@pytest.mark.parametrize("call", [1, 4])
def test_a_failing_file_write_leaves_the_previous_build(previous: Previous, exc: BaseException,
                                                        call: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """write_atomically's own writes fail: the first file, or one midway."""
    monkeypatch.setattr(Path, "write_bytes", fail_on_call(call, Path.write_bytes, exc))
    expected = S75Error if isinstance(exc, OSError) else KeyboardInterrupt
    with pytest.raises(expected) as info:
        previous.rebuild()
    if isinstance(exc, OSError):
        assert "cannot write the outputs" in str(info.value)
        assert "No space left on device" in str(info.value)
    previous.assert_unchanged()


def test_the_build_that_succeeds_replaces_everything(previous: Previous) -> None:
    (previous.destination / "stale-from-an-old-version.md").write_text("x", encoding="utf-8")
    previous.rebuild()
    after = tree(previous.destination)
    assert "stale-from-an-old-version.md" not in after
    assert set(after) == set(previous.before)
    assert after["agreement.md"] != previous.before["agreement.md"]
    assert leftovers(previous.out) == []


# --- the swap -----------------------------------------------------------------------------------


def exchange_works(tmp: Path) -> bool:
    (tmp / "x").mkdir()
    (tmp / "y").mkdir()
    try:
        return atomic._exchange(tmp / "x", tmp / "y")
    finally:
        shutil.rmtree(tmp / "x")
        shutil.rmtree(tmp / "y")


def staged(tmp: Path) -> tuple[Path, Path]:
    destination = tmp / "dest"
    destination.mkdir()
    (destination / "old.md").write_text("old", encoding="utf-8")
    staging = tmp / ".dest.new-1"
    staging.mkdir()
    (staging / "new.md").write_text("new", encoding="utf-8")
    return staging, destination


def test_swap_is_one_atomic_exchange_on_linux(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux-only; elsewhere the swap is two renames")
    assert exchange_works(tmp_path), "renameat2(RENAME_EXCHANGE) should work on this Linux"
    staging, destination = staged(tmp_path)

    def no_rename(*args: object) -> None:
        raise AssertionError(f"the swap used rename{args}, leaving a window with no outputs")

    monkeypatch.setattr(atomic.os, "rename", no_rename)
    atomic._swap(staging, destination)
    assert [p.name for p in destination.iterdir()] == ["new.md"]
    assert not staging.exists()


def test_swap_falls_back_to_two_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic, "_exchange", lambda first, second: False)
    staging, destination = staged(tmp_path)
    atomic._swap(staging, destination)
    assert [p.name for p in destination.iterdir()] == ["new.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest"]


def test_a_failed_second_rename_puts_the_previous_outputs_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic, "_exchange", lambda first, second: False)
    real = os.rename

    def rename(src: Any, dst: Any) -> None:
        if Path(src).name.startswith(".dest.new-"):
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(atomic.os, "rename", rename)
    destination = tmp_path / "dest"
    destination.mkdir()
    (destination / atomic.MARKER).write_bytes(atomic.MARKER_TEXT)
    (destination / "old.md").write_text("old", encoding="utf-8")
    with pytest.raises(OSError):
        write_atomically(destination, {"new.md": b"new"})
    assert sorted(p.name for p in destination.iterdir()) == [atomic.MARKER, "old.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest"]


def test_exchange_errors_are_not_swallowed(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux") or not exchange_works(tmp_path):
        pytest.skip("needs renameat2")
    with pytest.raises(FileNotFoundError):
        atomic._exchange(tmp_path / "missing", tmp_path)


# --- SIGKILL from outside -----------------------------------------------------------------------

KILLED_BUILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from s75docs import pipeline
    from s75docs.output import atomic

    where = sys.argv[3]

    def pause():
        print("PAUSED", flush=True)
        time.sleep(120)

    if where == "writing":  # inside write_atomically, after two of the files
        real_write = Path.write_bytes
        count = 0
        def write_bytes(self, data):
            global count
            count += 1
            result = real_write(self, data)
            if count == 2:
                pause()
            return result
        Path.write_bytes = write_bytes
    elif where == "between-renames":  # the two-rename swap, after the first rename
        atomic._exchange = lambda first, second: False
        real_rename = os.rename
        def rename(src, dst):
            real_rename(src, dst)
            if ".old-" in str(dst):
                pause()
        atomic.os.rename = rename
    elif where == "after-exchange":  # the exchange done, the previous outputs not yet removed
        real_exchange = atomic._exchange
        def exchange(first, second):
            done = real_exchange(first, second)
            pause()
            return done
        atomic._exchange = exchange
    pipeline.build_agreement(sys.argv[1], sys.argv[2], formats=("md", "docx"))
    print("FINISHED", flush=True)
""")


def kill_midway(previous: Previous, where: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(previous.agreement), str(previous.out), where],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "PAUSED", line + process.stderr.read()  # type: ignore[union-attr]
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_sigkill_while_writing_leaves_the_previous_build(previous: Previous) -> None:
    kill_midway(previous, "writing")
    assert tree(previous.destination) == previous.before
    stale = leftovers(previous.out)
    assert stale and all(".new-" in name for name in stale), stale
    # The next build clears the staging folder away, and builds.
    previous.rebuild()
    assert leftovers(previous.out) == []
    assert tree(previous.destination)["agreement.md"] != previous.before["agreement.md"]


def test_sigkill_after_the_exchange_leaves_a_complete_new_build(previous: Previous) -> None:
    probe = previous.out.parent / "probe"
    probe.mkdir()
    if not sys.platform.startswith("linux") or not exchange_works(probe):
        pytest.skip("needs renameat2")
    kill_midway(previous, "after-exchange")
    after = tree(previous.destination)
    assert set(after) == set(previous.before)
    assert after["agreement.md"] != previous.before["agreement.md"]  # the new build, whole
    [stale] = leftovers(previous.out)  # the previous outputs, swapped out
    assert tree(previous.out / stale) == previous.before
    with locked(previous.out, REFERENCE):
        clean_stale(previous.destination)
    assert leftovers(previous.out) == []


def test_sigkill_between_the_two_renames_is_recovered(previous: Previous) -> None:
    """Where there is no exchange, a kill between the renames leaves no build/<reference>; the
    next build (under the lock) first puts the previous outputs back."""
    kill_midway(previous, "between-renames")
    assert not previous.destination.exists()
    with locked(previous.out, REFERENCE):
        clean_stale(previous.destination)
    previous.assert_unchanged()


# --- two builds at once -------------------------------------------------------------------------


def test_a_second_build_is_told_another_is_running(previous: Previous) -> None:
    with locked(previous.out, REFERENCE):
        with pytest.raises(S75Error, match=f"another build of '{REFERENCE}' is writing"):
            previous.rebuild()
    previous.assert_unchanged()


def test_a_second_build_process_is_told_another_is_running(previous: Previous) -> None:
    with locked(previous.out, REFERENCE):
        run = subprocess.run(
            [sys.executable, "-m", "s75docs", "build", str(previous.agreement), "-o",
             str(previous.out), "--force"], capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"})
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"another build of '{REFERENCE}' is writing" in run.stderr
    assert "Traceback" not in run.stderr
    previous.assert_unchanged()
    # Once the lock is free, the same command builds.
    result = CliRunner().invoke(cli, ["build", str(previous.agreement), "-o", str(previous.out),
                                      "--force"], obj={})
    assert result.exit_code == 0, result.output
