"""An audit run: registry + URLs -> crawl -> classify -> store -> report.

Results are stored as they arrive, so a run stopped with Ctrl-C keeps what it checked and
is marked incomplete; the units it did not reach stay in its denominator as `unchecked`.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver

from generator import __version__
from generator.audit.classify import audit_profile
from generator.audit.crawl import Crawler, CrawlSettings, make_ssl_context
from generator.audit.indicators import default_year, load_indicators
from generator.audit.probe import CheckRules, check_unit, unit_row
from generator.audit.report import Report, build_report, write_report
from generator.audit.results import AuditStatus, UnitResult
from generator.audit.sources import UrlSource, load_commune_urls, load_urls_csv
from generator.audit.store import Store
from generator.errors import AuditError, Problem
from generator.source.registry import Registry, RegistryUnit, load_registry

Job = tuple[RegistryUnit, list[str]]
_FLUSH_EVERY = 200  # results per database transaction
_BUDGET_GRACE = 1.0  # seconds past a site's budget before its check is cancelled


@dataclass(frozen=True)
class AuditOptions:
    """Everything a run needs; `congxa audit` fills it from its options."""

    registry_csv: Path | None = None
    communes_dir: Path | None = None
    urls_csv: Path | None = None
    province: str | None = None
    db: Path | str = Path("audit.db")
    out: Path | None = None
    year: int | None = None
    stale_days: int = 90
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    # Crawler processes; None lets the run choose (see `choose_workers`).
    workers: int | None = None


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    ok: int
    elapsed: float
    last: UnitResult


@dataclass(frozen=True)
class AuditOutcome:
    run_id: int
    complete: bool
    results: tuple[UnitResult, ...]
    problems: tuple[Problem, ...]  # input problems (bad rows, broken files)
    report: Report
    files: tuple[Path, ...]
    elapsed: float


def select_units(registry: Registry, province: str | None) -> list[RegistryUnit]:
    """The denominator: every unit of the registry, or of one province."""
    if province is None:
        return list(registry.units.values())
    found = registry.province(province)
    if found is None:
        raise AuditError(
            Problem(
                f"Không có tỉnh {province!r} trong danh mục (unknown province).",
                field="--province",
                hint="dùng mã 2 chữ số (01) hoặc tên mã (ha_noi).",
            )
        )
    return registry.units_of(found.code)


def load_sources(options: AuditOptions, registry: Registry) -> UrlSource:
    if options.communes_dir is not None and options.urls_csv is not None:
        raise AuditError("Chỉ dùng một trong --communes và --urls (use one of them).")
    if options.urls_csv is not None:
        return load_urls_csv(options.urls_csv, registry)
    if options.communes_dir is not None:
        return load_commune_urls(options.communes_dir, registry, options.province)
    return UrlSource()


def run_audit(
    options: AuditOptions,
    *,
    progress: Callable[[Progress], None] | None = None,
    resolver: AbstractResolver | None = None,
    now: datetime | None = None,
) -> AuditOutcome:
    """Run one audit end to end and return its outcome (the report is written if `out`)."""
    started = time.monotonic()
    # Load and check everything before the first request: bad setup fails fast.
    registry = load_registry(options.registry_csv)
    units = select_units(registry, options.province)
    source = load_sources(options, registry)
    indicators = load_indicators()
    year = options.year or default_year(indicators)
    rules = CheckRules(audit_profile(), options.stale_days, now or datetime.now(UTC))
    jobs = spread_by_host([(u, source.urls.get(u.code, [])) for u in units])
    first = units[0] if options.province and units else None
    scope = {
        "province": first.province_code if first else None,
        "province_name": first.province_name if first else None,
        "registry": registry.source,
        "source": source.label,
        "units": len(units),
    }
    settings = {**options.crawl.as_dict(), "stale_days": options.stale_days}
    with Store.open(options.db) as store:
        run_id = store.begin_run(
            year=year,
            version=__version__,
            scope=scope,
            settings=settings,
            units=jobs,
            started_at=now,
        )
        workers = choose_workers(options.workers, jobs, options.crawl)
        results, complete = _crawl_and_store(
            store, run_id, jobs, options.crawl, rules, progress, resolver, started, workers
        )
        report = build_report(store, run_id, indicators)
    files = tuple(write_report(report, options.out)) if options.out is not None else ()
    return AuditOutcome(
        run_id, complete, tuple(results), source.problems, report, files, time.monotonic() - started
    )


def _crawl_and_store(
    store: Store,
    run_id: int,
    jobs: list[Job],
    settings: CrawlSettings,
    rules: CheckRules,
    progress: Callable[[Progress], None] | None,
    resolver: AbstractResolver | None,
    started: float,
    workers: int = 1,
) -> tuple[list[UnitResult], bool]:
    results: list[UnitResult] = []
    pending: list[UnitResult] = []
    ok = 0

    def collect(result: UnitResult) -> None:
        nonlocal ok
        results.append(result)
        pending.append(result)
        ok += result.has_page
        if len(pending) >= _FLUSH_EVERY:
            store.add_results(run_id, pending)
            pending.clear()
        if progress is not None:
            progress(Progress(len(results), len(jobs), ok, time.monotonic() - started, result))

    complete = False
    try:
        if workers > 1:
            crawl_in_processes(jobs, settings, rules, collect, resolver, workers)
        else:
            asyncio.run(crawl_units(jobs, settings, rules, collect, resolver))
        complete = True
    except KeyboardInterrupt:
        pass  # keep what was checked; the run is stored as incomplete below
    finally:
        store.add_results(run_id, pending)
        store.finish_run(run_id, complete=complete)
    return results, complete


async def crawl_units(
    jobs: Sequence[Job],
    settings: CrawlSettings,
    rules: CheckRules,
    on_result: Callable[[UnitResult], None],
    resolver: AbstractResolver | None = None,
) -> None:
    """Check every unit with `settings.concurrency` workers sharing one crawler."""
    queue = deque(jobs)

    async def worker(crawler: Crawler) -> None:
        while queue:
            unit, urls = queue.popleft()
            on_result(await guarded_check(crawler, unit, urls, rules))

    async with Crawler(settings, resolver) as crawler:
        count = max(1, min(settings.concurrency, len(jobs)))
        await asyncio.gather(*(worker(crawler) for _ in range(count)))


async def guarded_check(
    crawler: Crawler, unit: RegistryUnit, urls: Sequence[str], rules: CheckRules
) -> UnitResult:
    """`check_unit`, with anything that goes wrong for this site made its finding.

    The site's time budget is enforced here too (a second line behind the crawler's), and
    any exception becomes an `audit_error` result naming it: one hostile site never stops a
    national run.
    """
    budget = crawler.settings.budget
    try:
        async with asyncio.timeout(budget + _BUDGET_GRACE):
            return await check_unit(crawler, unit, urls, rules)
    except TimeoutError:
        status, detail = AuditStatus.TIMEOUT, f"the site's time budget of {budget:g} s is spent"
    except Exception as exc:  # noqa: BLE001 - isolated to this site by design
        status = AuditStatus.AUDIT_ERROR
        detail = f"audit error {type(exc).__name__}: {exc}"[:300]
    return replace(
        unit_row(unit),
        status=status,
        url=urls[0] if urls else "",
        final_url=urls[0] if urls else "",
        detail=detail,
        elapsed=round(budget, 3),
        checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def spread_by_host(jobs: list[Job]) -> list[Job]:
    """Interleave units by host so that units sharing a portal do not queue on its limit."""
    groups: dict[str, deque[Job]] = defaultdict(deque)
    for job in jobs:
        groups[_host(job[1])].append(job)
    spread: list[Job] = []
    while groups:
        for host in list(groups):
            spread.append(groups[host].popleft())
            if not groups[host]:
                del groups[host]
    return spread


def _host(urls: list[str]) -> str:
    try:
        return (urlsplit(urls[0]).hostname or "") if urls else ""
    except ValueError:
        return ""


# -- several crawler processes ----------------------------------------------------------
# Below this many units with URLs, one process is quicker than starting others.
PARALLEL_MIN_UNITS = 200
_MAX_WORKERS = 4
_BATCH = 32  # results per message from a worker process
_SEND_EVERY = 0.1  # seconds: a worker sends what it has at least this often


def choose_workers(asked: int | None, jobs: Sequence[Job], settings: CrawlSettings) -> int:
    """How many crawler processes a run uses.

    Parsing pages and the HTTP client's own work are CPU-bound in Python: on a run with many
    fast sites one process keeps one core busy and leaves the others idle. `asked` (from
    `--workers`) wins; otherwise one process per core (at most 4) once the run has
    PARALLEL_MIN_UNITS units with URLs. Never more processes than `concurrency`, and only
    where processes can be forked (Linux): elsewhere the run stays in one process.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if asked is None:
        if sum(1 for _unit, urls in jobs if urls) < PARALLEL_MIN_UNITS:
            return 1
        asked = min(_cores(), _MAX_WORKERS)
    return max(1, min(asked, settings.concurrency, len(jobs)))


