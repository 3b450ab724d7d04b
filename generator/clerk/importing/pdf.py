"""Reading a PDF with pypdf: the text of its first page, when it has any.

A signed and scanned document is a picture: it has no text, and the clerk is asked to
write the summary. The file has passed `guard.check_pdf` before pypdf opens it.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from generator.clerk.importing.guard import check_pdf, refuse
from generator.errors import CongxaError
from generator.text import nfc

MAX_PAGE_TEXT = 20_000  # characters kept from the first page
MIN_TEXT = 20  # fewer letters than this: a scan (page numbers and stamps don't count)


def first_page_text(path: Path) -> str:
    """The first page's text ('' for a scan); ContentError for a broken or locked PDF."""
    check_pdf(path)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise refuse(
                path,
                "Tệp PDF có đặt mật khẩu, không đọc được (password-protected PDF).",
                "xuất lại tệp PDF không đặt mật khẩu rồi nhập lại.",
            )
        if not reader.pages:
            return ""
        text = reader.pages[0].extract_text()[:MAX_PAGE_TEXT]
    except CongxaError:
        raise
    except Exception:  # noqa: BLE001 - any failure inside a hostile file is the file's fault
        raise refuse(
            path,
            "Không đọc được tệp PDF (unreadable PDF).",
            "mở tệp bằng trình đọc PDF để kiểm tra, xuất lại thành PDF rồi nhập lại.",
        ) from None
    text = nfc(text)
    if sum(ch.isalpha() for ch in text) < MIN_TEXT:
        return ""
    return text
