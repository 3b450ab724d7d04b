"""site.json: the machine-readable description of a unit's site (schema congxa-site/1).

Its JSON Schema ships in the package (generator/data/schemas/site.schema.json) and
docs/integrators.md explains every field. `updated` is the newest post's date, never the
build time, so an unchanged site gives byte-identical JSON.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from generator import __version__
from generator.site.feeds import feed_specs, guid
from generator.site.urls import MANIFEST, post_url, section_url
from generator.source.essential import categories, priority_title
from generator.source.fields import VN_TZ
from generator.source.model import Site
from generator.source.profile import SectionKind
from generator.write import write_if_changed

SCHEMA = "congxa-site/1"


def _iso(when: datetime) -> str:
    return when.astimezone(VN_TZ).isoformat()


def manifest(site: Site) -> dict[str, Any]:
    """The manifest as a JSON-ready dict, keys in a fixed order."""
    unit = site.unit
    base = unit.site_url
    sections = []
    missing: list[str] = []
    empty: list[str] = []
    feeds = {
        spec.path.removeprefix("feeds/").removesuffix(".xml"): base + spec.path
        for spec in feed_specs(site)
    }
    for section in site.profile.sections:
        posts = site.in_section(section) if section.takes_posts else []
        if section.kind == SectionKind.ESSENTIAL:
            posts = site.active_essential()
        if (
            section.kind in (SectionKind.POSTS, SectionKind.DOCUMENTS)
            and not posts
            and section.required
        ):
            empty.append(section.id)
        feed = feeds.get("thiet-yeu" if section.kind == SectionKind.ESSENTIAL else section.id)
        sections.append(
            {
                "id": section.id,
                "title": section.title,
                "title_en": section.title_en,
                "url": base + section_url(section.id),
                "items": len(posts),
                "newest": _iso(max(p.date for p in posts)) if posts else None,
                "feed": feed,
            }
        )
    newest = max((p.date for p in site.posts), default=None)
    return {
        "schema": SCHEMA,
        "generator": f"congxa {__version__}",
        "code": unit.code,
        "name": unit.name,
        "type": unit.type,
        "province": {"code": unit.province_code, "name": unit.province_name},
        "site_url": base,
        "agency": {
            "name": unit.agency.name,
            "address": unit.agency.address,
            "phone": unit.agency.phone,
            "email": unit.agency.email,
            "responsible": {
                "name": unit.agency.responsible.name,
                "title": unit.agency.responsible.title,
            },
        },
        "updated": _iso(newest) if newest else None,
        "posts": len(site.posts),
        "sections": sections,
        "feeds": feeds,
        "essential": [
            {
                "id": guid(site, p),
                "title": p.title,
                "url": base + post_url(p),
                "date": _iso(p.date),
                "category": p.essential.category,
                "category_title": categories().get(p.essential.category, ""),
                "priority": p.essential.priority,
                "priority_title": priority_title(p.essential.priority),
                "expires": _iso(p.essential.expires) if p.essential.expires else None,
            }
            for p in site.active_essential()
            if p.essential
        ],
        "conformance": {"profile": site.profile.id, "missing": missing, "empty": empty},
    }


def render_manifest(site: Site) -> bytes:
    """site.json's bytes: UTF-8, two-space indent, one trailing newline."""
    text = json.dumps(manifest(site), ensure_ascii=False, indent=2, sort_keys=False)
    return (text + "\n").encode("utf-8")


def write_manifest(site: Site, site_dir: Path) -> Path:
    """Write `site_dir/site.json` unless it already holds exactly these bytes."""
    target = site_dir / MANIFEST
    write_if_changed(target, render_manifest(site))
    return target
