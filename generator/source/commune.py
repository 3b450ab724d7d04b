"""Loading and validating one commune file (communes/<province>/<unit>.yml)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.errors import ConfigError, ContentError, Problem
from generator.source.fields import Fields
from generator.source.files import line_of, parse_yaml, read_text
from generator.source.markdown_limits import markdown_problems
from generator.source.model import Agency, Department, Link, Person, Unit
from generator.source.registry import Registry
from generator.source.siteurl import EXAMPLE, normalise_site_url
from generator.text import fold

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
KNOWN_KEYS = {
    "code",
    "name",
    "type",
    "site_url",
    "agency",
    "leaders",
    "introduction",
    "functions",
    "departments",
    "links",
    "english",
    "theme",
}


def load_unit(path: Path, registry: Registry) -> Unit:
    """Read, validate and type one commune file; raise ConfigError with every problem."""
    return load_unit_with_warnings(path, registry)[0]


def load_unit_with_warnings(path: Path, registry: Registry) -> tuple[Unit, list[Problem]]:
    """The unit and the warnings of its file (unknown fields); ConfigError on errors."""
    try:
        data = parse_yaml(read_text(path), path)
    except ContentError as exc:
        raise ConfigError(exc.problems) from None
    f = Fields(path)
    if not isinstance(data, dict):
        f.error(
            "Tệp đơn vị phải là một nhóm trường `tên: giá trị` (expected a mapping).",
            line=1,
            hint="xem mẫu tệp đơn vị trong README hoặc chạy `congxa init`.",
        )
        raise ConfigError(f.problems)
    for key in data:
        if key not in KNOWN_KEYS:
            f.error(
                f"Trường lạ `{key}` (unknown field) sẽ bị bỏ qua.",
                data=data,
                key=key,
                severity="warning",
                hint="kiểm tra chính tả tên trường.",
            )

    code = f.get(
        data,
        "code",
        str,
        required=True,
        hint='thêm `code: "00070"` (mã 5 chữ số theo Quyết định 19/2025/QĐ-TTg).',
    )
    if isinstance(data.get("code"), int) and not isinstance(data.get("code"), bool):
        # YAML reads 00070 as an octal number: the leading zeros are lost.
        f.error(
            "Mã đơn vị `code` phải đặt trong ngoặc kép để giữ số 0 ở đầu (wrong type).",
            data=data,
            key="code",
            hint='viết `code: "00070"` (có ngoặc kép).',
        )
        code = None
    official = None
    if code is not None:
        official = registry.unit(code) if code.isdigit() else None
        if official is None:
            f.error(
                f"Mã đơn vị {code!r} không có trong danh mục (unknown code) [{registry.source}].",
                data=data,
                key="code",
                field="code",
                hint="tra mã 5 chữ số của đơn vị trong danh mục, hoặc chạy "
                "`congxa init --province <mã tỉnh>` để tạo tệp đúng mã.",
            )
    province_folder = path.parent.name
    if official is not None:
        folder_province = registry.province(province_folder)
        if folder_province is not None and folder_province.code != official.province_code:
            f.error(
                f"Mã {official.code} ({official.name}) thuộc {official.province_name}, không "
                f"thuộc thư mục tỉnh `{province_folder}` ({folder_province.name}) "
                "(code belongs to another province).",
                data=data,
                key="code",
                field="code",
                hint=f"chuyển tệp vào communes/{official.province_codename}/ hoặc sửa mã.",
            )
        for key, expected in (("name", official.name), ("type", official.type)):
            given = f.get(data, key, str)
            if given is not None and fold(given) != fold(expected):
                f.error(
                    f"`{key}` là {given!r} nhưng danh mục ghi {expected!r} "
                    "(contradicts the registry).",
                    data=data,
                    key=key,
                    hint=f"sửa thành `{key}: {expected}` hoặc xoá dòng này.",
                )

    site_url = f.get(
        data,
        "site_url",
        str,
        required=True,
        hint="thêm `site_url: https://ten-mien-cua-xa.gov.vn/`.",
    )
    if site_url is not None:
        normalised = normalise_site_url(site_url)
        if normalised is None:
            f.error(
                f"`site_url` phải là địa chỉ tuyệt đối bắt đầu bằng https://, tên miền chỉ gồm "
                f"chữ, số, dấu gạch ngang và dấu chấm, không có khoảng trắng, cổng, `?` hay `#` "
                f"(absolute https URL), không phải {site_url!r}.",
                data=data,
                key="site_url",
                hint=f"ví dụ `site_url: {EXAMPLE}`; tên miền tiếng Việt có dấu viết ở dạng "
                "xn-- (punycode).",
            )
        site_url = normalised

    agency = _agency(f, data, official.name if official else "")
    leaders = tuple(_people(f, data, "leaders"))
    departments = tuple(_departments(f, data))
    links = tuple(_links(f, data))
    english = f.get(data, "english", dict)
    theme = f.get(data, "theme", dict)
    primary = f.get(theme, "primary", str, prefix="theme.") if theme else None
    if primary and not _COLOR.match(primary):
        f.error(
            f"Màu `theme.primary` {primary!r} không hợp lệ (invalid colour).",
            data=theme,
            key="primary",
            field="theme.primary",
            hint='viết dạng "#1565c0".',
        )
        primary = None
    logo = None
    logo_raw = f.get(theme, "logo", str, prefix="theme.") if theme else None
    if logo_raw:
        logo = (path.parent / logo_raw).resolve()
        if not logo.is_file():
            f.error(
                f"Không tìm thấy logo {logo_raw!r} (file not found).",
                data=theme,
                key="logo",
                field="theme.logo",
                hint="đường dẫn tính từ thư mục tệp đơn vị.",
            )
            logo = None

    introduction = f.get(data, "introduction", str) or ""
    functions = f.get(data, "functions", str) or ""
    introduction_en = (
        (f.get(english, "introduction", str, prefix="english.") or "") if english else ""
    )
    for field, holder, key in (
        ("introduction", data, "introduction"),
        ("functions", data, "functions"),
        ("english.introduction", english, "introduction"),
    ):
        value = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(value, str):
            # Block scalars (`|`) start on the line after their key.
            line = (line_of(holder, key) or 1) + (1 if "\n" in value.rstrip("\n") else 0)
            f.problems.extend(markdown_problems(value, path, line, field=field))

    errors = [p for p in f.problems if p.severity == "error"]
    if errors or official is None or site_url is None or agency is None:
        raise ConfigError(f.problems)
    unit = Unit(
        code=official.code,
        name=official.name,
        type=official.type,
        province_code=official.province_code,
        province_name=official.province_name,
        province_slug=province_folder,
        slug=path.stem,
        site_url=site_url,
        agency=agency,
        source=path,
        leaders=leaders,
        introduction=introduction,
        functions=functions,
        departments=departments,
        links=links,
        introduction_en=introduction_en,
        primary_color=primary,
        logo=logo,
    )
    return unit, f.problems


def _agency(f: Fields, data: Any, unit_name: str) -> Agency | None:
    agency = f.get(
        data,
        "agency",
        dict,
        required=True,
        hint="thêm nhóm `agency:` với address, phone, email, responsible.",
    )
    if agency is None:
        return None
    values = {
        k: f.get(agency, k, str, required=True, prefix="agency.")
        for k in ("address", "phone", "email")
    }
    if values["email"] and "@" not in values["email"]:
        f.error(
            f"`agency.email` {values['email']!r} không phải địa chỉ thư (invalid email).",
            data=agency,
            key="email",
            field="agency.email",
        )
    responsible = f.get(
        agency,
        "responsible",
        dict,
        required=True,
        prefix="agency.",
        hint="thêm `responsible:` với name và title của người chịu trách nhiệm nội dung trang.",
    )
    person = None
    if responsible is not None:
        person = _person(f, responsible, "agency.responsible.")
    if None in values.values() or person is None:
        return None
    name = f.get(agency, "name", str, prefix="agency.") or (
        "Ủy ban nhân dân " + unit_name[0].lower() + unit_name[1:] if unit_name else ""
    )
    return Agency(
        name=name,
        address=values["address"],
        phone=values["phone"],
        email=values["email"],
        responsible=person,
        fax=f.get(agency, "fax", str, prefix="agency."),
    )


def _person(f: Fields, data: Any, prefix: str) -> Person | None:
    name = f.get(data, "name", str, required=True, prefix=prefix)
    title = f.get(data, "title", str, required=True, prefix=prefix)
    if name is None or title is None:
        return None
    return Person(
        name,
        title,
        f.get(data, "phone", str, prefix=prefix),
        f.get(data, "email", str, prefix=prefix),
    )


def _items(f: Fields, data: Any, key: str) -> list[tuple[int, Any]]:
    items = f.get(data, key, list) or []
    good = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            f.error(
                f"Mỗi mục của `{key}` phải là nhóm trường (expected a mapping).",
                data=data,
                key=key,
                field=f"{key}[{index}]",
            )
        else:
            good.append((index, item))
    return good


def _people(f: Fields, data: Any, key: str) -> list[Person]:
    people = [_person(f, item, f"{key}[{i}].") for i, item in _items(f, data, key)]
    return [p for p in people if p is not None]


def _departments(f: Fields, data: Any) -> list[Department]:
    found = []
    for i, item in _items(f, data, "departments"):
        prefix = f"departments[{i}]."
        name = f.get(item, "name", str, required=True, prefix=prefix)
        if name:
            found.append(
                Department(
                    name,
                    f.get(item, "head", str, prefix=prefix),
                    f.get(item, "phone", str, prefix=prefix),
                    f.get(item, "email", str, prefix=prefix),
                )
            )
    return found


def _links(f: Fields, data: Any) -> list[Link]:
    found = []
    for i, item in _items(f, data, "links"):
        prefix = f"links[{i}]."
        title = f.get(item, "title", str, required=True, prefix=prefix)
        url = f.get(item, "url", str, required=True, prefix=prefix)
        if url and not urlsplit(url).scheme in ("http", "https"):
            f.error(
                f"Liên kết {url!r} phải bắt đầu bằng https:// (absolute URL).",
                data=item,
                key="url",
                field=prefix + "url",
            )
        elif title and url:
            found.append(Link(title, url))
    return found
