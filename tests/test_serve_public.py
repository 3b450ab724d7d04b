"""`congxa serve --public [DIR]`: browse a built public/ folder on 127.0.0.1, province page
first, with its links to the units working (generator/publish/local.py)."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.publish.local import PublicServer


def get(url: str, path: str) -> tuple[int, str]:
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, body


@pytest.fixture(scope="module")
def server(demo_public: Path) -> Iterator[str]:
    running = PublicServer(demo_public, port=0)
    running.start()
    try:
        yield running.url
    finally:
        running.stop()


def test_root_lists_the_built_provinces(server: str) -> None:
    status, body = get(server, "/")
    assert status == 200 and 'href="ha_noi/"' in body and 'lang="vi"' in body


def test_province_page_links_lead_to_each_unit_site(server: str, demo_public: Path) -> None:
    status, body = get(server, "/ha_noi/")
    assert status == 200
    links = re.findall(r'<a href="\./([^"/]+)/">', body)
    published = sorted(p.parent.name for p in (demo_public / "ha_noi").glob("*/site.json"))
    assert sorted(links) == published
    for folder in links:
        status, page = get(server, f"/ha_noi/{folder}/")
        assert status == 200, folder
        # The page's own relative links work the same way: its stylesheet and a section.
        css = re.search(r'href="(assets/stylesheets/congxa\.css)"', page)
        assert css and get(server, f"/ha_noi/{folder}/{css[1]}")[0] == 200
        assert get(server, f"/ha_noi/{folder}/van-ban/")[0] == 200


@pytest.mark.parametrize(
    "path",
    [
        "/ha_noi/nginx.conf",
        "/ha_noi/.congxa/",
        "/ha_noi/phuong_hoan_kiem/assets/",  # a folder without index.html: no listing
        "/ha_noi/../../etc/passwd",
        "/khong-co/",
    ],
)
def test_no_listing_no_build_state_nothing_outside(server: str, path: str) -> None:
    status, body = get(server, path)
    assert status == 404 and "Không tìm thấy" in body


@pytest.mark.parametrize(
    ("path", "host", "status"),
    [
        ("/ha_noi/", "evil.example", 421),  # DNS rebinding: another site's name for 127.0.0.1
        ("/ha_noi/", "127.0.0.1.evil.example", 421),
        ("/%00", None, 400),
        ("/ha_noi/%00/index.html", None, 400),
        ("/ha_noi/%1b", None, 400),
        ("/ha_noi/%ff/", None, 400),
    ],
)
def test_foreign_hosts_and_bad_paths_are_refused_cleanly(
    server: str, path: str, host: str | None, status: int
) -> None:
    port = int(server.rstrip("/").rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.putrequest("GET", path, skip_host=host is not None)
    if host is not None:
        connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == status
    assert response.read().startswith(str(status).encode())
    connection.close()
    assert get(server, "/ha_noi/")[0] == 200  # and the server still answers


def test_a_link_out_of_the_folder_is_not_followed(demo_public: Path, tmp_path: Path) -> None:
    root = tmp_path / "public"
    shutil.copytree(demo_public / "ha_noi" / "feeds", root / "x" / "feeds")
    (root / "x" / "index.html").write_text("<p>x</p>", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", encoding="utf-8")
    (root / "x" / "secret.txt").symlink_to(outside)
    running = PublicServer(root, port=0)
    running.start()
    try:
        assert get(running.url, "/x/secret.txt")[0] == 404
        assert get(running.url, "/x/feeds/rss.xml")[0] == 200
    finally:
        running.stop()


def test_cli_serves_the_folder_until_interrupted(demo_public: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--public", str(demo_public), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        assert get(url[0], "/ha_noi/")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
