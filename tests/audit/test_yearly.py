"""Province monitoring over a history of audits: activity, dashboard, yearly .docx and .xlsx.

Four national runs over the farm on different days (a year apart, two days apart, today,
and today again but interrupted), one site going down, up and down again, and the demo
build served for Phường Hoàn Kiếm so that real site.json and feeds (with essential items)
are read. Every expectation is derived from the data: the built feeds, indicators.json,
results.csv.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from click.testing import CliRunner
from docx import Document
from docx.shared import Pt
from openpyxl import load_workbook

from generator.audit import store as store_module
from generator.audit.activity import parse_feed
from generator.audit.page import VIETNAM, parse_date
from generator.audit.report import report_from_db
from generator.audit.run import AuditOptions, run_audit
from generator.audit.store import Store
from generator.audit.wording import percent
from generator.audit.xlsx_annex import unit_columns
from generator.cli import main
from generator.source.essential import priorities

from . import farm as f
from .conftest import Case, farm_settings, write_registry

NS = "{urn:congxa:ns:1}"
SETTINGS = """\
report:
  parent: Ủy ban nhân dân thành phố Hà Nội
  agency: Sở Văn hóa và Thể thao
  code: SVHTT
  place: Hà Nội
  recipient: Bộ Văn hóa, Thể thao và Du lịch
  signer: Nguyễn Thị Bình
  signer_title: Giám đốc
  signer_authority: KT. Giám đốc
  recipients: ["- Như trên;", "- Lưu: VT."]
  baseline:
    "1.4": {2023: 41.5}
"""


@dataclass(frozen=True)
class History:
    folder: Path
    db: Path
    now: datetime
    runs: list[int]
    demo: Path  # the built site of Phường Hoàn Kiếm


@pytest.fixture(scope="module")
def history(
    tmp_path_factory: pytest.TempPathFactory,
    farm: f.Farm,
    cases: list[Case],
    farm_files: dict[str, Path],
    demo_public: Path,
) -> History:
    folder = tmp_path_factory.mktemp("yearly")
    demo = demo_public / "ha_noi" / "phuong_hoan_kiem"
    demo_host = farm.add_static("yearly-hoankiem", demo)
    state = {"up": False}
    flip = f.handmade_site("Xã Bát Tràng")

    async def toggled(request: web.Request) -> web.StreamResponse:
        if not state["up"]:
            return web.Response(status=503, text="down")
        return await flip(request)

    flip_host = farm.add("yearly-battrang", toggled)
    urls = folder / "urls.csv"
    with urls.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "url"])
        for case in cases:
            if case.code == "00070":
                writer.writerow([case.code, farm.url(demo_host)])
            elif case.code == "00072":
                writer.writerow([case.code, farm.url(flip_host)])
            elif case.code == "06996":
                writer.writerow([case.code, '=HYPERLINK("http://evil.example/","x")'])
            else:
                for url in case.urls:
                    writer.writerow([case.code, url])
    registry = write_registry(folder / "registry.csv", cases)
    db = folder / "audit.db"
    options = AuditOptions(
        registry_csv=registry, urls_csv=urls, db=db, crawl=farm_settings(farm_files["ca"])
    )
    now = datetime.now(UTC).replace(microsecond=0)
    runs = []
    for days, up in ((400, False), (2, True), (0, False)):
        state["up"] = up
        runs.append(run_audit(options, now=now - timedelta(days=days)).run_id)

    def stop(progress: object) -> None:
        raise KeyboardInterrupt

    state["up"] = True  # the interrupted run never reaches it: it stays unchecked
    interrupted = run_audit(
        AuditOptions(
            **{**options.__dict__, "crawl": farm_settings(farm_files["ca"], concurrency=1)}
        ),
        now=now,
        progress=stop,
    )
    assert not interrupted.complete
    runs.append(interrupted.run_id)
    (folder / "congxa.yml").write_text(SETTINGS, encoding="utf-8")
    return History(folder, db, now, runs, demo)


def _report(history: History, *args: str) -> Any:
    result = CliRunner().invoke(main, ["report", "--db", str(history.db), *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def documents(history: History) -> dict[str, Path]:
    """`congxa report --year Y --province 01 --docx --xlsx --out`, in one command."""
    out = history.folder / "year"
    year = history.now.astimezone(VIETNAM).year
    _report(
        history,
        "--year",
        str(year),
        "--province",
        "01",
        "--out",
        str(out),
        "--docx",
        str(out / "bao-cao.docx"),
        "--xlsx",
        str(out / "phu-luc.xlsx"),
        "--config",
        str(history.folder / "congxa.yml"),
    )
    return {
        "out": out,
        "docx": out / "bao-cao.docx",
        "xlsx": out / "phu-luc.xlsx",
    }


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _rows(data: Any, scope: str) -> dict[str, dict[str, Any]]:
    return {r["indicator"]: r for r in data["indicators"] if r["scope"] == scope}


def _results(out: Path) -> dict[str, dict[str, str]]:
    rows = csv.DictReader((out / "results.csv").open(encoding="utf-8"))
    return {r["code"]: r for r in rows}


# -- activity ------------------------------------------------------------------------------
def _feed_items(demo: Path) -> list[Any]:
    """Every item of the demo's feeds (main and per section), once per guid."""
    items = {}
    for feed in sorted((demo / "feeds").glob("*.xml")):
        if feed.name in ("atom.xml", "thiet-yeu.xml"):
            continue
        for item in parse_feed(feed.read_bytes()) or []:
            items.setdefault(item.guid, item)
    return list(items.values())


