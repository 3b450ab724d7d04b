"""Vietnamese words for the audit's readers: statuses, causes, dates in Vietnam time.

The audit stores technical details in English (they go to IT staff through results.csv);
the HTML report, the yearly report and its annex speak Vietnamese, through this module.
"""

from __future__ import annotations

import re
from datetime import datetime

from generator.audit.page import VIETNAM, parse_date
from generator.audit.results import STATUS_LABELS, UnitResult

# Short labels, for tables and spreadsheets.
# The report's short labels: the Vietnamese part of each status's label
# (generator/audit/results.py, STATUS_LABELS), capitalised.
STATUS_VI = {
    status.value: (label.split(" (")[0][:1].upper() + label.split(" (")[0][1:])
    for status, label in STATUS_LABELS.items()
}

_CAUSES = {
    "no_url": "Chưa có địa chỉ trang trong danh sách địa chỉ của tỉnh.",
    "invalid_url": "Địa chỉ ghi trong danh sách không hợp lệ (cần dạng https://...).",
    "dns_error": "Tên miền không tồn tại hoặc chưa trỏ về máy chủ nào.",
    "connection_error": "Không kết nối được tới máy chủ (máy chủ tắt hoặc chặn kết nối).",
    "timeout": "Máy chủ không trả lời trong thời gian chờ.",
    "tls_error": "Chứng chỉ bảo mật (HTTPS) không hợp lệ hoặc đã hết hạn.",
    "too_many_redirects": "Trang chuyển hướng vòng quanh, không dẫn tới nội dung.",
    "private_address": "Tên miền trỏ vào địa chỉ mạng nội bộ, người dân không truy cập được.",
    "unchecked": "Chưa kiểm tra: lần kiểm tra bị dừng giữa chừng.",
}
_MARKERS = (
    ("default page", "Máy chủ chỉ hiện trang mặc định, chưa có trang của đơn vị."),
    ("parked", "Tên miền bị rao bán hoặc chỉ có trang chờ, chưa có trang của đơn vị."),
)
_TRIES = re.compile(r"\(after (\d+) tries\)")
_URLS = re.compile(r"\((\d+) URLs tried, none ok\)")
_HTTP = re.compile(r"^HTTP (\d{3})")
_FOR_UNIT = re.compile(r"^site\.json is for unit (\S+), not (\S+)")


def cause(result: UnitResult) -> str:
    """Why a unit has no working page, in Vietnamese, from its status and detail."""
    detail = result.detail
    text = _CAUSES.get(result.status, "")
    if result.status == "http_error":
        code = _HTTP.match(detail)
        text = (
            f"Máy chủ trả lỗi HTTP {code.group(1)}."
            if code
            else "Máy chủ trả lời sai giao thức HTTP."
        )
    elif result.status == "not_unit_page":
        text = _not_unit(result)
    if not text:
        text = STATUS_VI.get(result.status, result.status) + "."
    extra = []
    tries = _TRIES.search(detail)
    if tries:
        extra.append(f"đã thử {tries.group(1)} lần")
    urls = _URLS.search(detail)
    if urls:
        extra.append(f"đã thử {urls.group(1)} địa chỉ, không địa chỉ nào dùng được")
    return text + (f" ({'; '.join(extra)})" if extra else "")


def _not_unit(result: UnitResult) -> str:
    detail = result.detail
    other = _FOR_UNIT.match(detail)
    if other:
        return f"Trang khai báo (site.json) là của đơn vị mã {other.group(1)}, không phải của đơn vị này."
    for marker, text in _MARKERS:
        if marker in detail:
            return text
    if detail.startswith("title "):
        return f"Trang trả lời nhưng tiêu đề không nêu tên {result.name}."
    return f"Trang trả lời nhưng không có tiêu đề nêu tên {result.name}."


def when(iso: str | None) -> datetime | None:
    """An ISO 8601 moment in Vietnam time; None when empty or unreadable."""
    moment = parse_date(iso or "")
    return moment.astimezone(VIETNAM) if moment else None


def vn_datetime(iso: str | None) -> str:
    """'29/11/2026 21:44' in Vietnam time, '' when unknown."""
    moment = when(iso)
    return moment.strftime("%d/%m/%Y %H:%M") if moment else ""


def vn_date(iso: str | None) -> str:
    """'29/11/2026' in Vietnam time, '' when unknown."""
    moment = when(iso)
    return moment.strftime("%d/%m/%Y") if moment else ""


def vn_year(iso: str | None) -> int | None:
    moment = when(iso)
    return moment.year if moment else None


def percent(value: float | None) -> str:
    """'87,5%': the stored figure (two decimals at most), Vietnamese decimal comma."""
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + "%"
