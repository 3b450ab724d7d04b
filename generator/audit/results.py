"""The audit's result for one unit: the row every output (SQLite, CSV, HTML) is built from."""

from __future__ import annotations

from dataclasses import dataclass

from generator.audit.activity import Activity

# The contract's statuses (docs/architecture.md, Audit results). A unit "has a page" when `ok`.
STATUSES = (
    "ok",
    "no_url",
    "invalid_url",
    "dns_error",
    "connection_error",
    "timeout",
    "tls_error",
    "http_error",
    "too_many_redirects",
    "not_unit_page",
    "private_address",
)
# Shown for units a run did not reach (it was interrupted); never stored as a status.
UNCHECKED = "unchecked"


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
        return self.status == "ok"
