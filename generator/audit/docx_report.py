"""The yearly report as a .docx in the administrative format of Decree 30/2020/NĐ-CP.

Layout (Decree 30/2020/NĐ-CP, Appendix I): A4; Times New Roman; margins top and bottom
20 mm, left 30 mm, right 15 mm; a borderless header table with the issuing agency and the
number "Số: .../BC-..." on the left and the national name and motto on the right (motto
underlined), the place and date line in italics; then "BÁO CÁO" and its subject, the
body, "Nơi nhận" and the signature block. The text is plain Vietnamese from yearly.py;
the same input gives the same bytes (fixed dates inside, fixed zip timestamps).
"""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from generator.audit import monitor
from generator.audit.wording import cause, percent, vn_date, when
from generator.audit.yearly import YearlyReport, clean, stable_zip
from generator.source.essential import priority_title

FONT = "Times New Roman"
BODY = Pt(14)
SMALL = Pt(13)
TABLE = Pt(12)
MARGINS = {"top": 20, "bottom": 20, "left": 30, "right": 15}  # millimetres
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
LISTED = 200  # rows of a unit list in the body; the annex holds every unit


def render_docx(yearly: YearlyReport) -> bytes:
    """The report as the bytes of a .docx file."""
    doc = Document()
    _page(doc)
    _header(doc, yearly)
    _title(doc, yearly)
    _results(doc, yearly)
    _indicator_table(doc, yearly)
    _without_page(doc, yearly)
    _stale(doc, yearly)
    _proposals(doc)
    _closing(doc, yearly)
    moment = when(yearly.report.run.started_at) or datetime(2000, 1, 1)
    props = doc.core_properties
    props.title = f"Báo cáo chỉ tiêu trang thông tin điện tử cấp xã năm {yearly.year}"
    props.author = yearly.settings.text("agency")
    props.last_modified_by = "congxa"
    props.created = props.modified = moment.replace(tzinfo=None)
    props.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return stable_zip(buffer.getvalue())


def _page(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(MARGINS["top"])
    section.bottom_margin = Mm(MARGINS["bottom"])
    section.left_margin = Mm(MARGINS["left"])
    section.right_margin = Mm(MARGINS["right"])
    normal = doc.styles["Normal"]
    font = normal.font
    font.name = FONT
    font.size = BODY
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for key in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(key), FONT)
    paragraph = normal.paragraph_format
    paragraph.space_after = Pt(0)
    paragraph.space_before = Pt(0)


def _text(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: Pt | None = None,
) -> Paragraph:
    run = paragraph.add_run(clean(text))
    run.bold = bold or None
    run.italic = italic or None
    run.underline = underline or None
    run.font.name = FONT
    if size is not None:
        run.font.size = size
    return paragraph


def _centered(cell_or_doc: _Cell | DocumentObject, first: bool = False) -> Paragraph:
    paragraph = (
        cell_or_doc.paragraphs[0]
        if first and isinstance(cell_or_doc, _Cell)
        else cell_or_doc.add_paragraph()
    )
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def _header(doc: DocumentObject, yearly: YearlyReport) -> None:
    s = yearly.settings
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _widths(table, [62, 103])
    left, right = table.rows[0].cells
    _text(_centered(left, first=True), s.text("parent").upper(), size=SMALL)
    _text(_centered(left), s.text("agency").upper(), bold=True, size=SMALL)
    _text(_centered(left), "–––––––", size=SMALL)
    _text(_centered(right, first=True), NATION, bold=True, size=SMALL)
    _text(_centered(right), MOTTO, bold=True, underline=True, size=BODY)
    _text(_centered(right), "", size=SMALL)
    number, place = table.rows[1].cells
    _text(_centered(number, first=True), f"Số: .../BC-{s.text('code')}", size=SMALL)
    _text(
        _centered(place, first=True),
        f"{s.text('place')}, ngày ..... tháng ..... năm {yearly.year}",
        italic=True,
        size=BODY,
    )


def _title(doc: DocumentObject, yearly: YearlyReport) -> None:
    doc.add_paragraph()
    _text(_centered(doc), "BÁO CÁO", bold=True)
    subject = (
        "Kết quả thực hiện chỉ tiêu về trang thông tin điện tử của Ủy ban nhân dân cấp xã"
        f" năm {yearly.year}"
    )
    if yearly.scope_name != "toàn quốc":
        subject += f" trên địa bàn {yearly.scope_name}"
    _text(_centered(doc), subject, bold=True)
    _text(_centered(doc), "–––––––––––")
    _text(_centered(doc), f"Kính gửi: {yearly.settings.text('recipient')}")
    doc.add_paragraph()


