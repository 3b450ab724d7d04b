"""Benchmark the coverage audit on a loopback farm of every official unit (3,321).

The farm is Debian's nginx serving static files by Host header (`root <farm>/$host`;
names `u<code>.bench.test`, pinned to 127.0.0.1 with --resolve, DNS off): each good site
is a folder with its home page and site.json + feeds/rss.xml (congxa-built) or rss.xml
(hand-made). nginx, not a server written in Python, because the benchmark must measure
the clients: on a 2-core machine a Python server shares the cores with the clients and
answers each request at a cost close to the client's own, so congxa (about 2.5 requests a
site) paid for the farm's work 2.5 times where curl paid once. A web server that answers in
microseconds leaves both clients the same machine. Only what nginx cannot do is elsewhere:
slow sites are one small aiohttp helper that answers after 3 × the timeout, error sites an
nginx `return 500`, a missing folder nginx's own 404, a closed port a port no one listens on.

The mix: 5% of sites answer only after the timeout, a few per cent fail (404, 500, a web
server's default page, a closed port, a name that does not resolve), the rest are good
sites, half congxa-built and half hand-made. The audit runs end to end through `congxa
audit` (imports, crawl, classify, SQLite, report), timed in this process; the CPU seconds
it used (its worker processes included) and where the time went are printed beside it.

The peer is `curl --parallel --parallel-max N` over the same URL list, with the same
timeout, the same concurrency and the same retry policy (one retry of timeouts and
refused connections, one second apart), fetching only the home pages: what an IT person
would reach for. The target is congxa's full audit within 1.3 × curl's fetch-only time.
URLs whose names congxa refuses without a lookup (DNS off) are left out of curl's list,
which only makes curl's share smaller. Two figures are printed for the record, not as the
target: curl given the same requests congxa makes (page + manifest or feed), and a bare
aiohttp session fetching the home pages (the cost of the HTTP client congxa is built on).
A sequential urllib loop is kept as the naive baseline, stopped after a time budget and
projected.

    python scripts/bench_audit.py                     # every unit, 5% slow sites, 5 s timeout
    python scripts/bench_audit.py --good-only 1000    # 1,000 good sites only
    python scripts/bench_audit.py --good-only 1000 --workers 1   # congxa in one process
    python scripts/bench_audit.py --timeout 1         # quicker, for a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import multiprocessing
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
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


# -- the farm: nginx serving static files per Host, plus a helper for slow answers --------
def page_html(kind: str, name: str) -> str:
    nav = "".join(f'<li><a href="/{i}/">{t}</a></li>' for i, t in zip(IDS, SECTIONS))
    head = (
        '<meta name="generator" content="congxa 0.1.0">'
        if kind == "congxa"
        else '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
    )
    return (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>UBND {name}'
        f"</title>{head}</head><body><h1>{name}</h1><nav><ul>{nav}</ul></nav>"
        f"<main><p>{'Tin tức mới. ' * 80}</p></main></body></html>"
    )


def write_farm(root: Path, sites: dict[str, tuple[str, str, str]]) -> None:
    """One folder per host name: the page, and site.json (congxa-built) or rss.xml."""
    now = datetime.now(UTC)
    updated = (now - timedelta(days=3)).isoformat()
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
        f"<title>a</title><pubDate>{now:%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>"
        "</channel></rss>"
    )
    for host, (kind, code, name) in sites.items():
        if kind in ("notfound", "error", "slow", "closed", "nodns"):
            continue  # nginx answers 404 for a missing folder; the others never reach it
        folder = root / host
        folder.mkdir(parents=True)
        if kind == "nginx":
            (folder / "index.html").write_text(
                "<title>Welcome to nginx!</title><h1>Welcome to nginx!</h1>", encoding="utf-8"
            )
            continue
        (folder / "index.html").write_text(page_html(kind, name), encoding="utf-8")
        if kind == "congxa":
            manifest = {
                "schema": "congxa-site/1",
                "code": code,
                "name": name,
                "updated": updated,
                "sections": [{"id": i} for i in IDS],
                "conformance": {"profile": "nd42-2022", "missing": [], "empty": []},
            }
            (folder / "site.json").write_text(json.dumps(manifest), encoding="utf-8")
            (folder / "feeds").mkdir()
            (folder / "feeds" / "rss.xml").write_text(rss, encoding="utf-8")
        else:
            (folder / "rss.xml").write_text(rss, encoding="utf-8")


def nginx_conf(prefix: Path, root: Path, port: int, errors: list[str]) -> str:
    """Static files by Host ($host picks the folder); the error sites get `return 500`."""
    error_server = ""
    if errors:
        error_server = (
            f"    server {{ listen 127.0.0.1:{port}; server_name {' '.join(errors)};\n"
            '        return 500 "error"; }\n'
        )
    return f"""worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} crit;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {prefix / "tmp"};
    proxy_temp_path {prefix / "tmp"};
    fastcgi_temp_path {prefix / "tmp"};
    uwsgi_temp_path {prefix / "tmp"};
    scgi_temp_path {prefix / "tmp"};
    sendfile on;
    tcp_nopush on;
    open_file_cache max=10000;
    server_names_hash_max_size 8192;
    server_names_hash_bucket_size 128;
    server {{
        listen 127.0.0.1:{port} default_server backlog=4096;
        server_name _;
        charset utf-8;
        root {root}/$host;
        index index.html;
    }}
{error_server}}}
"""


@contextmanager
def running_nginx(folder: Path, sites: dict[str, tuple[str, str, str]]) -> Iterator[int]:
    """Start Debian's nginx in the foreground on a free port; yield the port; stop it."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    root = folder / "farm"
    shutil.rmtree(root, ignore_errors=True)
    write_farm(root, sites)
    prefix = folder / "nginx"
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    port = closed_port()
    errors = sorted(h for h, (kind, _c, _n) in sites.items() if kind == "error")
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(prefix, root, port, errors), encoding="utf-8")
    user = ["-g", "daemon off; user root root;"] if os.geteuid() == 0 else ["-g", "daemon off;"]
    proc = subprocess.Popen(
        [binary, "-c", str(conf), "-p", str(prefix), *user],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"nginx did not start: {err.strip()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not answer within 10 s") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def serve_slow(delay: float, port_out: multiprocessing.connection.Connection) -> None:
    """The slow sites: every answer comes only after `delay` (past the audit's timeout)."""
    from aiohttp import web

    async def handle(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(delay)
        return web.Response(text="<title>late</title>", content_type="text/html")

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
    urls: list[str], timeout: float, concurrency: int, config: Path
) -> tuple[int, float, Counter[str]]:
    """curl fetching `urls`, `concurrency` at a time; (count, seconds, HTTP codes)."""
    listed = [url for url in urls if f".{DOMAIN}:" in url]
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


