"""A congxa project: the folder holding communes/ and content/, and its optional congxa.yml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from generator.errors import ConfigError, ContentError, Problem, Severity
from generator.source.commune import load_unit
from generator.source.containment import (
    DEFAULT_ALLOWED_FILES,
    DEFAULT_MAX_ATTACHMENT_MB,
    MB,
    NEVER_ALLOWED,
    FilePolicy,
)
from generator.source.fields import VN_TZ, Fields
from generator.source.files import parse_yaml, read_text
from generator.source.model import Site
from generator.source.posts import load_posts
from generator.source.profile import Profile, load_profile
from generator.source.registry import Registry, load_registry
from generator.source.siteurl import normalise_site_url

SETTINGS_FILE = "congxa.yml"
# Every key congxa.yml may hold; anything else is a typo that would be ignored silently.
SETTINGS_KEYS = {
    "registry",
    "profile",
    "theme",
    "feed_limit",
    "province_url",
    "report",
    "allowed_files",
    "max_attachment_mb",
    "board",
}
_FILE_TYPE = re.compile(r"^[a-z0-9]{1,10}$")
MAX_ATTACHMENT_MB_CEILING = 2048.0  # what any web server is configured to send, at most


@dataclass
class Project:
    """Where a province's (or the country's) communes and content live, and the settings."""

    root: Path
    registry_csv: Path | None = None
    profile_file: Path | None = None
    theme_dir: Path | None = None  # the province's own overrides, layered over congxa's theme
    feed_limit: int = 50
    today: datetime | None = None
    province_url: str | None = None  # where public/<province>/ is served ({province} = folder)
    allowed_files: frozenset[str] = frozenset(DEFAULT_ALLOWED_FILES)  # congxa.yml allowed_files
    max_attachment_mb: float = DEFAULT_MAX_ATTACHMENT_MB  # congxa.yml max_attachment_mb
    board_seconds: int = 12  # bulletin board: seconds per slide
    board_orientation: str = "auto"  # bulletin board: auto | landscape | portrait

    @classmethod
    def discover(cls, root: Path | None = None, today: date | None = None) -> Project:
        """Read `congxa.yml` in `root` (default: the current folder) when it exists."""
        root = (root or Path.cwd()).resolve()
        project = cls(root=root)
        settings = root / SETTINGS_FILE
        if settings.is_file():
            try:
                data = parse_yaml(read_text(settings), settings) or {}
            except ContentError as exc:
                raise ConfigError(exc.problems) from None
            f = Fields(settings)
            if not isinstance(data, dict):
                f.error(
                    "Tệp congxa.yml phải là các dòng `tên: giá trị` (expected a mapping).",
                    line=1,
                    hint="ví dụ `feed_limit: 50`; các trường dùng được: "
                    + ", ".join(f"`{k}`" for k in sorted(SETTINGS_KEYS))
                    + ".",
                )
                raise ConfigError(f.problems)
            f.unknown_keys(
                data,
                SETTINGS_KEYS,
                severity=Severity.ERROR,
                consequence="không được congxa dùng tới",
            )
            for key, attr in (
                ("registry", "registry_csv"),
                ("profile", "profile_file"),
                ("theme", "theme_dir"),
            ):
                value = f.get(data, key, str)
                if value:
                    setattr(project, attr, (root / value).resolve())
            project.feed_limit = f.get(data, "feed_limit", int) or 50
            project.allowed_files = _allowed_files(f, data) or project.allowed_files
            project.max_attachment_mb = _max_attachment_mb(f, data) or project.max_attachment_mb
            _board_settings(project, f, data)
            if f.problems:
                raise ConfigError(f.problems)
        elif (root / "themes" / "overrides").is_dir():
            project.theme_dir = root / "themes" / "overrides"
        project.province_url = province_url_setting(root)
        day = today or datetime.now(VN_TZ).date()
        # "Now" is the start of the day: the whole day builds the same bytes.
        project.today = datetime(day.year, day.month, day.day, tzinfo=VN_TZ)
        return project

    @property
    def files(self) -> FilePolicy:
        """Which files of the content folders may be published (generator/source/containment.py)."""
        return FilePolicy(
            allowed=self.allowed_files,
            max_bytes=int(self.max_attachment_mb * MB),
            theme_dirs=(self.theme_dir,) if self.theme_dir is not None else (),
        )

    @cached_property
    def registry(self) -> Registry:
        return load_registry(self.registry_csv)

    @cached_property
    def profile(self) -> Profile:
        return load_profile(self.profile_file)

    @property
    def communes_dir(self) -> Path:
        return self.root / "communes"

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    def unit_files(self, paths: list[Path] | None = None) -> list[Path]:
        """Commune files named by PATHs (files or folders); all of communes/ when none."""
        if not paths:
            if not self.communes_dir.is_dir():
                raise ConfigError(
                    Problem(
                        f"Không có thư mục communes/ trong {self.root} (no communes folder).",
                        hint="chạy lệnh trong thư mục dự án, hoặc tạo tệp đơn vị bằng "
                        "`congxa init --province <mã tỉnh>`.",
                    )
                )
            paths = [self.communes_dir]
        found: list[Path] = []
        for path in paths:
            path = path if path.is_absolute() else (Path.cwd() / path)
            if path.is_dir():
                found.extend(p for p in sorted(path.rglob("*.yml")) if not p.name.startswith("_"))
            elif path.is_file():
                found.append(path)
            else:
                raise ConfigError(
                    Problem(
                        f"Không tìm thấy {path} (path not found).",
                        hint="kiểm tra đường dẫn tới tệp hoặc thư mục.",
                    )
                )
        resolved = sorted({p.resolve() for p in found})
        communes = self.communes_dir.resolve()
        for unit_file in resolved:
            if not unit_file.is_relative_to(communes):
                # Its content would be read from this project and its shared folder and
                # links from the unit file's own project: never mixed.
                raise ConfigError(
                    Problem(
                        f"{unit_file} nằm ngoài dự án {self.root} (path outside the project): "
                        f"tệp đơn vị phải nằm trong {self.communes_dir}, bài viết trong "
                        f"{self.content_dir}.",
                        hint="chạy lệnh trong thư mục dự án của tệp này, hoặc ghi "
                        "`--root <thư mục dự án>` cho đúng dự án chứa tệp.",
                    )
                )
        return resolved

    def content_for(self, unit_file: Path) -> tuple[Path, Path]:
        """(the unit's content folder, the province's content folder)."""
        province_dir = self.content_dir / unit_file.parent.name
        return province_dir / unit_file.stem, province_dir

    def load_site(self, unit_file: Path) -> Site:
        """Load and validate everything one unit's site is built from."""
        files = self.files
        unit = load_unit(unit_file, self.registry, files=files)
        unit_dir, province_dir = self.content_for(unit_file)
        posts, problems = load_posts(unit_dir, province_dir, self.profile, files)
        errors = [p for p in problems if p.severity == Severity.ERROR]
        if errors:
            raise ContentError(problems, unit=unit.code)
        assert self.today is not None
        return Site(
            unit=unit,
            profile=self.profile,
            posts=tuple(posts),
            today=self.today,
            feed_limit=self.feed_limit,
            files=files,
            board_seconds=self.board_seconds,
            board_orientation=self.board_orientation,
        )


