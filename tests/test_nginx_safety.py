"""nginx.conf from validated parts only, and uploads that never run (issue 17, classes 3, 4).

The generated file is parsed by crossplane (a real nginx-config parser) and compared with
the server blocks expected from the published units; Debian's nginx must accept it
(`nginx -t`) and, served, must send uploads as downloads and refuse uploaded scripts and
pages. Hostile values are written where they can reach the file: a hand-edited or old
`site.json`, a folder name, and a commune file.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import crossplane
import pytest

from generator.errors import ConfigError
from generator.publish.bulk import build_many
from generator.publish.nginx import Tls, nginx_conf, write_nginx_conf
from generator.source.commune import load_unit
from generator.source.project import Project
from generator.source.siteurl import normalise_site_url
from tests.conftest import UNIT_YML, post
from tests.nginx_runner import local_tls, main_conf, nginx_binary, running_nginx
from tests.tools import missing

HOST = "phuonghoankiem.example.gov.vn"
# Each would add a live server block (autoindex of the whole disk) if echoed into the file.
INJECTIONS = [
    "https://evil.example.gov.vn/\nserver { listen 80; location / { root /; autoindex on; } }\n#",
    "https://evil.example.gov.vn/\r\n}\nserver { listen 80; root /; autoindex on; \n",
    "https://evil.example.gov.vn/x;\n    autoindex on;",
    "https://evil.example.gov.vn/\u2028server { root /; }",
]
# Directives congxa writes; anything else in the parsed file was injected.
DIRECTIVES = {
    "server",
    "listen",
    "server_name",
    "root",
    "default_type",
    "index",
    "charset",
    "charset_types",
    "disable_symlinks",
    "server_tokens",
    "gzip",
    "gzip_vary",
    "gzip_proxied",
    "gzip_comp_level",
    "gzip_min_length",
    "gzip_types",
    "error_page",
    "location",
    "try_files",
    "add_header",
    "return",
    "ssl_certificate",
    "ssl_certificate_key",
    "ssl_protocols",
    "ssl_session_cache",
    "ssl_session_timeout",
    "types",
    "application/rss+xml",  # crossplane reads a `types` block's entries as directives
    "application/atom+xml",
    "#",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def parse(conf: Path) -> list[dict[str, Any]]:
    payload = crossplane.parse(str(conf), comments=True, single=True, check_ctx=False)
    assert payload["status"] == "ok", payload["errors"]
    parsed: list[dict[str, Any]] = payload["config"][0]["parsed"]
    return parsed


def walk(blocks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for block in blocks:
        yield block
        yield from walk(block.get("block", []))


def servers(parsed: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = {}
    for block in parsed:
        if block["directive"] == "server":
            names = [d["args"] for d in block["block"] if d["directive"] == "server_name"]
            assert len(names) == 1
            found[" ".join(names[0])] = block
    return found


def nginx_accepts(conf: Path, prefix: Path) -> None:
    binary = nginx_binary()
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is not installed (CI=true: .ci/run installs it)")
        missing("nginx is not installed", "apt-get install nginx")
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    main = prefix / "main.conf"
    main.write_text(main_conf(conf, prefix), encoding="utf-8")
    run = subprocess.run(
        [binary, "-t", "-q", "-c", str(main), "-p", str(prefix)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr


@pytest.fixture
def published(mini: Callable[..., Project], tmp_path: Path) -> tuple[Project, Path]:
    project = mini(posts={"thong-bao/a.md": post()})
    out = tmp_path / "public"
    summary = build_many(project, project.unit_files(), out, jobs=1)
    assert not summary.failed
    return project, out


@pytest.fixture
def tls(tmp_path: Path) -> Tls:
    """Certificates for the hosts the hostile tests expect to be served."""
    return local_tls(tmp_path / "certs", [HOST, "ha-noi.localhost"])[0]


@pytest.mark.parametrize("site_url", INJECTIONS)
def test_commune_file_site_url_with_newlines_is_an_error(
    mini: Callable[..., Project], site_url: str
) -> None:
    text = UNIT_YML.replace(
        f"site_url: https://{HOST}/", "site_url: " + json.dumps(site_url, ensure_ascii=False)
    )
    project = mini(unit_yml=text)
    with pytest.raises(ConfigError) as caught:
        load_unit(project.unit_files()[0], project.registry)
    [problem] = caught.value.problems
    assert problem.field == "site_url" and problem.line == 2


@pytest.mark.parametrize("site_url", INJECTIONS)
def test_hostile_site_json_never_becomes_directives(
    published: tuple[Project, Path], tmp_path: Path, site_url: str, tls: Tls
) -> None:
    project, out = published
    # A second published unit whose site.json was edited by hand (or by an old version).
    good = out / "ha_noi" / "phuong_hoan_kiem"
    evil = out / "ha_noi" / "phuong_khac"
    shutil.copytree(good, evil, symlinks=False)
    manifest = json.loads((evil / "site.json").read_text(encoding="utf-8"))
    manifest["site_url"] = site_url
    (evil / "site.json").write_text(json.dumps(manifest), encoding="utf-8")
    conf = write_nginx_conf(project, out, "ha_noi", tls=tls)
    parsed = parse(conf)
    assert set(servers(parsed)) == {HOST, "ha-noi.localhost"}
    assert {d["directive"] for d in walk(parsed)} <= DIRECTIVES
    assert not any(d["directive"] == "autoindex" for d in walk(parsed))
    roots = {d["args"][0] for d in walk(parsed) if d["directive"] == "root"}
    assert roots == {
        str(out.resolve() / "ha_noi" / good.name),
        str(out.resolve() / "ha_noi"),
        str(tls.acme_root),  # port 80: ACME challenges only
    }
    # The unit left out is named in a comment, on one line.
    notes = [d["comment"] for d in walk(parsed) if d["directive"] == "#"]
    assert any("phuong_khac" in n and "site_url" in n for n in notes)
    nginx_accepts(conf, tmp_path / "nginx")


def test_hostile_folder_name_stays_in_its_comment(
    published: tuple[Project, Path], tmp_path: Path, tls: Tls
) -> None:
    project, out = published
    name = "x\n}\nserver { listen 80; autoindex on; }\n#"
    evil = out / "ha_noi" / name
    shutil.copytree(out / "ha_noi" / "phuong_hoan_kiem", evil)
    manifest = json.loads((evil / "site.json").read_text(encoding="utf-8"))
    manifest["site_url"] = "https://khac.example.gov.vn/"
    (evil / "site.json").write_text(json.dumps(manifest), encoding="utf-8")
    text = nginx_conf(project, out, "ha_noi", tls=tls)
    conf = tmp_path / "hostile.conf"
    conf.write_text(text, encoding="utf-8")
    parsed = parse(conf)
    assert {d["directive"] for d in walk(parsed)} <= DIRECTIVES
    assert set(servers(parsed)) == {HOST, "ha-noi.localhost"}
    nginx_accepts(conf, tmp_path / "nginx")


def test_expected_server_blocks_and_headers(published: tuple[Project, Path]) -> None:
    project, out = published
    parsed = parse(write_nginx_conf(project, out, "ha_noi"))
    blocks = servers(parsed)
    assert list(blocks) == [HOST, "ha-noi.localhost"]
    for block in blocks.values():
        headers = [d["args"] for d in walk(block["block"]) if d["directive"] == "add_header"]
        policies = {a[1] for a in headers if a[0] == "Content-Security-Policy"}
        assert policies and all("frame-ancestors 'none'" in p for p in policies)
        page_policy = next(
            a[1]
            for d in block["block"]
            if d["directive"] == "location" and d["args"] == ["/"]
            for a in (x["args"] for x in d["block"] if x["directive"] == "add_header")
            if a[0] == "Content-Security-Policy"
        )
        for directive in ("object-src 'none'", "base-uri 'self'", "form-action 'self'"):
            assert directive in page_policy.split("; ")


# (path under the unit's published folder, content, expected status, download?)
UPLOADS = [
    ("files/trang.html", "<meta http-equiv=refresh content='0;url=https://evil.example/'>", 200),
    ("files/x.js", "window.pwned = 1", 200),
    ("files/a.svg", '<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', 200),
    ("thong-bao/trang.html", "<script src='x.js'></script>", 404),
    ("thong-bao/TRANG.HTM", "<script src='x.js'></script>", 404),
    ("thong-bao/x.js", "window.pwned = 1", 404),
    ("thong-bao/x.mjs", "window.pwned = 1", 404),
    ("thong-bao/index.HTML", "<script src='x.js'></script>", 404),
    ("thong-bao/x.xhtml", "<html xmlns='http://www.w3.org/1999/xhtml'/>", 404),
    ("thong-bao/x.xml", "<html xmlns='http://www.w3.org/1999/xhtml'/>", 404),
    ("tinh/files/y.html", "<script>1</script>", 200),
]


@pytest.fixture
def served(published: tuple[Project, Path], tmp_path: Path) -> Iterator[tuple[int, Path]]:
    if nginx_binary() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is not installed (CI=true: .ci/run installs it)")
        missing("nginx is not installed", "apt-get install nginx")
    project, out = published
    site = (out / "ha_noi" / "phuong_hoan_kiem").resolve()
    # Whatever reaches the published folder, the server must not let it run.
    for rel, content, _ in UPLOADS:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(content, encoding="utf-8")
    (site / "thong-bao" / "so-do.svg").write_text(UPLOADS[2][1], encoding="utf-8")
    port = free_port()
    conf = write_nginx_conf(project, out, "ha_noi", listen=f"127.0.0.1:{port}", tls=None)
    with running_nginx(conf, tmp_path / "nginx", port):
        yield port, site


def get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path, headers={"Host": HOST})
    response = connection.getresponse()
    response.read()
    return response


@pytest.mark.parametrize("rel,content,status", UPLOADS)
def test_uploads_are_downloads_or_refused(
    served: tuple[int, Path], rel: str, content: str, status: int
) -> None:
    port, _ = served
    response = get(port, "/" + rel)
    assert response.status == status
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    if status == 200:
        assert response.getheader("Content-Disposition") == "attachment"
        assert "sandbox" in (response.getheader("Content-Security-Policy") or "")


def test_svg_outside_theme_is_sandboxed_and_pages_still_work(served: tuple[int, Path]) -> None:
    port, site = served
    svg = get(port, "/thong-bao/so-do.svg")
    assert svg.status == 200
    assert "sandbox" in (svg.getheader("Content-Security-Policy") or "")
    for path in ("/", "/thong-bao/", "/thong-bao/a/", "/feeds/rss.xml", "/sitemap.xml"):
        assert get(port, path).status == 200, path
    for script in site.glob("assets/javascripts/*.js"):
        assert get(port, "/" + script.relative_to(site).as_posix()).status == 200
    missing = get(port, "/khong-co/")
    assert missing.status == 404 and missing.getheader("Content-Disposition") is None


@pytest.mark.parametrize(
    "raw,normalised",
    [
        ("https://PhuongHoanKiem.HaNoi.gov.vn", "https://phuonghoankiem.hanoi.gov.vn/"),
        ("https://xn--x-0fa.vn/trang/xa/", "https://xn--x-0fa.vn/trang/xa/"),
        ("https://a.gov.vn:8443/", None),
        ("https://user@a.gov.vn/", None),
        ("https://a.gov.vn/?q=1", None),
        ("https://a.gov.vn/#top", None),
        ("https://xã.vn/", None),
        ("https://a.gov.vn/a b/", None),
        ("https://a.gov.vn/\t", None),
        ("https://a.gov.vn/../etc/", None),
        ("https://-a.gov.vn/", None),
        ("https://a..gov.vn/", None),
        ('https://a.gov.vn/"><script>', None),
        ("http://a.gov.vn/", None),
        ("javascript://a.gov.vn/%0aalert(1)", None),
    ],
)
def test_site_url_rule(raw: str, normalised: str | None) -> None:
    assert normalise_site_url(raw) == normalised
