"""Every audit status has a Vietnamese label in the report and a row in the README's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.audit.report import build_report
from generator.audit.report_html import render_html
from generator.audit.results import STATUS_LABELS, AuditStatus, UnitResult
from generator.audit.store import Store
from generator.audit.wording import STATUS_VI
from generator.source.registry import RegistryUnit

README = Path(__file__).resolve().parents[2] / "README.md"
_ROW = re.compile(r"^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|$", re.MULTILINE)
_VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")


def _readme_rows() -> dict[str, tuple[str, str]]:
    section = README.read_text(encoding="utf-8").split("### Coverage audit", 1)[1]
    return {m[1]: (m[2].strip(), m[3].strip()) for m in _ROW.finditer(section)}


@pytest.mark.parametrize("status", list(AuditStatus))
def test_every_status_has_a_vietnamese_label_and_a_row_in_the_readme(
    status: AuditStatus,
) -> None:
    label = STATUS_LABELS.get(status, "")
    assert _VIETNAMESE.search(label) and label.endswith(")"), label  # "nhãn (English)"
    rows = _readme_rows()
    assert status.value in rows, f"README.md: add `{status.value}` to the status table"
    assert rows[status.value][0] == label
    assert len(rows[status.value][1]) > 20  # a meaning, not a placeholder


def test_the_readme_lists_no_status_that_does_not_exist() -> None:
    assert set(_readme_rows()) == {s.value for s in AuditStatus}


def test_the_report_shows_every_status_by_its_label() -> None:
    units = [
        RegistryUnit(f"{i:05d}", f"Xã {i}", "xã", "01", "Hà Nội", f"xa_{i}", "ha_noi")
        for i in range(len(STATUS_LABELS))
    ]
    stored = [s for s in AuditStatus if s is not AuditStatus.UNCHECKED]
    with Store.open(":memory:") as store:
        run_id = store.begin_run(
            year=2025,
            version="0",
            scope={},
            settings={},
            units=[(u, ["https://x/"]) for u in units],
        )
        store.add_results(
            run_id,
            [
                UnitResult(u.code, u.name, u.type, u.type_id, "01", "Hà Nội", status)
                for u, status in zip(units, stored, strict=False)
            ],
        )
        store.finish_run(run_id, complete=False)  # the last unit stays unchecked
        page = render_html(build_report(store, run_id))
    # The report speaks Vietnamese only: the Vietnamese part of each label.
    for status in AuditStatus:
        assert STATUS_VI[status.value] in page.replace("&#x27;", "'"), status
        assert STATUS_LABELS[status].startswith(STATUS_VI[status.value].lower()[:1])
