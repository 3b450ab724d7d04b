"""Reports: the four files, rebuilt from the database alone, the HTML self-contained."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from generator.audit.report import report_from_db
from generator.audit.run import AuditOptions, AuditOutcome, run_audit

from .conftest import farm_settings


@pytest.fixture(scope="module")
def two_runs(
    tmp_path_factory: pytest.TempPathFactory, farm_files: dict[str, Path]
) -> tuple[Path, AuditOutcome]:
    """Two audits of Hà Nội's farm units into one database; the second writes a report."""
    folder = tmp_path_factory.mktemp("report")
    options = AuditOptions(
        registry_csv=farm_files["registry"],
        urls_csv=farm_files["urls"],
        province="01",
        db=folder / "audit.db",
        year=2025,
        crawl=farm_settings(farm_files["ca"]),
    )
    run_audit(options)
    second = run_audit(AuditOptions(**{**options.__dict__, "out": folder / "out"}))
    return folder, second


def test_report_rebuilds_the_same_files_from_the_db_alone(
    two_runs: tuple[Path, AuditOutcome],
) -> None:
    folder, outcome = two_runs
    report, files = report_from_db(folder / "audit.db", folder / "rebuilt")
    assert report.run.id == outcome.run_id == 2
    for built in files:
        assert built.read_bytes() == (folder / "out" / built.name).read_bytes(), built.name


def test_results_csv_has_every_unit_in_scope(two_runs: tuple[Path, AuditOutcome]) -> None:
    folder, _ = two_runs
    rows = list(csv.DictReader((folder / "out" / "results.csv").open(encoding="utf-8")))
    assert len(rows) == 18 and {r["province_code"] for r in rows} == {"01"}
    by_code = {r["code"]: r for r in rows}
    assert by_code["00070"]["status"] == "ok" and by_code["00070"]["has_page"] == "1"
    assert by_code["00070"]["congxa"] == "1" and by_code["00070"]["conformant"] == "1"
    assert by_code["00084"]["stale"] == "" and by_code["00080"]["stale"] == "1"
    assert by_code["00074"]["status"] == "timeout"


def test_indicators_json_and_csv(two_runs: tuple[Path, AuditOutcome]) -> None:
    folder, _ = two_runs
    data = json.loads((folder / "out" / "indicators.json").read_text(encoding="utf-8"))
    assert data["schema"] == "congxa-audit/1"
    assert data["run"]["complete"] and data["run"]["scope"]["province"] == "01"
    national = {row["indicator"]: row for row in data["indicators"] if row["scope"] == "national"}
    # 1.3 in Hà Nội: Hoàn Kiếm ok, Cửa Nam ok, Hàng Bạc not its page, Sóc Sơn ok -> 3/4.
    assert (national["1.3"]["with_page"], national["1.3"]["units"]) == (3, 4)
    assert national["1.3"]["percent"] == 75.0 and national["1.3"]["meets"] is False
    assert [p["run_id"] for p in data["trend"] if p["indicator"] == "1.3"] == [1, 2]
    lines = (folder / "out" / "indicators.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("run_id,year,indicator,scope")
    assert "2,2025,1.3,national,,4,3,75,100,0,3,1,0" in lines


def test_html_is_self_contained(two_runs: tuple[Path, AuditOutcome]) -> None:
    folder, _ = two_runs
    page = (folder / "out" / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"@import|url\(|<link\b", page, re.IGNORECASE)
    # What the issue asks the page to show.
    assert "chưa đạt" in page
    assert "<polyline" in page  # the trend across the two runs
    assert 'id="f-status"' in page  # one province: no province filter
    assert 'data-status="timeout"' in page
    assert "Xã Nginx" in page and "Máy chủ chỉ hiện trang mặc định" in page
    assert "Đơn vị lâu chưa cập nhật" in page and "Thông tin thiết yếu theo tháng" in page


def test_interrupted_runs_are_flagged(tmp_path: Path, farm_files: dict[str, Path]) -> None:
    def stop(progress: object) -> None:
        raise KeyboardInterrupt

    options = AuditOptions(
        registry_csv=farm_files["registry"],
        urls_csv=farm_files["urls"],
        db=tmp_path / "audit.db",
        out=tmp_path / "out",
        crawl=farm_settings(farm_files["ca"], concurrency=1),
    )
    outcome = run_audit(options, progress=stop)
    assert not outcome.complete
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "Lần kiểm tra này chưa xong" in page and "1/22" in page
