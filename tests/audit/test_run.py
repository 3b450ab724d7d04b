"""The audit end to end against the farm: every case gets its status; Ctrl-C keeps a partial run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from generator.audit.results import UnitResult
from generator.audit.run import AuditOptions, AuditOutcome, Progress, run_audit, spread_by_host
from generator.audit.store import Store
from generator.source.registry import RegistryUnit

from .conftest import Case, farm_settings


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory, farm_files: dict[str, Path]) -> AuditOutcome:
    folder = tmp_path_factory.mktemp("run")
    options = AuditOptions(
        registry_csv=farm_files["registry"],
        urls_csv=farm_files["urls"],
        db=folder / "audit.db",
        out=folder / "out",
        year=2025,
        crawl=farm_settings(farm_files["ca"]),
    )
    return run_audit(options)


def _by_code(outcome: AuditOutcome) -> dict[str, UnitResult]:
    return {r.code: r for r in outcome.results}


def test_every_unit_of_the_registry_has_one_result(
    outcome: AuditOutcome, cases: list[Case]
) -> None:
    assert outcome.complete
    assert sorted(r.code for r in outcome.results) == sorted(c.code for c in cases)
    assert outcome.problems == ()


@pytest.mark.parametrize("index", range(22))
def test_case_status(outcome: AuditOutcome, cases: list[Case], index: int) -> None:
    case = cases[index]
    result = _by_code(outcome)[case.code]
    assert (case.name, result.status) == (case.name, case.status), result.detail
    if case.status == "ok":
        assert result.stale is case.stale, result.newest
        assert result.conformant is case.conformant, result.missing


def test_details_explain_the_cause(outcome: AuditOutcome) -> None:
    results = _by_code(outcome)
    assert results["00072"].http_status == 404
    assert results["00073"].detail == "HTTP 500"
    assert "after 2 tries" in results["00074"].detail
    assert "after 2 tries" in results["00075"].detail
    assert results["00076"].detail == "more than 10 redirects"
    assert results["00077"].detail == "parked domain"
    assert results["00077"].final_url.endswith("/lander")
    assert results["00078"].detail == "web server default page (nginx)"
    assert results["00079"].detail.startswith("title 'Trang thông tin điện tử Phường Ba Đình'")
    assert results["00081"].detail.startswith("body cut at 2097152 bytes")
    assert results["00082"].detail == "site.json is for unit 00070, not 00082"
    assert results["00083"].missing == ("du-an-dau-tu", "lay-y-kien")
    assert "--no-dns" in results["00085"].detail
    assert results["00086"].url.startswith("http://second.")
    assert results["00070"].congxa and not results["00071"].congxa


def test_the_run_is_stored_and_reported(outcome: AuditOutcome) -> None:
    assert [p.name for p in outcome.files] == [
        "results.csv",
        "indicators.csv",
        "indicators.json",
        "index.html",
    ]
    rows = {(r.indicator, r.scope): r for r in outcome.report.rows}
    # 1.3: phường + thị trấn = 00070 ok, 00071 ok, 00079 no, 00080 ok, 06997 no -> 3/5
    assert (rows["1.3", "national"].with_page, rows["1.3", "national"].units) == (3, 5)
    assert rows["1.3", "national"].percent == 60.0
    assert rows["dac-khu", "national"].percent == 100.0


def test_requests_name_congxa(farm_files: dict[str, Path], outcome: AuditOutcome, farm) -> None:  # type: ignore[no-untyped-def]
    assert farm.user_agents and all(ua.startswith("congxa-audit/") for ua in farm.user_agents)


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_keeps_what_was_checked(
    tmp_path: Path, farm_files: dict[str, Path], workers: int
) -> None:
    """Ctrl-C in one process or with worker processes: what was checked is stored, the
    rest is `unchecked`, the run is incomplete and no worker is left."""
    import multiprocessing

    seen: list[Progress] = []

    def interrupt(progress: Progress) -> None:
        seen.append(progress)
        if progress.done == 3:
            raise KeyboardInterrupt

    db = tmp_path / "audit.db"
    options = AuditOptions(
        registry_csv=farm_files["registry"],
        urls_csv=farm_files["urls"],
        db=db,
        crawl=farm_settings(farm_files["ca"], concurrency=workers),
        workers=workers,
    )
    outcome = run_audit(options, progress=interrupt)
    assert not outcome.complete
    assert len(outcome.results) == 3
    assert multiprocessing.active_children() == []
    with Store.open(db) as store:
        (run,) = store.runs()
        stored = store.results(run.id)
    assert not run.complete and run.finished_at is not None
    assert (run.units, run.checked) == (22, 3)
    assert sum(r.status == "unchecked" for r in stored) == 19
    assert outcome.report.rows[0].unchecked > 0
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM results").fetchone() == (3,)


def test_units_sharing_a_host_are_spread_out() -> None:
    def job(code: str, url: str) -> tuple[RegistryUnit, list[str]]:
        unit = RegistryUnit(code, "Xã " + code, "xã", "01", "HN", "x", "hn")
        return unit, [url]

    jobs = [
        job("1", "https://a/1"),
        job("2", "https://a/2"),
        job("3", "https://b/"),
        job("4", "https://a/3"),
    ]
    assert [u.code for u, _ in spread_by_host(jobs)] == ["1", "3", "2", "4"]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_real_ctrl_c_stores_a_partial_run(
    tmp_path: Path,
    farm,
    farm_files: dict[str, Path],  # type: ignore[no-untyped-def]
    cases: list[Case],
    workers: int,
) -> None:
    """SIGINT to the process group of a running `congxa audit` (what a terminal sends), in
    one process or with worker processes: exit 1, the run stored and marked incomplete,
    and no process of the group left behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from . import farm as f

    slow = farm.add(f"ctrl-c-{workers}", f.slow_site("Xã Chậm", 0.3))
    urls = tmp_path / "urls.csv"
    urls.write_text(
        "code,url\n" + "".join(f"{c.code},{farm.url(slow)}\n" for c in cases), encoding="utf-8"
    )
    db = tmp_path / "audit.db"
    repo = Path(__file__).resolve().parents[2]
    command = [
        sys.executable,
        "-c",
        "from generator.audit.commands import audit_command as c; c()",
        *("--urls", str(urls), "--db", str(db), "--registry", str(farm_files["registry"])),
        *("--concurrency", "2", "--workers", str(workers), "--timeout", "2"),
        *("--resolve", "*.farm.test:127.0.0.1", "--no-dns", "--allow-private"),
    ]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    process = subprocess.Popen(
        command,
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # wait until the run row exists, then a bit more
        if db.exists() and _runs(db):
            break
        time.sleep(0.05)
    time.sleep(0.8)  # some sites checked (0.3 s each, two at a time), most not
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 1, err
    assert "Traceback" not in err and "interrupted, partial run stored" in err
    assert "CHƯA XONG (incomplete)" in out
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no worker outlived the run
    with Store.open(db) as store:
        (run,) = store.runs()
    assert not run.complete and 1 <= run.checked < 22


def _runs(db: Path) -> int:
    try:
        return int(sqlite3.connect(db).execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0
