"""Read an agreement folder as it was at a git revision, without touching the working tree."""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from s75docs.errors import Finding, S75Error
from s75docs.output.atomic import write_file


def _git(repo: Path, *args: str, failure: str | None = None) -> bytes:
    """Run git in ``repo``; a failure is an S75Error saying ``failure`` (or git's own words)."""
    try:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False,
                                timeout=60)
    except FileNotFoundError:
        raise S75Error(Finding("error", "git is not installed", str(repo))) from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise S75Error(Finding("error", failure or f"git {' '.join(args[:2])}: "
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
    given = path
    path = path.resolve()
    folder = path if path.is_dir() else path.parent
    top = Path(_git(folder, "rev-parse", "--show-toplevel",
                    failure=f"{given} is not in a git repository; --rev reads its revisions "
                            "from git").decode().strip())
    relative = path.relative_to(top)
    if rev.startswith("-"):
        raise S75Error(Finding("error", f"revision {rev!r} is not a revision name"))
    _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}",
         failure=f"revision {rev!r} is not a commit in the repository at {top}")
    archive = _git(top, "archive", "--format=tar", rev, "--", str(relative) or ".",
                   failure=f"{relative} does not exist at revision {rev!r}")
    with tempfile.TemporaryDirectory(prefix="s75docs-rev-") as tmp:
        try:
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(tmp, filter="data")
        except tarfile.TarError as exc:  # e.g. a committed link to a file outside the folder
            raise S75Error(Finding("error", f"cannot read {relative} at revision {rev!r}: "
                                   f"{exc}", str(given))) from exc
        folder = Path(tmp) / relative
        # Keep the folder's own name so that messages and outputs read the same as for the tree.
        yield folder


@dataclass(frozen=True)
class Commit:
    """One commit that touched an agreement folder, as a history lists it."""

    sha: str
    date: str
    author: str
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:10]


def history(path: Path, limit: int = 200) -> list[Commit] | None:
    """The commits touching the folder ``path``, newest first; None if it is not in git."""
    try:
        _git(path, "rev-parse", "--git-dir")
    except S75Error:
        return None
    try:
        out = _git(path, "log", f"--max-count={limit}", "--date=format:%d %b %Y %H:%M",
                   "--format=%H%x1f%ad%x1f%an%x1f%s%x1e", "--", ".")
    except S75Error:  # a repository without commits yet
        return []
    records = out.decode("utf-8", "replace").split("\x1e")
    return [Commit(*fields) for fields in (r.strip("\n").split("\x1f") for r in records)
            if len(fields) == 4]


GITATTRIBUTES_LINE = "*.docx diff=s75docs"


def textconv_command() -> str:
    """How git should run ``s75docs textconv``: through this interpreter, so a virtual
    environment's s75docs is used even when its bin folder is not on git's PATH."""
    import shlex
    import sys

    return f"{shlex.quote(sys.executable)} -m s75docs textconv"


def git_setup(repo: Path) -> tuple[Path, bool, str]:
    """Make ``git diff`` show .docx files as text with clause numbers: ``*.docx diff=s75docs``
    in REPO/.gitattributes (added once, other lines kept) and the driver's textconv command
    in the repository's config. Returns (the attributes file, whether it was changed, the
    command)."""
    repo = Path(repo)
    _git(repo, "rev-parse", "--git-dir",
         failure=f"{repo} is not in a git repository (run git init first)")
    attributes = repo / ".gitattributes"
    if attributes.is_symlink() or (attributes.exists() and not attributes.is_file()):
        raise S75Error(Finding("error", f"{attributes} is a link or not a regular file; s75docs "
                               "changes only an ordinary .gitattributes", str(attributes)))
    try:
        text = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise S75Error(Finding("error", f"cannot read {attributes}: {exc}",
                               str(attributes))) from None
    present = any(line.split() == GITATTRIBUTES_LINE.split() for line in text.splitlines())
    if not present:
        if text and not text.endswith("\n"):
            text += "\n"
        try:
            write_file(attributes, (text + GITATTRIBUTES_LINE + "\n").encode("utf-8"))
        except OSError as exc:
            raise S75Error(Finding("error", f"cannot write {attributes}: "
                                   f"{exc.strerror or exc}", str(attributes))) from None
    command = textconv_command()
    _git(repo, "config", "diff.s75docs.textconv", command)
    return attributes, not present, command
