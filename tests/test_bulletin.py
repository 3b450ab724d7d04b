"""Essential information everywhere (issue 12): feeds/thiet-yeu.json, the emergency banner
on every page, the bulletin board pages and the province's screen, as built files.

The browser behaviour (clock, polling, offline) is in tests/browser/test_board.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from generator.errors import ConfigError
from generator.publish.bulk import build_many
from generator.publish.nginx import LIVE_CACHE, nginx_conf
from generator.site.bulletin import qr_name
from generator.site.urls import post_url
from generator.source.project import Project
from tests.conftest import REPO, TODAY, post

UNITS = ("phuong_ba_dinh", "phuong_cua_nam", "phuong_hoan_kiem", "xa_soc_son")
HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"&'
RANK = {"khan-cap": 0, "uu-tien": 1, "thuong": 2}


@cache
def schema() -> dict[str, Any]:
    ref = resources.files("generator.data") / "schemas" / "thiet-yeu.schema.json"
    loaded: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return loaded


def validate(data: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(data)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def essential(
    priority: str, expires: str = "2027-01-31", category: str = "thien-tai-khan-cap"
) -> str:
    return f"essential:\n  category: {category}\n  priority: {priority}\n  expires: {expires}\n"


def build(project: Project, out: Path) -> Path:
    summary = build_many(project, project.unit_files(), out, jobs=1)
    assert not summary.failed, [p.format() for r in summary.failed for p in r.problems]
    return out


def test_demo_json_validates_is_small_and_lists_the_active_items(demo_public: Path) -> None:
    project = Project.discover(REPO, TODAY)
    for unit in UNITS:
        path = demo_public / "ha_noi" / unit / "feeds" / "thiet-yeu.json"
        assert path.stat().st_size < 20_000
        doc = load(path)
        validate(doc)
        site = project.load_site(REPO / "communes" / "ha_noi" / f"{unit}.yml")
        assert [i["url"] for i in doc["items"]] == [
            site.unit.site_url + post_url(p) for p in site.active_essential()
        ]
        assert [RANK[i["priority"]] for i in doc["items"]] == sorted(
            RANK[i["priority"]] for i in doc["items"]
        )
        active = {i["id"] for i in doc["items"]}
        assert not active & {i["id"] for i in doc["latest"]}
        assert doc["latest"], unit
        assert all(i["section"] in ("thong-bao", "tin-tuc") for i in doc["latest"])
        for item in doc["items"] + doc["latest"]:
            qr = demo_public / "ha_noi" / unit / "bang-tin" / "qr" / qr_name(item["url"])
            assert item["qr"].endswith("/bang-tin/qr/" + qr.name)
            assert qr.read_bytes().startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    province = demo_public / "ha_noi" / "thiet-yeu.json"
    assert province.stat().st_size < 20_000
    validate(load(province))


def test_expired_items_are_left_out_and_the_schema_rejects_a_bad_priority(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    project = mini(
        posts={
            "thong-bao/het-han.md": post(
                "Đã hết hạn", "2026-11-01", essential("khan-cap", "2026-11-28")
            ),
            "thong-bao/con-han.md": post("Còn hạn", "2026-11-02", essential("uu-tien")),
        }
    )
    doc = load(
        build(project, tmp_path / "out")
        / "ha_noi"
        / "phuong_hoan_kiem"
        / "feeds"
        / "thiet-yeu.json"
    )
    assert [i["title"] for i in doc["items"]] == ["Còn hạn"]
    assert "Đã hết hạn" in [i["title"] for i in doc["latest"]]
    doc["items"][0]["priority"] = "rat-gap"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_output_is_byte_identical_across_builds(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    posts = {
        "thong-bao/a.md": post("Khẩn", "2026-11-20", essential("khan-cap")),
        "tin-tuc/b.md": post("Tin", "2026-11-21", body="Đoạn đầu.\n\n![Ảnh](anh.png)"),
        "tin-tuc/anh.png": b"\x89PNG\r\n\x1a\n",
    }
    first = build(mini(posts=posts), tmp_path / "one")
    second = build(mini(posts=posts), tmp_path / "two")
    unit = "ha_noi/phuong_hoan_kiem"
    for rel in ("feeds/thiet-yeu.json", "bang-tin/index.html"):
        assert (first / unit / rel).read_bytes() == (second / unit / rel).read_bytes()
    for rel in ("ha_noi/thiet-yeu.json", "ha_noi/bang-tin/index.html"):
        assert (first / rel).read_bytes() == (second / rel).read_bytes()
    doc = load(first / unit / "feeds" / "thiet-yeu.json")
    news = next(i for i in doc["latest"] if i["title"] == "Tin")
    # The first image, absolute on the unit's own site; the first paragraph as summary.
    assert news["image"] == {"url": doc["site_url"] + "tin-tuc/anh.png", "alt": "Ảnh"}
    assert news["summary"] == "Đoạn đầu."


def test_third_party_images_are_never_listed(mini: Callable[..., Project], tmp_path: Path) -> None:
    project = mini(posts={"tin-tuc/b.md": post("Tin", body="![x](https://tracker.example/p.png)")})
    doc = load(build(project, tmp_path / "out") / "ha_noi/phuong_hoan_kiem/feeds/thiet-yeu.json")
    assert doc["latest"][0]["image"] is None


def test_the_board_shows_the_image_the_home_page_shows(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    """One rule for a post's picture (generator/site/pages.py, `first_image`): the first
    image its site publishes. An image it does not publish (here a file that is not there)
    is skipped by the board as by the home page, never shown as a broken picture."""
    body = 'Ảnh:\n\n![thiếu](khong-co.png)\n\n<img src="anh.png" alt="Ảnh &amp; chữ">'
    project = mini(
        posts={
            "tin-tuc/b.md": post("Tin", "2026-11-21", body=body),
            "tin-tuc/anh.png": b"\x89PNG\r\n\x1a\n",
        }
    )
    out = build(project, tmp_path / "out") / "ha_noi/phuong_hoan_kiem"
    doc = load(out / "feeds/thiet-yeu.json")
    image = doc["latest"][0]["image"]
    assert image == {"url": doc["site_url"] + "tin-tuc/anh.png", "alt": "Ảnh & chữ"}
    home = (out / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<img class="cx-thumb" src="([^"]+)"', home) == ["tin-tuc/anh.png"]


def test_hostile_text_is_escaped_in_banner_board_and_json(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    title = json.dumps(HOSTILE)
    project = mini(posts={"thong-bao/x.md": post(title, "2026-11-20", essential("khan-cap"))})
    out = build(project, tmp_path / "out") / "ha_noi"
    doc = load(out / "phuong_hoan_kiem" / "feeds" / "thiet-yeu.json")
    assert doc["items"][0]["title"] == HOSTILE
    pages = [
        out / "phuong_hoan_kiem" / "index.html",
        out / "phuong_hoan_kiem" / "bang-tin" / "index.html",
        out / "bang-tin" / "index.html",
    ]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<img src=x" not in text, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, page
        # The embedded data block cannot be closed by the text.
        block = re.search(
            r'<script type="application/json" id="cx-b-data">(.*?)</script>', text, re.DOTALL
        )
        if block:
            assert json.loads(block[1])["items"][0]["title"] == HOSTILE


def test_banner_on_every_page_with_province_wide_items(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    project = mini(
        posts={
            "_province/thong-bao/bao.md": post(
                "Bão số 13 đổ bộ", "2026-11-28", essential("khan-cap")
            ),
            "thong-bao/uu-tien.md": post("Cắt nước", "2026-11-27", essential("uu-tien")),
            "thong-bao/thuong.md": post(
                "Lịch họp", "2026-11-26", essential("thuong", category="chinh-sach-phap-luat")
            ),
        }
    )
    site = build(project, tmp_path / "out") / "ha_noi" / "phuong_hoan_kiem"
    pages = [p for p in site.rglob("*.html") if "bang-tin" not in p.parts]
    assert len(pages) > 10
    for page in pages:
        text = page.read_text(encoding="utf-8")
        banner = text.split('<div class="cx-alerts"', 1)[1].split("</div>\n</div>", 1)[0]
        assert "cx-alert--khan-cap" in banner and "Bão số 13 đổ bộ" in banner, page
        assert "cx-alert--uu-tien" in banner and "Cắt nước" in banner, page
        assert "Lịch họp" not in banner, page
        assert banner.index("Bão số 13") < banner.index("Cắt nước")
        assert 'aria-live="polite"' in text and "khan-cap.js" in text
    doc = load(site / "feeds" / "thiet-yeu.json")
    assert doc["items"][0]["province_wide"] is True


def test_no_banner_items_without_active_urgent_items(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    project = mini(posts={"thong-bao/a.md": post("Lịch họp", "2026-11-26")})
    home = build(project, tmp_path / "out") / "ha_noi" / "phuong_hoan_kiem" / "index.html"
    text = home.read_text(encoding="utf-8")
    assert 'id="cx-alerts"' in text and "cx-alert--" not in text


def test_board_settings_from_congxa_yml(mini: Callable[..., Project], tmp_path: Path) -> None:
    project = mini(posts={"thong-bao/a.md": post()})
    (project.root / "congxa.yml").write_text("board:\n  seconds: 20\n  orientation: portrait\n")
    project = Project.discover(project.root, TODAY)
    out = build(project, tmp_path / "out") / "ha_noi"
    board = (out / "phuong_hoan_kiem" / "bang-tin" / "index.html").read_text(encoding="utf-8")
    assert 'data-giay="20"' in board and 'data-huong="portrait"' in board
    assert load(out / "thiet-yeu.json")["board"]["seconds"] == 20
    for name in ("bang-tin.js", "bang-tin.css", "sw.js"):
        assert (out / "bang-tin" / name).is_file()
        assert (out / "phuong_hoan_kiem" / "bang-tin" / name).is_file()


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("board:\n  seconds: 2\n", "board.seconds"),
        ("board:\n  orientation: sideways\n", "board.orientation"),
        ("board: 12\n", "board"),
    ],
)
def test_bad_board_settings_are_explained(tmp_path: Path, text: str, field: str) -> None:
    (tmp_path / "congxa.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Project.discover(tmp_path, date(2026, 11, 29))
    problem = caught.value.problems[0]
    assert problem.field == field and problem.hint
    assert problem.file == tmp_path / "congxa.yml"


def test_province_screen_lists_every_unit_item_once_by_priority(demo_public: Path) -> None:
    out = demo_public / "ha_noi"
    doc = load(out / "thiet-yeu.json")
    units = {u: load(out / u / "feeds" / "thiet-yeu.json") for u in UNITS}
    own = {(u, i["url"]) for u, d in units.items() for i in d["items"] if not i["province_wide"]}
    assert {(i["unit"]["path"].rstrip("/"), i["url"]) for i in doc["items"]} == own
    ranks = [RANK[i["priority"]] for i in doc["items"]]
    assert ranks == sorted(ranks)
    shared = [i for i in doc["latest"] if i["province_wide"]]
    assert len({i["id"] for i in shared}) == len(shared)
    assert all(i["id"].startswith("tag:congxa,2025:01/tinh/") for i in shared)
    board = (out / "bang-tin" / "index.html").read_text(encoding="utf-8")
    for item in doc["items"]:
        assert (out / "bang-tin" / "qr" / qr_name(item["url"])).is_file()
        assert f"{item['unit']['name']}: " in board


def test_nginx_keeps_the_live_json_for_a_minute(demo_public: Path) -> None:
    conf = nginx_conf(Project.discover(REPO), demo_public, "ha_noi")
    block = conf.split('location ~ "/thiet-yeu\\.json$" {', 1)[1].split("}", 1)[0]
    assert f'Cache-Control "{LIVE_CACHE}"' in block
    assert "default_type application/json;" in block


def test_qr_codes_are_made_once_and_kept_between_builds(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    project = mini(posts={"thong-bao/a.md": post("Khẩn", "2026-11-20", essential("khan-cap"))})
    out = build(project, tmp_path / "out")
    published = out / "ha_noi" / "phuong_hoan_kiem" / "bang-tin" / "qr"
    names = sorted(p.name for p in published.glob("*.svg"))
    kept = list((out / ".congxa" / "cache").glob("qr-*/*.svg"))
    assert names and sorted(p.name for p in kept) == names
    # The kept copy is what the next build publishes (no code is made again).
    marker = b'<svg xmlns="http://www.w3.org/2000/svg"><!-- kept --></svg>\n'
    for path in kept:
        path.write_bytes(marker)
    build_many(project, project.unit_files(), out, jobs=1, force=True)
    assert all(p.read_bytes() == marker for p in published.glob("*.svg"))
