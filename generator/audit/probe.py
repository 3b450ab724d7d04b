"""Check one unit: fetch its page, then its manifest or feed, and decide its result.

The order is the contract's: the page must answer (else the fetch failure), with a 2xx
status (else http_error), naming the unit (else not_unit_page); only then are the quality
flags judged, from `site.json` for a congxa-built site and from the HTML for any other.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from generator.audit.activity import (
    Activity,
    FeedItem,
    feeds_to_extend,
    measure,
    parse_feed,
    section_feeds_complete,
)
from generator.audit.classify import (
    AuditProfile,
    Manifest,
    html_missing_sections,
    is_stale,
    manifest_missing_sections,
    manifest_url,
    names_unit,
    not_unit_reason,
    parse_manifest,
)
from generator.audit.crawl import Crawler, Fetched
from generator.audit.page import PageSummary, newest_feed_date, parse_page
from generator.audit.results import AuditStatus, UnitResult
from generator.source.registry import RegistryUnit


@dataclass(frozen=True)
class CheckRules:
    """What a result is judged against, fixed for the whole run."""

    profile: AuditProfile
    stale_days: int
    now: datetime


async def check_unit(
    crawler: Crawler, unit: RegistryUnit, urls: Sequence[str], rules: CheckRules
) -> UnitResult:
    """The unit's result: the first of its URLs that is ok, else the first URL's failure."""
    base = unit_row(unit)
    if not urls:
        return _stamp(replace(base, status=AuditStatus.NO_URL, detail="no known URL for this unit"))
    # One budget for the whole site: every URL, redirect, retry, manifest and feed.
    deadline = time.monotonic() + crawler.settings.budget
    first: UnitResult | None = None
    for url in urls:
        result = await check_url(crawler, unit, url, rules, deadline)
        if result.has_page:
            return _stamp(result)
        first = first or result
    assert first is not None
    if len(urls) > 1:
        first = replace(first, detail=f"{first.detail} ({len(urls)} URLs tried, none ok)")
    return _stamp(first)


async def check_url(
    crawler: Crawler,
    unit: RegistryUnit,
    url: str,
    rules: CheckRules,
    deadline: float | None = None,
) -> UnitResult:
    """The result of one URL of the unit, within the site's time budget (`deadline`)."""
    if deadline is None:
        deadline = time.monotonic() + crawler.settings.budget
    base = replace(unit_row(unit), url=url, final_url=url)
    fetched = await crawler.fetch(url, deadline=deadline)
    base = replace(base, final_url=fetched.final_url, elapsed=round(fetched.elapsed, 3))
    if not fetched.answered:
        return replace(base, status=fetched.outcome, detail=_attempts(fetched, fetched.detail))
    status_code = fetched.http_status or 0
    base = replace(base, http_status=status_code)
    if not 200 <= status_code < 300:
        return replace(base, status=AuditStatus.HTTP_ERROR, detail=f"HTTP {status_code}")
    page = parse_page(fetched.text())
    if not names_unit(unit, page.naming_texts(), rules.profile):
        return replace(
            base,
            status=AuditStatus.NOT_UNIT_PAGE,
            detail=not_unit_reason(page, unit, rules.profile),
        )
    # A body past the byte cap is judged on what was read: the head names the unit.
    notes = [f"body cut at {len(fetched.body)} bytes"] if fetched.truncated else []
    return await _quality(crawler, unit, base, fetched, page, rules, notes, deadline)


async def _quality(
    crawler: Crawler,
    unit: RegistryUnit,
    base: UnitResult,
    fetched: Fetched,
    page: PageSummary,
    rules: CheckRules,
    notes: list[str],
    deadline: float,
) -> UnitResult:
    missing = html_missing_sections(page, rules.profile)
    manifest: Manifest | None = None
    # The generator meta says congxa; a congxa site whose theme dropped it still ships
    # site.json, worth one request only when the HTML alone fails the profile.
    if page.is_congxa or missing:
        manifest = await _fetch_manifest(crawler, fetched.final_url, page, deadline)
        if manifest is None and page.is_congxa:
            notes.append("site.json unreadable, judged from HTML")
    if manifest is not None:
        if manifest.code and manifest.code != unit.code:
            detail = f"site.json is for unit {manifest.code}, not {unit.code}"
            return replace(base, status=AuditStatus.NOT_UNIT_PAGE, detail=detail)
        newest = manifest.updated
        missing = manifest_missing_sections(manifest, rules.profile)
        activity = await _manifest_activity(
            crawler, fetched.final_url, manifest, rules.now, deadline
        )
    else:
        newest, activity = await _feed_activity(
            crawler, fetched.final_url, page, rules.now, deadline
        )
    return replace(
        base,
        status=AuditStatus.OK,
        congxa=manifest is not None,
        conformant=not missing,
        missing=missing,
        newest=newest.isoformat() if newest else "",
        stale=is_stale(newest, rules.now, rules.stale_days),
        detail="; ".join(notes),
        activity=activity,
    )


