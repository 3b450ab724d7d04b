"""Building one unit: load and validate → render with MkDocs → feeds and manifest → publish."""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import re
import shutil
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from generator import __version__
from generator.errors import BuildError, CongxaError, Problem
from generator.publish.atomic import publish
from generator.publish.layout import OutputLayout
from generator.publish.pool import TimeLimit, WorkerLost
from generator.source.model import Site
from generator.source.project import Project


class BuildStatus(StrEnum):
    """What a run did with one unit."""

    BUILT = "built"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class BuildResult:
    unit_file: Path
    status: BuildStatus
    output: Path | None = None
    pages: int = 0
    problems: tuple[Problem, ...] = ()
    seconds: float = 0.0
    code: str | None = None
    garbage: tuple[str, ...] = ()  # store objects only the replaced version used


def render(site: Site, site_dir: Path, project: Project, store: Path | None = None) -> int:
    """Render the site's HTML with MkDocs into `site_dir`; return the number of pages."""
    # MkDocs is imported here, not at module level: a no-op run never pays for it.
    from mkdocs.commands.build import build as mkdocs_build

    from generator.site.config import mkdocs_config, quiet_mkdocs
    from generator.site.plugin import CongxaPlugin

    quiet_mkdocs()
    docs_dir = site_dir.parent / (site_dir.name + ".docs")
    docs_dir.mkdir(parents=True, exist_ok=True)
    config = mkdocs_config(site, site_dir, docs_dir, project.theme_dir, store)
    try:
        with _mkdocs_errors_to(site):
            mkdocs_build(config)
    finally:
        with contextlib.suppress(OSError):
            docs_dir.rmdir()
    plugin = config.plugins["congxa"]
    assert isinstance(plugin, CongxaPlugin)
    return len(plugin.pages)


@contextlib.contextmanager
def _mkdocs_errors_to(site: Site) -> Iterator[None]:
    from mkdocs.exceptions import MkDocsException

    logger = logging.getLogger("mkdocs")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.ERROR)
    logger.addHandler(handler)
    try:
        yield
    except MkDocsException as exc:
        detail = stream.getvalue().strip() or str(exc)
        raise BuildError(
            Problem(
                f"MkDocs không dựng được trang (build failed): {detail}",
                file=site.unit.source,
                hint="kiểm tra nội dung bài viết vừa sửa; nếu lỗi vẫn còn, "
                "báo cho nhóm kỹ thuật của tỉnh.",
            ),
            unit=site.unit.code,
        ) from exc
    except Exception as exc:
        # Any other exception stays this unit's failure (build_unit); MkDocs' log names
        # the page it was rendering.
        detail = stream.getvalue().strip()
        if detail:
            exc.add_note(detail)
        raise
    finally:
        logger.removeHandler(handler)


def write_outputs(site: Site, site_dir: Path, cache: Path | None = None) -> None:
    """Feeds, the manifest and the bulletin board's page and data, beside the HTML
    (`cache`: a folder of the build state where QR codes are kept between builds)."""
    from generator.site.bulletin import write_bulletin
    from generator.site.feeds import write_feeds
    from generator.site.manifest import write_manifest

    write_feeds(site, site_dir)
    write_manifest(site, site_dir)
    write_bulletin(site, site_dir, cache)


def build_unit(project: Project, unit_file: Path, layout: OutputLayout, digest: str) -> BuildResult:
    """Build one unit and publish it atomically; never raises (bar KeyboardInterrupt).

    `digest` is the fingerprint of the unit's inputs (input_digest, computed when the run
    was planned): it names the published version and becomes the unit's stamp. Any
    exception stays this unit's failure: a Vietnamese message for the clerk and, when it
    is not one of congxa's own errors, the traceback in the unit's log file for IT.
    """
    start = time.monotonic()
    staging: Path | None = None
    try:
        site = project.load_site(unit_file)  # load and validate
        staging = layout.fresh_staging(unit_file)  # plan: a folder beside the published one
        pages = render(site, staging, project, layout.objects)  # render
        write_outputs(site, staging, layout.cache)  # feeds, manifest, bulletin board
        _version, garbage = publish(layout, unit_file, staging, digest)  # publish
        staging = None
        layout.write_stamp(unit_file, digest)
    except CongxaError as exc:
        problems = tuple(exc.problems)
    except Exception as exc:  # noqa: BLE001 (one unit's failure never stops the others)
        problems = (unit_failure(layout, unit_file, exc),)
    else:
        return BuildResult(
            unit_file,
            BuildStatus.BUILT,
            layout.unit(unit_file),
            pages,
            seconds=time.monotonic() - start,
            code=site.unit.code,
            garbage=tuple(garbage),
        )
    finally:
        if staging is not None:  # a failed build: free its space now
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(staging.with_name(staging.name + ".docs"), ignore_errors=True)
    return BuildResult(
        unit_file, BuildStatus.FAILED, problems=problems, seconds=time.monotonic() - start
    )


