"""Audit history in SQLite: one row per run, its units (the denominator) and their results.

Migrations are numbered and recorded in `schema_migrations`, each applied in its own
transaction. Runs are only ever added: re-running an audit never overwrites a past run.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from generator.audit.activity import Activity, EssentialItem
from generator.audit.results import UNCHECKED, UnitResult
from generator.errors import AuditError, Problem
from generator.source.registry import RegistryUnit

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "runs, units and results",
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            complete INTEGER NOT NULL DEFAULT 0,
            version TEXT NOT NULL,
            year INTEGER NOT NULL,
            scope TEXT NOT NULL,
            settings TEXT NOT NULL
        );
        CREATE TABLE units (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            type_id TEXT NOT NULL,
            province_code TEXT NOT NULL,
            province_name TEXT NOT NULL,
            urls TEXT NOT NULL,
            PRIMARY KEY (run_id, code)
        );
        CREATE TABLE results (
            run_id INTEGER NOT NULL,
            code TEXT NOT NULL,
            status TEXT NOT NULL,
            url TEXT NOT NULL,
            final_url TEXT NOT NULL,
            http_status INTEGER,
            detail TEXT NOT NULL,
            stale INTEGER,
            conformant INTEGER,
            newest TEXT NOT NULL,
            congxa INTEGER NOT NULL,
            missing TEXT NOT NULL,
            elapsed REAL NOT NULL,
            checked_at TEXT NOT NULL,
            PRIMARY KEY (run_id, code),
            FOREIGN KEY (run_id, code) REFERENCES units(run_id, code)
        );
        """,
    ),
    (
        2,
        "index results by status",
        "CREATE INDEX results_status ON results(run_id, status);",
    ),
    (
        3,
        "activity of each unit and its essential items",
        """
        CREATE TABLE activity (
            run_id INTEGER NOT NULL,
            code TEXT NOT NULL,
            source TEXT NOT NULL,
            last_post TEXT NOT NULL,
            posts_30 INTEGER,
            posts_90 INTEGER,
            posts_365 INTEGER,
            exact INTEGER NOT NULL,
            sections TEXT NOT NULL,
            empty TEXT NOT NULL,
            PRIMARY KEY (run_id, code),
            FOREIGN KEY (run_id, code) REFERENCES units(run_id, code)
        );
        CREATE TABLE essential_items (
            run_id INTEGER NOT NULL,
            code TEXT NOT NULL,
            guid TEXT NOT NULL,
            published TEXT NOT NULL,
            category TEXT NOT NULL,
            priority TEXT NOT NULL,
            title TEXT NOT NULL,
            PRIMARY KEY (run_id, code, guid),
            FOREIGN KEY (run_id, code) REFERENCES units(run_id, code)
        );
        CREATE INDEX essential_items_unit ON essential_items(code, guid);
        """,
    ),
)


@dataclass(frozen=True)
class RunRecord:
    id: int
    started_at: str
    finished_at: str | None
    complete: bool
    version: str
    year: int
    scope: dict[str, Any]
    settings: dict[str, Any]
    units: int
    checked: int


