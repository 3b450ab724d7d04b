"""Indicators 1.3 and 1.4 (and the đặc khu line), computed from a run's results.

Definitions and targets are data (`generator/data/indicators.yml`): which unit types count
toward which indicator is the plan's decision, not the code's (docs/architecture.md, Audit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from generator.audit.results import UNCHECKED, UnitResult
from generator.errors import AuditError, Problem

NATIONAL = "national"


@dataclass(frozen=True)
class Indicator:
    id: str
    title_vi: str
    title_en: str
    types: tuple[str, ...]  # registry type ids: xa, phuong, thi-tran, dac-khu
    targets: Mapping[int, float] = field(default_factory=dict)  # year -> percent
    baseline: Mapping[int, float] = field(default_factory=dict)  # year -> percent, given data

    def target(self, year: int) -> float | None:
        return self.targets.get(year)


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator in one scope (a province, or the whole country)."""

    indicator: str
    title_vi: str
    title_en: str
    scope: str  # NATIONAL or a province code
    province_name: str
    units: int  # the denominator: every official unit of the counted types
    with_page: int  # status ok
    percent: float | None  # None when the scope has no unit of these types
    target: float | None
    meets: bool | None  # None without a target or without units
    year: int
    conformant: int  # of the units with a page
    stale: int  # of the units with a page
    unchecked: int  # units an interrupted run did not reach (counted as without a page)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_indicators(path: Path | None = None) -> tuple[Indicator, ...]:
    """The indicator definitions shipped with congxa, or those in `path`."""
    where = path or Path("generator/data/indicators.yml")
    try:
        if path is None:
            text = resources.files("generator.data").joinpath("indicators.yml").read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        return tuple(
            Indicator(
                id=str(item["id"]),
                title_vi=str(item["title"]["vi"]),
                title_en=str(item["title"]["en"]),
                types=tuple(str(t) for t in item["types"]),
                targets={int(y): float(v) for y, v in (item.get("targets") or {}).items()},
                baseline={int(y): float(v) for y, v in (item.get("baseline") or {}).items()},
            )
            for item in data["indicators"]
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise AuditError(
            Problem(
                f"Không đọc được định nghĩa chỉ tiêu (cannot read indicator definitions): {exc}.",
                file=where,
                hint="mỗi chỉ tiêu cần id, title.vi, title.en, types và targets (năm: phần trăm).",
            )
        ) from exc


def target_years(indicators: Iterable[Indicator]) -> tuple[int, ...]:
    return tuple(sorted({year for ind in indicators for year in ind.targets}))


def default_year(indicators: Iterable[Indicator], today: date | None = None) -> int:
    """This year, capped to the last year that has targets (the plan ends in 2025)."""
    year = (today or date.today()).year
    years = target_years(indicators)
    return min(year, years[-1]) if years else year


def compute_indicators(
    results: Iterable[UnitResult], indicators: Iterable[Indicator], year: int
) -> list[IndicatorRow]:
    """Rows per indicator: nationwide first, then each province by code.

    Every result is one official unit, so the results are the denominator; a unit without
    a known URL is in them with status no_url and counts as having no page.
    """
    rows = list(results)
    provinces = sorted({(r.province_code, r.province_name) for r in rows})
    out: list[IndicatorRow] = []
    for indicator in indicators:
        counted = [r for r in rows if r.type_id in indicator.types]
        out.append(_row(indicator, NATIONAL, "", counted, year))
        for code, name in provinces:
            scoped = [r for r in counted if r.province_code == code]
            if scoped:
                out.append(_row(indicator, code, name, scoped, year))
    return out


def _row(
    indicator: Indicator, scope: str, province_name: str, units: list[UnitResult], year: int
) -> IndicatorRow:
    with_page = [r for r in units if r.has_page]
    percent = round(100.0 * len(with_page) / len(units), 2) if units else None
    target = indicator.target(year)
    meets = None if target is None or percent is None else percent >= target
    return IndicatorRow(
        indicator=indicator.id,
        title_vi=indicator.title_vi,
        title_en=indicator.title_en,
        scope=scope,
        province_name=province_name,
        units=len(units),
        with_page=len(with_page),
        percent=percent,
        target=target,
        meets=meets,
        year=year,
        conformant=sum(1 for r in with_page if r.conformant),
        stale=sum(1 for r in with_page if r.stale),
        unchecked=sum(1 for r in units if r.status == UNCHECKED),
    )
