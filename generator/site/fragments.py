"""Material's navigation sidebar rendered once for all the pages that show the same one.

Material renders the whole navigation (partials/nav.html) on every page, and it is a third
of the time a page takes. A page that is not itself in the navigation (a post, the feeds
page) shows no active item and no table of contents there, so its sidebar is fixed by the
links it prints, each relative to the page: every post of a section shows the same one. A
unit's build renders it once per distinct set of links and reuses the text for the other
pages; a page that is in the navigation is always rendered in full. The key is made of
the very links MkDocs' `url` filter would print (mkdocs/utils/templates.py), so a reused
sidebar is the sidebar the page would have rendered, byte for byte.

Only `congxa build` and `congxa serve` do this (the plugin's `on_env`); a project written
with `--emit-mkdocs` renders Material's template as it is. Nor is it done when a province's
theme folder overrides a template the sidebar is made of (partials/nav.html, nav-item.html,
logo.html...): such a template may print anything of the page, so each page renders its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import jinja2
import jinja2.meta
from markupsafe import Markup
from mkdocs.utils import normalize_url

NAV = "partials/nav.html"
_THEME = "congxa-theme"  # the theme's own templates, reachable under this prefix

_WRAPPER = (
    "{%- set congxa_key = congxa_nav_key(nav, page, base_url, config) -%}"
    "{%- if congxa_key is none -%}"
    f'{{% include "{_THEME}/{NAV}" %}}'
    "{%- else -%}"
    "{%- call congxa_once(congxa_key) -%}"
    f'{{% include "{_THEME}/{NAV}" %}}'
    "{%- endcall -%}"
    "{%- endif -%}"
)


def share_navigation(env: jinja2.Environment) -> jinja2.Environment:
    """Give `env` the shared navigation sidebar, with nothing rendered yet: called at the
    start of each unit's build (an environment serves many units: site/jinja_cache.py)."""
    if env.globals.get("congxa_nav_key") is _IN_FULL:
        return env
    if env.globals.get("congxa_nav_key") is not nav_key:
        theme = env.loader
        assert theme is not None
        if _overridden_navigation(env, theme):
            env.globals["congxa_nav_key"] = _IN_FULL
            return env
        # Marked first: a unit stopped between the two lines (its time limit) must not
        # have the next unit wrap the loader twice (the sidebar would include itself).
        env.globals["congxa_nav_key"] = nav_key
        env.loader = jinja2.ChoiceLoader(
            [jinja2.DictLoader({NAV: _WRAPPER}), jinja2.PrefixLoader({_THEME: theme}), theme]
        )
    rendered: dict[tuple[Any, ...], Markup] = {}

    def once(key: tuple[Any, ...], caller: Callable[[], Markup]) -> Markup:
        if key not in rendered:
            rendered[key] = caller()
        return rendered[key]

    env.globals["congxa_once"] = once
    return env


def nav_key(nav: Any, page: Any, base_url: str, config: Any) -> tuple[Any, ...] | None:
    """What the sidebar of `page` depends on, or None when it must be rendered in full."""
    pages = list(nav.pages)
    if page is not None and page in pages:
        return None  # its own item is active and holds its table of contents
    if any(getattr(item, "active", False) for item in nav.items):
        return None
    homepage = nav.homepage.url if nav.homepage is not None else ""
    targets = [config.extra.get("homepage") or homepage, *(p.url for p in pages)]
    targets.append(config.theme.get("logo") or "")
    return (
        NAV,
        base_url,
        tuple(normalize_url(str(t), page=page, base=base_url) for t in targets),
    )


def _in_full(*_args: Any) -> None:
    return None


_IN_FULL = _in_full  # the marker of an environment whose sidebar is never shared


def _overridden_navigation(env: jinja2.Environment, theme: jinja2.BaseLoader) -> bool:
    """Whether a template the sidebar is made of comes from a theme folder other than the
    installed ones (a province's overrides): its templates are followed from NAV by their
    `include` and `import` names; one chosen at render time (an icon) counts as overridden
    when such a folder has any icon."""
    from generator.site.plugin import installed_theme_dirs

    own = [
        os.path.abspath(d)
        for d in getattr(theme, "searchpath", ())
        if str(d) not in installed_theme_dirs()
    ]
    if not own:
        return False
    seen: set[str] = set()
    todo = [NAV]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            source, filename, _uptodate = theme.get_source(env, name)
        except jinja2.TemplateNotFound:
            continue
        if filename and any(os.path.abspath(filename).startswith(d + os.sep) for d in own):
            return True
        try:
            parsed = env.parse(source, name, filename)
        except jinja2.TemplateSyntaxError:
            return True  # reported with its file and line where the page renders it
        for found in jinja2.meta.find_referenced_templates(parsed):
            if found is None:  # a name made at render time
                if any(os.path.isdir(os.path.join(d, ".icons")) for d in own):
                    return True
            else:
                todo.append(found)
    return False
