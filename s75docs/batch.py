"""Build many agreements: in parallel processes, skipping those whose inputs have not changed.

Each agreement is built on its own, so one failure never stops the others; every outcome comes
back as a :class:`Result`. With one job (or one agreement) everything runs in this process.
Worker processes live for the whole batch, so each compiles the templates once
(``render.environment``) and reuses them for every agreement it builds.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from s75docs.constants import default_jobs
from s75docs.errors import Finding, S75Error
from s75docs.options import choose_formats

if TYPE_CHECKING:  # imported where a batch runs in parallel: a one-off build never needs them
    import multiprocessing.context
    from concurrent.futures import Future

    from s75docs.output.inputs import Reference

Status = Literal["built", "skipped", "failed"]


@dataclass
class Result:
    """What became of one agreement in a batch."""

    path: Path
    status: Status
    reference: str = ""
    destination: Path | None = None
    open_points: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    detail: str = ""  # "up to date", or the traceback of a failure (shown with --debug)

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def build_one(path: Path | str, out_dir: Path | str, formats: tuple[str, ...],
              templates: Sequence[Path] = (), force: bool = False) -> Result:
    """Build one agreement, or skip it when its recorded inputs equal the current ones.

    Never raises for a problem with the agreement: a failure is a Result with its findings.
    """
    from s75docs.render.folders import folders_fixed

    start = time.perf_counter()
    path = Path(path)
    result = Result(path, "failed")
    try:
        with folders_fixed():  # one listing of the template folders, here and in the build
            return _build_one(path, out_dir, formats, templates, force, result)
    finally:
        result.seconds = time.perf_counter() - start


def _build_one(path: Path, out_dir: Path | str, formats: tuple[str, ...],
               templates: Sequence[Path], force: bool, result: Result) -> Result:
    from s75docs.check.data import run_checks
    from s75docs.load.folder import load_agreement
    from s75docs.output.inputs import inputs_record, up_to_date
    from s75docs.pipeline import build_agreement, user_template_dirs

    try:
        formats = choose_formats(formats)  # as the build records them
        loaded = load_agreement(path)
        result.reference = loaded.agreement.reference
        destination = Path(out_dir) / loaded.agreement.reference
        record = None
        if not force:
            dirs = user_template_dirs(loaded, list(templates))
            record = inputs_record(loaded.files, loaded.root, dirs, formats)
            if up_to_date(destination, record, loaded.root):
                findings = run_checks(loaded)  # cheap, and gives the open points to report
                result.status, result.destination, result.detail = \
                    "skipped", destination, "up to date"
                result.open_points = sum(1 for f in findings if f.severity == "open")
                return result
        result.destination, result.findings = build_agreement(
            loaded, out_dir, formats=formats, templates=list(templates), inputs=record)
        result.status = "built"
        result.open_points = sum(1 for f in result.findings if f.severity == "open")
    except S75Error as exc:
        result.findings = list(exc.findings)
        result.detail = traceback.format_exc()  # printed only with --debug
    except Exception as exc:
        result.findings = [Finding("error", f"internal error: {type(exc).__name__}: {exc} "
                                   "(run with --debug for the traceback)", str(path))]
        result.detail = traceback.format_exc()
    return result


def skip_if_unchanged(path: Path | str, found: Reference | None, out_dir: Path | str,
                      formats: tuple[str, ...], templates: Sequence[Path] = ()) -> Result | None:
    """A "skipped" Result when the last build's recorded inputs are unchanged, found by hashing
    files only (no YAML schema, no rendering, none of the heavy imports); else None, and
    :func:`build_one` decides. ``found`` is the folder's agreement.yaml as read for the
    references' check."""
    from s75docs.output.inputs import unchanged_since_last_build

    start = time.perf_counter()
    last = None if found is None else unchanged_since_last_build(found, out_dir, formats,
                                                                 templates)
    if last is None:
        return None
    destination, recorded = last
    open_points = recorded.get("open_points")
    return Result(Path(path), "skipped", reference=destination.name, destination=destination,
                  detail="up to date",
                  open_points=open_points if isinstance(open_points, int) else 0,
                  seconds=time.perf_counter() - start)


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` where there is one (workers start in milliseconds, modules already imported)."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _warm_up() -> None:
    """Import what every build needs before forking, so each worker does not import it again."""
    from s75docs import pipeline  # noqa: F401
    try:
        from s75docs.write import docx  # noqa: F401
    except ImportError:
        pass


def _one_folder_per_reference(paths: Sequence[Path | str]) -> list[Reference | None]:
    """Each folder's agreement.yaml read without the schema (None where that cannot be done
    cheaply). Two folders with one ``reference`` would write the same output folder: refuse the
    whole batch before anything is written, naming both."""
    from s75docs.output.inputs import read_reference

    first: dict[str, Path] = {}
    clashes: list[Finding] = []
    read = [read_reference(path) for path in paths]
    for found in read:
        if found is None:
            continue
        root, _, reference = found
        other = first.setdefault(reference, root)
        if other.resolve() != root.resolve():
            clashes.append(Finding("error", f"reference '{reference}' is also the reference of "
                                   f"{other}: both would be built into the same folder; give "
                                   "each agreement its own reference", str(root / "agreement.yaml"),
                                   "reference"))
    if clashes:
        raise S75Error(clashes)
    return read


def _leave_interrupts_to_the_parent() -> None:
    """Ctrl-C reaches every process of the terminal's group: workers ignore it and finish the
    build in hand, so the user sees one line from the parent, not a traceback per worker (an
    idle worker interrupted while waiting for work prints one)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def build_many(paths: Sequence[Path | str], out_dir: Path | str = "build",
               jobs: int | None = None, formats: tuple[str, ...] = ("md", "docx"),
               templates: Sequence[Path] = (), force: bool = False,
               on_result: Callable[[Result], None] | None = None,
               on_start: Callable[[], None] | None = None) -> list[Result]:
    """Build every agreement in ``paths``, ``jobs`` at a time (default: one per CPU).

    Agreements whose inputs are unchanged are found here first, by hashing alone, and never
    reach a worker. Results come back in the order of ``paths``; ``on_result`` is called as
    each one finishes, ``on_start`` once the work has started (after any worker has forked).
    """
    formats = choose_formats(formats)
    read = _one_folder_per_reference(paths)
    jobs = max(1, jobs or default_jobs())
    templates = tuple(templates)
    notify = on_result or (lambda result: None)
    results: dict[int, Result] = {}
    if not force:
        for index, path in enumerate(paths):
            skipped = skip_if_unchanged(path, read[index], out_dir, formats, templates)
            if skipped is not None:
                results[index] = skipped
    pending = [i for i in range(len(paths)) if i not in results]

    def finish(index: int, result: Result) -> None:
        results[index] = result
        notify(result)

    if jobs == 1 or len(pending) <= 1:
        if on_start:
            on_start()
        for index in sorted(results):
            notify(results[index])
        for index in pending:
            finish(index, build_one(paths[index], out_dir, formats, templates, force))
        return [results[i] for i in range(len(paths))]
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = _context()
    if context.get_start_method() == "fork":
        _warm_up()
    with ProcessPoolExecutor(max_workers=min(jobs, len(pending)), mp_context=context,
                             initializer=_leave_interrupts_to_the_parent) as pool:
        futures: dict[Future[Result], int] = {
            pool.submit(build_one, paths[index], out_dir, formats, templates, force): index
            for index in pending}
        try:
            if on_start:
                on_start()  # the workers exist now: a progress display's thread is not forked
            for index in sorted(results):
                notify(results[index])
            for future in as_completed(futures):
                index = futures[future]
                try:
                    result = future.result()
                except Exception as exc:
                    result = Result(Path(paths[index]), "failed", findings=[Finding(
                        "error", f"the build process failed: {type(exc).__name__}: {exc}",
                        str(paths[index]))])
                finish(index, result)
        except BaseException:  # Ctrl-C: do not start the builds still waiting
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [results[i] for i in range(len(paths))]


# --- reporting, for the command line ------------------------------------------------------------


def progress_display(console: Any) -> Any:
    """A progress bar: agreements done of all, failures so far, time elapsed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("[red]{task.fields[failed]} failed[/]"), TimeElapsedColumn(),
                    console=console, transient=True)


def status_text(result: Result) -> str:
    return f"skipped: {result.detail}" if result.status == "skipped" else result.status


def summary_table(results: list[Result]):  # type: ignore[no-untyped-def]
    """One row per agreement: where it came from, what happened, its open points, its time."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    table.add_column("agreement", overflow="fold")
    table.add_column("status")
    table.add_column("open points", justify="right")
    table.add_column("seconds", justify="right")
    colours = {"built": "green", "skipped": "cyan", "failed": "red"}
    for r, (path, status, points, seconds) in zip(results, summary_cells(results), strict=True):
        table.add_row(escape(path), f"[{colours[r.status]}]{escape(status)}[/]", points, seconds)
    return table


def summary_cells(results: list[Result]) -> list[tuple[str, str, str, str]]:
    return [(str(r.path), status_text(r), str(r.open_points) if r.ok else "", f"{r.seconds:.2f}")
            for r in results]


def summary_line(results: list[Result], seconds: float, jobs: int) -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("built", "skipped", "failed")}
    return (f"{counts['built']} built, {counts['skipped']} skipped, {counts['failed']} failed "
            f"in {seconds:.1f} s ({jobs} job{'s' if jobs != 1 else ''})")
