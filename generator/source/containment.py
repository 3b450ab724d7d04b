"""Which files on disk congxa may publish: the containment rule, one place for every reader.

A file is published only when
- its real path (symbolic links followed) lies inside the unit's content folder, the
  province's shared folder (`content/<province>/_province/`) or the province's theme;
- it is a regular file (not a device, FIFO, socket or folder);
- its type is on the allowlist (`allowed_files` in congxa.yml; never HTML, script or SVG);
- it is no larger than `max_attachment_mb` (congxa.yml, default 50 MB).
Content folders themselves must lie inside the project's `content/` folder.
Whether a page uses the file (and so whether it is published at all) is decided in
generator/site/published.py; this module only says whether it may be.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024
DEFAULT_MAX_ATTACHMENT_MB = 50.0
# Attachments and images a commune publishes (documented in README and the clerks' guide).
DEFAULT_ALLOWED_FILES: tuple[str, ...] = (
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "odt",
    "ods",
    "odp",
    "rtf",
    "txt",
    "csv",
    "zip",
    "rar",
    "7z",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "mp3",
    "mp4",
)
IMAGE_TYPES = frozenset({"png", "jpg", "jpeg", "gif", "webp"})
# Types a browser may run as a page or script on the site's origin: never published,
# whatever congxa.yml says. SVG can carry script, so it is refused rather than sanitised.
NEVER_ALLOWED = frozenset(
    {
        "htm",
        "html",
        "shtml",
        "xht",
        "xhtml",
        "mht",
        "mhtml",
        "js",
        "mjs",
        "cjs",
        "css",
        "svg",
        "svgz",
        "xml",
        "xsl",
        "xslt",
        "swf",
        "php",
        "wasm",
    }
)
TEMP_PREFIXES = (".", "~$")  # hidden files and Office lock files are never content


@dataclass(frozen=True)
class FilePolicy:
    """The province's rule for publishable files (from congxa.yml)."""

    allowed: frozenset[str] = frozenset(DEFAULT_ALLOWED_FILES)
    max_bytes: int = int(DEFAULT_MAX_ATTACHMENT_MB * MB)
    theme_dirs: tuple[Path, ...] = field(default=())  # the province's theme: may hold a logo

    @property
    def max_mb(self) -> float:
        return self.max_bytes / MB

    def allowed_list(self, images_only: bool = False) -> str:
        kinds = sorted(self.allowed & IMAGE_TYPES if images_only else self.allowed)
        return ", ".join(kinds)


@dataclass(frozen=True)
class Refusal:
    """Why a file may not be published: `kind` is outside, special, type or size."""

    kind: str
    message: str
    hint: str


def file_type(path: Path | str) -> str:
    """The type a file is served as: its suffix, lower case, without the dot."""
    return os.path.splitext(str(path))[1].lstrip(".").lower()


def real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def lexical(path: Path) -> Path:
    """`path` made absolute with `.` and `..` removed, symbolic links not followed."""
    return Path(os.path.normpath(os.path.abspath(path)))


def inside(path: Path, root: Path) -> bool:
    """Does the real path of `path` lie inside the real path of `root`?"""
    return real(path).is_relative_to(real(root))


def refusal(
    path: Path, roots: Sequence[Path], policy: FilePolicy, *, images_only: bool = False
) -> Refusal | None:
    """Why the existing file `path` may not be published, or None when it may."""
    name = path.name
    target = real(path)
    if not any(target.is_relative_to(real(root)) for root in roots):
        return Refusal(
            "outside",
            f"Tệp {name} trỏ ra ngoài thư mục nội dung của đơn vị (file outside the content "
            f"folder): đường dẫn thật là {target}.",
            "chép tệp thật vào thư mục files/ của đơn vị thay cho liên kết tượng trưng "
            "(symlink); congxa chỉ đăng tệp nằm trong thư mục của đơn vị, thư mục _province "
            "của tỉnh hoặc giao diện (theme) của tỉnh.",
        )
    try:
        info = os.stat(target)
    except OSError as exc:
        return Refusal(
            "special",
            f"Không đọc được tệp {name} (cannot read file): {exc.strerror}.",
            "kiểm tra quyền đọc của tệp.",
        )
    if not stat.S_ISREG(info.st_mode):
        return Refusal(
            "special",
            f"{name} không phải tệp thường (not a regular file): thư mục, thiết bị hay FIFO "
            "không được đăng.",
            "xoá mục này khỏi thư mục nội dung; chỉ chép vào đây tệp tài liệu và hình ảnh.",
        )
    kind = file_type(name)
    if (
        kind in NEVER_ALLOWED
        or kind not in policy.allowed
        or (images_only and kind not in IMAGE_TYPES)
    ):
        return type_refusal(name, policy, images_only=images_only)
    if info.st_size > policy.max_bytes:
        return Refusal(
            "size",
            f"Tệp {name} nặng {info.st_size / MB:.1f} MB, quá giới hạn {policy.max_mb:g} MB "
            "(attachment too large).",
            "giảm dung lượng: quét lại ở 150-200 dpi, nén PDF (Save as → Reduced size PDF), "
            "hoặc tách thành nhiều tệp; giới hạn do tỉnh đặt bằng `max_attachment_mb` trong "
            "congxa.yml.",
        )
    return None


