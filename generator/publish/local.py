"""Browse what was built: `congxa serve --public [DIR]` serves a public/ folder on 127.0.0.1.

Opening `public/<province>/index.html` from disk shows directory listings instead of pages
(a browser does not turn `thong-bao/` into `thong-bao/index.html`); a small HTTP server does.
Pages link relatively, so the province page's unit links (`./<unit>/`) and every unit's
pages work under `/<province>/<unit>/`. The root lists the built provinces.

Read-only and local: it binds 127.0.0.1 only, answers only a loopback `Host` (no DNS
rebinding) and clean paths (UTF-8, no control characters), serves nothing outside DIR (real
paths are checked, so a symbolic link cannot lead out), hides build state (`.congxa/`, dot files) and
nginx.conf, and never lists a folder. Production serving is nginx's job (publish/nginx.py).
"""

from __future__ import annotations

import html
import http.server
import os
import re
import threading
from email.message import Message
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from generator.publish.nginx import CONF_NAME

_MAX_TARGET = 4096  # characters of a request target
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def refusal(headers: Message, target: str, port: object) -> tuple[int, str] | None:
    """400 or 421 for a request a local server must not answer, else None.

    Only this machine's own names are accepted in `Host` (a page of another site that
    points a browser at 127.0.0.1 through its own domain name, DNS rebinding, is
    refused), and the path must be an absolute path that decodes to UTF-8 without
    control characters. Shared by `congxa serve` and `congxa serve --public`.
    """
    hosts = headers.get_all("Host") or []
    if len(hosts) != 1:
        return 400, "400 Bad Request: one Host header expected"
    if hosts[0].strip().lower() not in _loopback_hosts(port):
        return 421, "421 Misdirected Request: this server answers only 127.0.0.1"
    if not target.startswith("/") or len(target) > _MAX_TARGET:
        return 400, "400 Bad Request: bad request target"
    try:
        path = unquote(urlsplit(target).path, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return 400, "400 Bad Request: the path is not UTF-8"
    if _CONTROL.search(path) or "\\" in path:
        return 400, "400 Bad Request: control characters in the path"
    return None


def _loopback_hosts(port: object) -> frozenset[str]:
    names = ("127.0.0.1", "localhost", "[::1]")
    return frozenset((*names, *(f"{name}:{port}" for name in names)))


_NOT_FOUND = (
    '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Không tìm thấy trang</title>'
    '<h1>Không tìm thấy trang (404)</h1><p><a href="/">Về danh sách tỉnh</a></p></html>'
)


class PublicHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of DIR; no listings, no hidden files, nothing outside DIR."""

    root: Path

    def __init__(self, *args: Any, root: Path, **kwargs: Any) -> None:
        self.root = root
        super().__init__(*args, directory=str(root), **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def send_head(self) -> Any:
        address = self.server.server_address
        port = address[1] if isinstance(address, tuple) else 0
        refused = refusal(self.headers, self.path, port)
        if refused is not None:
            status, text = refused
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            return None
        path = unquote(urlsplit(self.path).path)
        parts = [p for p in path.split("/") if p]
        if any(p.startswith(".") for p in parts) or (parts and parts[-1] == CONF_NAME):
            return self._not_found()
        if not parts:
            return self._provinces()
        target = Path(self.translate_path(self.path))
        try:
            real = target.resolve(strict=True)
        except OSError:
            return self._not_found()
        if real != self.root and self.root not in real.parents:
            return self._not_found()
        if real.is_dir() and not (real / "index.html").is_file():
            return self._not_found()
        return super().send_head()

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self._not_found()

    def _page(self, status: int, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _not_found(self) -> None:
        self._page(404, _NOT_FOUND)

    def _provinces(self) -> None:
        items = "".join(
            f'<li><a href="{html.escape(p.name)}/">{html.escape(p.name)}</a></li>'
            for p in sorted(self.root.iterdir())
            if not p.name.startswith(".") and (p / "index.html").is_file()
        )
        self._page(
            200,
            '<!doctype html><html lang="vi"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Trang đã dựng</title><h1>Các tỉnh đã dựng</h1>"
            f"<ul>{items or '<li>Chưa dựng tỉnh nào: chạy congxa build.</li>'}</ul></html>",
        )


class PublicServer:
    """A folder served on 127.0.0.1:`port` (0 picks a free port) in a background thread."""

    def __init__(self, root: Path, port: int = 8000) -> None:
        self.root = root.resolve()
        handler = partial(PublicHandler, root=self.root)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
