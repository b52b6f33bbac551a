"""The one way s75docs puts files in place: staged beside the destination, then renamed.

Every command that writes (build, vary, succeed, redline) goes through here, so they share one
lock, one permission rule (the user's umask, never a private temporary mode) and one recovery.

The guarantee: a reader sees the previous outputs or the new ones, never a mixture. A folder is
staged as ``.<name>.new-*`` beside the destination and swapped in. On Linux the swap is one
``renameat2(RENAME_EXCHANGE)``; elsewhere (Windows, macOS, or a file system without it) it is two
``os.replace``-style renames, the previous folder retired as ``.<name>.old-*`` in between. If the
process dies between those two renames, the next run under the lock (``clean_stale``) puts the
retired folder back. A single file is written to a temporary file and ``os.replace``d, which is
atomic on POSIX and on NTFS.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from s75docs.constants import INPUTS_FILE
from s75docs.errors import Finding, S75Error

# Every folder written here carries this file: the next run may replace a folder that has it,
# and refuses one that does not (a folder of the user's own, or of other work).
MARKER = ".s75docs-output"
MARKER_TEXT = (b"Written by s75docs. The next run that writes here replaces this folder whole:\n"
               b"keep your own files elsewhere.\n")


def publish(destination: Path, files: dict[str, bytes], *, inputs: Iterable[Path] = (),
            verify: Callable[[Path], None] | None = None) -> None:
    """Put a folder of outputs in place: refuse a destination that overlaps an input or holds
    someone else's files, then, under the lock, clear a killed run's leftovers and swap."""
    guard(destination, inputs)
    try:
        with locked(destination.parent, destination.name):
            clean_stale(destination)
            write_atomically(destination, files, verify)
    except OSError as exc:  # a folder that cannot be made or written: the user's to fix
        raise S75Error(Finding("error", f"cannot write the outputs to {destination}: "
                               f"{exc.strerror or exc}"
                               f"{f' ({exc.filename})' if exc.filename else ''}",
                               str(destination))) from exc


def guard(output: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output path that is, contains or is inside any input (an agreement folder,
    a template folder, a data file): writing there could replace what the command reads."""
    target = output.resolve()
    for given in inputs:
        source = given.resolve()
        if target == source or target.is_relative_to(source) or source.is_relative_to(target):
            relation = ("is" if target == source else
                        "is inside" if target.is_relative_to(source) else "contains")
            raise S75Error(Finding("error", f"the output {output} {relation} the input {given}; "
                                   "choose an output outside the inputs", str(output),
                                   code="usage"))


@contextlib.contextmanager
def locked(out_dir: Path, reference: str) -> Iterator[None]:
    """One build of an agreement at a time; a second one is told so instead of interleaving."""
    from filelock import FileLock, Timeout  # portable: fcntl on POSIX, msvcrt on Windows

    out_dir.mkdir(parents=True, exist_ok=True)
    lock_path = out_dir / f".{reference}.lock"
    if lock_path.is_symlink() or (lock_path.exists() and not lock_path.is_file()):
        raise S75Error(Finding("error", f"{lock_path} is not a lock file of ours (a link or a "
                               "special file); remove it and try again", str(lock_path)))
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise S75Error(Finding("error", f"another build of '{reference}' is writing to "
                               f"{out_dir} right now; try again when it has finished",
                               str(lock_path))) from None
    try:
        yield
    finally:
        lock.release()


def write_atomically(destination: Path, files: dict[str, bytes],
                     verify: Callable[[Path], None] | None = None) -> None:
    """Write all files into a fresh folder, then swap it for ``destination`` in one rename.

    ``verify`` sees the staged folder before the swap; if it raises, nothing is replaced.
    """
    if destination.is_symlink() or (destination.exists() and not destination.is_dir()):
        # Not outputs of ours: a file or link the user put there is never replaced.
        kind = "link" if destination.is_symlink() else "file"
        raise S75Error(Finding("error", f"{destination} is a {kind}, not an output folder; "
                               "move it away or choose another output folder",
                               str(destination)))
    if destination.is_dir() and any(destination.iterdir()) and not any(
            (destination / name).is_file() for name in (MARKER, INPUTS_FILE)):
        raise S75Error(Finding("error", f"{destination} holds files that s75docs did not write; "
                               "it replaces only folders it made: choose another output folder",
                               str(destination)))
    files = {**files, MARKER: MARKER_TEXT}
    parent = destination.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.new-", dir=parent))
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; outputs are ordinary files
    try:
        made = {staging}
        for relative, data in sorted(files.items()):
            target = staging / relative
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(data)
        if verify is not None:
            verify(staging)
        _swap(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def clean_stale(destination: Path) -> None:
    """Remove what a killed build left beside ``destination``; call only under its lock.

    ``.<name>.new-*`` is a staging folder (or, after an exchange, the previous outputs) of a build
    that died before tidying up. ``.<name>.old-*`` is the previous outputs retired by the
    two-rename swap: if the build died between the renames, they are put back.
    """
    parent = destination.parent
    old, new = _leftovers(parent, destination.name)
    for retired in sorted(old):
        if not destination.exists() and not destination.is_symlink():
            os.rename(retired, destination)
        else:
            shutil.rmtree(retired, ignore_errors=True)
    for staging in new:
        shutil.rmtree(staging, ignore_errors=True)


def _leftovers(parent: Path, name: str) -> tuple[list[Path], list[Path]]:
    """The ``.<name>.old-*`` and ``.<name>.new-*`` entries of ``parent``, found in one listing
    (a batch's output folder holds every agreement's outputs, listed for each of them)."""
    old_prefix = os.path.normcase(f".{name}.old-")
    new_prefix = os.path.normcase(f".{name}.new-")
    old: list[Path] = []
    new: list[Path] = []
    with os.scandir(parent) as entries:
        for entry in entries:
            folded = os.path.normcase(entry.name)
            if folded.startswith(old_prefix):
                old.append(parent / entry.name)
            elif folded.startswith(new_prefix):
                new.append(parent / entry.name)
    return old, new


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the C
    library, kernel or file system cannot, so that the caller falls back to two renames."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no such function (glibc before 2.28, musl)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                 _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def _swap(staging: Path, destination: Path) -> None:
    if not destination.exists():
        os.rename(staging, destination)
        return
    if _exchange(staging, destination):
        # One atomic step: destination now holds the new outputs, staging the previous ones.
        shutil.rmtree(staging, ignore_errors=True)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{destination.name}.old-", dir=destination.parent))
    os.rmdir(retired)
    os.rename(destination, retired)
    try:
        os.rename(staging, destination)
    except BaseException:
        os.rename(retired, destination)
        raise
    shutil.rmtree(retired, ignore_errors=True)




def write_file(path: Path, data: bytes) -> None:
    """Write one file: to a temporary file beside it, then ``os.replace`` it into place."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise S75Error(Finding("error", f"{path} is a link or not a regular file; choose "
                               "another output file", str(path)))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
