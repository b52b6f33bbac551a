"""A time limit for work that runs a firm's templates, without signals.

``SIGALRM`` exists only on POSIX and only in the main thread; council PCs run Windows and the
workspace renders in worker threads. Instead a watchdog thread waits for the deadline and then
raises :class:`TimeLimitError` asynchronously in the thread doing the work (CPython's
``PyThreadState_SetAsyncExc``, on every platform). The exception arrives between two Python
bytecodes, so a runaway template loop is stopped; a single long C call (one huge string
operation) is not, which is why the sandbox also bounds the size of every value it builds.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Limit(threading.local):
    """The current thread's time-limited block: what it does and the stage it has reached."""

    what: str | None = None
    stage: str = ""
    seconds: float = 0.0

    def message(self) -> str:
        where = "" if self.stage == self.what else f" (stopped while {self.stage})"
        return f"{self.what} took longer than {self.seconds:g} seconds{where}"


class TimeLimitError(TimeoutError):
    """Raised in the working thread when its time is up; it says what and which stage."""

    def __init__(self, *args: object) -> None:
        # Delivered as a class and made in the working thread, so it can read that
        # thread's stage (the message is then right wherever the error is caught).
        super().__init__(*(args or (_CURRENT.message(),)))


_CURRENT = _Limit()


def stage(name: str) -> None:
    """Record the stage the work has reached, for the message if the time runs out in it."""
    _CURRENT.stage = name


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Schedule ``exception`` in the thread (None clears one not yet delivered)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else None)


@contextmanager
def time_limit(seconds: float, what: str = "rendering") -> Iterator[None]:
    """Stop the block with :class:`TimeLimitError` (a ``TimeoutError``) after ``seconds``.

    Inside another limited block it only names the stage ``what``: one deadline covers the
    whole (render, document tree and checks share one budget), and the message says where the
    time ran out.
    """
    if _CURRENT.what is not None:
        stage(what)
        yield
        return
    if seconds <= 0:
        yield
        return
    worker = threading.get_ident()
    finished = threading.Event()
    fired = threading.Event()

    def watchdog() -> None:
        if not finished.wait(seconds):
            fired.set()
            _raise_in(worker, TimeLimitError)

    thread = threading.Thread(target=watchdog, name="s75docs-time-limit", daemon=True)
    try:  # the watchdog starts inside: its delivery may come at once, before the yield
        _CURRENT.what, _CURRENT.stage, _CURRENT.seconds = what, what, seconds
        thread.start()
        yield  # a TimeLimitError keeps its traceback, which names the template line it stopped at
    finally:
        while True:  # a delivery racing the end of the block may land in here: finish anyway
            try:
                finished.set()
                thread.join()
                if fired.is_set():
                    _raise_in(worker, None)  # never let a late delivery escape the block
                break
            except TimeLimitError:
                continue
        _CURRENT.what = None
