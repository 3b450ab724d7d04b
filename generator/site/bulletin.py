"""Essential information everywhere: `feeds/thiet-yeu.json` and the bulletin board.

`feeds/thiet-yeu.json` (schema congxa-thiet-yeu/1, generator/data/schemas/
thiet-yeu.schema.json, docs/integrators.md) lists a unit's active essential items, most
urgent first, plus its latest notices and news. It is small, made from the content only
(never the clock: an item's state comes from `expires`, which readers compare with their
own clock), so an unchanged unit gives byte-identical JSON. The emergency banner on every
page (themes/material/partials/khan-cap.html) and the board read it.

The board `bang-tin/` is a full-screen page for a public screen (Decree 49/2024: the
commune's public electronic bulletin board). Its page is written here with the data it
starts from embedded as a JSON data block and a static list for a browser without
scripts; its script, style sheet and service worker are theme files
(themes/material/bang-tin/). Each item's QR code is an SVG made here with segno, one file
per URL, named by the URL's hash, under `bang-tin/qr/`. The province's board
(generator/publish/province.py) uses the same page over every unit's items.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import segno

from generator import __version__
from generator.site.feeds import entry_html, guid
from generator.site.pages import first_image, publishable
from generator.site.urls import post_url
from generator.source.essential import categories, priority_title
from generator.source.fields import VN_TZ
from generator.source.model import Post, Site
from generator.write import write_if_changed

SCHEMA = "congxa-thiet-yeu/1"
JSON_PATH = "feeds/thiet-yeu.json"
BOARD_DIR = "bang-tin"
QR_DIR = "qr"
LATEST_SECTIONS = ("thong-bao", "tin-tuc")
LATEST_LIMIT = 6
SUMMARY_LIMIT = 300
QR_MASK = 0
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _iso(when: datetime) -> str:
    return when.astimezone(VN_TZ).isoformat()


def qr_name(url: str) -> str:
    """The QR code's file name: the URL's hash, so a URL keeps its file across builds."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16] + ".svg"


def qr_svg(url: str) -> bytes:
    """A QR code of `url` as a small SVG (black on white, two-module quiet zone).

    The mask is fixed (every mask is valid; scoring all eight costs seven times as much,
    about 70 ms a code), and so is the error level: the same URL always gives the same
    bytes, which write_qr_codes keeps between builds.
    """
    code = segno.make(url, error="m", micro=False, mask=QR_MASK, boost_error=False)
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgclass=None,
        lineclass=None,
        omitsize=True,
        border=2,
        dark="#000",
        light="#fff",
    )
    return buffer.getvalue() + b"\n"


def board_image(site: Site, post: Post) -> dict[str, str] | None:
    """The post's first image that its site publishes (generator/site/pages.py,
    `first_image`: the home page's thumbnail), as an absolute URL with its text."""
    image = first_image(post, lambda path: publishable(site, path))
    if image is None:
        return None
    return {"url": site.unit.site_url + quote(image.path), "alt": image.alt}


def plain_summary(site: Site, post: Post) -> str:
    """The summary, or the body's first paragraph as plain text, at most SUMMARY_LIMIT
    characters (cut at a word, with "…": the QR code leads to the whole post)."""
    text = post.summary
    if not text:
        body = entry_html(site.unit.site_url, post)
        first = next((p for p in body.split("</p>") if _TAG.sub("", p).strip()), "")
        text = html.unescape(_TAG.sub(" ", first))
    text = _SPACE.sub(" ", text).strip()
    if len(text) > SUMMARY_LIMIT:
        text = text[:SUMMARY_LIMIT].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
    return text


def _common(site: Site, post: Post) -> dict[str, Any]:
    url = site.unit.site_url + post_url(post)
    return {
        "id": guid(site, post),
        "title": post.title,
        "summary": plain_summary(site, post),
        "image": board_image(site, post),
        "url": url,
        "qr": site.unit.site_url + f"{BOARD_DIR}/{QR_DIR}/{qr_name(url)}",
        "published": _iso(post.date),
    }