def _allowed_files(f: Fields, data: Any) -> frozenset[str] | None:
    """`allowed_files`: the file types the province publishes (replaces the default list)."""
    raw = f.get(data, "allowed_files", list)
    if raw is None:
        return None
    found: set[str] = set()
    reported = len(f.problems)
    for item in raw:
        kind = str(item).strip().lstrip(".").lower() if isinstance(item, (str, int)) else ""
        if kind in NEVER_ALLOWED:
            f.error(
                f"Loại tệp {item!r} trong `allowed_files` không bao giờ được đăng (file type "
                "never published): trang web, mã chạy (script) và ảnh SVG có thể chạy mã trên "
                "trang của đơn vị.",
                data=data,
                key="allowed_files",
                hint="xoá loại tệp này khỏi danh sách; đăng bản PDF hoặc PNG thay thế.",
            )
        elif not _FILE_TYPE.match(kind):
            f.error(
                f"Loại tệp {item!r} trong `allowed_files` không hợp lệ (invalid file type).",
                data=data,
                key="allowed_files",
                hint="ghi đuôi tệp bằng chữ thường và số, không dấu chấm, ví dụ "
                "`allowed_files: [pdf, docx, xlsx, png, jpg]`.",
            )
        else:
            found.add(kind)
    if not found and len(f.problems) == reported:
        f.error(
            "`allowed_files` trống (empty list): không tệp đính kèm nào được đăng.",
            data=data,
            key="allowed_files",
            hint="ghi các loại tệp được đăng, ví dụ `allowed_files: [pdf, docx, png, jpg]`, "
            "hoặc xoá dòng này để dùng danh sách mặc định.",
        )
    return frozenset(found) or None


