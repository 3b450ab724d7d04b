"""The audit's result for one unit: the row every output (SQLite, CSV, HTML) is built from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from generator.audit.activity import Activity


class AuditStatus(StrEnum):
    """A unit's audit status (README, "Coverage audit"). A unit "has a page" when `ok`.

    A new status needs a Vietnamese label in STATUS_LABELS and a row in the README's
    status table; tests/audit/test_statuses.py checks both.
    """

    OK = "ok"
    NO_URL = "no_url"
    INVALID_URL = "invalid_url"
    DNS_ERROR = "dns_error"
    CONNECTION_ERROR = "connection_error"
    TIMEOUT = "timeout"
    TLS_ERROR = "tls_error"
    HTTP_ERROR = "http_error"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    NOT_UNIT_PAGE = "not_unit_page"
    PRIVATE_ADDRESS = "private_address"
    AUDIT_ERROR = "audit_error"
    # Shown for units a run did not reach (it was interrupted); never stored as a status.
    UNCHECKED = "unchecked"


# The statuses a check can give (stored in the database), in report order.
STATUSES = tuple(s for s in AuditStatus if s is not AuditStatus.UNCHECKED)
UNCHECKED = AuditStatus.UNCHECKED
# What the report shows for each status: Vietnamese first, the English term in parentheses.
STATUS_LABELS: Mapping[AuditStatus, str] = MappingProxyType(
    {
        AuditStatus.OK: "có trang (ok)",
        AuditStatus.NO_URL: "chưa có địa chỉ (no URL)",
        AuditStatus.INVALID_URL: "địa chỉ sai (invalid URL)",
        AuditStatus.DNS_ERROR: "lỗi tên miền (DNS error)",
        AuditStatus.CONNECTION_ERROR: "không kết nối được (connection error)",
        AuditStatus.TIMEOUT: "quá thời gian chờ (timeout)",
        AuditStatus.TLS_ERROR: "lỗi chứng chỉ (TLS error)",
        AuditStatus.HTTP_ERROR: "lỗi HTTP (HTTP error)",
        AuditStatus.TOO_MANY_REDIRECTS: "chuyển hướng quá nhiều (too many redirects)",
        AuditStatus.NOT_UNIT_PAGE: "không phải trang của đơn vị (not the unit's page)",
        AuditStatus.PRIVATE_ADDRESS: "địa chỉ nội bộ (private address)",
        AuditStatus.AUDIT_ERROR: "lỗi khi kiểm tra trang (audit error)",
        AuditStatus.UNCHECKED: "chưa kiểm tra (not checked)",
    }
)


def status_label(status: str) -> str:
    """The report's label of a status; an unknown one (a hand-edited row) shows as is."""
    try:
        return STATUS_LABELS[AuditStatus(status)]
    except (ValueError, KeyError):
        return status


@dataclass(frozen=True)
class UnitResult:
    """One official unit's result in one run, with the registry facts of that run.

    The registry snapshot (name, type, province) is kept so that reports of old runs stay
    right after units merge or get renamed.
    """

    code: str
    name: str
    type: str  # "phường"
    type_id: str  # "phuong"
    province_code: str
    province_name: str
    status: str
    url: str = ""  # the URL that decided the result ("" when none is known)
    final_url: str = ""
    http_status: int | None = None
    detail: str = ""
    stale: bool | None = None  # None: no date found
    conformant: bool | None = None  # None: not judged (the page is not ok)
    newest: str = ""  # ISO 8601 date of the newest item, "" when unknown
    congxa: bool = False
    missing: tuple[str, ...] = ()  # profile sections not found
    elapsed: float = 0.0
    checked_at: str = ""  # ISO 8601, UTC
    activity: Activity | None = None  # read from site.json and feeds when the page is ok

    @property
    def has_page(self) -> bool:
        return self.status == AuditStatus.OK
