"""Loading and validating one commune file (communes/<province>/<unit>.yml)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.errors import ConfigError, ContentError, Problem, Severity
from generator.source.containment import FilePolicy, lexical, refusal, suggest
from generator.source.fields import Fields
from generator.source.files import line_of, parse_yaml, read_text
from generator.source.markdown_limits import markdown_problems
from generator.source.model import Agency, Department, Link, Person, Unit
from generator.source.placeholders import is_introduction_placeholder
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
AGENCY_KEYS = {"name", "address", "phone", "email", "fax", "responsible"}
PERSON_KEYS = {"name", "title", "phone", "email"}
DEPARTMENT_KEYS = {"name", "head", "phone", "email"}
LINK_KEYS = {"title", "url"}
ENGLISH_KEYS = {"introduction"}
THEME_KEYS = {"primary", "logo"}
# The fields `congxa init` leaves empty for the clerk: all still empty = not filled in yet.
REQUIRED_TO_FILL = (
    ("site_url",),
    ("agency", "address"),
    ("agency", "phone"),
    ("agency", "email"),
    ("agency", "responsible", "name"),
)


def unfinished(data: Any) -> bool:
    """True for a commune file as `congxa init` wrote it: every field to fill still empty.

    Such a unit is not ready: builds and audits skip it quietly; a unit with some of these
    fields filled and others missing is an error as usual.
    """
    if not isinstance(data, dict):
        return False
    for path in REQUIRED_TO_FILL:
        value: Any = data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value not in (None, "", [], {}):
            return False
    return True


def is_unfinished(path: Path) -> bool:
    """`unfinished` for a commune file on disk (False when it cannot be read)."""
    try:
        return unfinished(parse_yaml(read_text(path), path))
    except ContentError:
        return False


def split_unfinished(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """(ready units, units not filled in yet)."""
    ready: list[Path] = []
    waiting: list[Path] = []
    for path in paths:
        (waiting if is_unfinished(path) else ready).append(path)
    return ready, waiting


def unfinished_line(count: int) -> str:
    """The one summary line for skipped units."""
    return (
        f"{count} đơn vị chưa điền thông tin, bỏ qua ({count} units not filled in yet, "
        "skipped). Điền các trường BẮT BUỘC trong tệp đơn vị rồi chạy lại."
    )


def load_unit(path: Path, registry: Registry, files: FilePolicy | None = None) -> Unit:
    """Read, validate and type one commune file; raise ConfigError with every problem."""
    return load_unit_with_warnings(path, registry, files)[0]


def load_unit_with_warnings(
    path: Path, registry: Registry, files: FilePolicy | None = None
) -> tuple[Unit, list[Problem]]:
    """The unit and the warnings of its file (unknown fields); ConfigError on errors.

    `files` is the province's rule for publishable files (the logo follows it)."""
    try:
        data = parse_yaml(read_text(path), path)
    except ContentError as exc:
        raise ConfigError(exc.problems) from None
    f = Fields(path)
    if not isinstance(data, dict):
        f.error(
            "Tệp đơn vị phải là một nhóm trường `tên: giá trị` (expected a mapping).",
            line=1,
            hint='viết mỗi dòng `tên: giá trị`, ví dụ `code: "00070"`, '
            "`site_url: https://tenxa.tinh.gov.vn/`; hoặc tạo tệp mẫu đúng mã bằng "
            "`congxa init --province <mã tỉnh> --unit <mã đơn vị>`.",
        )
        raise ConfigError(f.problems)
    f.unknown_keys(data, KNOWN_KEYS)

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
    f.unknown_keys(english, ENGLISH_KEYS, prefix="english.")
    theme = f.get(data, "theme", dict)
    f.unknown_keys(theme, THEME_KEYS, prefix="theme.")
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
        logo = _logo(f, theme, path, logo_raw, files or FilePolicy())

    introduction = f.get(data, "introduction", str) or ""
    if is_introduction_placeholder(introduction):
        f.error(
            "Phần giới thiệu `introduction` vẫn là câu mẫu của `congxa init` (placeholder "
            "text); trang Giới thiệu sẽ không hiện câu này.",
            data=data,
            key="introduction",
            severity=Severity.WARNING,
            rule="placeholder",
            hint="viết giới thiệu thật của đơn vị: vị trí, diện tích, dân số, lịch sử...",
        )
        introduction = ""
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

    errors = [p for p in f.problems if p.severity == Severity.ERROR]
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


def _logo(f: Fields, theme: Any, path: Path, raw: str, files: FilePolicy) -> Path | None:
    """The logo's path when it exists and may be published: an image inside the unit's
    content folder, the province's shared folder or the province's theme."""
    content = path.parent.parent.parent / "content" / path.parent.name
    unit_dir = content / path.stem
    roots = [unit_dir, content / "_province", *files.theme_dirs]
    logo = lexical(path.parent / raw)
    example = os.path.relpath(unit_dir / "files" / "logo.png", path.parent).replace(os.sep, "/")
    if not os.path.exists(logo):
        close = suggest(path.parent, raw)
        f.error(
            f"Không tìm thấy logo {raw!r} (file not found).",
            data=theme,
            key="logo",
            field="theme.logo",
            hint=f"có phải ý bạn là `{close}`? Tên tệp phân biệt chữ hoa, chữ thường."
            if close
            else f"đường dẫn tính từ thư mục tệp đơn vị, ví dụ `logo: {example}`.",
        )
        return None
    refused = refusal(logo, roots, files, images_only=True)
    if refused is None:
        return logo
    if refused.kind == "outside":
        f.error(
            f"Logo {raw!r} nằm ngoài các thư mục được đăng (logo outside the content "
            "folders): chỉ đăng ảnh trong thư mục nội dung của đơn vị, thư mục _province của "
            "tỉnh hoặc giao diện (theme) của tỉnh.",
            data=theme,
            key="logo",
            field="theme.logo",
            hint=f"chép ảnh logo vào {unit_dir}/files/ rồi ghi `logo: {example}`.",
        )
    else:
        f.error(refused.message, data=theme, key="logo", field="theme.logo", hint=refused.hint)
    return None


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
    f.unknown_keys(agency, AGENCY_KEYS, prefix="agency.")
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
    f.unknown_keys(data, PERSON_KEYS, prefix=prefix)
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
        f.unknown_keys(item, DEPARTMENT_KEYS, prefix=prefix)
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
        f.unknown_keys(item, LINK_KEYS, prefix=prefix)
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
