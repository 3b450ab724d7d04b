"""RSS 2.0 and Atom 1.0 feeds of a unit, behind one wrapper around feedgen.

Feeds are what provincial source-information systems poll, so they are stable: items
newest first (set explicitly: feedgen prepends by default), GUIDs derived from the unit
code and the post's id (never from the title), dates from the content (never the clock),
absolute URLs everywhere, and essential items marked in the congxa namespace
(`urn:congxa:ns:1`) as well as with plain categories.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import markdown
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedEntry, FeedGenerator
from lxml import etree

from . import __version__
from .essential import categories, priority_title
from .model import Post, Site
from .sanitize import sanitize
from .urls import attachment_path, post_url
from .write import write_if_changed

NS = "urn:congxa:ns:1"
_URL_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


@dataclass(frozen=True)
class FeedSpec:
    path: str  # e.g. "feeds/rss.xml"
    title: str
    posts: list[Post]
    atom: bool = False


def feed_specs(site: Site) -> list[FeedSpec]:
    """Every feed of a unit: all items, Atom, essential, one per section."""
    name = site.unit.name
    newest = site.newest_first()
    specs = [FeedSpec("feeds/rss.xml", f"{name}: tất cả bài viết", newest),
             FeedSpec("feeds/atom.xml", f"{name}: tất cả bài viết", newest, atom=True),
             FeedSpec("feeds/thiet-yeu.xml", f"{name}: thông tin thiết yếu",
                      site.active_essential())]
    for section in site.profile.post_sections():
        specs.append(FeedSpec(f"feeds/{section.id}.xml", f"{name}: {section.title}",
                              site.in_section(section)))
    return specs


def write_feeds(site: Site, site_dir: Path) -> list[Path]:
    written = []
    for spec in feed_specs(site):
        target = site_dir / spec.path
        write_if_changed(target, render_feed(site, spec))
        written.append(target)
    return written


def render_feed(site: Site, spec: FeedSpec) -> bytes:
    posts = spec.posts[: site.feed_limit]
    fg = FeedGenerator()
    fg.register_extension("congxa", _FeedExt, _EntryExt)
    self_url = site.unit.site_url + spec.path
    fg.id(self_url)
    fg.title(spec.title)
    fg.description(f"Trang thông tin điện tử {site.unit.agency.name}, {site.unit.province_name}")
    fg.subtitle(f"Trang thông tin điện tử {site.unit.agency.name}, {site.unit.province_name}")
    fg.link(href=site.unit.site_url, rel="alternate")
    fg.link(href=self_url, rel="self")
    fg.language("vi")
    fg.generator("congxa", __version__)
    fg.author({"name": site.unit.agency.name, "email": site.unit.agency.email})
    updated = max((p.date for p in posts), default=None) or _newest(site)
    fg.updated(updated)
    fg.lastBuildDate(updated)
    for post in posts:  # already newest first
        add_entry(fg, site, post)
    data: bytes = fg.atom_str(pretty=True) if spec.atom else fg.rss_str(pretty=True)
    return data


def _newest(site: Site) -> datetime:
    return max((p.date for p in site.posts), default=site.today)


def guid(site: Site, post: Post) -> str:
    """Stable across rebuilds and title changes: tag URI of unit code and post id."""
    scope = "tinh/" if post.province_wide else ""
    return f"tag:congxa,2025:{site.unit.code}/{scope}{post.id}"


def add_entry(fg: FeedGenerator, site: Site, post: Post, unit_label: str | None = None
              ) -> FeedEntry:
    url = site.unit.site_url + post_url(post)
    section = site.profile.section(post.section)
    fe = fg.add_entry(order="append")
    fe.id(guid(site, post))
    fe.guid(guid(site, post), permalink=False)
    fe.title(f"{unit_label}: {post.title}" if unit_label else post.title)
    fe.link(href=url, rel="alternate")
    fe.published(post.date)
    fe.updated(post.date)
    html = absolutize(body_html(post), url)
    fe.description(html)
    cats = [{"term": post.section, "label": section.title if section else post.section}]
    if post.essential:
        e = post.essential
        cats.append({"term": f"thiet-yeu/{e.category}",
                     "label": categories().get(e.category, e.category)})
        cats.append({"term": f"uu-tien/{e.priority}", "label": priority_title(e.priority)})
        fe.congxa.essential = e
    if unit_label:
        cats.append({"term": f"don-vi/{site.unit.code}", "label": site.unit.name})
    fe.category(cats)
    files = post.files()
    if files:
        first = files[0]
        kind = mimetypes.guess_type(first.name)[0] or "application/octet-stream"
        fe.enclosure(site.unit.site_url + attachment_path(site, first), str(first.size), kind)
    return fe


def body_html(post: Post) -> str:
    text = (f"<p>{post.summary}</p>\n" if post.summary else "") + post.body
    rendered = markdown.markdown(text, extensions=["tables", "attr_list", "md_in_html"])
    return sanitize(rendered)


def absolutize(html: str, base: str) -> str:
    """Feeds are read out of context: every href and src must be a full URL."""
    return _URL_ATTR.sub(lambda m: m[1] + urljoin(base, m[2]) + m[3], html)


class _FeedExt(BaseExtension):  # type: ignore[misc]
    def extend_ns(self) -> dict[str, str]:
        return {"congxa": NS}


class _EntryExt(BaseEntryExtension):  # type: ignore[misc]
    """`<congxa:essential category=".." priority=".." expires=".."/>` on essential items."""

    essential: Any = None

    def _add(self, parent: Any) -> Any:
        if self.essential is not None:
            node = etree.SubElement(parent, f"{{{NS}}}essential")
            node.set("category", self.essential.category)
            node.set("priority", self.essential.priority)
            if self.essential.expires is not None:
                node.set("expires", self.essential.expires.isoformat())
        return parent

    def extend_rss(self, entry: Any) -> Any:
        return self._add(entry)

    def extend_atom(self, entry: Any) -> Any:
        return self._add(entry)


def feed_paths(site: Site) -> Iterable[str]:
    return (spec.path for spec in feed_specs(site))
