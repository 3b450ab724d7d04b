"""Province aggregates: units.json and the province feed, made from what is published."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from importlib import resources
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from lxml import etree

from generator.errors import ConfigError
from generator.publish.bulk import build_many
from generator.publish.province import PROVINCE_FEED_LIMIT, province_url_setting
from generator.site.feeds import NS
from generator.source.project import Project
from tests.conftest import REPO, TODAY, post

CX = f"{{{NS}}}"
ATOM = "{http://www.w3.org/2005/Atom}"
UNITS = {
    "00004": ("phuong_ba_dinh", "Phường Ba Đình"),
    "00073": ("phuong_cua_nam", "Phường Cửa Nam"),
    "00070": ("phuong_hoan_kiem", "Phường Hoàn Kiếm"),
    "00376": ("xa_soc_son", "Xã Sóc Sơn"),
}
SHARED = (
    "chu-dong-phong-chong-ngap-ung-cuoi-mua-mua-bao-2026",
    "cong-bo-thu-tuc-hanh-chinh-moi-linh-vuc-ho-tich-chung-thuc",
)


def units_json(public: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((public / "ha_noi" / "units.json").read_text("utf-8"))
    return data


def province_items(public: Path) -> list[etree._Element]:
    return list(etree.parse(str(public / "ha_noi" / "feeds" / "rss.xml")).getroot().iter("item"))


def test_units_json_validates_and_lists_every_registry_unit(demo_public: Path) -> None:
    ref = resources.files("generator.data") / "schemas" / "province.schema.json"
    schema = json.loads(ref.read_text(encoding="utf-8"))
    data = units_json(demo_public)
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(data)
    registry = Project.discover(REPO, TODAY).registry
    assert data["total"] == len(registry.units_of("01")) == len(data["units"])
    published = {u["code"]: u for u in data["units"] if u["has_page"]}
    assert data["with_page"] == 4
    assert {code: u["name"] for code, u in published.items()} == {
        code: name for code, (_, name) in UNITS.items()
    }
    assert not any("site_url" in u for u in data["units"] if not u["has_page"])


def test_units_json_summarises_each_published_manifest(demo_public: Path) -> None:
    data = units_json(demo_public)
    for unit in (u for u in data["units"] if u["has_page"]):
        folder = UNITS[unit["code"]][0]
        manifest = json.loads((demo_public / "ha_noi" / folder / "site.json").read_text("utf-8"))
        assert unit["path"] == folder + "/"
        assert unit["site_url"] == manifest["site_url"]
        assert unit["updated"] == manifest["updated"]
        assert unit["posts"] == manifest["posts"]
        assert unit["essential"] == len(manifest["essential"])
        assert unit["feeds"] == manifest["feeds"]
    assert data["updated"] == max(u["updated"] for u in data["units"] if u["has_page"])
    assert data["feed"] == data["url"] + "feeds/rss.xml"


def test_province_feed_parses_and_links_absolutely(demo_public: Path) -> None:
    feed = demo_public / "ha_noi" / "feeds" / "rss.xml"
    parsed = feedparser.parse(feed)
    assert parsed.bozo == 0 and parsed.version == "rss20"
    # No province_url in the demo: public/ is assumed served at the lowest-code unit's host.
    url = "https://phuongbadinh.hanoi.gov.vn/ha_noi/"
    assert units_json(demo_public)["url"] == url
    channel = etree.parse(str(feed)).getroot().find("channel")
    assert channel is not None
    assert channel.findtext("link") == url
    assert [ln.get("href") for ln in channel.findall(f"{ATOM}link") if ln.get("rel") == "self"] == [
        url + "feeds/rss.xml"
    ]
    assert channel.findtext("language") == "vi"
    assert channel.findtext("lastBuildDate") == "Wed, 25 Nov 2026 14:00:00 +0700"


def test_each_province_item_names_its_unit(demo_public: Path) -> None:
    for item in province_items(demo_public):
        title = item.findtext("title") or ""
        unit_cat = [
            c.text for c in item.findall("category") if c.get("domain") == "urn:congxa:unit"
        ]
        marker = item.find(f"{CX}unit")
        if marker is None:
            shared = item.find(f"{CX}province")
            assert shared is not None
            assert title.startswith("Thành phố Hà Nội: ")
            assert unit_cat == ["Thành phố Hà Nội"]
            continue
        code, name = marker.get("code"), marker.get("name")
        assert name == UNITS[str(code)][1]
        assert title.startswith(f"{name}: ")
        assert unit_cat == [name]
        host = {
            "00004": "phuongbadinh",
            "00073": "phuongcuanam",
            "00070": "phuonghoankiem",
            "00376": "xasocson",
        }[str(code)]
        assert (item.findtext("link") or "").startswith(f"https://{host}.hanoi.gov.vn/")
        assert (item.findtext("guid") or "").startswith(f"tag:congxa,2025:{code}/")
        source = item.find("source")
        assert source is not None
        assert source.get("url") == f"https://{host}.hanoi.gov.vn/feeds/rss.xml"


def test_province_wide_posts_appear_once_in_the_province_feed(demo_public: Path) -> None:
    items = province_items(demo_public)
    shared = [i for i in items if i.find(f"{CX}province") is not None]
    assert sorted((i.findtext("guid") or "").rsplit("/", 1)[1] for i in shared) == list(SHARED)
    for item in shared:
        guid = item.findtext("guid") or ""
        assert guid.startswith("tag:congxa,2025:01/tinh/thong-bao/")
        # The copy linked is the one on the lowest-code unit's site.
        assert (item.findtext("link") or "").startswith("https://phuongbadinh.hanoi.gov.vn/")
    # Every unit item once, every province-wide post once: 4 × 19 − 3 × 2.
    guids = [i.findtext("guid") for i in items]
    assert len(guids) == len(set(guids)) == 4 * 19 - 3 * len(SHARED) <= PROVINCE_FEED_LIMIT
    per_unit = Counter(
        i.find(f"{CX}unit").get("code")  # type: ignore[union-attr]
        for i in items
        if i.find(f"{CX}unit") is not None
    )
    assert per_unit == {code: 19 - len(SHARED) for code in UNITS}


def test_province_feed_is_newest_first(demo_public: Path) -> None:
    dates = [
        parsedate_to_datetime(i.findtext("pubDate") or "") for i in province_items(demo_public)
    ]
    assert dates == sorted(dates, reverse=True)


def test_province_url_from_congxa_yml(mini: Callable[..., Project], tmp_path: Path) -> None:
    (tmp_path / "congxa.yml").write_text(
        "province_url: https://congxa.hanoi.gov.vn/{province}/\n", encoding="utf-8"
    )
    project = mini(
        posts={"thong-bao/a.md": post("A"), "_province/thong-bao/b.md": post("B", day="2026-11-21")}
    )
    out = tmp_path / "public"
    assert not build_many(project, project.unit_files(), out, jobs=1).failed
    feed = out / "ha_noi" / "feeds" / "rss.xml"
    parsed = feedparser.parse(feed)
    assert parsed.bozo == 0
    assert parsed.feed.link == "https://congxa.hanoi.gov.vn/ha_noi/"
    assert [e.title for e in parsed.entries] == ["Thành phố Hà Nội: B", "Phường Hoàn Kiếm: A"]
    assert parsed.entries[0].id == "tag:congxa,2025:01/tinh/thong-bao/b"
    assert parsed.entries[0].link == "https://phuonghoankiem.example.gov.vn/thong-bao/b/"
    assert units_json(out)["url"] == "https://congxa.hanoi.gov.vn/ha_noi/"


@pytest.mark.parametrize(
    "value",
    [
        "http://congxa.hanoi.gov.vn/",
        "congxa.hanoi.gov.vn",
        "https://congxa.hanoi.gov.vn/ha_noi",
        "[1, 2]",
        # A newline before the end, quotes and brackets: would reach the feed, units.json
        # and the boards as they are.
        '"https://congxa.hanoi.gov.vn/{province}/\\n"',
        "https://congxa.hanoi.gov.vn/'\"><meta/http-equiv=refresh/content=0;url=//x.example>/",
        "https://congxa.hanoi.gov.vn:8443/",
        "https://user@congxa.hanoi.gov.vn/",
    ],
)
def test_a_bad_province_url_is_a_config_error(tmp_path: Path, value: str) -> None:
    (tmp_path / "congxa.yml").write_text(f"province_url: {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        province_url_setting(tmp_path)
    assert "province_url" in caught.value.problems[0].format()