def test_activity_of_a_congxa_site_is_read_from_site_json_and_feeds(history: History) -> None:
    manifest = _json(history.demo / "site.json")
    with Store.open(history.db) as store:
        activity = store.activity(history.runs[2])["00070"]
    assert activity.source == "site.json"
    assert activity.sections == tuple((s["id"], s["items"]) for s in manifest["sections"])
    assert activity.empty == tuple(manifest["conformance"]["empty"])
    assert parse_date(activity.last_post) == parse_date(manifest["updated"])
    items = [i for i in _feed_items(history.demo) if i.date is not None]
    now = history.now
    for days, counted in ((30, activity.posts_30), (90, activity.posts_90)):
        assert counted == sum(
            1 for i in items if timedelta(0) <= now - i.date <= timedelta(days=days)
        )
    expected = sorted(
        (i.guid, i.priority, i.category)
        for i in items
        if i.priority and now - i.date <= timedelta(days=365)
    )
    assert expected, "the demo has essential items"
    assert sorted((e.guid, e.priority, e.category) for e in activity.essential) == expected
    assert all(e.published.endswith("+07:00") for e in activity.essential)


def test_activity_of_any_site_is_read_from_its_feed(history: History) -> None:
    with Store.open(history.db) as store:
        activity = store.activity(history.runs[2])
    # Phường Cửa Nam's feed: posts 3 and 33 days old (tests/audit/farm.py, handmade_site).
    cua_nam = activity["00071"]
    assert (cua_nam.source, cua_nam.posts_30, cua_nam.posts_90, cua_nam.posts_365) == (
        "feed",
        1,
        2,
        2,
    )
    assert not cua_nam.exact and cua_nam.sections == ()
    assert "00072" not in activity  # down in the last run: no activity row


