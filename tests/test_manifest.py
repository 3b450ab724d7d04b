"""site.json: validated against the JSON Schema shipped in the package, and true to the site."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest

from generator.site.manifest import manifest, render_manifest
from generator.source.project import Project
from tests.conftest import REPO, TODAY, post

UNITS = ("phuong_ba_dinh", "phuong_cua_nam", "phuong_hoan_kiem", "xa_soc_son")


@cache
def schema() -> dict[str, Any]:
    ref = resources.files("generator.data") / "schemas" / "site.schema.json"
    loaded: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return loaded


def validate(data: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(data)


def read(public: Path, unit: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (public / "ha_noi" / unit / "site.json").read_text(encoding="utf-8")
    )
    return data


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.discover(REPO, TODAY)


def test_every_demo_manifest_validates_against_the_shipped_schema(demo_public: Path) -> None:
    for unit in UNITS:
        data = read(demo_public, unit)
        validate(data)
        assert data["schema"] == "congxa-site/1"
        assert data["province"] == {"code": "01", "name": "Thành phố Hà Nội"}


def test_the_schema_rejects_what_the_contract_forbids(demo_public: Path) -> None:
    data = read(demo_public, "phuong_hoan_kiem")
    for broken in (
        {**data, "site_url": "http://phuonghoankiem.hanoi.gov.vn/"},
        {**data, "updated": "2026-11-24 16:30"},
        {k: v for k, v in data.items() if k != "conformance"},
        {**data, "essential": [{**data["essential"][0], "priority": "gap"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)


def test_updated_is_the_newest_post_date_not_the_build_time(
    demo_public: Path, project: Project
) -> None:
    for unit in UNITS:
        site = project.load_site(REPO / "communes" / "ha_noi" / f"{unit}.yml")
        data = read(demo_public, unit)
        newest = max(p.date for p in site.posts)
        assert datetime.fromisoformat(data["updated"]) == newest
        assert data["updated"].endswith("+07:00")
        assert data["posts"] == len(site.posts)
    assert read(demo_public, "phuong_hoan_kiem")["updated"] == "2026-11-24T16:30:00+07:00"


def test_sections_follow_the_profile_and_count_their_items(
    demo_public: Path, project: Project
) -> None:
    data = read(demo_public, "phuong_hoan_kiem")
    assert [s["id"] for s in data["sections"]] == [s.id for s in project.profile.sections]
    site_dir = demo_public / "ha_noi" / "phuong_hoan_kiem"
    for section in data["sections"]:
        assert section["url"] == f"https://phuonghoankiem.hanoi.gov.vn/{section['id']}/"
        assert (site_dir / section["id"] / "index.html").is_file()
        if section["feed"] is None:
            assert section["id"] == "en"
            continue
        feed = site_dir / section["feed"].removeprefix(data["site_url"])
        dates = [parsedate_to_datetime(e.published) for e in feedparser.parse(feed).entries]
        assert section["items"] == len(dates), section["id"]
        if dates:
            assert datetime.fromisoformat(section["newest"]) == max(dates), section["id"]
        else:
            assert section["newest"] is None


def test_every_feed_url_is_published(demo_public: Path) -> None:
    for unit in UNITS:
        data = read(demo_public, unit)
        site_dir = demo_public / "ha_noi" / unit
        assert list(data["feeds"])[:3] == ["rss", "atom", "thiet-yeu"]
        for url in data["feeds"].values():
            assert url.startswith(data["site_url"] + "feeds/")
            assert (site_dir / url.removeprefix(data["site_url"])).is_file(), url


def test_essential_lists_active_items_most_urgent_first(demo_public: Path) -> None:
    data = read(demo_public, "phuong_hoan_kiem")
    urls = [e["url"] for e in data["essential"]]
    assert urls[0].endswith("/thong-bao/cong-dien-khan-ung-pho-mua-lon-ngap-ung/")
    assert data["essential"][0]["priority"] == "khan-cap"
    assert data["essential"][0]["id"] == (
        "tag:congxa,2025:00070/thong-bao/cong-dien-khan-ung-pho-mua-lon-ngap-ung"
    )
    assert not any("phong-chong-sot-xuat-huyet" in url for url in urls)  # expired
    # The same items, in the same order, as the essential feed.
    feed = feedparser.parse(demo_public / "ha_noi/phuong_hoan_kiem/feeds/thiet-yeu.xml")
    assert [e.link for e in feed.entries] == urls


def test_conformance_names_required_sections_left_empty(mini: Callable[..., Project]) -> None:
    project = mini(posts={"thong-bao/a.md": post("A")})
    site = project.load_site(project.unit_files()[0])
    data = manifest(site)
    validate(data)
    assert data["conformance"]["profile"] == "nd42-2022"
    assert data["conformance"]["missing"] == []
    assert "thong-bao" not in data["conformance"]["empty"]
    assert {"tin-tuc", "van-ban", "chi-dao-dieu-hanh"} <= set(data["conformance"]["empty"])
    assert data["updated"] == "2026-11-20T00:00:00+07:00"


def test_a_site_without_posts_still_validates(mini: Callable[..., Project]) -> None:
    project = mini()
    site = project.load_site(project.unit_files()[0])
    data = manifest(site)
    validate(data)
    assert data["updated"] is None and data["posts"] == 0 and data["essential"] == []


def test_rendering_is_byte_stable(mini: Callable[..., Project]) -> None:
    project = mini(
        posts={
            "thong-bao/a.md": post(
                "A", extra="essential:\n  category: thien-tai-khan-cap\n  priority: khan-cap\n"
            )
        }
    )
    unit_file = project.unit_files()[0]
    first = render_manifest(project.load_site(unit_file))
    assert render_manifest(project.load_site(unit_file)) == first
    assert first.endswith(b"}\n") and "Khẩn cấp".encode() in first  # UTF-8, not \\u escapes
