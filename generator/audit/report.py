"""The audit's outputs in `--out`: results.csv, indicators.csv, indicators.json, index.html.

Everything is rebuilt from the database alone (`congxa report`), so a report of an old
run can be produced again at any time, with the registry snapshot the run used.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generator import __version__
from generator.audit.activity import Activity, EssentialItem
from generator.audit.indicators import (
    NATIONAL,
    Indicator,
    IndicatorRow,
    compute_indicators,
    load_indicators,
)
from generator.audit.report_html import render_html
from generator.audit.results import STATUSES, UNCHECKED, UnitResult
from generator.audit.store import RunRecord, Store
from generator.audit.wording import vn_year
from generator.errors import AuditError, Problem

RESULT_COLUMNS = (
    "run_id",
    "code",
    "name",
    "type",
    "province_code",
    "province_name",
    "status",
    "has_page",
    "url",
    "final_url",
    "http_status",
    "detail",
    "stale",
    "conformant",
    "missing",
    "newest",
    "congxa",
    "elapsed_s",
    "checked_at",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
INDICATOR_COLUMNS = (
    "run_id",
    "year",
    "indicator",
    "scope",
    "province_name",
    "units",
    "with_page",
    "percent",
    "target",
    "meets",
    "conformant",
    "stale",
    "unchecked",
)


@dataclass(frozen=True)
class TrendPoint:
    """The national figure of one indicator in one run."""

    run_id: int
    started_at: str
    complete: bool
    indicator: str
    percent: float | None
    target: float | None


@dataclass(frozen=True)
class RunFigures:
    """One run of the history with its indicator rows (every scope)."""

    run: RunRecord
    rows: tuple[IndicatorRow, ...]

    @property
    def calendar_year(self) -> int:
        """The year the run was made in, in Vietnam time."""
        return vn_year(self.run.started_at) or self.run.year


@dataclass(frozen=True)
class Report:
    """Everything the outputs show, for one run, with the history of all runs."""

    run: RunRecord
    results: tuple[UnitResult, ...]
    rows: tuple[IndicatorRow, ...]
    indicators: tuple[Indicator, ...]
    trend: tuple[TrendPoint, ...]
    history: tuple[RunFigures, ...] = ()
    activity: Mapping[str, Activity] = field(default_factory=dict)
    # Every essential item of the history: (province code, unit code, item).
    essential: tuple[tuple[str, str, EssentialItem], ...] = ()

    @property
    def province_name(self) -> str:
        """The province of a one-province run, "" for a nationwide one."""
        if not self.run.scope.get("province"):
            return ""
        return str(self.run.scope.get("province_name") or self.run.scope["province"])

    def yearly(self) -> dict[int, RunFigures]:
        """The run that stands for each calendar year: its last complete run, else its last."""
        chosen: dict[int, RunFigures] = {}
        for figures in self.history:
            year = figures.calendar_year
            held = chosen.get(year)
            if held is None or figures.run.complete or not held.run.complete:
                chosen[year] = figures
        return dict(sorted(chosen.items()))

    # Database rows that had to be repaired to produce the report (hand-edited, damaged).
    problems: tuple[Problem, ...] = ()

    def status_counts(self) -> dict[str, int]:
        counts = Counter(r.status for r in self.results)
        order: list[str] = [*STATUSES, UNCHECKED]
        # A status no version of congxa writes (a hand-edited row) is still counted.
        order += sorted(set(counts) - set(order))
        return {str(s): counts[s] for s in order if counts[s]}


def build_report(
    store: Store,
    run_id: int | None = None,
    indicators: Sequence[Indicator] | None = None,
    *,
    year: int | None = None,
) -> Report:
    """Gather one run and the history of every run.

    The run is `run_id`, else the run that stands for calendar `year` (its last complete
    run, Vietnam time), else the latest.
    """
    definitions = tuple(indicators or load_indicators())
    runs = store.runs()
    if not runs:
        raise AuditError(
            Problem(
                "Cơ sở dữ liệu chưa có lần kiểm tra nào (no audit run in the database).",
                file=Path(store.path),
                hint="chạy `congxa audit --db FILE` trước.",
            )
        )
    if year is not None and run_id is None:
        in_year = [r for r in runs if vn_year(r.started_at) == year]
        if not in_year:
            raise AuditError(
                Problem(
                    f"Không có lần kiểm tra nào trong năm {year} (no audit run in {year}).",
                    file=Path(store.path),
                    hint="chạy `congxa audit` trong năm đó, hoặc chọn --year khác.",
                )
            )
        complete = [r for r in in_year if r.complete]
        run_id = (complete or in_year)[-1].id
    chosen = runs[-1] if run_id is None else next((r for r in runs if r.id == run_id), None)
    if chosen is None:
        raise AuditError(f"Không có lần kiểm tra số {run_id} (no such run).")
    trend: list[TrendPoint] = []
    history: list[RunFigures] = []
    results: list[UnitResult] = []
    rows: list[IndicatorRow] = []
    for run in runs:
        run_results = store.results(run.id)
        run_rows = compute_indicators(run_results, definitions, run.year)
        history.append(RunFigures(run, tuple(run_rows)))
        if run.id == chosen.id:
            results, rows = run_results, run_rows
        for row in run_rows:
            if row.scope == NATIONAL:
                trend.append(
                    TrendPoint(
                        run.id, run.started_at, run.complete, row.indicator, row.percent, row.target
                    )
                )
    return Report(
        chosen,
        tuple(results),
        tuple(rows),
        definitions,
        tuple(trend),
        tuple(history),
        store.activity(chosen.id),
        tuple(store.essential_history()),
        tuple(store.problems),
    )


def write_report(report: Report, out_dir: Path) -> list[Path]:
    """Write the four output files; each is replaced atomically."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        files = [
            _write(out_dir / "results.csv", results_csv(report)),
            _write(out_dir / "indicators.csv", indicators_csv(report)),
            _write(out_dir / "indicators.json", indicators_json(report)),
            _write(out_dir / "index.html", render_html(report)),
        ]
    except OSError as exc:
        raise AuditError(
            Problem(
                f"Không ghi được báo cáo (cannot write the report): {exc}.",
                file=out_dir,
                hint="chọn một thư mục --out có quyền ghi.",
            )
        ) from exc
    return files