def test_an_old_database_upgrades_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database made by the migrations before activity keeps its runs and gains tables."""
    db = tmp_path / "old.db"
    before = tuple(m for m in store_module.MIGRATIONS if m[0] < 3)
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", before)
        Store.open(db).close()
    # One run as the older congxa wrote it (its three tables only).
    con = sqlite3.connect(db, isolation_level=None)
    con.execute(
        "INSERT INTO runs VALUES (1, '2025-06-01T02:00:00+00:00', "
        "'2025-06-01T02:01:00+00:00', 1, '0.1.0', 2025, '{\"province\": null}', '{}')"
    )
    con.execute(
        "INSERT INTO units VALUES (1, '00070', 'Phường Hoàn Kiếm', 'phường', 'phuong', '01', "
        "'Thành phố Hà Nội', '[\"https://hk.example/\"]')"
    )
    con.execute(
        "INSERT INTO results VALUES (1, '00070', 'ok', 'https://hk.example/', "
        "'https://hk.example/', 200, '', 0, 1, '2025-05-30T08:00:00+07:00', 1, '[]', 0.1, "
        "'2025-06-01T02:00:30+00:00')"
    )
    con.close()
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert "activity" not in tables
    with Store.open(db) as store:
        assert store.schema_version() == store_module.MIGRATIONS[-1][0]
        assert [r.id for r in store.runs()] == [1]
        assert store.activity(1) == {} and store.essential_history() == []
    report, _files = report_from_db(db, tmp_path / "out")
    assert [r.status for r in report.results] == ["ok"]
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "01/06/2025 09:00" in page  # the old run, in Vietnam time


# -- dashboard -----------------------------------------------------------------------------
def test_dashboard_of_the_history(history: History) -> None:
    out = history.folder / "dashboard"
    _report(history, "--run", str(history.runs[2]), "--out", str(out))
    page = (out / "index.html").read_text(encoding="utf-8")
    data = _json(out / "indicators.json")
    # Scope and times: national run, Vietnam time in Vietnamese format, no UTC ISO.
    assert "<title>Kiểm tra trang TTĐT cấp xã – toàn quốc" in page
    started = parse_date(data["run"]["started_at"])
    assert started is not None
    assert started.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") in page
    assert data["run"]["started_at"] not in page and "+00:00" not in page
    # Causes in Vietnamese only.
    for english in (
        "no known URL",
        "after 2 tries",
        "more than 10 redirects",
        "web server default page",
    ):
        assert english not in page
    assert "Chưa có địa chỉ trang" in page and "Máy chủ trả lỗi HTTP 503" in page
    # Filter by province: both provinces of the run, and every unit row tagged.
    assert 'id="f-province"' in page
    assert '<option value="01">Thành phố Hà Nội</option>' in page
    assert '<option value="22">Tỉnh Quảng Ninh</option>' in page
    # Stale units: those with a page whose newest post is 30 days old or more.
    results = _results(out)
    for code, row in results.items():
        if row["status"] != "ok" or not row["newest"]:
            continue
        newest = parse_date(row["newest"])
        assert newest is not None
        listed = f'<tr data-province="{row["province_code"]}"><td>{code}</td>' in page
        assert listed == ((started - newest).days >= 30), row["name"]
    # Empty or missing required sections: Xã Phúc Thịnh lacks two (tests/audit/conftest.py).
    assert "Dự án đầu tư" in page.split("Chuyên mục bắt buộc")[1].split("<h2>")[0]
    # Indicators per run (four runs) and per year, the legend as HTML under the chart.
    assert page.count("<polyline") >= 2 and '<figcaption><ul class="legend">' in page
    years = {y["year"]: y["run_id"] for y in data["years"]}
    this_year = started.astimezone(VIETNAM).year
    assert years[this_year] == history.runs[2]  # the last complete run of the year
    assert len(years) == 2
    assert "Chỉ tiêu theo năm" in page


def test_dashboard_counts_essential_items_per_month(history: History) -> None:
    out = history.folder / "dashboard-month"
    _report(history, "--run", str(history.runs[2]), "--out", str(out))
    page = (out / "index.html").read_text(encoding="utf-8")
    now = history.now
    counts: Counter[tuple[str, str]] = Counter()
    for item in _feed_items(history.demo):
        if item.priority and item.date is not None and now - item.date <= timedelta(days=365):
            counts[(item.date.astimezone(VIETNAM).strftime("%m/%Y"), item.priority)] += 1
    order = sorted(priorities(), key=lambda p: priorities()[p]["rank"])
    months = sorted({m for m, _p in counts}, key=lambda m: m[3:] + m[:2])
    national = page.split("Thông tin thiết yếu theo tháng")[1].split('data-agg="01"')[0]
    for month in months:
        cells = "".join(f"<td class=n>{counts[(month, p)]}</td>" for p in order)
        assert f"<tr><td>{month}</td>{cells}" in national, month
    assert "<rect" in national


def test_province_run_title_names_its_province(history: History, tmp_path: Path) -> None:
    # A province report from a national run keeps the run's own title; a province run
    # (tests/audit/test_report.py) names its province: checked here on a fresh one.
    registry = history.folder / "registry.csv"
    db = tmp_path / "one.db"
    options = AuditOptions(
        registry_csv=registry,
        urls_csv=history.folder / "urls.csv",
        province="22",
        db=db,
        out=tmp_path / "out",
        crawl=farm_settings(None, timeout=0.3),
    )
    run_audit(options)
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "<title>Kiểm tra trang TTĐT cấp xã – Tỉnh Quảng Ninh" in page
    assert "Chỉ tiêu của Tỉnh Quảng Ninh" in page and "Chỉ tiêu toàn quốc" not in page


# -- yearly report -------------------------------------------------------------------------
def _docx_text(document: Any) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_docx_follows_decree_30_and_carries_the_indicators(
    history: History, documents: dict[str, Path]
) -> None:
    document = Document(str(documents["docx"]))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and Pt(13) <= normal.size <= Pt(14)
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            assert run.font.name in (None, "Times New Roman")
    # Header: agency left, national name and underlined motto right, number, place/date.
    header = document.tables[0]
    left, right = header.rows[0].cells
    assert "SỞ VĂN HÓA VÀ THỂ THAO" in left.text and "ỦY BAN NHÂN DÂN" in left.text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right.text
    motto = [r for p in right.paragraphs for r in p.runs if r.text == "Độc lập - Tự do - Hạnh phúc"]
    assert motto and motto[0].underline
    number, place = header.rows[1].cells
    assert number.text == "Số: .../BC-SVHTT"
    year = history.now.astimezone(VIETNAM).year
    assert place.text.startswith("Hà Nội, ngày") and place.text.endswith(f"năm {year}")
    assert all(r.italic for r in place.paragraphs[0].runs)
    text = _docx_text(document)
    assert "BÁO CÁO" in text and "Thành phố Hà Nội" in text
    assert "Nơi nhận:" in text and "Nguyễn Thị Bình" in text and "KT. GIÁM ĐỐC" in text
    # The indicator table equals indicators.json of the same command.
    data = _json(documents["out"] / "indicators.json")
    rows = _rows(data, "01")
    table = next(
        t
        for t in document.tables
        if t.rows[0].cells[0].text == "STT" and "Chỉ tiêu" in t.rows[0].cells[1].text
    )
    head = [c.text for c in table.rows[0].cells]
    assert head[2] == "Năm\n2021" and f"Năm\n{year}" in head
    by_indicator = {
        r.cells[1].text.split(".")[0] + "." + r.cells[1].text.split(".")[1]: r
        for r in table.rows[1:]
    }
    for indicator in ("1.3", "1.4"):
        cells = [c.text for c in by_indicator[indicator].cells]
        row = rows[indicator]
        this = head.index(f"Năm\n{year}")
        assert cells[this] == f"{percent(row['percent'])}\n({row['with_page']}/{row['units']})"
        assert cells[-2] == percent(row["target"])
        assert cells[-1] == ("Đạt" if row["meets"] else "Không đạt")
    # The year before comes from the run of that year; 2023 of 1.4 is given data.
    first = _json_of_run(history, history.runs[0])
    before = _rows(first, "01")["1.4"]
    cells = [c.text for c in by_indicator["1.4"].cells]
    assert cells[head.index(f"Năm\n{year - 1}")] == (
        f"{percent(before['percent'])}\n({before['with_page']}/{before['units']})"
    )
    assert cells[head.index("Năm\n2023")] == "41,5%*"
    # Units without a page and stale units of the province are listed.
    results = _results(documents["out"])
    for row in results.values():
        if row["province_code"] == "01" and row["status"] != "ok":
            assert row["name"] in text, row["name"]
    assert "Xã Phúc Thịnh" in text.split("III. ĐƠN VỊ KHÔNG CẬP NHẬT")[1]


def _json_of_run(history: History, run_id: int) -> Any:
    out = history.folder / f"run-{run_id}"
    _report(history, "--run", str(run_id), "--out", str(out))
    return _json(out / "indicators.json")


def test_docx_placeholders_without_settings(history: History, tmp_path: Path) -> None:
    target = tmp_path / "bao-cao.docx"
    _report(history, "--province", "22", "--docx", str(target))
    text = _docx_text(Document(str(target)))
    for placeholder in ("[TÊN CƠ QUAN BÁO CÁO]", "[Họ và tên người ký]", "[Địa danh], ngày"):
        assert placeholder in text
    again = tmp_path / "again.docx"
    _report(history, "--province", "22", "--docx", str(again))
    assert again.read_bytes() == target.read_bytes()  # same input, same bytes


def test_xlsx_annex(history: History, documents: dict[str, Path]) -> None:
    book = load_workbook(documents["xlsx"])
    sheet = book["Đơn vị"]
    columns = unit_columns()
    assert [c.value for c in sheet[1]] == [title for title, _w in columns]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    assert sheet.column_dimensions["C"].width == columns[2][1]
    results = {c: r for c, r in _results(documents["out"]).items() if r["province_code"] == "01"}
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(results)
    with Store.open(history.db) as store:
        activity = store.activity(history.runs[2])
    for code, result in results.items():
        row = rows[code]
        assert row[6] == ("Có" if result["has_page"] == "1" else "Không")
        assert row[7] == (result["final_url"] or result["url"] or None)
        if code in activity:
            assert (row[12], row[13], row[14]) == (
                activity[code].posts_30,
                activity[code].posts_90,
                activity[code].posts_365,
            )
    # Essential items of the year per priority, as the demo's feeds carry them.
    year = history.now.astimezone(VIETNAM).year
    expected = Counter(
        i.priority
        for i in _feed_items(history.demo)
        if i.priority and i.date is not None and i.date.astimezone(VIETNAM).year == year
    )
    titles = [title for title, _w in columns]
    for priority in priorities():
        column = titles.index(f"Tin thiết yếu {priorities()[priority]['title']}")
        assert rows["00070"][column] == expected[priority], priority
    assert sum(expected.values()) > 0
    # Posts per section of the congxa site, as its site.json counts them.
    manifest = _json(history.demo / "site.json")
    per_section = rows["00070"][16]
    for section in manifest["sections"]:
        assert f"{section['title']}: {section['items']}" in per_section
    indicators = book["Chỉ tiêu"]
    data = _rows(_json(documents["out"] / "indicators.json"), "01")
    for row in indicators.iter_rows(min_row=2, values_only=True):
        expected = data[row[0]]
        assert row[2:6] == (
            expected["units"],
            expected["with_page"],
            expected["percent"],
            expected["target"],
        )


def test_xlsx_cells_are_never_formulas(history: History, tmp_path: Path) -> None:
    target = tmp_path / "all.xlsx"
    _report(history, "--run", str(history.runs[2]), "--xlsx", str(target))
    sheet = load_workbook(target)["Đơn vị"]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    hostile = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    assert hostile and all(c.data_type == "s" for c in hostile)


@pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext")) and not os.environ.get("CI"),
    reason="LibreOffice Writer and poppler-utils are installed by .ci/run",
)
def test_libreoffice_converts_the_docx_and_the_figures_are_in_the_pdf(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(documents["docx"]),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / "bao-cao.pdf"
    assert done.returncode == 0 and pdf.is_file(), done.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    rows = _rows(_json(documents["out"] / "indicators.json"), "01")
    for indicator in ("1.3", "1.4"):
        row = rows[indicator]
        # The table cell holds the figure and, under it, the count.
        assert percent(row["percent"]) in text and f"({row['with_page']}/{row['units']})" in text
        assert (
            f"{row['with_page']}/{row['units']} đơn vị, đạt tỷ lệ {percent(row['percent'])}"
            in " ".join(text.split())
        )
    assert "BÁO CÁO" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text


def test_report_needs_something_to_write_and_a_known_year(history: History) -> None:
    result = CliRunner().invoke(main, ["report", "--db", str(history.db)])
    assert result.exit_code == 2 and "--docx" in result.output
    result = CliRunner().invoke(
        main, ["report", "--db", str(history.db), "--year", "2001", "--xlsx", "x.xlsx"]
    )
    assert result.exit_code == 2 and "năm 2001" in result.output


def test_bad_report_settings_are_clear_errors(history: History, tmp_path: Path) -> None:
    settings = tmp_path / "congxa.yml"
    settings.write_text("report:\n  signer: [a, b]\n  baseline: {'1.3': {2023: 140}}\n", "utf-8")
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--db",
            str(history.db),
            "--docx",
            str(tmp_path / "x.docx"),
            "--config",
            str(settings),
        ],
    )
    assert result.exit_code == 2
    assert "report.signer" in result.output and "report.baseline" in result.output
    assert not (tmp_path / "x.docx").exists()


CHROMIUM = os.environ.get("CONGXA_CHROMIUM", "/usr/bin/chromium")
PLAYWRIGHT = Path(__file__).parents[1] / "browser" / "node_modules" / "playwright-core"


@pytest.mark.skipif(
    not (shutil.which("node") and Path(CHROMIUM).is_file() and PLAYWRIGHT.is_dir())
    and not os.environ.get("CI"),
    reason="node, Chromium and tests/browser's playwright-core are installed by .ci/run",
)
def test_dashboard_on_a_360px_phone(history: History, tmp_path: Path) -> None:
    out = tmp_path / "dashboard"
    _report(history, "--run", str(history.runs[2]), "--out", str(out))
    measured = tmp_path / "phone.json"
    subprocess.run(
        [
            "node",
            str(Path(__file__).with_name("report_phone.mjs")),
            CHROMIUM,
            str(out / "index.html"),
            "22",
            str(measured),
        ],
        check=True,
        timeout=120,
    )
    data = _json(measured)
    assert data["scrollWidth"] <= data["clientWidth"] == 360  # no sideways scrolling
    assert data["requests"] == [] and data["errors"] == []
    assert {"01", "22"} <= set(data["rowsBefore"])
    assert data["rowsAfter"] and set(data["rowsAfter"]) == {"22"}
    assert data["aggsShown"] and set(data["aggsShown"]) == {"22"}
