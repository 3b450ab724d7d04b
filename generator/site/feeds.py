"""RSS 2.0 and Atom 1.0 feeds of a unit, behind one wrapper around feedgen.

Feeds are what provincial source-information systems poll, so they are stable: items
newest first (set explicitly: feedgen prepends by default), GUIDs derived from the unit
code and the post's id (never from the title), dates from the content (never the clock)
in the +07:00 zone, absolute URLs everywhere, and essential items marked in the congxa
namespace (`urn:congxa:ns:1`) as well as with plain categories. docs/integrators.md
describes every field for the people who ingest them.
"""

from __future__ import annotations

import functools
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import markdown
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedEntry, FeedGenerator
from lxml import etree

from generator import __version__
from generator.site.sanitize import sanitize
from generator.site.urls import FEEDS_SITEMAP, attachment_path, feeds, post_url
from generator.source.essential import categories, priority_title
from generator.source.fields import VN_TZ
from generator.source.model import Essential, Post, Site
from generator.write import write_if_changed

NS = "urn:congxa:ns:1"
ATOM = "{http://www.w3.org/2005/Atom}"
# Tag URIs (RFC 4151): globally unique, never a web address, so guid isPermaLink="false".
TAG = "tag:congxa,2025:"
# Category schemes (Atom `scheme`, RSS `domain`): the human label is the category text.
SCHEME_SECTION = "urn:congxa:section"
SCHEME_ESSENTIAL = "urn:congxa:essential"
SCHEME_PRIORITY = "urn:congxa:priority"
SCHEME_UNIT = "urn:congxa:unit"
_URL_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


@dataclass(frozen=True)
class FeedSpec:
    path: str  # e.g. "feeds/rss.xml"
    title: str
    posts: list[Post]
    atom: bool = False


def feed_specs(site: Site) -> list[FeedSpec]:
    """Every feed of a unit (generator/site/urls.py lists them) with its posts."""
    name = site.unit.name
    specs = []
    for feed in feeds(site.profile):
        if feed.essential:
            posts = site.active_essential()
        elif feed.section is not None:
            posts = site.in_section(feed.section)
        else:
            posts = site.newest_first()
        specs.append(FeedSpec(feed.path, f"{name}: {feed.label}", posts, feed.format == "Atom"))
    return specs


def write_feeds(site: Site, site_dir: Path) -> list[Path]:
    """Write every feed of the site under `site_dir`; unchanged files keep their mtime."""
    written = []
    for spec in feed_specs(site):
        target = site_dir / spec.path
        write_if_changed(target, render_feed(site, spec))
        written.append(target)
    # Material's bundle fetches a `sitemap.xml` beside every <link rel="alternate"> of a page
    # (to map language alternates), so each feed link in the head costs a request for
    # feeds/sitemap.xml. An empty sitemap answers it: no 404 in the server's log or the
    # browser's console, and no page listed twice (the site's sitemap is /sitemap.xml).
    target = site_dir / FEEDS_SITEMAP
    write_if_changed(target, EMPTY_SITEMAP)
    written.append(target)
    return written


EMPTY_SITEMAP = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n'
)


def render_feed(site: Site, spec: FeedSpec) -> bytes:
    """One feed: the newest `site.feed_limit` items of `spec`, in the order given."""
    posts = spec.posts[: site.feed_limit]
    unit = site.unit
    fg = FeedGenerator()
    fg.register_extension("congxa", NamespaceExtension, EntryExtension)
    self_url = unit.site_url + spec.path
    about = f"Trang thông tin điện tử {unit.agency.name}, {unit.province_name}"
    fg.id(self_url)
    fg.title(spec.title)
    fg.description(about)
    fg.subtitle(about)
    # feedgen uses the last link as the RSS <link>: the site, so it goes after `self`.
    fg.link(href=self_url, rel="self")
    fg.link(href=unit.site_url, rel="alternate")
    fg.language("vi")
    fg.generator("congxa", __version__)
    fg.author({"name": unit.agency.name, "email": unit.agency.email})
    updated = _vn(max((p.date for p in posts), default=None) or _newest(site))
    fg.updated(updated)
    fg.lastBuildDate(updated)
    for post in posts:  # already in feed order
        add_entry(fg, site, post, atom=spec.atom)
    data: bytes = fg.atom_str(pretty=True) if spec.atom else fg.rss_str(pretty=True)
    return data


def _newest(site: Site) -> datetime:
    return max((p.date for p in site.posts), default=site.today)


def _vn(when: datetime) -> datetime:
    """Feeds state every date in Vietnam's zone, +07:00 (RFC 822: +0700)."""
    return when.astimezone(VN_TZ)


def guid(site: Site, post: Post) -> str:
    """Stable across rebuilds and title changes: tag URI of unit code and post id.

    Province-wide posts carry `tinh/` before their id, so the same post on two units has
    two GUIDs (each unit's copy is an item of that unit) sharing one suffix.
    """
    scope = "tinh/" if post.province_wide else ""
    return f"{TAG}{site.unit.code}/{scope}{post.id}"


