"""`congxa audit` and `congxa report`: parse options, call the library, print, exit.

Exit codes (docs/architecture.md): 0 the run went through; 1 some input rows or files had
errors, or the run was interrupted (what was checked is stored); 2 wrong usage or an
unreadable setup (registry, URL list, database, settings). Failing sites are findings of
the audit, not errors: they do not change the exit code.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from generator.errors import CongxaError, Severity

if TYPE_CHECKING:
    from generator.audit.run import Progress

EXAMPLE_AUDIT = """
Ví dụ (example):

\b
  congxa audit --urls urls.csv --province 01 --db audit.db --out bao-cao/
  congxa audit --communes communes/ --resolve '*.gov.vn:203.0.113.7' --no-dns
"""


def _fail(exc: CongxaError) -> NoReturn:
    for problem in exc.problems:
        click.echo(problem.format(), err=True)
    click.get_current_context().exit(2)


class _Ticker:
    """Progress on stderr: one rewritten line on a terminal, a line every 500 units in logs."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        rate = p.done / p.elapsed if p.elapsed > 0 else 0.0
        line = f"{p.done}/{p.total} đơn vị, {p.ok} ok, {rate:.0f}/s"
        if self.tty and (now - self.last > 0.2 or p.done == p.total):
            self.last = now
            click.echo("\r" + line, nl=p.done == p.total, err=True)
        elif not self.tty and (p.done % 500 == 0 or p.done == p.total):
            click.echo(line, err=True)


@click.command("audit", epilog=EXAMPLE_AUDIT)
@click.option(
    "--communes",
    "communes_dir",
    type=click.Path(path_type=Path),
    help="Thư mục tệp đơn vị *.yml; lấy `code` và `site_url` (default: communes/).",
)
@click.option(
    "--urls",
    "urls_csv",
    type=click.Path(path_type=Path),
    help="Tệp CSV `code,url`; nhiều dòng cho một đơn vị: địa chỉ đầu tiên chạy được được tính.",
)
@click.option(
    "--province", metavar="CODE", help="Chỉ kiểm tra một tỉnh (mã 01 hoặc tên mã ha_noi)."
)
@click.option(
    "--registry",
    "registry_csv",
    type=click.Path(path_type=Path),
    metavar="CSV",
    help="Danh mục đơn vị thay cho danh mục chính thức (audits of other years).",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=Path("audit.db"),
    show_default=True,
    help="Cơ sở dữ liệu SQLite lưu lịch sử các lần kiểm tra.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Ghi results.csv, indicators.csv, indicators.json, index.html vào đây.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.05),
    default=10.0,
    show_default=True,
    metavar="S",
    help="Thời gian tối đa cho một yêu cầu (seconds per request).",
)
@click.option(
    "--site-budget",
    type=click.FloatRange(min=0.05),
    default=None,
    metavar="S",
    help="Thời gian tối đa cho cả một trang, mọi chuyển hướng và lần thử lại "
    "(seconds per site; mặc định 3 × --timeout).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    metavar="N",
    help="Số đơn vị kiểm tra cùng lúc.",
)
@click.option(
    "--per-host",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    metavar="N",
    help="Số yêu cầu cùng lúc tới một máy chủ (per host).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Số tiến trình kiểm tra (crawler processes; mặc định: một mỗi lõi CPU, tối đa 4, "
    "khi có từ 200 đơn vị có địa chỉ).",
)
@click.option(
    "--resolve",
    "pins",
    multiple=True,
    metavar="HOST:ADDR",
    help="Gắn tên với địa chỉ; `*.tenmien` cho mọi tên con. Lặp lại được.",
)
@click.option(
    "--no-dns", is_flag=True, help="Không hỏi DNS: tên không gắn bằng --resolve là dns_error."
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Cho phép địa chỉ nội bộ (loopback, private): mặc định bị từ chối.",
)
@click.option(
    "--ca-file",
    type=click.Path(path_type=Path),
    metavar="PEM",
    help="Thêm chứng chỉ CA tin cậy (extra CA bundle), ví dụ CA của tỉnh.",
)
@click.option(
    "--stale-days",
    type=click.IntRange(min=1),
    default=90,
    show_default=True,
    metavar="N",
    help="Tin mới nhất cũ hơn N ngày thì trang bị coi là chưa cập nhật.",
)
@click.option(
    "--year",
    type=click.IntRange(min=2000, max=2100),
    metavar="YYYY",
    help="Năm chỉ tiêu (default: năm nay, tối đa năm cuối có chỉ tiêu).",
)
def audit_command(
    communes_dir: Path | None,
    urls_csv: Path | None,
    province: str | None,
    registry_csv: Path | None,
    db: Path,
    out: Path | None,
    timeout: float,
    site_budget: float | None,
    concurrency: int,
    per_host: int,
    workers: int | None,
    pins: tuple[str, ...],
    no_dns: bool,
    allow_private: bool,
    ca_file: Path | None,
    stale_days: int,
    year: int | None,
) -> None:
    """Kiểm tra trang của mọi đơn vị và tính chỉ tiêu 1.3, 1.4 (coverage audit)."""
    if communes_dir is not None and urls_csv is not None:
        raise click.UsageError("Chỉ dùng một trong --communes và --urls (use one of them).")
    if communes_dir is None and urls_csv is None:
        if not Path("communes").is_dir():
            raise click.UsageError("Cần --communes DIR hoặc --urls CSV (where are the URLs?).")
        communes_dir = Path("communes")
    # The crawler (aiohttp) is imported only when an audit runs: `congxa build` stays quick.
    from generator.audit.crawl import CrawlSettings
    from generator.audit.net import parse_pins
    from generator.audit.report import format_summary
    from generator.audit.run import AuditOptions, run_audit

    try:
        settings = CrawlSettings(
            timeout=timeout,
            connect_timeout=min(timeout, 5.0),
            site_budget=site_budget,
            concurrency=concurrency,
            per_host=per_host,
            pins=parse_pins(pins),
            no_dns=no_dns,
            allow_private=allow_private,
            ca_file=ca_file,
        )
        options = AuditOptions(
            registry_csv=registry_csv,
            communes_dir=communes_dir,
            urls_csv=urls_csv,
            province=province,
            db=db,
            out=out,
            year=year,
            stale_days=stale_days,
            crawl=settings,
            workers=workers,
        )
        outcome = run_audit(options, progress=_Ticker())
    except CongxaError as exc:
        _fail(exc)
    for problem in (*outcome.problems, *outcome.report.problems):
        click.echo(problem.format(), err=True)
    for line in format_summary(outcome.report, outcome.elapsed):
        click.echo(line)
    if outcome.files:
        click.echo(f"Báo cáo (report): {outcome.files[-1]}")
    else:
        click.echo(f"Báo cáo (report): congxa report --db {db} --out DIR")
    if not outcome.complete:
        click.echo(
            "Đã dừng giữa chừng; kết quả đã kiểm tra được lưu (interrupted, partial run stored).",
            err=True,
        )
    errors = [p for p in outcome.problems if p.severity == Severity.ERROR]
    click.get_current_context().exit(1 if errors or not outcome.complete else 0)


