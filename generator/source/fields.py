"""Reading typed fields out of parsed YAML while collecting every problem of a file."""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from generator.errors import Problem, Severity
from generator.source.files import forbidden_character, line_of

# Dates without a zone are Vietnam time (UTC+07:00, no daylight saving).
VN_TZ = timezone(timedelta(hours=7), "+07:00")

_DATE_FORMATS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), "dmy"),
)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")

# Dates outside these years are typing mistakes (and overflow feed and sitemap writers).
MIN_YEAR, MAX_YEAR = 1900, 2100

TYPE_NAMES = {
    str: "chuỗi (text)",
    list: "danh sách (list)",
    dict: "nhóm trường (mapping)",
    bool: "đúng/sai (true/false)",
    int: "số (number)",
}

# What a value of each type looks like, for the fix of a wrong-type value.
TYPE_EXAMPLES = {
    str: "viết chữ sau dấu hai chấm, ví dụ `{key}: Nội dung`; có dấu `:` hoặc `#` thì đặt "
    "trong ngoặc kép.",
    list: "viết danh sách, mỗi mục một dòng bắt đầu bằng `  - ` (hai dấu cách, gạch ngang).",
    dict: "viết các dòng con thụt vào hai dấu cách dưới `{key}:`, mỗi dòng `tên: giá trị`.",
    bool: "chỉ chấp nhận `true` (đúng, có) hoặc `false` (sai, không), ví dụ `{key}: true`.",
    int: "viết một số nguyên, ví dụ `{key}: 50`.",
}


def _type_name(value: Any) -> str:
    for kind in (bool, int, str, list, dict):  # bool first: True is also an int
        if isinstance(value, kind):
            return TYPE_NAMES[kind]
    return type(value).__name__


def did_you_mean(key: str, known: Iterable[str]) -> str | None:
    """The known key closest to a misspelt one (`Title` → `title`, `priorty` → `priority`)."""
    choices = sorted(known)
    lowered = {k.lower(): k for k in choices}
    if key.lower() in lowered:
        return lowered[key.lower()]
    close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def date_mistake(text: str) -> str | None:
    """Why `text` is not a date a clerk can mean, in Vietnamese; None when it is one."""
    text = text.strip()
    day_part, _, time_part = text.replace("T", " ", 1).partition(" ")
    for pattern, order in _DATE_FORMATS:
        match = pattern.match(day_part)
        if not match:
            continue
        a, b, c = (int(g) for g in match.groups())
        year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
        if not MIN_YEAR <= year <= MAX_YEAR:
            return f"năm {year} nằm ngoài khoảng {MIN_YEAR}–{MAX_YEAR} (year out of range)"
        if not 1 <= month <= 12:
            return f"không có tháng {month} (month must be 1–12)"
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            return (
                f"tháng {month}/{year} không có ngày {day}, tháng này có {last} ngày "
                "(day does not exist)"
            )
        clock = _TIME.match(time_part.strip()) if time_part else None
        if time_part and clock:
            hour, minute = int(clock[1]), int(clock[2])
            if hour > 23 or minute > 59 or int(clock[3] or 0) > 59:
                return f"không có giờ {time_part.strip()} (time does not exist)"
        return None
    return None


