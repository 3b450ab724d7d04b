"""Section profiles as data: which sections a site has, in which order, under which URL."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from generator.errors import ConfigError, Problem


class SectionKind(StrEnum):
    """What a section of the profile holds (generator/data/profiles/*.yml, `kind`)."""

    POSTS = "posts"  # clerks' posts, newest first
    DOCUMENTS = "documents"  # posts that are legal documents, shown as a table
    INTRO = "intro"  # introduction, functions and leaders from the commune file, plus posts
    CONTACTS = "contacts"  # contacts from the commune file, plus posts
    ESSENTIAL = "essential"  # generated: every active essential item
    ENGLISH = "english"  # generated: the English page


KINDS = tuple(SectionKind)
DEFAULT_PROFILE = "nd42-2022"


@dataclass(frozen=True)
class Section:
    id: str  # also the URL path and the content folder name
    title: str
    title_en: str
    kind: SectionKind
    required: bool

    @property
    def takes_posts(self) -> bool:
        """Generated sections have no folder of posts."""
        return self.kind not in (SectionKind.ESSENTIAL, SectionKind.ENGLISH)


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    sections: tuple[Section, ...]
    source: str

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def post_sections(self) -> list[Section]:
        return [s for s in self.sections if s.takes_posts]


def load_profile(path: Path | None = None) -> Profile:
    """The default profile (Decree 42/2022), or a province's own file."""
    if path is None:
        return _default_profile()
    return _load(path)


@lru_cache(maxsize=1)
def _default_profile() -> Profile:
    ref = resources.files("generator.data") / "profiles" / f"{DEFAULT_PROFILE}.yml"
    return _parse(yaml.safe_load(ref.read_text(encoding="utf-8")), Path(str(ref)))


def _load(path: Path) -> Profile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            Problem(
                "Không tìm thấy tệp hồ sơ chuyên mục (profile file not found).",
                file=path,
                hint="kiểm tra khoá `profile` trong congxa.yml.",
            )
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(
            Problem(
                f"Tệp hồ sơ chuyên mục không đọc được (unreadable profile): {exc}",
                file=path,
                hint="sửa cú pháp YAML theo mẫu generator/data/profiles/nd42-2022.yml.",
            )
        ) from None
    return _parse(data, path)


def _parse(data: Any, path: Path) -> Profile:
    def fail(message: str, field: str) -> ConfigError:
        return ConfigError(
            Problem(
                message,
                file=path,
                field=field,
                hint="xem mẫu generator/data/profiles/nd42-2022.yml.",
            )
        )

    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        raise fail(
            "Hồ sơ chuyên mục phải có danh sách `sections` (profile needs sections).", "sections"
        )
    sections = []
    seen: set[str] = set()
    for index, item in enumerate(data["sections"]):
        field = f"sections[{index}]"
        if not isinstance(item, dict) or not item.get("id") or not item.get("title"):
            raise fail("Mỗi chuyên mục cần `id` và `title` (section needs id and title).", field)
        if item.get("kind", "posts") not in KINDS:
            raise fail(f"`kind` phải là một trong (must be one of): {', '.join(KINDS)}.", field)
        if item["id"] in seen:
            raise fail(f"Chuyên mục {item['id']!r} bị lặp (duplicate section).", field)
        seen.add(item["id"])
        sections.append(
            Section(
                id=str(item["id"]),
                title=str(item["title"]),
                title_en=str(item.get("title_en") or item["title"]),
                kind=SectionKind(str(item.get("kind", "posts"))),
                required=bool(item.get("required", True)),
            )
        )
    return Profile(
        str(data.get("id") or path.stem),
        str(data.get("title") or path.stem),
        tuple(sections),
        str(path),
    )
