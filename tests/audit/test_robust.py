"""The audit's own data under stress: damaged rows, concurrent first use, a site that raises."""

from __future__ import annotations

import asyncio
import csv
import multiprocessing
import sqlite3
from multiprocessing.synchronize import Barrier
from pathlib import Path

from generator.audit.classify import AuditProfile
from generator.audit.probe import CheckRules
from generator.audit.report import csv_cell
from generator.audit.results import AuditStatus, UnitResult
from generator.audit.run import crawl_units
from generator.audit.store import MIGRATIONS, Store

from . import farm as f
from .conftest import farm_settings
from .test_commands import invoke
from .test_store import UNITS, _run


def _damage(db: Path) -> None:
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE runs SET scope = '{broken', settings = '[1]', year = 'hai nghìn'")
        con.execute(
            "UPDATE results SET missing = 'not json', stale = 7, elapsed = 'slow', "
            "http_status = 'abc', status = '=HACK()', newest = 12 WHERE code = '00070'"
        )
        con.execute("UPDATE units SET urls = '{' WHERE code = '00073'")
    con.close()


def test_report_survives_hand_edited_rows(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    with Store.open(db) as store:
        _run(store, ["ok", "timeout"])
    _damage(db)
    out = tmp_path / "out"
    result = invoke("report", "--db", str(db), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "Dòng hỏng trong cơ sở dữ liệu (damaged row), lần kiểm tra (run) 1" in result.output
    for column in ("scope", "settings", "year", "missing", "stale", "elapsed", "status", "urls"):
        assert f"cột (column) {column}:" in result.output, column
    assert sorted(p.name for p in out.iterdir()) == [
        "index.html",
        "indicators.csv",
        "indicators.json",
        "results.csv",
    ]
    with (out / "results.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["code"]: row for row in csv.DictReader(handle)}
    assert rows["00070"]["status"] == "'=HACK()" and rows["00070"]["has_page"] == "0"
    assert rows["00073"]["status"] == "timeout"
    assert "=HACK()" in (out / "index.html").read_text(encoding="utf-8")


def _open_at_once(db: str, barrier: Barrier) -> None:
    barrier.wait()
    with Store.open(db) as store:
        _run(store, ["ok", "ok"])


def test_migrations_are_safe_when_processes_open_a_new_database_at_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = 6
    for attempt in range(3):
        db = str(tmp_path / f"audit{attempt}.db")
        barrier = context.Barrier(workers)
        processes = [
            context.Process(target=_open_at_once, args=(db, barrier)) for _ in range(workers)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=60)
        assert [p.exitcode for p in processes] == [0] * workers
        con = sqlite3.connect(db)
        versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations")]
        assert versions == [m[0] for m in MIGRATIONS]
        assert con.execute("SELECT COUNT(*) FROM runs").fetchone() == (workers,)
        con.close()


def test_an_exception_in_one_sites_check_is_that_sites_finding(
    farm: f.Farm, farm_files: dict[str, Path]
) -> None:
    other = farm.add("raising", f.handmade_site("Phường Ba Đình"))
    # A profile whose markers are not a list makes the "why not this unit" step raise
    # TypeError: the site reaching it fails alone, the others get their own status.
    broken = AuditProfile("x", (), ("phuong",), None)  # type: ignore[arg-type]
    rules = CheckRules(broken, 90, f.days_ago(0))
    jobs = [(UNITS[0], [farm.url(other)]), (UNITS[1], [])]
    results: list[UnitResult] = []
    settings = farm_settings(farm_files["ca"])
    asyncio.run(crawl_units(jobs, settings, rules, results.append))
    by_code = {r.code: r for r in results}
    assert by_code["00070"].status == AuditStatus.AUDIT_ERROR
    assert by_code["00070"].detail.startswith("audit error TypeError")
    assert by_code["00073"].status == AuditStatus.NO_URL


def test_csv_cells_are_neutralised() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(text) == "'" + text
    for value in ("Xã A", "https://x.vn/", 12, -1.5, None, ""):
        assert csv_cell(value) == value
