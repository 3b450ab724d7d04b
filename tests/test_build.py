"""A real MkDocs + Material build of the demo province: structure, links, footer, privacy."""

from __future__ import annotations

import gc
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from generator.publish.bulk import build_many
from generator.source.profile import load_profile
from generator.source.project import Project
from tests.conftest import REPO, TODAY

UNITS = ["phuong_ba_dinh", "phuong_cua_nam", "phuong_hoan_kiem", "xa_soc_son"]


class Links(HTMLParser):
    """Collects every URL a page references, with the tag and attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.refs.append((tag, name, value))


def refs(page: Path) -> list[tuple[str, str, str]]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.refs


def test_every_unit_has_every_profile_section_in_order(demo_public: Path) -> None:
    profile = load_profile()
    for unit in UNITS:
        site = demo_public / "ha_noi" / unit
        home = (site / "index.html").read_text(encoding="utf-8")
        positions = []
        for section in profile.sections:
            assert (site / section.id / "index.html").is_file(), (unit, section.id)
            positions.append(home.index(f'href="{section.id}/"'))
        assert positions == sorted(positions), unit  # same order in every site's menu


def test_home_shows_active_essential_first(demo_public: Path) -> None:
    home = (demo_public / "ha_noi/phuong_hoan_kiem/index.html").read_text(encoding="utf-8")
    article = home[home.index("<article") :]
    essential = article.index("Thông tin thiết yếu")
    assert essential < article.index('id="tin-tuc"')
    first_item = article[essential:].split("<li>")[1]
    assert "cong-dien-khan-ung-pho-mua-lon-ngap-ung" in first_item and "Khẩn cấp" in first_item
    # The expired item is not among the active ones on the home page.
    block = article[essential : article.index("</section>")]
    assert "phong-chong-sot-xuat-huyet-mua-cao-diem" not in block


def test_internal_links_resolve(demo_public: Path) -> None:
    for unit in UNITS:
        site = (demo_public / "ha_noi" / unit).resolve()
        for page in site.rglob("*.html"):
            base = "https://x.invalid/" + page.relative_to(site).as_posix()
            for tag, _attr, url in refs(page):
                if url.startswith(("mailto:", "tel:", "#", "data:")) or "//" in url:
                    continue
                path = urlsplit(urljoin(base, url)).path.lstrip("/")
                target = site / path
                if url.endswith("/") or target.is_dir():
                    target = target / "index.html"
                assert target.exists(), f"{page.relative_to(site)} links {url} ({tag})"


def test_no_third_party_resources(demo_public: Path) -> None:
    import yaml

    own_hosts = {
        urlsplit(yaml.safe_load(f.read_text(encoding="utf-8"))["site_url"]).netloc
        for f in (REPO / "communes/ha_noi").glob("*.yml")
    }
    pages = list(demo_public.rglob("*.html"))
    assert len(pages) > 130  # 4 sites: homes, sections, 76 posts, 404s; and the province page
    for page in pages:
        for tag, _attr, url in refs(page):
            if tag in ("script", "img", "iframe", "source", "link", "video", "audio"):
                # Only the sites' own hosts (the canonical link); nothing from anyone else.
                assert urlsplit(url).netloc in own_hosts | {""}, (page, tag, url)
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text


def test_footer_has_legal_fields(demo_public: Path) -> None:
    import yaml

    data = yaml.safe_load((REPO / "communes/ha_noi/xa_soc_son.yml").read_text(encoding="utf-8"))
    agency = data["agency"]
    for page in ["index.html", "van-ban/index.html", "en/index.html"]:
        html = (demo_public / "ha_noi/xa_soc_son" / page).read_text(encoding="utf-8")
        footer = html[html.index("cx-footer") :]
        for value in (
            agency["name"],
            agency["address"],
            agency["phone"],
            agency["email"],
            agency["responsible"]["name"],
            agency["responsible"]["title"],
        ):
            assert value in footer, (page, value)
        head = html[: html.index("<main")]  # masthead: the unit's agency and its province
        assert "cx-masthead" in head and agency["name"] in head and "Thành phố Hà Nội" in head


def test_vietnamese_ui_and_generator(demo_public: Path) -> None:
    html = (demo_public / "ha_noi/phuong_cua_nam/index.html").read_text(encoding="utf-8")
    assert '<html lang="vi"' in html
    assert '<meta name="generator" content="congxa' in html
    assert 'rel="alternate" type="application/rss+xml"' in html


def test_documents_table(demo_public: Path) -> None:
    html = (demo_public / "ha_noi/phuong_hoan_kiem/van-ban/index.html").read_text(encoding="utf-8")
    table = html[html.index('<table class="cx-table cx-documents"') : html.index("</table>")]
    assert "215/QĐ-UBND" in table and "96/KH-UBND" in table
    assert table.index("215/QĐ-UBND") < table.index("96/KH-UBND")  # newest first
    for href in re.findall(r'href="([^"]+\.pdf)"', table):
        assert (demo_public / "ha_noi/phuong_hoan_kiem/van-ban" / href).resolve().is_file()


def test_empty_section_says_so(mini, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = mini()
    out = tmp_path / "public"
    assert not build_many(project, project.unit_files(), out, jobs=1).failed
    html = (out / "ha_noi/phuong_hoan_kiem/du-an-dau-tu/index.html").read_text(encoding="utf-8")
    assert "Chuyên mục này chưa có bài viết." in html


def test_pagination_past_twenty_items(mini, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    posts = {
        f"tin-tuc/tin-{i:02d}.md": f"---\ntitle: Tin số {i}\ndate: 2026-10-{i:02d}\n---\nx\n"
        for i in range(1, 26)
    }
    project = mini(posts=posts)
    out = tmp_path / "public"
    assert not build_many(project, project.unit_files(), out, jobs=1).failed
    first = (out / "ha_noi/phuong_hoan_kiem/tin-tuc/index.html").read_text(encoding="utf-8")
    second = (out / "ha_noi/phuong_hoan_kiem/tin-tuc/trang-2/index.html").read_text(
        encoding="utf-8"
    )
    assert "Tin số 25" in first and "Tin số 6<" in first and "Tin số 5<" not in first
    assert "Tin số 5<" in second and "Tin số 1<" in second
    assert first.index("Tin số 25") < first.index("Tin số 24")


def test_raw_html_is_sanitised(mini, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    body = (
        '<p onclick="steal()">Xin chào</p>\n\n<script>alert(1)</script>\n\n'
        '[bấm](javascript:alert(2)) <img src="x.png" onerror="boom()" alt="ảnh">\n\n'
        '<iframe src="https://evil.example/"></iframe>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n'
    )
    project = mini(posts={"thong-bao/a.md": f"---\ntitle: A\ndate: 2026-11-01\n---\n{body}"})
    out = tmp_path / "public"
    assert not build_many(project, project.unit_files(), out, jobs=1).failed
    html = (out / "ha_noi/phuong_hoan_kiem/thong-bao/a/index.html").read_text(encoding="utf-8")
    article = html[html.index("<article") : html.index("</article>")]
    for bad in ("onclick", "alert(1)", "javascript:", "onerror", "<iframe", "evil.example"):
        assert bad not in article
    assert "Xin chào" in article and "<table>" in article and 'alt="ảnh"' in article


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    project = Project.discover(REPO, TODAY)
    files = [f for f in project.unit_files() if f.stem == "phuong_cua_nam"]
    for name in ("a", "b"):
        assert not build_many(project, files, tmp_path / name, jobs=1).failed
    first = tree((tmp_path / "a/ha_noi/phuong_cua_nam").resolve())
    second = tree((tmp_path / "b/ha_noi/phuong_cua_nam").resolve())
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    assert tree(tmp_path / "a/ha_noi").keys() == tree(tmp_path / "b/ha_noi").keys()


@pytest.mark.parametrize("page", ["gioi-thieu/index.html", "lien-he/index.html"])
def test_intro_and_contacts_from_yaml(demo_public: Path, page: str) -> None:
    html = (demo_public / "ha_noi/phuong_hoan_kiem" / page).read_text(encoding="utf-8")
    assert "cx-people" in html  # leaders' table from the commune file


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_rendering_shortcuts_change_no_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One Markdown converter reset between pages (site/markdown_reuse.py) and one
    navigation sidebar for the pages that show the same one (site/fragments.py): every
    page is what MkDocs and Material make on their own, byte for byte."""
    from generator.site import config as site_config
    from generator.site import jinja_cache, markdown_reuse
    from generator.site import plugin as site_plugin

    project = Project.discover(REPO, TODAY)
    files = project.unit_files()
    assert not build_many(project, files, tmp_path / "fast", jobs=1).failed
    monkeypatch.setattr(site_plugin, "share_navigation", lambda env: env)
    monkeypatch.setattr(site_config, "reuse_markdown_converters", lambda: None)
    markdown_reuse.reuse_markdown_converters(enabled=False)
    # An environment this process made for an earlier test has its sidebar shared already:
    # the workers would inherit it.
    jinja_cache.forget_theme_listing()
    try:
        assert not build_many(project, files, tmp_path / "plain", jobs=1).failed
    finally:
        markdown_reuse.reuse_markdown_converters()
    for unit in files:
        fast = _tree((tmp_path / "fast/ha_noi" / unit.stem).resolve())
        plain = _tree((tmp_path / "plain/ha_noi" / unit.stem).resolve())
        assert fast.keys() == plain.keys()
        differing = [name for name in fast if fast[name] != plain[name]]
        assert not differing, differing[:5]
        pages = [n for n in fast if n.endswith("index.html")]
        # The demo's units have posts in sections, so some sidebars were reused.
        assert len(pages) > 20


