"""How active a unit's site is: what the audit reads from its `site.json` and feeds.

No I/O here: `probe.py` fetches, this module parses and counts. A congxa site says how
many posts each section holds and which required sections are empty (`site.json`); its
feeds carry the dates and, for essential information (Decree 49/2024), the category and
priority in the congxa namespace (docs/integrators.md). Any other site is read from the
feed it advertises: dates only.

Counts over 30/90/365 days come from the feed items; a feed holds the newest N items
only, so `exact` says whether the items read reach back past 365 days (or are all the
site has). Everything read is untrusted: bodies are capped by the crawler, items per
feed and title lengths here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from generator.audit.page import VIETNAM, parse_date

NS = "urn:congxa:ns:1"
SCHEME_SECTION = "urn:congxa:section"
WINDOWS = (30, 90, 365)
MAX_ITEMS = 2000  # per feed
MAX_ESSENTIAL = 1000  # per unit and run
_TITLE_CAP = 300
_FUTURE = timedelta(days=1)  # clocks differ; a post dated later than this is ignored
_DATE_TAGS = ("pubDate", "published", "updated", "date")


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed, as far as the audit needs it."""

    guid: str
    date: datetime | None
    title: str = ""
    section: str = ""  # section id (congxa feeds) or ""
    category: str = ""  # essential-information category id, "" for other posts
    priority: str = ""  # thuong, uu-tien, khan-cap; "" for other posts


@dataclass(frozen=True)
class EssentialItem:
    """An essential-information post seen on a unit's site."""

    guid: str
    published: str  # ISO 8601 with +07:00
    category: str
    priority: str
    title: str = ""


@dataclass(frozen=True)
class Activity:
    """A unit's activity as one run measured it."""

    source: str  # "site.json" (congxa site) or "feed" (any other site)
    last_post: str = ""  # ISO 8601 with +07:00, "" when unknown
    posts_30: int | None = None
    posts_90: int | None = None
    posts_365: int | None = None
    exact: bool = False  # counts cover every post of the window (else lower bounds)
    sections: tuple[tuple[str, int], ...] = ()  # (section id, posts) from site.json
    empty: tuple[str, ...] = ()  # required sections without a post (site.json)
    essential: tuple[EssentialItem, ...] = field(default=())  # dated within 365 days

    def days_since(self, now: datetime) -> int | None:
        """Whole days since the last post, None when no date is known."""
        last = parse_date(self.last_post) if self.last_post else None
        return None if last is None else max(0, (now - last).days)


@dataclass(frozen=True)
class ManifestActivity:
    """The parts of `site.json` that describe activity."""

    posts: int | None
    updated: datetime | None
    sections: tuple[tuple[str, int, datetime | None], ...]  # (id, items, newest)
    empty: tuple[str, ...]
    feeds: dict[str, str]  # feed key -> URL ("rss", "atom", section ids, "thiet-yeu")
    site_url: str = ""


def manifest_activity(data: Any) -> ManifestActivity | None:
    """Activity facts of a decoded `site.json`, None when it is not a congxa manifest."""
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("congxa-site/"):
        return None
    sections = []
    for item in _list(data.get("sections"))[:200]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            sections.append(
                (
                    item["id"][:100],
                    _count(item.get("items")) or 0,
                    parse_date(str(item.get("newest") or "")),
                )
            )
    conformance = data.get("conformance")
    conformance = conformance if isinstance(conformance, dict) else {}
    feeds = data.get("feeds")
    feeds = feeds if isinstance(feeds, dict) else {}
    return ManifestActivity(
        posts=_count(data.get("posts")),
        updated=parse_date(str(data.get("updated") or "")),
        sections=tuple(sections),
        empty=tuple(str(e)[:100] for e in _list(conformance.get("empty"))[:200]),
        feeds={str(k)[:100]: v for k, v in list(feeds.items())[:300] if isinstance(v, str)},
        site_url=str(data.get("site_url") or "")[:2000],
    )


