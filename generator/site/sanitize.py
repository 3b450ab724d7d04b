"""Raw HTML in clerks' Markdown is sanitised: what a page may contain is an allowlist.

Kept: text structure (headings, paragraphs, lists, tables, quotes, figures, details), links
(http, https, mailto, tel and relative), images, and the class/id/lang/title attributes
that Markdown extensions and congxa's own markup use. Dropped: scripts, styles, iframes,
objects, forms, event handlers (on...), inline styles and `javascript:` URLs.
"""

from __future__ import annotations

import nh3

_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "nav",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
}
_COMMON = {
    "class",
    "id",
    "lang",
    "title",
    "dir",
    "role",
    "aria-label",
    "aria-labelledby",
    "aria-current",
    "aria-hidden",
}
_ATTRIBUTES = {
    "*": _COMMON,
    "a": {"href", "hreflang", "download"},
    "img": {"src", "alt", "width", "height", "loading"},
    # data-label: the column's name, shown before each cell when a phone stacks a row.
    "td": {"colspan", "rowspan", "align", "data-label"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "time": {"datetime"},
    "ol": {"start", "type"},
    "details": {"open"},
}


def sanitize(html: str) -> str:
    """HTML safe to publish: only the allowlisted tags, attributes and URL schemes."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel=None,
        strip_comments=True,
    )
