"""Checks a file must pass before any library parses it: size, format, password, macros.

Everything a clerk hands `congxa import` is untrusted. A .docx is a zip archive: its size is
checked before reading, its members' declared sizes before inflating (Python's zipfile never
inflates past a member's declared size, so the declared sizes bound the memory), and XML
parts that declare a DTD are refused. A password-protected Office file is not a zip at all
but an OLE compound file holding an `EncryptedPackage` stream; an old Word 97-2003 file is
OLE too. Macro-enabled documents (.docm, or a vbaProject part) are refused.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from generator.errors import ContentError, Problem

MAX_FILE_MB = 50  # a commune's document with a few photos is well under this
MAX_UNZIPPED_MB = 200  # all members of a .docx, inflated
MAX_XML_MB = 30  # one XML part: mammoth holds it in memory as a tree
MAX_MEMBERS = 5000
MAX_RATIO = 200  # inflated / compressed, for members over 1 MB: zip bombs go far beyond
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_PDF_MAGIC = b"%PDF-"
_MACRO_TYPE = b"macroEnabled"


def refuse(path: Path, message: str, hint: str) -> ContentError:
    return ContentError(Problem(message, file=path, hint=hint))


def check_size(path: Path) -> int:
    """The file's size, refused past MAX_FILE_MB before a byte is read."""
    if not path.exists():
        raise refuse(
            path,
            "Không tìm thấy tệp (file not found).",
            "kiểm tra tên tệp và thư mục; tên có dấu cách thì đặt trong ngoặc kép.",
        )
    try:
        size = path.stat().st_size
    except OSError:
        raise refuse(
            path, "Không đọc được tệp (file not readable).", "kiểm tra tên và đường dẫn tệp."
        ) from None
    if not path.is_file():
        raise refuse(path, "Đây không phải một tệp (not a file).", "ghi đường dẫn tới tệp .docx.")
    if size > MAX_FILE_MB * 1024 * 1024:
        raise refuse(
            path,
            f"Tệp quá lớn: {size / 1024 / 1024:.0f} MB, tối đa {MAX_FILE_MB} MB (file too large).",
            "nén ảnh trong tệp (Word: Tệp > Nén ảnh) hoặc chia thành nhiều tệp nhỏ hơn.",
        )
    return size


def _head(path: Path, count: int = 8) -> bytes:
    with path.open("rb") as stream:
        return stream.read(count)


def check_docx(path: Path) -> None:
    """Refuse anything but a plain, macro-free, unencrypted Word .docx of sane size."""
    if path.suffix.lower() in (".docm", ".dotm"):
        raise _macros(path)
    check_size(path)
    head = _head(path)
    if head.startswith(_OLE_MAGIC):
        if _ENCRYPTED in path.read_bytes():  # size checked above
            raise refuse(
                path,
                "Tệp Word có đặt mật khẩu, không đọc được (password-protected document).",
                "mở tệp trong Word, bỏ mật khẩu (Tệp > Thông tin > Bảo vệ tài liệu > Mã hóa "
                "bằng mật khẩu, xóa trống), lưu lại rồi nhập lại.",
            )
        raise refuse(
            path,
            "Tệp là định dạng Word 97-2003 (.doc), không phải .docx (old Word format).",
            "mở tệp trong Word, chọn Lưu thành (Save As) > Tài liệu Word (.docx), rồi nhập "
            "tệp .docx mới.",
        )
    if head.startswith(_PDF_MAGIC):
        raise refuse(
            path,
            "Tệp này là PDF dù tên có đuôi .docx (PDF renamed .docx).",
            "đổi tên tệp thành .pdf rồi nhập lại.",
        )
    if not zipfile.is_zipfile(path):
        raise _not_docx(path)
    try:
        with zipfile.ZipFile(path) as archive:
            _check_members(path, archive)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise _not_docx(path) from None


def _check_members(path: Path, archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    names = {m.filename for m in members}
    if len(members) > MAX_MEMBERS:
        raise _bomb(path)
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise _not_docx(path)
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise refuse(
                path,
                "Tệp Word có đặt mật khẩu, không đọc được (encrypted archive).",
                "lưu lại tệp trong Word không đặt mật khẩu rồi nhập lại.",
            )
        total += member.file_size
        big = member.file_size > 1024 * 1024
        xml = member.filename.endswith((".xml", ".rels"))
        if (
            total > MAX_UNZIPPED_MB * 1024 * 1024
            or (xml and member.file_size > MAX_XML_MB * 1024 * 1024)
            or (big and member.file_size > MAX_RATIO * max(member.compress_size, 1))
        ):
            raise _bomb(path)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _macros(path)
    types = archive.read("[Content_Types].xml")
    if _MACRO_TYPE in types:
        raise _macros(path)
    for member in members:
        if member.filename.endswith((".xml", ".rels")):
            with archive.open(member) as stream:
                start = stream.read(4096)
            if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                raise _not_docx(path)


def check_pdf(path: Path) -> None:
    """Refuse anything that is not a PDF of sane size."""
    check_size(path)
    if not _head(path, 1024).lstrip().startswith(_PDF_MAGIC) and _PDF_MAGIC not in _head(
        path, 1024
    ):
        raise refuse(
            path,
            "Tệp không phải PDF (not a PDF).",
            "xuất lại tệp thành PDF (Word: Tệp > Xuất > PDF) rồi nhập lại.",
        )


def _not_docx(path: Path) -> ContentError:
    return refuse(
        path,
        "Tệp không phải tài liệu Word .docx hợp lệ (not a valid .docx).",
        "mở tệp trong Word hoặc LibreOffice, chọn Lưu thành (Save As) > Tài liệu Word (.docx) "
        "rồi nhập lại tệp mới.",
    )


def _macros(path: Path) -> ContentError:
    return refuse(
        path,
        "Tệp Word có macro (.docm), không nhập để giữ an toàn (macro-enabled document).",
        "mở tệp trong Word, chọn Lưu thành (Save As) > Tài liệu Word (.docx) không có macro, "
        "rồi nhập tệp mới.",
    )


def _bomb(path: Path) -> ContentError:
    return refuse(
        path,
        f"Tệp nén bên trong quá lớn khi giải nén, trên {MAX_UNZIPPED_MB} MB (archive too large "
        "when unpacked).",
        "lưu lại tệp trong Word (nén ảnh) rồi nhập lại; nếu tệp không rõ nguồn gốc, đừng mở.",
    )
