"""URLs of everything on a unit's site, in one place (directory URLs, as MkDocs writes them).

Which of them a unit actually publishes is decided in generator/site/published.py.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from generator.source.containment import lexical
from generator.source.model import Attachment, Post, Site, Unit
from generator.source.posts import PROVINCE_FOLDER
from generator.source.profile import Profile

PAGE_SIZE = 20
PROVINCE_FILES = "tinh"
INBOX_FOLDER = "nhap"  # files for `congxa serve` to import (clerk/importing/inbox.py)
MANIFEST = "site.json"
SITEMAP = "sitemap.xml"
SITEMAP_GZ = "sitemap.xml.gz"
# An empty sitemap beside the feeds: Material looks for one beside every alternate link
# (generator/site/feeds.py).
FEEDS_SITEMAP = "feeds/sitemap.xml"
LOGO = "assets/images/logo"  # + the logo file's suffix


@dataclass(frozen=True)
class Feed:
    """Where one feed of a unit is published, and what it carries."""

    path: str  # "feeds/rss.xml"
    label: str  # "tất cả bài viết", "thông tin thiết yếu", or the section's title
    format: str  # "RSS" | "Atom"
    section: str | None = None  # the profile section of a section feed
    essential: bool = False


def feeds(profile: Profile) -> list[Feed]:
    """Every feed of a unit: all items (RSS, Atom), essential items, one per post section."""
    found = [
        Feed("feeds/rss.xml", "tất cả bài viết", "RSS"),
        Feed("feeds/atom.xml", "tất cả bài viết", "Atom"),
        Feed("feeds/thiet-yeu.xml", "thông tin thiết yếu", "RSS", essential=True),
    ]
    found += [
        Feed(f"feeds/{s.id}.xml", s.title, "RSS", section=s.id) for s in profile.post_sections()
    ]
    return found


def logo_path(unit: Unit) -> str | None:
    """Where the unit's logo is published (the theme shows it in the header)."""
    return LOGO + unit.logo.suffix.lower() if unit.logo is not None else None


def post_url(post: Post) -> str:
    return f"{post.section}/{post.slug}/"


def section_url(section_id: str, page: int = 1) -> str:
    return f"{section_id}/" if page == 1 else f"{section_id}/trang-{page}/"


def attachment_path(site: Site, attachment: Attachment) -> str:
    """Where a file is published: its path under the unit's content folder; a file of the
    province's shared folder at its path there too (so clerks' relative links work), or
    under `tinh/` when the unit has a file of the same path."""
    unit_dir = site_content_dir(site)
    if attachment.path.is_relative_to(unit_dir):
        return attachment.path.relative_to(unit_dir).as_posix()
    return shared_file_path(site, attachment.path.relative_to(province_shared_dir(site)))


def shared_file_path(site: Site, rel: Path) -> str:
    """Where a file of the province's shared folder (at `rel` there) is published."""
    shadowed = os.path.lexists(site_content_dir(site) / rel)
    return f"{PROVINCE_FILES}/{rel.as_posix()}" if shadowed else rel.as_posix()


def province_shared_dir(site: Site) -> Path:
    return site_content_dir(site).parent / PROVINCE_FOLDER


def site_content_dir(site: Site) -> Path:
    """The unit's content folder as written (symbolic links not followed: published paths
    are the paths clerks see)."""
    root = site.unit.source.parent.parent.parent / "content"
    return lexical(root / site.unit.province_slug / site.unit.slug)


def relative(from_url: str, to_url: str) -> str:
    """A relative link between two site-relative URLs ('' is the home page)."""
    base = posixpath.dirname(from_url.rstrip("/") + "/x") if from_url else ""
    target = to_url.rstrip("/") or "."
    rel = posixpath.relpath(target, base or ".")
    if to_url.endswith("/") or to_url == "":
        rel = rel.rstrip("/") + "/"
        if rel == "./":
            rel = "./"
    return rel
