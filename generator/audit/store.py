"""Audit history in SQLite: one row per run, its units (the denominator) and their results.

Migrations are numbered and recorded in `schema_migrations`, each applied in its own write
transaction taken before the schema version is read, so several processes opening a new
database at once apply each migration exactly once. Runs are only ever added: re-running
an audit never overwrites a past run. Rows are read defensively: a row edited by hand is
repaired for the report and named in `Store.problems`, never a crash.
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
from typing import Any, Self, TypeVar

from generator.audit.activity import Activity, EssentialItem
from generator.audit.results import STATUSES, UNCHECKED, UnitResult
from generator.errors import AuditError, Problem, Severity
from generator.source.registry import RegistryUnit

_N = TypeVar("_N", int, float)
_BUSY_SECONDS = 30.0  # how long a process waits for another's write lock

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
        # Rows that could not be read as written (hand-edited, damaged), one message each.
        self.problems: list[Problem] = []

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
            # A busy timeout: another process migrating or writing makes this one wait.
            connection = sqlite3.connect(name, isolation_level=None, timeout=_BUSY_SECONDS)
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
        known = MIGRATIONS[-1][0]
        if self._has_migrations_table() and self.schema_version() == known:
            return  # the common case: no write lock taken
        for version, name, script in MIGRATIONS:
            # BEGIN IMMEDIATE takes the write lock before the version is read: a second
            # process waits here, then finds this migration done and skips it.
            with self._transaction() as db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                current = self.schema_version()
                if current > known:
                    raise AuditError(
                        Problem(
                            f"Cơ sở dữ liệu do bản congxa mới hơn tạo "
                            f"(schema {current} > {known}).",
                            file=Path(self.path),
                            hint="cập nhật congxa, hoặc dùng một tệp --db khác.",
                        )
                    )
                if version <= current:
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, _now())
                )

    def _has_migrations_table(self) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        return row is not None

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
                        str(r.status),
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
        return [self._run(row) for row in rows]

    def _run(self, row: tuple[Any, ...]) -> RunRecord:
        where = f"lần kiểm tra (run) {row[0]}"
        repair = _Repair(self, where)
        return RunRecord(
            id=int(row[0]),
            started_at=repair.text(row[1], "started_at"),
            finished_at=None if row[2] is None else repair.text(row[2], "finished_at"),
            complete=bool(repair.number(row[3], "complete", int)),
            version=repair.text(row[4], "version"),
            year=repair.number(row[5], "year", int),
            scope=repair.mapping(row[6], "scope"),
            settings=repair.mapping(row[7], "settings"),
            units=int(row[8]),
            checked=int(row[9]),
        )

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
        return [self._result(run_id, row) for row in rows]

    def _result(self, run_id: int, row: tuple[Any, ...]) -> UnitResult:
        repair = _Repair(self, f"lần kiểm tra (run) {run_id}, đơn vị (unit) {row[0]}")
        return _result(row, repair)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc) from exc


def _result(row: tuple[Any, ...], repair: _Repair) -> UnitResult:
    urls = repair.strings(row[6], "urls")
    unit: dict[str, Any] = {
        "code": repair.text(row[0], "code"),
        "name": repair.text(row[1], "name"),
        "type": repair.text(row[2], "type"),
        "type_id": repair.text(row[3], "type_id"),
        "province_code": repair.text(row[4], "province_code"),
        "province_name": repair.text(row[5], "province_name"),
    }
    if row[7] is None:
        return UnitResult(
            **unit,
            status=UNCHECKED,
            url=urls[0] if urls else "",
            detail="not checked: the run was interrupted",
        )
    status = repair.text(row[7], "status")
    if status not in STATUSES:
        repair.note("status", f"trạng thái lạ (unknown status) {status[:40]!r}")
    http_status = None if row[10] is None else repair.number(row[10], "http_status", int)
    return UnitResult(
        **unit,
        status=status,
        url=repair.text(row[8], "url"),
        final_url=repair.text(row[9], "final_url"),
        http_status=http_status,
        detail=repair.text(row[11], "detail"),
        stale=repair.flag(row[12], "stale"),
        conformant=repair.flag(row[13], "conformant"),
        newest=repair.text(row[14], "newest"),
        congxa=bool(repair.flag(row[15], "congxa")),
        missing=tuple(repair.strings(row[16], "missing")),
        elapsed=repair.number(row[17], "elapsed", float),
        checked_at=repair.text(row[18], "checked_at"),
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


class _Repair:
    """Reads the columns of one row; a value of the wrong kind becomes a safe default and
    a message in the store's problems (the report is still produced)."""

    def __init__(self, store: Store, where: str) -> None:
        self._store = store
        self._where = where

    def note(self, column: str, what: str) -> None:
        self._store.problems.append(
            Problem(
                f"Dòng hỏng trong cơ sở dữ liệu (damaged row), {self._where}, cột (column) "
                f"{column}: {what}; báo cáo dùng giá trị mặc định.",
                file=Path(self._store.path),
                hint="dòng này có lẽ đã bị sửa tay; chạy lại `congxa audit` để có kết quả đúng.",
                severity=Severity.WARNING,
            )
        )

    def text(self, value: Any, column: str) -> str:
        if isinstance(value, str):
            return value
        self.note(column, f"cần chữ (text expected), có {_shown(value)}")
        return "" if value is None else str(value)

    def number(self, value: Any, column: str, kind: type[_N]) -> _N:
        try:
            if isinstance(value, bool | bytes) or value is None:
                raise TypeError
            return kind(value)
        except (TypeError, ValueError, OverflowError):
            self.note(column, f"cần số (number expected), có {_shown(value)}")
            return kind(0)

    def flag(self, value: Any, column: str) -> bool | None:
        if value is None or value in (0, 1):
            return _unflag(value)
        self.note(column, f"cần 0, 1 hoặc rỗng (0, 1 or NULL expected), có {_shown(value)}")
        return None

    def strings(self, value: Any, column: str) -> list[str]:
        try:
            data = json.loads(value)
        except (TypeError, ValueError, RecursionError):
            data = None
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return data
        self.note(column, f"cần danh sách JSON (JSON list expected), có {_shown(value)}")
        return []

    def mapping(self, value: Any, column: str) -> dict[str, Any]:
        try:
            data = json.loads(value)
        except (TypeError, ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            return data
        self.note(column, f"cần đối tượng JSON (JSON object expected), có {_shown(value)}")
        return {}


def _shown(value: Any) -> str:
    return repr(value)[:40]


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
