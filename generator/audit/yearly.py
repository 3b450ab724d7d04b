"""The yearly report to the ministry: what it says, gathered once for the .docx and .xlsx.

`congxa report --year 2026 --docx bao-cao.docx --xlsx phu-luc.xlsx` picks the run that
stands for the year (its last complete run, Vietnam time), so the figures are exactly
those of `indicators.json` for that run. Who reports (agency, signer, place) comes from
the `report:` mapping of `congxa.yml`; what is missing is printed as a visible
placeholder in square brackets, never invented. Earlier years that congxa did not measure
come from given data: `baseline` in `generator/data/indicators.yml` (the plan's figures)
or in `report.baseline` of `congxa.yml` (the province's own earlier reports).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.audit import monitor
from generator.audit.indicators import NATIONAL, IndicatorRow
from generator.audit.report import Report
from generator.audit.results import UnitResult
from generator.audit.wording import when
from generator.errors import AuditError, ContentError, Problem
from generator.source.files import parse_yaml, read_text

SETTINGS_FILE = "congxa.yml"
FIRST_YEAR = 2021  # the plan's table starts in 2021
PLACEHOLDERS = {
    "parent": "[CƠ QUAN CHỦ QUẢN]",
    "agency": "[TÊN CƠ QUAN BÁO CÁO]",
    "code": "[KÝ HIỆU]",
    "place": "[Địa danh]",
    "recipient": "[Cơ quan nhận báo cáo]",
    "signer": "[Họ và tên người ký]",
    "signer_title": "[CHỨC VỤ NGƯỜI KÝ]",
}
_TEXT_KEYS = (*PLACEHOLDERS, "signer_authority")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass(frozen=True)
class ReportSettings:
    """Who issues and signs the report (the `report:` mapping of congxa.yml)."""

    parent: str = ""
    agency: str = ""
    code: str = ""
    place: str = ""
    recipient: str = ""
    signer: str = ""
    signer_title: str = ""
    signer_authority: str = ""  # "KT. GIÁM ĐỐC", "TL. ..." when the signer signs for another
    recipients: tuple[str, ...] = ()  # "Nơi nhận"
    baseline: dict[str, dict[int, float]] = field(default_factory=dict)

    def text(self, key: str) -> str:
        """The setting, or its placeholder in square brackets."""
        value = str(getattr(self, key))
        return value or PLACEHOLDERS.get(key, "")


def load_settings(path: Path | None) -> ReportSettings:
    """The `report:` mapping of `path` (default: ./congxa.yml when it exists)."""
    where = path if path is not None else Path(SETTINGS_FILE)
    if path is None and not where.is_file():
        return ReportSettings()
    try:
        data = parse_yaml(read_text(where), where) or {}
    except ContentError as exc:
        raise AuditError(exc.problems) from None
    section = data.get("report") if isinstance(data, dict) else None
    if section is None:
        return ReportSettings()
    problems: list[Problem] = []

    def bad(key: str, fix: str) -> None:
        problems.append(
            Problem(
                f"`report.{key}` không hợp lệ (invalid).",
                file=where,
                field=f"report.{key}",
                hint=fix,
            )
        )

    if not isinstance(section, dict):
        bad("", "`report:` là một bảng khóa: giá trị, xem README (Kiểm tra và báo cáo).")
        raise AuditError(problems)
    values: dict[str, Any] = {}
    for key in _TEXT_KEYS:
        value = section.get(key)
        if value is None:
            continue
        if not isinstance(value, str | int) or len(str(value)) > 300:
            bad(key, "ghi một dòng chữ (tối đa 300 ký tự).")
            continue
        values[key] = clean(str(value))
    recipients = section.get("recipients")
    if recipients is not None:
        if isinstance(recipients, list) and all(isinstance(r, str) for r in recipients):
            values["recipients"] = tuple(clean(r) for r in recipients[:30])
        else:
            bad("recipients", "ghi danh sách, mỗi nơi nhận một dòng bắt đầu bằng `- `.")
    baseline = section.get("baseline")
    if baseline is not None:
        parsed = _baseline(baseline)
        if parsed is None:
            bad("baseline", 'ghi theo chỉ tiêu rồi năm, ví dụ `"1.3": {2023: 72.5}`.')
        else:
            values["baseline"] = parsed
    unknown = sorted(set(section) - {*_TEXT_KEYS, "recipients", "baseline"})
    for key in unknown:
        bad(
            str(key),
            f"khóa không dùng; các khóa: {', '.join((*_TEXT_KEYS, 'recipients', 'baseline'))}.",
        )
    if problems:
        raise AuditError(problems)
    return ReportSettings(**values)


def _baseline(value: Any) -> dict[str, dict[int, float]] | None:
    if not isinstance(value, dict):
        return None
    out: dict[str, dict[int, float]] = {}
    for indicator, years in value.items():
        if not isinstance(years, dict):
            return None
        row: dict[int, float] = {}
        for key, figure in years.items():
            # congxa.yml is read with every key as text (generator/source/files.py).
            year = int(key) if isinstance(key, int | str) and str(key).isdigit() else 0
            if (
                not 2000 <= year <= 2100
                or isinstance(figure, bool)
                or not isinstance(figure, int | float)
                or not 0 <= figure <= 100
            ):
                return None
            row[year] = float(figure)
        out[str(indicator)] = row
    return out


def clean(text: str) -> str:
    """Text safe for a document: no control characters, NFC is kept as given."""
    return _CONTROL.sub("", text).strip()


@dataclass(frozen=True)
class YearCell:
    """One indicator in one year of the plan's table."""

    year: int
    percent: float | None
    measured: bool  # True: from the audit history; False: given data (baseline)
    with_page: int | None = None
    units: int | None = None


