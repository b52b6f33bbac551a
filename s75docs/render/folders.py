"""The files of the template folders, listed once for one piece of work.

Two things need the listing of a template folder: the render environment, to see that a
template was edited since it was compiled, and the inputs record (``.inputs``), to hash the
files a build could use. Within :func:`folders_fixed` (one agreement's build) a folder is
listed once, as it was at the first look, and both read that listing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

# A folder's regular files by their path relative to it ("body/term.md.j2"): path and status.
Listing = dict[str, tuple[str, os.stat_result]]


def listing(folder: Path) -> Listing:
    """Every regular file under ``folder`` as ``Path.rglob("*")`` finds them (symbolic links to
    folders not followed, links to files taken as their files), with its status."""
    fixed = _FIXED.listings
    key = str(folder)
    if fixed is not None and key in fixed:
        return fixed[key]
    found: Listing = {}
    _scan(key, "", found)
    if fixed is not None:
        fixed[key] = found
    return found


def _scan(directory: str, prefix: str, found: Listing) -> None:
    """One ``os.scandir`` a folder: a batch lists the template folders for every agreement."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        name = prefix + entry.name
        try:
            if entry.is_dir(follow_symlinks=False):
                _scan(entry.path, name + "/", found)
                continue
            status = entry.stat()  # follows a link, as Path.is_file and Path.stat do
        except OSError:
            continue
        if stat.S_ISREG(status.st_mode):
            found[name] = (entry.path, status)


class _Fixed(threading.local):
    listings: dict[str, Listing] | None = None


_FIXED = _Fixed()


@contextlib.contextmanager
def folders_fixed() -> Iterator[None]:
    """Take the template folders as they were at their first listing for the rest of one piece
    of work (one agreement's build: its inputs record and its four renders), so that each is
    listed once. A scope inside another shares the outer one's."""
    if _FIXED.listings is not None:
        yield
        return
    _FIXED.listings = {}
    try:
        yield
    finally:
        _FIXED.listings = None
