"""Benchmark: the whole country (3,321 units x 30 posts by default) on one machine.

Usage: python scripts/bench_country.py [--posts 30] [--jobs 2] [--limit N]

Synthesises every official unit of the registry, builds them with `congxa build`, and
reports the time, pages per second, the peak memory of the largest worker (which must stay
flat as units grow), and the disk the output takes (theme assets are stored once).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import synthesise

from generator.source.registry import load_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, default=0, help="only the first N provinces")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="congxa-country-"))
    registry = load_registry()
    provinces = sorted(registry.provinces)[: args.limit or None]
    units = 0
    for code in provinces:
        units += len(synthesise(work, 10_000, args.posts, province=code))
    cmd = [
        str(Path(sys.executable).parent / "congxa"),
        "build",
        "--today",
        "2026-11-29",
        "--jobs",
        str(args.jobs),
    ]
    start = time.perf_counter()
    done = subprocess.run(
        cmd, check=False, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    pages = sum(1 for _ in (work / "public").glob("*/.congxa/versions/*/**/index.html"))
    disk = subprocess.run(
        ["du", "-sm", str(work / "public")], check=False, capture_output=True, text=True
    )
    print(
        f"country: {len(provinces)} provinces, {units} units x {args.posts} posts, "
        f"{pages} pages, {args.jobs} jobs, exit {done.returncode}"
    )
    print(f"cold build            {seconds:8.1f} s  {pages / seconds:7.1f} pages/s")
    print(f"peak memory (largest process) {peak_mb:7.0f} MB")
    print(
        f"output on disk        {disk.stdout.split()[0]} MB "
        f"({int(disk.stdout.split()[0]) / max(units, 1):.2f} MB per unit)"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
