"""The ``s75docs`` command: a thin layer over the library API.

Exit codes: 0 success, 1 findings with errors, 2 usage errors; ``diff`` exits 1 for
differences and 2 for any error (as diff(1) does), so a script can tell the two apart.
A user error never prints a traceback; ``--debug`` shows one when it is wanted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from s75docs.errors import Finding, S75Error
from s75docs.options import ISO_DATE, PLAIN_TEXT

F = TypeVar("F", bound=Callable[..., Any])


def _console(stderr: bool = False):  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_findings(findings: list[Finding], *, stderr: bool = False) -> None:
    """Findings as a table on a terminal; one a line (``severity file:line: path: message``)
    when piped, so that editors and grep can follow the locations."""
    console = _console(stderr)
    colours = {"error": "red", "warning": "yellow", "open": "cyan"}
    if console.is_terminal and findings:
        from rich.table import Table

        table = Table(show_lines=False, pad_edge=False, box=None, header_style="bold")
        for column in ("severity", "file:line", "field", "message"):
            table.add_column(column, overflow="fold")
        for f in findings:
            where = (f.file or "") + (f":{f.line}" if f.line is not None else "")
            table.add_row(f"[{colours[f.severity]}]{f.severity}[/]", where, f.path, f.message)
        console.print(table)
        return
    for f in findings:
        console.print(f"[{colours[f.severity]}]{f.severity:7}[/] ", end="")
        console.print(f"{f.location()}: {f.message}", markup=False)


def exit_on_errors(code: int) -> Callable[[F], F]:
    """Turn S75Error into findings on stderr and exit ``code`` (2 for a usage error), unless
    --debug asks for the traceback."""

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except S75Error as exc:
                if click.get_current_context().obj.get("debug"):
                    raise
                for finding in exc.findings:
                    click.echo(str(finding), err=True)
                usage = exc.findings and all(f.code == "usage" for f in exc.findings)
                sys.exit(2 if usage else code)

        return wrapper  # type: ignore[return-value]

    return decorate


user_errors = exit_on_errors(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.version_option(package_name="s75docs")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Section 75 partnership agreements from structured data.

    \b
    Example:
      s75docs check examples/oxfordshire-2022
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command()
@click.argument("path", type=click.Path(exists=True, file_okay=True, path_type=Path))
@click.option("--final", is_flag=True, help="Treat every open point as an error.")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option("--templates", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of your own templates, searched before the built-in ones.")
@user_errors
def check(path: Path, final: bool, as_json: bool, template_dirs: tuple[Path, ...]) -> None:
    """Check an agreement folder: schema, statute, arithmetic, dates and open points.

    \b
    Example:
      s75docs check examples/haringey-2016 --final
    """
    from s75docs.api import check_agreement

    try:
        findings = check_agreement(path, final=final, templates=list(template_dirs))
    except S75Error as exc:
        findings = exc.findings
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        print_findings(findings)
        counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "open")}
        click.echo(f"{counts['error']} error(s), {counts['warning']} warning(s), "
                   f"{counts['open']} open point(s)")
    if any(f.severity == "error" for f in findings):
        sys.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=True, path_type=Path))
@click.option("-o", "--output", "out_dir", default="build", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the outputs.")
@click.option("--format", "formats", default="md,docx", show_default=True, type=PLAIN_TEXT,
              help="Comma-separated output formats: md, docx, pdf (PDF needs LibreOffice).")
@click.option("--templates", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of your own templates, searched before the built-in ones.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Agreements built at once, each in its own process.  [default: one per CPU]")
@click.option("--force", is_flag=True,
              help="Rebuild even agreements whose inputs have not changed since their last build.")
@user_errors
def build(paths: tuple[Path, ...], out_dir: Path, formats: str,
          template_dirs: tuple[Path, ...], jobs: int | None, force: bool) -> None:
    """Check and build agreements into OUTPUT/<reference>/ (.md, .docx, schedules, open points).

    A failed build leaves earlier outputs untouched, and does not stop the others. An agreement
    whose inputs (data, templates, this tool, formats) are unchanged since its last build is
    skipped; --force rebuilds it.

    \b
    Example:
      s75docs build examples/haringey-2016 examples/oxfordshire-2022 -o build
    """
    import time

    from s75docs.api import build as build_all
    from s75docs.batch import progress_display, summary_line, summary_table
    from s75docs.constants import default_jobs

    jobs = jobs or default_jobs()
    err = _console(stderr=True)
    progress = progress_display(err) if err.is_terminal else None
    task = progress.add_task("", total=len(paths), failed=0) if progress else None
    failed = 0

    def report(result):  # type: ignore[no-untyped-def]
        nonlocal failed
        if result.status == "failed":
            failed += 1
            err.print(f"{result.path}: build failed", markup=False)
            for finding in result.findings:
                err.print(str(finding), markup=False)
            if result.detail and click.get_current_context().obj.get("debug"):
                err.print(result.detail, markup=False)
        if progress is not None:
            progress.update(task, advance=1, failed=failed)

    start = time.perf_counter()
    try:
        results = build_all(paths, out_dir, jobs=jobs, formats=formats.split(","),
                            templates=template_dirs, force=force, on_result=report,
                            on_start=progress.start if progress else None)
    finally:
        if progress is not None:
            progress.stop()
    out = _console()
    if not out.is_terminal:
        out.width = max(80, max(len(str(r.path)) for r in results) + 60)
    out.print(summary_table(results))
    out.print(summary_line(results, time.perf_counter() - start,
                           1 if jobs == 1 or len(paths) == 1 else min(jobs, len(paths))))
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--rev", "rev", type=PLAIN_TEXT,
              help="Compare git revisions of OLD, e.g. v1..HEAD (NEW omitted). "
              "A single revision compares it with the working tree.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@click.option("--templates", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of your own templates, searched before the built-in ones.")
@exit_on_errors(2)
def diff(old: Path, new: Path | None, rev: str | None, as_json: bool,
         template_dirs: tuple[Path, ...]) -> None:
    """Show what changed between two versions of an agreement: data, then clauses.

    Exit status 0 when nothing changed, 1 when something did, 2 on an error such as data that
    does not load or a revision that is not a commit (like diff).

    \b
    Examples:
      s75docs diff old-folder/ new-folder/
      s75docs diff examples/oxfordshire-2022 --rev v1..HEAD
    """
    from s75docs.api import diff as compare
    from s75docs.versions.compare import print_comparison

    comparison = compare(old, new, rev=rev, templates=list(template_dirs))
    if as_json:
        click.echo(json.dumps(comparison.as_dict(), indent=2))
    else:
        print_comparison(comparison, _console())
    sys.exit(1 if comparison.changed else 0)


@cli.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option("--date", "variation_date", required=True, type=ISO_DATE,
              help="The Variation Date, YYYY-MM-DD.")
@click.option("--reason", type=PLAIN_TEXT, default="to reflect the changes set out in this deed",
              show_default=True, help="Why the agreement is varied (a recital).")
@click.option("-o", "--output", "out_dir", default="build/variation", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "formats", default="md,docx", show_default=True, type=PLAIN_TEXT)
@click.option("--templates", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of your own templates, searched before the built-in ones.")
@user_errors
def vary(old: Path, new: Path, variation_date: dt.date, reason: str, out_dir: Path,
         formats: str, template_dirs: tuple[Path, ...]) -> None:
    """Write a deed of variation turning agreement OLD into NEW, and NEW as varied.

    OUTPUT gets deed-of-variation.md/.docx, agreement-as-varied.md/.docx and data/: NEW's
    agreement folder with this deed added to its `variations:`, so that the next deed recites
    it. Copy data/ over the agreement folder once the deed is signed; inputs are never changed.

    \b
    Example:
      s75docs vary old/ new/ --date 2023-04-01 --reason "to set the 2023/24 contributions"
    """
    from s75docs.api import vary as write_variation

    written = write_variation(old, new, variation_date, out_dir, reason=reason,
                              formats=formats.split(","), templates=list(template_dirs))
    click.echo(f"wrote {written}")


@cli.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--partner", "partners", multiple=True, required=True, type=PLAIN_TEXT,
              help="Key of the partner succeeded; twice for two partners merging into one.")
@click.option("--successor", "successor", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML file describing the successor body (fields of a partner).")
@click.option("--date", "date", required=True, type=ISO_DATE,
              help="The date the transfer took effect, YYYY-MM-DD.")
@click.option("--scheme", "scheme", default=None, type=PLAIN_TEXT,
              help='The transfer scheme, e.g. "the NHS England transfer scheme of 2022".')
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the new agreement data (default: beside PATH).")
@click.option("--deed-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the deed of variation (default: build/deeds/<folder>).")
@click.option("--reference", default=None, type=PLAIN_TEXT,
              help="The new agreement's reference.  [default: the old one and the date]")
@click.option("--version", "version", default=None, type=PLAIN_TEXT,
              help="The new agreement's version label.  "
              "[default: the words of meta/succession-version.md.j2]")
@click.option("--version-date", type=ISO_DATE, default=None,
              help="The new agreement's version date, YYYY-MM-DD.  [default: --date]")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@click.option("--format", "formats", default="md,docx", show_default=True, type=PLAIN_TEXT)
@click.option("--templates", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of your own templates, searched before the built-in ones.")
@user_errors
def succeed(path: Path, partners: tuple[str, ...], successor: Path, date: dt.date,
            scheme: str | None, out: Path | None, deed_dir: Path | None, reference: str | None,
            version: str | None, version_date: dt.date | None, force: bool, formats: str,
            template_dirs: tuple[Path, ...]) -> None:
    """Put a successor body in a partner's place: new agreement data, then the deed.

    Name two partners with --partner to merge them into one successor. One partner split
    between several successors is not done here: each schedule would need an explicit
    allocation, which is a drafting decision; vary the agreement instead.

    \b
    Example:
      s75docs succeed examples/oxfordshire-2022 --partner ccg \\
        --successor bob-icb.yaml --date 2022-07-01 -o oxfordshire-2022-icb
    """
    from s75docs.api import succeed as run_succession

    done = run_succession(path, list(partners), successor, date, out, deed_dir=deed_dir,
                          transfer_scheme=scheme, reference=reference, version=version,
                          version_date=version_date,
                          force=force, formats=formats.split(","), templates=list(template_dirs))
    print_findings(done.findings, stderr=True)
    click.echo(f"wrote the new agreement data to {done.data} and the deed to {done.deed}")


@cli.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write.  [default: redline.docx, or redline.md with --format md]")
@click.option("--rev", "rev", type=PLAIN_TEXT,
              help="Compare git revisions of OLD, e.g. v1..HEAD (NEW omitted). "
              "A single revision compares it with the working tree.")
@click.option("--author", default="s75docs", show_default=True, type=PLAIN_TEXT,
              help="The name the tracked changes are attributed to.")
@click.option("--date", "date", type=ISO_DATE,
              help="The tracked changes' date, YYYY-MM-DD.  [default: NEW's version date]")
@click.option("--format", "fmt", type=click.Choice(["docx", "md"]), default=None,
              help="docx: Word tracked changes; md: Markdown with CriticMarkup.  "
              "[default: from the -o suffix, else docx]")
@click.option("--templates", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of your own templates, searched before the built-in ones.")
@user_errors
def redline(old: Path, new: Path | None, out: Path | None, rev: str | None, author: str,
            date: dt.date | None, fmt: str | None, template_dirs: tuple[Path, ...]) -> None:
    """Write NEW as a redline against OLD: Word tracked changes (or CriticMarkup).

    Accepting every change in Word gives NEW's agreement; rejecting them gives OLD's.

    \b
    Examples:
      s75docs redline examples/oxfordshire-2022 oxfordshire-2022-icb -o redline.docx
      s75docs redline examples/oxfordshire-2022 --rev v1..HEAD --format md -o redline.md
    """
    from s75docs.api import redline as write_redline

    written = write_redline(old, new, out, rev=rev, author=author,
                            date=date, fmt=fmt,
                            templates=list(template_dirs))
    click.echo(f"wrote {written}")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@user_errors
def textconv(file: Path) -> None:
    """Print a .docx as text for git diff: one paragraph a line, clause numbers written out.

    Installed as git's textconv driver for .docx files by `s75docs git-setup`.

    \b
    Example:
      s75docs textconv build/oxfordshire-s75-2022/agreement.docx | grep '^22.1 '
    """
    from s75docs.api import textconv as docx_text

    text = docx_text(file)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # | head: the reader has what it wanted
        sys.stderr.close()
        sys.exit(0)


@cli.command("git-setup")
@click.argument("repo", default=".", type=click.Path(exists=True, file_okay=False,
                                                      path_type=Path))
@user_errors
def git_setup(repo: Path) -> None:
    """Let `git diff` show .docx files as text, clause numbers included.

    Adds "*.docx diff=s75docs" to REPO/.gitattributes (once) and sets the repository's
    diff.s75docs.textconv to run `s75docs textconv` with this Python.

    \b
    Example:
      s75docs git-setup . && git diff build/
    """
    from s75docs.api import git_setup as setup

    attributes, changed, command = setup(repo)
    click.echo(f"{'added *.docx diff=s75docs to' if changed else 'kept'} {attributes}")
    click.echo(f"set diff.s75docs.textconv to: {command}")


@cli.command()
@click.argument("folder", default=".", type=click.Path(exists=True, file_okay=False,
                                                        path_type=Path))
@click.option("--port", default=8075, show_default=True, type=click.IntRange(0, 65535),
              help="The port on 127.0.0.1 (0: any free one).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.option("-o", "--output", "build_dir", default="build", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Where builds are, for the front page's 'last built'.")
@user_errors
def serve(folder: Path, port: int, no_browser: bool, build_dir: Path) -> None:
    """Open the drafters' workspace on the agreements in FOLDER, in the browser.

    Edit an agreement in a form, see the checks at each field and the agreement beside it,
    save back to its YAML (comments kept), download .docx or .pdf. Listens on this machine
    only (127.0.0.1); Ctrl+C stops it. Needs the web extra: pip install 's75docs[web]'.

    \b
    Example:
      s75docs serve examples --port 8075
    """
    from s75docs.api import serve as run_workspace

    run_workspace(folder, port=port, open_browser=not no_browser, build_dir=build_dir,
                  ready=lambda url: click.echo(f"the workspace is at {url} (Ctrl+C stops it)"))


def main() -> None:
    # No pydantic plugins for our own models: skips pydantic's scan of every installed
    # package's entry points on the first validation (its documented switch; a value the
    # user set is kept).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    cli(obj={})
