"""Reading typed fields out of parsed YAML while collecting every problem of a file."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from generator.errors import Problem
from generator.source.files import forbidden_character, line_of

# Dates without a zone are Vietnam time (UTC+07:00, no daylight saving).
VN_TZ = timezone(timedelta(hours=7), "+07:00")

_DATE_FORMATS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), "dmy"),
)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")

TYPE_NAMES = {
    str: "chuỗi (text)",
    list: "danh sách (list)",
    dict: "nhóm trường (mapping)",
    bool: "đúng/sai (true/false)",
    int: "số (number)",
}


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
        severity: str = "error",
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
            self.error(
                f"Trường `{name}` phải là {TYPE_NAMES.get(kind, kind.__name__)}, không phải "
                f"{TYPE_NAMES.get(type(value), type(value).__name__)} (wrong type).",
                data=data,
                key=key,
                field=name,
                hint=hint or "sửa giá trị theo mẫu trong README.",
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
        parsed = parse_datetime(raw, end_of_day=end_of_day)
        if parsed is None:
            self.error(
                f"Không hiểu ngày `{prefix + key}`: {raw!r} (unparsable date).",
                data=data,
                key=key,
                field=prefix + key,
                hint="viết theo dạng 2026-11-20, 2026-11-20 08:30 hoặc 20/11/2026.",
            )
        return parsed


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
