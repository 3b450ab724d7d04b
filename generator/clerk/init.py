"""`congxa init`: skeleton commune files for a province, from the registry."""

from __future__ import annotations

import difflib
from pathlib import Path

from generator.errors import ConfigError, Problem
from generator.source.placeholders import INTRODUCTION
from generator.source.registry import Registry, RegistryUnit, normalise_code
from generator.text import fold

TEMPLATE = """\
# Tệp đơn vị: {name}, {province}.
# Điền các trường ghi "BẮT BUỘC" (required); `congxa check` báo những trường còn trống.
# Hướng dẫn: README.md, mục "Tệp đơn vị".
code: "{code}"
name: {name}
type: {type}
site_url:            # BẮT BUỘC: địa chỉ https của trang, ví dụ https://tenxa.tinh.gov.vn/
agency:
  name: Ủy ban nhân dân {name_lower}
  address:           # BẮT BUỘC: địa chỉ trụ sở
  phone:             # BẮT BUỘC: số điện thoại, trong ngoặc kép, ví dụ "024 3825 0000"
  email:             # BẮT BUỘC: thư điện tử
  responsible:       # BẮT BUỘC: người chịu trách nhiệm nội dung trang
    name:
    title: Phó Chủ tịch UBND {type}
leaders: []
introduction: |
  {introduction}
"""


def init_province(
    registry: Registry, root: Path, province: str, units: list[str] | None = None
) -> tuple[list[Path], list[Path]]:
    """Write a skeleton for each unit of `province`; never overwrite. (created, skipped)."""
    found = registry.province(province)
    if found is None:
        raise ConfigError(
            Problem(
                f"Không có tỉnh/thành mã {province!r} (unknown province).",
                hint="dùng mã 2 chữ số, ví dụ `--province 01` cho Hà Nội.",
            )
        )
    chosen = registry.units_of(found.code)
    if units:
        wanted = {normalise_code(u, 5) for u in units}
        unknown = wanted - {u.code for u in chosen}
        if unknown:
            raise ConfigError(
                Problem(
                    f"Mã đơn vị không thuộc {found.name} (unknown unit): {', '.join(sorted(unknown))}.",
                    hint=_unit_hint(chosen, units),
                )
            )
        chosen = [u for u in chosen if u.code in wanted]
    folder = root / "communes" / found.codename
    created, skipped = [], []
    for unit in chosen:
        path = folder / f"{unit.stem}.yml"
        if path.exists():
            skipped.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        text = TEMPLATE.format(
            code=unit.code,
            name=unit.name,
            type=unit.type,
            province=unit.province_name,
            name_lower=unit.name[0].lower() + unit.name[1:],
            introduction=INTRODUCTION.format(name=unit.name[0].lower() + unit.name[1:]),
        )
        with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
            handle.write(text)
        created.append(path)
    return created, skipped


def _unit_hint(units: list[RegistryUnit], asked: list[str]) -> str:
    """Where a clerk who does not know the code finds it: the units whose name is close to
    what was typed (a name instead of a code works too), else a few of the province's."""
    by_name = {fold(u.name): u for u in units} | {fold(u.codename): u for u in units}
    matches: list[RegistryUnit] = []
    for text in asked:
        key = fold(text.replace("_", " ").replace("-", " "))
        close = [u for name, u in by_name.items() if key and key in name]
        close += [
            by_name[n] for n in difflib.get_close_matches(key, list(by_name), n=3, cutoff=0.6)
        ]
        matches.extend(u for u in close if u not in matches)
    shown = matches[:5] or units[:5]
    listed = "; ".join(f"`--unit {u.code}` ({u.name})" for u in shown)
    if matches:
        return f"có phải ý bạn là {listed}?"
    return (
        f"mã đơn vị gồm 5 chữ số, ví dụ {listed}; bỏ `--unit` để tạo tệp cho cả "
        f"{len(units)} đơn vị của tỉnh rồi giữ lại tệp của đơn vị mình."
    )
