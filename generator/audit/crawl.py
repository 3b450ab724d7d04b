"""The audit's HTTP client: one GET per URL, bounded in time, bytes, redirects and addresses.

aiohttp lives behind this module only. Failures come
back as data (`Fetched.outcome`), never as exceptions, because a failing site is a finding
of the audit, not an error of the program.
"""

from __future__ import annotations

import asyncio
import codecs
import re
import ssl
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from generator import __version__
from generator.audit.net import (
    GuardedResolver,
    NoDnsError,
    Pins,
    PrivateAddressError,
    is_public,
    parse_address,
)
from generator.audit.results import AuditStatus
from generator.errors import AuditError, Problem

# Named so a site owner who sees it in a log knows who asked and why.
USER_AGENT = (
    f"congxa-audit/{__version__} (coverage audit of commune e-information pages, "
    "indicators 1.3/1.4; +https://pypi.org/project/congxa/)"
)
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Outcomes worth a second try: real scanners recover about a tenth of timeouts that way.
RETRYABLE = frozenset({AuditStatus.TIMEOUT, AuditStatus.CONNECTION_ERROR})
# What an IP literal can look like (IPv4, IPv6 with brackets stripped, zone ids, mapped).
_LITERAL = re.compile(r"[0-9a-fA-F.:%]+|[0-9.]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class CrawlSettings:
    """Limits of the crawler. Times are seconds; `timeout` bounds one request in total.

    `site_budget` bounds everything done for one site (its URLs, redirects, retries, the
    manifest or feed); None means 3 × `timeout`.
    """

    timeout: float = 10.0
    connect_timeout: float = 5.0
    concurrency: int = 64
    per_host: int = 4
    max_redirects: int = 10
    max_bytes: int = 2 * 1024 * 1024
    retries: int = 1
    retry_pause: float = 1.0
    user_agent: str = USER_AGENT
    pins: Pins = field(default_factory=Pins)
    no_dns: bool = False
    allow_private: bool = False
    ca_file: Path | None = None
    site_budget: float | None = None

    @property
    def budget(self) -> float:
        return self.site_budget if self.site_budget is not None else 3 * self.timeout

    def as_dict(self) -> dict[str, object]:
        """The settings worth keeping beside a run's results (no secrets here)."""
        return {
            "timeout": self.timeout,
            "connect_timeout": self.connect_timeout,
            "concurrency": self.concurrency,
            "per_host": self.per_host,
            "max_redirects": self.max_redirects,
            "max_bytes": self.max_bytes,
            "retries": self.retries,
            "retry_pause": self.retry_pause,
            "user_agent": self.user_agent,
            "pins": {**self.pins.exact, **{"*." + k: v for k, v in self.pins.wildcard.items()}},
            "no_dns": self.no_dns,
            "allow_private": self.allow_private,
            "ca_file": str(self.ca_file) if self.ca_file else None,
            "site_budget": self.budget,
        }


@dataclass(frozen=True)
class Fetched:
    """What one GET (after redirects and retries) gave.

    `outcome` is "response" when a final HTTP answer arrived (any status code), else one
    of the audit's failure statuses: invalid_url, dns_error, connection_error, timeout,
    tls_error, too_many_redirects, private_address.
    """

    url: str
    outcome: str
    final_url: str = ""
    http_status: int | None = None
    content_type: str = ""
    charset: str | None = None
    body: bytes = b""
    truncated: bool = False
    redirects: tuple[str, ...] = ()
    detail: str = ""
    elapsed: float = 0.0
    attempts: int = 1

    @property
    def answered(self) -> bool:
        return self.outcome == "response"

    def text(self) -> str:
        """The body decoded: header charset, else <meta charset>, else UTF-8 (the norm).

        A charset that is unknown, not a text encoding, or not one web pages use (`idna`,
        `punycode`, `rot13`...) falls back to UTF-8; undecodable bytes become U+FFFD.
        """
        for declared in (self.charset, _meta_charset(self.body)):
            encoding = web_encoding(declared)
            if encoding is not None:
                try:
                    return self.body.decode(encoding, errors="replace")
                except (UnicodeError, LookupError, ValueError, TypeError):
                    continue  # a codec that misbehaves on this body: try the next
        return self.body.decode("utf-8", errors="replace")


# The encodings web pages are written in (the WHATWG Encoding Standard's, as Python names
# them), plus cp1258 for Vietnamese. Anything else a site declares falls back to UTF-8.
WEB_ENCODINGS = frozenset(
    [
        "utf-8",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "ascii",
        "iso8859-1",
        "cp1258",
        "cp1250",
        "cp1251",
        "cp1252",
        "cp1253",
        "cp1254",
        "cp1255",
        "cp1256",
        "cp1257",
        "cp866",
        "cp874",
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "mac-cyrillic",
        "iso8859-2",
        "iso8859-3",
        "iso8859-4",
        "iso8859-5",
        "iso8859-6",
        "iso8859-7",
        "iso8859-8",
        "iso8859-10",
        "iso8859-13",
        "iso8859-14",
        "iso8859-15",
        "iso8859-16",
        "gbk",
        "gb2312",
        "gb18030",
        "big5",
        "big5hkscs",
        "euc_jp",
        "iso2022_jp",
        "shift_jis",
        "cp932",
        "euc_kr",
        "cp949",
    ]
)


def web_encoding(label: str | None) -> str | None:
    """The Python codec for a declared charset, or None when it is not a web encoding."""
    if not label or len(label) > 40:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError, TypeError):
        return None
    return name if name in WEB_ENCODINGS else None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii") if match else None