def _body(doc: DocumentObject, text: str, *, bold: bool = False) -> Paragraph:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Mm(10)
    paragraph.paragraph_format.space_before = Pt(6)
    return _text(paragraph, text, bold=bold)


def _results(doc: DocumentObject, yearly: YearlyReport) -> None:
    run = yearly.report.run
    total = len(yearly.results)
    units = list(yearly.units)
    conformant = sum(1 for u in units if u.result.conformant)
    _body(doc, "I. KẾT QUẢ THỰC HIỆN", bold=True)
    _body(
        doc,
        f"Số liệu năm {yearly.year} lấy từ lần kiểm tra tự động số {run.id} "
        f"(ngày {vn_date(run.started_at)}) của hệ thống congxa đối với toàn bộ {total} đơn vị "
        f"hành chính cấp xã {_scope_phrase(yearly)} theo danh mục đơn vị hành chính.",
    )
    if not run.complete:
        _body(
            doc,
            f"Lưu ý: lần kiểm tra này chưa xong ({run.checked}/{run.units} đơn vị); đơn vị "
            "chưa kiểm tra được tính là chưa có trang.",
        )
    _body(
        doc,
        f"1. Có {len(units)}/{total} đơn vị có trang thông tin điện tử hoạt động; trong đó "
        f"{conformant} trang có đủ các chuyên mục bắt buộc theo Nghị định 42/2022/NĐ-CP.",
    )
    steps = monitor.STALE_STEPS
    _body(
        doc,
        f"2. Cập nhật thông tin: {len(yearly.stale(steps[0]))} trang không đăng bài mới từ "
        f"{steps[0]} ngày trở lên, {len(yearly.stale(steps[-1]))} trang từ {steps[-1]} ngày "
        f"trở lên; {len(monitor.undated(units))} trang không xác định được ngày đăng bài.",
    )
    counts = yearly.essential_by_priority()
    parts = ", ".join(f"{counts[p]} tin mức {priority_title(p)}" for p in monitor.priority_order())
    _body(
        doc,
        f"3. Thông tin thiết yếu (Nghị định 49/2024/NĐ-CP): năm {yearly.year} các trang đã "
        f"đăng {sum(counts.values())} tin ({parts}).",
    )
    for number, line in enumerate(yearly.lines, start=4):
        row = line.row
        verdict = "đạt" if row.meets else "không đạt" if row.meets is False else "chưa có đánh giá"
        _body(
            doc,
            f"{number}. Chỉ tiêu {row.indicator} ({row.title_vi}): {row.with_page}/{row.units} đơn vị, "
            f"đạt tỷ lệ {percent(row.percent)}; chỉ tiêu năm {row.year} là "
            f"{percent(row.target)}: {verdict}.",
        )
    _body(doc, "Bảng chỉ tiêu theo kế hoạch:")


def _scope_phrase(yearly: YearlyReport) -> str:
    return "trên toàn quốc" if yearly.scope_name == "toàn quốc" else f"của {yearly.scope_name}"


def _grid(
    doc: DocumentObject,
    head: list[str],
    rows: list[list[str]],
    widths: list[int],
    size: Pt = TABLE,
    text_columns: tuple[int, ...] = (1,),
) -> Table:
    table: Table = doc.add_table(rows=1 + len(rows), cols=len(head))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, widths)
    # Row by row: `table.cell(r, c)` walks the whole table each time (python-docx).
    for r, (row, values) in enumerate(zip(table.rows, [head, *rows], strict=True)):
        for c, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            paragraph = cell.paragraphs[0]
            if r == 0 or c not in text_columns:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for index, line in enumerate(value.split("\n")):
                if index:
                    paragraph.add_run().add_break()
                _text(paragraph, line, bold=r == 0, size=size)
    return table


def _widths(table: Table, millimetres: list[int]) -> None:
    """Column widths in the grid (what LibreOffice reads) and in every cell (Word)."""
    table.autofit = False
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "57")  # 1 mm, in twentieths of a point
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)
    for column, width in zip(table.columns, millimetres, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, millimetres, strict=True):
            cell.width = Mm(width)