class Fields:
    """Collects problems while reading fields of one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def error(
        self,
        message: str,
        *,
        data: Any = None,
        key: str | None = None,
        field: str | None = None,
        hint: str | None = None,
        line: int | None = None,
        severity: Severity = Severity.ERROR,
        rule: str = "invalid",
    ) -> None:
        if line is None and data is not None:
            line = line_of(data, key) if key else line_of(data, "")
        self.problems.append(
            Problem(
                message,
                file=self.path,
                line=line,
                field=field or key,
                hint=hint,
                severity=severity,
                rule=rule,
            )
        )

    def get(
        self,
        data: Any,
        key: str,
        kind: type,
        *,
        required: bool = False,
        prefix: str = "",
        hint: str | None = None,
    ) -> Any:
        """data[key] if it has the right type; None (and a problem) otherwise."""
        name = prefix + key
        if not isinstance(data, dict) or key not in data or data[key] is None or data[key] == "":
            if required:
                self.error(
                    f"Thiếu trường bắt buộc (missing required field) `{name}`.",
                    data=data,
                    key=key,
                    field=name,
                    hint=hint or f"thêm dòng `{key}: ...` vào tệp.",
                )
            return None
        value = data[key]
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            example = TYPE_EXAMPLES.get(kind, "")
            self.error(
                f"Trường `{name}` phải là {TYPE_NAMES.get(kind, kind.__name__)}, không phải "
                f"{_type_name(value)} {str(value)[:40]!r} (wrong type).",
                data=data,
                key=key,
                field=name,
                hint=hint or example.replace("{key}", key),
            )
            return None
        if isinstance(value, str):
            # YAML escapes ("\e", "\x00", "\uFFFE") make what the file itself cannot hold.
            bad = forbidden_character(value)
            if bad is not None:
                self.error(
                    f"Trường `{name}` có ký tự điều khiển (control character) {bad}.",
                    data=data,
                    key=key,
                    field=name,
                    hint="xoá mã thoát (escape) như \\e, \\x00, \\u0000 trong giá trị.",
                )
                return None
            value = value.strip()
        return value

    def get_date(
        self,
        data: Any,
        key: str,
        *,
        required: bool = False,
        prefix: str = "",
        end_of_day: bool = False,
        hint: str | None = None,
    ) -> datetime | None:
        raw = self.get(data, key, str, required=required, prefix=prefix, hint=hint)
        if raw is None:
            return None
        mistake = date_mistake(raw)
        parsed = None if mistake else parse_datetime(raw, end_of_day=end_of_day)
        if parsed is not None and not MIN_YEAR <= parsed.year <= MAX_YEAR:
            mistake = (
                f"năm {parsed.year} nằm ngoài khoảng {MIN_YEAR}–{MAX_YEAR} (year out of range)"
            )
            parsed = None
        if mistake:
            self.error(
                f"Ngày `{prefix + key}` {raw!r} không có thật: {mistake}.",
                data=data,
                key=key,
                field=prefix + key,
                hint="kiểm tra lại ngày, tháng, năm; viết theo dạng 2026-11-20, "
                "2026-11-20 08:30 hoặc 20/11/2026.",
            )
        elif parsed is None:
            self.error(
                f"Không hiểu ngày `{prefix + key}`: {raw!r} (unparsable date).",
                data=data,
                key=key,
                field=prefix + key,
                hint="viết theo dạng 2026-11-20, 2026-11-20 08:30 hoặc 20/11/2026.",
            )
        return parsed

    def unknown_keys(
        self,
        data: Any,
        known: Iterable[str],
        *,
        prefix: str = "",
        severity: Severity = Severity.WARNING,
        consequence: str = "sẽ bị bỏ qua",
    ) -> None:
        """Report every key of `data` not in `known`, with the closest known one."""
        if not isinstance(data, dict):
            return
        known = set(known)
        for key in data:
            if key in known:
                continue
            guess = did_you_mean(str(key), known)
            hint = (
                f"có phải ý bạn là `{guess}`? Sửa tên trường thành `{guess}`."
                if guess
                else "kiểm tra chính tả; các trường dùng được: "
                + ", ".join(f"`{k}`" for k in sorted(known))
                + "."
            )
            self.error(
                f"Trường lạ `{prefix}{key}` (unknown field) {consequence}.",
                data=data,
                key=str(key),
                field=prefix + str(key),
                severity=severity,
                rule="unknown-field",
                hint=hint,
            )


def parse_datetime(text: str, *, end_of_day: bool = False) -> datetime | None:
    """Parse '2026-11-20', '2026-11-20 08:30', '20/11/2026', ISO with zone; None if not a date."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
    except ValueError:
        value = None
    if value is not None and ("T" in text or " " in text or ":" in text):
        return value if value.tzinfo else value.replace(tzinfo=VN_TZ)
    day_part, _, time_part = text.partition(" ")
    day = _parse_day(day_part)
    if day is None:
        return None
    at = time(23, 59, 59) if end_of_day else time(0, 0)
    if time_part:
        match = _TIME.match(time_part.strip())
        if not match:
            return None
        try:
            at = time(int(match[1]), int(match[2]), int(match[3] or 0))
        except ValueError:
            return None
    return datetime.combine(day, at, tzinfo=VN_TZ)


def _parse_day(text: str) -> date | None:
    for pattern, order in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            a, b, c = (int(g) for g in match.groups())
            try:
                return date(a, b, c) if order == "ymd" else date(c, b, a)
            except ValueError:
                return None
    return None
