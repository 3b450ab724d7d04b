"""What the audit reads from a fetched page: title, headings, links, generator, feeds.

HTML is read with lxml's event parser (libxml2: linear time, forgiving of broken markup,
no tree kept) because the audit only needs a summary of each page and reads untrusted
input capped at 2 MB; feeds with expat as a stream of events.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar
from xml.parsers import expat

from lxml import etree

# Dates without a zone are Vietnam time (docs/architecture.md, posts).
VIETNAM = timezone(timedelta(hours=7))
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})
_HEADINGS = frozenset({"h1", "h2", "h3"})
_SKIP = frozenset({"script", "style", "noscript", "template"})
_NAME_METAS = frozenset({"og:site_name", "application-name", "og:title"})
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^<>]*>")
_T = TypeVar("_T")
# Caps on what one page can contribute (a hostile page must not grow the audit's memory).
MAX_OPEN = 32  # elements collecting text at once
MAX_TEXT = 2000  # characters kept per element or attribute
MAX_LINKS = 2000
MAX_HEADINGS = 200
MAX_NAMES = 10
MAX_FEEDS = 10
MAX_MANIFESTS = 5


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


class _Collector:
    """Event target of lxml's HTML parser (libxml2): linear time, no tree kept.

    Every list and every text is capped while collecting, so a hostile page (thousands of
    unclosed nested elements, megabytes of text in one title) costs bounded memory.
    """

    def __init__(self) -> None:
        self.title: list[str] = []
        self.headings: list[str] = []
        self.names: list[str] = []
        self.generators: list[str] = []
        self.feeds: list[str] = []
        self.manifests: list[str] = []
        self.links: list[Link] = []
        self._open: list[_Open] = []
        self._skip = 0

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        tag = str(tag).lower()
        values = {str(k).lower(): _short(str(v or "")) for k, v in attrib.items()}
        if tag in _SKIP:
            self._skip += 1
        elif tag == "meta":
            self._meta(values)
        elif tag == "link":
            rel = values.get("rel", "").lower().split()
            kind = values.get("type", "").lower()
            if "alternate" in rel and values.get("href"):
                if kind in FEED_TYPES:
                    _add(self.feeds, values["href"], MAX_FEEDS)
                elif kind == "application/json":
                    _add(self.manifests, values["href"], MAX_MANIFESTS)
        elif tag in ("title", "a") or tag in _HEADINGS:
            if tag in _HEADINGS or tag == "a":
                # Headings and links do not nest: a new one ends an unclosed one.
                self._end_any(_HEADINGS if tag in _HEADINGS else frozenset({"a"}))
            if len(self._open) < MAX_OPEN:
                self._open.append(_Open(tag, values.get("href", "")))
        elif tag == "img" and self._open and values.get("alt"):
            # A banner image inside a heading or link often carries the unit's name.
            self._open[-1].add(" " + values["alt"] + " ")

    def _meta(self, values: dict[str, str]) -> None:
        key = (values.get("name") or values.get("property") or "").lower()
        if key == "generator":
            _add(self.generators, values.get("content", "").strip(), MAX_NAMES)
        elif key in _NAME_METAS and values.get("content"):
            _add(self.names, values["content"].strip(), MAX_NAMES)

    def _end_any(self, tags: frozenset[str]) -> None:
        for element in self._open:
            if element.tag in tags:
                self.end(element.tag)
                return

    def end(self, tag: str) -> None:
        tag = str(tag).lower()
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                # Unclosed inner elements end with their parent (HTML is forgiving).
                for inner in reversed(self._open[index:]):
                    self._close(inner)
                del self._open[index:]
                return

    def _close(self, element: _Open) -> None:
        text = _SPACE.sub(" ", "".join(element.parts)).strip()
        if element.tag == "title":
            # Browsers read <title> as plain text; markup written inside it is not a name.
            _add(self.title, _SPACE.sub(" ", _TAG.sub(" ", text)).strip(), MAX_NAMES)
        elif element.tag == "a":
            _add(self.links, Link(text, element.href), MAX_LINKS)
        elif text:
            _add(self.headings, text, MAX_HEADINGS)

    def data(self, data: str) -> None:
        if self._skip:
            return
        # Text counts for every open element: a link inside a heading names both.
        for element in self._open:
            element.add(data)

    def comment(self, text: str) -> None:
        pass

    def close(self) -> None:
        """Close what the page left open (bodies cut at the byte cap end mid-element)."""
        for element in self._open:
            self._close(element)
        self._open.clear()


class _Open:
    """An element whose text is being collected, up to MAX_TEXT characters."""

    __slots__ = ("href", "parts", "size", "tag")

    def __init__(self, tag: str, href: str) -> None:
        self.tag = tag
        self.href = href
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        room = MAX_TEXT - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(len(text), room)


def _add(items: list[_T], item: _T, cap: int) -> None:
    if len(items) < cap:
        items.append(item)


def _short(value: str) -> str:
    return value[:MAX_TEXT]


def parse_page(html: str) -> PageSummary:
    """Summarise an HTML page; never raises, in time linear in the page and bounded memory."""
    collector = _Collector()
    parser = etree.HTMLParser(
        target=collector, encoding="utf-8", recover=True, no_network=True, remove_comments=True
    )
    try:
        parser.feed(html.encode("utf-8", "replace"))
        parser.close()
    except (etree.LxmlError, ValueError, UnicodeError):
        pass  # an empty or undecodable body: what was collected is the summary
    collector.close()
    return PageSummary(
        title=" ".join(t for t in collector.title if t)[:500],
        headings=tuple(collector.headings),
        names=tuple(collector.names),
        generators=tuple(collector.generators),
        feeds=tuple(collector.feeds),
        manifests=tuple(collector.manifests),
        links=tuple(collector.links),
    )


def newest_feed_date(xml_bytes: bytes) -> datetime | None:
    """The newest item date of an RSS 2.0 or Atom 1.0 feed, or None if unreadable.

    Read as a stream of events (expat, no tree kept): memory stays bounded whatever the
    feed's size or depth; expat refuses exponential entity expansion.
    """
    reader = _DateReader()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.data
    try:
        parser.Parse(xml_bytes, True)
    except (expat.ExpatError, ValueError, RecursionError):
        return None
    return reader.newest


class _DateReader:
    _DATES = frozenset({"pubDate", "updated", "published", "date", "lastBuildDate"})

    def __init__(self) -> None:
        self.newest: datetime | None = None
        self._text: list[str] | None = None
        self._size = 0

    def start(self, name: str, attributes: object) -> None:
        if name.rsplit("}", 1)[-1] in self._DATES:
            self._text, self._size = [], 0

    def data(self, text: str) -> None:
        if self._text is not None and self._size < 200:
            self._text.append(text)
            self._size += len(text)

    def end(self, name: str) -> None:
        if self._text is None:
            return
        when = parse_date("".join(self._text)[:200])
        self._text = None
        if when is not None and (self.newest is None or when > self.newest):
            self.newest = when


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
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=VIETNAM)
    return when
