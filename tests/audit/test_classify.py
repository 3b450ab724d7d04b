"""The rules that decide a status from what was fetched (no network here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from generator.audit.classify import (
    audit_profile,
    html_missing_sections,
    is_stale,
    manifest_missing_sections,
    manifest_url,
    names_unit,
    not_unit_reason,
    parse_manifest,
)
from generator.audit.page import newest_feed_date, parse_date, parse_page
from generator.source.profile import load_profile
from generator.source.registry import RegistryUnit

from . import farm as f

HOAN_KIEM = RegistryUnit(
    "00070", "Phường Hoàn Kiếm", "phường", "01", "Hà Nội", "phuong_hoan_kiem", "ha_noi"
)
XA_X = RegistryUnit("01234", "Xã Tân Lập", "xã", "01", "Hà Nội", "xa_tan_lap", "ha_noi")
PHUONG_1 = RegistryUnit("27000", "Phường 1", "phường", "79", "TP HCM", "phuong_1", "hcm")


@pytest.mark.parametrize(
    ("unit", "text", "named"),
    [
        (HOAN_KIEM, "Phường Hoàn Kiếm", True),
        (HOAN_KIEM, "UBND PHƯỜNG HOÀN KIẾM - Cổng thông tin", True),
        (HOAN_KIEM, "Trang thông tin điện tử phuong hoan kiem", True),
        (HOAN_KIEM, "Ủy ban nhân dân Hoàn Kiếm", True),
        (HOAN_KIEM, "UBND Hoàn Kiếm", True),
        (HOAN_KIEM, "Hoàn Kiếm", False),  # a bare name may be a street or a district
        (HOAN_KIEM, "Phường Hoàn Kiếmx", False),
        (HOAN_KIEM, "Phường Ba Đình", False),
        (XA_X, "UBND xã Tân Lập", True),
        (XA_X, "Xa Tan Lap", True),
        (XA_X, "xã Tân Lập Mới", True),  # whole words: good enough, see names_unit
        (PHUONG_1, "UBND Phường 1", True),
        (PHUONG_1, "UBND Phường 12", False),
    ],
)
def test_names_unit(unit: RegistryUnit, text: str, named: bool) -> None:
    assert names_unit(unit, (text,), audit_profile()) is named


def test_nfd_text_names_the_unit() -> None:
    import unicodedata

    text = unicodedata.normalize("NFD", "UBND Phường Hoàn Kiếm")
    assert names_unit(HOAN_KIEM, (text,), audit_profile())


def test_page_summary_survives_broken_markup() -> None:
    page = parse_page(
        '<html><head><title>UBND <b>Xã</b> Tân Lập</title><meta name="generator" '
        'content="congxa 0.1.0"><link rel="alternate" type="application/rss+xml" '
        'href="/feeds/rss.xml"><meta property="og:site_name" content="Xã Tân Lập">'
        "<script>var t='<h1>not a heading</h1>'</script></head><body><h1>Trang <a href=/tin-tuc/>"
        "Tin tức</a><h2>Unclosed <img alt='Logo xã'>"
    )
    assert page.title == "UBND Xã Tân Lập"
    assert page.is_congxa and page.feeds == ("/feeds/rss.xml",)
    assert parse_page(
        '<meta name="generator" content="mkdocs-1.6.1"><meta name="generator" content="congxa 0.1.0">'
    ).is_congxa
    assert page.names == ("Xã Tân Lập",)
    assert "Trang Tin tức" in page.headings and "Unclosed Logo xã" in page.headings
    assert page.links[0].text == "Tin tức" and page.links[0].href == "/tin-tuc/"
    assert all("not a heading" not in h for h in page.headings)


def test_html_sections_by_title_or_by_url() -> None:
    profile = audit_profile()
    full = parse_page(f.nav(base="/chuyen-muc/"))
    assert html_missing_sections(full, profile) == ()
    punctuated = parse_page("<a href=/a>Quy hoạch, kế hoạch</a><a href=/b>CHỈ ĐẠO - ĐIỀU HÀNH</a>")
    missing = html_missing_sections(punctuated, profile)
    assert "quy-hoach-ke-hoach" not in missing and "chi-dao-dieu-hanh" not in missing
    by_url = parse_page('<a href="https://x.vn/du-an-dau-tu/">Dự án</a>')
    assert "du-an-dau-tu" not in html_missing_sections(by_url, profile)
    assert len(html_missing_sections(parse_page("<p>Tin tức</p>"), profile)) == len(f.SECTIONS)
    # The profile's full title and the short phrases of audit.yml both count.
    other_words = parse_page("<a href=/a>Tin tức, sự kiện</a><h2>Dịch vụ công trực tuyến</h2>")
    missing = html_missing_sections(other_words, profile)
    assert "tin-tuc" not in missing and "thu-tuc-hanh-chinh" not in missing


def test_the_sections_come_from_the_profile() -> None:
    profile = audit_profile()
    assert profile.id == "nd42-2022"
    required = [s.id for s in load_profile().sections if s.required and s.takes_posts]
    assert [s.id for s in profile.sections] == required


def test_not_unit_reasons() -> None:
    profile = audit_profile()
    nginx = parse_page("<title>Welcome to nginx!</title><h1>Welcome to nginx!</h1>")
    assert not_unit_reason(nginx, XA_X, profile) == "web server default page (nginx)"
    apache = parse_page("<title>Apache2 Ubuntu Default Page: It works</title>")
    assert not_unit_reason(apache, XA_X, profile) == "web server default page (Apache)"
    empty = parse_page("<p>hello</p>")
    assert not_unit_reason(empty, XA_X, profile) == "page has no title or heading naming Xã Tân Lập"


def test_manifest() -> None:
    body = json.dumps(
        {
            "schema": "congxa-site/1",
            "code": "00070",
            "updated": "2026-11-20T08:30:00+07:00",
            "sections": [{"id": sid} for sid, _ in f.SECTIONS if sid != "lien-he"],
            "conformance": {"profile": "nd42-2022", "missing": ["du-an-dau-tu"], "empty": []},
        }
    ).encode()
    manifest = parse_manifest(body)
    assert manifest is not None and manifest.code == "00070"
    assert manifest.updated == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    assert manifest_missing_sections(manifest, audit_profile()) == ("du-an-dau-tu", "lien-he")
    assert parse_manifest(b'{"schema": "other/1"}') is None
    assert parse_manifest(b"<html>") is None
    assert parse_manifest(b"[1, 2]") is None


@pytest.mark.parametrize(
    ("page", "manifest"),
    [
        ("https://x.vn/", "https://x.vn/site.json"),
        ("https://x.vn", "https://x.vn/site.json"),
        ("https://x.vn/ha_noi/phuong_a/", "https://x.vn/ha_noi/phuong_a/site.json"),
        ("https://x.vn/ha_noi/phuong_a", "https://x.vn/ha_noi/phuong_a/site.json"),
        ("https://x.vn/a/index.html?x=1#top", "https://x.vn/a/site.json"),
        ("http://x.vn:8080/", "http://x.vn:8080/site.json"),
    ],
)
def test_manifest_url(page: str, manifest: str) -> None:
    assert manifest_url(page) == manifest


def test_feed_dates() -> None:
    newest = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert newest_feed_date(f.rss("x", [newest - timedelta(days=3), newest]).encode()) == newest
    assert newest_feed_date(f.atom("x", [newest, newest - timedelta(days=1)]).encode()) == newest
    assert newest_feed_date(b"<rss><channel></channel></rss>") is None
    assert newest_feed_date(b"not xml") is None
    # Without a zone a date is Vietnam time.
    assert parse_date("2026-11-20T08:30:00") == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    assert parse_date("Fri, 20 Nov 2026 08:30:00 +0700") == parse_date("2026-11-20T08:30:00")
    assert parse_date("yesterday") is None


def test_stale() -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    assert is_stale(now - timedelta(days=91), now, 90) is True
    assert is_stale(now - timedelta(days=89), now, 90) is False
    assert is_stale(None, now, 90) is None
