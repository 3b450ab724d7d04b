"""What a province monitors, computed from a report: stale units, empty sections, essential
information per month. Shared by the HTML dashboard, the yearly report and its annex, so
that the three show the same figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from generator.audit.activity import Activity, EssentialItem
from generator.audit.results import UnitResult
from generator.audit.wording import when
from generator.source.essential import priorities

if TYPE_CHECKING:
    from generator.audit.report import Report

STALE_STEPS = (30, 90)  # days without a post the dashboard lists
MONTHS_SHOWN = 24


@dataclass(frozen=True)
class UnitActivity:
    """A unit with a page, its activity and the days since its last post at the run."""

    result: UnitResult
    activity: Activity | None
    days: int | None  # None: no post date known


def run_moment(report: Report) -> datetime:
    moment = when(report.run.started_at)
    assert moment is not None, report.run.started_at  # written by the store itself
    return moment


def with_page(report: Report, province: str | None = None) -> list[UnitActivity]:
    now = run_moment(report)
    out = []
    for result in report.results:
        if not result.has_page or (province and result.province_code != province):
            continue
        activity = report.activity.get(result.code)
        days = activity.days_since(now) if activity else None
        if days is None and result.newest:
            newest = when(result.newest)
            days = max(0, (now - newest).days) if newest else None
        out.append(UnitActivity(result, activity, days))
    return out


def stale(units: list[UnitActivity], days: int) -> list[UnitActivity]:
    """Units whose last post is at least `days` old, oldest first."""
    found = [u for u in units if u.days is not None and u.days >= days]
    return sorted(found, key=lambda u: (-(u.days or 0), u.result.code))


def undated(units: list[UnitActivity]) -> list[UnitActivity]:
    return [u for u in units if u.days is None]


def with_empty_sections(units: list[UnitActivity]) -> list[tuple[UnitActivity, tuple[str, ...]]]:
    """Units with required sections that are empty (site.json) or not found on the page."""
    out = []
    for unit in units:
        empty = unit.activity.empty if unit.activity else ()
        gaps = tuple(dict.fromkeys([*empty, *unit.result.missing]))
        if gaps:
            out.append((unit, gaps))
    return out


def priority_order() -> list[str]:
    """Priorities, most urgent first (from generator/data/essential.yml)."""
    return sorted(priorities(), key=lambda p: int(priorities()[p]["rank"]))


def essential_items(report: Report, province: str | None = None) -> list[EssentialItem]:
    """Essential items of the units in the run's scope (once each), oldest first."""
    codes = {r.code for r in report.results if not province or r.province_code == province}
    items = [item for _prov, code, item in report.essential if code in codes]
    return sorted(items, key=lambda i: (i.published, i.guid))


def by_month(
    report: Report, province: str | None = None
) -> tuple[list[tuple[int, int]], dict[tuple[int, int], Counter[str]]]:
    """Essential items per month and priority, up to the run's month (at most 24 months)."""
    end = run_moment(report)
    counts: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for item in essential_items(report, province):
        moment = when(item.published)
        if moment is not None and moment <= end:
            counts[(moment.year, moment.month)][item.priority] += 1
    if not counts:
        return [], {}
    first = min(counts)
    months: list[tuple[int, int]] = []
    year, month = end.year, end.month
    while (year, month) >= first and len(months) < MONTHS_SHOWN:
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    return months, {m: counts[m] for m in months}


def by_category(report: Report, year: int, province: str | None = None) -> dict[str, Counter[str]]:
    """Essential items of calendar `year` per category and priority."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for item in essential_items(report, province):
        moment = when(item.published)
        if moment is not None and moment.year == year:
            out[item.category][item.priority] += 1
    return dict(sorted(out.items()))