def _cores() -> int:
    """The cores this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def shard_by_host(jobs: Sequence[Job], count: int) -> list[list[Job]]:
    """Split the jobs into `count` shards, every unit of one host in the same shard.

    A host's units stay together so that `--per-host` still bounds the requests to one
    server across the whole run; each new host goes to the shard with the fewest jobs, so
    the split is balanced and depends only on the order of the jobs (deterministic).
    """
    shards: list[list[Job]] = [[] for _ in range(count)]
    home: dict[str, int] = {}
    for job in jobs:
        host = _host(job[1])
        index = home.get(host) if host else None
        if index is None:
            index = min(range(count), key=lambda i: len(shards[i]))
            if host:
                home[host] = index
        shards[index].append(job)
    return [shard for shard in shards if shard]


def crawl_in_processes(
    jobs: Sequence[Job],
    settings: CrawlSettings,
    rules: CheckRules,
    on_result: Callable[[UnitResult], None],
    resolver: AbstractResolver | None,
    workers: int,
) -> None:
    """`crawl_units` over `workers` forked processes, each with its own event loop.

    Every worker checks its shard with its share of `concurrency` and sends the results
    back in batches; `on_result` (storing, progress) runs here, in the parent, which alone
    writes the database. The per-site guarantees are those of `guarded_check`, unchanged.
    Ctrl-C reaches the parent only (the workers ignore SIGINT): it stops the workers and
    raises KeyboardInterrupt like a one-process run. A worker that dies without finishing
    its shard is an error of the run (RuntimeError naming it), never a silent gap.
    """
    if settings.ca_file is not None:
        make_ssl_context(settings.ca_file)  # a bad CA file fails here, as in one process
    shards = shard_by_host(jobs, workers)
    share = replace(settings, concurrency=max(1, settings.concurrency // len(shards)))
    context = multiprocessing.get_context("fork")
    readers: dict[Connection, multiprocessing.process.BaseProcess] = {}
    processes: list[multiprocessing.process.BaseProcess] = []
    try:
        for index, shard in enumerate(shards):
            reader, writer = context.Pipe(duplex=False)
            started = context.Process(
                target=_crawl_shard,
                args=(shard, share, rules, resolver, writer),
                name=f"congxa-audit-{index + 1}",
                daemon=True,
            )
            started.start()
            processes.append(started)
            writer.close()
            readers[reader] = started
        while readers:
            for ready in wait(list(readers)):
                assert isinstance(ready, Connection)
                try:
                    message = ready.recv()
                except EOFError:
                    message = ("error", "exited without finishing its shard")
                if isinstance(message, list):
                    for result in message:
                        on_result(result)
                    continue
                finished = readers.pop(ready)
                ready.close()
                if message[0] == "error":
                    raise RuntimeError(f"audit worker {finished.name}: {message[1]}")
    finally:
        for process in readers.values():
            process.terminate()  # interrupted or failed: stop the others at once
        for process in processes:
            process.join(5)


def _crawl_shard(
    shard: list[Job],
    settings: CrawlSettings,
    rules: CheckRules,
    resolver: AbstractResolver | None,
    writer: Connection,
) -> None:
    """A worker process: crawl one shard, send results in batches, then ("done", "").

    A batch goes when it is full or at the latest every _SEND_EVERY seconds, so that the
    parent stores results as they arrive and an interrupted run keeps them.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    batch: list[UnitResult] = []

    def flush() -> None:
        if batch:
            writer.send(batch[:])
            batch.clear()

    def collect(result: UnitResult) -> None:
        batch.append(result)
        if len(batch) >= _BATCH:
            flush()

    async def crawl() -> None:
        async def tick() -> None:
            while True:
                await asyncio.sleep(_SEND_EVERY)
                flush()

        ticker = asyncio.create_task(tick())
        try:
            await crawl_units(shard, settings, rules, collect, resolver)
        finally:
            ticker.cancel()

    try:
        asyncio.run(crawl())
        flush()
        writer.send(("done", ""))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
        writer.send(("error", f"{type(exc).__name__}: {exc}"[:500]))
    finally:
        writer.close()
