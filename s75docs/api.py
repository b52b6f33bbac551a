"""The library the CLI mirrors: one function per command, callable from a notebook.

Each function takes what the command's arguments hold and returns what the command prints;
the CLI only parses arguments, calls one of these and prints the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from s75docs.constants import FORMATS, default_jobs
from s75docs.errors import Finding
from s75docs.options import choose_formats, new_or_rev

if TYPE_CHECKING:
    from s75docs.batch import Result
    from s75docs.load.folder import Loaded
    from s75docs.versions.compare import Comparison
    from s75docs.versions.gitrev import Commit
    from s75docs.versions.succession import Succeeded


def load_agreement(path: Path | str) -> Loaded:
    """An agreement folder read and validated into the model (no checks, no rendering)."""
    from s75docs.load.folder import load_agreement as load

    return load(path)


def check_agreement(path: Path | str, *, final: bool = False,
                    templates: list[Path] | None = None) -> list[Finding]:
    """``s75docs check``: every finding for an agreement folder, data checks first, then (when
    the data has no errors) the statutory items and defined terms of the rendered agreement.

    Raises S75Error if the folder cannot even be loaded.
    """
    from s75docs.pipeline import prepare

    return prepare(path, final=final, templates=templates).findings


def build(paths: Sequence[Path | str], out_dir: Path | str = "build", *,
          formats: Sequence[str] = FORMATS, templates: Sequence[Path] = (),
          jobs: int | None = None, force: bool = False,
          on_result: Callable[[Result], None] | None = None,
          on_start: Callable[[], None] | None = None) -> list[Result]:
    """``s75docs build``: check and build each agreement into ``out_dir/<reference>/``,
    ``jobs`` at a time (default one per CPU), skipping those whose inputs are unchanged."""
    from s75docs.batch import build_many

    return build_many(paths, out_dir, jobs=jobs or default_jobs(),
                      formats=choose_formats(formats), templates=templates, force=force,
                      on_result=on_result, on_start=on_start)


def diff(old: Path, new: Path | None = None, *, rev: str | None = None,
         templates: list[Path] | None = None) -> Comparison:
    """``s75docs diff``: what changed between two folders, or two git revisions of ``old``."""
    from s75docs.versions.compare import compare

    new_or_rev(new, rev)
    return compare(old, new, rev, templates)


def history(path: Path | str) -> list[Commit] | None:
    """The git commits that touched an agreement folder, newest first (None: not in git);
    ``diff(path, rev=f"{old.sha}..{new.sha}")`` says in plain words what changed between two."""
    from s75docs.versions.gitrev import history as log

    return log(Path(path))


def vary(old: Path, new: Path, variation_date: dt.date, out_dir: Path, *,
         reason: str = "to reflect the changes set out in this deed",
         formats: Sequence[str] = FORMATS, templates: list[Path] | None = None) -> Path:
    """``s75docs vary``: the deed turning OLD into NEW, NEW as varied, and NEW's data with the
    deed recorded, written to ``out_dir``. Returns the folder written."""
    from s75docs.versions.variation import write_variation

    return write_variation(old, new, variation_date, reason, out_dir,
                           formats=choose_formats(formats), templates=templates)


def succeed(path: Path, partners: list[str], successor: Path, date: dt.date,
            out: Path | None = None, *, deed_dir: Path | None = None,
            transfer_scheme: str | None = None, reference: str | None = None,
            version: str | None = None, version_date: dt.date | None = None,
            force: bool = False, formats: Sequence[str] = FORMATS,
            templates: list[Path] | None = None) -> Succeeded:
    """``s75docs succeed``: a successor body (read from ``successor``, a YAML file of partner
    fields) in the place of ``partners`` from ``date``: the new agreement data in ``out``
    (default: beside ``path``, named with the date) and the deed recording it in ``deed_dir``
    (default: build/deeds/<out's name>)."""
    from s75docs.versions.succession import succeed as run

    return run(path, partners, successor, date, out, deed_dir=deed_dir,
               transfer_scheme=transfer_scheme, reference=reference, version=version,
               version_date=version_date, force=force, formats=choose_formats(formats),
               templates=templates)


def redline(old: Path, new: Path | None = None, out: Path | None = None, *,
            rev: str | None = None, author: str = "s75docs", date: dt.date | None = None,
            fmt: str | None = None, templates: list[Path] | None = None) -> Path:
    """``s75docs redline``: NEW as tracked changes against OLD, in .docx or Markdown (format
    from ``fmt``, else the suffix of ``out``, else docx). Returns the file written."""
    from s75docs.output.atomic import guard
    from s75docs.versions.redline import write_redline

    out = out or Path(f"redline.{fmt or 'docx'}")
    guard(out, [old, *([new] if new else []), *(templates or [])])
    return write_redline(old, new, out, rev=rev, author=author, date=date, fmt=fmt,
                         templates=templates)


def textconv(docx: Path) -> str:
    """``s75docs textconv``: a .docx as text, one paragraph a line, clause numbers written out."""
    from s75docs.versions.textconv import docx_text

    return docx_text(docx)


def git_setup(repo: Path = Path(".")) -> tuple[Path, bool, str]:
    """``s75docs git-setup``: make ``git diff`` show .docx files as numbered text. Returns the
    attributes file, whether it changed, and the textconv command set."""
    from s75docs.versions.gitrev import git_setup as setup

    return setup(repo)


def serve(folder: Path | str = ".", *, port: int = 8075, open_browser: bool = True,
          build_dir: Path | str = "build", ready: Callable[[str], None] | None = None) -> None:
    """``s75docs serve``: the drafters' workspace for the agreements in ``folder``, on
    127.0.0.1 only, until interrupted. ``ready`` is told the address once it listens."""
    from s75docs.web.server import run

    run(Path(folder), port=port, open_browser=open_browser, build_dir=Path(build_dir),
        ready=ready)


__all__ = ["build", "check_agreement", "diff", "git_setup", "history", "load_agreement", "redline",
           "serve", "succeed", "textconv", "vary"]
