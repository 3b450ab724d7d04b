"""URLs of everything on a unit's site, in one place (directory URLs, as MkDocs writes them)."""

from __future__ import annotations

import posixpath
from pathlib import Path

from .model import Attachment, Post, Site

PAGE_SIZE = 20
PROVINCE_FILES = "tinh"


def post_url(post: Post) -> str:
    return f"{post.section}/{post.slug}/"


def section_url(section_id: str, page: int = 1) -> str:
    return f"{section_id}/" if page == 1 else f"{section_id}/trang-{page}/"


def attachment_path(site: Site, attachment: Attachment) -> str:
    """Where an attachment is published: its path under the unit's content folder, or
    under `tinh/` for files of province-wide posts."""
    unit_dir = site_content_dir(site)
    if attachment.path.is_relative_to(unit_dir):
        return attachment.path.relative_to(unit_dir).as_posix()
    province_dir = unit_dir.parent / "_province"
    return f"{PROVINCE_FILES}/" + attachment.path.relative_to(province_dir.resolve()).as_posix()


def site_content_dir(site: Site) -> Path:
    root = site.unit.source.parent.parent.parent / "content"
    return (root / site.unit.province_slug / site.unit.slug).resolve()


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


def absolute(site: Site, url: str) -> str:
    return site.unit.site_url + url
