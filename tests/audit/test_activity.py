"""Activity parsing on careless and hostile input, and the Vietnamese causes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from generator.audit.activity import (
    MAX_ITEMS,
    feeds_to_extend,
    manifest_activity,
    measure,
    parse_feed,
)
from generator.audit.page import parse_date
from generator.audit.results import UnitResult
from generator.audit.wording import cause, percent, vn_date, vn_datetime

from . import farm as f

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def _rss(items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:congxa="urn:congxa:ns:1">'
        f"<channel><title>x</title>{items}</channel></rss>"
    ).encode()


def _item(guid: str, days: float, extra: str = "") -> str:
    when = (NOW - timedelta(days=days)).strftime("%a, %d %b %Y %H:%M:%S %z")
    return (
        f"<item><guid>{guid}</guid><title>T {guid}</title><pubDate>{when}</pubDate>{extra}</item>"
    )


def test_counts_by_window_merge_duplicates_and_ignore_the_future() -> None:
    main = parse_feed(_rss(_item("a", 1) + _item("b", 40) + _item("c", 200) + _item("z", -30)))
    section = parse_feed(_rss(_item("b", 40) + _item("d", 400)))
    assert main is not None and section is not None
    activity = measure(NOW, [main, section])
    assert (activity.posts_30, activity.posts_90, activity.posts_365) == (1, 2, 3)
    assert activity.exact  # an item older than 365 days was read: the year is covered
    assert parse_date(activity.last_post) == NOW - timedelta(days=1)
    assert activity.last_post.endswith("+07:00")
    only_recent = measure(NOW, [main])
    assert not only_recent.exact  # the feed may have been cut at its limit


def test_essential_items_carry_category_priority_and_date() -> None:
    essential = '<congxa:essential category="thien-tai-khan-cap" priority="khan-cap"/>'
    items = parse_feed(_rss(_item("e1", 10, essential) + _item("e2", 500, essential)))
    assert items is not None
    activity = measure(NOW, [items])
    assert [(e.guid, e.category, e.priority) for e in activity.essential] == [
        ("e1", "thien-tai-khan-cap", "khan-cap")
    ]  # the item of 500 days ago is outside the year


@pytest.mark.parametrize(
    "body",
    [b"", b"not xml", b"<rss><channel><item><pubDate>yesterday</pubDate></item></channel></rss>"],
)
def test_unreadable_feeds_and_dates_count_nothing(body: bytes) -> None:
    items = parse_feed(body)
    activity = measure(NOW, [items or []])
    assert activity.posts_30 == 0 and activity.last_post == ""


def test_items_per_feed_are_capped() -> None:
    items = parse_feed(_rss("".join(_item(str(i), 1) for i in range(MAX_ITEMS + 50))))
    assert items is not None and len(items) == MAX_ITEMS


def test_atom_entries_use_their_published_date() -> None:
    dates = [f.days_ago(5), f.days_ago(100)]
    items = parse_feed(f.atom("x", dates).encode())
    assert items is not None
    activity = measure(datetime.now(UTC), [items])
    assert (activity.posts_30, activity.posts_90, activity.posts_365) == (1, 1, 2)


def test_manifest_with_wrong_types_is_read_safely() -> None:
    assert manifest_activity({"schema": "other"}) is None
    assert manifest_activity(["congxa-site/1"]) is None
    facts = manifest_activity(
        {
            "schema": "congxa-site/1",
            "posts": "many",
            "sections": [{"id": "tin-tuc", "items": -3}, "junk", {"id": 7}],
            "conformance": {"empty": "van-ban"},
            "feeds": {"rss": 5, "tin-tuc": "https://x/feeds/tin-tuc.xml"},
        }
    )
    assert facts is not None
    assert facts.posts is None and facts.sections == (("tin-tuc", 0, None),)
    assert facts.empty == () and facts.feeds == {"tin-tuc": "https://x/feeds/tin-tuc.xml"}


def test_section_feeds_are_read_only_when_the_main_feed_is_cut() -> None:
    facts = manifest_activity(
        {
            "schema": "congxa-site/1",
            "posts": 3,
            "sections": [
                {"id": "tin-tuc", "items": 2, "newest": NOW.isoformat()},
                {"id": "van-ban", "items": 1, "newest": "2020-01-01"},
                {"id": "lien-he", "items": 0},
            ],
            "feeds": {
                "tin-tuc": "https://x/feeds/tin-tuc.xml",
                "van-ban": "https://x/feeds/van-ban.xml",
                "lien-he": "https://x/feeds/lien-he.xml",
            },
        }
    )
    assert facts is not None
    full = parse_feed(_rss(_item("a", 1) + _item("b", 2) + _item("c", 3))) or []
    assert feeds_to_extend(facts, full, NOW) == []  # the main feed holds all 3 posts
    cut = full[:2]
    # Only the section with a post in the last year, and with posts at all.
    assert feeds_to_extend(facts, cut, NOW) == ["https://x/feeds/tin-tuc.xml"]


def _failed(status: str, detail: str) -> UnitResult:
    return UnitResult("1", "Xã A", "xã", "xa", "01", "Hà Nội", status, detail=detail)


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        ("no_url", "no known URL for this unit", "Chưa có địa chỉ trang"),
        ("http_error", "HTTP 503", "Máy chủ trả lỗi HTTP 503."),
        ("timeout", "timeout (after 2 tries)", "(đã thử 2 lần)"),
        ("not_unit_page", "web server default page (nginx)", "trang mặc định"),
        ("not_unit_page", "parked domain", "rao bán"),
        ("not_unit_page", "site.json is for unit 00070, not 00082", "mã 00070"),
        ("not_unit_page", "title 'Khác' does not name Xã A", "không nêu tên Xã A"),
        ("dns_error", "x (2 URLs tried, none ok)", "đã thử 2 địa chỉ"),
    ],
)
def test_causes_are_vietnamese(status: str, detail: str, expected: str) -> None:
    text = cause(_failed(status, detail))
    assert expected in text
    assert detail not in text or detail.startswith("HTTP")  # "HTTP 503" is the same in both


def test_vietnamese_dates_and_figures() -> None:
    assert vn_datetime("2026-11-28T20:30:00+00:00") == "29/11/2026 03:30"
    assert vn_date("2026-11-28T20:30:00+00:00") == "29/11/2026"
    assert vn_datetime("") == "" and vn_date("garbage") == ""
    assert (percent(35.71), percent(100.0), percent(None)) == ("35,71%", "100%", "–")
