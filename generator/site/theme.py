"""Where congxa's Material overrides live (shipped in the package as `generator.themes`)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path


@lru_cache(maxsize=1)
def theme_dir() -> Path:
    """congxa's Material overrides (`themes/material` in the repository)."""
    return Path(str(resources.files("generator.themes"))) / "material"


# Material's chrome, completed for accessibility checkers (HTML_CodeSniffer, WCAG 2 AA;
# Lighthouse's `aria-dialog-name`): the search dialog gets a name, the search form gets a
# submit button (Enter already searches; the button is `hidden`, so it is neither seen nor
# a Tab stop), and the table-of-contents toggle, which has no label on a page without
# headings, gets a name.
_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
_SEARCH_FORM = '<form class="md-search__form" name="search">'
_TOC_TOGGLE = '<input class="md-nav__toggle md-toggle" type="checkbox" id="__toc">'


def complete_chrome(html: str) -> str:
    """A rendered page with Material's search dialog, form and toggles named (see above)."""
    return (
        html.replace(_SEARCH_DIALOG, _SEARCH_DIALOG[:-1] + ' aria-label="Tìm kiếm">', 1)
        .replace(
            _SEARCH_FORM, _SEARCH_FORM + '\n      <button type="submit" hidden>Tìm kiếm</button>', 1
        )
        .replace(_TOC_TOGGLE, _TOC_TOGGLE[:-1] + ' title="Mục lục">', 1)
    )
