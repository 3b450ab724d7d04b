"""An audit run: registry + URLs -> crawl -> classify -> store -> report.

Results are stored as they arrive, so a run stopped with Ctrl-C keeps what it checked and
is marked incomplete; the units it did not reach stay in its denominator as `unchecked`.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import sys
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
_QUEUED = 16  # jobs a worker holds beyond its share of `concurrency`, ready to start
_SEND_EVERY = 0.05  # seconds: a worker sends its results at least this often


def choose_workers(asked: int | None, jobs: Sequence[Job], settings: CrawlSettings) -> int:
    """How many crawler processes a run uses.

    Parsing pages and the HTTP client's own work are CPU-bound in Python: on a run with many
    fast sites one process keeps one core busy and leaves the others idle. `asked` (from
    `--workers`) wins; otherwise one process per core (at most 4) once the run has
    PARALLEL_MIN_UNITS units with URLs. Never more processes than `concurrency`, and only
    where forking is safe (Linux): elsewhere the run stays in one process.
    """
    if not sys.platform.startswith("linux"):
        return 1  # forking a process that holds an event loop's libraries is Linux-safe
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


class Dispatcher:
    """Hands jobs to worker processes as they ask, every unit of one host to one worker.

    Jobs go out in the order of `spread_by_host` (the first unit of every host, then the
    second...), so a slow site holds only the slot it uses and every worker keeps busy to
    the end of the run. A host's units all go to the worker that took its first one, so
    `--per-host` still bounds the requests to one server across the whole run. A worker is
    told there is no more (`done`) once no job is left that could go to it.
    """

    def __init__(self, jobs: Sequence[Job], workers: int) -> None:
        self._fresh: deque[Job] = deque()  # the first unit of each host, in order
        self._rest: dict[str, deque[Job]] = {}  # each host's other units
        for job in jobs:
            host = _host(job[1])
            if not host:
                self._fresh.append(job)  # no URL: no host to keep together
            elif host in self._rest:
                self._rest[host].append(job)
            else:
                self._rest[host] = deque()
                self._fresh.append(job)
        self._mine: list[deque[str]] = [deque() for _ in range(workers)]

    def take(self, worker: int, count: int) -> list[Job]:
        """Up to `count` jobs for `worker` (fewer, or none, when none is left for it)."""
        taken: list[Job] = []
        mine = self._mine[worker]
        while len(taken) < count:
            if self._fresh:
                job = self._fresh.popleft()
                host = _host(job[1])
                if host and self._rest.get(host):
                    mine.append(host)
            elif mine:
                host = mine[0]
                job = self._rest[host].popleft()
                mine.rotate(-1)
                if not self._rest[host]:
                    mine.remove(host)
            else:
                break
            taken.append(job)
        return taken

    def done(self, worker: int) -> bool:
        """True when no job is left that may go to `worker`."""
        return not self._fresh and not self._mine[worker]


def crawl_in_processes(
    jobs: Sequence[Job],
    settings: CrawlSettings,
    rules: CheckRules,
    on_result: Callable[[UnitResult], None],
    resolver: AbstractResolver | None,
    workers: int,
) -> None:
    """`crawl_units` over `workers` forked processes, each with its own event loop.

    The parent hands out jobs as results come back (`Dispatcher`): each worker holds at
    most its share of `concurrency` plus a few queued jobs, so `concurrency` still bounds
    the sites checked at once and no worker idles while another has a queue. `on_result`
    (storing, progress) runs here, in the parent, which alone writes the database. The
    per-site guarantees are those of `guarded_check`, unchanged. Ctrl-C reaches the
    parent only (the workers ignore SIGINT): it stops the workers and raises
    KeyboardInterrupt like a one-process run. A worker that dies is an error of the run
    (RuntimeError naming it), never a silent gap.
    """
    if settings.ca_file is not None:
        make_ssl_context(settings.ca_file)  # a bad CA file fails here, as in one process
    share = max(1, settings.concurrency // workers)
    ahead = share + _QUEUED
    dispatcher = Dispatcher(jobs, workers)
    context = multiprocessing.get_context("fork")
    links: dict[Connection, int] = {}
    processes: list[multiprocessing.process.BaseProcess] = []
    running: dict[int, multiprocessing.process.BaseProcess] = {}
    held = [0] * workers  # jobs sent to each worker and not yet answered
    ended = [False] * workers

    def feed(worker: int, link: Connection) -> None:
        batch = dispatcher.take(worker, ahead - held[worker])
        if batch:
            held[worker] += len(batch)
            link.send(batch)
        if not ended[worker] and dispatcher.done(worker):
            ended[worker] = True
            link.send(None)

    try:
        for index in range(workers):
            parent_end, child_end = context.Pipe(duplex=True)
            started = context.Process(
                target=_crawl_fed,
                args=(child_end, replace(settings, concurrency=share), rules, resolver),
                name=f"congxa-audit-{index + 1}",
                daemon=True,
            )
            started.start()
            child_end.close()
            processes.append(started)
            running[index] = started
            links[parent_end] = index
        for link, index in links.items():
            feed(index, link)
        while links:
            for ready in wait(list(links)):
                assert isinstance(ready, Connection)
                index = links[ready]
                try:
                    message = ready.recv()
                except EOFError:
                    message = ("error", "exited before finishing its jobs")
                if isinstance(message, list):
                    held[index] -= len(message)
                    feed(index, ready)
                    for result in message:
                        on_result(result)
                    continue
                del links[ready]
                ready.close()
                finished = running.pop(index)
                if message[0] == "error":
                    raise RuntimeError(f"audit worker {finished.name}: {message[1]}")
    finally:
        for process in running.values():
            process.terminate()  # interrupted or failed: stop the others at once
        for process in processes:
            process.join(5)


def _crawl_fed(
    link: Connection,
    settings: CrawlSettings,
    rules: CheckRules,
    resolver: AbstractResolver | None,
) -> None:
    """A worker process: check the jobs the parent sends, send back the results.

    Messages in: a list of jobs, or None (no more). Out: lists of results, then
    ("done", "") or ("error", detail). Results go back in small batches, at once when the
    worker is running short of jobs (they are what earns it more), and at the latest every
    _SEND_EVERY seconds, so an interrupted run keeps what was checked.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    queue: deque[Job] = deque()
    checked: list[UnitResult] = []
    state = {"ended": False}

    def flush() -> None:
        if checked:
            link.send(checked[:])
            checked.clear()

    async def crawl() -> None:
        loop = asyncio.get_running_loop()
        arrived = asyncio.Event()

        def receive() -> None:
            while link.poll():
                message = link.recv()
                if message is None:
                    state["ended"] = True
                    loop.remove_reader(link.fileno())
                    break
                queue.extend(message)
            arrived.set()

        async def slot(crawler: Crawler) -> None:
            while True:
                if queue:
                    unit, urls = queue.popleft()
                    checked.append(await guarded_check(crawler, unit, urls, rules))
                    if len(checked) >= _QUEUED or len(queue) < _QUEUED:
                        flush()
                elif state["ended"]:
                    return
                else:
                    arrived.clear()
                    await arrived.wait()

        async def tick() -> None:
            while True:
                await asyncio.sleep(_SEND_EVERY)
                flush()

        loop.add_reader(link.fileno(), receive)
        receive()
        ticker = asyncio.create_task(tick())
        try:
            async with Crawler(settings, resolver) as crawler:
                await asyncio.gather(*(slot(crawler) for _ in range(settings.concurrency)))
        finally:
            ticker.cancel()
        flush()

    try:
        asyncio.run(crawl())
        link.send(("done", ""))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
        with contextlib.suppress(OSError):  # the parent may be gone (stopped by Ctrl-C)
            link.send(("error", f"{type(exc).__name__}: {exc}"[:500]))
    finally:
        link.close()
