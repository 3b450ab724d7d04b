"""Benchmark: the whole country (3,321 units x 30 posts by default) on one machine.

Usage: python scripts/bench_country.py [--posts 30] [--jobs 2] [--limit N] [--units N]

Synthesises every official unit of the registry (or the first N provinces, or the first
N units), then times three runs of `congxa build` as an operator meets them:

- cold: an empty output folder;
- no-op: nothing changed (a timer rebuilding the country all day pays this);
- one unit changed: one new post in the unit planned last (the slowest case).

Reports each time, the no-op as a share of the cold build, the peak memory of the largest
process (which must stay flat as units grow), the disk the output takes (theme assets are
stored once), and whether each target is met: cold under 6 minutes, no-op under 1% of cold
and under 4 s, one unit changed under 3 s, peak memory under 200 MB per process.
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
    parser.add_argument("--units", type=int, default=0, help="only the first N units")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="congxa-country-"))
    registry = load_registry()
    provinces = sorted(registry.provinces)[: args.limit or None]
    units = 0
    for code in provinces:
        wanted = args.units - units if args.units else 10_000
        if wanted <= 0:
            break
        units += len(synthesise(work, wanted, args.posts, province=code))
    # Files modified in the last two seconds are always hashed again (publish/fingerprint.py);
    # an operator's content is older than that.
    time.sleep(2.1)
    cmd = [
        str(Path(sys.executable).parent / "congxa"),
        "build",
        "--today",
        "2026-11-29",
        "--jobs",
        str(args.jobs),
    ]

    def run() -> tuple[float, int]:
        start = time.perf_counter()
        done = subprocess.run(
            cmd, check=False, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        return time.perf_counter() - start, done.returncode

    cold, cold_exit = run()
    noop, noop_exit = run()
    # The unit planned last: its build cannot start before the whole country is planned.
    last = max((work / "content").glob("*/*/tin-tuc"))
    (last / "bai-moi.md").write_text(
        "---\ntitle: Bài mới\ndate: 2026-11-28\n---\nNội dung.\n", encoding="utf-8"
    )
    one, one_exit = run()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    pages = sum(1 for _ in (work / "public").glob("*/.congxa/versions/*/**/index.html"))
    disk = subprocess.run(
        ["du", "-sm", str(work / "public")], check=False, capture_output=True, text=True
    )
    disk_mb = int(disk.stdout.split()[0])

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    print(
        f"country: {len(provinces)} provinces, {units} units x {args.posts} posts, "
        f"{pages} pages, {args.jobs} jobs, exit {cold_exit}/{noop_exit}/{one_exit}"
    )
    print(
        f"cold build            {cold:8.1f} s  {pages / cold:7.1f} pages/s"
        f"   target < 360 s: {verdict(cold < 360)}"
    )
    print(
        f"no-op                 {noop:8.2f} s  {100 * noop / cold:6.2f}% of cold"
        f"   target < 1% and < 4 s: {verdict(noop < 0.01 * cold and noop < 4)}"
    )
    print(f"one unit changed      {one:8.2f} s   target < 3 s: {verdict(one < 3)}")
    print(
        f"peak memory (largest process) {peak_mb:7.0f} MB"
        f"   target < 200 MB: {verdict(peak_mb < 200)}"
    )
    print(f"output on disk        {disk_mb} MB ({disk_mb / max(units, 1):.2f} MB per unit)")
    if args.keep:
        print(f"work folder kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
