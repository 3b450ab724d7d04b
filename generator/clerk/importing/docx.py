"""Reading a Word .docx with mammoth: semantic HTML, the images it holds, the fonts it uses.

mammoth maps Word's paragraph styles to HTML elements (Heading 1 to h1, lists by their
numbering, tables, footnotes), which is what a web page needs; the look of the page
(fonts, sizes, colours) is left to the site's theme. The file has passed `guard.check_docx`
before mammoth opens it; any error mammoth still meets is a Vietnamese problem, not a
traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
import mammoth

from generator.clerk.importing.guard import check_docx, refuse

MAX_IMAGES = 200
MAX_IMAGE_MB = 20
# Formats every browser shows; Word's EMF/WMF drawings are not among them.
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
# TCVN3 (ABC) fonts are named ".VnTime", ".VnArial"...; VNI fonts "VNI-Times"...
LEGACY_FONT = re.compile(r"^(\.vn|vni[-_ ])", re.IGNORECASE)
STYLE_MAP = """\
p[style-name='Title'] => h1:fresh
p[style-name='Subtitle'] => h2:fresh
p[style-name='Quote'] => blockquote > p:fresh
p[style-name='Intense Quote'] => blockquote > p:fresh
"""


@dataclass
class Image:
    name: str  # file name in the post's folder: hinh-1.png
    data: bytes
    alt: str


@dataclass
class WordDocument:
    html: str
    images: list[Image] = field(default_factory=list)
    skipped_images: list[str] = field(default_factory=list)  # content types not shown on web
    legacy_fonts: set[str] = field(default_factory=set)
    core_title: str = ""  # File > Properties > Title, when the author filled it in


def read_docx(path: Path) -> WordDocument:
    """Check then convert `path`; ContentError for anything that is not a safe .docx."""
    check_docx(path)
    result = WordDocument(html="")

    def image(picture: Any) -> dict[str, str]:
        kind = str(picture.content_type or "").lower()
        if kind not in IMAGE_TYPES or len(result.images) >= MAX_IMAGES:
            result.skipped_images.append(kind or "?")
            return {}
        with picture.open() as stream:
            data = stream.read(MAX_IMAGE_MB * 1024 * 1024 + 1)
        if len(data) > MAX_IMAGE_MB * 1024 * 1024:
            result.skipped_images.append(kind)
            return {}
        name = f"hinh-{len(result.images) + 1}.{IMAGE_TYPES[kind]}"
        result.images.append(Image(name, data, str(picture.alt_text or "")))
        return {"src": name}

    def fonts(document: Any) -> Any:
        stack = [document]
        while stack:
            element = stack.pop()
            font = getattr(element, "font", None)
            if isinstance(font, str) and LEGACY_FONT.match(font):
                result.legacy_fonts.add(font)
            stack.extend(getattr(element, "children", None) or [])
            notes = getattr(element, "notes", None)
            stack.extend(getattr(notes, "_notes", {}).values())  # footnotes and endnotes
        return document

    try:
        with path.open("rb") as stream:
            converted = mammoth.convert_to_html(
                stream,
                style_map=STYLE_MAP,
                convert_image=mammoth.images.img_element(image),
                transform_document=fonts,
                include_embedded_style_map=False,
                external_file_access=False,
            )
    except Exception:  # noqa: BLE001 - any failure inside a hostile file is the file's fault
        raise refuse(
            path,
            "Không đọc được nội dung tệp Word (unreadable .docx).",
            "mở tệp trong Word hoặc LibreOffice, lưu lại thành .docx rồi nhập lại.",
        ) from None
    result.html = str(converted.value)
    try:  # python-docx reads the package's properties with entities off (docx/oxml/parser.py)
        result.core_title = str(docx.Document(str(path)).core_properties.title or "").strip()
    except Exception:  # noqa: BLE001 - the title is only a fallback
        result.core_title = ""
    return result
