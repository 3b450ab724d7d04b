"""Building many units: in parallel worker processes, incrementally, one failure isolated.

Each worker imports MkDocs and the theme once and builds many units in-process, each unit
bounded in time (publish/pool.py). A unit is rebuilt only when the fingerprint of its
inputs changed (its stamp, publish/layout.py). One build at a time per output folder: a
second one is refused with a clear message (OutputLock).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import os
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from generator import __version__
from generator.errors import ConfigError, CongxaError, OutputError, Problem
from generator.publish.build import BuildResult, BuildStatus, build_unit, unit_failure
from generator.publish.fingerprint import FileHashes, input_digest
from generator.publish.layout import OutputLayout
from generator.publish.pool import Pool
from generator.source.commune import is_unfinished, unfinished_line
from generator.source.project import Project
from generator.store import collect_garbage, collect_objects

# A unit taking longer than this is stopped (it fails; the others build): a normal unit
# takes a second or two, a very large one well under a minute on a 2-core machine.
UNIT_TIMEOUT_SECONDS = 300.0
# A run that rebuilt this many units walks the whole object store for unused objects (a
# third of a second for the country); a smaller one drops just the objects its replaced
# versions alone used. `--force` always walks it.
FULL_COLLECTION_UNITS = 100


@dataclass
class Summary:
    results: list[BuildResult] = field(default_factory=list)
    seconds: float = 0.0
    unfinished: int = 0  # units whose commune file is still as `congxa init` wrote it
    problems: list[Problem] = field(default_factory=list)  # outside any one unit
    hashed: int = 0  # input files read to fingerprint the units (the others by stat)

    def of(self, status: BuildStatus) -> list[BuildResult]:
        return [r for r in self.results if r.status == status]

    @property
    def failed(self) -> list[BuildResult]:
        return self.of(BuildStatus.FAILED)

    def line(self) -> str:
        built, same, bad = (
            len(self.of(BuildStatus.BUILT)),
            len(self.of(BuildStatus.UNCHANGED)),
            len(self.failed),
        )
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


class OutputLock:
    """One build at a time per output folder: an exclusive lock on `.congxa/lock`.

    The lock belongs to the open file, so the worker processes hold it too: it is free
    again only when the build and every one of its workers are gone (kill -9 included).
    """

    def __init__(self, layout: OutputLayout) -> None:
        self.layout = layout
        self.fd: int | None = None

    def __enter__(self) -> Self:
        path = self.layout.lock_file
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise OutputError(_unwritable(self.layout, exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 100, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise OutputError(
                Problem(
                    f"Một lần dựng khác đang chạy trên thư mục xuất bản {self.layout.root} "
                    f"(another build is running{', PID ' + holder if holder else ''}).",
                    hint="chờ lần dựng đó xong rồi chạy lại; không chạy hai lệnh "
                    "`congxa build` cùng lúc trên một thư mục xuất bản.",
                )
            ) from None
        with contextlib.suppress(OSError):  # the holder's PID only helps the message
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None


def _unwritable(layout: OutputLayout, exc: OSError) -> Problem:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Problem(
            f"Ổ đĩa đầy (disk full: {exc.strerror}): không ghi được vào {layout.root}.",
            hint=f"giải phóng dung lượng trên ổ đĩa chứa {layout.root}, rồi chạy lại.",
        )
    return Problem(
        f"Không ghi được vào thư mục xuất bản {layout.root} (cannot write output: {exc.strerror}).",
        hint="cấp quyền ghi thư mục này cho tài khoản chạy congxa, hoặc chọn thư mục "
        "khác bằng `--out`.",
    )


@dataclass(frozen=True)
class _Job:
    """What a worker needs for one unit (sent over a pipe: keep it small)."""

    unit_file: Path
    digest: str


class _Builder:
    """The worker's side: the project and the layout come with the fork, not per unit."""

    def __init__(self, project: Project, layout: OutputLayout) -> None:
        self.project = project
        self.layout = layout

    def warm_up(self) -> None:
        from generator.site.jinja_cache import configure_bytecode_cache

        try:
            configure_bytecode_cache(self.layout.jinja_cache)
        except OSError:
            pass  # the cache only saves time
        # Import the renderer before the first unit's clock starts.
        import mkdocs.commands.build  # noqa: F401

        import generator.site.config
        import generator.site.feeds
        import generator.site.manifest
        import generator.site.plugin  # noqa: F401

    def build(self, job: _Job) -> BuildResult:
        return build_unit(self.project, job.unit_file, self.layout, job.digest)

    def lost(self, job: _Job, error: Exception) -> BuildResult:
        return BuildResult(
            job.unit_file,
            BuildStatus.FAILED,
            problems=(unit_failure(self.layout, job.unit_file, error),),
        )


