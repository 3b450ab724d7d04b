"""What the audit reads from a fetched page: title, headings, links, generator, feeds.

Parsing uses the standard library (html.parser, xml.etree) because the audit only needs a
summary of each page, must survive broken markup, and reads untrusted input capped at 2 MB.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

# Dates without a zone are Vietnam time (docs/architecture.md, posts).
VIETNAM = timezone(timedelta(hours=7))
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})
_HEADINGS = frozenset({"h1", "h2", "h3"})
_SKIP = frozenset({"script", "style", "noscript", "template"})
_NAME_METAS = frozenset({"og:site_name", "application-name", "og:title"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class PageSummary:
    """The parts of a page that decide its audit status."""

    title: str
    headings: tuple[str, ...]
    names: tuple[str, ...]  # site names from <meta> (og:site_name, application-name)
    generators: tuple[str, ...]  # every <meta name="generator">: MkDocs adds its own too
    feeds: tuple[str, ...]  # hrefs of RSS/Atom autodiscovery links, in page order
    manifests: tuple[str, ...]  # hrefs of <link rel="alternate" type="application/json">
    links: tuple[Link, ...]

    @property
    def is_congxa(self) -> bool:
        return any(g.lower().startswith("congxa") for g in self.generators)

    def naming_texts(self) -> tuple[str, ...]:
        """Where a page names its owner: title, main headings, declared site name."""
        return (self.title, *self.headings, *self.names)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.headings: list[str] = []
        self.names: list[str] = []
        self.generators: list[str] = []
        self.feeds: list[str] = []
        self.manifests: list[str] = []
        self.links: list[Link] = []
        self._open: list[tuple[str, list[str], str]] = []  # (tag, text parts, href)
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag in _SKIP:
            self._skip += 1
        elif tag == "meta":
            self._meta(values)
        elif tag == "link":
            rel = values.get("rel", "").lower().split()
            kind = values.get("type", "").lower()
            if "alternate" in rel and values.get("href"):
                if kind in FEED_TYPES:
                    self.feeds.append(values["href"])
                elif kind == "application/json":
                    self.manifests.append(values["href"])
        elif tag in ("title", "a") or tag in _HEADINGS:
            if tag in _HEADINGS or tag == "a":
                # Headings and links do not nest: a new one ends an unclosed one.
                self._end_any(_HEADINGS if tag in _HEADINGS else frozenset({"a"}))
            self._open.append((tag, [], values.get("href", "")))
        elif tag == "img" and self._open and values.get("alt"):
            # A banner image inside a heading or link often carries the unit's name.
            self._open[-1][1].append(" " + values["alt"] + " ")

    def _meta(self, values: dict[str, str]) -> None:
        key = (values.get("name") or values.get("property") or "").lower()
        if key == "generator":
            self.generators.append(values.get("content", "").strip())
        elif key in _NAME_METAS and values.get("content"):
            self.names.append(values["content"].strip())

    def _end_any(self, tags: frozenset[str]) -> None:
        for open_tag, _parts, _href in self._open:
            if open_tag in tags:
                self.handle_endtag(open_tag)
                return

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                # Unclosed inner elements end with their parent (HTML is forgiving).
                for inner in reversed(self._open[index:]):
                    self._close(*inner)
                del self._open[index:]
                return

    def _close(self, tag: str, parts: list[str], href: str) -> None:
        text = _SPACE.sub(" ", "".join(parts)).strip()
        if tag == "title":
            self.title.append(text)
        elif tag == "a":
            self.links.append(Link(text, href))
        elif text:
            self.headings.append(text)

    def close_open(self) -> None:
        """Close what the page left open (bodies cut at the byte cap end mid-element)."""
        for tag, parts, href in self._open:
            self._close(tag, parts, href)
        self._open.clear()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        # Text counts for every open element: a link inside a heading names both.
        for _tag, parts, _href in self._open:
            parts.append(data)


def parse_page(html: str) -> PageSummary:
    """Summarise an HTML page; never raises on bad markup."""
    collector = _Collector()
    try:
        collector.feed(html)
        collector.close()
    except (AssertionError, ValueError):  # html.parser's rare hard failures
        pass
    collector.close_open()
    return PageSummary(
        title=" ".join(t for t in collector.title if t)[:500],
        headings=tuple(collector.headings[:200]),
        names=tuple(collector.names[:10]),
        generators=tuple(collector.generators[:10]),
        feeds=tuple(collector.feeds),
        manifests=tuple(collector.manifests[:5]),
        links=tuple(collector.links[:2000]),
    )


def newest_feed_date(xml_bytes: bytes) -> datetime | None:
    """The newest item date of an RSS 2.0 or Atom 1.0 feed, or None if unreadable."""
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError:
        return None
    newest: datetime | None = None
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if name not in ("pubDate", "updated", "published", "date", "lastBuildDate"):
            continue
        when = parse_date(element.text or "")
        if when is not None and (newest is None or when > newest):
            newest = when
    return newest


def parse_date(text: str) -> datetime | None:
    """An ISO 8601 or RFC 822 date; without a zone it is Vietnam time."""
    text = text.strip()
    if not text:
        return None
    when: datetime | None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=VIETNAM)
    return when
