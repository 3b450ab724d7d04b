"""Typed, validated models: nothing downstream of loading reads raw YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from generator.source.containment import FilePolicy
from generator.source.profile import Profile, Section


@dataclass(frozen=True)
class Person:
    name: str
    title: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Department:
    name: str
    head: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Agency:
    name: str
    address: str
    phone: str
    email: str
    responsible: Person
    fax: str | None = None


@dataclass(frozen=True)
class Unit:
    """One commune-level unit, as its commune file and the registry describe it."""

    code: str
    name: str
    type: str
    province_code: str
    province_name: str
    province_slug: str  # folder under communes/ and content/ (conventionally the codename)
    slug: str  # the commune file's stem (conventionally the codename)
    site_url: str  # absolute https, ends with "/"
    agency: Agency
    source: Path
    leaders: tuple[Person, ...] = ()
    introduction: str = ""
    functions: str = ""
    departments: tuple[Department, ...] = ()
    links: tuple[Link, ...] = ()
    introduction_en: str = ""
    primary_color: str | None = None
    logo: Path | None = None


@dataclass(frozen=True)
class Attachment:
    path: Path  # absolute path of the file on disk
    title: str
    size: int

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Document:
    """A legal document's register entry (Decree 42/2022, Art. 4.1)."""

    number: str | None
    type: str | None
    issuer: str | None
    signer: str | None
    issued: date | None
    effective: date | None
    file: Attachment | None


@dataclass(frozen=True)
class Essential:
    """Essential information (Decree 49/2024) with its bulletin priority."""

    category: str
    priority: str
    expires: datetime | None

    def active(self, now: datetime) -> bool:
        return self.expires is None or self.expires > now


@dataclass(frozen=True)
class Post:
    section: str
    slug: str
    title: str
    date: datetime  # aware, Asia/Ho_Chi_Minh when the file gave no zone
    body: str  # Markdown, NFC
    source: Path
    body_line: int  # line of the body's first line in `source`
    id: str  # stable identity for feeds: explicit `id` or "<section>/<slug>"
    summary: str = ""
    attachments: tuple[Attachment, ...] = ()
    document: Document | None = None
    essential: Essential | None = None
    province_wide: bool = False

    @property
    def url_path(self) -> str:
        return f"{self.section}/{self.slug}/"

    def files(self) -> list[Attachment]:
        found = list(self.attachments)
        if self.document and self.document.file and self.document.file not in found:
            found.append(self.document.file)
        return found


@dataclass(frozen=True)
class Site:
    """Everything one unit's site is built from."""

    unit: Unit
    profile: Profile
    posts: tuple[Post, ...]
    today: datetime  # "now" for expiry decisions; set once per run for reproducible builds
    feed_limit: int = 50
    files: FilePolicy = field(
        default_factory=FilePolicy
    )  # which files may be published (congxa.yml)
    board_seconds: int = 12  # seconds per slide on the bulletin board (congxa.yml `board`)
    board_orientation: str = "auto"  # auto | landscape | portrait

    def in_section(self, section: Section | str) -> list[Post]:
        """Posts of a section, newest first (ties broken by slug for stable output)."""
        sid = section if isinstance(section, str) else section.id
        found = [p for p in self.posts if p.section == sid]
        return sorted(found, key=lambda p: (-p.date.timestamp(), p.slug))

    def newest_first(self) -> list[Post]:
        return sorted(self.posts, key=lambda p: (-p.date.timestamp(), p.section, p.slug))

    def active_essential(self) -> list[Post]:
        """Active essential items: most urgent first, then newest."""
        from generator.source.essential import priority_rank

        items = [p for p in self.posts if p.essential and p.essential.active(self.today)]
        return sorted(
            items,
            key=lambda p: (
                priority_rank(p.essential.priority if p.essential else "thuong"),
                -p.date.timestamp(),
                p.slug,
            ),
        )
