"""Name resolution for the audit crawler, with the address policy applied where names resolve.

The audit fetches URLs that other people wrote down, so it must not become a probe of the
auditor's own network: loopback, private, link-local and other non-public addresses are
refused unless the auditor allows them. Names can be pinned to addresses (`--resolve`) and
DNS can be switched off (`--no-dns`) so that a run is reproducible offline.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from generator.errors import AuditError, Problem

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class NoDnsError(OSError):
    """The name is not pinned and DNS is switched off (`--no-dns`)."""


class PrivateAddressError(OSError):
    """Every address of the name is loopback, private or otherwise not public."""


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses, the only ones an audit may reach."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class Pins:
    """Names pinned to addresses. `*.example.vn` pins every name under example.vn."""

    exact: Mapping[str, str] = field(default_factory=dict)
    wildcard: Mapping[str, str] = field(default_factory=dict)

    def lookup(self, host: str) -> str | None:
        name = host.rstrip(".").lower()
        if name in self.exact:
            return self.exact[name]
        # The longest matching suffix wins, so "*.a.vn" can be refined by "*.b.a.vn".
        parts = name.split(".")
        for start in range(1, len(parts)):
            suffix = ".".join(parts[start:])
            if suffix in self.wildcard:
                return self.wildcard[suffix]
        return None


def parse_pins(specs: Iterable[str]) -> Pins:
    """Parse `HOST:ADDR` pins (ADDR may be IPv6, optionally in brackets); raise AuditError."""
    exact: dict[str, str] = {}
    wildcard: dict[str, str] = {}
    problems: list[Problem] = []
    for spec in specs:
        host, sep, addr = spec.partition(":")
        address = parse_address(addr) if sep else None
        host = host.strip().rstrip(".").lower()
        if not host or address is None:
            problems.append(
                Problem(
                    f"Giá trị --resolve không hợp lệ (invalid pin) {spec!r}.",
                    field="--resolve",
                    hint="dùng dạng HOST:ADDR, ví dụ xa-a.gov.vn:203.0.113.7 hoặc *.gov.vn:127.0.0.1.",
                )
            )
            continue
        if host.startswith("*."):
            wildcard[host[2:]] = str(address)
        else:
            exact[host] = str(address)
    if problems:
        raise AuditError(problems)
    return Pins(exact, wildcard)


class GuardedResolver(AbstractResolver):
    """Pins first, then DNS unless switched off; non-public addresses dropped unless allowed.

    A name with both public and private addresses keeps only the public ones, so a
    DNS answer cannot steer the crawler into the local network.
    """

    def __init__(
        self,
        pins: Pins,
        *,
        no_dns: bool = False,
        allow_private: bool = False,
        fallback: AbstractResolver | None = None,
    ) -> None:
        self._pins = pins
        self._no_dns = no_dns
        self._allow_private = allow_private
        self._fallback = fallback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        pinned = self._pins.lookup(host)
        if pinned is not None:
            results = [_result(host, pinned, port)]
        elif self._no_dns:
            raise NoDnsError(f"{host}: not pinned with --resolve and DNS is off (--no-dns)")
        else:
            if self._fallback is None:
                self._fallback = ThreadedResolver()
            results = await self._fallback.resolve(host, port, family)
        if self._allow_private:
            return results
        public = [r for r in results if _public_result(r)]
        if not public:
            addresses = ", ".join(sorted({r["host"] for r in results}))
            raise PrivateAddressError(f"{host} resolves only to non-public addresses ({addresses})")
        return public

    async def close(self) -> None:
        if self._fallback is not None:
            await self._fallback.close()


def _public_result(result: ResolveResult) -> bool:
    address = parse_address(result["host"])
    return address is not None and is_public(address)


def _result(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    # hostname stays the name asked for: TLS checks the certificate against it (SNI).
    return {
        "hostname": host,
        "host": address,
        "port": port,
        "family": family,
        "proto": 0,
        "flags": socket.AI_NUMERICHOST,
    }
