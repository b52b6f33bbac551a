"""How fast the workspace's preview follows an edit, in a warm process, beside a cold CLI build.

    .venv/bin/python bench/preview.py [--runs 20]

Opens a copy of the Oxfordshire example as the workspace does, then changes the termination
notice back and forth, half a second apart as a person types: each change is the whole round
the browser waits for (the edit through the round-trip writer, the checks, the render, the HTML).
Prints the median and the slowest, the stages of one change, and a cold ``s75docs build
--force`` for comparison. Target: 150 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from s75docs.load.roundtrip import YamlFile
from s75docs.web.workspace import Editing

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "oxfordshire-2022"
TARGET = 0.150
PAUSE = 0.5  # seconds between edits, as a person pauses: the workspace prepares the next one


# The stages of one change, each timed in processor time where the change calls it.
STAGES = {
    "s75docs.web.workspace": {"_edited": "edit the text (round-trip writer)",
                              "write_html": "HTML writer"},
    "s75docs.pipeline": {"load_agreement": "load (YAML, CSV, model)", "run_checks": "checks",
                         "render_template": "render templates (Jinja)",
                         "build_tree": "document tree (cached sections)",
                         "compliance": "compliance with the Regulations",
                         "undefined_terms": "defined-term check"},
}


@contextlib.contextmanager
def timed_stages(spent: dict[str, list[float]]) -> Iterator[None]:
    """Wrap each stage so that its processor time is added to ``spent`` (a benchmark's
    instrument only: the functions are put back afterwards)."""
    saved = []
    for module_name, names in STAGES.items():
        module = importlib.import_module(module_name)
        for name, label in names.items():
            original = getattr(module, name)

            def wrapper(*args: Any, _f: Any = original, _label: str = label,
                        **kwargs: Any) -> Any:
                start = time.process_time()
                try:
                    return _f(*args, **kwargs)
                finally:
                    spent.setdefault(_label, []).append(time.process_time() - start)
            saved.append((module, name, original))
            setattr(module, name, wrapper)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    spent: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / EXAMPLE.name
        shutil.copytree(EXAMPLE, folder)
        editing = Editing(folder)
        try:
            times, cpu = [], []
            for run in range(runs + 2):
                time.sleep(PAUSE)
                start, start_cpu = time.perf_counter(), time.process_time()
                editing.change("termination.notice", {"value": f"{6 + run % 2 * 3} months"})
                if run >= 2:  # the first two warm the caches
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
            with timed_stages(spent):
                for run in range(5):
                    time.sleep(PAUSE)
                    editing.change("termination.notice", {"value": f"{6 + run % 2 * 3} months"})
            compose = statistics.median(_seconds(lambda: YamlFile(editing.text, "a"))
                                        for _ in range(5))
        finally:
            editing.close()
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "s75docs"), "build", str(EXAMPLE),
                        "-o", str(Path(work) / "build"), "--force", "--jobs", "1"],
                       check=True, capture_output=True)
        cold = time.perf_counter() - start
    median = statistics.median(times)
    print(f"preview refresh after an edit, Oxfordshire, warm process, {runs} runs:")
    print(f"  median {median * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms "
          f"(target {TARGET * 1000:.0f} ms: {'met' if median <= TARGET else 'missed'})")
    print(f"  processor time of the process, median {statistics.median(cpu) * 1000:.0f} ms "
          "(what other work on the machine does not add to)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"  load average (1 min) {load:.2f} on {os.cpu_count()} CPU(s): above 0, other "
              "work competed")
    print("one change, by stage (processor time, median of 5):")
    for label, seconds in spent.items():
        print(f"  {label:36} {statistics.median(seconds) * 1000:6.1f} ms")
    print(f"  {'round-trip read (between edits)':36} {compose * 1000:6.1f} ms (wall)")
    print(f"cold CLI build (md+docx, --force), for comparison: {cold * 1000:.0f} ms")


def _seconds(stage: Callable[[], object]) -> float:
    start = time.perf_counter()
    stage()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