def parse_feed(body: bytes) -> list[FeedItem] | None:
    """Items of an RSS 2.0 or Atom 1.0 feed (at most MAX_ITEMS), None if unreadable."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    items: list[FeedItem] = []
    for element in root.iter():
        if _local(element.tag) in ("item", "entry"):
            items.append(_item(element))
            if len(items) >= MAX_ITEMS:
                break
    return items


def _item(element: ET.Element) -> FeedItem:
    guid = title = section = category = priority = ""
    dates: list[datetime] = []
    for child in element:
        name = _local(child.tag)
        text = (child.text or "").strip()
        if name in ("guid", "id"):
            guid = text[:500]
        elif name == "title":
            title = " ".join(text.split())[:_TITLE_CAP]
        elif name in _DATE_TAGS:
            when = parse_date(text)
            if when is not None:
                dates.append(when)
        elif name == "category":
            scheme = child.get("domain") or child.get("scheme") or ""
            if scheme == SCHEME_SECTION:
                section = (child.get("term") or text)[:100]
        elif child.tag == f"{{{NS}}}essential":
            category = (child.get("category") or "")[:100]
            priority = (child.get("priority") or "")[:100]
    if not guid:
        for child in element:
            if _local(child.tag) == "link":
                guid = (child.get("href") or child.text or "").strip()[:500]
                break
    # Atom: `published` is the post's date; `updated` only when there is no other.
    return FeedItem(
        guid or title, min(dates) if dates else None, title, section, category, priority
    )


def measure(
    now: datetime,
    feeds: Sequence[Sequence[FeedItem]],
    *,
    manifest: ManifestActivity | None = None,
    complete_feeds: bool = False,
    counted: bool = True,
) -> Activity:
    """Count a unit's posts from the items of its feeds (duplicates merged by guid).

    `complete_feeds`: the feeds read hold every post of the site (none was cut at its
    limit), so the counts are exact whatever their age. `counted` False: no feed could be
    read, so the counts are unknown (None), not zero.
    """
    seen: dict[str, FeedItem] = {}
    for items in feeds:
        for item in items:
            if item.date is not None and item.date - now <= _FUTURE:
                seen.setdefault(item.guid, item)
    dated = sorted(seen.values(), key=lambda i: (i.date or now, i.guid), reverse=True)
    ages = [now - i.date for i in dated if i.date is not None]
    counts = [sum(1 for age in ages if age <= timedelta(days=days)) for days in WINDOWS]
    oldest_old = bool(ages) and max(ages) > timedelta(days=WINDOWS[-1])
    last = max((i.date for i in dated if i.date is not None), default=None)
    updated = manifest.updated if manifest is not None else None
    if updated is not None and updated - now > _FUTURE:
        updated = None
    if updated is not None and (last is None or updated > last):
        last = updated
    year_ago = now - timedelta(days=WINDOWS[-1])
    essential = tuple(
        EssentialItem(
            guid=i.guid,
            published=i.date.astimezone(VIETNAM).isoformat(),
            category=i.category,
            priority=i.priority,
            title=i.title,
        )
        for i in dated
        if i.priority and i.date is not None and i.date >= year_ago
    )[:MAX_ESSENTIAL]
    return Activity(
        source="site.json" if manifest is not None else "feed",
        last_post=last.astimezone(VIETNAM).isoformat() if last else "",
        posts_30=counts[0] if counted else None,
        posts_90=counts[1] if counted else None,
        posts_365=counts[2] if counted else None,
        exact=counted and (complete_feeds or oldest_old),
        sections=tuple((sid, items) for sid, items, _newest in manifest.sections)
        if manifest
        else (),
        empty=manifest.empty if manifest else (),
        essential=essential,
    )


def feeds_to_extend(
    manifest: ManifestActivity, main: Sequence[FeedItem], now: datetime
) -> list[str]:
    """Section feeds to read when the main feed stops short of a year and of every post.

    A feed holds the newest N posts: when the main feed is full and its oldest item is
    younger than 365 days, each section's own feed reaches further back. Only sections
    with a post in the last 365 days are read.
    """
    if manifest.posts is not None and len(main) >= manifest.posts:
        return []
    dates = [i.date for i in main if i.date is not None]
    if dates and now - min(dates) > timedelta(days=WINDOWS[-1]):
        return []
    year_ago = now - timedelta(days=WINDOWS[-1])
    urls = []
    for sid, items, newest in manifest.sections:
        url = manifest.feeds.get(sid)
        if items and url and (newest is None or newest >= year_ago):
            urls.append(url)
    return urls[:40]


def section_feeds_complete(
    manifest: ManifestActivity, read: Iterable[tuple[str, Sequence[FeedItem]]], now: datetime
) -> bool:
    """True when every section feed read holds all its section's posts or a year of them."""
    sizes = {sid: items for sid, items, _newest in manifest.sections}
    by_url = {url: key for key, url in manifest.feeds.items()}
    for url, items in read:
        wanted = sizes.get(by_url.get(url, ""), 0)
        dates = [i.date for i in items if i.date is not None]
        reaches = bool(dates) and now - min(dates) > timedelta(days=WINDOWS[-1])
        if len(items) < wanted and not reaches:
            return False
    return True


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return min(value, 10_000_000)
