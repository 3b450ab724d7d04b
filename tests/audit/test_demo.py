"""A real `congxa build` of the demo, served by the farm, audited as a congxa site."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from generator.audit.run import AuditOptions, run_audit

from . import farm as f
from .conftest import farm_settings


def test_the_demo_build_is_an_ok_congxa_site(
    tmp_path: Path, demo_public: Path, farm: f.Farm
) -> None:
    host = farm.add_static("demo-hoankiem", demo_public / "ha_noi" / "phuong_hoan_kiem")
    other = farm.add_static("demo-badinh", demo_public / "ha_noi" / "phuong_ba_dinh")
    urls = tmp_path / "urls.csv"
    # Ba Đình's site listed for Cửa Nam: answers, but is another unit's page.
    urls.write_text(
        f"code,url\n00070,{farm.url(host)}\n00073,{farm.url(other)}\n", encoding="utf-8"
    )
    options = AuditOptions(urls_csv=urls, province="01", db=":memory:", crawl=farm_settings(None))
    # The demo is written as of 29 Nov 2026 (tests/conftest.py).
    outcome = run_audit(options, now=datetime(2026, 11, 29, tzinfo=UTC))
    results = {r.code: r for r in outcome.results}
    hoan_kiem = results["00070"]
    assert (hoan_kiem.status, hoan_kiem.congxa) == ("ok", True), hoan_kiem.detail
    assert (hoan_kiem.conformant, hoan_kiem.stale) == (True, False)
    assert hoan_kiem.newest.startswith("2026-11-")
    assert results["00073"].status == "not_unit_page"
    assert len(outcome.results) == 126  # every unit of Hà Nội is in the denominator
