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
import ssl
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
from tests.nginx_runner import local_tls, nginx_binary, running_nginx
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
    return write_nginx_conf(
        Project.discover(REPO), demo_public, "ha_noi", listen="127.0.0.1:8080", tls=None
    )


@pytest.fixture(scope="module")
def port(demo_public: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if nginx_binary() is None:
        missing("nginx is not installed", "apt-get install nginx")
    number = free_port()
    work = tmp_path_factory.mktemp("serving")
    conf = write_nginx_conf(
        Project.discover(REPO), demo_public, "ha_noi", listen=f"127.0.0.1:{number}", tls=None
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
    again = nginx_conf(
        Project.discover(REPO), demo_public, "ha_noi", listen="127.0.0.1:8080", tls=None
    )
    assert again == conf.read_text(encoding="utf-8")


def test_default_is_https_on_443_and_a_redirect_on_80(demo_public: Path) -> None:
    text = nginx_conf(Project.discover(REPO), demo_public, "ha_noi")
    assert re.findall(r"listen ([^;]+);", text) == ["80", "443 ssl http2"] * 5
    hosts = [*HOSTS.values(), PROVINCE_HOST]
    # Certificates where certbot puts them, each named once in the marked TLS block.
    for host in hosts:
        chain = f"/etc/letsencrypt/live/{host}/fullchain.pem"
        assert f'ssl_certificate "{chain}";' in text
        block = text[text.index("==== TLS") : text.index("# =====", text.index("==== TLS"))]
        assert chain in block and f"-d {host}" in block
        assert f"return 301 https://{host}$request_uri;" in text


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
        ("/feeds/rss.xml", "application/rss+xml"),
        ("/feeds/atom.xml", "application/atom+xml"),
        ("/feeds/thong-bao.xml", "application/rss+xml"),
        ("/site.json", "application/json"),
        ("/search/search_index.json", "application/json"),
        ("/sitemap.xml", "text/xml"),
        ("/van-ban/", "text/html"),
    ],
)
def test_html_feeds_and_manifest_are_revalidated(port: int, path: str, kind: str) -> None:
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


# --- HTTPS, as written by default (certificates from a throwaway CA) -------------------


@pytest.fixture(scope="module")
def https(
    demo_public: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, int, ssl.SSLContext, Path]]:
    """nginx with the default (TLS) configuration: (http port, https port, client context,
    ACME webroot)."""
    if nginx_binary() is None:
        missing("nginx is not installed", "apt-get install nginx")
    work = tmp_path_factory.mktemp("https")
    plain, secure = free_port(), free_port()
    tls, ca = local_tls(work / "certs", [*HOSTS.values(), PROVINCE_HOST], f"127.0.0.1:{secure}")
    text = nginx_conf(
        Project.discover(REPO), demo_public, "ha_noi", listen=f"127.0.0.1:{plain}", tls=tls
    )
    conf = work / "ha_noi.conf"
    conf.write_text(text, encoding="utf-8")
    context = ssl.create_default_context(cafile=str(ca))
    with running_nginx(conf, work / "prefix", secure):  # nginx -t runs first
        yield plain, secure, context, tls.acme_root


def get_https(port: int, context: ssl.SSLContext, host: str, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=context)
    connection.sock = context.wrap_socket(
        socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname=host
    )
    connection.request("GET", path, headers={"Host": host, "Accept-Encoding": "gzip"})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


@pytest.mark.parametrize("host", [*HOSTS.values(), PROVINCE_HOST])
def test_https_answers_with_its_certificate_and_headers(
    https: tuple[int, int, ssl.SSLContext, Path], host: str
) -> None:
    _, secure, context, _ = https
    response = get_https(secure, context, host, "/")  # the certificate is verified for host
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert response.getheader("Cache-Control") == SHORT_CACHE
    assert_security_headers(response)
    missing_page = get_https(secure, context, host, "/khong-co/")
    assert missing_page.status == 404
    assert missing_page.getheader("Strict-Transport-Security") == "max-age=31536000"


@pytest.mark.parametrize("host", [*HOSTS.values(), PROVINCE_HOST])
def test_http_redirects_to_https_with_301(
    https: tuple[int, int, ssl.SSLContext, Path], host: str
) -> None:
    plain, secure, _, _ = https
    response = get(plain, host, "/van-ban/?trang=2")
    assert response.status == 301
    assert response.getheader("Location") == f"https://{host}:{secure}/van-ban/?trang=2"


def test_http_still_answers_acme_challenges(https: tuple[int, int, ssl.SSLContext, Path]) -> None:
    plain, _, _, acme = https
    token = acme / ".well-known" / "acme-challenge" / "abc123"
    token.parent.mkdir(parents=True, exist_ok=True)
    token.write_text("abc123.key", encoding="utf-8")
    response = get(plain, HOSTS["phuong_hoan_kiem"], "/.well-known/acme-challenge/abc123")
    assert response.status == 200 and response.body == b"abc123.key"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "path,kind",
    [
        ("/feeds/rss.xml", "application/rss+xml"),
        ("/feeds/atom.xml", "application/atom+xml"),
        ("/site.json", "application/json"),
        ("/van-ban/", "text/html"),
    ],
)
def test_https_media_types(
    https: tuple[int, int, ssl.SSLContext, Path], path: str, kind: str
) -> None:
    _, secure, context, _ = https
    response = get_https(secure, context, HOSTS["phuong_hoan_kiem"], path)
    assert response.status == 200
    assert (response.getheader("Content-Type") or "").startswith(kind)
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000"
