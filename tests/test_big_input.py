"""Heavy but legal input builds: a budget table of hundreds of kilobytes (5 MB is the documented
limit; bench/big_csv.py times that size) comes out whole in every format, within the default
time limit. Not a timed test: a build that hit the limit would fail with an error instead."""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

import pytest

from s75docs.pipeline import build_agreement

ROOT = Path(__file__).resolve().parent.parent


def _make_agreement(folder: Path, size: int) -> int:
    spec = importlib.util.spec_from_file_location("big_csv", ROOT / "bench" / "big_csv.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines: int = module.make_agreement(folder, size)
    return lines


def test_a_half_megabyte_budget_table_builds_whole(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("S75DOCS_RENDER_SECONDS", raising=False)  # the default limit applies
    lines = _make_agreement(tmp_path / "big", 500_000)
    assert lines > 6000
    out, findings = build_agreement(tmp_path / "big", tmp_path / "out", formats=("md", "docx"))
    assert not [f for f in findings if f.severity == "error"]
    schedule = next((out / "schedules").glob("*.md")).read_text(encoding="utf-8")
    last = lines - 1
    assert f"Community equipment line {last % 1000:04d} for adults" in schedule
    rows = [line for line in schedule.splitlines() if "Community equipment line" in line]
    assert len(rows) == lines
    for docx in (out / "agreement.docx", next((out / "schedules").glob("*.docx"))):
        with zipfile.ZipFile(io.BytesIO(docx.read_bytes())) as package:
            body = package.read("word/document.xml").decode("utf-8")
        assert body.count("Community equipment line") == lines


def test_a_build_collects_garbage_less_often_and_restores_the_thresholds() -> None:
    """Nested builds share one change of the collector's thresholds, undone by the last."""
    import gc

    from s75docs.pipeline import MIDDLE_COLLECTIONS, YOUNG_OBJECTS, fewer_collections

    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[:2] == (YOUNG_OBJECTS, MIDDLE_COLLECTIONS)
        assert gc.get_threshold()[2] == before[2]
        with fewer_collections():
            assert gc.get_threshold()[0] == YOUNG_OBJECTS
        assert gc.get_threshold()[0] == YOUNG_OBJECTS
    assert gc.get_threshold() == before
