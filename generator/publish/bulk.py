"""Building many units: in parallel worker processes, incrementally, one failure isolated.

Each worker imports MkDocs and the theme once and builds many units in-process. A unit is
rebuilt only when the fingerprint of its inputs changed (stored beside the output).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import ConfigError, Problem
from generator.publish.atomic import STATE_DIR, clean_leftovers
from generator.publish.build import BuildResult, build_unit, input_digest, unit_output
from generator.site.jinja_cache import configure_bytecode_cache
from generator.source.commune import split_unfinished, unfinished_line
from generator.source.project import Project
from generator.store import OBJECTS, collect_garbage


@dataclass
class Summary:
    results: list[BuildResult] = field(default_factory=list)
    seconds: float = 0.0
    unfinished: int = 0  # units whose commune file is still as `congxa init` wrote it

    def of(self, status: str) -> list[BuildResult]:
        return [r for r in self.results if r.status == status]

    @property
    def failed(self) -> list[BuildResult]:
        return self.of("failed")

    def line(self) -> str:
        built, same, bad = len(self.of("built")), len(self.of("unchanged")), len(self.failed)
        line = (
            f"Đã dựng {built}, không đổi {same}, lỗi {bad} đơn vị trong {self.seconds:.1f} s "
            f"(built {built}, unchanged {same}, failed {bad}, {self.seconds:.1f} s)."
        )
        return line + ("\n" + unfinished_line(self.unfinished) if self.unfinished else "")


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        k = n = 0
    if not (n >= 1 and 1 <= k <= n):
        raise ConfigError(
            Problem(
                f"--shard {text!r} không hợp lệ (invalid shard).",
                hint="viết K/N với 1 ≤ K ≤ N, ví dụ --shard 2/4.",
            )
        )
    return k, n


def shard_of(unit_files: list[Path], k: int, n: int) -> list[Path]:
    """A deterministic 1/N of the units; a province stays on one shard when there are at
    least as many provinces as shards, else provinces are split by a stable hash."""
    provinces = sorted({p.parent.name for p in unit_files})
    if len(provinces) >= n:
        # Greedy balance of whole provinces by unit count, largest first.
        sizes = {prov: sum(1 for p in unit_files if p.parent.name == prov) for prov in provinces}
        loads = [0] * n
        owner: dict[str, int] = {}
        for prov in sorted(provinces, key=lambda x: (-sizes[x], x)):
            slot = loads.index(min(loads))
            owner[prov] = slot
            loads[slot] += sizes[prov]
        return [p for p in unit_files if owner[p.parent.name] == k - 1]
    return [
        p
        for p in unit_files
        if int(hashlib.sha256(str(p.relative_to(p.parent.parent.parent)).encode()).hexdigest(), 16)
        % n
        == k - 1
    ]


def _stamp(out: Path, unit_file: Path) -> Path:
    return out / unit_file.parent.name / STATE_DIR / "stamps" / f"{unit_file.stem}.sha256"


def is_current(project: Project, unit_file: Path, out: Path, digest: str) -> bool:
    stamp = _stamp(out, unit_file)
    target = unit_output(project, out, unit_file)
    return target.exists() and stamp.is_file() and stamp.read_text().strip() == digest


def _build_one(project: Project, unit_file: Path, out: Path, digest: str) -> BuildResult:
    result = build_unit(project, unit_file, out)
    if result.status == "built":
        stamp = _stamp(out, unit_file)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest + "\n")
    return result


def _worker(args: tuple[Project, list[tuple[Path, str]], Path]) -> list[BuildResult]:
    project, todo, out = args

    configure_bytecode_cache(out / STATE_DIR / "cache" / "jinja")
    return [_build_one(project, f, out, digest) for f, digest in todo]


def build_many(
    project: Project,
    unit_files: list[Path],
    out: Path,
    *,
    jobs: int | None = None,
    force: bool = False,
    shard: tuple[int, int] | None = None,
    echo: Callable[[str], None] | None = None,
) -> Summary:
    """Build every unit in `unit_files`; failures are reported, never fatal to the others."""
    start = time.monotonic()
    out = out.resolve()
    if shard:
        unit_files = shard_of(unit_files, *shard)
    for province in sorted({f.parent.name for f in unit_files}):
        clean_leftovers(out / province)
    summary = Summary()
    unit_files, waiting = split_unfinished(unit_files)  # not filled in yet: skipped quietly
    summary.unfinished = len(waiting)

    # Plan: fingerprint every unit here, so unchanged ones never reach a worker.
    todo: list[tuple[Path, str]] = []
    shared: dict[Path, bytes] = {}
    for unit_file in unit_files:
        digest = input_digest(project, unit_file, shared)
        if not force and is_current(project, unit_file, out, digest):
            summary.results.append(
                BuildResult(unit_file, "unchanged", unit_output(project, out, unit_file))
            )
        else:
            todo.append((unit_file, digest))

    def report(result: BuildResult) -> None:
        summary.results.append(result)
        if echo:
            echo(_progress(result, len(summary.results), len(unit_files)))

    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    if jobs == 1:
        for result in _worker((project, todo, out)):
            report(result)
    else:
        # Batches of a few units per task keep every worker busy and its imports warm.
        batch = max(1, min(8, len(todo) // (jobs * 4) or 1))
        chunks = [todo[i : i + batch] for i in range(0, len(todo), batch)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_worker, (project, chunk, out)) for chunk in chunks]
            for future in as_completed(futures):
                for result in future.result():
                    report(result)
    summary.results.sort(key=lambda r: str(r.unit_file))

    # Aggregate: province pages and feeds, only where something was built or is missing.
    from generator.publish.province import write_province_outputs

    built = {r.unit_file.parent.name for r in summary.of("built")}
    provinces = sorted(
        p
        for p in {f.parent.name for f in unit_files}
        if p in built or not (out / p / "units.json").exists()
    )
    write_province_outputs(project, out, provinces)
    from generator.publish.nginx import write_nginx_conf

    for province in provinces:
        write_nginx_conf(project, out, province)
    if built:
        collect_garbage(out / STATE_DIR / OBJECTS)
    summary.seconds = time.monotonic() - start
    return summary


def _progress(result: BuildResult, done: int, total: int) -> str:
    label = {"built": "dựng", "unchanged": "không đổi", "failed": "LỖI"}[result.status]
    return (
        f"[{done}/{total}] {label} ({result.status}): {result.unit_file.parent.name}/"
        f"{result.unit_file.stem}"
    )
