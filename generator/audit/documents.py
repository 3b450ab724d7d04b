"""`congxa report --year/--docx/--xlsx`: the yearly report and its annex, written to disk.

The run is chosen as for every output of `congxa report` (report.py), so `indicators.json`
written by the same command carries the same figures as the two documents.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator.audit.docx_report import render_docx
from generator.audit.report import Report
from generator.audit.xlsx_annex import render_xlsx
from generator.audit.yearly import load_settings, yearly_report
from generator.errors import AuditError, Problem


def write_documents(
    report: Report,
    *,
    docx: Path | None,
    xlsx: Path | None,
    settings_file: Path | None = None,
    province: str | None = None,
) -> list[Path]:
    """Write the .docx report and/or the .xlsx annex of `report`'s run."""
    if docx is None and xlsx is None:
        return []
    yearly = yearly_report(report, load_settings(settings_file), province)
    written = []
    if docx is not None:
        written.append(_write(docx, render_docx(yearly)))
    if xlsx is not None:
        written.append(_write(xlsx, render_xlsx(yearly)))
    return written


def _write(path: Path, data: bytes) -> Path:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        raise AuditError(
            Problem(
                f"Không ghi được tệp (cannot write the file): {exc}.",
                file=path,
                hint="chọn đường dẫn có quyền ghi; đóng tệp nếu đang mở trong Word hoặc Excel.",
            )
        ) from exc
    return path
