"""Sites that try to harm the auditor: the run completes, with a report, in bounded time and memory.

The audit runs as `congxa audit` in a child process with a memory limit and a time limit,
so a parser that loops or grows without bound fails the test instead of the machine.
"""

from __future__ import annotations

import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.audit.crawl import Fetched
from generator.audit.page import parse_page

from . import farm as f
from .conftest import HN, TIMEOUT, Case, farm_cli_args, write_registry, write_urls

MEMORY_LIMIT = 2 * 1024**3  # address space of the audit process (bytes)
RUN_LIMIT = 120.0  # seconds for the whole hostile run
PAGE_SIZE = 2 * 1024 * 1024  # the crawler's byte cap: the largest page a site can send
SLOW_HOP = 0.4  # below the per-request timeout, so only a per-site budget stops the chain
FORMULA_URL = '=HYPERLINK("http://x.example/","bấm vào đây")'


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def congxa(*args: str, timeout: float = RUN_LIMIT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from generator.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        check=False,
    )


@pytest.fixture(scope="module")
def hostile(farm: f.Farm) -> list[Case]:
    def site(code: str, name: str, status: str, host: str, handler: f.Handler) -> Case:
        return Case(code, name, "xã", HN, status, (farm.url(farm.add(host, handler)),))

    return [
        site("00090", "Xã Idna", "ok", "idna", f.charset_site("Xã Idna", header="idna")),
        site("00091", "Xã Puny", "ok", "puny", f.charset_site("Xã Puny", header="punycode")),
        site("00092", "Xã Rot", "ok", "rot", f.charset_site("Xã Rot", meta="rot13")),
        site("00093", "Xã Lạ", "ok", "odd", f.charset_site("Xã Lạ", header="x-no", meta="bogus")),
        site("00094", "Xã Sâu", "ok", "deep", f.deep_manifest_site("Xã Sâu", "00094", 200_000)),
        site("00095", "Xã Tiêu Đề", "ok", "titles", f.nested_title_site("Xã Tiêu Đề", PAGE_SIZE)),
        site("00096", "Xã Chuyển", "timeout", "hops", f.slow_redirect_site(SLOW_HOP)),
        Case("00097", "Xã Công Thức", "xã", HN, "invalid_url", (FORMULA_URL,)),
    ]


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory, hostile: list[Case], farm_files: dict[str, Path]
) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]], Path]:
    folder = tmp_path_factory.mktemp("hostile")
    registry = write_registry(folder / "registry.csv", hostile)
    urls = write_urls(folder / "urls.csv", hostile)
    args = farm_cli_args(farm_files)
    args[args.index("--registry") + 1] = str(registry)
    out = folder / "out"
    started = time.monotonic()
    done = congxa(
        "audit", "--urls", str(urls), "--db", str(folder / "a.db"), "--out", str(out), *args
    )
    elapsed = time.monotonic() - started
    assert elapsed < RUN_LIMIT
    rows: dict[str, dict[str, str]] = {}
    if (out / "results.csv").is_file():
        with (out / "results.csv").open(encoding="utf-8", newline="") as handle:
            rows = {row["code"]: row for row in csv.DictReader(handle)}
    return done, rows, out


def test_the_run_completes_with_its_report(
    run: tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]], Path],
    hostile: list[Case],
) -> None:
    done, rows, out = run
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr + done.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "index.html",
        "indicators.csv",
        "indicators.json",
        "results.csv",
    ]
    assert sorted(rows) == sorted(c.code for c in hostile)


@pytest.mark.parametrize("index", range(8))
def test_each_hostile_site_gets_its_status(
    run: tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]], Path],
    hostile: list[Case],
    index: int,
) -> None:
    case = hostile[index]
    row = run[1][case.code]
    assert (case.name, row["status"]) == (case.name, case.status), row["detail"]


def test_a_slow_redirect_chain_stops_at_the_site_budget(
    run: tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]], Path],
) -> None:
    row = run[1]["00096"]
    budget = 3 * TIMEOUT  # the default: 3 × --timeout
    assert row["status"] == "timeout"
    # Each hop answers within --timeout, so only the site's budget ends the chain (a hop
    # slowed past --timeout by a loaded machine ends it sooner, with the same status).
    assert float(row["elapsed_s"]) < budget + 0.5, row


def test_an_unreadable_manifest_is_judged_from_the_html(
    run: tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]], Path],
) -> None:
    row = run[1]["00094"]
    assert row["congxa"] == "0" and "site.json unreadable" in row["detail"]


def test_csv_cells_cannot_be_formulas(
    run: tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]], Path],
) -> None:
    row = run[1]["00097"]
    assert row["url"] == "'" + FORMULA_URL
    for name in ("results.csv", "indicators.csv"):
        with (run[2] / name).open(encoding="utf-8", newline="") as handle:
            for cells in csv.reader(handle):
                assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in cells), cells


@pytest.mark.parametrize(
    ("charset", "meta"),
    [("idna", None), ("punycode", None), ("rot13", None), ("utf-8\x00", None), (None, "hex")],
)
def test_any_declared_charset_decodes(charset: str | None, meta: str | None) -> None:
    head = f'<meta charset="{meta}">' if meta else ""
    body = f"{head}<title>UBND Xã Tân Lập</title>\xff".encode("utf-8", "surrogateescape")
    text = Fetched("http://x.vn/", "response", charset=charset, body=body).text()
    assert "UBND Xã Tân Lập" in text


HOSTILE_PAGES = {
    "nested titles": "<title>UBND Xã A" + "<title>x" * (PAGE_SIZE // 8),
    "nested links in headings": "<h1><a href=x>a" * (PAGE_SIZE // 16),
    "unclosed comments": "<!--" * (PAGE_SIZE // 4),
    "tag starts": "<a" * (PAGE_SIZE // 2),
    "end tag starts": "</" * (PAGE_SIZE // 2),
    "processing instructions": "<?" * (PAGE_SIZE // 2),
    "deep divs": "<div>" * (PAGE_SIZE // 5),
    "one huge attribute": "<a href='" + "x" * PAGE_SIZE,
}
PAGE_SECONDS = 5.0
PAGE_MEMORY = 100 * 1024 * 1024


@pytest.mark.parametrize("kind", sorted(HOSTILE_PAGES))
def test_a_hostile_page_costs_bounded_time_and_memory(kind: str) -> None:
    """Each page is parsed in a child process that reports its time and peak memory growth."""
    code = (
        "import json, resource, sys, time\n"
        "from generator.audit.page import parse_page\n"
        "from tests.audit.test_hostile import HOSTILE_PAGES\n"
        "page = HOSTILE_PAGES[sys.argv[1]]\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
        "start = time.monotonic()\n"
        "summary = parse_page(page)\n"
        "seconds = time.monotonic() - start\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
        "print(json.dumps({'seconds': seconds, 'growth': after - before, 'title': summary.title}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, kind],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(done.stdout)
    assert measured["seconds"] < PAGE_SECONDS, measured
    assert measured["growth"] < PAGE_MEMORY, measured
    if kind == "nested titles":
        assert measured["title"].startswith("UBND Xã A")


def test_parse_page_keeps_summaries_small() -> None:
    links = "".join(f"<a href=/{i}>{'x' * 5000}</a>" for i in range(3000))
    page = parse_page(links)
    assert len(page.links) <= 2000 and all(len(link.text) <= 2000 for link in page.links)
