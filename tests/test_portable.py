"""The portable paths, forced on Linux: what a Windows PC (no fcntl, no SIGALRM, no renameat2)
runs. A build there must give the same bytes, stop a runaway template and refuse a second
build of the same agreement at the same time."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from s75docs.render.limits import TimeLimitError, time_limit

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "minimal"

# Run before anything imports s75docs: the POSIX-only facilities disappear.
WITHOUT_POSIX = textwrap.dedent("""
    import signal, sys
    sys.modules["fcntl"] = None          # import fcntl -> ImportError, as on Windows
    for name in ("SIGALRM", "setitimer", "ITIMER_REAL", "alarm"):
        if hasattr(signal, name):
            delattr(signal, name)
    from s75docs.output import atomic
    atomic._exchange = lambda first, second: False   # no renameat2: the two-rename swap
    from s75docs.cli import main
    sys.argv = ["s75docs", *sys.argv[1:]]
    main()
""")


def run_without_posix(*args: str, env: dict[str, str] | None = None,
                      ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WITHOUT_POSIX, *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200",
                               **(env or {})})


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".inputs"}


def test_check_and_build_run_without_fcntl_sigalrm_or_renameat2(tmp_path: Path) -> None:
    from s75docs.pipeline import build_agreement

    checked = run_without_posix("check", str(FIXTURE))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Traceback" not in checked.stderr
    out = tmp_path / "portable"
    for _ in range(2):  # the second build replaces the first with the two-rename swap
        built = run_without_posix("build", str(FIXTURE), "-o", str(out), "--force")
        assert built.returncode == 0, built.stdout + built.stderr
    [destination] = [p for p in out.iterdir() if p.is_dir()]
    expected, _ = build_agreement(FIXTURE, tmp_path / "posix")
    assert digests(destination) == digests(expected)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.is_dir()) == []


def test_a_runaway_template_is_stopped_without_sigalrm(tmp_path: Path) -> None:
    firm = tmp_path / "firm" / "body"
    firm.mkdir(parents=True)
    (firm / "waiver.md.j2").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
        encoding="utf-8")
    started = time.monotonic()
    result = run_without_posix("check", str(FIXTURE), "--templates", str(tmp_path / "firm"),
                               env={"S75DOCS_RENDER_SECONDS": "0.5"})
    assert time.monotonic() - started < 30
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "took longer than 0.5 seconds" in result.stdout + result.stderr
    assert "body/waiver.md.j2:1" in result.stdout + result.stderr


def test_the_time_limit_works_in_a_worker_thread() -> None:
    """SIGALRM could only ever stop the main thread; the workspace renders in others."""
    outcome: list[BaseException | None] = []

    def work() -> None:
        try:
            with time_limit(0.2):
                while True:
                    pass
        except TimeLimitError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert outcome and "took longer than 0.2 seconds" in str(outcome[0])


def test_a_block_that_finishes_in_time_is_never_interrupted_later() -> None:
    for _ in range(50):  # finish right at the deadline: stopped inside the block, or not at all
        try:
            with time_limit(0.001):
                time.sleep(0.001)
        except TimeLimitError:
            pass
    time.sleep(0.05)  # a stray asynchronous exception would be raised here, outside the blocks


def test_no_time_limit_when_seconds_is_zero() -> None:
    with time_limit(0):
        time.sleep(0.01)


@pytest.mark.skipif(sys.platform == "win32", reason="forces the POSIX fallback")
def test_a_second_build_of_the_same_agreement_is_refused_without_fcntl(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import sys
        sys.modules["fcntl"] = None
        from pathlib import Path
        from s75docs.errors import S75Error
        from s75docs.output.atomic import locked
        out = Path(sys.argv[1])
        with locked(out, "minimal-2024"):
            try:
                with locked(out, "minimal-2024"):
                    print("NOT REFUSED")
            except S75Error as exc:
                print("REFUSED", exc.findings[0].message)
    """)
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "REFUSED another build" in result.stdout, result.stdout + result.stderr


def test_a_limit_ending_at_its_deadline_leaves_the_next_limit_working() -> None:
    """The next block is still stopped: a delivery racing the end of the last one (here, in
    its clean-up) must not leave the thread believing it is still inside a limit."""
    for _ in range(200):
        try:
            with time_limit(0.0005):
                time.sleep(0.0005)
        except TimeLimitError:
            pass
    started = time.monotonic()
    with pytest.raises(TimeLimitError):
        with time_limit(0.2):
            while time.monotonic() - started < 10:
                pass
    assert time.monotonic() - started < 5


def test_one_watchdog_thread_serves_every_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting (and joining) a thread for every limited block cost up to tens of milliseconds
    a build on a busy machine; the watchdog is started once."""
    started: list[str] = []
    original = threading.Thread.start

    def counting(self: threading.Thread) -> None:
        started.append(self.name)
        original(self)

    monkeypatch.setattr(threading.Thread, "start", counting)
    for _ in range(20):
        with time_limit(5):
            pass
    assert started.count("s75docs-time-limit") <= 1
    with pytest.raises(TimeLimitError):
        with time_limit(0.1):
            while True:
                pass


@pytest.mark.skipif(sys.platform == "win32", reason="no fork on Windows")
def test_the_time_limit_works_in_a_forked_worker() -> None:
    """A batch forks its workers after the parent has used a limit: the child has no watchdog
    thread of its parent's, and gets its own."""
    script = textwrap.dedent("""
        import multiprocessing, sys
        from s75docs.render.limits import TimeLimitError, time_limit

        def child(queue):
            try:
                with time_limit(0.2):
                    while True:
                        pass
            except TimeLimitError as exc:
                queue.put(str(exc))

        if __name__ == "__main__":
            with time_limit(5):
                pass
            context = multiprocessing.get_context("fork")
            queue = context.Queue()
            process = context.Process(target=child, args=(queue,))
            process.start()
            process.join(20)
            print(queue.get(timeout=1) if not process.is_alive() else "STILL RUNNING")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "took longer than 0.2 seconds" in result.stdout, result.stdout + result.stderr