def build_many(
    project: Project,
    unit_files: list[Path],
    out: Path,
    *,
    jobs: int | None = None,
    force: bool = False,
    shard: tuple[int, int] | None = None,
    echo: Callable[[str], None] | None = None,
    unit_timeout: float | None = UNIT_TIMEOUT_SECONDS,
) -> Summary:
    """Build every unit in `unit_files`; failures are reported, never fatal to the others.

    Raises OutputError (a CongxaError) when the output folder cannot be used at all:
    another build holds it, or it cannot be written.
    """
    layout = OutputLayout.at(out)
    if shard:
        unit_files = shard_of(unit_files, *shard)
    with OutputLock(layout):
        return _build_locked(project, unit_files, layout, jobs, force, echo, unit_timeout)


def _build_locked(
    project: Project,
    unit_files: list[Path],
    layout: OutputLayout,
    jobs: int | None,
    force: bool,
    echo: Callable[[str], None] | None,
    unit_timeout: float | None,
) -> Summary:
    start = time.monotonic()
    provinces = sorted({f.parent.name for f in unit_files})
    for province in provinces:
        with contextlib.suppress(OSError):  # what cannot be removed is reported when written
            layout.clean_leftovers(province)
    summary = Summary()

    def report(result: BuildResult) -> None:
        summary.results.append(result)
        if echo:
            echo(_progress(result, len(summary.results), len(unit_files) - summary.unfinished))

    hashes = FileHashes(layout.input_hashes, rehash=force)

    def plan() -> Iterator[_Job | None]:
        """Fingerprint every unit here, so unchanged ones never reach a worker; the pool
        reads the jobs as they come, so the first units build while the rest are planned."""
        shared: dict[str, bytes] = {}
        previous = None
        for unit_file in unit_files:
            yield None  # the pool reads finished results between units
            if previous is not None and unit_file.parent.name != previous:
                hashes.release(previous)  # units come province by province
            previous = unit_file.parent.name
            try:
                digest = input_digest(project, unit_file, shared, hashes)
            except Exception as exc:  # noqa: BLE001 (an unreadable input fails its unit only)
                if is_unfinished(unit_file):
                    summary.unfinished += 1
                elif isinstance(exc, CongxaError):
                    report(BuildResult(unit_file, BuildStatus.FAILED, problems=tuple(exc.problems)))
                else:
                    problem = unit_failure(layout, unit_file, exc)
                    report(BuildResult(unit_file, BuildStatus.FAILED, problems=(problem,)))
                continue
            if not force and layout.is_current(unit_file, digest):
                # Built from these very inputs: filled in (a unit file as `congxa init` wrote
                # it is never built), so it is not parsed again here.
                report(BuildResult(unit_file, BuildStatus.UNCHANGED, layout.unit(unit_file)))
            elif is_unfinished(unit_file):  # not filled in yet: skipped quietly
                summary.unfinished += 1
            else:
                yield _Job(unit_file, digest)
        hashes.save()
        summary.hashed = hashes.read

    builder = _Builder(project, layout)
    pool = Pool(
        min(jobs or os.cpu_count() or 1, len(unit_files) or 1),
        builder.build,
        builder.lost,
        timeout=unit_timeout,
        init=builder.warm_up,
    )
    for result in pool.run(plan()):
        report(result)
    summary.results.sort(key=lambda r: str(r.unit_file))

    # Aggregate: province pages, feeds and nginx.conf, whenever a published unit changed
    # since they were last made (a run killed before this step included).
    summary.problems.extend(
        _province_outputs(project, layout, provinces, jobs or os.cpu_count() or 1)
    )
    built = summary.of(BuildStatus.BUILT)
    if built:
        try:
            if force or len(built) >= FULL_COLLECTION_UNITS:
                # A walk of the whole store also finds what killed runs left behind.
                collect_garbage(layout.objects)
            else:
                collect_objects([name for r in built for name in r.garbage])
        except OSError:
            pass  # only space is lost; the next run collects it
    summary.seconds = time.monotonic() - start
    return summary


