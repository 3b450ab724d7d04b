"""Audit history in SQLite: numbered migrations, one row per run, nothing overwritten."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from generator.audit import store as store_module
from generator.audit.results import UnitResult
from generator.audit.store import Store
from generator.errors import AuditError
from generator.source.registry import RegistryUnit

UNITS = [
    RegistryUnit(
        "00070", "Phường Hoàn Kiếm", "phường", "01", "Hà Nội", "phuong_hoan_kiem", "ha_noi"
    ),
    RegistryUnit("00073", "Xã Gia Lâm", "xã", "01", "Hà Nội", "xa_gia_lam", "ha_noi"),
]


def _result(unit: RegistryUnit, status: str, **extra: object) -> UnitResult:
    return UnitResult(
        unit.code,
        unit.name,
        unit.type,
        unit.type_id,
        unit.province_code,
        unit.province_name,
        status,
        **extra,
    )  # type: ignore[arg-type]


def _run(store: Store, statuses: list[str], complete: bool = True) -> int:
    run_id = store.begin_run(
        year=2025,
        version="0.1.0",
        scope={"province": None},
        settings={"timeout": 1},
        units=[(u, ["https://x/"]) for u in UNITS],
    )
    store.add_results(run_id, [_result(u, s) for u, s in zip(UNITS, statuses)])
    store.finish_run(run_id, complete=complete)
    return run_id


def test_migrations_are_numbered_and_recorded(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    last = store_module.MIGRATIONS[-1][0]
    with Store.open(db) as store:
        assert store.schema_version() == last
    with Store.open(db) as store:  # reopening applies nothing twice
        assert store.schema_version() == last
    rows = sqlite3.connect(db).execute("SELECT version, name FROM schema_migrations").fetchall()
    assert rows == [(v, name) for v, name, _script in store_module.MIGRATIONS]
    assert [v for v, _name in rows] == list(range(1, last + 1))


def test_a_failing_migration_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = store_module.MIGRATIONS[-1][0]
    broken = (
        *store_module.MIGRATIONS,
        (last + 1, "broken", "CREATE TABLE extra (a); SELECT nope FROM x"),
    )
    monkeypatch.setattr(store_module, "MIGRATIONS", broken)
    db = tmp_path / "audit.db"
    with pytest.raises(AuditError):
        Store.open(db)
    con = sqlite3.connect(db)
    assert con.execute("SELECT MAX(version) FROM schema_migrations").fetchone() == (last,)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "extra" not in tables


def test_two_runs_are_two_rows_and_results_round_trip() -> None:
    with Store.open(":memory:") as store:
        first = _run(store, ["ok", "timeout"])
        second = _run(store, ["ok", "ok"])
        runs = store.runs()
        assert [r.id for r in runs] == [first, second]
        assert all(r.complete and r.units == 2 and r.checked == 2 for r in runs)
        assert [r.status for r in store.results(first)] == ["ok", "timeout"]
        assert [r.status for r in store.results(second)] == ["ok", "ok"]


def test_flags_and_lists_round_trip() -> None:
    with Store.open(":memory:") as store:
        run_id = store.begin_run(
            year=2025,
            version="x",
            scope={},
            settings={},
            units=[(UNITS[0], ["https://a/", "https://b/"])],
        )
        original = _result(
            UNITS[0],
            "ok",
            url="https://b/",
            final_url="https://b/home",
            http_status=200,
            stale=False,
            conformant=True,
            congxa=True,
            missing=("lien-he",),
            newest="2026-11-20T08:30:00+07:00",
            elapsed=0.25,
            checked_at="2026-11-29T00:00:00+00:00",
            detail="d",
        )
        store.add_results(run_id, [original])
        assert store.results(run_id) == [original]


def test_an_interrupted_run_keeps_its_denominator() -> None:
    with Store.open(":memory:") as store:
        run_id = store.begin_run(
            year=2025, version="x", scope={}, settings={}, units=[(u, []) for u in UNITS]
        )
        store.add_results(run_id, [_result(UNITS[0], "ok")])
        store.finish_run(run_id, complete=False)
        (run,) = store.runs()
        assert (run.complete, run.units, run.checked) == (False, 2, 1)
        assert [r.status for r in store.results(run_id)] == ["ok", "unchecked"]


def test_unreadable_databases_are_clear_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AuditError) as caught:
        Store.open(junk)
    assert caught.value.problems[0].file == junk
    with pytest.raises(AuditError) as missing:
        Store.open(tmp_path / "none.db", create=False)
    assert "not found" in missing.value.problems[0].message
    newer = tmp_path / "newer.db"
    Store.open(newer).close()
    sqlite3.connect(newer, isolation_level=None).execute(
        "INSERT INTO schema_migrations VALUES (99, 'future', 'x')"
    )
    with pytest.raises(AuditError) as future:
        Store.open(newer)
    assert f"99 > {store_module.MIGRATIONS[-1][0]}" in future.value.problems[0].message
