"""The crawler against real servers on 127.0.0.1: TLS, address policy, retries, caps."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from generator.audit.crawl import Crawler, CrawlSettings, Fetched
from generator.audit.net import GuardedResolver, PrivateAddressError, is_public, parse_pins
from generator.errors import AuditError

from . import farm as f
from .conftest import farm_settings


def fetch(settings: CrawlSettings, url: str, retry: bool = True) -> Fetched:
    async def go() -> Fetched:
        async with Crawler(settings) as crawler:
            return await crawler.fetch(url, retry=retry)

    return asyncio.run(go())


@pytest.fixture(scope="module")
def hosts(farm: f.Farm) -> dict[str, str]:
    return {
        "page": farm.add("crawl-page", f.handmade_site("Xã Thử")),
        "flaky": farm.add("crawl-flaky", f.flaky_site("Xã Chập Chờn", 1.0)),
        "loop": farm.add("crawl-loop", f.redirect_site(lambda r: "/x" + r.path)),
        "huge": farm.add("crawl-huge", f.huge_site("Xã Lớn", 400_000)),
    }


def test_tls_needs_the_ca(farm: f.Farm, hosts: dict[str, str], tmp_path: Path) -> None:
    url = farm.url(hosts["page"], tls=True)
    without = fetch(farm_settings(None), url)
    assert without.outcome == "tls_error"
    assert "certificate" in without.detail.lower()
    with_ca = fetch(farm_settings(farm.ca_file(tmp_path)), url)
    assert (with_ca.outcome, with_ca.http_status) == ("response", 200)


def test_a_bad_ca_file_is_a_setup_error(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(AuditError) as caught:
        fetch(farm_settings(bad), "http://x.farm.test/")
    assert caught.value.problems[0].field == "--ca-file"


def test_private_addresses_are_refused_unless_allowed(farm: f.Farm, hosts: dict[str, str]) -> None:
    refused = farm_settings(None, allow_private=False)
    before = dict(farm.hits)
    pinned = fetch(refused, farm.url(hosts["page"]))
    assert pinned.outcome == "private_address"
    assert "127.0.0.1" in pinned.detail
    literal = fetch(refused, f"http://127.0.0.1:{farm.http_port}/")
    assert literal.outcome == "private_address"
    assert fetch(refused, "http://[::1]:9/").outcome == "private_address"
    assert farm.hits == before  # refused before any byte was sent
    allowed = fetch(farm_settings(None), farm.url(hosts["page"]))
    assert allowed.http_status == 200


def test_no_dns_and_exact_pins(farm: f.Farm, hosts: dict[str, str]) -> None:
    exact = parse_pins([f"{hosts['page']}:127.0.0.1"])
    settings = farm_settings(None, pins=exact)
    assert fetch(settings, farm.url(hosts["page"])).http_status == 200
    missing = fetch(settings, farm.url(hosts["loop"]))
    assert missing.outcome == "dns_error"
    assert "--no-dns" in missing.detail


def test_one_retry_recovers_a_timeout(farm: f.Farm, hosts: dict[str, str]) -> None:
    settings = farm_settings(None, timeout=0.3)
    once = fetch(settings, farm.url(hosts["flaky"]), retry=False)
    assert once.outcome == "timeout"
    again = fetch(settings, farm.url(hosts["flaky"]))
    assert (again.outcome, again.attempts) == ("response", 1)  # the site recovered by now
    fresh = farm.add("crawl-flaky2", f.flaky_site("Xã Chập Chờn", 1.0))
    retried = fetch(settings, farm.url(fresh))
    assert (retried.outcome, retried.attempts, retried.http_status) == ("response", 2, 200)


def test_redirects_are_counted_and_bodies_capped(farm: f.Farm, hosts: dict[str, str]) -> None:
    loop = fetch(farm_settings(None, max_redirects=3), farm.url(hosts["loop"]))
    assert loop.outcome == "too_many_redirects"
    assert len(loop.redirects) == 4 and loop.redirects[0].endswith("/x/")
    capped = fetch(farm_settings(None, max_bytes=100_000), farm.url(hosts["huge"]))
    assert (capped.truncated, len(capped.body)) == (True, 100_000)
    assert "<title>UBND Xã Lớn</title>" in capped.text()
    whole = fetch(farm_settings(None), farm.url(hosts["huge"]))
    assert not whole.truncated


def test_invalid_urls_are_refused_before_any_request() -> None:
    settings = farm_settings(None)
    assert fetch(settings, "xa-a.gov.vn").detail.startswith("not an absolute URL")
    assert fetch(settings, "mailto:ubnd@xa.gov.vn").outcome == "invalid_url"
    assert fetch(settings, "http://x.farm.test:99999/").outcome == "invalid_url"


def test_pins_parse_and_match() -> None:
    pins = parse_pins(["A.vn:1.2.3.4", "*.b.vn:5.6.7.8", "*.c.b.vn:[::1]"])
    assert pins.lookup("a.vn.") == "1.2.3.4"
    assert pins.lookup("x.b.vn") == "5.6.7.8"
    assert pins.lookup("y.c.b.vn") == "::1"
    assert pins.lookup("b.vn") is None
    with pytest.raises(AuditError) as caught:
        parse_pins(["nocolon", "x.vn:not-an-ip"])
    assert [p.field for p in caught.value.problems] == ["--resolve", "--resolve"]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.1.1", False),
        ("172.16.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


class _FixedResolver(AbstractResolver):
    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {"hostname": host, "host": a, "port": port, "family": family, "proto": 0, "flags": 0}
            for a in self.addresses
        ]

    async def close(self) -> None:
        pass


def test_dns_answers_into_the_local_network_are_dropped() -> None:
    mixed = GuardedResolver(parse_pins([]), fallback=_FixedResolver("10.0.0.1", "8.8.8.8"))
    assert [r["host"] for r in asyncio.run(mixed.resolve("x.vn", 80))] == ["8.8.8.8"]
    private = GuardedResolver(parse_pins([]), fallback=_FixedResolver("127.0.0.1"))
    with pytest.raises(PrivateAddressError):
        asyncio.run(private.resolve("x.vn", 80))
