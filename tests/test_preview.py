"""`congxa serve`: a real server on 127.0.0.1, real builds, real file saves."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from conftest import REPO, post

from generator.clerk.preview import Preview
from generator.errors import ConfigError
from generator.source.project import Project

Mini = Callable[..., Project]
POST = "content/ha_noi/phuong_hoan_kiem/thong-bao/lich-hop.md"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def wait_until(check: Callable[[], bool], seconds: float = 3.0) -> float:
    """Poll `check` until it holds; the time it took (fails after `seconds`)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, "timed out"
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.fixture
def preview(mini: Mini) -> Iterator[Preview]:
    project = mini(posts={"thong-bao/lich-hop.md": post(body="Họp lúc 8 giờ sáng.")})
    lines: list[str] = []
    running = Preview(project, project.unit_files()[0], port=0, debounce=0.1, echo=lines.append)
    running.lines = lines  # type: ignore[attr-defined]
    running.start()
    yield running
    running.stop()


def save(preview: Preview, text: str) -> None:
    (preview.project.root / POST).write_text(text, encoding="utf-8")


def page(preview: Preview) -> str:
    return get(preview.url + "thong-bao/lich-hop/")[1]


def test_a_save_is_served_within_3_seconds(preview: Preview) -> None:
    assert "Họp lúc 8 giờ sáng." in page(preview)
    save(preview, post(body="Họp lúc 14 giờ chiều."))
    took = wait_until(lambda: "Họp lúc 14 giờ chiều." in page(preview))
    assert took < 3
    assert any("Đã dựng trang" in line for line in preview.lines)  # type: ignore[attr-defined]


def test_a_broken_save_keeps_the_last_good_build(preview: Preview) -> None:
    save(preview, "---\ntitle: [Thông báo\ndate: 2026-11-20\n---\nHọp lúc 9 giờ.\n")
    wait_until(lambda: not preview.state.ok)
    status, html = get(preview.url + "thong-bao/lich-hop/")
    assert status == 200 and "Họp lúc 8 giờ sáng." in html  # the old page
    assert 'id="congxa-preview-error"' in html and f"<code>{POST}:3</code>" in html
    assert "YAML syntax error" in html and "Cách sửa" in html
    terminal = "\n".join(preview.lines)  # type: ignore[attr-defined]
    assert "lich-hop.md:3: lỗi (error)" in terminal and "kept the last good build" in terminal
    status_json = json.loads(get(preview.url + "__congxa/status")[1])
    assert status_json["ok"] is False and status_json["problems"][0]["line"] == 3
    # Fixing the file brings the new text and drops the banner.
    save(preview, post(body="Họp lúc 9 giờ."))
    wait_until(lambda: "Họp lúc 9 giờ." in page(preview))
    assert "congxa-preview-error" not in page(preview)


def test_the_reload_signal_reaches_a_connected_client(preview: Preview) -> None:
    port = int(preview.url.rsplit(":", 1)[1].strip("/"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/__congxa/events")
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("text/event-stream")

    def next_event() -> tuple[str, str]:
        fields: dict[str, str] = {}
        while True:
            line = response.fp.readline().decode().rstrip("\n")
            if not line:
                if "event" in fields:
                    return fields["event"], fields.get("data", "")
                continue
            key, _, value = line.partition(": ")
            fields[key] = value

    first = next_event()
    assert first == ("reload", str(preview.state.generation))
    start = time.monotonic()
    save(preview, post(body="Đã đổi giờ họp."))
    assert next_event() == ("reload", str(int(first[1]) + 1))
    assert time.monotonic() - start < 3
    conn.close()


def test_pages_carry_the_reload_script_only_when_served(preview: Preview) -> None:
    html = get(preview.url)[1]
    assert 'id="congxa-preview"' in html and "/__congxa/events" in html
    state = preview.state
    assert state.site_dir is not None
    on_disk = (state.site_dir / "index.html").read_text(encoding="utf-8")
    assert "congxa-preview" not in on_disk and "EventSource" not in on_disk


def test_urls_are_served_like_a_web_server(preview: Preview) -> None:
    assert get(preview.url + "feeds/rss.xml")[0] == 200
    status, html = get(preview.url + "khong-co/")
    assert status == 404 and 'id="congxa-preview"' in html
    conn = http.client.HTTPConnection("127.0.0.1", int(preview.url.rsplit(":", 1)[1][:-1]))
    conn.request("GET", "/thong-bao")
    response = conn.getresponse()
    assert (response.status, response.getheader("Location")) == (301, "/thong-bao/")
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", int(preview.url.rsplit(":", 1)[1][:-1]))
    conn.request("GET", "/../../../etc/passwd")
    assert conn.getresponse().status == 404
    conn.close()


def test_what_the_watcher_reacts_to(preview: Preview) -> None:
    root = preview.project.root
    assert preview.relevant(root / POST)
    assert preview.relevant(root / "communes/ha_noi/phuong_hoan_kiem.yml")
    assert preview.relevant(root / "content/ha_noi/_province/thong-bao/x.md")
    assert not preview.relevant(root / "content/ha_noi/phuong_khac/thong-bao/x.md")
    assert not preview.relevant(root / "communes/ha_noi/phuong_khac.yml")
    assert not preview.relevant(root / "content/ha_noi/phuong_hoan_kiem/thong-bao/.x.md.swp")
    assert not preview.relevant(root / "content/ha_noi/phuong_hoan_kiem/thong-bao/x.md~")
    watched = dict(preview.watched())
    assert watched[root / "communes/ha_noi"] is False


def test_a_taken_port_is_a_clear_error(preview: Preview) -> None:
    port = int(preview.url.rsplit(":", 1)[1][:-1])
    other = Preview(preview.project, preview.unit_file, port=port, echo=lambda line: None)
    with pytest.raises(ConfigError) as caught:
        other.start()
    other.stop()
    assert "port unavailable" in caught.value.problems[0].message
    assert f"--port {port + 1}" in (caught.value.problems[0].hint or "")


def test_a_unit_broken_from_the_start_still_serves_the_error(mini: Mini) -> None:
    project = mini(unit_yml='code: "00070"\n')
    lines: list[str] = []
    running = Preview(project, project.unit_files()[0], port=0, echo=lines.append)
    running.start()
    try:
        status, html = get(running.url)
        assert status == 503 and 'id="congxa-preview-error"' in html
        assert "site_url" in html and "Chưa có bản dựng nào thành công" in html
        assert any("no good build yet" in line for line in lines)
    finally:
        running.stop()


def test_cli_serve_stops_cleanly_on_ctrl_c(mini: Mini) -> None:
    project = mini(posts={"thong-bao/lich-hop.md": post()})
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from generator.cli import main; main()",
            "serve",
            "communes/ha_noi/phuong_hoan_kiem.yml",
            "--port",
            "0",
            "--today",
            "2026-11-29",
        ],
        cwd=project.root,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stderr is not None
        lines = []
        while not lines or "preview at" not in lines[-1]:
            line = process.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        url = lines[-1].split("preview at) ", 1)[1].split(" ", 1)[0]
        assert "Phường Hoàn Kiếm" in get(url)[1]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        rest = process.stderr.read()
        assert "Đã dừng xem trước (preview stopped)." in rest and "Traceback" not in rest
    finally:
        if process.poll() is None:
            process.kill()
