"""The official list of commune-level units: the denominator of every indicator.

By default it comes from the `vietnam-provinces` package (34 provinces, 3,321 units since
1 July 2025, codes per Decision 19/2025/QĐ-TTg). A CSV with the columns
`code,name,type,province_code,province_name` replaces it for audits of other years.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from generator.errors import ConfigError, Problem
from generator.text import fold, nfc, slugify

# Unit types as they appear in names and in the law. Which type counts toward which
# indicator is data (generator/data/indicators.yml), not code.
UNIT_TYPES = ("xã", "phường", "thị trấn", "đặc khu")


@dataclass(frozen=True)
class RegistryUnit:
    """One official commune-level unit."""

    code: str  # 5 digits
    name: str  # "Phường Hoàn Kiếm"
    type: str  # one of UNIT_TYPES
    province_code: str  # 2 digits
    province_name: str
    codename: str  # "phuong_hoan_kiem"
    province_codename: str  # "ha_noi"
    # File and folder name: the codename, unless folding diacritics makes two units of a
    # province collide (Xã Văn Lang / Xã Văn Lăng): then "<codename>_<code>" for both.
    stem: str = ""

    @property
    def type_id(self) -> str:
        """ASCII id of the type: xa, phuong, thi-tran, dac-khu."""
        return slugify(self.type)


@dataclass(frozen=True)
class RegistryProvince:
    code: str
    name: str
    codename: str


class Registry:
    """Lookup of units and provinces by code or codename."""

    def __init__(self, units: Iterable[RegistryUnit], source: str) -> None:
        self.source = source
        self.units: dict[str, RegistryUnit] = {}
        self.provinces: dict[str, RegistryProvince] = {}
        ordered = sorted(units, key=lambda u: (u.province_code, u.code))
        shared = Counter((u.province_code, u.codename) for u in ordered)
        ordered = [
            replace(
                u,
                stem=u.codename
                if shared[(u.province_code, u.codename)] == 1
                else f"{u.codename}_{u.code}",
            )
            for u in ordered
        ]
        for unit in ordered:
            self.units[unit.code] = unit
            self.provinces.setdefault(
                unit.province_code,
                RegistryProvince(unit.province_code, unit.province_name, unit.province_codename),
            )
        self._by_codename = {p.codename: p for p in self.provinces.values()}

    def unit(self, code: str) -> RegistryUnit | None:
        return self.units.get(normalise_code(code, 5))

    def province(self, key: str) -> RegistryProvince | None:
        """A province by its code ('01', '1') or its codename ('ha_noi')."""
        if key.isdigit():
            return self.provinces.get(normalise_code(key, 2))
        return self._by_codename.get(key)

    def units_of(self, province_code: str) -> list[RegistryUnit]:
        code = normalise_code(province_code, 2)
        return [u for u in self.units.values() if u.province_code == code]

    def __len__(self) -> int:
        return len(self.units)


def normalise_code(code: str | int, width: int) -> str:
    text = str(code).strip()
    return text.zfill(width) if text.isdigit() else text


def _type_from_name(name: str) -> str:
    folded = fold(name)
    for unit_type in UNIT_TYPES:
        if folded.startswith(fold(unit_type) + " "):
            return unit_type
    return "xã"


@lru_cache(maxsize=1)
def _package_registry() -> Registry:
    from vietnam_provinces import Province, Ward

    provinces = {p.code: p for p in Province.iter_all()}
    units = []
    for ward in Ward.iter_all():
        province = provinces[ward.province_code]
        units.append(
            RegistryUnit(
                code=normalise_code(int(ward.code), 5),
                name=nfc(ward.name),
                type=nfc(ward.division_type.value),
                province_code=normalise_code(int(province.code), 2),
                province_name=nfc(province.name),
                codename=ward.codename,
                province_codename=province.codename,
            )
        )
    import vietnam_provinces

    return Registry(units, f"vietnam-provinces {vietnam_provinces.__version__}")


def load_registry(csv_path: Path | None = None) -> Registry:
    """The package's registry, or the one in `csv_path` when given."""
    if csv_path is None:
        return _package_registry()
    return _csv_registry(csv_path)


def _csv_registry(path: Path) -> Registry:
    required = ("code", "name", "type", "province_code", "province_name")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            Problem(
                "Không tìm thấy tệp danh mục đơn vị (registry file not found).",
                file=path,
                hint="kiểm tra đường dẫn tới tệp CSV.",
            )
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            Problem(
                "Tệp danh mục không phải UTF-8 (not UTF-8).",
                file=path,
                hint="lưu lại tệp CSV với mã hoá UTF-8.",
            )
        ) from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigError(
            Problem(
                f"Thiếu cột (missing columns): {', '.join(missing)}.",
                file=path,
                line=1,
                hint="dòng đầu phải là: " + ",".join(required),
            )
        )
    units = []
    problems = []
    for number, row in enumerate(reader, start=2):
        code = (row["code"] or "").strip()
        if not code.isdigit():
            problems.append(
                Problem(
                    f"Mã đơn vị không hợp lệ (invalid code) {code!r}.",
                    file=path,
                    line=number,
                    field="code",
                    hint="mã đơn vị gồm 5 chữ số, ví dụ 00070.",
                )
            )
            continue
        name = nfc(row["name"].strip())
        unit_type = nfc((row["type"] or "").strip().lower()) or _type_from_name(name)
        province_name = nfc(row["province_name"].strip())
        units.append(
            RegistryUnit(
                code=normalise_code(code, 5),
                name=name,
                type=unit_type,
                province_code=normalise_code(row["province_code"], 2),
                province_name=province_name,
                codename=(row.get("codename") or "").strip() or slugify(name, "_"),
                province_codename=(row.get("province_codename") or "").strip()
                or slugify(_strip_province_prefix(province_name), "_"),
            )
        )
    if problems:
        raise ConfigError(problems)
    return Registry(units, str(path))


def _strip_province_prefix(name: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name
