"""Benchmark: congxa's bulk build against a plain `mkdocs build` loop on the same projects.

Usage: python scripts/bench_bulk.py [--units 40] [--posts 50] [--jobs 2]

Reports, in one run: congxa cold build, no-op rebuild, one-unit-changed rebuild; and the
peer: `mkdocs build` once per unit (one process each, run with the same parallelism via
`xargs -P`) over the MkDocs projects congxa writes with --emit-mkdocs; Zensical too when it
is installed. Prints times, ratios and pages per second.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import synthesise

BIN = Path(sys.executable).parent


def timed(cmd: list[str], **kw: object) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="congxa-bench-"))
    synthesise(work, args.units, args.posts)
    congxa = [str(BIN / "congxa"), "build", "--today", "2026-11-29", "--jobs", str(args.jobs)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}

    cold = timed([*congxa, "--out", str(work / "public")], cwd=work, env=env)
    noop = timed([*congxa, "--out", str(work / "public")], cwd=work, env=env)
    first = min((work / "content").glob("*/*/tin-tuc"))
    (first / "bai-moi.md").write_text(
        "---\ntitle: Bài mới\ndate: 2026-11-28\n---\nNội dung.\n", encoding="utf-8"
    )
    one = timed([*congxa, "--out", str(work / "public")], cwd=work, env=env)
    pages = sum(1 for _ in (work / "public").glob("*/.congxa/versions/*/**/index.html"))

    subprocess.run(
        [*congxa, "--emit-mkdocs", str(work / "mkdocs")],
        cwd=work,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    projects = sorted(str(p.parent) for p in (work / "mkdocs").glob("*/*/mkdocs.yml"))
    listing = "\n".join(projects) + "\n"
    peer_cmd = [
        "xargs",
        "-P",
        str(args.jobs),
        "-I{}",
        str(BIN / "mkdocs"),
        "build",
        "-q",
        "-f",
        "{}/mkdocs.yml",
    ]
    start = time.perf_counter()
    subprocess.run(
        peer_cmd,
        input=listing.encode(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    peer = time.perf_counter() - start

    # One site alone, one process each: congxa (all its outputs) against `mkdocs build`.
    unit_file = min((work / "communes").glob("*/*.yml"))
    project_dir = work / "mkdocs" / unit_file.parent.name / unit_file.stem
    single_congxa = min(
        timed(
            [*congxa[:-2], "--jobs", "1", "--force", str(unit_file), "--out", str(work / "single")],
            cwd=work,
            env=env,
        )
        for _ in range(3)
    )
    single_mkdocs = min(
        timed([str(BIN / "mkdocs"), "build", "-q", "-f", str(project_dir / "mkdocs.yml")], env=env)
        for _ in range(3)
    )

    zensical = None
    if shutil.which("zensical") or (BIN / "zensical").exists():
        exe = str(BIN / "zensical") if (BIN / "zensical").exists() else "zensical"
        start = time.perf_counter()
        done = subprocess.run(
            ["xargs", "-P", str(args.jobs), "-I{}", "sh", "-c", f"cd {{}} && {exe} build"],
            check=False,
            input=listing.encode(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        zensical = time.perf_counter() - start if done.returncode == 0 else None

    print(
        f"province: {args.units} units x {args.posts} posts, {pages} pages, "
        f"{args.jobs} parallel jobs"
    )
    print(f"congxa cold build      {cold:7.2f} s  {pages / cold:7.1f} pages/s")
    print(f"congxa no-op rebuild   {noop:7.2f} s  {noop / cold:7.1%} of cold")
    print(f"congxa one unit changed{one:7.2f} s")
    print(
        f"mkdocs build loop      {peer:7.2f} s  {pages / peer:7.1f} pages/s "
        f"(xargs -P {args.jobs}, one process per unit)"
    )
    print(f"ratio mkdocs / congxa  {peer / cold:7.2f}x")
    print(
        f"one site alone         congxa {single_congxa:.2f} s, mkdocs build "
        f"{single_mkdocs:.2f} s (best of 3): congxa takes "
        f"{single_congxa / single_mkdocs:.2f}x the time"
    )
    if zensical is not None:
        print(
            f"zensical build loop    {zensical:7.2f} s  ratio zensical / congxa "
            f"{zensical / cold:.2f}x"
        )
    else:
        print("zensical               not installed or failed on these projects")
    if args.keep:
        print(f"work folder: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
