"""Quality you can see (issue 7): the demo, served by Debian's nginx with the configuration
congxa writes, checked in Debian's Chromium (playwright-core) and by the Nu HTML Checker.

One browser run (run.mjs) visits every page once and writes a JSON report; each test below
asserts one property of it, so a failure names the page and the rule. Screenshots (360×740
and 1280×800), a PDF of the print view and search screenshots land in test-artifacts/.

A missing browser, Node package or Java skips these tests locally, with one closing line
naming the install command (tests/tools.py); in CI (CI=true) it fails.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from generator.publish.nginx import (
    write_nginx_conf,
)
from generator.source.project import Project
from tests.nginx_runner import local_tls, nginx_binary, running_nginx
from tests.tools import missing

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("CONGXA_CHROMIUM", "/usr/bin/chromium")
VNU_JAR = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
UNIT = "phuong_hoan_kiem"
UNIT_HOST = "phuonghoankiem.hanoi.gov.vn"
OTHER_UNIT_HOST = "phuongbadinh.hanoi.gov.vn"
PROVINCE_HOST = "hanoi.gov.vn"
POST = "thong-bao/phong-chong-sot-xuat-huyet-mua-cao-diem/"

# Every page type a unit site has, plus the province page. A new page type joins here.
PAGES = {
    "home": "",
    "section": "thong-bao/",
    "post": POST,
    "documents": "van-ban/",
    "document": "van-ban/qd-215-qd-ubnd-quy-che-tiep-cong-dan/",
    "contacts": "lien-he/",
    "essential": "thong-tin-thiet-yeu/",
    "english": "en/",
    "feeds": "nhan-tin/",
}
# (name, host, query, a path the results must link to)
SEARCHES = [
    ("accented", UNIT_HOST, "phòng chống sốt xuất huyết", POST),
    ("folded", UNIT_HOST, "phong chong sot xuat huyet", POST),
    ("half-folded", UNIT_HOST, "phòng chong sot xuất huyet", POST),
    ("folded-body", OTHER_UNIT_HOST, "tiem chung", "thong-bao/phong-chong-benh-soi-o-tre-em/"),
    ("accented-body", OTHER_UNIT_HOST, "tiêm chủng", "thong-bao/phong-chong-benh-soi-o-tre-em/"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    port: int  # https
    http_port: int
    access_log: Path
    spki: list[str]  # the servers' public keys, which the browser is told to trust


def spki_hash(chain: Path) -> str:
    """base64 SHA-256 of a certificate's public key, as Chromium's SPKI allow-list takes it."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    cert = x509.load_pem_x509_certificate(chain.read_bytes())
    der = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.fixture(scope="module")
