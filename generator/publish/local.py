"""Browse what was built: `congxa serve --public [DIR]` serves a public/ folder on 127.0.0.1.

Opening `public/<province>/index.html` from disk shows directory listings instead of pages
(a browser does not turn `thong-bao/` into `thong-bao/index.html`); a small HTTP server does.
Pages link relatively, so the province page's unit links (`./<unit>/`) and every unit's
pages work under `/<province>/<unit>/`. The root lists the built provinces.

Read-only and local: it binds 127.0.0.1 only, serves nothing outside DIR (real paths are
checked, so a symbolic link cannot lead out), hides build state (`.congxa/`, dot files) and
nginx.conf, and never lists a folder. Production serving is nginx's job (publish/nginx.py).
"""

from __future__ import annotations

import html
import http.server
import os
import threading
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from generator.publish.nginx import CONF_NAME

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
