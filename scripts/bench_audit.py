"""Benchmark the coverage audit on a loopback farm of every official unit (3,321).

One aiohttp server in its own process answers for every unit by Host header
(`u<code>.bench.test`, pinned to 127.0.0.1 with --resolve, DNS off). The mix: 5% of sites
answer only after the timeout, a few per cent fail (404, 500, a web server's default page,
a closed port, a name that does not resolve), the rest are good sites, half congxa-built
(page + site.json) and half hand-made (page + RSS feed). The audit runs end to end through
`congxa audit` (crawl, classify, SQLite, report).

The peer is `curl --parallel --parallel-max N` over the same URL list, with the same
timeout, the same concurrency and the same retry policy (one retry of timeouts and
refused connections, one second apart), fetching only the home pages: what an IT person
would reach for. The target is congxa's full audit within 1.3 × curl's fetch-only time.
URLs whose names congxa refuses without a lookup (DNS off) are left out of curl's list,
which only makes curl's share smaller. A sequential urllib loop is kept as the naive
baseline, stopped after a time budget and projected.

    python scripts/bench_audit.py                     # every unit, 5% slow sites, 5 s timeout
    python scripts/bench_audit.py --good-only 1000    # 1,000 good sites only
    python scripts/bench_audit.py --timeout 1         # quicker, for a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import multiprocessing
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.audit.commands import audit_command
from generator.source.registry import load_registry

DOMAIN = "bench.test"
SECTIONS = (
    "Giới thiệu",
    "Tin tức",
    "Thông báo",
    "Chỉ đạo điều hành",
    "Văn bản",
    "Thủ tục hành chính",
    "Phổ biến pháp luật",
    "Quy hoạch kế hoạch",
    "Dự án đầu tư",
    "Lấy ý kiến",
    "Công khai",
    "Liên hệ",
)
IDS = (
    "gioi-thieu",
    "tin-tuc",
    "thong-bao",
    "chi-dao-dieu-hanh",
    "van-ban",
    "thu-tuc-hanh-chinh",
    "pho-bien-phap-luat",
    "quy-hoach-ke-hoach",
    "du-an-dau-tu",
    "lay-y-kien",
    "cong-khai",
    "lien-he",
)


def kind_of(index: int) -> str:
    """Deterministic mix, spread evenly through the list (so a sample sees it too)."""
    slot = index % 100
    if slot < 5:
        return "slow"  # 5%
    if slot < 7:
        return "notfound"
    if slot == 7:
        return "error"
    if slot == 8:
        return "nginx"
    if slot == 9:
        return "closed"
    if slot == 10:
        return "nodns"
    return "congxa" if index % 2 else "handmade"


# -- the farm (runs in its own process) ---------------------------------------------------
def serve(
    sites: dict[str, tuple[str, str, str]],
    delay: float,
    port_out: multiprocessing.connection.Connection,
) -> None:
    from aiohttp import web

    updated = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    nav = "".join(f'<li><a href="/{i}/">{t}</a></li>' for i, t in zip(IDS, SECTIONS))

    async def handle(request: web.Request) -> web.StreamResponse:
        site = sites.get(request.host.rsplit(":", 1)[0])
        if site is None:
            return web.Response(status=421)
        kind, code, name = site
        if kind == "slow":
            await asyncio.sleep(delay)
        if kind == "notfound":
            return web.Response(status=404, text="not found")
        if kind == "error":
            return web.Response(status=500, text="error")
        if kind == "nginx":
            return web.Response(
                text="<title>Welcome to nginx!</title><h1>Welcome to nginx!</h1>",
                content_type="text/html",
            )
        if request.path == "/site.json":
            return web.json_response(
                {
                    "schema": "congxa-site/1",
                    "code": code,
                    "name": name,
                    "updated": updated,
                    "sections": [{"id": i} for i in IDS],
                    "conformance": {"profile": "nd42-2022", "missing": [], "empty": []},
                }
            )
        if request.path == "/rss.xml":
            return web.Response(
                text=(
                    '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
                    f"<title>a</title><pubDate>{datetime.now(UTC):%a, %d %b %Y %H:%M:%S +0000}"
                    "</pubDate></item></channel></rss>"
                ),
                content_type="application/rss+xml",
            )
        head = (
            '<meta name="generator" content="congxa 0.1.0">'
            if kind == "congxa"
            else '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        )
        return web.Response(
            text=f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>UBND {name}'
            f"</title>{head}</head><body><h1>{name}</h1><nav><ul>{nav}</ul></nav>"
            f"<main><p>{'Tin tức mới. ' * 80}</p></main></body></html>",
            content_type="text/html",
        )

    async def main() -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        port_out.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the peer: curl --parallel ------------------------------------------------------------
def curl_peer(
    urls: list[tuple[str, str]], timeout: float, concurrency: int, folder: Path
) -> tuple[int, float, Counter[str]]:
    """curl fetching every home page, `concurrency` at a time; (count, seconds, HTTP codes)."""
    listed = [url for _code, url in urls if f".{DOMAIN}:" in url]
    config = folder / "curl.conf"
    lines = [
        "parallel",
        f"parallel-max = {concurrency}",
        f"max-time = {timeout}",
        f"connect-timeout = {timeout}",
        "retry = 1",
        "retry-delay = 1",
        "retry-connrefused",
        "silent",
        # Every name of the farm goes to 127.0.0.1, port kept: one rule, no DNS.
        'connect-to = "::127.0.0.1:"',
        'write-out = "%{http_code}\\n"',
        'user-agent = "curl-peer"',
    ]
    for url in listed:
        lines += [f'url = "{url}"', 'output = "/dev/null"']
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run(
        ["curl", "--config", str(config)], capture_output=True, text=True, check=False
    )
    spent = time.monotonic() - started
    codes = Counter(done.stdout.split())
    return len(listed), spent, codes


# -- the naive baseline: one request at a time -------------------------------------------
def peer(
    urls: list[tuple[str, str]], port: int, timeout: float, budget: float
) -> tuple[int, float, Counter[str]]:
    """Sequential urllib GETs (Host header set, the name pinned by hand), stopped at `budget`."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    done = 0
    for _code, url in urls:
        if time.monotonic() - started > budget:
            break
        host_port = url.split("/")[2]
        host, _, url_port = host_port.partition(":")
        if not host.endswith(DOMAIN):
            outcomes["dns_error"] += 1
            done += 1
            continue
        request = urllib.request.Request(
            f"http://127.0.0.1:{url_port}/", headers={"Host": host_port}
        )
        try:
            with opener.open(request, timeout=timeout) as response:
                response.read(2 * 1024 * 1024)
                outcomes["ok"] += 1
        except urllib.error.HTTPError:
            outcomes["http_error"] += 1
        except TimeoutError:
            outcomes["timeout"] += 1
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            outcomes["timeout" if isinstance(reason, TimeoutError) else "connection_error"] += 1
        done += 1
    return done, time.monotonic() - started, outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=5.0, help="per request (spec: 5 s)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--naive-budget", type=float, default=15.0, help="seconds for the naive urllib loop"
    )
    parser.add_argument(
        "--good-only", type=int, default=0, metavar="N", help="only N good sites (no failures)"
    )
    parser.add_argument("--keep", type=Path, help="keep the database and report here")
    args = parser.parse_args()

    units = list(load_registry().units.values())
    kinds = [kind_of(i) for i in range(len(units))]
    if args.good_only:
        units = units[: args.good_only]
        kinds = ["congxa" if i % 2 else "handmade" for i in range(len(units))]
    closed = closed_port()
    sites: dict[str, tuple[str, str, str]] = {}
    urls: list[tuple[str, str]] = []
    for unit, kind in zip(units, kinds, strict=True):
        # Names outside the pinned domain do not resolve: DNS is off (--no-dns).
        host = f"u{unit.code}.{'unpinned.example' if kind == 'nodns' else DOMAIN}"
        sites[host] = (kind, unit.code, unit.name)
        urls.append((unit.code, f"http://{host}:{{port}}/"))
    pipe_in, pipe_out = multiprocessing.Pipe(duplex=False)
    # The slow sites answer well after the timeout: the crawler must give up, not wait.
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(sites, args.timeout * 3, pipe_out), daemon=True
    )
    server.start()
    port = pipe_in.recv()
    urls = [
        (code, url.format(port=closed if kinds[i] == "closed" else port))
        for i, (code, url) in enumerate(urls)
    ]
    mix = Counter(kinds)
    print(f"farm: {len(units)} sites on 127.0.0.1:{port}; mix {dict(sorted(mix.items()))}")

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    folder.mkdir(parents=True, exist_ok=True)
    url_file = folder / "urls.csv"
    with url_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "url"])
        writer.writerows(urls)
    db = folder / "audit.db"
    db.unlink(missing_ok=True)
    cli = [
        "--urls",
        str(url_file),
        "--db",
        str(db),
        "--out",
        str(folder / "out"),
        "--timeout",
        str(args.timeout),
        "--concurrency",
        str(args.concurrency),
        "--resolve",
        f"*.{DOMAIN}:127.0.0.1",
        "--no-dns",
        "--allow-private",
    ]
    print("congxa audit " + " ".join(cli))
    started = time.monotonic()
    code = audit_command.main(cli, standalone_mode=False, prog_name="congxa audit")
    elapsed = time.monotonic() - started
    print(
        f"congxa audit: {len(units)} units in {elapsed:.1f} s = {len(units) / elapsed:.0f} units/s"
        f" (exit {code})"
    )

    target = 1.3
    if shutil.which("curl"):
        fetched, curl_s, codes = curl_peer(urls, args.timeout, args.concurrency, folder)
        ratio = elapsed / curl_s
        verdict = "met" if ratio <= target else "NOT met"
        print(
            f"peer curl --parallel --parallel-max {args.concurrency} (home pages only, same "
            f"timeout and retries): {fetched} URLs in {curl_s:.1f} s; HTTP codes {dict(codes)}"
        )
        print(
            f"ratio congxa/curl: {ratio:.2f}x (target <= {target}x: {verdict}); "
            f"congxa {elapsed:.1f} s, curl {curl_s:.1f} s"
        )
    else:
        print("peer curl: not installed (apt-get install curl)")

    if args.naive_budget > 0:
        done, spent, _outcomes = peer(urls, port, args.timeout, args.naive_budget)
        rate = done / spent if spent else 0.0
        projected = len(units) / rate if rate else float("inf")
        print(
            f"naive baseline (sequential urllib, page only, no retry): {done} units in "
            f"{spent:.1f} s = {rate:.1f} units/s; projected for {len(units)}: {projected:.0f} s"
        )
    print(f"files in {folder}")
    server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