def served(demo_public: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo province behind a real nginx on 127.0.0.1, with congxa's nginx.conf as it is
    written for production (https, HSTS, CSP), certificates from a throwaway CA."""
    if nginx_binary() is None:
        missing("nginx is not installed", "apt-get install nginx")
    port, http_port = free_port(), free_port()
    work = tmp_path_factory.mktemp("nginx")
    hosts = [
        urlsplit(json.loads(m.read_text(encoding="utf-8"))["site_url"]).hostname or ""
        for m in sorted((demo_public / "ha_noi").glob("*/site.json"))
    ]
    tls, _ = local_tls(work / "certs", [*hosts, PROVINCE_HOST], f"127.0.0.1:{port}")
    project = Project.discover(REPO)
    conf = write_nginx_conf(
        project, demo_public, "ha_noi", listen=f"127.0.0.1:{http_port}", tls=tls
    )
    prefix = work / "prefix"
    spki = sorted({spki_hash(tls.certificate(h)) for h in [*hosts, PROVINCE_HOST]})
    with running_nginx(conf, prefix, port):
        yield Served(port, http_port, prefix / "access.log", spki)


@pytest.fixture(scope="module")
def report(served: Served, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        missing("node is not installed", "apt-get install nodejs npm")
    if not Path(CHROMIUM).is_file():
        missing(f"Chromium not found at {CHROMIUM}", "apt-get install chromium")
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        missing(
            "npm packages missing",
            "(cd tests/browser && npm ci --ignore-scripts)",
        )
    port = served.port
    base = f"https://{UNIT_HOST}:{port}/"
    pages = [
        {
            "name": name,
            "url": base + path,
            "unit": True,
            "pdf": name == "post",
            "stress": name == "documents",
        }
        for name, path in PAGES.items()
    ]
    pages.append({"name": "province", "url": f"https://{PROVINCE_HOST}:{port}/", "unit": False})
    work = tmp_path_factory.mktemp("browser")
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    config = {
        "executable": CHROMIUM,
        "hosts": [UNIT_HOST, OTHER_UNIT_HOST, PROVINCE_HOST],
        "pages": pages,
        "searches": [
            {"name": n, "url": f"https://{h}:{port}/", "query": q, "expect": e}
            for n, h, q, e in SEARCHES
        ],
        "weight": {
            "post": base + POST,
            "warm": base,
            "other": base + "thong-bao/tap-huan-phong-chay-chua-chay-ho-kinh-doanh/",
        },
        "spki": served.spki,
        "artifacts": str(ARTIFACTS),
        "output": str(work / "report.json"),
    }
    (work / "config.json").write_text(json.dumps(config), encoding="utf-8")
    run = subprocess.run(
        [node, str(HERE / "run.mjs"), str(work / "config.json")],
        cwd=HERE,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    data: dict[str, Any] = json.loads((work / "report.json").read_text(encoding="utf-8"))
    (ARTIFACTS / "report.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return data


ALL_PAGES = [*PAGES, "province"]
UNIT_PAGES = list(PAGES)


@pytest.mark.parametrize("name", ALL_PAGES)
def test_page_loads_in_vietnamese(report: dict[str, Any], name: str) -> None:
    page = report["pages"][name]
    assert page["status"] == 200
    assert page["lang"] == "vi"
    if name == "english":
        # WCAG 3.1.2: the English text says so, so screen readers switch voice.
        assert "en" in page["langParts"]


@pytest.mark.parametrize("name", ALL_PAGES)
def test_axe_wcag21_aa_has_no_violations(report: dict[str, Any], name: str) -> None:
    assert report["pages"][name]["axe"] == []


@pytest.mark.parametrize("name", ALL_PAGES)
def test_html_codesniffer_wcag2aa_has_no_errors(report: dict[str, Any], name: str) -> None:
    assert report["pages"][name]["htmlcs"] == []


@pytest.mark.parametrize("name", UNIT_PAGES)
def test_keyboard_reaches_search_and_every_menu(report: dict[str, Any], name: str) -> None:
    keyboard = report["pages"][name]["keyboard"]
    assert keyboard["skipLinkFirst"], "the first Tab stop must be the skip link"
    assert keyboard["search"], "Tab never reached the search box"
    assert keyboard["menu"] >= 12, "the primary menu lists every section"
    assert keyboard["menuMissed"] == []
    assert keyboard["noRing"] == [], "focused elements without a visible focus indicator"


@pytest.mark.parametrize("name", UNIT_PAGES)
def test_phone_reaches_menu_and_search_by_keyboard(report: dict[str, Any], name: str) -> None:
    keyboard = report["pages"][name]["mobile"]["keyboard"]
    assert keyboard["search"], "Tab never reached a visible search box at 360 px"
    assert keyboard["menuMissed"] == []
    assert keyboard["hiddenFocus"] == [], "focus went to elements off screen at 360 px"


@pytest.mark.parametrize("name", ALL_PAGES)
def test_no_horizontal_scrolling_at_360px(report: dict[str, Any], name: str) -> None:
    mobile = report["pages"][name]["mobile"]
    assert mobile["scroll"] <= mobile["width"] == 360, mobile["offenders"]


TABLE_PAGES = ["documents", "essential", "contacts"]


@pytest.mark.parametrize("name", TABLE_PAGES)
def test_table_rows_read_as_labelled_blocks_on_a_phone(report: dict[str, Any], name: str) -> None:
    cells = [c for c in report["pages"][name]["mobile"]["cells"] if c["display"] != "none"]
    assert cells, "no data table on the page"
    for cell in cells:
        # One cell per line, as wide as the card (the issue: one word per line before).
        assert cell["display"] == "block", cell
        assert cell["width"] >= 280, cell
        assert cell["before"] == json.dumps(cell["label"], ensure_ascii=False), cell


def test_no_document_number_or_title_pushes_the_table_out(report: dict[str, Any]) -> None:
    """A 150-character number and a 200-character title without spaces, put into the first
    row in the browser: the table still fits its column, at 360 px and on a desktop."""
    page = report["pages"]["documents"]
    for stress in (page["stress"], page["mobile"]["stress"]):
        assert stress["scroll"] <= stress["width"], stress["offenders"]
        assert stress["right"] <= stress["contentRight"], stress


@pytest.mark.parametrize("name", TABLE_PAGES)
def test_tables_have_borders_and_a_styled_header_on_desktop(
    report: dict[str, Any], name: str
) -> None:
    cells = report["pages"][name]["cells"]
    assert cells
    for cell in cells:
        assert cell["display"] == "table-cell", cell
        assert cell["border"] >= 1, cell
        assert cell["before"] == "none", cell
        assert cell["headerBackground"] not in ("rgba(0, 0, 0, 0)", "transparent"), cell


def test_priority_and_date_cells_read_on_one_line_on_desktop(report: dict[str, Any]) -> None:
    """A badge or a date is never broken inside ("Thườn/g", "24/11/20/26")."""
    from generator.site.pages import ESSENTIAL_COLUMNS

    whole = {ESSENTIAL_COLUMNS[0], ESSENTIAL_COLUMNS[-1]}
    cells = [c for c in report["pages"]["essential"]["cells"] if c["label"] in whole]
    assert cells
    assert all(c["lines"] == 1 for c in cells), cells


@pytest.mark.parametrize("name", UNIT_PAGES)
def test_print_hides_navigation_and_shows_url_and_date(report: dict[str, Any], name: str) -> None:
    printed = report["pages"][name]["print"]
    assert printed["navShown"] == []
    assert printed["metaShown"]
    url = f"https://{UNIT_HOST}/{PAGES[name]}"
    assert printed["metaText"].startswith(url + " · ")
    date = printed["metaText"].rsplit(" · ", 1)[1]
    assert len(date) == 10 and date[4] == "-" and date[7] == "-", printed["metaText"]


@pytest.mark.parametrize("name", ALL_PAGES)
def test_no_request_leaves_the_host_and_no_script_is_blocked(
    report: dict[str, Any], name: str
) -> None:
    page = report["pages"][name]
    for view in (page, page["mobile"]):
        assert view["offHost"] == []
        assert view["csp"] == [], "Content-Security-Policy violations"
        assert view["errors"] == []


@pytest.mark.parametrize("name", ALL_PAGES)
def test_screenshots_saved(report: dict[str, Any], name: str) -> None:
    for size in ("360x740", "1280x800"):
        shot = ARTIFACTS / f"{name}-{size}.png"
        assert shot.is_file() and shot.stat().st_size > 5000


@pytest.mark.parametrize("case", [s[0] for s in SEARCHES])
def test_search_finds_post_with_and_without_diacritics(report: dict[str, Any], case: str) -> None:
    result = next(s for s in report["search"] if s["name"] == case)
    assert result["found"], (result["query"], result["titles"], result["hrefs"][:5])


def test_search_results_keep_their_diacritics(report: dict[str, Any]) -> None:
    folded = next(s for s in report["search"] if s["name"] == "folded")
    assert any("sốt xuất huyết" in t.lower() for t in folded["titles"]), folded["titles"]


def test_post_weight_cold_and_cached(report: dict[str, Any]) -> None:
    weight = report["weight"]
    assert weight["offHost"] == []
    assert weight["cold"]["total"] < 150_000, sorted(
        weight["cold"]["requests"], key=lambda r: -r["bytes"]
    )[:8]
    assert weight["cached"]["total"] < 30_000, weight["cached"]["requests"]


def test_html_is_valid_per_nu_checker(report: dict[str, Any], demo_public: Path) -> None:
    java = shutil.which("java")
    if java is None:
        missing("java is not installed", "apt-get install default-jre-headless")
    if not VNU_JAR.is_file():
        missing("vnu.jar missing", "(cd tests/browser && npm ci --ignore-scripts)")
    files = [demo_public / "ha_noi" / UNIT / path / "index.html" for path in PAGES.values()]
    files.append(demo_public / "ha_noi" / "index.html")
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--format", "json", "--errors-only", *map(str, files)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(run.stderr or '{"messages": []}')["messages"]
    errors = [
        f"{Path(m.get('url', '')).parent.name}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == []


def test_browsing_every_page_type_leaves_no_error_in_the_access_log(
    report: dict[str, Any], served: Served
) -> None:
    """Every request the browser made (pages, assets, search index, Material's sitemap
    lookups) was answered: no 4xx or 5xx in nginx's log."""
    lines = served.access_log.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 50
    failed = [line for line in lines if re.search(r'" [45]\d\d ', line)]
    assert failed == []


def test_pages_are_served_over_https_with_hsts(report: dict[str, Any]) -> None:
    for name, page in report["pages"].items():
        assert page["url"].startswith("https://"), name
        assert page["headers"].get("strict-transport-security") == "max-age=31536000", name
        assert "script-src 'self'" in page["headers"].get("content-security-policy", ""), name
