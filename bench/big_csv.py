"""Time and peak memory of building an agreement whose budget table is just under 5 MB.

    .venv/bin/python bench/big_csv.py [--bytes 4900000] [--profile]

5 MB is the documented limit of any input file (docs/data-format.md), so a table that size is
heavy but legal and must build within 10 s and 1 GB (issue 15). The agreement is the tests'
minimal fixture with its budget table replaced by generated lines (two partners, several
years, a thousand distinct line names) and its stated totals dropped. The build runs as a
subprocess of the CLI, as a user runs it; ``--profile`` runs it in this process under cProfile
instead and prints the top functions. Not a timed test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "minimal"
S75DOCS = str(Path(sys.executable).parent / "s75docs")


def make_agreement(folder: Path, size: int) -> int:
    """Copy the minimal fixture into ``folder`` with a budget table of about ``size`` bytes.

    Returns the number of budget lines written. The fixture's commencement is 2024, so years run
    from 2024/25; its stated totals are removed (they would no longer match).
    """
    shutil.copytree(FIXTURE, folder)
    schedule = folder / "schedules" / "pooled.yaml"
    text = schedule.read_text(encoding="utf-8")
    schedule.write_text(text[: text.index("stated_totals:")], encoding="utf-8")
    rows = ["partner,line,year,amount,type"]
    written = len(rows[0]) + 1
    n = 0
    while True:
        partner = ("council", "icb")[n % 2]
        year = 2024 + n % 5
        row = (f"{partner},Community equipment line {n % 1000:04d} for adults,"
               f"{year}/{(year + 1) % 100:02d},\"£{(n * 7919) % 900000 + 1000:,}.{n % 100:02d}\","
               f"revenue")
        if written + len(row.encode()) + 1 > size:
            break
        rows.append(row)
        written += len(row.encode()) + 1
        n += 1
    (folder / "budgets" / "pooled.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bytes", type=int, default=4_900_000, help="size of the budget table")
    parser.add_argument("--profile", action="store_true", help="cProfile in this process")
    parser.add_argument("--sort", default="cumulative", help="profile order (pstats keys, comma-separated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "big"
        lines = make_agreement(folder, args.bytes)
        size = (folder / "budgets" / "pooled.csv").stat().st_size
        print(f"budget table: {size:,} bytes, {lines:,} lines")
        command = ["build", str(folder), "-o", str(Path(tmp) / "out"), "--force", "-j", "1"]
        if args.profile:
            from s75docs.cli import cli

            profile = cProfile.Profile()
            start = time.perf_counter()
            profile.enable()
            try:
                cli.main(command, standalone_mode=False)
            finally:
                profile.disable()
            print(f"time: {time.perf_counter() - start:.1f} s (under cProfile)")
            pstats.Stats(profile).sort_stats(*args.sort.split(",")).print_stats(45)
            return
        start = time.perf_counter()
        done = subprocess.run([S75DOCS, *command], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = usage.ru_maxrss / 1024  # KiB on Linux
        cpu = usage.ru_utime + usage.ru_stime
        print(f"exit {done.returncode}; time: {seconds:.1f} s; CPU: {cpu:.1f} s; "
              f"peak memory: {peak:,.0f} MiB")
        if done.returncode:
            print(done.stderr[-2000:])


if __name__ == "__main__":
    main()
