"""Read an agreement folder as it was at a git revision, without touching the working tree."""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import Finding, S75Error


def _git(repo: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False,
                                timeout=60)
    except FileNotFoundError:
        raise S75Error(Finding("error", "git is not installed", str(repo))) from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise S75Error(Finding("error", f"git {' '.join(args[:2])}: "
                               f"{message[-1] if message else 'failed'}", str(repo)))
    return result.stdout


def parse_range(spec: str) -> tuple[str, str | None]:
    """``v1..HEAD`` -> ("v1", "HEAD"); ``v1`` -> ("v1", None): None means the working tree."""
    if ".." in spec:
        old, _, new = spec.partition("..")
        if not old or "..." in spec:
            raise S75Error(Finding("error", f"revision range {spec!r}: write OLD..NEW, e.g. "
                                   "v1..HEAD"))
        return old, new or "HEAD"
    return spec, None


@contextlib.contextmanager
def folder_at(path: Path, rev: str) -> Iterator[Path]:
    """The agreement folder ``path`` as committed at ``rev``, unpacked into a temporary folder."""
    path = path.resolve()
    top = Path(_git(path, "rev-parse", "--show-toplevel").decode().strip())
    relative = path.relative_to(top)
    if rev.startswith("-"):
        raise S75Error(Finding("error", f"revision {rev!r} is not a revision name"))
    _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    archive = _git(top, "archive", "--format=tar", rev, "--", str(relative) or ".")
    with tempfile.TemporaryDirectory(prefix="s75docs-rev-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        folder = Path(tmp) / relative
        # Keep the folder's own name so that messages and outputs read the same as for the tree.
        yield folder
