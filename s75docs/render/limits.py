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


class TimeLimitError(TimeoutError):
    """Raised in the working thread when its time is up."""


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Schedule ``exception`` in the thread (None clears one not yet delivered)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else None)


@contextmanager
def time_limit(seconds: float, what: str = "rendering") -> Iterator[None]:
    """Stop the block with :class:`TimeLimitError` (a ``TimeoutError``) after ``seconds``."""
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
    thread.start()
    try:
        yield
    except TimeLimitError as exc:
        exc.args = (f"{what} took longer than {seconds:g} seconds",)
        raise  # with its traceback, which names the template line it stopped at
    finally:
        finished.set()
        thread.join()
        if fired.is_set():
            _raise_in(worker, None)  # never let a late delivery escape the block
