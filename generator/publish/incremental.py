"""Rebuilding one unit's site again and again in one process, rendering only what changed.

The live preview (generator/clerk/preview.py) rebuilds a site each time the clerk saves.
`IncrementalRenderer.render` runs the steps of MkDocs' own build (`build()` in
mkdocs/commands/build.py) with the same configuration, plugins and theme as `render()` in
generator/publish/build.py, so its output is byte for byte what `congxa build` writes;
what it saves is the work for pages whose inputs did not change since its last build: such
a page gets its previous HTML and search entries back instead of being converted from
Markdown and rendered through the theme again.

A page's inputs, all compared before its previous output is reused:
- its generated Markdown (front matter included), its path and its date (`update_date`,
  which the theme prints);
- the *site key*, shared by every page: the MkDocs configuration (unit, agency, profile
  sections, theme options), the theme files, and the navigation's pages with their front
  matter (every page prints the navigation);
- the answers MkDocs gave while resolving the page's relative links (which file a link
  names, and its URL): recorded as the page renders, checked against the new files.

A change of the site key (the unit file, the profile, the project settings, a theme file)
renders every page again: the full build. Static files, the search index, the sitemap,
the feeds and site.json are written whole every time; they are cheap.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from generator.publish.build import _mkdocs_errors_to
from generator.site.theme import theme_dir
from generator.source.model import Site
from generator.source.project import Project

if TYPE_CHECKING:
    from mkdocs.structure.files import File, Files

# Theme templates that print the configuration and the navigation only (no page, no list
# of pages): their output is kept while the site key holds.
_SITE_WIDE_TEMPLATES = frozenset({"404.html"})
# Settings that name this build's folders, not what the pages say; plugins are compared
# by name and options (their objects are new in every build).
_PER_BUILD_SETTINGS = frozenset({"site_dir", "docs_dir", "config_file_path", "plugins"})
# Written in place (not by renaming a new file over the old) after the static files:
# never a link into the last build. Feeds and site.json are written by renaming.
_WRITTEN_IN_PLACE = frozenset({"search/search_index.json", "sitemap.xml", "sitemap.xml.gz"})
_FRONT_MATTER = re.compile(r"^-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.DOTALL)


@dataclass
class _PageOutput:
    """What rendering one page produced, and what it depended on."""

    key: str
    lookups: dict[str, str | None]  # link target (source path) -> its URL, None: not found
    markdown: str
    meta: dict[str, Any]
    title_from_render: str | None
    html: bytes | None = None  # None: MkDocs wrote nothing (empty output)
    search: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RenderStats:
    """How the last build went: pages rendered through the theme, pages reused."""

    rendered: int = 0
    reused: int = 0
    full: bool = True  # the site key changed (or first build): every page rendered


class IncrementalRenderer:
    """Build one unit's site repeatedly; every build is complete, only the work is saved.

    Not thread-safe: one builder thread calls `render`.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self._pages: dict[str, _PageOutput] = {}
        self._templates: dict[str, bytes] = {}
        self._site_key = ""
        self._theme_key = ""
        self._static: dict[
            str, tuple[str, int, int, int]
        ] = {}  # dest -> source, size, mtime, ctime
        self._last_dir: Path | None = None  # the last build's folder
        self.stats = RenderStats()

    def forget(self) -> None:
        """Drop every kept output: the next build renders all pages."""
        self._pages = {}
        self._templates = {}
        self._site_key = ""

    def render(self, site: Site, site_dir: Path) -> int:
        """Render the site's HTML into the empty folder `site_dir`; the number of pages.

        Raises BuildError like `render()` of generator/publish/build.py; a failed build
        leaves what was kept from the last good one untouched.
        """
        from mkdocs.commands.build import _build_page, _build_theme_template, _populate_page
        from mkdocs.structure.files import InclusionLevel, get_files, set_exclusions
        from mkdocs.structure.nav import get_navigation
        from mkdocs.structure.pages import Page as MkPage

        from generator.site.config import mkdocs_config, quiet_mkdocs
        from generator.site.jinja_cache import forget_theme_listing
        from generator.site.plugin import CongxaPlugin

        quiet_mkdocs()
        theme_key = self._theme_digest()
        if theme_key != self._theme_key:
            forget_theme_listing()  # a theme file added or removed must be seen
        docs_dir = site_dir.parent / (site_dir.name + ".docs")
        docs_dir.mkdir(parents=True, exist_ok=True)
        config = mkdocs_config(site, site_dir, docs_dir, self.project.theme_dir)
        inclusion = InclusionLevel.is_included
        pages: dict[str, _PageOutput] = {}
        templates: dict[str, bytes] = {}
        stats = RenderStats()
        try:
            with _mkdocs_errors_to(site):
                try:
                    config = config.plugins.on_config(config)
                    config.plugins.on_pre_build(config=config)
                    files = get_files(config)
                    env = config.theme.get_env()
                    files.add_files_from_theme(env, config)
                    files = config.plugins.on_files(files, config=config)
                    set_exclusions(files, config)
                    nav = get_navigation(files, config)
                    nav = config.plugins.on_nav(nav, config=config, files=files)
                    plugin = config.plugins["congxa"]
                    assert isinstance(plugin, CongxaPlugin)
                    search = _search_index(config)
                    site_key = _site_key(config, nav, theme_key)
                    stats.full = site_key != self._site_key

                    # Read every page, as MkDocs does before it renders any: the navigation
                    # every page prints shows the others' front matter.
                    doc_files = files.documentation_pages(inclusion=inclusion)
                    kept: dict[str, _PageOutput] = {}
                    for file in doc_files:
                        if file.page is None:
                            MkPage(None, file, config)
                        page = file.page
                        assert page is not None
                        key = _page_key(site_key, file, plugin._page_date(file.src_uri))
                        old = self._pages.get(file.src_uri)
                        if old is not None and old.key == key and _same_links(old, files):
                            page.markdown, page.meta = old.markdown, copy.deepcopy(old.meta)
                            page._title_from_render = old.title_from_render
                            kept[file.src_uri] = old
                            continue
                        recorder, lookups = _recording(files)
                        _populate_page(page, config, recorder)
                        assert page.markdown is not None
                        pages[file.src_uri] = _PageOutput(
                            key,
                            lookups,
                            page.markdown,
                            copy.deepcopy(dict(page.meta)),
                            page._title_from_render,
                        )

                    env = config.plugins.on_env(env, config=config, files=files)
                    written_later = {f.dest_uri for f in doc_files}
                    written_later |= set(config.theme.static_templates) | _WRITTEN_IN_PLACE
                    static = self._copy_static(files, inclusion, written_later)
                    for name in config.theme.static_templates:
                        target = Path(config.site_dir) / name
                        if not stats.full and name in self._templates:
                            _write(target, self._templates[name])
                        else:
                            _build_theme_template(name, env, files, config, nav)
                        if name in _SITE_WIDE_TEMPLATES and target.is_file():
                            templates[name] = target.read_bytes()

                    for file in doc_files:
                        page = file.page
                        assert page is not None
                        out = kept.get(file.src_uri)
                        if out is not None:
                            if search is not None:
                                search.entries.extend(copy.deepcopy(out.search))
                            if out.html is not None:
                                self._reuse(file.dest_uri, Path(file.abs_dest_path), out.html)
                            pages[file.src_uri] = out
                            stats.reused += 1
                            continue
                        before = len(search.entries) if search is not None else 0
                        # Never write through a link into the last build.
                        Path(file.abs_dest_path).unlink(missing_ok=True)
                        excluded: bool = file.inclusion.is_excluded()  # type: ignore[no-untyped-call]
                        _build_page(page, config, doc_files, nav, env, excluded=excluded)
                        out = pages[file.src_uri]
                        dest = Path(file.abs_dest_path)
                        out.html = dest.read_bytes() if dest.is_file() else None
                        if search is not None:
                            out.search = copy.deepcopy(search.entries[before:])
                        stats.rendered += 1

                    config.plugins.on_post_build(config=config)
                except Exception as exc:
                    config.plugins.on_build_error(error=exc)
                    raise
        finally:
            try:
                docs_dir.rmdir()
            except OSError:
                pass
        self._pages, self._templates = pages, templates
        self._static, self._last_dir = static, site_dir
        self._site_key, self._theme_key = site_key, theme_key
        self.stats = stats
        return len(plugin.pages)

    def _copy_static(
        self, files: Files, inclusion: Any, written_later: set[str]
    ) -> dict[str, tuple[str, int, int, int]]:
        """MkDocs' `Files.copy_static_files`, linking a file from the last build when its
        source is unchanged and nothing later in this build writes over it."""
        copied: dict[str, tuple[str, int, int, int]] = {}
        for file in files:
            if file.is_documentation_page() or not inclusion(file.inclusion):
                continue
            dest = Path(file.abs_dest_path)
            dest.unlink(missing_ok=True)  # a second file of the same address replaces the first
            source = file.abs_src_path
            if source is None:
                file.copy_file()
                continue
            try:
                found = os.stat(source)
            except OSError:
                file.copy_file()  # MkDocs reports it
                continue
            # ctime too: an edit that keeps size and mtime (`touch -d` back) still changes it.
            mark = (source, found.st_size, found.st_mtime_ns, found.st_ctime_ns)
            if (
                self._last_dir is not None
                and file.dest_uri not in written_later
                and self._static.get(file.dest_uri) == mark
                and _link(self._last_dir / file.dest_uri, dest)
            ):
                copied[file.dest_uri] = mark
                continue
            file.copy_file()
            copied[file.dest_uri] = mark
        return copied

    def _reuse(self, dest_uri: str, dest: Path, html: bytes) -> None:
        """A kept page: linked from the last build, or written again."""
        dest.unlink(missing_ok=True)
        if self._last_dir is None or not _link(self._last_dir / dest_uri, dest):
            _write(dest, html)

    def _theme_digest(self) -> str:
        """Every file of congxa's theme and of the province's overrides, by content."""
        digest = hashlib.sha256()
        for root in (theme_dir(), self.project.theme_dir):
            if root is None or not root.is_dir():
                continue
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                digest.update(str(path).encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()


def _search_index(config: Any) -> Any:
    """The search plugin's index (entries in page order), or None without one."""
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        if index is not None and isinstance(getattr(index, "entries", None), list):
            return index
    return None


def _site_key(config: Any, nav: Any, theme_key: str) -> str:
    """What every page's HTML depends on besides its own source (see the module notes)."""
    settings = {k: v for k, v in config.items() if k not in _PER_BUILD_SETTINGS}
    digest = hashlib.sha256(theme_key.encode())
    digest.update(json.dumps(settings, sort_keys=True, default=repr).encode())
    for plugin_name, plugin in config.plugins.items():
        options = json.dumps(dict(plugin.config), sort_keys=True, default=repr)
        digest.update(plugin_name.encode() + b"\0" + options.encode())
    for page in nav.pages:
        found = _FRONT_MATTER.match(page.file.content_string)
        digest.update(
            json.dumps(
                [page.file.src_uri, page.url, page.title, found.group(0) if found else ""]
            ).encode()
        )
    for item in nav.items:
        digest.update(repr(item).encode())
    return digest.hexdigest()


def _page_key(site_key: str, file: File, update_date: str) -> str:
    digest = hashlib.sha256(site_key.encode())
    digest.update(
        json.dumps([file.src_uri, file.inclusion.name, update_date, file.content_string]).encode()
    )
    return digest.hexdigest()


def _same_links(old: _PageOutput, files: Files) -> bool:
    """Do the page's relative links still resolve as they did?"""
    for path, url in old.lookups.items():
        found = files.get_file_from_path(path)
        if (None if found is None else found.url) != url:
            return False
    return True


def _link(source: Path, dest: Path) -> bool:
    """Hard-link `dest` to `source` (a file of the last build, never written again)."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, dest)
    except OSError:
        return False
    return True


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@functools.cache
def _recording_files_class() -> type[Files]:
    from mkdocs.structure.files import Files

    class RecordingFiles(Files):
        """The site's files, noting each lookup a page's link resolution makes."""

        lookups: dict[str, str | None]

        def get_file_from_path(self, path: str) -> File | None:
            found = super().get_file_from_path(path)
            self.lookups[PurePath(path).as_posix()] = None if found is None else found.url
            return found

    return RecordingFiles


def _recording(files: Files) -> tuple[Files, dict[str, str | None]]:
    """A copy of `files` that notes the lookups, and the notes."""
    recorder = _recording_files_class()(files)
    lookups: dict[str, str | None] = {}
    recorder.lookups = lookups  # type: ignore[attr-defined]
    return recorder, lookups
