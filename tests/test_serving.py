"""generator/serving.py: the province's nginx.conf, served by Debian's real nginx on 127.0.0.1.

Each unit is requested by its Host header (from its site_url) and must answer with its own
site, gzip for text, the cache policy of its file type, and the security headers.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import json
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.publish.nginx import (
    LONG_CACHE,
    SHORT_CACHE,
    inline_hashes,
    nginx_conf,
    write_nginx_conf,
)
from generator.source.project import Project
from tests.nginx_runner import nginx_binary, running_nginx
from tests.tools import missing

REPO = Path(__file__).resolve().parents[1]
HOSTS = {
    "phuong_ba_dinh": "phuongbadinh.hanoi.gov.vn",
    "phuong_cua_nam": "phuongcuanam.hanoi.gov.vn",
    "phuong_hoan_kiem": "phuonghoankiem.hanoi.gov.vn",
    "xa_soc_son": "xasocson.hanoi.gov.vn",
}
PROVINCE_HOST = "hanoi.gov.vn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def conf(demo_public: Path) -> Path:
    return write_nginx_conf(Project.discover(REPO), demo_public, "ha_noi", listen="127.0.0.1:8080")


@pytest.fixture(scope="module")
def port(demo_public: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if nginx_binary() is None:
        missing("nginx is not installed", "apt-get install nginx")
    number = free_port()
    work = tmp_path_factory.mktemp("serving")
    conf = write_nginx_conf(
        Project.discover(REPO), demo_public, "ha_noi", listen=f"127.0.0.1:{number}"
    )
    # A copy: the module's own conf fixture rewrites the published one.
    copy = work / "ha_noi.conf"
    shutil.copy(conf, copy)
    with running_nginx(copy, work / "prefix", number):
        yield number


def get(port: int, host: str, path: str, gzip_ok: bool = True) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {"Host": host}
    if gzip_ok:
        headers["Accept-Encoding"] = "gzip"
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def body(response: http.client.HTTPResponse) -> str:
    data: bytes = response.body  # type: ignore[attr-defined]
    if response.getheader("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def assert_security_headers(response: http.client.HTTPResponse) -> None:
    policy = response.getheader("Content-Security-Policy") or ""
    assert "default-src 'self'" in policy
    assert re.search(r"script-src 'self'(;| 'sha256-)", policy), policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    for directive in (
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy.split("; "), (directive, policy)
    assert response.getheader("X-Frame-Options") == "DENY"
    assert "http" not in policy, "no third-party origin"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "strict-origin-when-cross-origin"


def test_conf_has_one_server_per_unit_host_and_the_province(conf: Path, demo_public: Path) -> None:
    text = conf.read_text(encoding="utf-8")
    names = re.findall(r"^\s*server_name (\S+);", text, re.MULTILINE)
    assert names == [*HOSTS.values(), PROVINCE_HOST]
    roots = re.findall(r'^\s*root "([^"]+)";', text, re.MULTILINE)
    # The root is the published symlink itself, so a newly published version is live at once.
    assert roots[:4] == [str(demo_public.resolve() / "ha_noi" / unit) for unit in HOSTS]
    assert all(Path(r).is_symlink() for r in roots[:4])
    assert text.count("listen 127.0.0.1:8080;") == 5
    assert "disable_symlinks off;" in text and "gzip on;" in text


def test_conf_is_byte_identical_across_runs(conf: Path, demo_public: Path) -> None:
    again = nginx_conf(Project.discover(REPO), demo_public, "ha_noi", listen="127.0.0.1:8080")
    assert again == conf.read_text(encoding="utf-8")


def test_default_listen_is_port_80(demo_public: Path) -> None:
    text = nginx_conf(Project.discover(REPO), demo_public, "ha_noi")
    assert set(re.findall(r"listen (\S+);", text)) == {"80"}


def test_nginx_accepts_the_conf(conf: Path, tmp_path: Path) -> None:
    if nginx_binary() is None:
        missing("nginx is not installed", "apt-get install nginx")
    main = tmp_path / "main.conf"
    main.write_text(
        f"events {{}}\nhttp {{ include /etc/nginx/mime.types; include {conf}; }}\n"
        f"pid {tmp_path}/pid;\nerror_log {tmp_path}/error.log;\n"
    )
    check = subprocess.run(
        [str(nginx_binary()), "-t", "-c", str(main), "-p", str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("unit", list(HOSTS))
def test_each_unit_answers_on_its_own_host(port: int, demo_public: Path, unit: str) -> None:
    response = get(port, HOSTS[unit], "/")
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Vary") == "Accept-Encoding"
    assert response.getheader("Cache-Control") == SHORT_CACHE
    assert_security_headers(response)
    manifest = json.loads((demo_public / "ha_noi" / unit / "site.json").read_text())
    assert f"<title>{manifest['name']}" in body(response)


def test_fingerprinted_assets_are_cached_for_a_year(port: int, demo_public: Path) -> None:
    site = demo_public / "ha_noi" / "phuong_hoan_kiem"
    assets = [
        *site.glob("assets/javascripts/bundle.*.min.js"),
        *site.glob("assets/javascripts/workers/search.*.min.js"),
        *site.glob("assets/stylesheets/main.*.min.css"),
        *site.glob("assets/stylesheets/palette.*.min.css"),
    ]
    assert len(assets) == 4
    for asset in assets:
        response = get(port, HOSTS["phuong_hoan_kiem"], "/" + asset.relative_to(site).as_posix())
        assert response.status == 200
        assert response.getheader("Cache-Control") == LONG_CACHE
        assert response.getheader("Content-Encoding") == "gzip"
        assert_security_headers(response)
        assert len(response.body) < asset.stat().st_size / 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "path,kind",
    [
        ("/feeds/rss.xml", "text/xml"),
        ("/feeds/atom.xml", "text/xml"),
        ("/site.json", "application/json"),
        ("/search/search_index.json", "application/json"),
        ("/sitemap.xml", "text/xml"),
        ("/van-ban/", "text/html"),
    ],
)
def test_html_feeds_and_manifest_have_short_cache(port: int, path: str, kind: str) -> None:
    response = get(port, HOSTS["phuong_hoan_kiem"], path)
    assert response.status == 200
    assert (response.getheader("Content-Type") or "").startswith(kind)
    assert response.getheader("Cache-Control") == SHORT_CACHE
    assert response.getheader("Content-Encoding") == "gzip"
    assert_security_headers(response)


def test_other_assets_get_an_hour_and_svg_is_gzipped(port: int) -> None:
    response = get(port, HOSTS["phuong_hoan_kiem"], "/assets/stylesheets/congxa.css")
    assert response.getheader("Cache-Control") == "public, max-age=3600"
    assert response.getheader("Content-Encoding") == "gzip"


def test_without_accept_encoding_nginx_sends_plain_text(port: int) -> None:
    response = get(port, HOSTS["phuong_hoan_kiem"], "/", gzip_ok=False)
    assert response.getheader("Content-Encoding") is None
    assert "<html" in body(response)


def test_missing_page_is_a_404_with_headers(port: int) -> None:
    response = get(port, HOSTS["phuong_hoan_kiem"], "/khong-co-trang-nay/")
    assert response.status == 404
    assert "404" in body(response)
    assert_security_headers(response)


def test_province_page_and_its_build_state(port: int, demo_public: Path) -> None:
    response = get(port, PROVINCE_HOST, "/")
    assert response.status == 200 and "units.json" in body(response)
    assert_security_headers(response)
    # Its inline <style> is allowed by hash, not by 'unsafe-inline'.
    styles, _ = inline_hashes(demo_public / "ha_noi" / "index.html")
    policy = response.getheader("Content-Security-Policy") or ""
    assert styles and all(h in policy for h in styles)
    assert get(port, PROVINCE_HOST, "/units.json").status == 200
    for hidden in ("/nginx.conf", "/.congxa/stamps/phuong_hoan_kiem.sha256", "/.congxa/"):
        assert get(port, PROVINCE_HOST, hidden).status == 404, hidden
    # The province host also serves each unit under its folder, as the province page links it.
    assert get(port, PROVINCE_HOST, "/phuong_hoan_kiem/").status == 200


def test_inline_hashes_skip_data_blocks_and_external_scripts(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text(
        '<style>a{}</style><script src="x.js"></script>'
        '<script id="__config" type="application/json">{}</script>'
        "<script>run()</script>"
    )
    styles, scripts = inline_hashes(page)
    digest = base64.b64encode(hashlib.sha256(b"a{}").digest()).decode()
    assert styles == (f"'sha256-{digest}'",)
    digest = base64.b64encode(hashlib.sha256(b"run()").digest()).decode()
    assert scripts == (f"'sha256-{digest}'",)
