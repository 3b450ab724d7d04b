"""Links and images written in Markdown (a post's body, a unit's introduction), and the
site paths a relative link can mean.

A relative link is resolved the way MkDocs resolves it: against the page's source
(`<section>/<slug>.md`), so `../files/qd.pdf` in a notice means the unit's `files/qd.pdf`;
a link MkDocs does not recognise is left for the browser, which resolves it against the
page's address (`../../van-ban/` from `thong-bao/<slug>/`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from generator.source.model import Post

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_MD_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_HTML_TAG = re.compile(r"<(a|img)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# A backslash escape of ASCII punctuation (CommonMark): `\[a\](x.pdf)` is text, not a link.
_ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")


@dataclass(frozen=True)
class Ref:
    """One link or image in Markdown text."""

    line: int  # line in the text's file
    target: str  # as written
    image: bool
    alt: str | None  # images only; None when the attribute is missing


def refs(post: Post) -> Iterator[Ref]:
    """Every link and image of a post's body, outside code blocks and inline code."""
    return refs_in(post.body, post.body_line)


def refs_in(text: str, first_line: int = 1) -> Iterator[Ref]:
    """Every link and image of Markdown `text` whose first line is `first_line` of its file."""
    in_fence = False
    for index, raw in enumerate(text.split("\n")):
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        line = first_line + index
        text_line = _INLINE_CODE.sub("", _ESCAPE.sub("  ", raw))
        for match in _MD_LINK.finditer(text_line):
            image = match[1] == "!"
            yield Ref(line, match[3], image, match[2] if image else None)
        ref_def = _REF_DEF.match(text_line)
        if ref_def:
            yield Ref(line, ref_def[1], False, None)
        for tag in _HTML_TAG.finditer(text_line):
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


def site_paths(source: str, url: str, target: str) -> list[str] | None:
    """The site paths a local link in the page `source` (served at `url`) can mean, in the
    order they are tried: against the source, then against the address (`""` is the home
    page); links that leave the site are dropped. None for a link to the page itself
    (`#x`, `?x`)."""
    path = unquote(target.split("#", 1)[0].split("?", 1)[0])
    if not path:
        return None
    found: list[str] = []
    for base in (posixpath.dirname(source) + "/" if "/" in source else "", url):
        joined = _join(base, path)
        if joined is not None and joined not in found:
            found.append(joined)
    return found


def _join(base: str, path: str) -> str | None:
    """`path` relative to the site folder `base`, or None when it leaves the site."""
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(base, path)
    normal = posixpath.normpath(joined)
    if normal.startswith(".."):
        return None
    return "" if normal == "." else normal + ("/" if path.endswith("/") else "")