def _province_outputs(
    project: Project, layout: OutputLayout, provinces: list[str], jobs: int = 1
) -> list[Problem]:
    """Rewrite the outputs of each province whose stamp is out of date, in parallel."""
    settings = f"congxa {__version__}\n{project.province_url}"
    todo = []
    for province in provinces:
        key = layout.province_key(province, settings)
        try:
            if (
                layout.province_stamp(province).read_text().strip() == key
                and (layout.province(province) / "units.json").exists()
            ):
                continue
        except (OSError, UnicodeDecodeError):
            pass
        todo.append((province, key))
    if len(todo) <= 1 or jobs <= 1:
        return [p for task in todo for p in _province_output(project, layout, task)]

    def lost(task: tuple[str, str], error: Exception) -> list[Problem]:
        return [
            Problem(
                f"Tiến trình cập nhật trang, dữ liệu và cấu hình của tỉnh {task[0]} dừng đột "
                f"ngột ({error}). Các trang đơn vị vẫn được xuất bản.",
                hint="chạy lại `congxa build`; nếu lỗi lặp lại, giảm `--jobs`.",
            )
        ]

    pool: Pool[tuple[str, str], list[Problem]] = Pool(
        min(jobs, len(todo)), functools.partial(_province_output, project, layout), lost
    )
    problems = [p for found in pool.run(todo) for p in found]
    return sorted(problems, key=lambda p: p.message)


def _province_output(
    project: Project, layout: OutputLayout, task: tuple[str, str]
) -> list[Problem]:
    from generator.publish.nginx import write_nginx_conf
    from generator.publish.province import write_province_outputs

    province, key = task
    stamp = layout.province_stamp(province)
    try:
        write_province_outputs(project, layout.root, [province])
        write_nginx_conf(project, layout.root, province)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(key + "\n")
    except OSError as exc:
        problem = _unwritable(layout, exc)
        return [
            Problem(
                f"Không cập nhật được trang, dữ liệu và cấu hình của tỉnh {province} "
                f"(province outputs): {problem.message}",
                file=Path(os.fsdecode(exc.filename)) if exc.filename else None,
                hint=problem.hint,
            )
        ]
    except Exception as exc:  # noqa: BLE001 (one province's failure never stops the others)
        log = layout.province_log(province)
        with contextlib.suppress(OSError):
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return [
            Problem(
                f"Lỗi không lường trước khi cập nhật trang, dữ liệu và cấu hình của tỉnh "
                f"{province} (unexpected error: {type(exc).__name__}). Các trang đơn vị "
                f"vẫn được xuất bản. Chi tiết cho nhóm kỹ thuật (log): {log}.",
                hint="gửi tệp nhật ký (log) cho nhóm kỹ thuật của tỉnh.",
            )
        ]
    return []


def _progress(result: BuildResult, done: int, total: int) -> str:
    label = {
        BuildStatus.BUILT: "dựng",
        BuildStatus.UNCHANGED: "không đổi",
        BuildStatus.FAILED: "LỖI",
    }[result.status]
    return (
        f"[{done}/{total}] {label} ({result.status}): {result.unit_file.parent.name}/"
        f"{result.unit_file.stem}"
    )
