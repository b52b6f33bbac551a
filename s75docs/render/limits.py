"""A time limit for work that runs a firm's templates, without signals.

``SIGALRM`` exists only on POSIX and only in the main thread; council PCs run Windows and the
workspace renders in worker threads. Instead a watchdog thread (one a process) waits for the
deadline and then raises :class:`TimeLimitError` asynchronously in the thread doing the work (CPython's
``PyThreadState_SetAsyncExc``, on every platform). The exception arrives between two Python
bytecodes, so a runaway template loop is stopped; a single long C call (one huge string
operation) is not, which is why the sandbox also bounds the size of every value it builds.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
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


class _Watch:
    """One limited block: the thread doing it, its deadline, whether the watchdog fired at it."""

    __slots__ = ("deadline", "fired", "worker")

    def __init__(self, worker: int, deadline: float) -> None:
        self.worker, self.deadline, self.fired = worker, deadline, False


class _Watchdog:
    """One thread per process that stops every limited block whose time is up. Started once:
    starting and joining a thread for every block cost up to tens of milliseconds a build on a
    busy machine, waiting for the scheduler."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.watched: dict[int, _Watch] = {}  # by the working thread's id
        self.thread: threading.Thread | None = None

    def watch(self, watch: _Watch) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="s75docs-time-limit",
                                               daemon=True)
                self.thread.start()
            self.watched[watch.worker] = watch
            self.lock.notify()

    def unwatch(self, watch: _Watch) -> None:
        """Once this returns the watchdog never fires at ``watch``."""
        with self.lock:
            if self.watched.get(watch.worker) is watch:
                del self.watched[watch.worker]

    def _run(self) -> None:
        with self.lock:
            while True:
                now = time.monotonic()
                for watch in self.watched.values():
                    if not watch.fired and watch.deadline <= now:
                        watch.fired = True
                        _raise_in(watch.worker, TimeLimitError)
                pending = [w.deadline for w in self.watched.values() if not w.fired]
                self.lock.wait(min(pending) - now if pending else None)


_WATCHDOG = _Watchdog()


def _after_fork() -> None:
    """A forked worker starts with a fresh watchdog (the parent's thread is not copied, and its
    lock may have been held at the fork)."""
    global _WATCHDOG
    _WATCHDOG = _Watchdog()


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork)


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
    watch = _Watch(threading.get_ident(), time.monotonic() + seconds)
    watchdog = _WATCHDOG
    try:  # watched inside: a delivery may come at once, before the yield
        _CURRENT.what, _CURRENT.stage, _CURRENT.seconds = what, what, seconds
        watchdog.watch(watch)
        yield  # a TimeLimitError keeps its traceback, which names the template line it stopped at
    finally:
        while True:  # a delivery racing the end of the block may land in here: finish anyway
            try:
                watchdog.unwatch(watch)
                if watch.fired:
                    _raise_in(watch.worker, None)  # never let a late delivery escape the block
                break
            except TimeLimitError:
                continue
        _CURRENT.what = None
