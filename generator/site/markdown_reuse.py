"""One Markdown converter per thread for all the pages MkDocs renders, reset between pages.

MkDocs builds a new `markdown.Markdown` for every page (mkdocs/structure/pages.py,
`Page.render`), and setting up the converter with congxa's extensions costs about as much
as converting a post. Python-Markdown's own way to convert many documents is one converter
and `reset()` between them: every extension clears its state there (the table of
contents, footnotes, the HTML stash), and the processors MkDocs adds for each page
(relative links, anchors, the title) replace the previous page's by name. The pages are
the same, byte for byte (tests/test_build.py compares them with MkDocs' own way).

`reset()` does not undo a conversion stopped half-way (a unit's time limit raises inside
it, generator/publish/pool.py): the block parser's state stack would keep, say, "inside a
list", and every paragraph of the worker's next pages would lose its <p>. A converter is
reused only after a conversion that finished; otherwise a new one is made.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

import markdown


class _Converter(markdown.Markdown):  # type: ignore[misc]
    """A converter that knows whether its last conversion finished."""

    finished = True

    def convert(self, source: str) -> str:
        self.finished = False
        html: str = super().convert(source)
        self.finished = True
        return html


class _ReusingMarkdown:
    """Stands for the `markdown` module inside mkdocs.structure.pages."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._local = threading.local()

    def Markdown(self, **options: Any) -> markdown.Markdown:
        key = repr(sorted(options.items()))
        cache: dict[str, _Converter] = self._local.__dict__.setdefault("cache", {})
        md = cache.get(key)
        if md is None or not md.finished:
            if len(cache) >= 8:  # a long-lived preview never keeps many
                cache.clear()
            md = cache[key] = _Converter(**options)
        else:
            md.reset()
        return md

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def reuse_markdown_converters(enabled: bool = True) -> None:
    """Make MkDocs reuse converters (or, `enabled=False`, build one per page again)."""
    from mkdocs.structure import pages

    current = getattr(pages, "markdown")  # noqa: B009 (not among the module's exports)
    if enabled and not isinstance(current, _ReusingMarkdown):
        setattr(pages, "markdown", _ReusingMarkdown(current))  # noqa: B010
    elif not enabled and isinstance(current, _ReusingMarkdown):
        setattr(pages, "markdown", current._module)  # noqa: B010
