"""Batch builds: parallel equals sequential, unchanged agreements are skipped, any changed input
(data, template, tool, formats) rebuilds, one failure does not stop the others, and templates
are compiled once per process."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from jinja2.sandbox import SandboxedEnvironment

from s75docs.batch import build_many
from s75docs.cli import cli
from s75docs.errors import Finding
from s75docs.load.folder import load_agreement
from s75docs.output import inputs
from s75docs.pipeline import user_template_dirs
from s75docs.render import environment as render

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "fixtures" / "minimal"
EXAMPLE = ROOT / "examples" / "oxfordshire-2022"
MD = ("md",)


def _copy(source: Path, folder: Path, reference: str | None = None) -> Path:
    shutil.copytree(source, folder)
    if reference:
        yaml_file = folder / "agreement.yaml"
        text = yaml_file.read_text(encoding="utf-8")
        yaml_file.write_text(text.replace("reference: minimal-2024", f"reference: {reference}"),
                             encoding="utf-8")
    return folder


@pytest.fixture
def corpus(tmp_path: Path) -> list[Path]:
    """Three small agreements and one worked example, copied so that tests may edit them."""
    data = tmp_path / "data"
    return [*(_copy(MINIMAL, data / name, f"{name}-2024") for name in ("north", "south", "east")),
            _copy(EXAMPLE, data / EXAMPLE.name)]


def _tree(root: Path) -> dict[str, bytes]:
    """Every output file under root (lock files aside), by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")}


def _statuses(results: list) -> list[str]:  # type: ignore[type-arg]
    return [r.status for r in results]


def test_parallel_build_equals_sequential_byte_for_byte(corpus: list[Path], tmp_path: Path) -> None:
    sequential = build_many(corpus, tmp_path / "seq", jobs=1, formats=MD)
    parallel = build_many(corpus, tmp_path / "par", jobs=2, formats=MD)
    assert _statuses(sequential) == _statuses(parallel) == ["built"] * 4
    assert [r.path for r in parallel] == corpus  # results in the order asked for
    assert [r.open_points for r in sequential] == [r.open_points for r in parallel]
    seq, par = _tree(tmp_path / "seq"), _tree(tmp_path / "par")
    assert ".inputs" in "".join(seq) and "oxfordshire-s75-2022/agreement.md" in seq
    assert seq.keys() == par.keys()
    assert [name for name in seq if seq[name] != par[name]] == []