def aiohttp_floor(urls: list[str], timeout: float, concurrency: int) -> float:
    """Seconds for a bare aiohttp session to GET every home page: the client's own cost."""
    import aiohttp

    from generator.audit.net import GuardedResolver, parse_pins

    async def fetch_all() -> None:
        resolver = GuardedResolver(parse_pins([f"*.{DOMAIN}:127.0.0.1"]), allow_private=True)
        connector = aiohttp.TCPConnector(limit=concurrency, resolver=resolver)
        limit = asyncio.Semaphore(concurrency)
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:

            async def one(url: str) -> None:
                try:
                    async with limit, session.get(url) as response:
                        await response.read()
                except (aiohttp.ClientError, TimeoutError):
                    pass

            await asyncio.gather(*(one(url) for url in urls if f".{DOMAIN}:" in url))

    started = time.monotonic()
    asyncio.run(fetch_all())
    return time.monotonic() - started


# -- the naive baseline: one request at a time -------------------------------------------
def peer(
    urls: list[tuple[str, str]], timeout: float, budget: float
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
    parser.add_argument(
        "--workers", type=int, help="congxa audit --workers (default: its own choice)"
    )
    parser.add_argument("--keep", type=Path, help="keep the farm, database and report here")
    args = parser.parse_args()

    units = list(load_registry().units.values())
    kinds = [kind_of(i) for i in range(len(units))]
    if args.good_only:
        units = units[: args.good_only]
        kinds = ["congxa" if i % 2 else "handmade" for i in range(len(units))]
    sites: dict[str, tuple[str, str, str]] = {}
    hosts: list[str] = []
    for unit, kind in zip(units, kinds, strict=True):
        # Names outside the pinned domain do not resolve: DNS is off (--no-dns).
        host = f"u{unit.code}.{'unpinned.example' if kind == 'nodns' else DOMAIN}"
        sites[host] = (kind, unit.code, unit.name)
        hosts.append(host)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    folder.mkdir(parents=True, exist_ok=True)
    slow_server = None
    slow_port = closed = closed_port()
    if "slow" in kinds:
        # The slow sites answer well after the timeout: the crawler must give up, not wait.
        pipe_in, pipe_out = multiprocessing.Pipe(duplex=False)
        slow_server = multiprocessing.get_context("spawn").Process(
            target=serve_slow, args=(args.timeout * 3, pipe_out), daemon=True
        )
        slow_server.start()
        slow_port = pipe_in.recv()
    try:
        with running_nginx(folder, sites) as port:
            ports = {"slow": slow_port, "closed": closed}
            urls = [
                (unit.code, f"http://{host}:{ports.get(kind, port)}/")
                for unit, kind, host in zip(units, kinds, hosts, strict=True)
            ]
            mix = dict(sorted(Counter(kinds).items()))
            print(f"farm: {len(units)} sites, nginx on 127.0.0.1:{port}; mix {mix}")
            run_all(args, urls, kinds, folder)
    finally:
        if slow_server is not None:
            slow_server.terminate()
    print(f"files in {folder}")
    return 0


def run_all(
    args: argparse.Namespace, urls: list[tuple[str, str]], kinds: list[str], folder: Path
) -> None:
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
        *(["--workers", str(args.workers)] if args.workers else []),
    ]
    print("congxa audit " + " ".join(cli))
    started, cpu = time.monotonic(), _cpu()
    phases = Phases()  # imports the crawler (aiohttp), as `congxa audit` does: timed
    code = audit_command.main(cli, standalone_mode=False, prog_name="congxa audit")
    elapsed, cpu = time.monotonic() - started, _cpu() - cpu
    print(
        f"congxa audit: {len(urls)} units in {elapsed:.2f} s = {len(urls) / elapsed:.0f} units/s"
        f" (exit {code}); CPU {cpu:.2f} s; {phases.describe(elapsed)}"
    )
    phases.undo()

    target = 1.3
    if shutil.which("curl"):
        pages = [url for _code, url in urls]
        fetched, curl_s, codes = curl_peer(
            pages, args.timeout, args.concurrency, folder / "curl.conf"
        )
        ratio = elapsed / curl_s
        verdict = "met" if ratio <= target else "NOT met"
        print(
            f"peer curl --parallel --parallel-max {args.concurrency} (home pages only, same "
            f"timeout and retries): {fetched} URLs in {curl_s:.2f} s; HTTP codes {dict(codes)}"
        )
        print(
            f"ratio congxa/curl: {ratio:.2f}x (target <= {target}x: {verdict}); "
            f"congxa {elapsed:.2f} s, curl {curl_s:.2f} s"
        )
        # For the record, not the target: curl given the requests congxa makes on a good
        # site (page + site.json + feed, or page + feed), to tell request count from cost.
        same = [*pages]
        for (_code, url), kind in zip(urls, kinds, strict=True):
            if kind == "congxa":
                same += [url + "site.json", url + "feeds/rss.xml"]
            elif kind == "handmade":
                same += [url + "rss.xml"]
        fetched, same_s, codes = curl_peer(
            same, args.timeout, args.concurrency, folder / "curl-same.conf"
        )
        print(
            f"for the record, curl fetching the requests congxa makes ({fetched} URLs): "
            f"{same_s:.2f} s; HTTP codes {dict(codes)}; congxa/that {elapsed / same_s:.2f}x"
        )
    else:
        print("peer curl: not installed (apt-get install curl)")
    floor = aiohttp_floor([url for _code, url in urls], args.timeout, args.concurrency)
    print(
        f"for the record, aiohttp alone fetching the home pages in one process (the HTTP "
        f"client congxa uses, nothing else): {floor:.2f} s"
    )

    if args.naive_budget > 0:
        done, spent, _outcomes = peer(urls, args.timeout, args.naive_budget)
        rate = done / spent if spent else 0.0
        projected = len(urls) / rate if rate else float("inf")
        print(
            f"naive baseline (sequential urllib, page only, no retry): {done} units in "
            f"{spent:.1f} s = {rate:.1f} units/s; projected for {len(urls)}: {projected:.0f} s"
        )


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the crawler's workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Phases:
    """Where congxa's time goes: the run's steps timed by wrapping them (benchmark only)."""

    def __init__(self) -> None:
        from generator.audit import report, run

        self.spent: dict[str, float] = {}
        self._undo: list[tuple[object, str, object]] = []
        for module, name, label in (
            (run, "_crawl_and_store", "crawl+store"),
            (run, "build_report", "report (SQLite read)"),
            (run, "write_report", "report files"),
            (report, "write_report", "report files"),
        ):
            self._wrap(module, name, label)

    def _wrap(self, module: object, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed(*args: object, **kwargs: object) -> object:
            started = time.monotonic()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.monotonic() - started

        setattr(module, name, timed)
        self._undo.append((module, name, original))

    def describe(self, total: float) -> str:
        parts = [f"{label} {seconds:.2f} s" for label, seconds in self.spent.items()]
        other = total - sum(self.spent.values())
        return ", ".join([*parts, f"setup (imports, registry, URL list) {other:.2f} s"])

    def undo(self) -> None:
        for module, name, original in reversed(self._undo):
            setattr(module, name, original)


if __name__ == "__main__":
    sys.exit(main())
