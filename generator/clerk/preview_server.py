"""The preview's small HTTP server: the last good build, a reload stream, a status page.

Standard library only (`http.server` in a thread): one clerk, one browser, on 127.0.0.1.
HTML responses get the reload script and, after a broken save, an error banner; the files
on disk stay exactly what `congxa build` would publish.
"""

from __future__ import annotations

import json
import mimetypes
import re
import threading
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from generator.errors import ConfigError, Problem
from generator.publish.local import refusal

if TYPE_CHECKING:
    from generator.clerk.preview import BuildState, Preview

EVENTS_PATH = "/__congxa/events"
STATUS_PATH = "/__congxa/status"
KEEPALIVE_SECONDS = 10.0

_BODY_OPEN = re.compile(rb"<body[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(rb"</body>", re.IGNORECASE)
# Reload when the server's build generation differs from the one this page was served
# with: a page opened during a rebuild catches up as soon as it connects.
_SCRIPT = """<script id="congxa-preview">(function () {
  var served = %d;
  var source = new EventSource("%s");
  source.addEventListener("reload", function (event) {
    if (Number(event.data) !== served) { source.close(); location.reload(); }
  });
})();</script>"""
_BANNER_STYLE = (
    "position:sticky;top:0;z-index:1000;margin:0;padding:.8rem 1.2rem;"
    "background:#b71c1c;color:#fff;font:15px/1.5 system-ui,sans-serif;"
)


class PreviewServer:
    """A ThreadingHTTPServer on 127.0.0.1 serving a Preview's current build."""

    def __init__(self, preview: Preview, port: int) -> None:
        handler = type("Handler", (_Handler,), {"preview": preview})
        try:
            self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as exc:
            raise ConfigError(
                Problem(
                    f"Không mở được cổng {port} trên 127.0.0.1 (port unavailable): {exc.strerror}.",
                    hint=f"cổng đang được chương trình khác dùng; chọn cổng khác, ví dụ "
                    f"`--port {port + 1}`.",
                )
            ) from None
        self.httpd.daemon_threads = True
        # A short poll interval makes Ctrl-C and stop() quick; it costs nothing idle.
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), name="congxa-http", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    preview: Preview
    server_version = "congxa-preview"

    def log_message(self, format: str, *args: object) -> None:
        pass  # the clerk's terminal shows builds and errors, not every request

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        refused = self._refuse()
        if refused is not None:
            status, reason = refused
            self.close_connection = True
            self._send(status, "text/plain; charset=utf-8", reason.encode(), head)
            return
        path = unquote(urlsplit(self.path).path, errors="strict")
        if path == EVENTS_PATH:
            self._events()
            return
        state = self.preview.state
        if path == STATUS_PATH:
            body = json.dumps(
                {
                    "generation": state.generation,
                    "ok": state.ok,
                    "problems": [p.as_dict() for p in state.problems],
                },
                ensure_ascii=False,
            ).encode()
            self._send(200, "application/json; charset=utf-8", body, head)
            return
        if state.site_dir is None:
            self._send(
                503, "text/html; charset=utf-8", _error_page(state, self.preview.project.root), head
            )
            return
        target = _resolve(state.site_dir, path)
        if target is not None and target.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = target / "index.html"
        status = 200
        if target is None or not target.is_file():
            status, target = 404, state.site_dir / "404.html"
            if not target.is_file():
                self._send(404, "text/plain; charset=utf-8", b"404", head)
                return
        body = target.read_bytes()
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind == "text/html":
            body = inject(body, state, self.preview.project.root)
        if kind.startswith("text/") or kind in (
            "application/javascript",
            "application/json",
            "application/xml",
        ):
            kind += "; charset=utf-8"
        self._send(status, kind, body, head)

    def _refuse(self) -> tuple[int, str] | None:
        """400 or 421 for a request the preview must not answer (publish/local.py)."""
        address = self.server.server_address
        port = address[1] if isinstance(address, tuple) else 0
        return refusal(self.headers, self.path, port)

    def _send(self, status: int, kind: str, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self) -> None:
        """Server-Sent Events: `reload` with the build generation, at once and on change."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        sent: int | None = None
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not self.preview.stopping:
                state = self.preview.wait_for_change(sent, KEEPALIVE_SECONDS)
                if self.preview.stopping:
                    break
                if state.generation != sent:
                    sent = state.generation
                    self.wfile.write(f"event: reload\ndata: {sent}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded


def _resolve(site_dir: Path, path: str) -> Path | None:
    """The file for a URL path, never outside the build folder."""
    candidate = (site_dir / path.lstrip("/")).resolve()
    return candidate if candidate.is_relative_to(site_dir.resolve()) else None


def inject(html: bytes, state: BuildState, root: Path | None = None) -> bytes:
    """Add the reload script, and the error banner after a broken save."""
    script = (_SCRIPT % (state.generation, EVENTS_PATH)).encode()
    close = _BODY_CLOSE.search(html)
    html = html[: close.start()] + script + html[close.start() :] if close else html + script
    if state.problems:
        banner = banner_html(state, root).encode()
        opening = _BODY_OPEN.search(html)
        at = opening.end() if opening else 0
        html = html[:at] + banner + html[at:]
    return html


def banner_html(state: BuildState, root: Path | None = None) -> str:
    """The error banner: what is wrong, where, and how to fix it, in Vietnamese."""
    items = "".join(
        f"<li><code>{escape(_where(p, root))}</code> {escape(p.message)}"
        + (f"<br><em>Cách sửa: {escape(p.hint)}</em>" if p.hint else "")
        + "</li>"
        for p in state.problems
    )
    kept = (
        "Trang dưới đây là bản dựng trước."
        if state.site_dir is not None
        else "Chưa có bản dựng nào thành công."
    )
    return (
        f'<div id="congxa-preview-error" role="alert" style="{_BANNER_STYLE}">'
        f"<strong>Lỗi khi dựng trang (build error)</strong>: bản sửa vừa lưu chưa được "
        f'áp dụng. {kept}<ul style="margin:.4rem 0 0 1.2rem">{items}</ul></div>'
    )


def _where(problem: Problem, root: Path | None) -> str:
    """file:line, relative to the project so the clerk recognises it."""
    if problem.file is None or root is None or not problem.file.is_relative_to(root):
        return problem.location()
    where = problem.file.relative_to(root).as_posix()
    return f"{where}:{problem.line}" if problem.line is not None else where


def _error_page(state: BuildState, root: Path) -> bytes:
    page = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        "<title>Lỗi xem trước</title></head><body></body></html>"
    ).encode()
    return inject(page, state, root)
