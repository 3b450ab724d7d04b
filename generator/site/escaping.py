"""Escaping by construction for every template MkDocs renders (a MkDocs hook module).

MkDocs gives its themes a Jinja environment without autoescaping, and Material prints
titles, descriptions and `extra` values as they are: a post title with `</title><script>`
or an agency name with `<meta http-equiv="refresh">` would become markup. This hook turns
autoescaping on, so every value a template prints is text unless it says otherwise, and
marks as HTML only what is HTML by construction: a page's content (sanitised by
generator/site/sanitize.py before this point) and its table of contents (rebuilt here from
text).

congxa's plugin (generator/site/plugin.py) loads it for `congxa build` and `congxa serve`;
`--emit-mkdocs` projects list this file under `hooks:` so a plain `mkdocs build` escapes
the same way. It imports only MkDocs, Jinja and MarkupSafe for that reason.
"""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup, escape


def autoescaped(env: jinja2.Environment) -> jinja2.Environment:
    """Turn on autoescaping for every template of `env` (HTML, XML and the rest)."""
    env.autoescape = True
    return env


def safe_toc(items: Any) -> None:
    """Table-of-contents titles are HTML fragments from Markdown: keep their text only."""
    for item in items or ():
        item.title = escape(Markup(str(item.title)).striptags())
        safe_toc(getattr(item, "children", ()))


def on_env(env: jinja2.Environment, *, config: Any, files: Any) -> jinja2.Environment:
    return autoescaped(env)


def on_page_context(context: Any, *, page: Any, config: Any, nav: Any) -> Any:
    # Runs after the search plugin indexed the page's text; from here on the content is
    # only printed by the theme.
    if page.content is not None and not isinstance(page.content, Markup):
        page.content = Markup(page.content)
    safe_toc(page.toc)
    return context
