"""Shared fixtures: the farm with every case of issue 5, its registry and URL list."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.audit.crawl import CrawlSettings
from generator.audit.net import parse_pins

from . import farm as f

HN, HN_NAME = "01", "Thành phố Hà Nội"
QN, QN_NAME = "22", "Tỉnh Quảng Ninh"
# Timeouts stay tiny so the whole suite runs in seconds.
TIMEOUT = 0.5
SLOW = 1.5


@dataclass(frozen=True)
class Case:
    code: str
    name: str
    type: str
    province: str
    status: str
    urls: tuple[str, ...] = ()
    stale: bool | None = None
    conformant: bool | None = None


def _province_name(code: str) -> str:
    return HN_NAME if code == HN else QN_NAME


@pytest.fixture(scope="session")
def farm() -> Iterator[f.Farm]:
    the_farm = f.Farm().start()
    yield the_farm
    the_farm.stop()


@pytest.fixture(scope="session")
def cases(farm: f.Farm) -> list[Case]:
    """Every case of the issue's test farm, with the status it must get."""
    u = farm.url
    good_congxa = farm.add("hoankiem", f.congxa_site("Phường Hoàn Kiếm", "00070"))
    good_hand = farm.add("cuanam", f.handmade_site("Phường Cửa Nam"))
    not_found = farm.add("notfound", f.status_site(404))
    broken = farm.add("broken", f.status_site(500))
    slow = farm.add("slow", f.slow_site("Xã Chậm", SLOW))
    loop = farm.add("loop", f.redirect_site(lambda r: f"/again{len(r.path)}"))
    parked = farm.add(
        "parked",
        f.static_page(
            "xa-dong-anh.vn is for sale", "<h1>This domain is for sale!</h1><p>Buy now.</p>"
        ),
    )
    to_parked = farm.add("moved", f.redirect_site(lambda r: u(parked, "/lander")))
    nginx = farm.add(
        "nginx",
        f.static_page(
            "Welcome to nginx!", "<h1>Welcome to nginx!</h1><p>If you see this page...</p>"
        ),
    )
    other = farm.add("other", f.handmade_site("Phường Ba Đình"))
    stale = farm.add("stale", f.handmade_site("Thị trấn Sóc Sơn", newest=f.days_ago(200)))
    stale_atom = farm.add(
        "staleatom", f.handmade_site("Xã Vân Hà", feed="atom", newest=f.days_ago(120))
    )
    huge = farm.add("huge", f.huge_site("Xã Cổ Loa", 3 * 1024 * 1024))
    wrong_code = farm.add("wrongcode", f.congxa_site("Xã Thư Lâm", "00082", manifest_code="00070"))
    thin_congxa = farm.add(
        "thin",
        f.congxa_site(
            "Xã Phúc Thịnh",
            "00083",
            missing=("du-an-dau-tu", "lay-y-kien"),
            updated=f.days_ago(400),
        ),
    )
    thin_hand = farm.add(
        "thinhand", f.handmade_site("Xã Đông Anh", sections=f.SECTIONS[:5], feed=None)
    )
    second = farm.add("second", f.handmade_site("Xã Mê Linh"))
    tls_ok = farm.add("tlsok", f.handmade_site("Đặc khu Vân Đồn"))
    closed = f.closed_port()
    return [
        Case(
            "00070",
            "Phường Hoàn Kiếm",
            "phường",
            HN,
            "ok",
            (u(good_congxa, tls=True),),
            stale=False,
            conformant=True,
        ),
        Case(
            "00071",
            "Phường Cửa Nam",
            "phường",
            HN,
            "ok",
            (u(good_hand),),
            stale=False,
            conformant=True,
        ),
        Case("00072", "Xã Bát Tràng", "xã", HN, "http_error", (u(not_found),)),
        Case("00073", "Xã Gia Lâm", "xã", HN, "http_error", (u(broken),)),
        Case("00074", "Xã Chậm", "xã", HN, "timeout", (u(slow),)),
        Case(
            "00075",
            "Xã Sóc Đăng",
            "xã",
            HN,
            "connection_error",
            (f"http://closed.{f.DOMAIN}:{closed}/",),
        ),
        Case("00076", "Xã Vòng Tròn", "xã", HN, "too_many_redirects", (u(loop),)),
        Case("00077", "Xã Đông Anh Cũ", "xã", HN, "not_unit_page", (u(to_parked),)),
        Case("00078", "Xã Nginx", "xã", HN, "not_unit_page", (u(nginx),)),
        Case("00079", "Phường Hàng Bạc", "phường", HN, "not_unit_page", (u(other),)),
        Case(
            "00080",
            "Thị trấn Sóc Sơn",
            "thị trấn",
            HN,
            "ok",
            (u(stale),),
            stale=True,
            conformant=True,
        ),
        Case("00081", "Xã Cổ Loa", "xã", HN, "ok", (u(huge),), stale=None, conformant=False),
        Case("00082", "Xã Thư Lâm", "xã", HN, "not_unit_page", (u(wrong_code),)),
        Case(
            "00083",
            "Xã Phúc Thịnh",
            "xã",
            HN,
            "ok",
            (u(thin_congxa),),
            stale=True,
            conformant=False,
        ),
        Case("00084", "Xã Đông Anh", "xã", HN, "ok", (u(thin_hand),), stale=None, conformant=False),
        Case(
            "00085",
            "Xã Không Tên",
            "xã",
            HN,
            "dns_error",
            (f"http://nowhere.example:{farm.http_port}/",),
        ),
        Case(
            "00086",
            "Xã Mê Linh",
            "xã",
            HN,
            "ok",
            (u(not_found), u(second)),
            stale=False,
            conformant=True,
        ),
        Case("00087", "Xã Vân Hà", "xã", HN, "ok", (u(stale_atom),), stale=True, conformant=True),
        Case(
            "06994",
            "Đặc khu Vân Đồn",
            "đặc khu",
            QN,
            "ok",
            (u(tls_ok, tls=True),),
            stale=False,
            conformant=True,
        ),
        Case("06995", "Xã Hạ Long", "xã", QN, "no_url"),
        Case("06996", "Xã Cẩm Phả", "xã", QN, "invalid_url", ("xa-cam-pha.gov.vn",)),
        Case(
            "06997", "Phường Bãi Cháy", "phường", QN, "invalid_url", ("ftp://baichay.farm.test/",)
        ),
    ]


