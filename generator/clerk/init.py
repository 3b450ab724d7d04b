"""`congxa init`: skeleton commune files for a province, from the registry."""

from __future__ import annotations

from pathlib import Path

from generator.errors import ConfigError, Problem
from generator.source.placeholders import INTRODUCTION
from generator.source.registry import Registry, normalise_code

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
                    hint="kiểm tra mã 5 chữ số trong danh mục.",
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
