"""The MkDocs plugin that turns a congxa Site into MkDocs pages.

MkDocs never reads a docs folder for a congxa site: every page and file is a generated File,
taken from generator/site/published.py (what a unit publishes), so one code path serves
`congxa build`, `congxa serve` and `--emit-mkdocs` projects.
"""

from __future__ import annotations

import functools
import gzip
import io
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from jinja2 import Environment
from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page as MkPage
from mkdocs.utils.templates import TemplateContext

from generator.errors import BuildError, ContentError, Problem
from generator.site import escaping
from generator.site.fragments import share_navigation
from generator.site.pages import Page
from generator.site.published import Published, published
from generator.site.sanitize import sanitize
from generator.site.search import fold_search_index
from generator.site.theme import complete_chrome
from generator.site.theme import theme_dir as congxa_theme_dir
from generator.site.urls import SITEMAP, SITEMAP_GZ
from generator.source.containment import real
from generator.source.model import Site
from generator.store import link_from_store
from generator.write import write_if_changed

_CHECKBOX_AUTOCOMPLETE = re.compile(r'(<input class="md-toggle" [^>]*?) autocomplete="off">')


class CongxaPluginConfig(Config):  # type: ignore[no-untyped-call]
    # Used by projects written with --emit-mkdocs: the commune file to build from.
    unit_file = config_options.Optional(config_options.File(exists=True))
    project_root = config_options.Optional(config_options.Dir(exists=True))


class CongxaPlugin(BasePlugin[CongxaPluginConfig]):  # type: ignore[no-untyped-call]
    """Adds a unit's generated pages and attachments; sanitises every page's HTML."""

    def __init__(self, site: Site | None = None) -> None:
        super().__init__()
        self.site = site
        self._published: Published | None = None
        self.pages: dict[str, Page] = {}
        self.theme_dir: Path | None = None
        self.asset_store: Path | None = None  # content-addressed store of published files
        self.theme_assets: list[tuple[str, str]] = []

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if self.site is None and self.config.unit_file:
            from generator.source.project import Project

            root = Path(self.config.project_root) if self.config.project_root else None
            self.site = Project.discover(root).load_site(Path(self.config.unit_file))
        # congxa writes the sitemap itself (_write_sitemap), from the content's dates.
        config.theme.static_templates.discard("sitemap.xml")
        if self.theme_dir is not None and str(self.theme_dir) not in config.theme.dirs:
            # A province's own overrides win over congxa's theme, which wins over Material.
            config.theme.dirs.insert(0, str(self.theme_dir))
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        site = self._site()
        outputs = self.published()
        if outputs.errors:
            raise ContentError(list(outputs.problems), unit=site.unit.code)
        # congxa writes the sitemap itself (_write_sitemap): MkDocs' template for it is
        # neither rendered (on_config) nor copied.
        kept = [
            f
            for f in files
            if not f.is_documentation_page() and f.dest_uri not in (SITEMAP, SITEMAP_GZ)
        ]
        _refuse_escaping(kept, site)
        self.theme_assets = []
        if self.asset_store is not None:
            # Theme assets are the same for every site: link them from the store after the
            # build instead of copying (and then hashing) them once per site.
            theme_dirs = {str(Path(d)) for d in config.theme.dirs}
            self.theme_assets = [
                (f.abs_src_path, f.dest_uri)
                for f in kept
                if f.src_dir and str(Path(f.src_dir)) in theme_dirs and f.abs_src_path
            ]
            linked = set(self.theme_assets)
            kept = [f for f in kept if (f.abs_src_path, f.dest_uri) not in linked]
        out = Files(kept)
        self.pages = {}
        for page in outputs.pages:
            self.pages[page.src_uri] = page
            in_nav = page.src_uri.endswith("index.md") and page.src_uri.count("/") <= 1
            out.append(
                File.generated(
                    config,
                    page.src_uri,
                    content=page.markdown,
                    inclusion=InclusionLevel.INCLUDED if in_nav else InclusionLevel.NOT_IN_NAV,
                )
            )
        for uri, path in outputs.files.items():
            out.append(File.generated(config, uri, abs_src_path=str(path)))
        return out

    def published(self) -> Published:
        """What the site publishes (computed once per build)."""
        if self._published is None:
            self._published = published(self._site())
        return self._published

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        return share_navigation(escaping.autoescaped(env))

    def on_page_context(
        self, context: TemplateContext, *, page: MkPage, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        return escaping.on_page_context(context, page=page, config=config, nav=nav)  # type: ignore[no-any-return]

    def on_page_markdown(
        self, markdown: str, *, page: MkPage, config: MkDocsConfig, files: Files
    ) -> str | None:
        # Dates in the sitemap come from the content, never from the clock.
        page.update_date = self._page_date(page.file.src_uri)
        return markdown

    def on_page_content(
        self, html: str, *, page: MkPage, config: MkDocsConfig, files: Files
    ) -> str | None:
        return sanitize(html)

    def on_post_page(self, output: str, *, page: MkPage, config: MkDocsConfig) -> str | None:
        # Material puts autocomplete="off" on its drawer and search checkboxes, which HTML
        # does not allow on checkboxes (the Nu HTML Checker reports it).
        return complete_chrome(_CHECKBOX_AUTOCOMPLETE.sub(r"\1>", output))

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.asset_store is not None:
            for source, dest_uri in self.theme_assets:
                link_from_store(Path(source), Path(config.site_dir) / dest_uri, self.asset_store)
        self._write_sitemap(Path(config.site_dir))
        fold_search_index(Path(config.site_dir))

    def _site(self) -> Site:
        if self.site is None:
            raise RuntimeError("congxa plugin has no site: set `unit_file` in mkdocs.yml")
        return self.site

    def _page_date(self, src_uri: str) -> str:
        site = self._site()
        page = self.pages.get(src_uri)
        posts = [
            p
            for p in site.posts
            if page is None or page.section is None or p.section == page.section
        ]
        if page is not None and page.url and page.url.count("/") >= 2:
            posts = [p for p in posts if f"{p.section}/{p.slug}/" == page.url] or posts
        newest = max((p.date for p in posts or site.posts), default=site.today)
        return newest.strftime("%Y-%m-%d")

    def _write_sitemap(self, site_dir: Path) -> None:
        site = self._site()
        rows = []
        for src_uri, page in sorted(self.pages.items(), key=lambda kv: kv[1].url):
            rows.append(
                f"<url><loc>{escape(site.unit.site_url + page.url)}</loc>"
                f"<lastmod>{self._page_date(src_uri)}</lastmod></url>"
            )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(rows)
            + "\n</urlset>\n"
        ).encode("utf-8")
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as gz:
            gz.write(xml)
        # Replaced, never written through: a file of the site may be a hard link into the
        # object store that other sites share (generator/store.py).
        write_if_changed(site_dir / SITEMAP, xml)
        write_if_changed(site_dir / SITEMAP_GZ, buffer.getvalue())