def add_entry(fg: FeedGenerator, site: Site, post: Post, *, atom: bool = False) -> FeedEntry:
    """Append one post to `fg` (after the entries already there)."""
    url = site.unit.site_url + post_url(post)
    section = site.profile.section(post.section)
    fe = fg.add_entry(order="append")
    fe.id(guid(site, post))
    fe.guid(guid(site, post), permalink=False)
    fe.title(post.title)
    fe.link(href=url, rel="alternate")
    fe.published(_vn(post.date))
    fe.updated(_vn(post.date))
    html = entry_html(site.unit.site_url, post)
    if atom:
        fe.content(html, type="html")
        if post.summary:
            fe.summary(post.summary)
    else:
        fe.description(html)
    cats = [
        {
            "term": post.section,
            "scheme": SCHEME_SECTION,
            "label": section.title if section else post.section,
        }
    ]
    if post.essential:
        e = post.essential
        cats.append(
            {
                "term": e.category,
                "scheme": SCHEME_ESSENTIAL,
                "label": categories().get(e.category, e.category),
            }
        )
        cats.append(
            {"term": e.priority, "scheme": SCHEME_PRIORITY, "label": priority_title(e.priority)}
        )
        fe.congxa.essential = e
    if post.province_wide:
        fe.congxa.province = (site.unit.province_code, site.unit.province_name)
    fe.category(cats)
    files = post.files()
    if files:
        # RSS allows one enclosure per item: the first file (the document itself for
        # legal documents); the page links every file.
        first = files[0]
        kind = mimetypes.guess_type(first.name)[0] or "application/octet-stream"
        fe.enclosure(site.unit.site_url + attachment_path(site, first), str(first.size), kind)
    fe.congxa.links = tuple(fe.link())
    return fe


@functools.lru_cache(maxsize=512)
def entry_html(site_url: str, post: Post) -> str:
    """A post's description, made once per post: each appears in three or four feeds."""
    return absolutize(body_html(post), site_url, post)


def body_html(post: Post) -> str:
    text = (f"<p>{escape(post.summary)}</p>\n\n" if post.summary else "") + post.body
    return sanitize(_markdown().reset().convert(text))


@functools.lru_cache(maxsize=1)
def _markdown() -> markdown.Markdown:
    # One converter per process, reset between posts: building one costs more than a post.
    return markdown.Markdown(extensions=["tables", "attr_list", "md_in_html"])


def absolutize(html: str, site_url: str, post: Post) -> str:
    """Feeds are read out of context: every href and src becomes a full URL.

    Relative links resolve as MkDocs resolves them on the page: from the Markdown file's
    place in the site (`<section>/<slug>.md`), with links to `.md` files turned into the
    page's URL; a bare `#anchor` points into the post's own page.
    """
    page = site_url + post_url(post)
    source = site_url + f"{post.section}/{post.slug}.md"

    def full(href: str) -> str:
        if not href or href.startswith("#"):
            return page + href
        if urlsplit(href).scheme:
            return href
        return _md_to_url(urljoin(source, href))

    return _URL_ATTR.sub(lambda m: m[1] + full(m[2]) + m[3], html)


def _md_to_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.path.endswith(".md"):
        return url
    stem = parts.path.removesuffix(".md")
    path = posixpath.dirname(stem) + "/" if stem.endswith("/index") else stem + "/"
    return urlunsplit(parts._replace(path=path))


class NamespaceExtension(BaseExtension):  # type: ignore[misc]
    """Declares the congxa prefix on the feed's root element (the province feed uses it too)."""

    def extend_ns(self) -> dict[str, str]:
        return {"congxa": NS}


class EntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """The congxa namespace on items (docs/integrators.md):

    `<congxa:essential category=".." priority=".." expires=".."/>` on essential items and
    `<congxa:province code=".." name=".."/>` on province-wide posts.
    """

    essential: Essential | None = None
    province: tuple[str, str] | None = None
    links: tuple[dict[str, str], ...] = ()

    def _add(self, parent: Any) -> Any:
        if self.essential is not None:
            node = etree.SubElement(parent, f"{{{NS}}}essential")
            node.set("category", self.essential.category)
            node.set("priority", self.essential.priority)
            if self.essential.expires is not None:
                node.set("expires", _vn(self.essential.expires).isoformat())
        if self.province is not None:
            node = etree.SubElement(parent, f"{{{NS}}}province")
            node.set("code", self.province[0])
            node.set("name", self.province[1])
        return parent

    def extend_rss(self, entry: Any) -> Any:
        return self._add(entry)

    def extend_atom(self, entry: Any) -> Any:
        # feedgen 1.0 writes only `href` on an entry's links (python-feedgen issue #135), so
        # an enclosure would read as a second alternate link: put the attributes back.
        nodes = [node for node in entry if node.tag in ("link", f"{ATOM}link")]
        for node, link in zip(nodes, self.links, strict=False):
            for key in ("rel", "type", "hreflang", "title", "length"):
                if link.get(key):
                    node.set(key, link[key])
        return self._add(entry)