def unit_failure(layout: OutputLayout, unit_file: Path, exc: BaseException) -> Problem:
    """What the clerk reads about an unexpected failure; the traceback goes to a log file."""
    log = layout.log(unit_file)
    text = "".join(traceback.format_exception(exc))
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(
            f"congxa {__version__} · {datetime.now(UTC).isoformat(timespec='seconds')}\n"
            f"{unit_file}\n\n{text}",
            encoding="utf-8",
        )
        where = f" Chi tiết cho nhóm kỹ thuật (log): {log}."
    except OSError as err:
        where = f" (Không ghi được nhật ký {log}: {err.strerror}.)"
    kept = "Trang đang xuất bản vẫn giữ bản trước (the published site is unchanged)."
    if isinstance(exc, TimeLimit):
        return Problem(
            f"Dựng đơn vị quá {exc.seconds:g} giây nên đã dừng (time limit). {kept}{where}",
            file=unit_file,
            hint="thường do một bài viết có nội dung bất thường (ví dụ hàng nghìn dấu `[` "
            "hoặc thẻ lồng nhau): xem lại bài vừa sửa; đơn vị rất lớn có thể tăng "
            "`--unit-timeout`.",
        )
    if isinstance(exc, WorkerLost):
        return Problem(
            f"Tiến trình dựng đơn vị này dừng đột ngột ({exc}), thường do thiếu bộ nhớ "
            f"(out of memory). {kept}{where}",
            file=unit_file,
            hint="chạy lại `congxa build`; nếu lỗi lặp lại, xem lại bài viết vừa sửa (tệp "
            "rất lớn) hoặc giảm `--jobs`.",
        )
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Problem(
            f"Ổ đĩa đầy (disk full: {exc.strerror}) khi ghi {exc.filename or layout.root}. "
            f"{kept}{where}",
            file=unit_file,
            hint=f"giải phóng dung lượng trên ổ đĩa chứa {layout.root}, rồi chạy lại "
            "`congxa build`.",
        )
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        name = Path(os.fsdecode(exc.filename)) if exc.filename else None
        if name is not None and not name.is_relative_to(layout.root):
            return Problem(
                f"Không đọc được {name} (permission denied: {exc.strerror}). {kept}{where}",
                file=unit_file,
                hint="cấp quyền đọc tệp/thư mục này cho tài khoản chạy congxa "
                "(ví dụ `chmod -R a+rX`), rồi chạy lại.",
            )
        return Problem(
            f"Không ghi được vào thư mục xuất bản (cannot write output: {exc.strerror}): "
            f"{name or layout.root}. {kept}{where}",
            file=unit_file,
            hint=f"cấp quyền ghi {layout.root} cho tài khoản chạy congxa, hoặc chọn "
            "thư mục khác bằng `--out`.",
        )
    summary = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    page = _page_of(exc)
    return Problem(
        f"Lỗi không lường trước khi dựng đơn vị (unexpected error: {summary})"
        + (f" ở trang {page}" if page else "")
        + f". {kept}{where}",
        file=unit_file,
        hint="xem lại bài viết vừa thêm hoặc sửa (nội dung lồng nhau quá sâu, ký tự lạ); "
        "nếu không tìm ra, gửi tệp nhật ký (log) cho nhóm kỹ thuật của tỉnh.",
    )


def _page_of(exc: BaseException) -> str | None:
    """The page MkDocs was rendering, from its error log attached to the exception."""
    for note in getattr(exc, "__notes__", ()):
        found = re.search(r"Error reading page '([^']+)'", note)
        if found:
            return found.group(1)
    return None
