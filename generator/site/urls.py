"""URLs of everything on a unit's site, in one place (directory URLs, as MkDocs writes them)."""

from __future__ import annotations

import posixpath
from pathlib import Path

from generator.source.model import Attachment, Post, Site

PAGE_SIZE = 20
PROVINCE_FILES = "tinh"
INBOX_FOLDER = "nhap"  # files for `congxa serve` to import (clerk/importing/inbox.py)


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
    rel = attachment.path.relative_to(province_shared_dir(site)).as_posix()
    return f"{PROVINCE_FILES}/{rel}" if (unit_dir / rel).exists() else rel


def published_files(site: Site) -> dict[str, Path]:
    """Every file (not Markdown) of the unit's folder and of the province's shared folder,
    by the path it is published at: posts may link or show them without listing them."""
    found: dict[str, Path] = {}
    for root in (site_content_dir(site), province_shared_dir(site)):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if (
                path.suffix == ".md"
                or not path.is_file()
                or any(part.startswith((".", "~$")) for part in rel.parts)
                or rel.parts[0] == INBOX_FOLDER
            ):
                continue
            found.setdefault(attachment_path(site, Attachment(path, path.name, 0)), path)
    return found


def province_shared_dir(site: Site) -> Path:
    return site_content_dir(site).parent / "_province"


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