EXAMPLE_REPORT = """
Ví dụ (example):

\b
  congxa report --db audit.db --out bao-cao/
  congxa report --year 2026 --docx bao-cao.docx --xlsx phu-luc.xlsx --out bao-cao/
"""


@click.command("report", epilog=EXAMPLE_REPORT)
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=Path("audit.db"),
    show_default=True,
    help="Cơ sở dữ liệu của `congxa audit`.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Ghi results.csv, indicators.csv, indicators.json, index.html vào đây.",
)
@click.option(
    "--year",
    type=click.IntRange(min=2000, max=2100),
    metavar="YYYY",
    help="Báo cáo năm: lấy lần kiểm tra đầy đủ cuối cùng của năm đó (giờ Việt Nam).",
)
@click.option("--run", "run_id", type=click.IntRange(min=1), metavar="N", help="Lần kiểm tra số N.")
@click.option(
    "--province",
    metavar="CODE",
    help="Báo cáo .docx/.xlsx cho một tỉnh của lần kiểm tra toàn quốc (mã 2 chữ số).",
)
@click.option(
    "--docx",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Ghi báo cáo năm (Word, thể thức Nghị định 30/2020/NĐ-CP).",
)
@click.option(
    "--xlsx",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Ghi phụ lục (Excel): mỗi đơn vị một dòng.",
)
@click.option(
    "--config",
    "settings_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="YML",
    help="Tệp có mục `report:` (cơ quan, người ký, địa danh); mặc định ./congxa.yml.",
)
def report_command(
    db: Path,
    out: Path | None,
    year: int | None,
    run_id: int | None,
    province: str | None,
    docx: Path | None,
    xlsx: Path | None,
    settings_file: Path | None,
) -> None:
    """Dựng lại báo cáo từ cơ sở dữ liệu; báo cáo năm .docx và phụ lục .xlsx."""
    if out is None and docx is None and xlsx is None:
        raise click.UsageError("Cần --out DIR, --docx FILE hoặc --xlsx FILE (what to write?).")
    if year is not None and run_id is not None:
        raise click.UsageError("Chỉ dùng một trong --year và --run (use one of them).")
    if settings_file is not None and not settings_file.is_file():
        raise click.UsageError(f"Không tìm thấy tệp --config {settings_file} (file not found).")
    from generator.audit.documents import write_documents
    from generator.audit.report import format_summary, load_report, write_report

    try:
        report = load_report(db, run_id, year=year)
        files = write_report(report, out) if out is not None else []
        files += write_documents(
            report, docx=docx, xlsx=xlsx, settings_file=settings_file, province=province
        )
    except CongxaError as exc:
        _fail(exc)
    for problem in report.problems:
        click.echo(problem.format(), err=True)
    for line in format_summary(report):
        click.echo(line)
    for path in files:
        if path.suffix in (".html", ".docx", ".xlsx"):
            click.echo(f"Báo cáo (report): {path}")
    # Damaged rows were repaired for the report; exit 1 says the input needs a look.
    click.get_current_context().exit(1 if report.problems else 0)