def test_a_province_navigation_override_is_rendered_on_each_page(mini, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The sidebar is shared between pages (site/fragments.py) only while it is made of
    the installed themes' templates: a province's own nav.html may print the page."""
    import material

    from generator.publish.build import render
    from generator.site import fragments, jinja_cache
    from tests.conftest import post

    posts = {f"thong-bao/bai-{n}.md": post(title=f"Bài {n}") for n in range(3)}
    project = mini(posts=posts)
    unit_file = project.unit_files()[0]
    site = project.load_site(unit_file)
    assert render(site, tmp_path / "shared", project) > 3
    shared = [
        env for env in jinja_cache._ENVIRONMENTS.values() if env.globals.get("congxa_nav_key")
    ]
    assert shared and all(env.globals["congxa_nav_key"] is fragments.nav_key for env in shared)

    nav = Path(material.__file__).parent / "templates/partials/nav.html"
    overrides = project.root / "themes/overrides/partials"
    overrides.mkdir(parents=True)
    marker = '<ul class="md-nav__list"'
    (overrides / "nav.html").write_text(
        nav.read_text(encoding="utf-8").replace(
            marker, '<p data-here="{{ page.url }}"></p>' + marker, 1
        ),
        encoding="utf-8",
    )
    project = Project.discover(project.root, TODAY)
    site = project.load_site(unit_file)
    out = tmp_path / "own"
    render(site, out, project)
    pages = sorted(out.rglob("index.html"))
    assert len(pages) > 3
    for page in pages:
        url = page.parent.relative_to(out).as_posix() + "/"
        here = re.findall(r'data-here="([^"]*)"', page.read_text(encoding="utf-8"))
        assert here == ["" if url == "./" else url], page


class _Stopped(Exception):
    pass


def test_a_conversion_stopped_half_way_leaves_no_trace_on_the_next_page() -> None:
    """A unit's time limit raises inside Markdown (publish/pool.py), and the worker goes on
    to its next unit with the same converter (site/markdown_reuse.py): that page is what a
    fresh converter makes, not one rendered "inside a list" of the stopped page."""
    import signal
    import time

    import markdown
    from mkdocs.structure import pages

    from generator.site.markdown_reuse import reuse_markdown_converters

    reuse_markdown_converters()
    options: dict[str, object] = {"extensions": ["def_list", "footnotes", "toc", "md_in_html"]}
    # Long definitions: the block parser marks its state "inside a list" while it parses
    # each one; the conversion is stopped ever later until it stops there.
    heavy = ("Thuật ngữ\n:   " + "định nghĩa\n    " * 50 + "\n\n") * 300
    page = "Một đoạn.\n\n- a\n- b\n\nThuật ngữ\n:   Định nghĩa.\n"

    def stop(signum: int, frame: object) -> None:
        raise _Stopped

    start = time.monotonic()
    pages.markdown.Markdown(**options).convert(heavy)
    took = time.monotonic() - start
    previous = signal.signal(signal.SIGALRM, stop)
    # No garbage collection while the timer runs: the signal would otherwise sometimes
    # land in a collection callback, where Python ignores the exception (and warns).
    gc.disable()
    try:
        for delay in (took * n / 40 for n in range(1, 40)):
            md = pages.markdown.Markdown(**options)
            signal.setitimer(signal.ITIMER_REAL, delay)
            try:
                md.convert(heavy)
            except _Stopped:
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if md.parser.state[-1:] == ["list"]:  # stopped inside a definition
                break
        else:
            pytest.fail("no conversion was stopped inside a definition")
    finally:
        gc.enable()
        signal.signal(signal.SIGALRM, previous)
    fresh = markdown.Markdown(**options).convert(page)  # type: ignore[arg-type]
    assert pages.markdown.Markdown(**options).convert(page) == fresh
    assert fresh.startswith("<p>Một đoạn.</p>")