class Crawler:
    """An aiohttp session set up for the audit. Use as `async with Crawler(settings) as c`.

    `resolver` is a parameter so that tests and the benchmark can swap name resolution.
    """

    def __init__(self, settings: CrawlSettings, resolver: AbstractResolver | None = None) -> None:
        self.settings = settings
        self._resolver = resolver or GuardedResolver(
            settings.pins, no_dns=settings.no_dns, allow_private=settings.allow_private
        )
        self._session: aiohttp.ClientSession | None = None
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Self:
        connector = aiohttp.TCPConnector(
            limit=max(self.settings.concurrency, 1),
            resolver=self._resolver,
            ssl=make_ssl_context(self.settings.ca_file),
            ttl_dns_cache=300,
            # Sites are mostly visited once: short keep-alive frees sockets on big runs.
            keepalive_timeout=2.0,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={
                "User-Agent": self.settings.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
                "Accept-Language": "vi,en;q=0.5",
            },
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(
        self, url: str, *, retry: bool = True, deadline: float | None = None
    ) -> Fetched:
        """GET `url`, following redirects, retrying once a timeout or connection failure.

        `deadline` (time.monotonic()) is the end of the site's time budget: no request
        runs past it, whatever the redirects and retries.
        """
        started = time.monotonic()
        if deadline is None:
            deadline = started + self.settings.budget
        attempts = 1 + (self.settings.retries if retry else 0)
        result = await self._fetch_once(url, deadline)
        for attempt in range(2, attempts + 1):
            if result.outcome not in RETRYABLE:
                break
            if deadline - time.monotonic() <= self.settings.retry_pause:
                break  # no time left in the site's budget for a second try
            await asyncio.sleep(self.settings.retry_pause)
            result = replace(await self._fetch_once(url, deadline), attempts=attempt)
        return replace(result, elapsed=time.monotonic() - started)

    async def _fetch_once(self, url: str, deadline: float) -> Fetched:
        started = time.monotonic()
        redirects: list[str] = []
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            refused = self._refuse(current)
            if refused is not None:
                return _done(refused, started, redirects)
            left = deadline - time.monotonic()
            if left <= 0:
                return _done(self._spent(url, current, redirects), started, redirects)
            try:
                answer = await self._get(current, min(self.settings.timeout, left))
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                outcome, detail = classify_exception(exc)
                if outcome == AuditStatus.TIMEOUT and left < self.settings.timeout:
                    return _done(self._spent(url, current, redirects), started, redirects)
                return _done(Fetched(url, outcome, current, detail=detail), started, redirects)
            if isinstance(answer, str):  # a redirect target
                current = urljoin(current, answer)
                redirects.append(current)
                continue
            return _done(
                Fetched(
                    url,
                    "response",
                    final_url=current,
                    http_status=answer.status,
                    content_type=answer.content_type,
                    charset=answer.charset,
                    body=answer.body,
                    truncated=answer.truncated,
                ),
                started,
                redirects,
            )
        detail = f"more than {self.settings.max_redirects} redirects"
        return _done(
            Fetched(url, AuditStatus.TOO_MANY_REDIRECTS, current, detail=detail), started, redirects
        )

    def _spent(self, url: str, current: str, redirects: list[str]) -> Fetched:
        detail = f"the site's time budget of {self.settings.budget:g} s is spent"
        if redirects:
            detail += f" (after {len(redirects)} redirects)"
        return Fetched(url, AuditStatus.TIMEOUT, current, detail=detail)

    def _refuse(self, url: str) -> Fetched | None:
        """A URL refused before any request: not http(s), no host, or a non-public IP literal."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - reading it validates the port number
        except ValueError as exc:
            return Fetched(url, AuditStatus.INVALID_URL, url, detail=str(exc))
        if not parts.scheme or not parts.netloc:
            detail = "not an absolute URL: write it in full, https://..."
            return Fetched(url, AuditStatus.INVALID_URL, url, detail=detail)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Fetched(
                url, AuditStatus.INVALID_URL, url, detail="not an http(s) URL with a host"
            )
        # aiohttp skips the resolver for IP literals, so the policy is applied here too.
        if self.settings.allow_private or not _LITERAL.fullmatch(parts.hostname):
            return None  # a name: the resolver applies the policy
        address = parse_address(parts.hostname)
        if address is not None and not is_public(address):
            return Fetched(url, AuditStatus.PRIVATE_ADDRESS, url, detail=f"{address} is not public")
        return None

    async def _get(self, url: str, limit_s: float) -> _Answer | str:
        """One request within `limit_s` seconds; returns the redirect target or the answer."""
        assert self._session is not None, "use Crawler as an async context manager"
        settings = self.settings
        timeout = aiohttp.ClientTimeout(
            total=limit_s,
            sock_connect=min(settings.connect_timeout, limit_s),
            sock_read=limit_s,
        )
        host = (urlsplit(url).hostname or "").lower()
        limit = self._hosts.setdefault(host, asyncio.Semaphore(max(settings.per_host, 1)))
        request = self._session.get(url, allow_redirects=False, timeout=timeout)
        async with limit, request as resp:
            location = resp.headers.get("Location")
            if resp.status in REDIRECT_CODES and location:
                return location
            body, truncated = await _read_capped(resp, settings.max_bytes)
            return _Answer(resp.status, resp.content_type, resp.charset, body, truncated)


@dataclass(frozen=True)
class _Answer:
    status: int
    content_type: str
    charset: str | None
    body: bytes
    truncated: bool


async def _read_capped(resp: aiohttp.ClientResponse, cap: int) -> tuple[bytes, bool]:
    """Read at most `cap` bytes (after decompression, so a gzip bomb stops here too)."""
    chunks: list[bytes] = []
    size = 0
    while size < cap:
        chunk = await resp.content.read(min(65536, cap - size))
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    more = await resp.content.read(1)
    return b"".join(chunks), bool(more)


def classify_exception(exc: BaseException) -> tuple[str, str]:
    """Map a client exception to an audit status and a short detail for people."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        if isinstance(exc.os_error, PrivateAddressError):
            return AuditStatus.PRIVATE_ADDRESS, str(exc.os_error)
        if isinstance(exc.os_error, NoDnsError):
            return AuditStatus.DNS_ERROR, str(exc.os_error)
        return AuditStatus.DNS_ERROR, detail
    if isinstance(exc, PrivateAddressError):
        return AuditStatus.PRIVATE_ADDRESS, detail
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError | aiohttp.ServerFingerprintMismatch):
        return AuditStatus.TLS_ERROR, detail
    # ServerTimeoutError is also a connection error: test for timeouts first.
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return AuditStatus.TIMEOUT, "no complete answer within the time limit"
    if isinstance(exc, aiohttp.InvalidURL):
        return AuditStatus.INVALID_URL, detail
    if isinstance(exc, aiohttp.ClientResponseError):
        return AuditStatus.HTTP_ERROR, f"malformed response: {detail}"
    if isinstance(exc, aiohttp.ClientError | OSError):
        return AuditStatus.CONNECTION_ERROR, detail
    if isinstance(exc, UnicodeError | ValueError):
        return AuditStatus.INVALID_URL, detail
    # One odd site must not stop a national run; the detail keeps the trail.
    return AuditStatus.CONNECTION_ERROR, f"unexpected {type(exc).__name__}: {detail}"


def make_ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's trust store, plus an extra CA bundle (a provincial CA, a test CA)."""
    context = ssl.create_default_context()
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise AuditError(
                Problem(
                    f"Không đọc được tệp chứng chỉ CA (cannot read CA file): {exc}.",
                    file=ca_file,
                    field="--ca-file",
                    hint="đưa vào một tệp PEM chứa chứng chỉ CA.",
                )
            ) from exc
    return context


def _done(result: Fetched, started: float, redirects: list[str]) -> Fetched:
    return replace(
        result,
        final_url=result.final_url or result.url,
        redirects=tuple(redirects),
        elapsed=time.monotonic() - started,
    )