def type_refusal(name: str, policy: FilePolicy, *, images_only: bool = False) -> Refusal:
    kind = file_type(name)
    shown = f".{kind}" if kind else "không có đuôi (no extension)"
    accepted = policy.allowed_list(images_only)
    if kind in ("svg", "svgz"):
        return Refusal(
            "type",
            f"Ảnh SVG {name} không được đăng (SVG refused): tệp SVG có thể chứa mã chạy "
            "(script) trên trang của đơn vị.",
            f"xuất ảnh sang PNG (Inkscape: File → Export PNG Image) rồi dùng tệp .png. Loại "
            f"tệp được đăng: {accepted}.",
        )
    if kind in NEVER_ALLOWED:
        return Refusal(
            "type",
            f"Tệp {name} ({shown}) không bao giờ được đăng (file type never published): trang "
            "web, mã JavaScript hay kiểu trình bày chạy được trên trang của đơn vị.",
            f"viết nội dung thành bài Markdown, hoặc đính kèm bản PDF. Loại tệp được đăng: "
            f"{accepted}.",
        )
    what = "Ảnh" if images_only else "Loại tệp"
    return Refusal(
        "type",
        f"{what} {name} ({shown}) không được đăng (file type not allowed).",
        f"chuyển tệp sang một loại được đăng: {accepted}; cán bộ kỹ thuật của tỉnh có thể "
        "thêm loại tệp vào `allowed_files` trong congxa.yml.",
    )


def folder_refusal(folder: Path, content_dir: Path) -> Refusal | None:
    """Why a content folder may not be read: it leads outside the project's content/."""
    if not os.path.lexists(folder):
        return None
    target = real(folder)
    if target.is_relative_to(real(content_dir)):
        return None
    return Refusal(
        "outside",
        f"Thư mục nội dung {folder} trỏ ra ngoài thư mục content/ của dự án (content folder "
        f"outside the project): đường dẫn thật là {target}.",
        "thay liên kết tượng trưng (symlink) bằng thư mục thật nằm trong content/, chép nội "
        "dung vào đó.",
    )


@dataclass(frozen=True)
class Entry:
    """One name found under a content folder."""

    rel: str  # posix path relative to the folder
    path: Path  # lexical path
    escapes: bool  # a symbolic link whose real path leaves the folder
    regular: bool  # a regular file (after following links that stay inside)


def walk(root: Path) -> Iterator[Entry]:
    """Every file under `root` (hidden names skipped), sorted; links that leave `root` are
    reported, never followed; links that stay inside are followed once."""
    base = real(root)
    seen: set[Path] = set()

    def visit(folder: Path, rel: str) -> Iterator[Entry]:
        here = real(folder)
        if here in seen:
            return
        seen.add(here)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return
        for name in names:
            if name.startswith(TEMP_PREFIXES):
                continue
            path = folder / name
            sub = f"{rel}{name}"
            target = real(path)
            if not target.is_relative_to(base):
                yield Entry(sub, path, True, False)
                continue
            try:
                info = os.stat(path)
            except FileNotFoundError:
                continue  # a dangling link inside the folder: nothing to publish
            except OSError:  # a loop of links, a permission: reported by `refusal`
                yield Entry(sub, path, False, False)
                continue
            if stat.S_ISDIR(info.st_mode):
                yield from visit(path, sub + "/")
            else:
                yield Entry(sub, path, False, stat.S_ISREG(info.st_mode))

    if root.is_dir():
        yield from visit(root, "")


def suggest(base: Path, raw: str, candidates: Iterable[str] = ()) -> str | None:
    """A close existing path for `raw` (relative to `base`): same name in another case
    first (`QD.PDF` for `qd.pdf`), else a similar name in the same folder."""
    parts = raw.split("/")
    folder = base
    fixed: list[str] = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part in ("", ".", ".."):
            fixed.append(part)
            folder = folder.parent if part == ".." else folder
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            return None
        if part in names:
            choice: str | None = part
        else:
            folded = [n for n in names if n.casefold() == part.casefold()]
            choice = folded[0] if folded else None
            if choice is None and last:
                close = difflib.get_close_matches(part, names, n=1, cutoff=0.75)
                choice = close[0] if close else None
        if choice is None:
            return None
        fixed.append(choice)
        folder = folder / choice
    found = "/".join(fixed)
    return found if found != raw else None
