"""`congxa new`: start a post in the right folder, with the fields its section uses.

The file is a template a clerk fills in: today's date (Vietnam time), the title, and
commented examples of the optional blocks, so nobody has to remember field names.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from generator.errors import ConfigError, Problem
from generator.source.fields import VN_TZ
from generator.source.placeholders import POST_BODY
from generator.source.posts import PROVINCE_FOLDER, reserved_slug
from generator.source.profile import Profile, Section, SectionKind
from generator.source.project import Project
from generator.text import slugify

MAX_SLUG = 80  # long titles make unreadable addresses; the slug keeps the first words


def new_post(
    project: Project, unit_file: Path, section_id: str, title: str, now: datetime | None = None
) -> Path:
    """Create the post file and return its path; never overwrites an existing file.

    Raises ConfigError (wrong usage: unknown unit file or section, empty title).
    """
    title = " ".join(title.split())
    if not unit_file.is_file():
        raise ConfigError(
            Problem(
                f"Không tìm thấy tệp đơn vị {unit_file} (unit file not found).",
                hint="ghi đường dẫn tới tệp trong communes/, ví dụ "
                "communes/ha_noi/phuong_hoan_kiem.yml.",
            )
        )
    section = find_section(project.profile, section_id)
    slug = _slug(title)
    unit_dir, province_dir = project.content_for(unit_file.resolve())
    folder = unit_dir / section.id
    now = now or datetime.now(VN_TZ)
    text = template(section, title, now)
    taken = _taken_slugs(folder, province_dir / PROVINCE_FOLDER / section.id)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, 1000):
        candidate = slug if number == 1 else f"{slug}-{number}"
        if candidate in taken or reserved_slug(candidate):
            continue
        path = folder / f"{candidate}.md"
        try:
            with path.open("x", encoding="utf-8") as out:  # "x": fail rather than overwrite
                out.write(text)
        except FileExistsError:
            continue
        return path
    raise ConfigError(
        Problem(f"Đã có quá nhiều bài tên {slug} trong {folder}.", hint="đặt tiêu đề khác.")
    )


def find_section(profile: Profile, name: str) -> Section:
    """The section named by its id or its title ("thong-bao", "Thông báo")."""
    wanted = slugify(name)
    for section in profile.post_sections():
        if wanted in (section.id, slugify(section.title)):
            return section
    valid = "\n".join(f"  {s.id:<22} {s.title}" for s in profile.post_sections())
    raise ConfigError(
        Problem(
            f"Không có chuyên mục {name!r} (unknown section).",
            hint=f"chọn một trong các chuyên mục sau:\n{valid}",
        )
    )


def _slug(title: str) -> str:
    slug = slugify(title)
    if not slug:
        raise ConfigError(
            Problem(
                "Tiêu đề cần có chữ hoặc số (title needs letters).",
                hint='ví dụ: congxa new <tệp đơn vị> thong-bao "Thông báo lịch tiếp công dân".',
            )
        )
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0]
    return slug


def _taken_slugs(*folders: Path) -> set[str]:
    """Slugs already used in the section, by the unit or by the province's shared posts."""
    return {slugify(p.stem) for folder in folders if folder.is_dir() for p in folder.rglob("*.md")}


def template(section: Section, title: str, now: datetime) -> str:
    """The new post's text for `section`."""
    lines = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"date: {now.astimezone(VN_TZ):%Y-%m-%d %H:%M}",
        'summary: ""  # tóm tắt một câu, hiện dưới tiêu đề (không bắt buộc)',
    ]
    if section.kind == SectionKind.DOCUMENTS:
        lines += [
            "document:  # thông tin văn bản (Nghị định 42/2022, Điều 4)",
            '  number: ""     # số, ký hiệu, ví dụ 215/QĐ-UBND',
            '  type: ""       # Quyết định, Kế hoạch, Thông báo, Công văn...',
            '  issuer: ""     # cơ quan ban hành, ví dụ UBND phường Hoàn Kiếm',
            '  signer: ""     # người ký',
            '  issued: ""     # ngày ban hành, ví dụ 2026-10-12',
            '  effective: ""  # ngày có hiệu lực',
            '  file: ""       # tệp PDF, ví dụ ../files/qd-215-qd-ubnd.pdf',
        ]
    else:
        lines += [
            "# attachments:  # tệp đính kèm: bỏ dấu # ở hai dòng dưới, chép tệp vào ../files/",
            "#   - file: ../files/ten-tep.pdf",
            "# essential:  # thông tin thiết yếu: bỏ dấu # ở bốn dòng này",
            "#   category: thien-tai-khan-cap",
            "#   priority: khan-cap  # thuong | uu-tien | khan-cap",
            f"#   expires: {now.astimezone(VN_TZ).date().isoformat()}  # ngày hết hạn",
        ]
    lines += [
        "draft: false  # true: bài nháp, chưa đăng",
        "---",
        "",
        POST_BODY,
        "",
    ]
    return "\n".join(lines)
