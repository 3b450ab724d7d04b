"""The `congxa` command: an adapter that parses options, calls the library, and prints.

Exit codes: 0 all good; 1 some units or files have errors (the rest were still built);
2 wrong usage or an unreadable setup.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import NoReturn

import click

from generator import __version__
from generator.errors import CongxaError, Problem
from generator.source.project import Project

EXIT_OK, EXIT_ERRORS, EXIT_SETUP = 0, 1, 2


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(problem.format(), err=True)


def _progress_output() -> tuple[Callable[[str], None], Callable[[], None]]:
    """One line rewritten in place on a terminal; plain lines in logs and CI."""
    if not sys.stderr.isatty():
        return (lambda line: click.echo(line, err=True)), (lambda: None)
    width = shutil.get_terminal_size().columns - 1
    return (
        (lambda line: click.echo("\r\033[K" + line[:width], err=True, nl=False)),
        (lambda: click.echo("", err=True)),
    )


def _fail_setup(exc: CongxaError) -> NoReturn:
    _print_problems(exc.problems)
    sys.exit(EXIT_SETUP)


def _project(root: Path | None, today: date | None = None) -> Project:
    try:
        project = Project.discover(root, today)
        # Read a province's own registry and profile now, so a broken one is a setup
        # error (exit 2); the bundled ones load when first needed.
        if project.registry_csv is not None:
            _ = project.registry
        if project.profile_file is not None:
            _ = project.profile
    except CongxaError as exc:
        _fail_setup(exc)
    return project


today_option = click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Ngày dùng để xét hạn thông tin thiết yếu (mặc định: hôm nay). Date for expiry checks.",
)
root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Thư mục dự án chứa communes/ và content/ (mặc định: thư mục hiện tại).",
)


EXIT_INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C


class _Commands(click.Group):
    """The command group; Ctrl-C ends any command with a Vietnamese line, not "Aborted!"."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo(
                "\nĐã dừng (interrupted). Trang đã đăng không bị ảnh hưởng: phần chưa dựng "
                "xong không được đăng; chạy lại lệnh để làm tiếp.",
                err=True,
            )
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="congxa")
def main() -> None:
    """congxa: trang thông tin điện tử chuẩn cho xã, phường, đặc khu.

    Standardized e-information sites for Vietnam's commune-level units.

    \b
    Ví dụ (examples):
      congxa build                      dựng mọi đơn vị trong communes/ vào public/
      congxa check communes/ha_noi      kiểm tra tệp của một tỉnh
      congxa init --province 01         tạo tệp mẫu cho mọi đơn vị của Hà Nội
      congxa new communes/ha_noi/xa_soc_son.yml thong-bao "Thông báo lịch họp"
      congxa import qd-12.docx communes/ha_noi/xa_soc_son.yml   bài từ tệp Word
      congxa serve communes/ha_noi/xa_soc_son.yml   xem trước, tự tải lại khi lưu
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("public"),
    show_default=True,
    help="Thư mục xuất bản (output folder).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Số tiến trình song song (parallel workers; default: CPU count).",
)
@click.option("--force", is_flag=True, help="Dựng lại tất cả (rebuild every unit).")
@click.option(
    "--shard",
    default=None,
    metavar="K/N",
    help="Chỉ dựng phần K trong N phần (build 1/N of the units).",
)
@click.option(
    "--emit-mkdocs",
    "emit",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Ghi mỗi đơn vị thành một dự án MkDocs thường vào DIR thay vì "
    "dựng (write plain MkDocs projects instead of building).",
)
@click.option(
    "--unit-timeout",
    type=click.FloatRange(min=1),
    default=None,
    metavar="SECONDS",
    help="Thời gian tối đa dựng một đơn vị; quá thì đơn vị đó lỗi, các đơn vị khác vẫn "
    "dựng (per-unit time limit; default: 300).",
)
@today_option
@root_option
def build(
    paths: tuple[Path, ...],
    out: Path,
    jobs: int | None,
    force: bool,
    shard: str | None,
    emit: Path | None,
    unit_timeout: float | None,
    today: object,
    root: Path | None,
) -> None:
    """Dựng trang cho các đơn vị (build sites). PATH: tệp đơn vị hoặc thư mục.

    \b
    Ví dụ: congxa build
           congxa build communes/ha_noi/phuong_hoan_kiem.yml --out public
    """
    from generator.publish.bulk import UNIT_TIMEOUT_SECONDS, build_many, parse_shard

    project = _project(root, today.date() if today else None)  # type: ignore[attr-defined]
    try:
        shard_spec = parse_shard(shard) if shard else None
        files = project.unit_files(list(paths))
    except CongxaError as exc:
        _fail_setup(exc)
    if shard_spec:
        from generator.publish.bulk import shard_of

        files = shard_of(files, *shard_spec)
        shard_spec = None
    if emit is not None:
        from generator.publish.emit import emit_mkdocs
        from generator.source.commune import split_unfinished, unfinished_line

        ready, waiting = split_unfinished(files)  # not filled in yet: skipped, as by build
        written: list[Path] = []
        problems = emit_mkdocs(project, ready, emit, written)
        _print_problems(problems)
        failed = len(ready) - len(written)
        click.echo(
            f"Đã ghi {len(written)} dự án MkDocs vào {emit}, lỗi {failed} đơn vị "
            f"(wrote {len(written)} MkDocs projects, failed {failed})."
        )
        if waiting:
            click.echo(unfinished_line(len(waiting)))
        sys.exit(EXIT_ERRORS if problems else EXIT_OK)
    show, done = _progress_output()
    try:
        summary = build_many(
            project,
            files,
            out,
            jobs=jobs,
            force=force,
            shard=shard_spec,
            echo=show,
            unit_timeout=unit_timeout or UNIT_TIMEOUT_SECONDS,
        )
    except CongxaError as exc:  # the output folder is busy or cannot be written
        done()
        _fail_setup(exc)
    done()
    for result in summary.failed:
        _print_problems(list(result.problems))
    _print_problems(summary.problems)
    click.echo(summary.line())
    sys.exit(EXIT_ERRORS if summary.failed or summary.problems else EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Định dạng kết quả (output format).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Coi cảnh báo là lỗi: mã thoát 1 khi có cảnh báo (warnings fail, for CI).",
)
@click.option(
    "--stale-days",
    type=click.IntRange(min=1),
    default=90,
    show_default=True,
    help="Chuyên mục không có bài mới sau số ngày này bị cảnh báo (stale section).",
)
@click.option(
    "--max-attachment-mb",
    type=click.FloatRange(min=0),
    default=20.0,
    show_default=True,
    help="Dung lượng tối đa mỗi tệp đính kèm, MB (size limit).",
)
@today_option
@root_option
def check(
    paths: tuple[Path, ...],
    fmt: str,
    strict: bool,
    stale_days: int,
    max_attachment_mb: float,
    today: object,
    root: Path | None,
) -> None:
    """Kiểm tra tệp đơn vị và bài viết (validate files and content).

    \b
    Ví dụ: congxa check
           congxa check communes/ha_noi/xa_soc_son.yml --format json
           congxa check --strict --max-attachment-mb 10
    """
    import json

    from generator.clerk.check import CheckOptions, summary
    from generator.clerk.check import check as run_check

    project = _project(root, today.date() if today else None)  # type: ignore[attr-defined]
    options = CheckOptions(stale_days=stale_days, max_attachment_mb=max_attachment_mb)
    try:
        report = run_check(project, list(paths), options)
    except CongxaError as exc:
        _fail_setup(exc)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(problem.format())
        for line in summary(report):
            click.echo(line)
    sys.exit(EXIT_ERRORS if report.failed(strict) else EXIT_OK)


@main.command()
@click.argument("unit_file", type=click.Path(path_type=Path))
@click.argument("section")
@click.argument("title")
@root_option
def new(unit_file: Path, section: str, title: str, root: Path | None) -> None:
    """Tạo bài viết mới trong chuyên mục, in ra đường dẫn (create a post, print its path).

    SECTION là mã chuyên mục (thong-bao, van-ban...) hoặc tên (\"Thông báo\").

    \b
    Ví dụ: congxa new communes/ha_noi/phuong_hoan_kiem.yml thong-bao "Thông báo lịch họp"
           congxa new communes/ha_noi/xa_soc_son.yml van-ban "Quyết định số 12/QĐ-UBND"
    """
    from generator.clerk.new import new_post

    project = _project(root)
    try:
        path = new_post(project, unit_file, section, title)
    except CongxaError as exc:
        _fail_setup(exc)
    with contextlib.suppress(ValueError):
        path = path.relative_to(Path.cwd())
    click.echo(str(path))
    sys.exit(EXIT_OK)


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("unit_file", required=False, type=click.Path(path_type=Path))
@click.option("--section", default=None, help="Chuyên mục (mặc định: theo loại văn bản).")
@click.option("--no-attach", is_flag=True, help="Không đính kèm tệp Word gốc (don't attach).")
@click.option(
    "--pdf",
    type=click.Path(path_type=Path),
    default=None,
    help="Bản chụp có chữ ký (PDF), đính kèm làm document.file.",
)
@root_option
def import_command(
    file: Path,
    unit_file: Path | None,
    section: str | None,
    no_attach: bool,
    pdf: Path | None,
    root: Path | None,
) -> None:
    """Tạo bài từ tệp Word (.docx) hoặc PDF, in ra đường dẫn (import a document).

    \b
    Ví dụ: congxa import qd-215.docx communes/ha_noi/phuong_hoan_kiem.yml
           congxa import tb-58.docx communes/ha_noi/phuong_hoan_kiem.yml --pdf tb-58.pdf
    """
    from generator.clerk.importing.importer import import_document
    from generator.errors import ContentError

    project = _project(root)
    try:
        done = import_document(
            project, file, unit_file, section=section, attach=not no_attach, pdf=pdf
        )
    except ContentError as exc:
        _print_problems(exc.problems)
        sys.exit(EXIT_ERRORS)
    except CongxaError as exc:
        _fail_setup(exc)
    _print_problems(done.warnings)
    path = done.post
    with contextlib.suppress(ValueError):
        path = path.relative_to(Path.cwd())
    click.echo(str(path))
    sys.exit(EXIT_OK)


@main.command()
@click.argument("unit_file", type=click.Path(path_type=Path), required=False)
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=8000,
    show_default=True,
    help="Cổng trên 127.0.0.1 (port; 0 chọn cổng trống).",
)
@click.option(
    "--public",
    "public",
    is_flag=False,
    flag_value="public",
    default=None,
    metavar="[DIR]",
    type=click.Path(path_type=Path),
    help="Xem các trang đã dựng trong DIR (mặc định public/) thay vì xem trước một đơn vị "
    "(browse a built folder).",
)
@today_option
@root_option
def serve(
    unit_file: Path | None, port: int, public: Path | None, today: object, root: Path | None
) -> None:
    """Xem trước trực tiếp: dựng, phục vụ và tự tải lại khi lưu (live preview).

    \b
    Ví dụ: congxa serve communes/ha_noi/phuong_hoan_kiem.yml
           congxa serve communes/ha_noi/xa_soc_son.yml --port 8001
           congxa serve --public          xem public/ đã dựng (browse public/)
    """
    if public is not None:
        _serve_public(public, port)
    if unit_file is None:
        raise click.UsageError(
            "Thiếu tệp đơn vị (missing UNIT_FILE), hoặc dùng --public để xem public/."
        )
    from generator.clerk.preview import Preview

    project = _project(root, today.date() if today else None)  # type: ignore[attr-defined]
    preview = Preview(project, unit_file, port=port, echo=lambda line: click.echo(line, err=True))
    try:
        preview.start()
    except CongxaError as exc:
        preview.stop()
        _fail_setup(exc)
    click.echo(f"Xem trước tại (preview at) {preview.url} · Ctrl-C để dừng (to stop).", err=True)
    preview.wait()
    preview.stop()
    click.echo("Đã dừng xem trước (preview stopped).", err=True)
    sys.exit(EXIT_OK)


def _serve_public(folder: Path, port: int) -> None:
    from generator.publish.local import PublicServer

    if not folder.is_dir():
        click.echo(
            f"Không có thư mục {folder} (folder not found): chạy `congxa build` trước.", err=True
        )
        sys.exit(EXIT_SETUP)
    try:
        server = PublicServer(folder, port)
    except OSError as exc:
        click.echo(f"Không mở được cổng {port} (port unavailable): {exc}", err=True)
        sys.exit(EXIT_SETUP)
    server.start()
    click.echo(
        f"Đang phục vụ (serving) {folder} tại {server.url} · Ctrl-C để dừng (to stop).", err=True
    )
    try:
        server.thread.join()
    except KeyboardInterrupt:
        pass
    server.stop()
    sys.exit(EXIT_OK)


@main.command()
@click.option(
    "--province",
    required=True,
    metavar="CODE",
    help="Mã tỉnh 2 chữ số hoặc tên mã (province code, e.g. 01 or ha_noi).",
)
@click.option(
    "--unit", "units", multiple=True, metavar="CODE", help="Chỉ tạo cho đơn vị này (repeatable)."
)
@root_option
def init(province: str, units: tuple[str, ...], root: Path | None) -> None:
    """Tạo tệp đơn vị mẫu từ danh mục; không bao giờ ghi đè (scaffold, never overwrites).

    \b
    Ví dụ: congxa init --province 01
           congxa init --province 01 --unit 00070 --unit 00073
    """
    from generator.clerk.init import init_province

    project = _project(root)
    try:
        created, skipped = init_province(project.registry, project.root, province, list(units))
    except CongxaError as exc:
        _fail_setup(exc)
    for path in created:
        click.echo(f"đã tạo (created) {path}")
    for path in skipped:
        click.echo(f"bỏ qua, đã có (exists, kept) {path}")
    click.echo(f"{len(created)} tệp mới, {len(skipped)} tệp giữ nguyên.")
    sys.exit(EXIT_OK)


def _attach_optional_commands() -> None:
    try:
        from generator.audit.commands import audit_command, report_command
    except ImportError:
        return
    main.add_command(audit_command)
    main.add_command(report_command)


_attach_optional_commands()
