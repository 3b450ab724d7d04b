"""Province outputs: the province page, its aggregate feed, units.json, and the province's
essential information (`thiet-yeu.json`) with its bulletin board screen (`bang-tin/`).

They are made from what is published (each unit's site.json and RSS feed), so a unit that
failed today still shows with its last good site.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from feedgen.feed import FeedGenerator
from lxml import etree

from generator import __version__
from generator.publish.layout import OutputLayout
from generator.site.bulletin import (
    BOARD_DIR,
    QR_DIR,
    SCHEMA,
    board_page,
    item_urls,
    qr_name,
    render_json,
    write_qr_codes,
)
from generator.site.feeds import NS, SCHEME_UNIT, TAG, NamespaceExtension
from generator.site.theme import theme_dir
from generator.source.essential import priority_rank
from generator.source.fields import VN_TZ
from generator.source.project import Project, province_url_setting  # noqa: F401 (re-exported)
from generator.source.registry import RegistryProvince
from generator.write import write_if_changed

# The province's board lists every active essential item, and this many latest notices.
PROVINCE_LATEST_LIMIT = 10
BOARD_FILES = ("bang-tin.js", "bang-tin.css", "sw.js")

# The province feed is a window on recent news of every unit, not an archive: consumers
# that need every item of a unit poll that unit's own feeds (listed in units.json).
PROVINCE_FEED_LIMIT = 200


def write_province_outputs(project: Project, out: Path, province_folders: list[str]) -> None:
    for folder in province_folders:
        province = project.registry.province(folder)
        if province is None:
            continue
        manifests = _published_manifests(out / folder)
        url = province_url(project, folder, manifests)
        write_if_changed(out / folder / "units.json", units_json(project, province, manifests, url))
        write_if_changed(out / folder / "index.html", province_page(project, province, manifests))
        if url is not None:
            write_if_changed(
                out / folder / "feeds" / "rss.xml",
                province_feed(out / folder, province, manifests, url),
            )
        write_province_board(project, out / folder, province, manifests, url)


def province_url(
    project: Project, folder: str, manifests: dict[str, tuple[str, dict[str, Any]]]
) -> str | None:
    """The absolute URL of `public/<folder>/` on the web, for the province feed's links.

    `province_url` in congxa.yml (a URL; `{province}` in it becomes the folder name) says
    where the province page is served. Without it, congxa assumes `public/` is served at
    the host of the unit with the lowest code: `https://<that host>/<folder>/`. None when
    no unit is published (there is nothing to aggregate).
    """
    template = project.province_url
    if template is not None:
        return template.replace("{province}", folder)
    if not manifests:
        return None
    host = urlsplit(manifests[min(manifests)][1]["site_url"]).netloc
    return f"https://{host}/{folder}/"


def _published_manifests(province_out: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """code → (folder name, manifest) of every published unit of the province."""
    found = {}
    for manifest in sorted(province_out.glob("*/site.json")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found[data["code"]] = (manifest.parent.name, data)
    return found


def units_json(
    project: Project,
    province: RegistryProvince,
    manifests: dict[str, tuple[str, dict[str, Any]]],
    url: str | None,
) -> bytes:
    """Every registry unit of the province, with its published manifest's summary."""
    units = []
    for unit in project.registry.units_of(province.code):
        entry: dict[str, Any] = {
            "code": unit.code,
            "name": unit.name,
            "type": unit.type,
            "has_page": unit.code in manifests,
        }
        if unit.code in manifests:
            folder, data = manifests[unit.code]
            entry.update(
                {
                    "path": folder + "/",
                    "site_url": data["site_url"],
                    "updated": data["updated"],
                    "posts": data.get("posts", 0),
                    "essential": len(data["essential"]),
                    "empty_sections": data["conformance"]["empty"],
                    "feeds": data["feeds"],
                }
            )
        units.append(entry)
    updated = [u["updated"] for u in units if u.get("updated")]
    doc = {
        "schema": "congxa-province/1",
        "generator": f"congxa {__version__}",
        "province": {"code": province.code, "name": province.name},
        "url": url,
        "feed": f"{url}feeds/rss.xml" if url else None,
        "updated": max(updated, key=datetime.fromisoformat) if updated else None,
        "units": units,
        "with_page": len(manifests),
        "total": len(units),
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


_PROVINCE_PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="congxa {{ version }}">
<title>{{ title }}</title>
<link rel="icon" href="data:,">{# no icon of its own: no request for /favicon.ico #}
<link rel="alternate" type="application/rss+xml" title="{{ province }}: tin mới" href="feeds/rss.xml">
<style>
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;color:#1a1a1a;line-height:1.5}
header{background:#7a1515;color:#fff;padding:.8rem 1rem} header h1{margin:0;font-size:1.3rem}
main{max-width:60rem;margin:0 auto;padding:1rem} a{color:#0d47a1}
table{border-collapse:collapse;width:100%;font-size:.95rem} th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd}
.wrap{overflow-x:auto} footer{padding:1rem;color:#444;font-size:.85rem;text-align:center}
</style>
</head>
<body>
<header><h1>{{ title }}</h1></header>
<main>
<p>{{ with_page }} trên {{ rows | length }} đơn vị có trang thông tin điện tử.
<a href="feeds/rss.xml">Tin mới của mọi đơn vị (RSS)</a> · <a href="units.json">Dữ liệu (units.json)</a></p>
<div class="wrap"><table>
<caption>Danh sách đơn vị hành chính cấp xã</caption>
<thead><tr><th scope="col">Đơn vị</th><th scope="col">Loại</th><th scope="col">Cập nhật</th><th scope="col">Tình trạng</th></tr></thead>
<tbody>
{% for row in rows -%}
<tr><td>{% if row.href %}<a href="{{ row.href }}">{{ row.name }}</a>{% else %}{{ row.name }}{% endif %}</td><td>{{ row.type }}</td><td>{{ row.updated }}</td><td>{{ row.state }}</td></tr>
{% endfor -%}
</tbody></table></div>
</main>
<footer>{{ province }} · congxa {{ version }}</footer>
</body>
</html>
"""


@functools.cache
def _province_template() -> jinja2.Template:
    # Autoescaping: names come from the registry and folder names from the file system.
    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True)
    return env.from_string(_PROVINCE_PAGE)


def province_page(
    project: Project, province: RegistryProvince, manifests: dict[str, tuple[str, dict[str, Any]]]
) -> bytes:
    rows = []
    for unit in project.registry.units_of(province.code):
        row = {"name": unit.name, "type": unit.type, "href": "", "updated": ""}
        if unit.code in manifests:
            folder, data = manifests[unit.code]
            if data.get("updated"):
                row["updated"] = datetime.fromisoformat(data["updated"]).strftime("%d/%m/%Y")
            # "./" keeps a folder named like a URL scheme ("javascript:...") relative.
            row["href"] = "./" + quote(folder) + "/"
            row["state"] = f"{data.get('posts', 0)} bài"
        else:
            row["state"] = "chưa có trang"
        rows.append(row)
    html = _province_template().render(
        version=__version__,
        title=f"Trang thông tin điện tử cấp xã: {province.name}",
        province=province.name,
        rows=rows,
        with_page=len(manifests),
    )
    return html.encode("utf-8")


def province_feed(
    province_out: Path,
    province: RegistryProvince,
    manifests: dict[str, tuple[str, dict[str, Any]]],
    url: str,
) -> bytes:
    """Every unit's items, newest first, each naming its unit; province-wide posts once.

    Items are taken from the units' published `feeds/rss.xml` as they are, then named: the
    title gets the unit's name in front, a category (scheme urn:congxa:unit) and an RSS
    `<source>` name the unit, and `<congxa:unit code name/>` says it to machines. A
    province-wide post is kept once, from the unit with the lowest code, under a GUID of
    the province (`tag:congxa,2025:<province code>/tinh/<post id>`) and the province's name.
    """
    items: list[tuple[datetime, str, etree._Element]] = []
    seen_shared: set[str] = set()
    for code, (folder, data) in sorted(manifests.items()):
        feed = province_out / folder / "feeds" / "rss.xml"
        try:
            channel = etree.parse(str(feed)).getroot().find("channel")
        except (OSError, etree.XMLSyntaxError):
            continue
        if channel is None:
            continue
        source = (data["feeds"].get("rss", ""), channel.findtext("title") or data["name"])
        for item in channel.iter("item"):
            guid = item.find("guid")
            if guid is None or not guid.text:
                continue
            if item.find(f"{{{NS}}}province") is not None:
                key = guid.text.split("/tinh/", 1)[-1]
                if key in seen_shared:
                    continue
                seen_shared.add(key)
                guid.text = f"{TAG}{province.code}/tinh/{key}"
                _name_item(item, province.name, source)
            else:
                _name_item(item, data["name"], source)
                unit = etree.SubElement(item, f"{{{NS}}}unit")
                unit.set("code", code)
                unit.set("name", data["name"])
            items.append((_rfc822(item.findtext("pubDate") or ""), guid.text, item))
    items.sort(key=lambda t: (-t[0].timestamp(), t[1]))
    items = items[:PROVINCE_FEED_LIMIT]
    fg = FeedGenerator()
    fg.register_extension("congxa", NamespaceExtension, None)
    self_url = url + "feeds/rss.xml"
    fg.id(self_url)
    fg.title(f"{province.name}: tin mới của các xã, phường")
    # feedgen uses the last link as the RSS <link>: the province page, after `self`.
    fg.link(href=self_url, rel="self")
    fg.link(href=url, rel="alternate")
    fg.description(f"Tin mới từ trang thông tin điện tử các đơn vị cấp xã của {province.name}")
    fg.language("vi")
    fg.generator("congxa", __version__)
    fg.lastBuildDate(items[0][0] if items else datetime(2025, 7, 1, tzinfo=VN_TZ))
    root = etree.fromstring(fg.rss_str())
    channel_out = root.find("channel")
    assert channel_out is not None
    for _, _, item in items:
        channel_out.append(item)
    etree.cleanup_namespaces(root, top_nsmap={"congxa": NS})
    for node in root.iter():
        node.tail = None
        if len(node):
            node.text = None
    etree.indent(root)
    rss: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return rss


def _name_item(item: etree._Element, label: str, source: tuple[str, str]) -> None:
    title = item.find("title")
    if title is not None:
        title.text = f"{label}: {title.text or ''}"
    category = etree.SubElement(item, "category", domain=SCHEME_UNIT)
    category.text = label
    if source[0]:
        element = etree.SubElement(item, "source", url=source[0])
        element.text = source[1]


def _rfc822(text: str) -> datetime:
    try:
        return parsedate_to_datetime(text).astimezone(VN_TZ)
    except (TypeError, ValueError):
        return datetime(1970, 1, 1, tzinfo=VN_TZ)


def province_live_data(
    project: Project,
    province_out: Path,
    province: RegistryProvince,
    manifests: dict[str, tuple[str, dict[str, Any]]],
    url: str | None,
) -> dict[str, Any]:
    """The province's `thiet-yeu.json`: every published unit's active essential items
    (most urgent first, then newest) and latest notices, each naming its unit; a
    province-wide post once (from the unit with the lowest code). Made from the units'
    published `feeds/thiet-yeu.json`, so a unit that failed today keeps its last items."""
    base = url or ""
    items: list[dict[str, Any]] = []
    latest: list[dict[str, Any]] = []
    shared: set[tuple[str, str]] = set()
    for code, (folder, manifest) in sorted(manifests.items()):
        try:
            doc = json.loads((province_out / folder / "feeds" / "thiet-yeu.json").read_bytes())
            assert isinstance(doc, dict) and doc.get("schema") == SCHEMA
        except (OSError, ValueError, AssertionError):
            continue
        unit = {
            "code": code,
            "name": manifest["name"],
            "site_url": manifest["site_url"],
            "path": folder + "/",
        }
        for key, found in (("items", items), ("latest", latest)):
            for entry in doc.get(key, []):
                if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                    continue
                if entry.get("province_wide"):
                    tail = entry["id"].split("/tinh/", 1)[-1]
                    if (key, tail) in shared:
                        continue
                    shared.add((key, tail))
                    entry["id"] = f"{TAG}{province.code}/tinh/{tail}"
                entry["unit"] = unit
                entry["qr"] = f"{base}{BOARD_DIR}/{QR_DIR}/{qr_name(str(entry.get('url', '')))}"
                found.append(entry)
    items.sort(
        key=lambda i: (
            priority_rank(str(i.get("priority"))),
            -datetime.fromisoformat(i["published"]).timestamp(),
            i["unit"]["code"],
            i["id"],
        )
    )
    latest.sort(
        key=lambda i: (-datetime.fromisoformat(i["published"]).timestamp(), i["unit"]["code"])
    )
    latest = latest[:PROVINCE_LATEST_LIMIT]
    dates = [datetime.fromisoformat(i["published"]) for i in items + latest]
    return {
        "schema": SCHEMA,
        "generator": f"congxa {__version__}",
        "scope": "province",
        "code": province.code,
        "name": province.name,
        "province": {"code": province.code, "name": province.name},
        "url": url,
        "board": {
            "url": f"{base}{BOARD_DIR}/" if url else None,
            "seconds": project.board_seconds,
            "orientation": project.board_orientation,
        },
        "updated": max(dates).isoformat() if dates else None,
        "items": items,
        "latest": latest,
    }


def write_province_board(
    project: Project,
    province_out: Path,
    province: RegistryProvince,
    manifests: dict[str, tuple[str, dict[str, Any]]],
    url: str | None,
) -> None:
    """`<tỉnh>/thiet-yeu.json` and the province screen `<tỉnh>/bang-tin/`."""
    doc = province_live_data(project, province_out, province, manifests, url)
    write_if_changed(province_out / "thiet-yeu.json", render_json(doc))
    board = province_out / BOARD_DIR
    page = board_page(
        title=f"Bảng tin điện tử: {province.name}",
        name=province.name,
        agency="Thông tin thiết yếu của các xã, phường, đặc khu",
        doc=doc,
        json_href="../thiet-yeu.json",
        home_href="../",
    )
    write_if_changed(board / "index.html", page)
    for name in BOARD_FILES:
        write_if_changed(board / name, (theme_dir() / BOARD_DIR / name).read_bytes())
    write_qr_codes(board, item_urls(doc), OutputLayout.at(province_out.parent).cache)
