"""What a citizen sees on the built demo: tables that read on a phone, Vietnamese everywhere.

The layouts themselves (a stacked row at 360 px, no overflow) are measured in Chromium by
tests/browser/test_browser.py; these tests check the markup they rest on, on every page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from generator.site.pages import DOCUMENT_COLUMNS, ESSENTIAL_COLUMNS, PEOPLE_COLUMNS

UNIT = Path("ha_noi") / "phuong_hoan_kiem"


class Tables(HTMLParser):
    """Every `<table>` of a page: its class, header texts and each row's (data-label, text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, object]] = []
        self._cell: list[str] | None = None
        self._label: str | None = None
        self._in_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"class": a.get("class") or "", "headers": [], "rows": []})
        elif not self.tables:
            return
        elif tag == "tr":
            rows = self.tables[-1]["rows"]
            assert isinstance(rows, list)
            rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
            self._label = a.get("data-label")
            self._in_th = tag == "th"

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("td", "th") or self._cell is None:
            return
        content = " ".join("".join(self._cell).split())
        table = self.tables[-1]
        if self._in_th:
            headers = table["headers"]
            assert isinstance(headers, list)
            headers.append(content)
        else:
            rows = table["rows"]
            assert isinstance(rows, list)
            rows[-1].append((self._label, content))
        self._cell = None


def tables_of(page: Path) -> list[dict[str, object]]:
    parser = Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.tables


def test_every_data_table_cell_carries_its_column_name(demo_public: Path) -> None:
    seen: dict[str, int] = {}
    for page in sorted((demo_public / "ha_noi").glob("*/**/index.html")):
        for table in tables_of(page):
            classes = str(table["class"]).split()
            if "cx-table" not in classes:
                continue
            headers = table["headers"]
            assert isinstance(headers, list)
            rows = [r for r in table["rows"] if r]  # type: ignore[attr-defined]
            for row in rows:
                labels = [label for label, _ in row]
                assert labels == headers, (page, row)
            for kind in classes:
                seen[kind] = seen.get(kind, 0) + len(rows)
    # Each kind of table appears on the demo with rows, under the columns pages.py declares.
    assert seen.get("cx-documents", 0) >= 2
    assert seen.get("cx-people", 0) >= 2
    assert seen.get("cx-essential-table", 0) >= 1


def test_tables_have_the_declared_columns(demo_public: Path) -> None:
    site = demo_public / UNIT
    expected = {
        site / "van-ban" / "index.html": DOCUMENT_COLUMNS,
        site / "lien-he" / "index.html": PEOPLE_COLUMNS,
        site / "thong-tin-thiet-yeu" / "index.html": ESSENTIAL_COLUMNS,
    }
    for page, columns in expected.items():
        tables = [t for t in tables_of(page) if "cx-table" in str(t["class"])]
        assert tables, page
        assert all(t["headers"] == columns for t in tables), page


# English UI strings that have reached citizen pages before, or could: Material's English
# strings (read from its partials/languages/en.html, below) and congxa's own.
KNOWN_ENGLISH = [
    "404 - Not found",
    "Not found",
    "no page yet",
    "Initializing search",
    "Made with",
    "Skip to content",
    "Back to top",
    "Table of contents",
    "Type to start searching",
    "No matching documents",
    "RSS feed",
    "Metadata",
    "Contributors",
    "Last update",
]
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "content", "value")


def material_english() -> list[str]:
    """Material's English UI strings, except configuration values and one-word labels."""
    import material

    source = Path(material.__file__).parent / "templates" / "partials" / "languages" / "en.html"
    pairs = re.findall(
        r'^\s*"([^"]+)": "((?:[^"\\]|\\.)*)"', source.read_text("utf-8"), re.MULTILINE
    )
    return [
        value
        for key, value in pairs
        if not key.startswith(("search.config", "language", "direction")) and " " in value
    ]


