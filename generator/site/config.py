"""Site assembly: the MkDocs configuration of one unit, built in memory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig

from generator import __version__
from generator.errors import BuildError, Problem
from generator.site.bulletin import banner_items
from generator.site.jinja_cache import keep_installed_themes, share_jinja_work
from generator.site.markdown_reuse import reuse_markdown_converters
from generator.site.plugin import plugin_for
from generator.site.theme import theme_dir
from generator.site.urls import feeds, logo_path, section_url
from generator.source.model import Site


def feed_links(site: Site) -> list[dict[str, str]]:
    """The feeds announced in every page's <head> (site-wide ones, not per section)."""
    kinds = {"RSS": "application/rss+xml", "Atom": "application/atom+xml"}
    return [
        {
            "href": feed.path,
            "type": kinds[feed.format],
            "title": f"{site.unit.name}: {feed.label} ({feed.format})",
        }
        for feed in feeds(site.profile)
        if feed.section is None
    ]


def config_dict(site: Site, site_dir: Path, docs_dir: Path) -> dict[str, Any]:
    """The MkDocs configuration as plain data (also what --emit-mkdocs writes out)."""
    unit = site.unit
    agency = unit.agency
    nav = [{"Trang chủ": "index.md"}]
    nav += [{s.title: section_url(s.id) + "index.md"} for s in site.profile.sections]
    theme: dict[str, Any] = {
        "name": "material",
        "custom_dir": str(theme_dir()),
        "language": "vi",
        # System fonts only: Material's default pulls Google Fonts from a third-party host.
        "font": False,
        "features": ["navigation.top", "search.highlight", "content.tooltips"],
        "palette": {"scheme": "default", "primary": "custom", "accent": "custom"},
        "icon": {"logo": "material/home-city-outline"},
    }
    logo = logo_path(unit)
    if logo is not None:
        theme["logo"] = logo
    return {
        "site_name": unit.name,
        "site_url": unit.site_url,
        "site_description": f"Trang thông tin điện tử {agency.name}, {unit.province_name}",
        "site_author": agency.name,
        "copyright": agency.name,
        "docs_dir": str(docs_dir),
        "site_dir": str(site_dir),
        "use_directory_urls": True,
        "theme": theme,
        "nav": nav,
        "plugins": [{"search": {"lang": "vi"}}],
        "markdown_extensions": [
            "tables",
            "attr_list",
            "md_in_html",
            "admonition",
            "def_list",
            "footnotes",
            {"toc": {"permalink": False}},
        ],
        "extra_css": ["assets/stylesheets/congxa.css"],
        "extra": {
            "generator": False,
            "congxa": {
                "version": __version__,
                "unit": unit.name,
                "unit_type": unit.type,
                "code": unit.code,
                "province": unit.province_name,
                "agency": agency.name,
                "address": agency.address,
                "phone": agency.phone,
                "fax": agency.fax or "",
                "email": agency.email,
                "responsible": f"{agency.responsible.name}, {agency.responsible.title}",
                "primary": unit.primary_color or "",
                "feeds": feed_links(site),
                # The emergency banner's build-time state (themes/material/partials/
                # khan-cap.html); the browser keeps it current from feeds/thiet-yeu.json.
                "alerts": banner_items(site),
            },
        },
        "validation": {
            "omitted_files": "ignore",
            "absolute_links": "ignore",
            "unrecognized_links": "ignore",
            "anchors": "ignore",
            "nav": {"omitted_files": "ignore", "not_found": "warn"},
        },
    }


def mkdocs_config(
    site: Site,
    site_dir: Path,
    docs_dir: Path,
    province_theme: Path | None = None,
    asset_store: Path | None = None,
) -> MkDocsConfig:
    """A validated MkDocsConfig with the congxa plugin bound to `site`."""
    keep_installed_themes()
    config = MkDocsConfig(config_file_path=str(docs_dir.parent / "mkdocs.yml"))
    config.load_dict(config_dict(site, site_dir, docs_dir))
    errors, _warnings = config.validate()
    if errors:
        raise BuildError(
            Problem(
                "Cấu hình MkDocs không hợp lệ (invalid MkDocs configuration): "
                + "; ".join(f"{key}: {err}" for key, err in errors),
                file=site.unit.source,
                hint="báo lỗi này cho nhóm phát triển congxa.",
            )
        )
    config.plugins["congxa"] = plugin_for(site, province_theme, asset_store)
    share_jinja_work(config.theme)
    reuse_markdown_converters()
    return config


def quiet_mkdocs() -> None:
    """MkDocs logs per-page chatter at INFO; congxa reports its own summary."""
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
