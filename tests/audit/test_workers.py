"""The crawl split across worker processes gives the same results as one process.

Real forked processes against the loopback farm: statuses, details and activity are those
of a one-process run; Ctrl-C, a bad CA file and a worker that dies behave as documented.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from generator.audit.crawl import CrawlSettings
from generator.audit.results import UnitResult
from generator.audit.run import (
    PARALLEL_MIN_UNITS,
    AuditOptions,
    AuditOutcome,
    Dispatcher,
    choose_workers,
    run_audit,
    spread_by_host,
)
from generator.audit.store import Store
from generator.errors import AuditError
from generator.source.registry import RegistryUnit

from .conftest import Case, farm_settings

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="worker processes are forked on Linux only"
)
NOW = datetime(2026, 11, 29, 3, tzinfo=UTC)


def _run(folder: Path, farm_files: dict[str, Path], workers: int, **crawl: object) -> AuditOutcome:
    options = AuditOptions(
        registry_csv=farm_files["registry"],
        urls_csv=farm_files["urls"],
        db=folder / f"audit-{workers}.db",
        out=folder / f"out-{workers}",
        year=2025,
        crawl=farm_settings(farm_files["ca"], **crawl),
        workers=workers,
    )
    return run_audit(options, now=NOW)


def _comparable(result: UnitResult) -> UnitResult:
    """A result without what depends on the clock (time spent, time of the check)."""
    return replace(result, elapsed=0.0, checked_at="")


def _by_code(outcome: AuditOutcome) -> dict[str, UnitResult]:
    return {r.code: _comparable(r) for r in outcome.results}


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, farm_files: dict[str, Path]
) -> tuple[AuditOutcome, AuditOutcome]:
    folder = tmp_path_factory.mktemp("workers")
    return _run(folder, farm_files, 1), _run(folder, farm_files, 3)


def test_several_processes_give_the_results_of_one(
    both: tuple[AuditOutcome, AuditOutcome], cases: list[Case]
) -> None:
    one, several = both
    assert one.complete and several.complete
    assert sorted(_by_code(several)) == sorted(c.code for c in cases)
    assert _by_code(several) == _by_code(one)


def test_every_case_keeps_its_status_with_several_processes(
    both: tuple[AuditOutcome, AuditOutcome], cases: list[Case]
) -> None:
    results = _by_code(both[1])
    got = {c.code: (c.name, results[c.code].status) for c in cases}
    assert got == {c.code: (c.name, c.status) for c in cases}


def test_the_report_is_the_same_with_several_processes(
    both: tuple[AuditOutcome, AuditOutcome],
) -> None:
    one, several = both
    assert several.report.rows == one.report.rows
    csv_one = next(p for p in one.files if p.name == "results.csv").read_text(encoding="utf-8")
    csv_several = next(p for p in several.files if p.name == "results.csv")
    # Times and check times differ between runs; everything else is identical.
    strip = [line.split(",")[:8] for line in csv_one.splitlines()]
    assert [line.split(",")[:8] for line in csv_several.read_text("utf-8").splitlines()] == strip


def test_a_bad_ca_file_fails_before_any_worker_starts(
    tmp_path: Path, farm_files: dict[str, Path]
) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate", encoding="utf-8")
    options = AuditOptions(
        registry_csv=farm_files["registry"],
        urls_csv=farm_files["urls"],
        db=tmp_path / "audit.db",
        crawl=farm_settings(bad),
        workers=2,
    )
    with pytest.raises(AuditError, match="CA"):
        run_audit(options)
    assert multiprocessing.active_children() == []


class _DyingResolver(AbstractResolver):
    """Kills the worker process that asks it anything (a crash no site can cause)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        os._exit(3)

    async def close(self) -> None:
        pass


def test_a_worker_that_dies_is_an_error_of_the_run_not_a_gap(
    tmp_path: Path, farm_files: dict[str, Path]
) -> None:
    options = AuditOptions(
        registry_csv=farm_files["registry"],
        urls_csv=farm_files["urls"],
        db=tmp_path / "audit.db",
        crawl=farm_settings(farm_files["ca"]),
        workers=2,
    )
    with pytest.raises(RuntimeError, match="audit worker congxa-audit-"):
        run_audit(options, resolver=_DyingResolver())
    assert multiprocessing.active_children() == []
    with Store.open(tmp_path / "audit.db") as store:
        (run,) = store.runs()
    assert not run.complete


def _job(code: str, url: str | None) -> tuple[RegistryUnit, list[str]]:
    unit = RegistryUnit(code, "Xã " + code, "xã", "01", "HN", "x", "hn")
    return unit, [url] if url else []


def test_the_dispatcher_keeps_a_host_with_one_worker_and_hands_out_every_job() -> None:
    jobs = [_job(str(i), f"https://h{i % 7}.vn/{i}" if i % 5 else None) for i in range(100)]
    dispatcher = Dispatcher(spread_by_host(jobs), 3)
    given: list[list[str]] = [[], [], []]
    homes: dict[str, set[int]] = {}
    worker = 0
    while not all(dispatcher.done(w) for w in range(3)):
        for unit, urls in dispatcher.take(worker, 2):
            given[worker].append(unit.code)
            if urls:
                homes.setdefault(urls[0].split("/")[2], set()).add(worker)
        worker = (worker + 1) % 3
    assert sorted(c for codes in given for c in codes) == sorted(str(i) for i in range(100))
    assert all(len(found) == 1 for found in homes.values())  # one host, one worker
    assert all(dispatcher.take(w, 5) == [] for w in range(3))


def test_the_dispatcher_sends_the_first_unit_of_every_host_first() -> None:
    jobs = [_job("1", "https://a/1"), _job("2", "https://a/2"), _job("3", "https://b/")]
    dispatcher = Dispatcher(spread_by_host(jobs), 2)
    assert [u.code for u, _ in dispatcher.take(0, 1)] == ["1"]
    assert [u.code for u, _ in dispatcher.take(1, 5)] == ["3"]  # a's units stay with 0
    assert dispatcher.done(1) and not dispatcher.done(0)
    assert [u.code for u, _ in dispatcher.take(0, 5)] == ["2"]
    assert dispatcher.done(0)


def test_one_process_for_small_runs_one_per_core_for_big_ones() -> None:
    settings = CrawlSettings(concurrency=64)
    small = [_job(str(i), f"https://h{i}.vn/") for i in range(PARALLEL_MIN_UNITS - 1)]
    # Units without a URL cost nothing to check: they do not count.
    small += [_job(f"n{i}", None) for i in range(1000)]
    assert choose_workers(None, small, settings) == 1
    big = [_job(str(i), f"https://h{i}.vn/") for i in range(PARALLEL_MIN_UNITS)]
    assert choose_workers(None, big, settings) == min(len(os.sched_getaffinity(0)), 4)
    assert choose_workers(3, small, settings) == 3  # asked for: given
    assert choose_workers(8, big, CrawlSettings(concurrency=2)) == 2  # never above concurrency