class Store:
    """A connection to an audit database. Use `Store.open(path)` as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True) -> Store:
        """Open (and migrate) the database; ":memory:" gives a private in-memory one."""
        name = str(path)
        if not create and name != ":memory:" and not Path(name).is_file():
            raise AuditError(
                Problem(
                    "Không tìm thấy cơ sở dữ liệu kiểm tra (audit database not found).",
                    file=Path(name),
                    hint="chạy `congxa audit --db FILE` trước, hoặc sửa đường dẫn --db.",
                )
            )
        try:
            connection = sqlite3.connect(name, isolation_level=None)
            connection.execute("PRAGMA foreign_keys = ON")
            store = cls(connection, name)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise _db_error(name, exc) from exc
        return store

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # Autocommit mode plus explicit BEGIN: DDL in migrations is transactional too.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = self.schema_version()
        known = MIGRATIONS[-1][0]
        if current > known:
            raise AuditError(
                Problem(
                    f"Cơ sở dữ liệu do bản congxa mới hơn tạo (schema {current} > {known}).",
                    file=Path(self.path),
                    hint="cập nhật congxa, hoặc dùng một tệp --db khác.",
                )
            )
        for version, name, script in MIGRATIONS:
            if version <= current:
                continue
            with self._transaction() as db:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, _now())
                )

    def schema_version(self) -> int:
        row = self._db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def begin_run(
        self,
        *,
        year: int,
        version: str,
        scope: dict[str, Any],
        settings: dict[str, Any],
        units: Sequence[tuple[RegistryUnit, Sequence[str]]],
        started_at: datetime | None = None,
    ) -> int:
        """Record a new run and its denominator (every unit in scope with its URLs).

        `started_at`: the moment the run judges "now" by, when not the clock's.
        """
        with self._guard(), self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (started_at, version, year, scope, settings) VALUES (?,?,?,?,?)",
                (
                    started_at.astimezone(UTC).isoformat(timespec="seconds")
                    if started_at
                    else _now(),
                    version,
                    year,
                    _json(scope),
                    _json(settings),
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO units VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        run_id,
                        u.code,
                        u.name,
                        u.type,
                        u.type_id,
                        u.province_code,
                        u.province_name,
                        _json(list(urls)),
                    )
                    for u, urls in units
                ],
            )
        return run_id

    def add_results(self, run_id: int, results: Sequence[UnitResult]) -> None:
        """Store results of a run (in one transaction)."""
        if not results:
            return
        with self._guard(), self._transaction() as db:
            # OR IGNORE: a batch cut by a second Ctrl-C after COMMIT is written again at the
            # end of the run; its rows are already there and stay as they are.
            db.executemany(
                "INSERT OR IGNORE INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        run_id,
                        r.code,
                        r.status,
                        r.url,
                        r.final_url,
                        r.http_status,
                        r.detail,
                        _flag(r.stale),
                        _flag(r.conformant),
                        r.newest,
                        int(r.congxa),
                        _json(list(r.missing)),
                        r.elapsed,
                        r.checked_at,
                    )
                    for r in results
                ],
            )
            active = [r for r in results if r.activity is not None]
            db.executemany(
                "INSERT OR IGNORE INTO activity VALUES (?,?,?,?,?,?,?,?,?,?)",
                [_activity_row(run_id, r.code, r.activity) for r in active if r.activity],
            )
            db.executemany(
                "INSERT OR IGNORE INTO essential_items VALUES (?,?,?,?,?,?,?)",
                [
                    (run_id, r.code, e.guid, e.published, e.category, e.priority, e.title)
                    for r in active
                    if r.activity
                    for e in r.activity.essential
                ],
            )

    def activity(self, run_id: int) -> dict[str, Activity]:
        """The activity each unit of the run showed (units without a readable site: none)."""
        with self._guard():
            rows = self._db.execute(
                "SELECT code, source, last_post, posts_30, posts_90, posts_365, exact, "
                "sections, empty FROM activity WHERE run_id = ? ORDER BY code",
                (run_id,),
            ).fetchall()
            items = self._db.execute(
                "SELECT code, guid, published, category, priority, title FROM essential_items "
                "WHERE run_id = ? ORDER BY code, published, guid",
                (run_id,),
            ).fetchall()
        essential: dict[str, list[EssentialItem]] = {}
        for code, *fields in items:
            essential.setdefault(code, []).append(EssentialItem(*fields))
        return {
            row[0]: Activity(
                source=row[1],
                last_post=row[2],
                posts_30=row[3],
                posts_90=row[4],
                posts_365=row[5],
                exact=bool(row[6]),
                sections=tuple((str(k), int(v)) for k, v in json.loads(row[7])),
                empty=tuple(json.loads(row[8])),
                essential=tuple(essential.get(row[0], ())),
            )
            for row in rows
        }

    def essential_history(self) -> list[tuple[str, str, EssentialItem]]:
        """Every essential item any run saw, once per unit and item: (province, code, item).

        An item seen by several runs keeps its first date (a clerk may correct it later).
        """
        with self._guard():
            rows = self._db.execute(
                "SELECT u.province_code, e.code, e.guid, MIN(e.published), e.category, "
                "e.priority, e.title "
                "FROM essential_items e JOIN units u ON u.run_id = e.run_id AND u.code = e.code "
                "GROUP BY e.code, e.guid ORDER BY e.code, e.guid"
            ).fetchall()
        return [(row[0], row[1], EssentialItem(*row[2:7])) for row in rows]

    def finish_run(self, run_id: int, *, complete: bool) -> None:
        with self._guard(), self._transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, complete = ? WHERE id = ?",
                (_now(), int(complete), run_id),
            )

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        with self._guard():
            rows = self._db.execute(
                "SELECT r.id, r.started_at, r.finished_at, r.complete, r.version, r.year, "
                "r.scope, r.settings, "
                "(SELECT COUNT(*) FROM units u WHERE u.run_id = r.id), "
                "(SELECT COUNT(*) FROM results s WHERE s.run_id = r.id) "
                "FROM runs r ORDER BY r.id"
            ).fetchall()
        return [
            RunRecord(
                id=row[0],
                started_at=row[1],
                finished_at=row[2],
                complete=bool(row[3]),
                version=row[4],
                year=row[5],
                scope=json.loads(row[6]),
                settings=json.loads(row[7]),
                units=row[8],
                checked=row[9],
            )
            for row in rows
        ]

    def results(self, run_id: int) -> list[UnitResult]:
        """One result per unit of the run; units the run did not reach are `unchecked`."""
        with self._guard():
            rows = self._db.execute(
                "SELECT u.code, u.name, u.type, u.type_id, u.province_code, u.province_name, "
                "u.urls, s.status, s.url, s.final_url, s.http_status, s.detail, s.stale, "
                "s.conformant, s.newest, s.congxa, s.missing, s.elapsed, s.checked_at "
                "FROM units u LEFT JOIN results s ON s.run_id = u.run_id AND s.code = u.code "
                "WHERE u.run_id = ? ORDER BY u.province_code, u.code",
                (run_id,),
            ).fetchall()
        return [_result(row) for row in rows]

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc) from exc


def _result(row: tuple[Any, ...]) -> UnitResult:
    urls = json.loads(row[6])
    unit = {
        "code": row[0],
        "name": row[1],
        "type": row[2],
        "type_id": row[3],
        "province_code": row[4],
        "province_name": row[5],
    }
    if row[7] is None:
        return UnitResult(
            **unit,
            status=UNCHECKED,
            url=urls[0] if urls else "",
            detail="not checked: the run was interrupted",
        )
    return UnitResult(
        **unit,
        status=row[7],
        url=row[8],
        final_url=row[9],
        http_status=row[10],
        detail=row[11],
        stale=_unflag(row[12]),
        conformant=_unflag(row[13]),
        newest=row[14],
        congxa=bool(row[15]),
        missing=tuple(json.loads(row[16])),
        elapsed=row[17],
        checked_at=row[18],
    )


def _activity_row(run_id: int, code: str, a: Activity) -> tuple[Any, ...]:
    return (
        run_id,
        code,
        a.source,
        a.last_post,
        a.posts_30,
        a.posts_90,
        a.posts_365,
        int(a.exact),
        _json([list(pair) for pair in a.sections]),
        _json(list(a.empty)),
    )


def _db_error(path: str, exc: sqlite3.DatabaseError) -> AuditError:
    return AuditError(
        Problem(
            f"Lỗi cơ sở dữ liệu (database error): {exc}.",
            file=Path(path),
            hint="kiểm tra tệp --db là cơ sở dữ liệu SQLite của congxa và có quyền ghi.",
        )
    )


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _unflag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
