"""Real Word documents in the layout of Decree 30/2020/NĐ-CP, written with python-docx.

Each document has what a commune's clerk's file has: the two-column header table (agency
and motto, number and place-date line), the type and subject lines, a body with a list, a
table and a picture, and the closing table ("Nơi nhận" and the signature block).
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document  # type: ignore[import-untyped]
from docx.enum.text import WD_ALIGN_PARAGRAPH  # type: ignore[import-untyped]
from docx.shared import Pt  # type: ignore[import-untyped]


def png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (155, 28, 28)) -> bytes:
    """A small real PNG picture."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass
class Spec:
    """What goes into one document (and what the importer should find)."""

    agency_parent: str = "UBND THÀNH PHỐ HÀ NỘI"
    agency: str = "ỦY BAN NHÂN DÂN\nPHƯỜNG HOÀN KIẾM"
    number: str = "215/QĐ-UBND"
    place: str = "Hoàn Kiếm"
    day: tuple[int, int, int] = (12, 10, 2026)
    type: str = "QUYẾT ĐỊNH"
    subject: str = "Về việc ban hành Kế hoạch phòng cháy, chữa cháy mùa khô năm 2026"
    authority: str | None = "CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM"
    paragraphs: list[str] = field(
        default_factory=lambda: [
            "Căn cứ Luật Tổ chức chính quyền địa phương năm 2025;",
            "Theo đề nghị của Trưởng Công an phường.",
        ]
    )
    items: list[str] = field(
        default_factory=lambda: [
            "Kiểm tra bình chữa cháy tại các hộ kinh doanh;",
            "Tập huấn kỹ năng thoát nạn cho người dân.",
        ]
    )
    table: list[list[str]] = field(
        default_factory=lambda: [
            ["Đợt", "Thời gian", "Địa điểm"],
            ["Đợt 1", "15/10/2026", "Nhà văn hóa tổ dân phố số 3"],
            ["Đợt 2", "22/10/2026", "Trụ sở UBND phường"],
        ]
    )
    image_alt: str | None = "Sơ đồ lối thoát nạn khu phố cổ"
    recipients: list[str] = field(
        default_factory=lambda: ["- Như Điều 3;", "- UBND thành phố;", "- Lưu: VT."]
    )
    signature: list[str] = field(
        default_factory=lambda: ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "(Đã ký)", "Trần Minh Đức"]
    )
    font: str = "Times New Roman"


def _cell_lines(cell: object, lines: list[str], bold: bool = False) -> None:
    first = cell.paragraphs[0]  # type: ignore[attr-defined]
    for index, line in enumerate(lines):
        paragraph = first if index == 0 else cell.add_paragraph()  # type: ignore[attr-defined]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(line)
        run.bold = bold


def build(spec: Spec, path: Path) -> Path:
    """Write the document to `path` and return it."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = spec.font
    style.font.size = Pt(13)
    header = doc.add_table(rows=2, cols=2)
    _cell_lines(header.cell(0, 0), [spec.agency_parent, *spec.agency.split("\n"), "_______"], True)
    _cell_lines(
        header.cell(0, 1),
        ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "_______________"],
        True,
    )
    _cell_lines(header.cell(1, 0), [f"Số: {spec.number}"])
    d, m, y = spec.day
    _cell_lines(header.cell(1, 1), [f"{spec.place}, ngày {d:02d} tháng {m:02d} năm {y}"])
    doc.add_paragraph()  # Word's way of adding space: an empty paragraph
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(spec.type).bold = True
    subject = doc.add_paragraph()
    subject.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subject.add_run(spec.subject).bold = True
    doc.add_paragraph("___________")
    if spec.authority:
        doc.add_paragraph().add_run(spec.authority).bold = True
    for text in spec.paragraphs:
        doc.add_paragraph(text)
    doc.add_heading("Điều 1. Nội dung thực hiện", level=2)
    lead = doc.add_paragraph("Các việc cần làm ")
    lead.add_run("ngay trong tháng").bold = True
    lead.add_run(" gồm:")
    for item in spec.items:
        doc.add_paragraph(item, style="List Bullet")
    if spec.table:
        grid = doc.add_table(rows=len(spec.table), cols=len(spec.table[0]))
        for r, row in enumerate(spec.table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    if spec.image_alt is not None:
        doc.add_picture(io.BytesIO(png()))
        drawing = doc.inline_shapes[-1]._inline
        drawing.docPr.set("descr", spec.image_alt)
    doc.add_paragraph("Quyết định có hiệu lực kể từ ngày ký./.")
    closing = doc.add_table(rows=1, cols=2)
    _cell_lines(closing.cell(0, 0), ["Nơi nhận:", *spec.recipients])
    _cell_lines(closing.cell(0, 1), spec.signature, True)
    doc.save(str(path))
    return path


def decision(path: Path, **changes: object) -> Path:
    return build(Spec(**changes), path)  # type: ignore[arg-type]


def notice(path: Path, **changes: object) -> Path:
    defaults: dict[str, object] = {
        "number": "58/TB-UBND",
        "type": "THÔNG BÁO",
        "subject": "Lịch tiếp công dân của lãnh đạo UBND phường tháng 12 năm 2026",
        "authority": None,
        "paragraphs": ["UBND phường thông báo lịch tiếp công dân định kỳ như sau:"],
        "signature": ["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG", "Phạm Văn Thắng"],
    }
    defaults.update(changes)
    return build(Spec(**defaults), path)  # type: ignore[arg-type]


def samples(unit_name: str, folder: Path) -> list[Path]:
    """A decision and a notice of the unit named `unit_name` ("Phường Hoàn Kiếm")."""
    place = unit_name.split(" ", 1)[1] if " " in unit_name else unit_name
    agency = f"ỦY BAN NHÂN DÂN\n{unit_name.upper()}"
    folder.mkdir(parents=True, exist_ok=True)
    return [
        decision(
            folder / "quyet-dinh-101.docx",
            agency=agency,
            number="101/QĐ-UBND",
            place=place,
            authority=f"CHỦ TỊCH ỦY BAN NHÂN DÂN {unit_name.upper()}",
        ),
        notice(folder / "thong-bao-102.docx", agency=agency, number="102/TB-UBND", place=place),
    ]
