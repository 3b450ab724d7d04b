"""A unit's `site_url`, parsed strictly: only its normalised form is used anywhere.

The value reaches pages (canonical links, the print footer), feeds, site.json, the sitemap
and the province's nginx.conf, so it is read by a whole-string pattern, not by a URL parser
that forgives: `urllib.parse.urlsplit` silently drops tabs and newlines, which would let a
`site_url` carry nginx directives or markup.

Accepted: `https://`, a host of ASCII letters, digits, hyphens and dots (labels of 1-63
characters, not starting or ending with a hyphen, 253 characters in all; an international
domain name in its `xn--` form), and an optional path of letters, digits and `-._~/`.
No port, user, query, fragment, whitespace or control character. The normalised form has a
lower-case host and ends with `/`.
"""

from __future__ import annotations

import re

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SITE_URL = re.compile(
    rf"https://(?P<host>{_LABEL}(?:\.{_LABEL})*)(?P<path>(?:/[a-z0-9._~-]*)*)",
    re.IGNORECASE | re.ASCII,
)
MAX_HOST = 253
MAX_URL = 2000
EXAMPLE = "https://phuonghoankiem.hanoi.gov.vn/"


def normalise_site_url(value: str) -> str | None:
    """`https://host/path/` with a lower-case host, or None when `value` is not one."""
    if len(value) > MAX_URL:
        return None
    match = _SITE_URL.fullmatch(value)
    if match is None or len(match["host"]) > MAX_HOST:
        return None
    path = match["path"]
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    if not path.endswith("/"):
        path += "/"
    return f"https://{match['host'].lower()}{path}"


def site_host(site_url: str) -> str | None:
    """The host of a `site_url`, when the whole value is a valid one (else None)."""
    normalised = normalise_site_url(site_url)
    if normalised is None:
        return None
    return normalised[len("https://") :].split("/", 1)[0]