def write_registry(path: Path, cases: list[Case]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "type", "province_code", "province_name"])
        for case in cases:
            writer.writerow(
                [case.code, case.name, case.type, case.province, _province_name(case.province)]
            )
    return path


def write_urls(path: Path, cases: list[Case]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "url"])
        for case in cases:
            for url in case.urls:
                writer.writerow([case.code, url])
    return path


@pytest.fixture(scope="session")
def farm_files(
    tmp_path_factory: pytest.TempPathFactory, farm: f.Farm, cases: list[Case]
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("farm-files")
    return {
        "registry": write_registry(folder / "registry.csv", cases),
        "urls": write_urls(folder / "urls.csv", cases),
        "ca": farm.ca_file(folder),
    }


def farm_settings(ca_file: Path | None, **changes: object) -> CrawlSettings:
    """Crawler settings for the farm: pinned names, no DNS, loopback allowed, tiny times."""
    base: dict[str, object] = {
        "timeout": TIMEOUT,
        "connect_timeout": TIMEOUT,
        "retry_pause": 0.05,
        "concurrency": 16,
        "pins": parse_pins([f"*.{f.DOMAIN}:127.0.0.1"]),
        "no_dns": True,
        "allow_private": True,
        "ca_file": ca_file,
    }
    base.update(changes)
    return CrawlSettings(**base)  # type: ignore[arg-type]


def farm_cli_args(farm_files: dict[str, Path]) -> list[str]:
    return [
        "--registry",
        str(farm_files["registry"]),
        "--resolve",
        f"*.{f.DOMAIN}:127.0.0.1",
        "--no-dns",
        "--allow-private",
        "--ca-file",
        str(farm_files["ca"]),
        "--timeout",
        str(TIMEOUT),
    ]