def latest_posts(site: Site) -> list[Post]:
    """The newest notices and news that are not already active essential items."""
    ids = [s.id for s in site.profile.post_sections()]
    wanted = [s for s in LATEST_SECTIONS if s in ids] or ids
    active = {p.id for p in site.active_essential()}
    posts = [p for p in site.newest_first() if p.section in wanted and p.id not in active]
    return posts[:LATEST_LIMIT]


def live_data(site: Site) -> dict[str, Any]:
    """The document of `feeds/thiet-yeu.json`, keys in a fixed order."""
    unit = site.unit
    items = []
    for post in site.active_essential():
        e = post.essential
        assert e is not None
        item = _common(site, post)
        items.append(
            {
                "id": item.pop("id"),
                "priority": e.priority,
                "priority_title": priority_title(e.priority),
                "category": e.category,
                "category_title": categories().get(e.category, e.category),
                **item,
                "expires": _iso(e.expires) if e.expires else None,
                "province_wide": post.province_wide,
            }
        )
    latest = []
    for post in latest_posts(site):
        section = site.profile.section(post.section)
        item = _common(site, post)
        latest.append(
            {
                "id": item.pop("id"),
                "section": post.section,
                "section_title": section.title if section else post.section,
                **item,
                "province_wide": post.province_wide,
            }
        )
    dates = [p.date for p in site.active_essential()] + [p.date for p in latest_posts(site)]
    return {
        "schema": SCHEMA,
        "generator": f"congxa {__version__}",
        "scope": "unit",
        "code": unit.code,
        "name": unit.name,
        "agency": unit.agency.name,
        "province": {"code": unit.province_code, "name": unit.province_name},
        "site_url": unit.site_url,
        "board": {"url": unit.site_url + BOARD_DIR + "/", **board_settings(site)},
        "updated": _iso(max(dates)) if dates else None,
        "items": items,
        "latest": latest,
    }


def board_settings(site: Site) -> dict[str, Any]:
    return {"seconds": site.board_seconds, "orientation": site.board_orientation}