async def _fetch_manifest(
    crawler: Crawler, page_url: str, page: PageSummary, deadline: float
) -> Manifest | None:
    """The site.json the page links to (rel=alternate), else the one beside the home page."""
    declared = [urljoin(page_url, href) for href in page.manifests if "site.json" in href]
    url = declared[0] if declared else manifest_url(page_url)
    fetched = await crawler.fetch(url, retry=False, deadline=deadline)
    if not fetched.answered or fetched.http_status != 200 or fetched.truncated:
        return None
    return parse_manifest(fetched.body)


async def _manifest_activity(
    crawler: Crawler, page_url: str, manifest: Manifest, now: datetime, deadline: float
) -> Activity | None:
    """A congxa site's activity: site.json, its main feed, section feeds when it is cut."""
    facts = manifest.activity
    if facts is None:
        return None
    root = manifest_url(page_url).removesuffix("site.json")

    def local(url: str) -> str | None:
        # Feeds are read where the page was found (a site may be served under another
        # name than its site_url), and only there: a manifest cannot send the audit away.
        if facts.site_url and url.startswith(facts.site_url):
            url = url[len(facts.site_url) :]
        target = urljoin(root, url)
        return target if urlsplit(target).netloc == urlsplit(root).netloc else None

    main_url = local(facts.feeds.get("rss") or "feeds/rss.xml")
    found = await _read_feed(crawler, main_url, deadline) if main_url else None
    main = found or []
    feeds: list[list[FeedItem]] = [main]
    read: list[tuple[str, list[FeedItem]]] = []
    for url in feeds_to_extend(facts, main, now):
        target = local(url)
        items = await _read_feed(crawler, target, deadline) if target else None
        read.append((url, items or []))
        feeds.append(items or [])
    complete = (facts.posts is not None and len(main) >= facts.posts) or bool(
        read and section_feeds_complete(facts, read, now)
    )
    counted = found is not None or facts.posts == 0
    return measure(now, feeds, manifest=facts, complete_feeds=complete, counted=counted)


async def _feed_activity(
    crawler: Crawler, page_url: str, page: PageSummary, now: datetime, deadline: float
) -> tuple[datetime | None, Activity | None]:
    """Newest date and activity from the first readable feed the page advertises."""
    for href in page.feeds[:2]:
        fetched = await crawler.fetch(urljoin(page_url, href), retry=False, deadline=deadline)
        if fetched.answered and fetched.http_status == 200:
            newest = newest_feed_date(fetched.body)
            if newest is not None:
                items = None if fetched.truncated else parse_feed(fetched.body)
                return newest, (measure(now, [items]) if items else None)
    return None, None


async def _read_feed(crawler: Crawler, url: str, deadline: float) -> list[FeedItem] | None:
    fetched = await crawler.fetch(url, retry=False, deadline=deadline)
    if not fetched.answered or fetched.http_status != 200 or fetched.truncated:
        return None
    return parse_feed(fetched.body)


def unit_row(unit: RegistryUnit) -> UnitResult:
    """A result row with the unit's registry facts and no status yet."""
    return UnitResult(
        code=unit.code,
        name=unit.name,
        type=unit.type,
        type_id=unit.type_id,
        province_code=unit.province_code,
        province_name=unit.province_name,
        status="",
    )


def _attempts(fetched: Fetched, detail: str) -> str:
    return f"{detail} (after {fetched.attempts} tries)" if fetched.attempts > 1 else detail


def _stamp(result: UnitResult) -> UnitResult:
    return replace(result, checked_at=datetime.now(UTC).isoformat(timespec="seconds"))
