"""Indicators 1.3, 1.4 and the đặc khu line, against a hand count of a known mix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from generator.audit.indicators import (
    compute_indicators,
    default_year,
    load_indicators,
    target_years,
)
from generator.audit.run import AuditOptions, run_audit
from generator.errors import AuditError

from . import farm as f
from .conftest import Case, farm_settings, write_registry, write_urls


def test_definitions_are_data() -> None:
    indicators = {i.id: i for i in load_indicators()}
    assert indicators["1.3"].types == ("phuong", "thi-tran")
    assert indicators["1.4"].types == ("xa",)
    assert indicators["dac-khu"].types == ("dac-khu",)
    assert indicators["1.3"].target(2024) == 85 and indicators["1.4"].target(2025) == 100
    assert indicators["dac-khu"].target(2025) is None
    assert target_years(indicators.values()) == (2024, 2025)


def test_default_year_is_capped_to_the_last_target() -> None:
    indicators = load_indicators()
    assert default_year(indicators, date(2024, 6, 1)) == 2024
    assert default_year(indicators, date(2026, 11, 29)) == 2025


def test_broken_definitions(tmp_path: Path) -> None:
    bad = tmp_path / "indicators.yml"
    bad.write_text("indicators:\n  - id: '1.3'\n", encoding="utf-8")
    with pytest.raises(AuditError) as caught:
        load_indicators(bad)
    assert caught.value.problems[0].file == bad


def test_known_mix_equals_a_hand_count(
    tmp_path: Path, farm: f.Farm, farm_files: dict[str, Path]
) -> None:
    """Six units, two provinces, every type; crawled for real, then counted by hand."""
    ok = {
        "p1": farm.add("mix-p1", f.handmade_site("Phường Một")),
        "x1": farm.add("mix-x1", f.handmade_site("Xã Hai")),
        "t1": farm.add("mix-t1", f.handmade_site("Thị trấn Ba")),
        "d1": farm.add("mix-d1", f.handmade_site("Đặc khu Sáu")),
    }
    down = farm.add("mix-down", f.status_site(503))
    units = [
        Case("10001", "Phường Một", "phường", "01", "ok", (farm.url(ok["p1"]),)),
        Case("10002", "Phường Bốn", "phường", "01", "http_error", (farm.url(down),)),
        Case("10003", "Xã Hai", "xã", "01", "ok", (farm.url(ok["x1"]),)),
        Case("10004", "Thị trấn Ba", "thị trấn", "01", "ok", (farm.url(ok["t1"]),)),
        Case("20001", "Xã Năm", "xã", "22", "no_url"),
        Case("20002", "Đặc khu Sáu", "đặc khu", "22", "ok", (farm.url(ok["d1"]),)),
    ]
    options = AuditOptions(
        registry_csv=write_registry(tmp_path / "registry.csv", units),
        urls_csv=write_urls(tmp_path / "urls.csv", units),
        db=":memory:",
        year=2024,
        crawl=farm_settings(farm_files["ca"]),
    )
    outcome = run_audit(options)
    assert {r.code: r.status for r in outcome.results} == {u.code: u.status for u in units}
    rows = {
        (r.indicator, r.scope): (r.with_page, r.units, r.percent, r.target, r.meets)
        for r in outcome.report.rows
    }
    assert rows == {
        # 1.3 = phường + thị trấn: Một ok, Bốn down, Ba ok -> 2/3, all in province 01.
        ("1.3", "national"): (2, 3, 66.67, 85.0, False),
        ("1.3", "01"): (2, 3, 66.67, 85.0, False),
        # 1.4 = xã: Hai ok (01), Năm without URL (22) -> 1/2.
        ("1.4", "national"): (1, 2, 50.0, 85.0, False),
        ("1.4", "01"): (1, 1, 100.0, 85.0, True),
        ("1.4", "22"): (0, 1, 0.0, 85.0, False),
        # đặc khu: its own line, no target.
        ("dac-khu", "national"): (1, 1, 100.0, None, None),
        ("dac-khu", "22"): (1, 1, 100.0, None, None),
    }


def test_an_empty_scope_has_no_percent() -> None:
    (row, *_rest) = compute_indicators([], load_indicators(), 2025)
    assert (row.units, row.percent, row.meets) == (0, None, None)
