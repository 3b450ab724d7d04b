"""Feeds of the demo province and of tiny projects, read as integrators read them.

The W3C feed validator's most frequent complaints are each checked by a test: full-URL
links and GUIDs, RFC 822 dates, relative links inside descriptions, atom:link rel=self,
and the channel language.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser
import lxml.html
import pytest
from lxml import etree

from generator.publish.bulk import build_many
from generator.site.feeds import NS, feed_specs, render_feed
from generator.source.fields import VN_TZ
from generator.source.project import Project
from tests.conftest import REPO, TODAY, post

ATOM = "{http://www.w3.org/2005/Atom}"
CX = f"{{{NS}}}"
UNITS = ("phuong_ba_dinh", "phuong_cua_nam", "phuong_hoan_kiem", "xa_soc_son")
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} \+0700$"
)
# Unit items: <unit code>/[tinh/]<post id>; province-wide items of the province feed:
# <province code>/tinh/<post id>.
GUID = re.compile(r"^tag:congxa,2025:(\d{5}/(tinh/)?|\d{2}/tinh/)[a-z0-9-]+/[a-z0-9-]+$")
START = datetime(2025, 7, 1, tzinfo=VN_TZ)  # commune-level units exist from this day


def feeds_per_unit() -> int:
    """All items (RSS and Atom), essential information, one per section that takes posts."""
    return 3 + len(Project.discover(REPO, TODAY).profile.post_sections())


def unit_feeds(public: Path) -> list[Path]:
    # feeds/sitemap.xml is not a feed: an empty sitemap for Material's script (feeds.py).
    return sorted(p for p in public.glob("ha_noi/*/feeds/*.xml") if p.name != "sitemap.xml")


def all_feeds(public: Path) -> list[Path]:
    return [*unit_feeds(public), public / "ha_noi" / "feeds" / "rss.xml"]


def site_url(feed: Path) -> str:
    data = feedparser.parse(feed.parent.parent / "feeds" / "rss.xml")
    return str(data.feed.link)


def rss_items(feed: Path) -> list[etree._Element]:
    return list(etree.parse(str(feed)).getroot().iter("item"))


def titles(feed: Path) -> list[str]:
    return [item.findtext("title") or "" for item in rss_items(feed)]


# --- every feed parses, and the validator's rules hold -------------------------------------


def test_every_unit_has_its_feeds(demo_public: Path) -> None:
    project = Project.discover(REPO, TODAY)
    sections = [s.id for s in project.profile.post_sections()]
    for unit in UNITS:
        names = sorted(p.name for p in (demo_public / "ha_noi" / unit / "feeds").iterdir())
        assert names == sorted(
            [
                "rss.xml",
                "atom.xml",
                "thiet-yeu.xml",
                "thiet-yeu.json",  # the live data of the banner and the board
                "sitemap.xml",
                *(f"{s}.xml" for s in sections),
            ]
        )
    assert (demo_public / "ha_noi" / "feeds" / "rss.xml").is_file()


def test_every_feed_parses_with_feedparser(demo_public: Path) -> None:
    for feed in all_feeds(demo_public):
        data = feedparser.parse(feed)
        assert data.bozo == 0, (feed, data.get("bozo_exception"))
        assert data.version == ("atom10" if feed.name == "atom.xml" else "rss20"), feed
    # The demo has something in every kind of feed.
    assert (
        len(feedparser.parse(demo_public / "ha_noi/phuong_hoan_kiem/feeds/rss.xml").entries) == 19
    )


def test_channels_link_home_and_themselves_in_vietnamese(demo_public: Path) -> None:
    for feed in unit_feeds(demo_public):
        unit_url = f"https://{_host(feed)}/"
        own_url = unit_url + "feeds/" + feed.name
        root = etree.parse(str(feed)).getroot()
        if feed.name == "atom.xml":
            assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "vi"
            links = {ln.get("rel"): ln.get("href") for ln in root.findall(f"{ATOM}link")}
            assert links == {"alternate": unit_url, "self": own_url}
            assert root.findtext(f"{ATOM}id") == own_url
            continue
        channel = root.find("channel")
        assert channel is not None
        assert channel.findtext("link") == unit_url, feed
        assert channel.findtext("language") == "vi"
        self_links = [ln for ln in channel.findall(f"{ATOM}link") if ln.get("rel") == "self"]
        assert [ln.get("href") for ln in self_links] == [own_url], feed
        assert RFC822.match(channel.findtext("lastBuildDate") or ""), feed


def _host(feed: Path) -> str:
    hosts = {
        "phuong_ba_dinh": "phuongbadinh.hanoi.gov.vn",
        "phuong_cua_nam": "phuongcuanam.hanoi.gov.vn",
        "phuong_hoan_kiem": "phuonghoankiem.hanoi.gov.vn",
        "xa_soc_son": "xasocson.hanoi.gov.vn",
    }
    return hosts[feed.parent.parent.name]


def test_items_have_full_url_links_tag_guids_and_rfc822_dates(demo_public: Path) -> None:
    for feed in all_feeds(demo_public):
        if feed.name == "atom.xml":
            continue
        for item in rss_items(feed):
            link = item.findtext("link") or ""
            assert link.startswith("https://") and link.endswith("/"), (feed, link)
            guid = item.find("guid")
            assert guid is not None
            # A tag URI is not a web address: isPermaLink="false" says so to readers.
            assert guid.get("isPermaLink") == "false"
            assert GUID.match(guid.text or ""), (feed, guid.text)
            date = item.findtext("pubDate") or ""
            assert RFC822.match(date), (feed, date)
            assert START <= parsedate_to_datetime(date) <= datetime(2026, 11, 30, tzinfo=VN_TZ)


def test_atom_entries_carry_html_content_and_offset_dates(demo_public: Path) -> None:
    feed = demo_public / "ha_noi/phuong_hoan_kiem/feeds/atom.xml"
    entries = etree.parse(str(feed)).getroot().findall(f"{ATOM}entry")
    assert len(entries) == 19
    for entry in entries:
        assert GUID.match(entry.findtext(f"{ATOM}id") or "")
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"
        for tag in ("updated", "published"):
            assert (entry.findtext(f"{ATOM}{tag}") or "").endswith("+07:00")
        link = entry.find(f"{ATOM}link")
        assert link is not None and (link.get("href") or "").startswith("https://")


def test_no_relative_links_in_descriptions(demo_public: Path) -> None:
    checked = 0
    for feed in all_feeds(demo_public):
        data = feedparser.parse(feed)
        for entry in data.entries:
            html = entry.get("content", [{}])[0].get("value") or entry.get("description", "")
            for url in _urls_in(html):
                checked += 1
                assert url.startswith("https://"), (feed.name, entry.title, url)
    assert checked > 10  # the demo has links in its posts


def _urls_in(html: str) -> list[str]:
    if not html.strip():
        return []
    urls = []
    for node in lxml.html.fragments_fromstring(html):
        if isinstance(node, str):
            continue
        for element in node.iter():
            urls.extend(element.get(attr) for attr in ("href", "src") if element.get(attr))
    return urls


def test_items_carry_section_categories_and_enclosures(demo_public: Path) -> None:
    feed = demo_public / "ha_noi/phuong_hoan_kiem/feeds/van-ban.xml"
    items = rss_items(feed)
    assert items
    for item in items:
        cats = {c.get("domain"): c.text for c in item.findall("category")}
        assert cats["urn:congxa:section"] == "Văn bản"
        enclosure = item.find("enclosure")
        assert enclosure is not None
        url = enclosure.get("url") or ""
        assert url.startswith("https://phuonghoankiem.hanoi.gov.vn/files/") and url.endswith(".pdf")
        assert enclosure.get("type") == "application/pdf"
        published = demo_public / "ha_noi/phuong_hoan_kiem" / url.split(".vn/", 1)[1]
        assert int(enclosure.get("length") or 0) == published.stat().st_size > 0


def test_atom_entries_have_one_alternate_link_and_typed_enclosures(demo_public: Path) -> None:
    feed = demo_public / "ha_noi/phuong_hoan_kiem/feeds/atom.xml"
    enclosures = 0
    for entry in feedparser.parse(feed).entries:
        rels = [link.get("rel") for link in entry.links]
        assert rels.count("alternate") == 1, entry.title
        for enclosure in entry.enclosures:
            enclosures += 1
            assert enclosure.href.startswith("https://phuonghoankiem.hanoi.gov.vn/files/")
            assert enclosure.type == "application/pdf" and int(enclosure.length) > 0
    assert enclosures == 4


def test_items_are_newest_first(demo_public: Path) -> None:
    for feed in all_feeds(demo_public):
        if feed.name in ("atom.xml", "thiet-yeu.xml"):
            continue
        dates = [parsedate_to_datetime(i.findtext("pubDate") or "") for i in rss_items(feed)]
        assert dates == sorted(dates, reverse=True), feed
    rss = demo_public / "ha_noi/xa_soc_son/feeds/rss.xml"
    atom = etree.parse(str(rss.with_name("atom.xml"))).getroot()
    assert [e.findtext(f"{ATOM}title") for e in atom.findall(f"{ATOM}entry")] == titles(rss)


# --- essential information -----------------------------------------------------------------


def test_expired_essential_item_is_in_its_section_but_not_in_thiet_yeu(demo_public: Path) -> None:
    feeds = demo_public / "ha_noi/phuong_hoan_kiem/feeds"
    expired = "/thong-bao/phong-chong-sot-xuat-huyet-mua-cao-diem/"
    section_links = [i.findtext("link") or "" for i in rss_items(feeds / "thong-bao.xml")]
    essential_links = [i.findtext("link") or "" for i in rss_items(feeds / "thiet-yeu.xml")]
    assert any(link.endswith(expired) for link in section_links)
    assert not any(link.endswith(expired) for link in essential_links)
    # Every item left is active on the build day.
    for item in rss_items(feeds / "thiet-yeu.xml"):
        marker = item.find(f"{CX}essential")
        assert marker is not None
        expires = marker.get("expires")
        assert expires is None or datetime.fromisoformat(expires) > datetime(
            TODAY.year, TODAY.month, TODAY.day, tzinfo=VN_TZ
        )


def test_active_khan_cap_item_comes_first_in_thiet_yeu(demo_public: Path) -> None:
    items = rss_items(demo_public / "ha_noi/phuong_hoan_kiem/feeds/thiet-yeu.xml")
    first = items[0]
    assert (first.findtext("link") or "").endswith(
        "/thong-bao/cong-dien-khan-ung-pho-mua-lon-ngap-ung/"
    )
    marker = first.find(f"{CX}essential")
    assert marker is not None
    assert dict(marker.attrib) == {
        "category": "thien-tai-khan-cap",
        "priority": "khan-cap",
        "expires": "2027-02-28T23:59:59+07:00",
    }
    # A generic reader shows the same as plain categories.
    cats = {c.get("domain"): c.text for c in first.findall("category")}
    assert cats == {
        "urn:congxa:section": "Thông báo",
        "urn:congxa:essential": "Thiên tai, cứu hộ, cứu nạn, cháy nổ, sự cố khẩn cấp, dịch bệnh",
        "urn:congxa:priority": "Khẩn cấp",
    }
    parsed = feedparser.parse(demo_public / "ha_noi/phuong_hoan_kiem/feeds/thiet-yeu.xml")
    assert "Khẩn cấp" in [t.term for t in parsed.entries[0].tags]


# --- province-wide posts in unit feeds -----------------------------------------------------


def test_province_wide_posts_are_in_every_unit_feed_with_the_units_url(demo_public: Path) -> None:
    shared = sorted(p.stem for p in (REPO / "content/ha_noi/_province").rglob("*.md"))
    assert len(shared) == 2
    for unit in UNITS:
        feed = demo_public / "ha_noi" / unit / "feeds" / "rss.xml"
        base = f"https://{_host(feed)}/"
        found = {}
        for item in rss_items(feed):
            marker = item.find(f"{CX}province")
            if marker is not None:
                assert dict(marker.attrib) == {"code": "01", "name": "Thành phố Hà Nội"}
                found[(item.findtext("link") or "").rstrip("/").rsplit("/", 1)[1]] = item
        assert sorted(found) == shared
        for slug, item in found.items():
            assert item.findtext("link") == f"{base}thong-bao/{slug}/"
            code = (item.findtext("guid") or "").split(":", 2)[2].split("/")[0]
            assert item.findtext("guid") == f"tag:congxa,2025:{code}/tinh/thong-bao/{slug}"


# --- relative links in posts ---------------------------------------------------------------

BODY = (
    "[tệp](../files/ke-hoach.pdf) [bài khác](../tin-tuc/bai-khac.md) "
    "[mục](#muc-2) [thư](mailto:ubnd@example.gov.vn) [ngoài](https://dichvucong.gov.vn/)\n\n"
    "![ảnh](../files/anh.png)\n"
)


def test_relative_links_in_posts_become_the_pages_absolute_urls(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    project = mini(
        posts={
            "thong-bao/ke-hoach.md": post(
                "Kế hoạch",
                extra="attachments:\n  - file: ../files/ke-hoach.pdf\n    title: Kế hoạch\n",
                body=BODY,
            ),
            "tin-tuc/bai-khac.md": post("Bài khác", day="2026-11-01"),
            "files/ke-hoach.pdf": b"%PDF-1.4 demo",
            "files/anh.png": b"\x89PNG demo",
        }
    )
    out = tmp_path / "public"
    assert not build_many(project, project.unit_files(), out, jobs=1).failed
    site = out / "ha_noi" / "phuong_hoan_kiem"
    base = "https://phuonghoankiem.example.gov.vn/"
    page_url = base + "thong-bao/ke-hoach/"
    item = feedparser.parse(site / "feeds" / "thong-bao.xml").entries[0]
    assert _urls_in(item.description) == [
        base + "files/ke-hoach.pdf",
        base + "tin-tuc/bai-khac/",
        page_url + "#muc-2",
        "mailto:ubnd@example.gov.vn",
        "https://dichvucong.gov.vn/",
        base + "files/anh.png",
    ]
    # Where MkDocs rewrote a link on the page, the feed points to the same place.
    page = lxml.html.parse(str(site / "thong-bao" / "ke-hoach" / "index.html")).getroot()
    article = page.find_class("md-content")[0]
    on_page = {a.text_content(): urljoin(page_url, a.get("href")) for a in article.iter("a")}
    assert on_page["tệp"] == base + "files/ke-hoach.pdf"
    assert on_page["bài khác"] == base + "tin-tuc/bai-khac/"


# --- GUIDs ---------------------------------------------------------------------------------


def test_guids_survive_a_title_change_and_follow_an_explicit_id(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    def guids(title: str, extra: str = "") -> list[str]:
        project = mini(posts={"thong-bao/lich-hop.md": post(title, extra=extra)})
        site = project.load_site(project.unit_files()[0])
        rss = render_feed(site, feed_specs(site)[0])
        return [g.text or "" for g in etree.fromstring(rss).iter("guid")]

    first = guids("Thông báo lịch họp")
    assert first == ["tag:congxa,2025:00070/thong-bao/lich-hop"]
    assert guids("Thông báo lịch họp (sửa lại)") == first
    assert guids("Lịch họp", extra="id: thong-bao/2026-11-hop\n") == [
        "tag:congxa,2025:00070/thong-bao/2026-11-hop"
    ]


# --- feed limit ----------------------------------------------------------------------------


def test_a_feed_holds_the_newest_50_items_by_default(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    posts = {
        f"tin-tuc/tin-{n:02d}.md": post(
            f"Tin số {n}", day=f"2026-{1 + n // 28:02d}-{1 + n % 28:02d}"
        )
        for n in range(55)
    }
    project = mini(posts=posts)
    assert project.feed_limit == 50
    site = project.load_site(project.unit_files()[0])
    wanted = ("feeds/rss.xml", "feeds/atom.xml", "feeds/thiet-yeu.xml", "feeds/tin-tuc.xml")
    for spec in [s for s in feed_specs(site) if s.path in wanted]:
        data = feedparser.parse(render_feed(site, spec))
        expected = (
            [] if spec.path == "feeds/thiet-yeu.xml" else [f"Tin số {n}" for n in range(54, 4, -1)]
        )
        assert [e.title for e in data.entries] == expected, spec.path


def test_feed_limit_is_read_from_congxa_yml(mini: Callable[..., Project], tmp_path: Path) -> None:
    (tmp_path / "congxa.yml").write_text("feed_limit: 3\n", encoding="utf-8")
    posts = {
        f"thong-bao/tb-{n}.md": post(f"Thông báo {n}", day=f"2026-11-0{n}") for n in range(1, 6)
    }
    project = mini(posts=posts)
    assert project.feed_limit == 3
    out = tmp_path / "public"
    assert not build_many(project, project.unit_files(), out, jobs=1).failed
    feeds = out / "ha_noi" / "phuong_hoan_kiem" / "feeds"
    for name in ("rss.xml", "atom.xml", "thong-bao.xml"):
        assert [e.title for e in feedparser.parse(feeds / name).entries] == [
            "Thông báo 5",
            "Thông báo 4",
            "Thông báo 3",
        ], name
    assert len(rss_items(out / "ha_noi" / "feeds" / "rss.xml")) == 3


# --- a real feed reader over HTTP ----------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(demo_public: Path) -> Iterator[str]:
    """The built demo on 127.0.0.1 (http.server follows the published symlinks)."""
    handler = functools.partial(_QuietHandler, directory=str(demo_public))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_real_feed_reader_reads_every_item(demo_public: Path, served: str) -> None:
    # The `reader` package (a feed reader library, over HTTP with requests). Its vendored
    # feedparser imports `sgmllib`, which the sgmllib3k package provides.
    from reader import make_reader

    reader = make_reader(":memory:")
    expected: dict[str, list[tuple[str, str, datetime]]] = {}
    for feed in all_feeds(demo_public):
        url = served + feed.relative_to(demo_public).as_posix()
        reader.add_feed(url)
        expected[url] = [
            (e.title, e.link, datetime(*e.published_parsed[:6], tzinfo=UTC))
            for e in feedparser.parse(feed).entries
        ]
    results = list(reader.update_feeds_iter())
    assert [r.url for r in results if r.error] == []
    # Every unit's feeds, plus the province's own feed.
    assert len(results) == len(expected) == len(UNITS) * feeds_per_unit() + 1
    total = 0
    for url, items in expected.items():
        got = [
            (e.title, e.link, e.published or e.updated)
            for e in reader.get_entries(feed=url, sort="recent")
        ]
        assert sorted(got) == sorted(items), url
        for title, link, when in got:
            assert title and link.startswith("https://") and when is not None
            total += 1
    assert total > 19 * 4  # every unit's items, and more (section and province feeds)
    reader.close()


def test_pages_link_their_feeds_for_autodiscovery(demo_public: Path) -> None:
    site = demo_public / "ha_noi" / "phuong_hoan_kiem"
    pages = [
        site / "index.html",
        site / "thong-bao" / "index.html",
        site / "thong-bao" / "cong-dien-khan-ung-pho-mua-lon-ngap-ung" / "index.html",
    ]
    for page in pages:
        head = lxml.html.parse(str(page)).getroot().head
        links = {
            (ln.get("type"), (page.parent / ln.get("href")).resolve())
            for ln in head.iter("link")
            if ln.get("rel") == "alternate"
        }
        for kind, name in (
            ("application/rss+xml", "rss.xml"),
            ("application/atom+xml", "atom.xml"),
            ("application/rss+xml", "thiet-yeu.xml"),
        ):
            assert (kind, (site / "feeds" / name).resolve()) in links, (page, name)


# --- determinism ---------------------------------------------------------------------------

OUTPUTS = ("*/feeds/*.xml", "*/site.json", "feeds/rss.xml", "units.json")


def _outputs(public: Path) -> dict[str, tuple[bytes, int]]:
    found = {}
    for pattern in OUTPUTS:
        for path in sorted((public / "ha_noi").glob(pattern)):
            found[path.relative_to(public).as_posix()] = (
                path.read_bytes(),
                path.stat().st_mtime_ns,
            )
    return found


@pytest.fixture(scope="module")
def rebuilt(
    demo_public: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Project, Path, dict[str, tuple[bytes, int]]]:
    """The demo built a second time, into its own public/ folder."""
    out = tmp_path_factory.mktemp("rebuild") / "public"
    project = Project.discover(REPO, TODAY)
    assert not build_many(project, project.unit_files(), out, jobs=2).failed
    return project, out, _outputs(out)


def test_two_builds_give_byte_identical_feeds_and_manifests(
    demo_public: Path, rebuilt: tuple[Project, Path, dict[str, tuple[bytes, int]]]
) -> None:
    first = _outputs(demo_public)
    second = rebuilt[2]
    # Per unit: its feeds, site.json, the live data and the feeds' empty sitemap; then
    # the province's feed and units.json.
    assert len(first) == len(UNITS) * (feeds_per_unit() + 2) + 2
    assert sorted(first) == sorted(second)
    assert [k for k in first if first[k][0] != second[k][0]] == []


def test_an_unchanged_rebuild_leaves_mtimes_alone(
    rebuilt: tuple[Project, Path, dict[str, tuple[bytes, int]]],
) -> None:
    project, out, before = rebuilt
    summary = build_many(project, project.unit_files(), out, jobs=2)
    assert {r.status for r in summary.results} == {"unchanged"}
    assert _outputs(out) == before


def test_a_forced_rebuild_leaves_mtimes_of_unchanged_files_alone(
    rebuilt: tuple[Project, Path, dict[str, tuple[bytes, int]]],
) -> None:
    project, out, before = rebuilt
    summary = build_many(project, project.unit_files(), out, jobs=2, force=True)
    assert {r.status for r in summary.results} == {"built"}
    after = _outputs(out)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert [k for k in before if after[k][1] != before[k][1]] == []


def test_province_outputs_are_rewritten_only_when_they_change(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    posts = {"thong-bao/a.md": post("A"), "tin-tuc/b.md": post("B", day="2026-11-10")}
    project = mini(posts=posts)
    out = tmp_path / "public"
    assert not build_many(project, project.unit_files(), out, jobs=1).failed
    province_feed = out / "ha_noi" / "feeds" / "rss.xml"
    units_json = out / "ha_noi" / "units.json"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (province_feed, units_json)}
    assert not build_many(project, project.unit_files(), out, jobs=1, force=True).failed
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before
    # A new body changes the feeds, not the counts and dates that units.json holds.
    project = mini(posts={"thong-bao/a.md": post("A", body="Nội dung mới.")})
    assert not build_many(project, project.unit_files(), out, jobs=1).failed
    assert province_feed.read_bytes() != before[province_feed][0]
    assert b"N\xe1\xbb\x99i dung m\xe1\xbb\x9bi." in province_feed.read_bytes()
    assert (units_json.read_bytes(), units_json.stat().st_mtime_ns) == before[units_json]
