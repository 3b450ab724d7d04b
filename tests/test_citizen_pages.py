"""What a citizen sees on the built demo: tables that read on a phone, Vietnamese everywhere.

The layouts themselves (a stacked row at 360 px, no overflow) are measured in Chromium by
tests/browser/test_browser.py; these tests check the markup they rest on, on every page.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from generator.site.pages import DOCUMENT_COLUMNS, ESSENTIAL_COLUMNS, PEOPLE_COLUMNS

UNIT = Path("ha_noi") / "phuong_hoan_kiem"


class Tables(HTMLParser):
    """Every `<table>` of a page: its class, header texts and each row's (data-label, text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, object]] = []
        self._cell: list[str] | None = None
        self._label: str | None = None
        self._in_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"class": a.get("class") or "", "headers": [], "rows": []})
        elif not self.tables:
            return
        elif tag == "tr":
            rows = self.tables[-1]["rows"]
            assert isinstance(rows, list)
            rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
            self._label = a.get("data-label")
            self._in_th = tag == "th"

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("td", "th") or self._cell is None:
            return
        content = " ".join("".join(self._cell).split())
        table = self.tables[-1]
        if self._in_th:
            headers = table["headers"]
            assert isinstance(headers, list)
            headers.append(content)
        else:
            rows = table["rows"]
            assert isinstance(rows, list)
            rows[-1].append((self._label, content))
        self._cell = None


def tables_of(page: Path) -> list[dict[str, object]]:
    parser = Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.tables


def test_every_data_table_cell_carries_its_column_name(demo_public: Path) -> None:
    seen: dict[str, int] = {}
    for page in sorted((demo_public / "ha_noi").glob("*/**/index.html")):
        for table in tables_of(page):
            classes = str(table["class"]).split()
            if "cx-table" not in classes:
                continue
            headers = table["headers"]
            assert isinstance(headers, list)
            rows = [r for r in table["rows"] if r]  # type: ignore[attr-defined]
            for row in rows:
                labels = [label for label, _ in row]
                assert labels == headers, (page, row)
            for kind in classes:
                seen[kind] = seen.get(kind, 0) + len(rows)
    # Each kind of table appears on the demo with rows, under the columns pages.py declares.
    assert seen.get("cx-documents", 0) >= 2
    assert seen.get("cx-people", 0) >= 2
    assert seen.get("cx-essential-table", 0) >= 1


def test_tables_have_the_declared_columns(demo_public: Path) -> None:
    site = demo_public / UNIT
    expected = {
        site / "van-ban" / "index.html": DOCUMENT_COLUMNS,
        site / "lien-he" / "index.html": PEOPLE_COLUMNS,
        site / "thong-tin-thiet-yeu" / "index.html": ESSENTIAL_COLUMNS,
    }
    for page, columns in expected.items():
        tables = [t for t in tables_of(page) if "cx-table" in str(t["class"])]
        assert tables, page
        assert all(t["headers"] == columns for t in tables), page