def test_unchanged_is_skipped_and_a_changed_data_file_rebuilds(corpus: list[Path],
                                                               tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _statuses(build_many(corpus, out, jobs=1, formats=MD)) == ["built"] * 4
    before = _tree(out)
    north = out / "north-2024"
    folder_id = north.stat().st_ino

    again = build_many(corpus, out, jobs=1, formats=MD)
    assert _statuses(again) == ["skipped"] * 4
    assert all(r.detail == "up to date" for r in again)
    assert [r.open_points for r in again] == [0, 0, 0, 12]  # reported even when skipped
    assert north.stat().st_ino == folder_id and _tree(out) == before  # nothing rewritten

    table = corpus[0] / "budgets" / "pooled.csv"
    table.write_text(table.read_text().replace("Wheelchair service", "Wheelchair services"))
    changed = build_many(corpus, out, jobs=1, formats=MD)
    assert _statuses(changed) == ["built", "skipped", "skipped", "skipped"]
    assert "Wheelchair services" in (north / "schedules" / "01-pooled.md").read_text()

    forced = build_many(corpus, out, jobs=1, formats=MD, force=True)
    assert _statuses(forced) == ["built"] * 4


def test_a_changed_template_rebuilds(corpus: list[Path], tmp_path: Path) -> None:
    firm = tmp_path / "firm"
    (firm / "body").mkdir(parents=True)
    clause = firm / "body" / "waiver.md.j2"
    shutil.copy(ROOT / "s75docs" / "templates" / "body" / "waiver.md.j2", clause)
    out, chosen = tmp_path / "out", corpus[:2]

    assert _statuses(build_many(chosen, out, jobs=1, formats=MD, templates=[firm])) == \
        ["built", "built"]
    assert _statuses(build_many(chosen, out, jobs=1, formats=MD, templates=[firm])) == \
        ["skipped", "skipped"]
    clause.write_text(clause.read_text().replace("in addition to those provided by law",
                                                 "in addition to those the law provides"))
    assert _statuses(build_many(chosen, out, jobs=1, formats=MD, templates=[firm])) == \
        ["built", "built"]
    # Compiled afresh, even in this long-lived process: the outputs match the record.
    assert "those the law provides" in (out / "north-2024" / "agreement.md").read_text()
    # Without the firm's folder the search path differs: rebuilt with the built-in clause.
    assert _statuses(build_many(chosen, out, jobs=1, formats=MD)) == ["built", "built"]
    assert "those provided by law" in (out / "north-2024" / "agreement.md").read_text()


def test_a_new_tool_version_or_changed_sources_rebuild(corpus: list[Path], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    out, chosen = tmp_path / "out", corpus[:2]
    build_many(chosen, out, jobs=1, formats=MD)
    current = inputs.tool_fingerprint()
    monkeypatch.setattr(inputs, "tool_fingerprint", lambda: {**current, "version": "9.9.9"})
    assert _statuses(build_many(chosen, out, jobs=1, formats=MD)) == ["built", "built"]
    assert _statuses(build_many(chosen, out, jobs=1, formats=MD)) == ["skipped", "skipped"]
    monkeypatch.setattr(inputs, "tool_fingerprint", lambda: {**current, "sources": "0" * 64})
    assert _statuses(build_many(chosen, out, jobs=1, formats=MD)) == ["built", "built"]


def test_the_record_covers_formats_and_is_deterministic(corpus: list[Path]) -> None:
    loaded = load_agreement(corpus[0])
    dirs = user_template_dirs(loaded)

    def record(formats: tuple[str, ...]) -> dict:  # type: ignore[type-arg]
        return inputs.inputs_record(loaded.files, loaded.root, dirs, formats)

    assert record(("md", "docx")) == record(("docx", "md"))
    assert record(("md",))["digest"] != record(("md", "docx"))["digest"]
    names = sorted(record(MD)["agreement"])
    assert names == ["north/agreement.yaml", "north/budgets/pooled.csv",
                     "north/schedules/pooled.yaml"]  # relative: the same on every machine
    assert inputs.inputs_json(record(MD), {"b": b"", "a": b""}, EXAMPLE) == \
        inputs.inputs_json(record(MD), {"a": b"", "b": b""}, EXAMPLE)


def test_each_agreement_yaml_is_read_once_before_the_builds(corpus: list[Path], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """The references' check and the unchanged check share one reading of each folder: the
    parent reads them all before any worker starts, so a second reading is time no build
    uses."""
    seen: list[Path] = []
    read = inputs.read_reference

    def counting(path: Path | str) -> inputs.Reference | None:
        seen.append(Path(path))
        return read(path)

    monkeypatch.setattr(inputs, "read_reference", counting)
    out = tmp_path / "out"
    build_many(corpus, out, jobs=1, formats=MD)
    assert sorted(seen) == sorted(corpus)
    seen.clear()
    assert _statuses(build_many(corpus, out, jobs=1, formats=MD)) == ["skipped"] * 4
    assert sorted(seen) == sorted(corpus)


def test_the_quick_check_and_the_full_check_agree(corpus: list[Path], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Unchanged agreements are found by hashing alone; without that shortcut, loading each
    agreement gives the same answer, open points included."""
    import s75docs.batch

    out = tmp_path / "out"
    build_many(corpus, out, jobs=1, formats=MD)
    quick = build_many(corpus, out, jobs=1, formats=MD)
    monkeypatch.setattr(s75docs.batch, "skip_if_unchanged", lambda *args: None)
    full = build_many(corpus, out, jobs=1, formats=MD)
    assert _statuses(quick) == _statuses(full) == ["skipped"] * 4
    assert [(r.reference, r.destination, r.open_points) for r in quick] == \
        [(r.reference, r.destination, r.open_points) for r in full]


def test_a_preset_added_to_the_agreement_folder_rebuilds(corpus: list[Path],
                                                         tmp_path: Path) -> None:
    """A preset in the agreement's presets/ shadows the built-in one of that name."""
    example, out = corpus[3], tmp_path / "out"
    build_many([example], out, jobs=1, formats=MD)
    (example / "presets").mkdir()
    assert _statuses(build_many([example], out, jobs=1, formats=MD)) == ["skipped"]
    shutil.copy(ROOT / "s75docs" / "presets" / "older-people-bcf.yaml", example / "presets")
    assert _statuses(build_many([example], out, jobs=1, formats=MD)) == ["built"]
    assert "oxfordshire-2022/presets/older-people-bcf.yaml" in \
        (out / "oxfordshire-s75-2022" / ".inputs").read_text()


def test_a_deleted_output_is_rebuilt(corpus: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_many(corpus[:1], out, jobs=1, formats=MD)
    (out / "north-2024" / "open-points.md").unlink()
    assert _statuses(build_many(corpus[:1], out, jobs=1, formats=MD)) == ["built"]


def test_one_broken_agreement_does_not_stop_the_others(corpus: list[Path], tmp_path: Path) -> None:
    broken = _copy(MINIMAL, tmp_path / "data" / "broken", "broken-2024")
    yaml_file = broken / "agreement.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("notice: 6 months", "notice: six months"))
    out = tmp_path / "out"
    paths = [str(p) for p in [corpus[0], broken, *corpus[1:]]]

    result = CliRunner().invoke(cli, ["build", *paths, "-o", str(out), "--format", "md",
                                      "--jobs", "2"], obj={})
    assert result.exit_code == 1, result.output
    assert f"{broken}: build failed" in result.stderr
    assert "broken/agreement.yaml" in result.stderr and "'six months' is not a period" \
        in result.stderr
    for name in ("north-2024", "south-2024", "east-2024", "oxfordshire-s75-2022"):
        assert (out / name / "agreement.md").is_file(), name
    assert not (out / "broken-2024").exists()
    assert "4 built, 0 skipped, 1 failed" in result.stdout
    summary = [line for line in result.stdout.splitlines() if str(broken) in line]
    assert summary and "failed" in summary[0]


def test_an_unexpected_error_is_reported_and_the_rest_go_on(corpus: list[Path], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    import s75docs.pipeline

    original = s75docs.pipeline.build_agreement

    def flaky(loaded, *args, **kwargs):  # type: ignore[no-untyped-def]
        if loaded.agreement.reference == "south-2024":
            raise RuntimeError("disk on fire")
        return original(loaded, *args, **kwargs)

    monkeypatch.setattr(s75docs.pipeline, "build_agreement", flaky)
    results = build_many(corpus[:3], tmp_path / "out", jobs=1, formats=MD)
    assert _statuses(results) == ["built", "failed", "built"]
    [finding] = results[1].findings
    assert isinstance(finding, Finding) and "RuntimeError: disk on fire" in finding.message
    assert "Traceback" in results[1].detail


def count_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The names of the templates Jinja compiles from now on (in this process)."""
    compiled: list[str | None] = []
    original = SandboxedEnvironment.compile

    def counting(self, source, name=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(SandboxedEnvironment, "compile", counting)
    return compiled


def test_templates_are_compiled_once_per_process(corpus: list[Path], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S75DOCS_NO_CACHE", "1")  # no compiled templates from disk either
    monkeypatch.setattr(render, "_ENVIRONMENTS", {})
    compiled = count_compiles(monkeypatch)
    build_many(corpus[:1], tmp_path / "out", jobs=1, formats=MD)
    first = len(compiled)
    assert first > 20 and len(set(compiled)) == first  # each template compiled once
    build_many(corpus[1:], tmp_path / "out", jobs=1, formats=MD)
    assert len(compiled) == first, compiled[first:]


def test_template_folders_are_listed_once_a_build_and_an_edit_is_seen_by_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within one build each template folder is listed once, as it was at the first look, for
    the inputs record and every render; the next build in the same process sees a template
    edited since."""
    from s75docs.render import folders

    listed: list[str] = []
    original = folders._scan

    def scan(directory: str, prefix: str, found: folders.Listing) -> None:
        if not prefix:
            listed.append(directory)
        original(directory, prefix, found)

    monkeypatch.setattr(folders, "_scan", scan)
    folder = _copy(MINIMAL, tmp_path / "data" / "north", "north-2024")
    templates = tmp_path / "firm"
    (templates / "body").mkdir(parents=True)
    out = tmp_path / "out"
    assert _statuses(build_many([folder], out, jobs=1, formats=MD, templates=[templates])) \
        == ["built"]
    assert sorted(listed) == sorted([str(templates), str(ROOT / "s75docs" / "templates")])
    assert "in duplicate" not in (out / "north-2024" / "agreement.md").read_text(encoding="utf-8")
    ours = ROOT / "s75docs" / "templates" / "body" / "counterparts.md.j2"
    (templates / "body" / ours.name).write_text(ours.read_text(encoding="utf-8").replace(
        "in any number of counterparts", "in duplicate"), encoding="utf-8")
    build_many([folder], out, jobs=1, formats=MD, templates=[templates])
    # Now that a record exists, the batch's up-to-date check lists them too, before the build.
    assert sorted(listed[2:]) == sorted(2 * [str(templates), str(ROOT / "s75docs" / "templates")])
    assert "in duplicate" in (out / "north-2024" / "agreement.md").read_text(encoding="utf-8")


def test_compiled_templates_are_kept_on_disk_between_processes(
        corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("S75DOCS_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    compiled = count_compiles(monkeypatch)
    monkeypatch.setattr(render, "_ENVIRONMENTS", {})  # as if a new process
    build_many(corpus[:1], tmp_path / "one", jobs=1, formats=MD)
    assert compiled and list((tmp_path / "cache" / "s75docs").glob("jinja-*/*.cache"))
    compiled.clear()
    monkeypatch.setattr(render, "_ENVIRONMENTS", {})
    build_many(corpus[:1], tmp_path / "two", jobs=1, formats=MD)
    assert compiled == []
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")


def _make_corpus_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "bench" / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_synthetic_corpus_is_deterministic_and_checks_clean(tmp_path: Path) -> None:
    from s75docs.api import check_agreement

    make_corpus = _make_corpus_module().make_corpus
    first = make_corpus(3, tmp_path / "a", seed=3)
    second = make_corpus(3, tmp_path / "b", seed=3)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    for folder in first:
        problems = [f for f in check_agreement(folder) if f.severity != "open"]
        assert problems == [], problems
    assert len(second) == 3


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a process group")
def test_ctrl_c_during_a_parallel_batch_prints_no_worker_tracebacks(corpus: list[Path],
                                                                    tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "s75docs", "build", *map(str, corpus), "-o", str(tmp_path / "out"),
         "--jobs", "2", "--format", "md"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    time.sleep(1.5)  # the workers are building
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole group
    _, err = process.communicate(timeout=120)
    assert "Traceback" not in err, err  # interrupted, or (on a fast machine) already finished


def test_a_template_changed_in_a_long_lived_process_is_hashed_again(tmp_path: Path) -> None:
    """Template digests are remembered for a batch, but a template saved again (a new file put
    in place, or the same file rewritten) is hashed afresh, even at the same size."""
    from s75docs.output.inputs import template_files

    clause = tmp_path / "body" / "term.md.j2"
    clause.parent.mkdir()
    clause.write_text("six months", "utf-8")
    first = template_files(tmp_path)
    assert template_files(tmp_path) == first
    replacement = tmp_path / "new.tmp"
    replacement.write_text("nine months"[:10], "utf-8")
    os.replace(replacement, clause)  # as an editor saves: a new inode
    second = template_files(tmp_path)
    assert second != first
    clause.write_text("two months", "utf-8")  # in place, the same size
    os.utime(clause, ns=(1, 1))  # even with the modification time set back
    assert template_files(tmp_path) not in (first, second)


def test_template_files_are_the_files_a_build_could_use(tmp_path: Path) -> None:
    """The template folder's listing (one scandir walk) takes what ``Path.rglob("*")`` with
    the suffix test took: templates in sub-folders, ``reference.docx``, links to files; not
    other files, not a name that is all suffix, not a folder named like a template, not a
    link to a folder or a broken link."""
    from s75docs.output.inputs import file_digest, template_files

    wanted = ["a.j2", "b.yaml", "c.txt", "reference.docx", ".hidden.j2", "sub/deep/e.j2"]
    for name in [*wanted, "d.md", ".j2", "x.", "notes.J2"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name, "utf-8")
    (tmp_path / "dir.j2").mkdir()
    (tmp_path / "dir.j2" / "in.yaml").write_text("1", "utf-8")
    wanted.append("dir.j2/in.yaml")
    try:
        os.symlink(tmp_path / "a.j2", tmp_path / "link.j2")
        os.symlink(tmp_path / "missing", tmp_path / "broken.j2")
        os.symlink(tmp_path / "sub", tmp_path / "folder-link", target_is_directory=True)
        wanted.append("link.j2")
    except (OSError, NotImplementedError):  # Windows without the right to make links
        pass
    found = template_files(tmp_path)
    assert sorted(found) == sorted(wanted)
    assert found["sub/deep/e.j2"] == file_digest(tmp_path / "sub" / "deep" / "e.j2")


def test_a_build_that_was_not_forced_hashes_its_inputs_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The up-to-date check's inputs record is the one the build writes: not made twice, and
    the same record as a forced build's."""
    import json

    from s75docs import pipeline

    made: list[Path] = []
    original = inputs.inputs_record

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(inputs, "inputs_record", counting)
    monkeypatch.setattr(pipeline, "inputs_record", counting)
    folder = _copy(MINIMAL, tmp_path / "data" / "north", "north-2024")
    assert _statuses(build_many([folder], tmp_path / "out", jobs=1, formats=MD)) == ["built"]
    assert len(made) == 1
    build_many([folder], tmp_path / "forced", jobs=1, formats=MD, force=True)
    records = [json.loads((tmp_path / out / "north-2024" / ".inputs").read_text("utf-8"))
               for out in ("out", "forced")]
    assert records[0]["digest"] == records[1]["digest"]