def _max_attachment_mb(f: Fields, data: Any) -> float | None:
    """`max_attachment_mb`: the largest attachment published, in MB."""
    value = data.get("max_attachment_mb") if isinstance(data, dict) else None
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value <= MAX_ATTACHMENT_MB_CEILING
    ):
        f.error(
            f"`max_attachment_mb` không hợp lệ (invalid): {value!r}.",
            data=data,
            key="max_attachment_mb",
            hint=f"ghi một số MB lớn hơn 0 và không quá {MAX_ATTACHMENT_MB_CEILING:g}, ví dụ "
            f"`max_attachment_mb: {DEFAULT_MAX_ATTACHMENT_MB:g}`.",
        )
        return None
    return float(value)


def province_url_setting(root: Path) -> str | None:
    """`province_url` from congxa.yml, checked: an https URL ending with `/`."""
    settings = root / SETTINGS_FILE
    if not settings.is_file():
        return None
    data = parse_yaml(read_text(settings), settings) or {}
    value = data.get("province_url") if isinstance(data, dict) else None
    if value is None:
        return None
    # Read as strictly as a unit's site_url (source/siteurl.py): it reaches the province
    # feed, units.json and the boards, so no quote, bracket, space or newline gets through.
    if (
        not isinstance(value, str)
        or not value.endswith("/")
        or normalise_site_url(value.replace("{province}", "province")) is None
    ):
        raise ConfigError(
            Problem(
                f"`province_url` không hợp lệ (invalid): {value!r}.",
                file=settings,
                field="province_url",
                hint="ghi địa chỉ https đầy đủ, kết thúc bằng `/`, ví dụ "
                "`province_url: https://congxa.hanoi.gov.vn/{province}/`.",
            )
        )
    return value


def _board_settings(project: Project, f: Fields, data: object) -> None:
    """`board: {seconds: 12, orientation: auto}`: how the bulletin board shows slides."""
    board = data.get("board") if isinstance(data, dict) else None
    if board is None:
        return
    if not isinstance(board, dict):
        f.error(
            "`board` phải gồm các dòng `seconds:` và `orientation:` (expected a mapping).",
            data=data,
            key="board",
            field="board",
            hint="ví dụ:\nboard:\n  seconds: 12\n  orientation: auto",
        )
        return
    seconds = f.get(board, "seconds", int, prefix="board.")
    if seconds is not None:
        if 5 <= seconds <= 120:
            project.board_seconds = seconds
        else:
            f.error(
                f"`board.seconds` phải từ 5 đến 120 giây (out of range): {seconds}.",
                data=board,
                key="seconds",
                field="board.seconds",
                hint="ghi số giây mỗi trang chiếu, ví dụ `seconds: 12`.",
            )
    orientation = f.get(board, "orientation", str, prefix="board.")
    if orientation is not None:
        if orientation in ("auto", "landscape", "portrait"):
            project.board_orientation = orientation
        else:
            f.error(
                f"`board.orientation` không hợp lệ (invalid): {orientation!r}.",
                data=board,
                key="orientation",
                field="board.orientation",
                hint="ghi `auto` (theo màn hình), `landscape` (ngang) hoặc `portrait` (dọc).",
            )