def _indicator_table(doc: DocumentObject, yearly: YearlyReport) -> None:
    if not yearly.lines:
        _body(doc, "Không có chỉ tiêu nào có đơn vị trong phạm vi báo cáo.")
        return
    years = [cell.year for cell in yearly.lines[0].cells]
    target_year = yearly.lines[0].row.year
    head = [
        "STT",
        "Chỉ tiêu",
        *(f"Năm\n{y}" for y in years),
        f"Chỉ tiêu năm {target_year}",
        "Đánh giá",
    ]
    rows = []
    given = False
    for index, line in enumerate(yearly.lines, start=1):
        cells = []
        for cell in line.cells:
            if cell.percent is None:
                cells.append("–")
            elif cell.measured:
                cells.append(f"{percent(cell.percent)}\n({cell.with_page}/{cell.units})")
            else:
                given = True
                cells.append(f"{percent(cell.percent)}*")
        row = line.row
        verdict = "Đạt" if row.meets else "Không đạt" if row.meets is False else "–"
        rows.append(
            [str(index), f"{row.indicator}. {row.title_vi}", *cells, percent(row.target), verdict]
        )
    # 165 mm between the margins: the years share what the other columns leave.
    width = max(12, (165 - 10 - 32 - 13 - 14) // max(len(years), 1))
    _grid(doc, head, rows, [10, 32, *([width] * len(years)), 13, 14], size=Pt(10))
    note = (
        "Ghi chú: tỷ lệ (số đơn vị có trang/tổng số đơn vị) đo bằng lần kiểm tra cuối cùng của "
        "mỗi năm; “–”: chưa có số liệu."
    )
    if given:
        note += (
            " Dấu *: số liệu cho trước (kế hoạch hoặc báo cáo các năm trước), không do congxa đo."
        )
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(4)
    _text(paragraph, note, italic=True, size=TABLE)


def _without_page(doc: DocumentObject, yearly: YearlyReport) -> None:
    missing = yearly.without_page
    _body(doc, f"II. ĐƠN VỊ CHƯA CÓ TRANG HOẠT ĐỘNG ({len(missing)} đơn vị)", bold=True)
    if not missing:
        _body(doc, "Mọi đơn vị đều có trang hoạt động.")
        return
    rows = [[str(i), r.code, r.name, cause(r)] for i, r in enumerate(missing[:LISTED], start=1)]
    head = ["STT", "Mã", "Đơn vị", "Nguyên nhân"]
    _grid(doc, head, rows, [12, 18, 45, 90], text_columns=(2, 3))
    if len(missing) > LISTED:
        _body(doc, f"Còn {len(missing) - LISTED} đơn vị khác: xem phụ lục (.xlsx).")


def _stale(doc: DocumentObject, yearly: YearlyReport) -> None:
    days = monitor.STALE_STEPS[-1]
    stale = yearly.stale(days)
    _body(
        doc,
        f"III. ĐƠN VỊ KHÔNG CẬP NHẬT THÔNG TIN TỪ {days} NGÀY TRỞ LÊN ({len(stale)} đơn vị)",
        bold=True,
    )
    if not stale:
        _body(doc, f"Mọi trang có ngày đăng bài đều có bài mới trong {days} ngày qua.")
        return
    rows = []
    for i, unit in enumerate(stale[:LISTED], start=1):
        a = unit.activity
        last = vn_date(a.last_post if a and a.last_post else unit.result.newest)
        rows.append([str(i), unit.result.code, unit.result.name, last, str(unit.days)])
    head = ["STT", "Mã", "Đơn vị", "Bài mới nhất", "Số ngày"]
    _grid(doc, head, rows, [12, 18, 70, 35, 30], text_columns=(2,))


def _proposals(doc: DocumentObject) -> None:
    _body(doc, "IV. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
    _body(doc, "[Cơ quan báo cáo ghi đề xuất, kiến nghị tại đây.]")
    doc.add_paragraph()


def _closing(doc: DocumentObject, yearly: YearlyReport) -> None:
    s = yearly.settings
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    _widths(table, [80, 85])
    left, right = table.rows[0].cells
    first = left.paragraphs[0]
    _text(first, "Nơi nhận:", bold=True, italic=True, size=Pt(12))
    recipients = s.recipients or (
        f"- {s.text('recipient')};",
        "- Lưu: VT.",
    )
    for line in recipients:
        _text(left.add_paragraph(), line if line.startswith("-") else f"- {line}", size=Pt(11))
    if s.signer_authority:
        _text(_centered(right, first=True), s.signer_authority.upper(), bold=True)
        _text(_centered(right), s.text("signer_title").upper(), bold=True)
    else:
        _text(_centered(right, first=True), s.text("signer_title").upper(), bold=True)
    _text(_centered(right), "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, size=SMALL)
    for _ in range(3):
        right.add_paragraph()
    _text(_centered(right), s.text("signer"), bold=True)
