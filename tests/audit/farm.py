"""A farm of real web sites on 127.0.0.1 for the audit tests.

One aiohttp server (plain HTTP and HTTPS with a trustme certificate) answers by Host
header, so every case is a host name pinned to 127.0.0.1 with `--resolve`. A case is an
async handler; `add_static` serves a folder (for example a real `congxa build` of the demo).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import trustme
from aiohttp import web

from generator.source.profile import load_profile

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DOMAIN = "farm.test"
# The sections every conformant site shows, from the section profile (never listed here):
# a profile with one more section changes what the farm serves and expects.
SECTIONS = tuple((s.id, s.title) for s in load_profile().post_sections() if s.required)


def days_ago(days: float) -> datetime:
    return (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0)


class Farm:
    """Start with `farm.start()`; every site added before or after start is served."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.sites: dict[str, Handler] = {}
        self.hits: dict[str, int] = {}
        self.user_agents: list[str] = []
        self.ca = trustme.CA()
        self._names = [f"*.{DOMAIN}", *names]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.http_port = 0
        self.https_port = 0

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> Farm:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        plain = web.TCPSite(self._runner, "127.0.0.1", 0)
        await plain.start()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*self._names).configure_cert(context)
        secure = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await secure.start()
        self.http_port = _port(plain)
        self.https_port = _port(secure)

    def stop(self) -> None:
        future = asyncio.run_coroutine_threadsafe(self._stop(), self._loop)
        with contextlib.suppress(Exception):  # best effort at teardown
            future.result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        # Handlers of slow cases may still sleep: end them so the loop closes quietly.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def ca_file(self, folder: Path) -> Path:
        path = folder / "farm-ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path

    # -- sites -------------------------------------------------------------------------
    def add(self, name: str, handler: Handler) -> str:
        """Serve `handler` at host `<name>.farm.test`; returns the host name."""
        host = f"{name}.{DOMAIN}"
        self.sites[host] = handler
        return host

    def add_static(self, name: str, folder: Path) -> str:
        """Serve a built site from `folder` (index.html for folders)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            target = (folder / request.path.lstrip("/")).resolve()
            if folder.resolve() not in (target, *target.parents):
                raise web.HTTPForbidden()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                raise web.HTTPNotFound()
            return web.FileResponse(target)

        return self.add(name, handler)

    def url(self, host: str, path: str = "/", tls: bool = False) -> str:
        scheme, port = ("https", self.https_port) if tls else ("http", self.http_port)
        return f"{scheme}://{host}:{port}{path}"

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        host = request.host.rsplit(":", 1)[0].lower()
        self.hits[host] = self.hits.get(host, 0) + 1
        self.user_agents.append(request.headers.get("User-Agent", ""))
        handler = self.sites.get(host)
        if handler is None:
            return web.Response(status=421, text="unknown host")
        return await handler(request)


def _port(site: web.TCPSite) -> int:
    server = site._server
    assert server is not None
    return int(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- pages ---------------------------------------------------------------------------
def html(body: str, title: str, head: str = "") -> web.Response:
    page = (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title>'
        f"{head}</head><body>{body}</body></html>"
    )
    return web.Response(text=page, content_type="text/html")


def nav(sections: Iterable[tuple[str, str]] = SECTIONS, base: str = "/") -> str:
    items = "".join(f'<li><a href="{base}{sid}/">{title}</a></li>' for sid, title in sections)
    return f"<nav><ul>{items}</ul></nav>"


def congxa_site(
    name: str,
    code: str,
    *,
    updated: datetime | None = None,
    missing: tuple[str, ...] = (),
    manifest_code: str | None = None,
) -> Handler:
    """A congxa-built site: generator meta on the page and a site.json beside it."""
    updated = updated or days_ago(2)
    listed = [(sid, t) for sid, t in SECTIONS if sid not in missing]

    async def handler(request: web.Request) -> web.StreamResponse:
        base = f"{request.scheme}://{request.host}/"
        if request.path == "/site.json":
            manifest = {
                "schema": "congxa-site/1",
                "generator": "congxa 0.1.0",
                "code": manifest_code or code,
                "name": name,
                "site_url": base,
                "updated": updated.isoformat(),
                "sections": [
                    {
                        "id": sid,
                        "title": t,
                        "url": f"{base}{sid}/",
                        "items": 3,
                        "newest": updated.isoformat(),
                    }
                    for sid, t in listed
                ],
                "feeds": {"rss": f"{base}feeds/rss.xml", "atom": f"{base}feeds/atom.xml"},
                "essential": [],
                "conformance": {"profile": "nd42-2022", "missing": list(missing), "empty": []},
            }
            return web.json_response(manifest)
        if request.path != "/":
            raise web.HTTPNotFound()
        head = '<meta name="generator" content="congxa 0.1.0">'
        return html(f"<header><h1>{name}</h1></header>{nav(listed)}", f"{name} – Trang chủ", head)

    return handler


def handmade_site(
    name: str,
    *,
    sections: Iterable[tuple[str, str]] = SECTIONS,
    feed: str | None = "rss",
    newest: datetime | None = None,
    title: str | None = None,
) -> Handler:
    """A site made by hand: section links in a menu, an RSS or Atom feed advertised."""
    newest = newest or days_ago(3)
    sections = tuple(sections)

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/rss.xml":
            return web.Response(
                text=rss(name, [newest, newest - timedelta(days=30)]),
                content_type="application/rss+xml",
            )
        if request.path == "/atom.xml":
            return web.Response(
                text=atom(name, [newest - timedelta(days=9), newest]),
                content_type="application/atom+xml",
            )
        if request.path != "/":
            raise web.HTTPNotFound()
        kind = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
        head = f'<link rel="alternate" type="{kind[feed]}" href="/{feed}.xml">' if feed else ""
        # Headings in the Vietnamese style of many real portals: "UBND <unit>".
        body = f"<div class=banner><h2>ỦY BAN NHÂN DÂN</h2><h1>UBND {name.upper()}</h1></div>"
        return html(
            body + nav(sections, "/chuyen-muc/"), title or f"Trang thông tin điện tử {name}", head
        )

    return handler


def rss(name: str, dates: list[datetime]) -> str:
    items = "".join(
        f"<item><title>Tin {i}</title><pubDate>{d.strftime('%a, %d %b %Y %H:%M:%S %z')}</pubDate></item>"
        for i, d in enumerate(dates)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(name)}</title>{items}</channel></rss>"
    )


def atom(name: str, dates: list[datetime]) -> str:
    entries = "".join(
        f"<entry><title>Tin {i}</title><updated>{d.isoformat()}</updated></entry>"
        for i, d in enumerate(dates)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(name)}</title>{entries}</feed>"
    )


def status_site(code: int) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, text=f"error {code}")

    return handler


def slow_site(name: str, delay: float) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(delay)
        return html(f"<h1>UBND {name}</h1>", name)

    return handler


def redirect_site(target: Callable[[web.Request], str]) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(target(request))

    return handler


def static_page(title: str, body: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return html(body, title)

    return handler


def huge_site(name: str, size: int) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        await response.prepare(request)
        head = f"<html><head><title>UBND {name}</title></head><body><h1>{name}</h1>"
        await response.write(head.encode())
        chunk = ("<p>" + "Văn bản " * 1000 + "</p>").encode()
        sent = len(head)
        try:
            while sent < size:
                await response.write(chunk)
                sent += len(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the crawler hung up at its cap, as it should
        return response

    return handler


def flaky_site(name: str, delay: float) -> Handler:
    """Slow on the first request only: a retry recovers it."""
    seen: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append(1)
        if len(seen) == 1:
            await asyncio.sleep(delay)
        return html(f"<h1>UBND {name}</h1>{nav()}", name)

    return handler


# -- hostile sites: each tries to harm the auditor, none may ---------------------------
def charset_site(name: str, *, header: str | None = None, meta: str | None = None) -> Handler:
    """A good page in UTF-8 that declares another charset (unknown, or not a text one)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        head = f'<meta charset="{meta}">' if meta else ""
        page = (
            f"<!DOCTYPE html><html><head>{head}<title>UBND {name}</title></head>"
            f"<body><h1>UBND {name}</h1>{nav()}</body></html>"
        )
        kind = "text/html" + (f"; charset={header}" if header else "")
        return web.Response(body=page.encode("utf-8"), headers={"Content-Type": kind})

    return handler


def deep_manifest_site(name: str, code: str, depth: int) -> Handler:
    """A congxa-looking site whose site.json nests `depth` arrays."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/site.json":
            body = (
                f'{{"schema": "congxa-site/1", "code": "{code}", "sections": '
                + "[" * depth
                + "]" * depth
                + "}"
            )
            return web.Response(body=body.encode(), content_type="application/json")
        head = '<meta name="generator" content="congxa 0.1.0">'
        return html(f"<h1>{name}</h1>{nav()}", f"{name} – Trang chủ", head)

    return handler


def nested_title_site(name: str, size: int) -> Handler:
    """`size` bytes of unclosed nested <title> elements, the unit's name in the first."""

    async def handler(request: web.Request) -> web.StreamResponse:
        first = f"<html><head><title>UBND {name}".encode()
        body = first + b"<title>x" * ((size - len(first)) // 8)
        return web.Response(body=body, content_type="text/html")

    return handler


def slow_redirect_site(delay: float) -> Handler:
    """Every answer comes after `delay` seconds and redirects one step further, forever."""

    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(delay)
        step = int(request.query.get("step", "0")) + 1
        raise web.HTTPFound(f"/next?step={step}")

    return handler
