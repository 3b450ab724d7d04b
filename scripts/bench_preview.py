"""Benchmark: the clerk's live preview, from saving a post to the updated page being served.

Usage: python scripts/bench_preview.py [--posts 50] [--saves 9]

Writes a unit of `--posts` posts (scripts/synth.py), starts `congxa serve` on 127.0.0.1
(the real command, in its own process), then saves a change to a post `--saves` times:
half written in place, half written to a temporary file and renamed over the post (how
many editors save). After each save it polls the post's page every 10 ms until the change
is served, and notes when the reload event reached a connected page. Reports the medians
and compares them with a full build of the same unit timed in the same run: `congxa build
--force` of the unit and a plain `mkdocs build` of its `--emit-mkdocs` project (each a new
process, best of 3), and the full render the preview did before, in this process (best
of 3). Target: save to updated page under 0.3 s.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from synth import synthesise

BIN = Path(sys.executable).parent
TODAY = "2026-11-29"
TARGET = 0.3
POLL = 0.01


def timed(cmd: list[str], **kw: object) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; 0 where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode("utf-8"))


def start_server(
    work: Path, unit_file: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [str(BIN / "congxa"), "serve", str(unit_file), "--port", "0", "--today", TODAY],
        cwd=work,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    seen = []
    while True:
        line = process.stderr.readline()
        if not line:
            raise SystemExit("congxa serve stopped:\n" + "".join(seen))
        seen.append(line)
        if "preview at) " in line:
            url = line.split("preview at) ", 1)[1].split(" ", 1)[0]
            break
    # Keep reading the build reports so the pipe never fills.
    threading.Thread(target=lambda: process.stderr and process.stderr.read(), daemon=True).start()
    return process, url


def listen(url: str, events: queue.Queue[float]) -> None:
    """A page's reload stream: put the arrival time of every reload event."""
    host, port = url.split("//", 1)[1].strip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request("GET", "/__congxa/events")
    response = conn.getresponse()
    while True:
        line = response.fp.readline()
        if not line:
            return
        if line.startswith(b"event: reload"):
            events.put(time.perf_counter())


def save(path: Path, text: str, by_rename: bool) -> None:
    if by_rename:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    else:
        path.write_text(text, encoding="utf-8")


def full_render_in_process(work: Path, unit_file: Path) -> tuple[float, float]:
    """What the preview did on every save before: a complete render of the unit (best of 3:
    wall time, CPU time)."""
    from generator.publish.build import render, write_outputs
    from generator.source.project import Project

    project = Project.discover(work, date.fromisoformat(TODAY))
    best, cpu = float("inf"), float("inf")
    for run in range(4):
        start, start_cpu = time.perf_counter(), time.process_time()
        site = project.load_site(unit_file)
        target = work / "inproc" / str(run) / "site"
        render(site, target, project)
        write_outputs(site, target)
        if run:  # the first run pays for imports
            best = min(best, time.perf_counter() - start)
            cpu = min(cpu, time.process_time() - start_cpu)
    return best, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--saves", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="congxa-bench-preview-"))
    unit_file = synthesise(work, 1, args.posts)[0]
    posts = sorted((work / "content").rglob("*.md"))
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}

    process, url = start_server(work, unit_file, env)
    events: queue.Queue[float] = queue.Queue()
    threading.Thread(target=listen, args=(url, events), daemon=True).start()
    updated: dict[bool, list[float]] = {False: [], True: []}
    reloads: list[float] = []
    cpu: list[float] = []
    try:
        time.sleep(0.5)
        while not events.empty():
            events.get()  # the event a page gets on connecting
        for number in range(args.saves):
            post = posts[(number * 7) % len(posts)]
            rel = post.relative_to(work / "content").parts
            page = f"{url}{rel[-2]}/{post.stem}/"
            marker = f"Đã sửa lần {number} lúc {time.time_ns()}"
            text = post.read_text(encoding="utf-8").rstrip("\n") + f"\n\n{marker}\n"
            by_rename = number % 2 == 1
            used = cpu_seconds(process.pid)
            start = time.perf_counter()
            save(post, text, by_rename)
            while marker not in fetch(page):
                if time.perf_counter() - start > 30:
                    raise SystemExit(f"the change never appeared on {page}")
                time.sleep(POLL)
            updated[by_rename].append(time.perf_counter() - start)
            try:
                reloads.append(events.get(timeout=5) - start)
            except queue.Empty:
                raise SystemExit("no reload event after a save") from None
            time.sleep(0.3)  # let the server settle before the next save
            cpu.append(cpu_seconds(process.pid) - used)
    finally:
        process.terminate()
        process.wait(timeout=10)

    out = work / "public"
    congxa_full = min(
        timed(
            [
                str(BIN / "congxa"),
                "build",
                "--today",
                TODAY,
                "--jobs",
                "1",
                "--force",
                str(unit_file),
                "--out",
                str(out),
            ],
            cwd=work,
            env=env,
        )
        for _ in range(3)
    )
    subprocess.run(
        [str(BIN / "congxa"), "build", "--today", TODAY, "--emit-mkdocs", str(work / "mkdocs")],
        cwd=work,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    project_file = next((work / "mkdocs").rglob("mkdocs.yml"))
    mkdocs_full = min(
        timed([str(BIN / "mkdocs"), "build", "-q", "-f", str(project_file)], env=env)
        for _ in range(3)
    )
    in_process, in_process_cpu = full_render_in_process(work, unit_file)

    every = updated[False] + updated[True]
    median = statistics.median(every)
    print(f"preview: 1 unit x {args.posts} posts, {len(every)} saves")
    print(
        f"save -> updated page  median {median:.3f} s (in place {statistics.median(updated[False]):.3f} s, "
        f"by rename {statistics.median(updated[True]):.3f} s; max {max(every):.3f} s)"
    )
    print(f"save -> reload event  median {statistics.median(reloads):.3f} s")
    print(
        f"server CPU per save    median {statistics.median(cpu):.3f} s "
        f"(includes answering the polls)"
    )
    print(
        f"full render in the preview process (before)   {in_process:.3f} s, "
        f"CPU {in_process_cpu:.3f} s (best of 3)"
    )
    print(f"congxa build --force of the unit               {congxa_full:.3f} s (best of 3)")
    print(f"mkdocs build of its --emit-mkdocs project      {mkdocs_full:.3f} s (best of 3)")
    print(
        f"ratio save->updated / mkdocs build {median / mkdocs_full:.2f}, "
        f"/ full render in process {median / in_process:.2f}; "
        f"CPU per save / full render CPU {statistics.median(cpu) / in_process_cpu:.2f}"
    )
    print(
        f"target save -> updated page under {TARGET} s: {'met' if median < TARGET else 'NOT met'}"
    )
    if args.keep:
        print(f"work folder: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
