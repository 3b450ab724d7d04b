"""Links and images in a post's Markdown body, and whether they lead somewhere on the site.

A relative link is resolved the way MkDocs resolves it: against the post's page source
(`<section>/<slug>.md`), so `../files/qd.pdf` in a notice means the unit's `files/qd.pdf`.
It works when it names a page of the site or a published file (an attachment of some
post). A link written as the page's address (`../../van-ban/`) is accepted too.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from generator.site.pages import build_pages
from generator.site.urls import published_files
from generator.source.model import Post, Site

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_MD_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_HTML_TAG = re.compile(r"<(a|img)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# Files every congxa site has besides its pages (see docs/architecture.md, Output).
_GENERATED = ("site.json", "sitemap.xml", "feeds/rss.xml", "feeds/atom.xml", "feeds/thiet-yeu.xml")


@dataclass(frozen=True)
class Ref:
    """One link or image in a post's body."""

    line: int  # line in the post's file
    target: str  # as written
    image: bool
    alt: str | None  # images only; None when the attribute is missing


def refs(post: Post) -> Iterator[Ref]:
    """Every link and image of the body, outside code blocks and inline code."""
    in_fence = False
    for index, raw in enumerate(post.body.split("\n")):
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        line = post.body_line + index
        text = _INLINE_CODE.sub("", raw)
        for match in _MD_LINK.finditer(text):
            image = match[1] == "!"
            yield Ref(line, match[3], image, match[2] if image else None)
        ref_def = _REF_DEF.match(text)
        if ref_def:
            yield Ref(line, ref_def[1], False, None)
        for tag in _HTML_TAG.finditer(text):
            attrs = {
                m[1].lower(): m[2] if m[2] is not None else (m[3] if m[3] is not None else m[4])
                for m in _ATTR.finditer(tag[2])
            }
            image = tag[1].lower() == "img"
            target = attrs.get("src" if image else "href")
            if target is not None:
                yield Ref(line, target, image, attrs.get("alt") if image else None)


def is_local(target: str) -> bool:
    """A link to something on this site (not http:, mailto:, //host, or a bare #anchor)."""
    return bool(target) and not _SCHEME.match(target) and not target.startswith(("#", "//"))


@dataclass(frozen=True)
class SiteMap:
    """What a unit's site publishes: page sources, page URLs and file paths."""

    sources: frozenset[str]  # "thong-bao/index.md", "van-ban/qd-215.md"
    urls: frozenset[str]  # "thong-bao", "van-ban/qd-215" (no trailing slash; home is "")
    files: frozenset[str]  # "files/qd-215.pdf", "tinh/files/x.pdf", "feeds/rss.xml"

    @classmethod
    def of(cls, site: Site) -> SiteMap:
        pages = build_pages(site)
        files = set(published_files(site))
        files.update(_GENERATED)
        files.update(f"feeds/{s.id}.xml" for s in site.profile.post_sections())
        return cls(
            frozenset(p.src_uri for p in pages),
            frozenset(p.url.rstrip("/") for p in pages),
            frozenset(files),
        )

    def resolves(self, post: Post, target: str) -> bool:
        """Does this local link, written in `post`, lead to a page or file of the site?"""
        path = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if not path:
            return True  # "?x" or "#x" on the same page
        as_source = _join(post.section + "/", path)
        as_url = _join(post.url_path, path)
        for candidate in (as_source, as_url):
            if candidate is None:
                continue
            if candidate in self.sources or candidate in self.files:
                return True
            bare = candidate.removesuffix("index.html").rstrip("/")
            if bare in self.urls or (bare == "." and "" in self.urls):
                return True
        return False


def _join(base: str, path: str) -> str | None:
    """`path` relative to the site folder `base`, or None when it leaves the site."""
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(base, path)
    normal = posixpath.normpath(joined)
    if normal.startswith(".."):
        return None
    return "" if normal == "." else normal + ("/" if path.endswith("/") else "")
