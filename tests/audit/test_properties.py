"""Property-based tests: whatever bytes a site sends, the audit's readers give a result.

Any input gives a summary (or None), never an exception, within a time bound.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.audit.classify import Manifest, parse_manifest
from generator.audit.crawl import Fetched
from generator.audit.page import PageSummary, newest_feed_date, parse_date, parse_page

SECONDS = 2.0  # per example; hostile pages of 2 MB are timed in test_hostile.py
QUICK = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Markup-ish text: fragments a parser must survive, mixed with arbitrary characters.
FRAGMENTS = st.sampled_from(
    [
        "<", ">", "</", "<!--", "-->", "<![CDATA[", "]]>", "<?", "<!DOCTYPE", "&", "&#", "&#x",
        ";", "'", '"', "=", "<title>", "</title>", "<h1>", "</h1>", "<h2>", "<a href=", "</a>",
        "<meta charset=", '<meta name="generator" content="congxa', "<link rel=alternate ",
        'type="application/rss+xml" href=', "<script>", "</script>", "<style>", "<img alt=",
        "<template>", "<noscript>", "UBND Xã Tân Lập", "\x00", "\ufffe", "\ud800", "\r\n",
    ]
)  # fmt: skip
MARKUP = st.lists(st.one_of(FRAGMENTS, st.text(max_size=20)), max_size=80).map("".join)


def _timed(function: object, *args: object) -> object:
    start = time.monotonic()
    result = function(*args)  # type: ignore[operator]
    assert time.monotonic() - start < SECONDS
    return result


@QUICK
@given(MARKUP)
def test_any_markup_gives_a_page_summary(html: str) -> None:
    page = _timed(parse_page, html)
    assert isinstance(page, PageSummary)
    assert len(page.title) <= 500 and len(page.links) <= 2000


@QUICK
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_page_summary(body: bytes) -> None:
    text = Fetched("http://x.vn/", "response", body=body).text()
    assert isinstance(_timed(parse_page, text), PageSummary)


@QUICK
@given(st.one_of(st.none(), st.text(max_size=30)), st.binary(max_size=500))
def test_any_declared_charset_decodes(charset: str | None, body: bytes) -> None:
    assert isinstance(Fetched("http://x.vn/", "response", charset=charset, body=body).text(), str)


JSON_ATOMS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
JSON = st.recursive(
    JSON_ATOMS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)


@QUICK
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_manifest_or_none(body: bytes) -> None:
    assert _timed(parse_manifest, body) is None or isinstance(parse_manifest(body), Manifest)


@QUICK
@given(
    st.dictionaries(
        st.sampled_from(["schema", "code", "updated", "sections", "conformance", "x"]),
        JSON,
    ),
    st.integers(min_value=0, max_value=5000),
)
def test_any_json_gives_a_manifest_or_none(data: dict[str, object], depth: int) -> None:
    data = {**data, "schema": "congxa-site/1"}
    body = json.dumps(data).encode()
    manifest = _timed(parse_manifest, body)
    assert isinstance(manifest, Manifest)
    nested = b'{"schema": "congxa-site/1", "sections": ' + b"[" * depth + b"]" * depth + b"}"
    assert _timed(parse_manifest, nested) is None or depth < 64


@QUICK
@given(st.one_of(st.binary(max_size=2000), MARKUP.map(lambda s: s.encode("utf-8", "replace"))))
def test_any_bytes_give_a_feed_date_or_none(body: bytes) -> None:
    newest = _timed(newest_feed_date, body)
    assert newest is None or isinstance(newest, datetime)


@QUICK
@given(st.text(max_size=60))
def test_any_text_gives_a_date_or_none(text: str) -> None:
    when = parse_date(text)
    assert when is None or when.tzinfo is not None
