"""Where the audit gets each unit's URLs: a `code,url` CSV or the commune YAML files.

Problems with single rows or files are collected and the audit goes on with the rest
(STYLE.md: collect, then fail once); a file that cannot be read at all stops the run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from generator.errors import AuditError, Problem, Severity
from generator.source.commune import unfinished, unfinished_line
from generator.source.registry import Registry, normalise_code


@dataclass(frozen=True)
class UrlSource:
    """URLs by unit code (in the order given: the first that works counts), and problems."""

    urls: dict[str, list[str]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    label: str = "none"


def load_urls_csv(path: Path, registry: Registry) -> UrlSource:
    """Read a `code,url` CSV; a unit may have several rows (several URLs)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(
            Problem(
                f"Không đọc được tệp danh sách địa chỉ (cannot read URL list): {exc}.",
                file=path,
                field="--urls",
                hint="đưa vào một tệp CSV UTF-8 có dòng đầu `code,url`.",
            )
        ) from exc
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    if "code" not in columns or "url" not in columns:
        raise AuditError(
            Problem(
                "Thiếu cột `code` hoặc `url` (missing columns).",
                file=path,
                line=1,
                field="--urls",
                hint="dòng đầu phải là: code,url",
            )
        )
    reader.fieldnames = columns
    urls: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for number, row in enumerate(reader, start=2):
        raw_code = (row.get("code") or "").strip()
        url = (row.get("url") or "").strip()
        if not raw_code and not url:
            continue
        code = normalise_code(raw_code, 5)
        problem = _row_problem(registry, code, url, path, number)
        if problem is not None:
            problems.append(problem)
            continue
        if url not in urls.setdefault(code, []):
            urls[code].append(url)
    return UrlSource(urls, tuple(problems), f"urls:{path}")


def _row_problem(registry: Registry, code: str, url: str, path: Path, line: int) -> Problem | None:
    if registry.unit(code) is None:
        return Problem(
            f"Mã đơn vị {code!r} không có trong danh mục (unknown unit code).",
            file=path,
            line=line,
            field="code",
            hint="dùng mã 5 chữ số theo Quyết định 19/2025/QĐ-TTg, hoặc --registry cho năm khác.",
        )
    if not url:
        return Problem(
            "Thiếu địa chỉ (missing URL).",
            file=path,
            line=line,
            field="url",
            hint="ghi địa chỉ đầy đủ, ví dụ https://phuonghoankiem.hanoi.gov.vn/.",
        )
    return None


def load_commune_urls(
    directory: Path, registry: Registry, province: str | None = None
) -> UrlSource:
    """`code` and `site_url` of every `*.yml` under `directory`; broken files are reported.

    With `province`, only that province's files are read: folders named after another
    province are not opened, and units of other provinces found elsewhere are left out
    with their problems. Files still as `congxa init` wrote them are counted, not reported
    one by one."""
    if not directory.is_dir():
        raise AuditError(
            Problem(
                "Không tìm thấy thư mục hồ sơ đơn vị (communes folder not found).",
                file=directory,
                field="--communes",
                hint="đưa vào thư mục chứa các tệp <đơn vị>.yml, ví dụ communes/.",
            )
        )
    wanted = registry.province(province) if province else None
    urls: dict[str, list[str]] = {}
    problems: list[Problem] = []
    waiting = 0
    for path in sorted(directory.rglob("*.yml")):
        if wanted is not None and _other_province(path, directory, registry, wanted.code):
            continue
        code, url, problem = _commune_entry(path, registry)
        if wanted is not None and code:
            official = registry.unit(code)
            if official is not None and official.province_code != wanted.code:
                continue
        if problem is not None and problem.field == "unfinished":
            waiting += 1
            continue
        if problem is not None:
            problems.append(problem)
        if code and url:
            if code in urls:
                problems.append(
                    Problem(
                        f"Mã đơn vị {code} đã có trong một tệp khác (duplicate unit code).",
                        file=path,
                        field="code",
                        hint="mỗi đơn vị chỉ có một tệp.",
                    )
                )
                continue
            urls[code] = [url]
    if waiting:
        problems.append(
            Problem(
                unfinished_line(waiting) + " Khi đánh giá, các đơn vị này tính là chưa có trang "
                "(counted as no page).",
                file=directory,
                severity=Severity.WARNING,
            )
        )
    return UrlSource(urls, tuple(problems), f"communes:{directory}")


def _other_province(path: Path, directory: Path, registry: Registry, code: str) -> bool:
    """True when a folder on the way from `directory` to `path` names another province."""
    for name in (directory.resolve().name, *path.relative_to(directory).parent.parts):
        named = registry.province(name)
        if named is not None and named.code != code:
            return True
    return False


def _commune_entry(path: Path, registry: Registry) -> tuple[str, str, Problem | None]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return (
            "",
            "",
            Problem(
                f"Tệp YAML hỏng (invalid YAML): {getattr(exc, 'problem', None) or exc}.",
                file=path,
                line=line,
                hint="sửa cú pháp YAML ở dòng này.",
            ),
        )
    except (OSError, UnicodeDecodeError) as exc:
        return "", "", Problem(f"Không đọc được tệp (cannot read file): {exc}.", file=path)
    if not isinstance(data, dict):
        return "", "", Problem("Tệp không phải một bảng khoá: giá trị (not a mapping).", file=path)
    code = data.get("code")
    if not isinstance(code, str):
        # YAML reads 00070 unquoted as an octal number: only a string keeps the code.
        return (
            "",
            "",
            Problem(
                "Thiếu `code` hoặc `code` không phải chuỗi (missing or non-string code).",
                file=path,
                field="code",
                hint='ghi mã trong ngoặc kép, ví dụ code: "00070".',
            ),
        )
    code = normalise_code(code, 5)
    if registry.unit(code) is None:
        return (
            "",
            "",
            Problem(
                f"Mã đơn vị {code!r} không có trong danh mục (unknown unit code).",
                file=path,
                field="code",
                hint="kiểm tra mã theo danh mục đơn vị hành chính.",
            ),
        )
    if unfinished(data):
        # Not filled in yet: counted as having no page, summed up in one line.
        return code, "", Problem("unfinished", file=path, field="unfinished")
    url = data.get("site_url")
    if not isinstance(url, str) or not url.strip():
        return (
            code,
            "",
            Problem(
                "Thiếu `site_url` (missing site URL); đơn vị được tính là chưa có trang.",
                file=path,
                field="site_url",
                hint="ghi địa chỉ https đầy đủ của trang đang chạy.",
            ),
        )
    return code, url.strip(), None