@dataclass(frozen=True)
class IndicatorLine:
    """One row of the plan's table: an indicator, its years, the target and the verdict."""

    row: IndicatorRow  # the chosen run's figure: equals indicators.json
    cells: tuple[YearCell, ...]


@dataclass(frozen=True)
class YearlyReport:
    report: Report
    settings: ReportSettings
    year: int  # calendar year reported on
    scope: str  # NATIONAL or a province code
    scope_name: str  # "Tỉnh Quảng Ninh" or "toàn quốc"
    lines: tuple[IndicatorLine, ...]
    results: tuple[UnitResult, ...]  # units in scope
    units: tuple[monitor.UnitActivity, ...]  # of them, those with a page
    # Essential items of the year per unit and priority (one pass over the history).
    essential: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def without_page(self) -> list[UnitResult]:
        return [r for r in self.results if not r.has_page]

    def stale(self, days: int = monitor.STALE_STEPS[-1]) -> list[monitor.UnitActivity]:
        return monitor.stale(list(self.units), days)

    def essential_by_priority(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for per_priority in monitor.by_category(self.report, self.year, self._province).values():
            counts.update(per_priority)
        return counts

    def essential_of_unit(self, code: str) -> Counter[str]:
        return self.essential.get(code, Counter())

    @property
    def _province(self) -> str | None:
        return None if self.scope == NATIONAL else self.scope


def yearly_report(
    report: Report, settings: ReportSettings, province: str | None = None
) -> YearlyReport:
    """The yearly report of `report`'s run, for the whole run or one of its provinces."""
    scope = province or str(report.run.scope.get("province") or "") or NATIONAL
    results = tuple(r for r in report.results if scope == NATIONAL or r.province_code == scope)
    if not results:
        raise AuditError(
            Problem(
                f"Lần kiểm tra số {report.run.id} không có đơn vị nào của tỉnh {scope!r}.",
                field="--province",
                hint="chọn một tỉnh có trong lần kiểm tra, hoặc bỏ --province.",
            )
        )
    scope_name = "toàn quốc" if scope == NATIONAL else results[0].province_name
    year = monitor.run_moment(report).year
    yearly = report.yearly()
    lines = []
    for row in report.rows:
        definition = next((i for i in report.indicators if i.id == row.indicator), None)
        if row.scope != scope or definition is None or not definition.targets:
            continue  # the plan's table holds the indicators that have targets
        cells = []
        # The plan's baseline is nationwide: a province report shows only its own.
        plan = definition.baseline if scope == NATIONAL else {}
        given = {**plan, **settings.baseline.get(row.indicator, {})}
        for y in range(min(FIRST_YEAR, *given) if given else FIRST_YEAR, year + 1):
            if y == year:
                cells.append(YearCell(y, row.percent, True, row.with_page, row.units))
                continue
            figures = yearly.get(y)
            measured = (
                next(
                    (r for r in figures.rows if r.scope == scope and r.indicator == row.indicator),
                    None,
                )
                if figures
                else None
            )
            if measured is not None:
                cells.append(
                    YearCell(y, measured.percent, True, measured.with_page, measured.units)
                )
            else:
                cells.append(YearCell(y, given.get(y), False))
        lines.append(IndicatorLine(row, tuple(cells)))
    province = None if scope == NATIONAL else scope
    essential: dict[str, Counter[str]] = {}
    for _prov, code, item in report.essential:
        moment = when(item.published)
        if moment is not None and moment.year == year:
            essential.setdefault(code, Counter())[item.priority] += 1
    return YearlyReport(
        report=report,
        settings=settings,
        year=year,
        scope=scope,
        scope_name=scope_name,
        lines=tuple(lines),
        results=results,
        units=tuple(monitor.with_page(report, province)),
        essential=essential,
    )


def stable_zip(data: bytes) -> bytes:
    """The same archive with fixed member timestamps, so equal input gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
