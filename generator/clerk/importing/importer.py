"""`congxa import`: a post from the Word or PDF file a clerk already has.

The post is written like `congxa new` writes one (clerk/new.py: same section lookup, slug
and no-overwrite rule) at `content/<province>/<unit>/<section>/<slug>.md`; the files that
belong to it (images taken out of the document, the original .docx, the signed PDF) go to
the post's own folder `content/<province>/<unit>/files/<slug>/`, linked as
`../files/<slug>/...`, which resolves the same from the file and from its page. Nothing
is written when the input is refused; a failure half-way removes what was written.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from generator.clerk.importing import markdown
from generator.clerk.importing.docx import read_docx
from generator.clerk.importing.guard import check_size, refuse
from generator.clerk.importing.header import Block, Header, read_header, suggest_section
from generator.clerk.importing.pdf import first_page_text
from generator.clerk.new import _slug, _taken_slugs, find_section
from generator.errors import ConfigError, Problem, Severity
from generator.source.fields import VN_TZ
from generator.source.legacy import find_legacy
from generator.source.posts import PROVINCE_FOLDER
from generator.source.profile import Section, SectionKind
from generator.source.project import Project
from generator.text import nfc, slugify

FILES_FOLDER = "files"
SUMMARY_CHARS = 300
SUMMARY_NOTE = "tóm tắt một câu, hiện dưới tiêu đề (không bắt buộc)"
WORD_TYPES = (".docx", ".docm", ".dotx", ".dotm")
_HEADINGS = ("h1", "h2", "h3")
_FILES = "\x00"  # stands for the post's folder in image sources until its slug is known


@dataclass
class Imported:
    """The post written, the files beside it, and what the clerk should still look at."""

    post: Path
    files: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class _Draft:
    title: str
    header: Header
    body: str = ""
    summary: str = ""
    summary_note: str | None = None
    images: list[tuple[str, bytes]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def import_document(
    project: Project,
    source: Path,
    unit_file: Path | None = None,
    *,
    section: str | None = None,
    attach: bool = True,
    pdf: Path | None = None,
    now: datetime | None = None,
) -> Imported:
    """Write the post for `source` (.docx or .pdf) and return where.

    ConfigError: wrong usage (no unit file, unknown section); ContentError: the file is
    refused (not a document, password, macros, too large, legacy encoding).
    """
    source = source.resolve()
    unit = _unit_file(project, source, unit_file)
    suffix = source.suffix.lower()
    if suffix in WORD_TYPES:
        try:
            draft = _from_docx(source)
        except RecursionError:  # tables in tables in tables...: a crafted file
            raise refuse(
                source,
                "Cấu trúc tệp Word lồng nhau quá sâu, không đọc được (document too deeply nested).",
                "mở tệp trong Word, chép nội dung sang một tệp mới, lưu rồi nhập lại.",
            ) from None
    elif suffix == ".pdf":
        draft = _from_pdf(source)
    else:
        check_size(source)
        raise refuse(
            source,
            f"Chưa nhập được tệp {suffix or 'không có đuôi'}: chỉ nhận .docx và .pdf "
            "(unsupported file type).",
            "với tệp .doc (Word 97-2003), mở trong Word và Lưu thành (Save As) .docx; "
            "với ảnh chụp, lưu thành PDF.",
        )
    if pdf is not None:
        pdf = pdf.resolve()
        first_page_text(pdf)  # refuse a bad scan before anything is written
    target = (
        find_section(project.profile, section)
        if section
        else suggest_section(project.profile, draft.header.type)
    )
    if not section and not draft.header.type:
        draft.warnings.append(
            Problem(
                "Không nhận ra loại văn bản (QUYẾT ĐỊNH, THÔNG BÁO...) theo thể thức Nghị định "
                f"30/2020; bài được đặt vào chuyên mục {target.id} (document type not found).",
                file=source,
                hint="nếu sai chuyên mục, xoá bài vừa tạo và nhập lại với --section <chuyên mục>, "
                "hoặc chuyển tệp bài sang thư mục chuyên mục đúng.",
                severity=Severity.WARNING,
            )
        )
    return _write(project, unit, target, source, draft, attach, pdf, now or datetime.now(VN_TZ))


def _unit_file(project: Project, source: Path, unit_file: Path | None) -> Path:
    """The unit file given, or the one whose content folder holds `source` (the inbox)."""
    if unit_file is None:
        content = project.content_dir.resolve()
        if source.is_relative_to(content):
            parts = source.relative_to(content).parts
            if len(parts) >= 3:
                unit_file = project.communes_dir / parts[0] / f"{parts[1]}.yml"
        elif project.communes_dir.is_dir():
            found = [p for p in project.communes_dir.rglob("*.yml") if not p.name.startswith("_")]
            if len(found) == 1:
                unit_file = found[0]
    if unit_file is None or not unit_file.is_file():
        raise ConfigError(
            Problem(
                f"Không tìm thấy tệp đơn vị {unit_file or ''} (unit file not found).".replace(
                    "  ", " "
                ),
                hint="ghi đường dẫn tới tệp đơn vị sau tên tệp văn bản, ví dụ: congxa import "
                "qd-215.docx communes/ha_noi/phuong_hoan_kiem.yml",
            )
        )
    return unit_file.resolve()


def _blocks(nodes: list[markdown.Node | str]) -> tuple[list[markdown.Node | str], list[Block]]:
    kept: list[markdown.Node | str] = []
    blocks: list[Block] = []
    for node in nodes:
        text = markdown.text_of(node)
        # A header typed on one line with tabs ("UBND XÃ A<tab>CỘNG HÒA...") is two lines.
        lines = [markdown.clean(part) for line in text.split("\n") for part in line.split("\t")]
        lines = [line for line in lines if line]
        if not lines and not markdown.has_image(node):
            continue  # empty paragraphs: Word's way of adding space
        kept.append(node)
        blocks.append(Block(lines, isinstance(node, markdown.Node) and node.tag == "table"))
    return kept, blocks


def _is_notes(node: markdown.Node | str) -> bool:
    if not isinstance(node, markdown.Node) or node.tag != "ol":
        return False
    items = [c for c in node.children if isinstance(c, markdown.Node)]
    return bool(items) and all(
        c.attrs.get("id", "").startswith(("footnote-", "endnote-")) for c in items
    )


def _from_docx(source: Path) -> _Draft:
    word = read_docx(source)
    nodes = markdown.parse_html(word.html)
    notes = [n for n in nodes if _is_notes(n)]
    kept, blocks = _blocks([n for n in nodes if not _is_notes(n)])
    all_text = "\n".join(line for block in blocks for line in block.lines)
    legacy = find_legacy(all_text)
    if legacy is not None or word.legacy_fonts:
        fonts = ", ".join(sorted(word.legacy_fonts))
        sample = f" «{legacy.sample}»" if legacy else ""
        raise refuse(
            source,
            "Văn bản gõ bằng bảng mã cũ TCVN3 (ABC) hoặc VNI"
            + (f", phông {fonts}" if fonts else "")
            + f"{sample}: nhập vào sẽ thành chữ lỗi (legacy encoding).",
            "mở tệp trong Word, chép toàn bộ, dùng Unikey > Công cụ chuyển mã (bảng mã nguồn "
            "TCVN3 hoặc VNI, bảng mã đích Unicode), dán lại, đổi phông thành Times New Roman, "
            "lưu rồi nhập lại.",
        )
    header = read_header(blocks)
    start, end = header.body_start, header.body_end
    draft = _Draft(title="", header=header, summary_note=SUMMARY_NOTE)
    draft.title = header.title() or markdown.clean(word.core_title)
    first = kept[start] if start < end else None
    if not draft.title and isinstance(first, markdown.Node) and first.tag in _HEADINGS:
        draft.title = blocks[start].lines[0]  # the text's own heading is the page's title
        start += 1
    body_nodes = kept[start:end] + notes
    draft.images = [(image.name, image.data) for image in word.images]
    rendered = markdown.render(body_nodes, image_base=_FILES)
    draft.body = rendered.markdown
    draft.title = draft.title or _first_line(blocks[start:end]) or _name(source)
    if rendered.images_without_alt:
        draft.warnings.append(
            Problem(
                f"{rendered.images_without_alt} ảnh chưa có mô tả (image without alt text).",
                file=source,
                hint="viết mô tả ngắn vào giữa [ ] của ![](...) trong bài, hoặc trong Word: "
                "chuột phải vào ảnh > Sửa văn bản thay thế (Edit Alt Text).",
                severity=Severity.WARNING,
                rule="image-alt",
            )
        )
    if word.skipped_images:
        kinds = ", ".join(sorted(set(word.skipped_images)))
        draft.warnings.append(
            Problem(
                f"{len(word.skipped_images)} ảnh không hiển thị được trên web ({kinds}) đã bỏ "
                "qua (unsupported image format).",
                file=source,
                hint="trong Word, chuột phải vào ảnh > Lưu thành ảnh (Save as Picture) dạng "
                "PNG hoặc JPEG, rồi chèn ảnh đó vào bài.",
                severity=Severity.WARNING,
            )
        )
    return draft


def _from_pdf(source: Path) -> _Draft:
    text = first_page_text(source)
    lines = [markdown.clean(line) for line in text.split("\n")]
    blocks = [Block([line]) for line in lines if line]
    header = read_header(blocks) if blocks else Header()
    draft = _Draft(title="", header=header)
    body_lines = [b.lines[0] for b in blocks[header.body_start : header.body_end]]
    draft.title = header.title() or (body_lines[0] if body_lines else "") or _name(source)
    if text:
        summary = " ".join(body_lines)
        if len(summary) > SUMMARY_CHARS:
            summary = summary[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "..."
        draft.summary = summary
        draft.summary_note = "gợi ý từ trang đầu của tệp PDF: sửa lại cho gọn"
    else:
        draft.summary_note = "tệp PDF là bản chụp, không có chữ: hãy viết tóm tắt một câu"
        draft.warnings.append(
            Problem(
                "Tệp PDF là bản chụp (scanned PDF), không lấy được chữ để làm tóm tắt.",
                file=source,
                hint="mở bài vừa tạo, viết tóm tắt một câu vào `summary` và sửa tiêu đề.",
                severity=Severity.WARNING,
            )
        )
    draft.body = "Toàn văn xem trong tệp đính kèm.\n"
    return draft


def _first_line(blocks: list[Block]) -> str:
    return next((b.lines[0] for b in blocks if b.lines), "")


def _name(source: Path) -> str:
    return nfc(source.stem.replace("_", " ").replace("-", " ")).strip()


def _write(
    project: Project,
    unit_file: Path,
    section: Section,
    source: Path,
    draft: _Draft,
    attach: bool,
    pdf: Path | None,
    now: datetime,
) -> Imported:
    title = " ".join(draft.title.split())
    slug = _slug(draft.header.slug_text() or title)
    unit_dir, province_dir = project.content_for(unit_file)
    folder = unit_dir / section.id
    files_root = unit_dir / FILES_FOLDER
    taken = _taken_slugs(folder, province_dir / PROVINCE_FOLDER / section.id)
    folder.mkdir(parents=True, exist_ok=True)
    post: Path | None = None
    for number in range(1, 1000):
        candidate = slug if number == 1 else f"{slug}-{number}"
        if candidate in taken or (files_root / candidate).exists():
            continue
        path = folder / f"{candidate}.md"
        try:
            path.open("x", encoding="utf-8").close()  # reserve the name, never overwrite
        except FileExistsError:
            continue
        post, slug = path, candidate
        break
    if post is None:
        raise ConfigError(
            Problem(f"Đã có quá nhiều bài tên {slug} trong {folder}.", hint="đặt tên tệp khác.")
        )
    own = files_root / slug
    result = Imported(post, warnings=list(draft.warnings))
    try:
        base = f"../{FILES_FOLDER}/{slug}/"
        attachments: list[tuple[str, str]] = []
        document_file: str | None = None
        if draft.images or attach or pdf is not None or source.suffix.lower() == ".pdf":
            own.mkdir(parents=True)
        for name, data in draft.images:
            (own / name).write_bytes(data)
            result.files.append(own / name)
        if source.suffix.lower() == ".pdf":
            document_file = _copy(source, own, result)
        elif attach:
            attachments.append((_copy(source, own, result), "Văn bản gốc (Word)"))
        if pdf is not None:
            copied = _copy(pdf, own, result)
            if document_file is None:
                document_file = copied
            else:
                attachments.append((copied, "Bản chụp có chữ ký (PDF)"))
        text = _post_text(title, draft, section, now, base, attachments, document_file)
        with post.open("w", encoding="utf-8") as out:
            out.write(nfc(text))
    except BaseException:
        post.unlink(missing_ok=True)
        shutil.rmtree(own, ignore_errors=True)
        raise
    return result


def _copy(source: Path, own: Path, result: Imported) -> str:
    name = (slugify(source.stem) or "van-ban") + source.suffix.lower()
    target = own / name
    shutil.copyfile(source, target)
    result.files.append(target)
    return name


def _q(text: str) -> str:
    return json.dumps(nfc(text), ensure_ascii=False)


def _post_text(
    title: str,
    draft: _Draft,
    section: Section,
    now: datetime,
    base: str,
    attachments: list[tuple[str, str]],
    document_file: str | None,
) -> str:
    header = draft.header
    when = header.issued.isoformat() if header.issued else f"{now.astimezone(VN_TZ):%Y-%m-%d %H:%M}"
    summary = f"summary: {_q(draft.summary)}"
    if draft.summary_note:
        summary += f"  # {draft.summary_note}"
    lines = ["---", f"title: {_q(title)}", f"date: {when}", summary]
    if header.found or section.kind == SectionKind.DOCUMENTS or document_file:
        lines.append("document:  # thông tin văn bản, lấy từ phần đầu và phần ký của tệp")
        fields = [
            ("number", header.number, "số, ký hiệu, ví dụ 215/QĐ-UBND"),
            ("type", header.type, "Quyết định, Kế hoạch, Thông báo, Công văn..."),
            ("issuer", header.issuer, "cơ quan ban hành"),
            ("signer", header.signer, "người ký"),
            ("issued", header.issued.isoformat() if header.issued else None, "ngày ban hành"),
        ]
        for key, value, note in fields:
            if value:
                lines.append(f"  {key}: {_q(value) if key != 'issued' else value}")
            else:
                lines.append(f'  # {key}: ""  # {note}: không tìm thấy trong tệp, hãy điền')
        if document_file:
            lines.append(f"  file: {_q(base + document_file)}")
    if attachments:
        lines.append("attachments:")
        for name, label in attachments:
            lines += [f"  - file: {_q(base + name)}", f"    title: {_q(label)}"]
    lines += ["---", "", draft.body.replace(_FILES, base).rstrip("\n"), ""]
    return "\n".join(lines)
