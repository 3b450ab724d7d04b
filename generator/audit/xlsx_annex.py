"""The annex of the yearly report as an .xlsx: one row per unit, then the indicators.

Every text cell is written as a string, never a formula: names, URLs and causes come from
untrusted sources and a cell starting with "=" must not run in the reader's spreadsheet.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from generator.audit import monitor
from generator.audit.wording import STATUS_VI, cause, when
from generator.audit.yearly import YearlyReport, clean, stable_zip
from generator.source.essential import priority_title
from generator.source.profile import load_profile

_HEAD_FONT = Font(name="Times New Roman", bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDE3EA")


def unit_columns() -> list[tuple[str, int]]:
    """(Vietnamese header, width in characters) of the units sheet."""
    return [
        ("STT", 6),
        ("Mã đơn vị", 10),
        ("Tên đơn vị", 28),
        ("Loại", 10),
        ("Tỉnh, thành phố", 22),
        ("Trạng thái", 24),
        ("Có trang", 9),
        ("Địa chỉ trang", 40),
        ("Đủ chuyên mục", 13),
        ("Chuyên mục còn thiếu hoặc trống", 40),
        ("Bài mới nhất", 13),
        ("Số ngày từ bài mới nhất", 12),
        ("Số bài 30 ngày", 10),
        ("Số bài 90 ngày", 10),
        ("Số bài 365 ngày", 10),
        ("Số bài đủ (không bị giới hạn nguồn tin)", 14),
        ("Số bài theo chuyên mục", 50),
        *((f"Tin thiết yếu {priority_title(p)}", 12) for p in monitor.priority_order()),
        ("Nguyên nhân (khi chưa có trang)", 50),
    ]


INDICATOR_COLUMNS = (
    ("Chỉ tiêu", 9),
    ("Nội dung", 60),
    ("Số đơn vị", 10),
    ("Có trang", 10),
    ("Tỷ lệ (%)", 10),
    ("Chỉ tiêu năm (%)", 12),
    ("Đánh giá", 12),
    ("Đủ chuyên mục", 12),
    ("Lâu chưa cập nhật", 12),
)


def render_xlsx(yearly: YearlyReport) -> bytes:
    """The annex as the bytes of an .xlsx file."""
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Đơn vị"
    _units(sheet, yearly)
    _indicators(book.create_sheet("Chỉ tiêu"), yearly)
    moment = when(yearly.report.run.started_at) or datetime(2000, 1, 1)
    book.properties.creator = "congxa"
    book.properties.lastModifiedBy = "congxa"
    book.properties.title = f"Phụ lục báo cáo năm {yearly.year}"
    book.properties.created = book.properties.modified = moment.replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return stable_zip(buffer.getvalue())


def _header(sheet: Worksheet, columns: list[tuple[str, int]] | tuple[tuple[str, int], ...]) -> None:
    for index, (title, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        _put(cell, title)
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _put(cell: Any, value: Any) -> None:
    """A value in a cell: text always as a string (never a formula)."""
    if isinstance(value, str):
        cell.value = clean(value)
        cell.data_type = "s"
    else:
        cell.value = value


def _yes(value: bool | None) -> str:
    return "–" if value is None else "Có" if value else "Không"


def _units(sheet: Worksheet, yearly: YearlyReport) -> None:
    columns = unit_columns()
    _header(sheet, columns)
    titles = {s.id: s.title for s in load_profile().sections}
    activity = {u.result.code: u for u in yearly.units}
    order = monitor.priority_order()
    for number, r in enumerate(yearly.results, start=1):
        unit = activity.get(r.code)
        a = unit.activity if unit else None
        gaps = tuple(dict.fromkeys([*(a.empty if a else ()), *r.missing]))
        last = when(a.last_post if a and a.last_post else r.newest) if r.has_page else None
        essential = yearly.essential_of_unit(r.code)
        values: list[Any] = [
            number,
            r.code,
            r.name,
            r.type,
            r.province_name,
            STATUS_VI.get(r.status, r.status),
            _yes(r.has_page),
            r.final_url or r.url,
            _yes(r.conformant),
            ", ".join(titles.get(g, g) for g in gaps),
            last.date() if last else None,
            unit.days if unit else None,
            a.posts_30 if a else None,
            a.posts_90 if a else None,
            a.posts_365 if a else None,
            _yes(a.exact) if a else "–",
            "; ".join(f"{titles.get(sid, sid)}: {n}" for sid, n in a.sections) if a else "",
            *(essential[p] if r.has_page else None for p in order),
            "" if r.has_page else cause(r),
        ]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=number + 1, column=column)
            _put(cell, value)
            if column == 11 and value is not None:
                cell.number_format = "DD/MM/YYYY"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(yearly.results) + 1}"


def _indicators(sheet: Worksheet, yearly: YearlyReport) -> None:
    _header(sheet, INDICATOR_COLUMNS)
    rows = [r for r in yearly.report.rows if r.scope == yearly.scope]
    for number, row in enumerate(rows, start=2):
        verdict = "Đạt" if row.meets else "Không đạt" if row.meets is False else "–"
        values: list[Any] = [
            row.indicator,
            row.title_vi,
            row.units,
            row.with_page,
            row.percent,
            row.target,
            verdict,
            row.conformant,
            row.stale,
        ]
        for column, value in enumerate(values, start=1):
            _put(sheet.cell(row=number, column=column), value)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(INDICATOR_COLUMNS))}{len(rows) + 1}"