def _refuse_escaping(files: list[File], site: Site) -> None:
    """A theme file whose real path leaves its theme folder (a symbolic link to a secret)
    is never copied into a site. The installed themes (Material's and congxa's own) are
    part of the program, not input: only a province's theme folder is checked."""
    installed = installed_theme_dirs()
    for file in files:
        if not (file.abs_src_path and file.src_dir) or file.src_dir in installed:
            continue
        source = real(Path(file.abs_src_path))
        if not source.is_relative_to(real(Path(file.src_dir))):
            raise BuildError(
                Problem(
                    f"Tệp giao diện {file.src_uri} trỏ ra ngoài thư mục giao diện (theme "
                    f"file outside the theme folder): {source}.",
                    file=Path(file.abs_src_path),
                    hint="thay liên kết tượng trưng (symlink) bằng tệp thật trong thư mục "
                    "giao diện.",
                ),
                unit=site.unit.code,
            )


@functools.cache
def installed_theme_dirs() -> frozenset[str]:
    import material
    import mkdocs

    return frozenset(
        {
            str(Path(material.__file__).parent / "templates"),
            str(Path(mkdocs.__file__).parent / "templates"),
            str(congxa_theme_dir()),
        }
    )


def plugin_for(site: Site, theme_dir: Path | None, asset_store: Path | None = None) -> Any:
    plugin = CongxaPlugin(site)
    plugin.load_config({})
    plugin.theme_dir = theme_dir
    plugin.asset_store = asset_store
    return plugin
