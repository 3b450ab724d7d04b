"""Whether the links written in a post lead somewhere on the unit's site.

A link works when it names a page of the site, a file of the unit's (or the province's
shared) folder, or a file congxa generates (feeds, site.json): exactly what
generator/site/published.py says the site consists of. Links are read and resolved as
generator/site/refs.py describes (the way MkDocs resolves them).
"""

from __future__ import annotations

import difflib
import posixpath
from dataclasses import dataclass

from generator.site.published import Published, published
from generator.site.refs import Ref, is_local, refs
from generator.source.model import Post, Site

__all__ = ["Ref", "SiteMap", "is_local", "refs"]


@dataclass(frozen=True)
class SiteMap:
    """What a unit's site publishes, for checking links against it."""

    site: Published

    @classmethod
    def of(cls, site: Site) -> SiteMap:
        return cls(published(site))

    def resolves(self, post: Post, target: str) -> bool:
        """Does this local link, written in `post`, lead to a page or file of the site?"""
        return self.site.target(_source(post), post.url_path, target) is not None

    def suggest(self, post: Post, target: str) -> str | None:
        """A link close to a broken `target` that works: same path in another case
        (`../files/QD.PDF`), else a similar name in the same folder; None when none is."""
        source = _source(post)
        path = target.split("#", 1)[0].split("?", 1)[0]
        folder = posixpath.dirname(source)
        known = [p.src_uri for p in self.site.pages]
        known += [*self.site.candidates, *self.site.files, *self.site.generated]
        wanted = posixpath.normpath(posixpath.join(folder, path))
        match = next((k for k in known if k.casefold() == wanted.casefold()), None)
        if match is None:
            near = [k for k in known if posixpath.dirname(k) == posixpath.dirname(wanted)]
            close = difflib.get_close_matches(wanted, near, n=1, cutoff=0.8)
            match = close[0] if close else None
        if match is None:
            return None
        return posixpath.relpath(match, folder or ".")


def _source(post: Post) -> str:
    return f"{post.section}/{post.slug}.md"