class LangText(HTMLParser):
    """The text and shown attributes of a page, each with the language it is marked as."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.parts: list[tuple[str, str]] = []  # (lang, text)
        self.root_lang = ""

    def lang(self) -> str:
        return self.stack[-1][1] if self.stack else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        lang = a.get("lang") or self.lang()
        if tag == "html":
            self.root_lang = lang
        for name in _SHOWN_ATTRIBUTES:
            if a.get(name):
                self.parts.append((lang, str(a[name])))
        if tag not in _VOID:
            self.stack.append((tag, lang))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.parts.append((self.lang(), data))


def test_no_english_ui_strings_outside_english_parts(demo_public: Path) -> None:
    strings = sorted(set(KNOWN_ENGLISH + material_english()))
    pattern = re.compile("|".join(rf"\b{re.escape(s)}\b" for s in strings), re.IGNORECASE)
    pages = sorted((demo_public / "ha_noi").glob("**/*.html"))
    assert len(pages) > 40
    found = []
    english_parts = 0
    for page in pages:
        parser = LangText()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.root_lang == "vi", page
        for lang, data in parser.parts:
            if lang == "en":
                english_parts += 1
                assert page.parent.name == "en", f"English part outside en/: {page}: {data!r}"
                continue
            assert lang == "vi", (page, lang, data[:80])
            for match in pattern.finditer(data):
                found.append(f"{page.relative_to(demo_public)}: {match.group(0)!r}")
    assert found == []
    assert english_parts > 0  # the en/ pages' English is marked, so it was seen and skipped


def test_search_snippets_keep_dates_apart_from_text(demo_public: Path) -> None:
    """A date in the search index is followed by a space or punctuation, never by the next
    word ("02/11/202627 thủ tục" when a list item's summary followed its date)."""
    import json

    glued = re.compile(r"\b\d{2}/\d{2}/\d{4}(?=\w)")
    indexes = sorted((demo_public / "ha_noi").glob("*/search/search_index.json"))
    assert indexes
    found = []
    dates = 0
    for index in indexes:
        for doc in json.loads(index.read_text(encoding="utf-8"))["docs"]:
            dates += len(re.findall(r"\d{2}/\d{2}/\d{4}", doc["text"]))
            found += [f"{doc['location']}: {m.group(0)}" for m in glued.finditer(doc["text"])]
    assert dates > 20
    assert found == []


def test_no_page_asks_for_a_missing_sitemap(demo_public: Path) -> None:
    """Material fetches sitemap.xml beside each <link rel="alternate"> of a page: each of
    those must exist, so no page view ends in a 404."""
    site = demo_public / UNIT
    link = re.compile(r'<link rel="alternate"[^>]*href="([^"]+)"')
    pages = sorted(site.glob("**/index.html"))
    checked = 0
    for page in pages:
        for href in link.findall(page.read_text(encoding="utf-8")):
            sitemap = (page.parent / href).parent / "sitemap.xml"
            assert sitemap.is_file(), (page, href)
            checked += 1
    assert checked >= 3 * len(pages)


def _demo_site():  # type: ignore[no-untyped-def]
    from generator.source.project import Project
    from tests.conftest import REPO, TODAY

    project = Project.discover(REPO, TODAY)
    return project.load_site(REPO / "communes" / "ha_noi" / "phuong_hoan_kiem.yml")


def test_home_page_reads_like_a_portal(demo_public: Path) -> None:
    """Urgent notices first, then news of the main sections, the newest documents, quick
    links and contacts; the feed list lives on its own page."""
    from generator.site.pages import HOME_DOCUMENTS

    site = _demo_site()
    home = (demo_public / UNIT / "index.html").read_text(encoding="utf-8")
    content = home[home.index('<article class="md-content__inner') :]
    content = content[: content.index("</article>")]

    def at(marker: str) -> int:
        assert marker in content, marker
        return content.index(marker)

    essential = site.active_essential()
    assert essential
    news = [s for s in site.profile.sections if s.kind == "posts" and site.in_section(s)]
    order = [at('id="thiet-yeu"'), at(f'id="{news[0].id}"'), at('id="van-ban"')]
    order += [at('id="lien-ket"'), at('id="lien-he-nhanh"')]
    assert order == sorted(order)
    # The newest post of the first main section is there, with its date.
    newest = site.in_section(news[0])[0]
    assert f'datetime="{newest.date.isoformat()}"' in content
    # Five newest documents at most, newest first, each with its number.
    docs = [p for p in site.in_section("van-ban")][:HOME_DOCUMENTS]
    numbers = [p.document.number for p in docs if p.document and p.document.number]
    assert numbers and [content.index(n) for n in numbers] == sorted(
        content.index(n) for n in numbers
    )
    for link in site.unit.links:
        assert f'href="{link.url}"' in content
    assert site.unit.agency.address in content
    # No list of 15 feed links on the home page; one "Nhận tin (RSS)" page has them all.
    assert "feeds/" not in content
    feeds_page = (demo_public / UNIT / "nhan-tin" / "index.html").read_text(encoding="utf-8")
    for section in site.profile.post_sections():
        assert f'href="../feeds/{section.id}.xml"' in feeds_page


def test_every_page_links_to_the_feeds_page_from_its_footer(demo_public: Path) -> None:
    # Every page of the site but the bulletin board, a full-screen page for a TV.
    pages = sorted(
        p for p in (demo_public / UNIT).glob("**/index.html") if "bang-tin" not in p.parts
    )
    for page in pages:
        html = page.read_text(encoding="utf-8")
        footer = html[html.index('<footer class="md-footer">') :]
        link = re.search(r'<a href="([^"]*)">Nhận tin \(RSS\)</a>', footer)
        assert link, page
        assert (page.parent / link[1]).resolve() == (demo_public / UNIT / "nhan-tin").resolve()


def test_the_unit_logo_heads_every_page(demo_public: Path) -> None:
    site = _demo_site()
    assert site.unit.logo is not None
    logo = demo_public / UNIT / "assets" / "images" / f"logo{site.unit.logo.suffix}"
    assert logo.is_file()
    html = (demo_public / UNIT / "van-ban" / "index.html").read_text(encoding="utf-8")
    assert f'class="cx-masthead__logo" src="../assets/images/logo{site.unit.logo.suffix}"' in html


def test_home_shows_the_first_published_image_of_a_post(mini, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import material

    from generator.publish.bulk import build_many
    from tests.conftest import post

    # A real PNG file: Material's favicon.
    image = Path(material.__file__).parent / "templates" / "assets" / "images" / "favicon.png"
    project = mini(
        posts={
            "tin-tuc/co-anh.md": post(
                "Tin có ảnh",
                "2026-11-20",
                body="Chữ.\n\n![Ảnh lễ khai mạc](../files/khai-mac.png)\n\n![x](../files/khong-co.png)",
            ),
            "tin-tuc/anh-ngoai.md": post(
                "Tin ảnh ngoài", "2026-11-19", body="![x](https://example.com/a.png)"
            ),
            "files/khai-mac.png": image.read_bytes(),
        }
    )
    out = tmp_path / "public"
    assert not build_many(project, project.unit_files(), out, jobs=1).failed
    site = out / "ha_noi" / "phuong_hoan_kiem"
    home = (site / "index.html").read_text(encoding="utf-8")
    thumbs = re.findall(r'<img class="cx-thumb" src="([^"]+)"', home)
    assert thumbs == ["files/khai-mac.png"]  # the published one; none for a remote image
    assert (site / thumbs[0]).is_file()


def test_not_found_page_is_vietnamese_with_a_way_home(demo_public: Path) -> None:
    site = _demo_site()
    html = (demo_public / UNIT / "404.html").read_text(encoding="utf-8")
    assert f"<title>Không tìm thấy trang (404) - {site.unit.name}</title>" in html
    assert f'<a href="{site.unit.site_url}">Về trang chủ</a>' in html