def render_json(doc: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON with one trailing newline: screens poll it every minute."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def banner_items(site: Site) -> list[dict[str, str]]:
    """What the emergency banner shows at build time: active `khan-cap` and `uu-tien`
    items with site-relative URLs (the page template makes them relative to the page)."""
    found = []
    for post in site.active_essential():
        e = post.essential
        if e is None or e.priority not in ("khan-cap", "uu-tien"):
            continue
        found.append(
            {
                "id": guid(site, post),
                "priority": e.priority,
                "priority_title": priority_title(e.priority),
                "title": post.title,
                "url": post_url(post),
                "expires": _iso(e.expires) if e.expires else "",
            }
        )
    return found


def write_qr_codes(board_dir: Path, urls: list[str], cache: Path | None = None) -> None:
    """One SVG per URL under `board_dir/qr/`; files of URLs no longer listed are removed.

    A URL's code never changes, so `cache` (a folder of the build state) keeps every code
    made, by segno's version: a rebuild makes only the codes of new posts.
    """
    folder = board_dir / QR_DIR
    wanted = {qr_name(u): u for u in urls}
    kept = cache / f"qr-segno-{segno.__version__}-m{QR_MASK}" if cache is not None else None
    for name, url in sorted(wanted.items()):
        data = None
        if kept is not None and (kept / name).is_file():
            data = (kept / name).read_bytes()
        if data is None:
            data = qr_svg(url)
            if kept is not None:
                write_if_changed(kept / name, data)
        write_if_changed(folder / name, data)
    if folder.is_dir():
        for old in folder.glob("*.svg"):
            if old.name not in wanted:
                old.unlink()


def item_urls(doc: dict[str, Any]) -> list[str]:
    return [i["url"] for i in doc["items"]] + [i["url"] for i in doc["latest"]]


def bulletin_paths(site: Site) -> tuple[str, ...]:
    """What `write_bulletin` writes under the site, by published path."""
    qr = [f"{BOARD_DIR}/{QR_DIR}/{qr_name(url)}" for url in item_urls(live_data(site))]
    return (JSON_PATH, f"{BOARD_DIR}/index.html", *sorted(set(qr)))


def write_bulletin(site: Site, site_dir: Path, cache: Path | None = None) -> list[Path]:
    """`feeds/thiet-yeu.json`, the board page and its QR codes, under `site_dir` (QR codes
    kept in `cache` between builds when given)."""
    doc = live_data(site)
    data = render_json(doc)
    target = site_dir / JSON_PATH
    write_if_changed(target, data)
    board = site_dir / BOARD_DIR
    unit = site.unit
    page = board_page(
        title=f"Bảng tin điện tử: {unit.name}",
        name=unit.name,
        agency=unit.agency.name,
        doc=doc,
        json_href=f"../{JSON_PATH}",
        home_href="../",
    )
    write_if_changed(board / "index.html", page)
    write_qr_codes(board, item_urls(doc), cache)
    return [target, board / "index.html"]


def _static_list(doc: dict[str, Any]) -> str:
    rows = []
    for item in doc["items"] + doc["latest"]:
        label = item.get("priority_title") or item.get("section_title") or ""
        unit = item.get("unit", {}).get("name") if isinstance(item.get("unit"), dict) else None
        prefix = f"{html.escape(unit)}: " if unit else ""
        rows.append(
            f'<li><span class="cx-b-static__tag">{html.escape(label)}</span> '
            f'{prefix}<a href="{html.escape(item["url"])}">{html.escape(item["title"])}</a></li>'
        )
    if not rows:
        return '<p class="cx-b-static__empty">Hiện không có thông tin mới.</p>'
    return '<ul class="cx-b-static__list">\n' + "\n".join(rows) + "\n</ul>"


def board_page(
    *, title: str, name: str, agency: str, doc: dict[str, Any], json_href: str, home_href: str
) -> bytes:
    """The board's HTML: masthead, a static list for browsers without scripts, and the
    data it starts from. Every text is escaped; the script builds slides with textContent.
    """
    settings = doc["board"]
    # A JSON data block is not run (the Content-Security-Policy needs no hash for it);
    # "<" is escaped so no text can close the element.
    embedded = render_json(doc).decode("utf-8").strip().replace("<", "\\u003c")
    page = f"""<!doctype html>
<html lang="vi" class="cx-b-root">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="congxa {__version__}">
<meta name="robots" content="noindex">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="bang-tin.css">
<link rel="alternate" type="application/json" title="thiet-yeu.json" href="{html.escape(json_href)}">
<script src="bang-tin.js" defer></script>
</head>
<body class="cx-b" data-src="{html.escape(json_href)}" data-giay="{int(settings["seconds"])}" data-huong="{html.escape(str(settings["orientation"]))}">
<header class="cx-b-head">
<div class="cx-b-head__who">
<h1 class="cx-b-head__name">{html.escape(name)}</h1>
<p class="cx-b-head__agency">{html.escape(agency)}</p>
</div>
<p class="cx-b-head__clock" id="cx-b-clock"></p>
</header>
<main class="cx-b-main" id="cx-b-main">
<div class="cx-b-static">
<h2 class="cx-b-static__title">Thông tin thiết yếu và tin mới</h2>
{_static_list(doc)}
<p><a href="{html.escape(home_href)}">Trang thông tin điện tử</a></p>
</div>
</main>
<footer class="cx-b-foot">
<p class="cx-b-foot__note" id="cx-b-note" role="status"></p>
<p class="cx-b-foot__count" id="cx-b-count"></p>
</footer>
<script type="application/json" id="cx-b-data">{embedded}</script>
</body>
</html>
"""
    return page.encode("utf-8")