def report_from_db(
    db: Path, out_dir: Path, run_id: int | None = None, *, year: int | None = None
) -> tuple[Report, list[Path]]:
    """`congxa report`: rebuild every output from the database alone."""
    report = load_report(db, run_id, year=year)
    return report, write_report(report, out_dir)


def load_report(db: Path, run_id: int | None = None, *, year: int | None = None) -> Report:
    with Store.open(db, create=False) as store:
        return build_report(store, run_id, year=year)


def csv_cell(value: object) -> object:
    """A cell safe to open in a spreadsheet: text starting with =, +, -, @, tab or CR
    (a formula, or a cell a spreadsheet may read as one) gets a leading apostrophe.

    Numbers written by the audit itself are left as they are.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    """csv.writer whose text cells are neutralised (csv_cell)."""

    def __init__(self, buffer: io.StringIO) -> None:
        self._writer = csv.writer(buffer, lineterminator="\n")

    def writerow(self, row: Sequence[object]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])


def results_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = _SafeWriter(buffer)
    writer.writerow(RESULT_COLUMNS)
    for r in report.results:
        writer.writerow(
            [
                report.run.id,
                r.code,
                r.name,
                r.type,
                r.province_code,
                r.province_name,
                r.status,
                int(r.has_page),
                r.url,
                r.final_url,
                r.http_status or "",
                r.detail,
                _cell(r.stale),
                _cell(r.conformant),
                " ".join(r.missing),
                r.newest,
                int(r.congxa),
                r.elapsed,
                r.checked_at,
            ]
        )
    return buffer.getvalue()


def indicators_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = _SafeWriter(buffer)
    writer.writerow(INDICATOR_COLUMNS)
    for row in report.rows:
        writer.writerow(
            [
                report.run.id,
                row.year,
                row.indicator,
                row.scope,
                row.province_name,
                row.units,
                row.with_page,
                _cell(row.percent),
                _cell(row.target),
                _cell(row.meets),
                row.conformant,
                row.stale,
                row.unchecked,
            ]
        )
    return buffer.getvalue()


def indicators_json(report: Report) -> str:
    run = report.run
    data: dict[str, Any] = {
        "schema": "congxa-audit/1",
        "generator": f"congxa {__version__}",
        "run": {
            "id": run.id,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "complete": run.complete,
            "version": run.version,
            "year": run.year,
            "scope": run.scope,
            "units": run.units,
            "checked": run.checked,
        },
        "status_counts": report.status_counts(),
        "indicators": [row.as_dict() for row in report.rows],
        "trend": [asdict(point) for point in report.trend],
        "years": [
            {"year": year, "run_id": figures.run.id, "indicators": _national(figures.rows)}
            for year, figures in report.yearly().items()
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _national(rows: Sequence[IndicatorRow]) -> list[dict[str, Any]]:
    keys = ("indicator", "units", "with_page", "percent", "target", "meets")
    return [{k: getattr(row, k) for k in keys} for row in rows if row.scope == NATIONAL]


def _cell(value: bool | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return f"{value:g}"


def _write(path: Path, text: str) -> Path:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path


def format_summary(report: Report, elapsed: float | None = None) -> list[str]:
    """A few lines for the terminal: the run, its statuses and the national indicators."""
    run = report.run
    head = f"Lần kiểm tra (run) {run.id}: {run.checked}/{run.units} đơn vị (units)"
    if elapsed is not None and elapsed > 0:
        head += f", {elapsed:.1f} s, {run.checked / elapsed:.0f} đơn vị/giây (units/s)"
    if not run.complete:
        head += " - CHƯA XONG (incomplete)"
    lines = [head]
    lines.append("  " + ", ".join(f"{s} {n}" for s, n in report.status_counts().items()))
    for row in report.rows:
        if row.scope != NATIONAL:
            continue
        target = (
            f"chỉ tiêu (target) {row.year}: {row.target:g}%"
            if row.target is not None
            else "không có chỉ tiêu (no target)"
        )
        verdict = (
            "" if row.meets is None else (" đạt (met)" if row.meets else " chưa đạt (not met)")
        )
        percent = "–" if row.percent is None else f"{row.percent:.1f}%"
        lines.append(
            f"  {row.indicator}: {row.with_page}/{row.units} = {percent} ({target}){verdict}"
        )
    return lines
