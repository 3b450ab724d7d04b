"""`congxa import`: real .docx files (python-docx, LibreOffice) and PDFs to posts that load,
build and pass `check`; hostile files refused with nothing written."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import markdown as python_markdown
import pytest
from click.testing import CliRunner

from generator.clerk.check import check
from generator.clerk.importing import markdown
from generator.clerk.importing.guard import MAX_FILE_MB, MAX_UNZIPPED_MB
from generator.clerk.importing.header import Block, read_header, suggest_section
from generator.clerk.importing.inbox import DONE_FOLDER, FAILED_FOLDER, take_inbox
from generator.cli import main
from generator.publish.bulk import build_many
from generator.site.urls import INBOX_FOLDER
from generator.source.commune import load_unit
from generator.source.model import Post
from generator.source.posts import load_post
from generator.source.project import Project
from tests import word_documents as wd
from tests.conftest import REPO, TODAY
from tests.tools import missing

Mini = Callable[..., Project]
UNIT = "communes/ha_noi/phuong_hoan_kiem.yml"
FOLDER = "content/ha_noi/phuong_hoan_kiem"


@pytest.fixture
def project(mini: Mini, monkeypatch: pytest.MonkeyPatch) -> Project:
    made = mini()
    monkeypatch.chdir(made.root)
    return Project.discover(made.root, TODAY)


def run(project: Project, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["import", *args, "--root", str(project.root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def loaded(project: Project, rel: str) -> Post:
    path = project.root / rel
    post = load_post(path, project.root / FOLDER, project.profile)
    assert post is not None
    return post


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")} if root.exists() else set()


def expected_title(spec: wd.Spec, kind: str) -> str:
    subject = spec.subject
    subject = subject[0].lower() + subject[1:]
    return f"{kind} số {spec.number} {subject}"


def built_page(project: Project, tmp_path: Path, post: Post) -> str:
    out = tmp_path / "public"
    summary = build_many(project, project.unit_files(), out, jobs=1)
    assert not summary.failed, [p.format() for r in summary.failed for p in r.problems]
    page = out / "ha_noi" / "phuong_hoan_kiem" / post.section / post.slug / "index.html"
    return page.read_text(encoding="utf-8")


def test_a_decision_becomes_a_document_post_that_builds_and_checks(
    project: Project, tmp_path: Path
) -> None:
    spec = wd.Spec()
    source = wd.build(spec, tmp_path / "QĐ 215.docx")
    code, out, err = run(project, str(source), UNIT)
    assert code == 0, err
    rel = out.strip()
    section = suggest_section(project.profile, "Quyết định")
    assert rel.startswith(f"{FOLDER}/{section.id}/qd-215-qd-ubnd-ban-hanh-ke-hoach-phong-chay")
    post = loaded(project, rel)
    assert post.title == expected_title(spec, "Quyết định")
    assert post.date.date() == date(*reversed(spec.day))
    doc = post.document
    assert doc is not None
    assert (doc.number, doc.type, doc.signer) == (spec.number, "Quyết định", spec.signature[-1])
    assert doc.issuer == "Ủy ban nhân dân phường Hoàn Kiếm"
    assert doc.issued == date(*reversed(spec.day))
    body = post.body
    # The body: the document's own text, list, table and picture, formatting kept.
    for paragraph in spec.paragraphs:
        assert f"\n{paragraph}\n" in body
    for item in spec.items:
        assert f"\n- {item}" in body
    assert "| " + " | ".join(spec.table[1]) + " |" in body
    assert "Các việc cần làm **ngay trong tháng** gồm:" in body
    assert "### Điều 1. Nội dung thực hiện" in body  # Heading 2, under the page's title
    own = f"../files/{post.slug}/"
    assert f"![{spec.image_alt}](<{own}hinh-1.png>)" in body
    picture = (post.source.parent / own / "hinh-1.png").resolve()
    assert picture.read_bytes() == wd.png()
    # The layout is front matter, not body text.
    for layout in (
        "CỘNG HÒA",
        "Độc lập",
        "Số:",
        "ngày 12 tháng 10",
        "QUYẾT ĐỊNH\n",
        "Nơi nhận",
        "Như Điều 3",
        "TM.",
        "(Đã ký)",
        spec.signature[-1],
        "___",
        "UBND THÀNH PHỐ",
    ):
        assert layout not in body, layout
    assert body.lstrip().startswith(f"**{spec.authority}**")
    # The original kept as an attachment.
    assert [a.path.read_bytes() for a in post.attachments] == [source.read_bytes()]
    report = check(project)
    assert not report.errors, [p.format() for p in report.errors]
    assert not [p for p in report.warnings if p.file == post.source], report.warnings
    html = built_page(project, tmp_path, post)
    assert f'alt="{spec.image_alt}"' in html and "<table>" in html
    assert f"<dd>{spec.number}</dd>" in html and "Nơi nhận" not in html


def test_a_notice_goes_to_notices_with_its_signed_scan(project: Project, tmp_path: Path) -> None:
    source = wd.notice(tmp_path / "tb-58.docx", image_alt=None)
    scan = tmp_path / "tb-58 (bản ký).pdf"
    scan.write_bytes(blank_pdf())
    code, out, err = run(project, str(source), UNIT, "--pdf", str(scan))
    assert code == 0, err
    section = suggest_section(project.profile, "Thông báo")
    assert section.id == "thong-bao" and f"/{section.id}/" in out
    post = loaded(project, out.strip())
    assert post.title.startswith("Thông báo số 58/TB-UBND lịch tiếp công dân")
    assert post.document is not None and post.document.signer == "Phạm Văn Thắng"
    assert post.document.file is not None
    assert post.document.file.path.read_bytes() == scan.read_bytes()
    assert post.document.file.path.name == "tb-58-ban-ky.pdf"


def test_section_and_no_attach_options(project: Project, tmp_path: Path) -> None:
    source = wd.decision(tmp_path / "qd.docx", image_alt=None)
    code, out, err = run(
        project, str(source), UNIT, "--section", "Chỉ đạo, điều hành", "--no-attach"
    )
    assert code == 0, err
    assert "/chi-dao-dieu-hanh/" in out
    post = loaded(project, out.strip())
    assert post.attachments == ()
    assert not (project.root / FOLDER / "files" / post.slug).exists()  # nothing to keep


def test_the_unit_is_found_when_the_project_has_one(project: Project, tmp_path: Path) -> None:
    source = wd.decision(tmp_path / "qd.docx")
    code, out, _ = run(project, str(source))
    assert code == 0 and out.startswith(FOLDER + "/")
    code, out, _ = run(project, str(source))  # a second import never overwrites the first
    assert code == 0 and out.strip().endswith("-2.md")


def test_an_image_without_alt_text_is_reported(project: Project, tmp_path: Path) -> None:
    source = wd.decision(tmp_path / "qd.docx", image_alt="")
    code, out, err = run(project, str(source), UNIT)
    assert code == 0 and "ảnh chưa có mô tả" in err
    report = check(project)
    assert [p.rule for p in report.warnings if p.file and p.file.name in out] == ["image-alt"]


def test_word_clutter_is_cleaned(project: Project, tmp_path: Path) -> None:
    from docx import Document  # type: ignore[import-untyped]

    doc = Document()
    doc.add_paragraph("THÔNG BÁO")
    doc.add_paragraph("Về việc lịch thu gom rác")
    doc.add_paragraph()
    broken = doc.add_paragraph("Rác được thu gom")
    broken.add_run().add_break()
    broken.add_run("vào buổi tối,\u00a0từ\u00a0\u00a018 giờ “đúng giờ” ‘nhé’.")
    doc.add_paragraph()
    doc.add_paragraph()
    for row in (("Tổ\tNgày\tGiờ"), ("Tổ 1\tThứ Hai\t18 giờ"), ("Tổ 2\t\tThứ Ba\t19 giờ")):
        doc.add_paragraph(row)
    doc.add_paragraph("Người lập\tNguyễn Văn A")  # a lone tab-aligned line stays text
    doc.add_paragraph("NFD text: Thông ba\u0301o")
    path = tmp_path / "tb.docx"
    doc.save(str(path))
    code, out, err = run(project, str(path), UNIT, "--no-attach")
    assert code == 0, err
    post = loaded(project, out.strip())
    assert post.title == "Thông báo về việc lịch thu gom rác"
    assert post.document is not None and post.document.type == "Thông báo"
    body = post.body.strip()
    assert "Rác được thu gom vào buổi tối, từ 18 giờ \"đúng giờ\" 'nhé'." in body
    assert "| Tổ | Ngày | Giờ |\n|---|---|---|\n| Tổ 1 | Thứ Hai | 18 giờ |" in body
    assert "| Tổ 2 | Thứ Ba | 19 giờ |" in body
    assert "Người lập Nguyễn Văn A" in body
    assert "Thông báo" in body and "\u0301" not in body
    assert "\n\n\n" not in body and "\u00a0" not in body


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_scanned_pdf_gets_a_post_asking_for_a_summary(project: Project, tmp_path: Path) -> None:
    scan = tmp_path / "Quyết định 12.pdf"
    scan.write_bytes(blank_pdf())
    code, out, err = run(project, str(scan), UNIT)
    assert code == 0 and "bản chụp" in err
    post = loaded(project, out.strip())
    assert post.summary == "" and post.document is not None and post.document.file is not None
    assert post.document.file.path.read_bytes() == scan.read_bytes()
    assert "hãy viết tóm tắt" in post.source.read_text(encoding="utf-8")
    assert not check(project).errors


# --- hostile and careless files ---------------------------------------------------------------


def encrypted(tmp_path: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile  # type: ignore[import-untyped]

    plain = wd.decision(tmp_path / "plain.docx")
    target = tmp_path / "mat-khau.docx"
    with plain.open("rb") as source, target.open("wb") as out:
        OOXMLFile(source).encrypt("bimat", out)
    return target


def with_macros(tmp_path: Path, name: str) -> Path:
    plain = wd.decision(tmp_path / "plain.docx")
    target = tmp_path / name
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"wordprocessingml.document.main+xml",
                    b"ms-word.document.macroEnabled.main+xml",
                )
            dst.writestr(item, data)
        dst.writestr("word/vbaProject.bin", b'Attribute VB_Name = "AutoOpen"')
    return target


def zip_bomb(tmp_path: Path) -> Path:
    plain = wd.decision(tmp_path / "plain.docx")
    target = tmp_path / "bom.docx"
    shutil.copyfile(plain, target)
    zeros = b"\0" * (1024 * 1024)
    with (
        zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/image9.png", "w", force_zip64=True) as member,
    ):
        for _ in range(MAX_UNZIPPED_MB + 10):
            member.write(zeros)
    assert target.stat().st_size < 2 * 1024 * 1024
    return target


def legacy(tmp_path: Path) -> Path:
    return wd.decision(
        tmp_path / "tcvn3.docx",
        font=".VnTime",
        paragraphs=["C¨n cø LuËt Tæ chøc chÝnh quyÒn ®Þa ph­¬ng;", "Th«ng b¸o cho nh©n d©n."],
    )


def renamed(tmp_path: Path) -> Path:
    target = tmp_path / "anh.docx"
    target.write_bytes(wd.png())
    return target


def huge(tmp_path: Path) -> Path:
    target = tmp_path / "lon.docx"
    with target.open("wb") as out:
        out.truncate(200 * 1024 * 1024)  # sparse: costs no disk
    return target


def old_word(tmp_path: Path) -> Path:
    target = tmp_path / "cu.doc"
    target.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    return target


BAD: dict[str, tuple[Callable[[Path], Path], str]] = {
    "renamed": (renamed, "không phải tài liệu Word .docx hợp lệ"),
    "password": (encrypted, "có đặt mật khẩu"),
    "huge": (huge, f"tối đa {MAX_FILE_MB} MB"),
    "docm": (lambda t: with_macros(t, "qd.docm"), "có macro"),
    "macros-in-docx": (lambda t: with_macros(t, "qd.docx"), "có macro"),
    "zip-bomb": (zip_bomb, "quá lớn khi giải nén"),
    "tcvn3": (legacy, "bảng mã cũ TCVN3"),
    "doc": (old_word, "Word 97-2003"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_in_vietnamese_with_nothing_written(
    project: Project, tmp_path: Path, case: str
) -> None:
    make, message = BAD[case]
    source = make(tmp_path / "in" if (tmp_path / "in").mkdir() is None else tmp_path)
    before = files_under(project.root)
    code, out, err = run(project, str(source), UNIT)
    assert code == 1 and out == ""
    assert message in err and "Cách sửa (fix)" in err and "Traceback" not in err
    assert files_under(project.root) == before


def test_a_bad_scan_is_refused_before_anything_is_written(project: Project, tmp_path: Path) -> None:
    source = wd.decision(tmp_path / "qd.docx")
    fake = tmp_path / "scan.pdf"
    fake.write_text("không phải PDF", encoding="utf-8")
    before = files_under(project.root)
    code, _, err = run(project, str(source), UNIT, "--pdf", str(fake))
    assert code == 1 and "không phải PDF" in err
    assert files_under(project.root) == before


def test_usage_errors_exit_2(project: Project, tmp_path: Path) -> None:
    source = wd.decision(tmp_path / "qd.docx")
    assert run(project, str(source), "communes/ha_noi/khong_co.yml")[0] == 2
    code, _, err = run(project, str(source), UNIT, "--section", "khong-co")
    assert code == 2 and "Không có chuyên mục" in err


# --- the header alone -------------------------------------------------------------------------


def test_a_letter_takes_its_subject_from_the_v_v_line() -> None:
    blocks = [
        Block(
            ["ỦY BAN NHÂN DÂN", "XÃ SÓC SƠN", "Số: 12 /UBND", "V/v tổ chức tiêm phòng đợt 2"], True
        ),
        Block(["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Sóc Sơn, ngày 3 tháng 11 năm 2026"], True),
        Block(["Kính gửi: Trưởng các thôn."]),
        Block(["UBND xã đề nghị các thôn thông báo lịch tiêm."]),
        Block(["KT. CHỦ TỊCH"]),
        Block(["PHÓ CHỦ TỊCH"]),
        Block(["Lê Thị Mai"]),
        Block(["Nơi nhận:", "- Như trên;", "- Lưu: VT."]),
    ]
    header = read_header(blocks)
    assert (header.number, header.type, header.issued) == ("12/UBND", "Công văn", date(2026, 11, 3))
    assert header.issuer == "Ủy ban nhân dân xã Sóc Sơn" and header.signer == "Lê Thị Mai"
    assert header.title() == "Công văn số 12/UBND về việc tổ chức tiêm phòng đợt 2"
    assert (header.body_start, header.body_end) == (2, 4)


def test_a_plain_document_is_all_body() -> None:
    blocks = [Block(["Tin tức"]), Block(["Sáng nay, phường tổ chức ra quân."])]
    header = read_header(blocks)
    assert not header.found and (header.body_start, header.body_end) == (0, 2)


def test_markdown_never_carries_raw_html_or_scripts() -> None:
    html = (
        '<p>&lt;script&gt;alert(1)&lt;/script&gt; <a href="javascript:alert(1)">x</a> '
        '<a href="https://dichvucong.gov.vn/">Cổng</a> *sao* [a](b)</p><p>1. không phải</p>'
    )
    text = markdown.render(markdown.parse_html(html)).markdown
    shown = python_markdown.markdown(text)
    assert "<script" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "javascript:" not in text and "<em>" not in shown and "<ol>" not in shown
    assert "[Cổng](<https://dichvucong.gov.vn/>)" in text
    assert "\\*sao\\*" in text and "\\[a\\](b)" in text and "1\\. không phải" in text


# --- LibreOffice ----------------------------------------------------------------------------------

ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.3">
<office:automatic-styles>
 <style:style style:name="B" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
 <style:style style:name="I" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
</office:automatic-styles>
<office:body><office:text>
<table:table table:name="DauVanBan"><table:table-column table:number-columns-repeated="2"/>
 <table:table-row>
  <table:table-cell><text:p>ỦY BAN NHÂN DÂN</text:p><text:p>XÃ SÓC SƠN</text:p></table:table-cell>
  <table:table-cell><text:p>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</text:p><text:p>Độc lập - Tự do - Hạnh phúc</text:p></table:table-cell>
 </table:table-row>
 <table:table-row>
  <table:table-cell><text:p>Số: 312/QĐ-UBND</text:p></table:table-cell>
  <table:table-cell><text:p>Sóc Sơn, ngày 05 tháng 11 năm 2026</text:p></table:table-cell>
 </table:table-row>
</table:table>
<text:p>QUYẾT ĐỊNH</text:p>
<text:p>Về việc phê duyệt phương án phòng cháy, chữa cháy rừng mùa khô</text:p>
<text:p>Căn cứ Luật Lâm nghiệp<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>Luật số 16/2017/QH14.</text:p></text:note-body></text:note>;</text:p>
<text:h text:outline-level="1">Điều 1. Phê duyệt phương án</text:h>
<text:p>Giao các thôn <text:span text:style-name="B">trực 24/24 giờ</text:span> trong mùa <text:span text:style-name="I">khô hanh</text:span>:</text:p>
<text:list><text:list-item><text:p>Thôn Đồng Hà: tổ xung kích 15 người;</text:p></text:list-item>
<text:list-item><text:p>Thôn Xuân Dương: tổ xung kích 12 người.</text:p></text:list-item></text:list>
<table:table table:name="Luc"><table:table-column table:number-columns-repeated="2"/>
 <table:table-row><table:table-cell><text:p>Thôn</text:p></table:table-cell><table:table-cell><text:p>Số người</text:p></table:table-cell></table:table-row>
 <table:table-row><table:table-cell><text:p>Đồng Hà</text:p></table:table-cell><table:table-cell><text:p>15</text:p></table:table-cell></table:table-row>
</table:table>
<text:p>Quyết định có hiệu lực kể từ ngày ký./.</text:p>
<table:table table:name="Ky"><table:table-column table:number-columns-repeated="2"/>
 <table:table-row>
  <table:table-cell><text:p>Nơi nhận:</text:p><text:p>- Như Điều 3;</text:p><text:p>- Lưu: VT.</text:p></table:table-cell>
  <table:table-cell><text:p>TM. ỦY BAN NHÂN DÂN</text:p><text:p>CHỦ TỊCH</text:p><text:p>Đỗ Văn Hùng</text:p></table:table-cell>
 </table:table-row>
</table:table>
</office:text></office:body></office:document-content>
"""
MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""


@pytest.fixture(scope="module")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An .odt written here, converted by LibreOffice to .docx and to .pdf."""
    soffice = shutil.which("soffice")
    if soffice is None:
        missing(
            "LibreOffice (soffice) is not installed", "apt-get install libreoffice-writer-nogui"
        )
    folder = tmp_path_factory.mktemp("lo")
    odt = folder / "qd-312.odt"
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        archive.writestr("content.xml", ODT_CONTENT, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", MANIFEST, zipfile.ZIP_DEFLATED)
    profile = folder / "profile"
    for kind in ("docx", "pdf"):
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                kind,
                "--outdir",
                str(folder),
                str(odt),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    yield folder


def test_a_libreoffice_document_imports(
    project: Project, libreoffice: Path, tmp_path: Path
) -> None:
    code, out, err = run(project, str(libreoffice / "qd-312.docx"), UNIT)
    assert code == 0, err
    post = loaded(project, out.strip())
    assert (
        post.title
        == "Quyết định số 312/QĐ-UBND về việc phê duyệt phương án phòng cháy, chữa cháy rừng mùa khô"
    )
    doc = post.document
    assert doc is not None
    assert (doc.number, doc.type, doc.signer, doc.issued) == (
        "312/QĐ-UBND",
        "Quyết định",
        "Đỗ Văn Hùng",
        date(2026, 11, 5),
    )
    assert doc.issuer == "Ủy ban nhân dân xã Sóc Sơn"
    body = post.body
    assert "Căn cứ Luật Lâm nghiệp[^1];" in body and "[^1]: Luật số 16/2017/QH14." in body
    assert "## Điều 1. Phê duyệt phương án" in body
    assert "**trực 24/24 giờ**" in body and "*khô hanh*" in body
    assert "- Thôn Đồng Hà: tổ xung kích 15 người;" in body
    assert "| Thôn | Số người |\n|---|---|\n| Đồng Hà | 15 |" in body
    assert "Nơi nhận" not in body and "CỘNG HÒA" not in body and "Đỗ Văn Hùng" not in body
    assert not check(project).errors
    html = built_page(project, tmp_path, post)
    assert 'class="footnote' in html and "Luật số 16/2017/QH14." in html


def test_a_text_pdf_gives_its_first_page_as_summary(project: Project, libreoffice: Path) -> None:
    code, out, err = run(project, str(libreoffice / "qd-312.pdf"), UNIT)
    assert code == 0, err
    post = loaded(project, out.strip())
    assert post.section == suggest_section(project.profile, "Quyết định").id
    assert post.title.startswith("Quyết định số 312/QĐ-UBND")
    assert post.summary.startswith("Căn cứ Luật Lâm nghiệp")
    assert post.document is not None and post.document.file is not None
    assert post.document.file.path.read_bytes() == (libreoffice / "qd-312.pdf").read_bytes()
    assert not check(project).errors


# --- the inbox of `congxa serve` ---------------------------------------------------------------


def test_the_inbox_imports_once_and_is_never_published(project: Project, tmp_path: Path) -> None:
    inbox = project.root / FOLDER / INBOX_FOLDER
    inbox.mkdir(parents=True)
    wd.decision(inbox / "qd-215.docx")
    (inbox / "qd-215.pdf").write_bytes(blank_pdf())
    (inbox / "hong.docx").write_bytes(b"not a zip")
    unit = project.root / UNIT
    lines: list[str] = []
    posts = take_inbox(project, unit, lines.append, settle=0)
    assert len(posts) == 1 and posts[0].parent.name == "van-ban"
    post = loaded(project, str(posts[0].relative_to(project.root)))
    assert post.document is not None and post.document.file is not None
    assert sorted(p.name for p in (inbox / DONE_FOLDER).iterdir()) == ["qd-215.docx", "qd-215.pdf"]
    assert sorted(p.name for p in (inbox / FAILED_FOLDER).iterdir()) == [
        "hong.docx",
        "hong.docx.txt",
    ]
    reason = (inbox / FAILED_FOLDER / "hong.docx.txt").read_text(encoding="utf-8")
    assert "không phải tài liệu Word" in reason
    assert any("Đã nhập" in line for line in lines)
    assert take_inbox(project, unit, lines.append, settle=0) == []  # nothing twice
    out = tmp_path / "public"
    assert not build_many(project, project.unit_files(), out, jobs=1).failed
    site = out / "ha_noi" / "phuong_hoan_kiem"
    assert (site / post.section / post.slug / "index.html").is_file()
    assert not (site / INBOX_FOLDER).exists()


def test_serve_imports_a_document_dropped_in_the_inbox(project: Project, tmp_path: Path) -> None:
    import time
    import urllib.request

    from generator.clerk.preview import Preview

    lines: list[str] = []
    preview = Preview(project, project.root / UNIT, port=0, debounce=0.1, echo=lines.append)
    preview.start()
    try:
        inbox = project.root / FOLDER / INBOX_FOLDER
        inbox.mkdir(parents=True)
        staged = wd.notice(tmp_path / "tb.docx")
        shutil.copyfile(staged, inbox / ".tb.docx.part")
        (inbox / ".tb.docx.part").rename(inbox / "tb.docx")  # as a file manager drops it
        deadline = time.monotonic() + 10
        posts: list[Path] = []
        while time.monotonic() < deadline and not posts:
            posts = list((project.root / FOLDER / "thong-bao").glob("*.md"))
            time.sleep(0.1)
        assert posts, lines
        slug = posts[0].stem
        url = f"{preview.url}thong-bao/{slug}/"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"{url} never served: {lines}")
        assert (inbox / DONE_FOLDER / "tb.docx").is_file() and not (inbox / "tb.docx").exists()
    finally:
        preview.stop()


# --- every demo unit --------------------------------------------------------------------------


def test_each_demo_unit_imports_a_decision_and_a_notice(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(REPO / "communes", root / "communes")
    shutil.copytree(REPO / "content", root / "content")
    project = Project.discover(root, TODAY)
    units = project.unit_files()
    assert units
    made: dict[Path, list[Post]] = {}
    for unit in units:
        real = load_unit(unit, project.registry)  # "Phường Hoàn Kiếm", "Xã Sóc Sơn"
        issuer = f"Ủy ban nhân dân {real.name[0].lower()}{real.name[1:]}"
        made[unit] = []
        for source in wd.samples(real.name, tmp_path / unit.stem):
            result = CliRunner().invoke(
                main, ["import", str(source), str(unit), "--root", str(root)]
            )
            assert result.exit_code == 0, result.output
            path = Path(result.stdout.strip())
            path = path if path.is_absolute() else root / path
            unit_dir, _ = project.content_for(unit)
            post = load_post(path, unit_dir, project.profile)
            assert post is not None and post.document is not None
            assert post.document.issuer == issuer
            assert post.document.number in ("101/QĐ-UBND", "102/TB-UBND")
            made[unit].append(post)
        assert {p.section for p in made[unit]} == {"van-ban", "thong-bao"}
    report = check(project)
    imported = {p.source for posts in made.values() for p in posts}
    assert not report.errors
    assert not [p for p in report.warnings if p.file in imported]
    summary = build_many(project, units, tmp_path / "public", jobs=2)
    assert not summary.failed


def test_a_header_typed_with_tabs_is_read(project: Project, tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph("ỦY BAN NHÂN DÂN\t\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    doc.add_paragraph("PHƯỜNG HOÀN KIẾM\t\tĐộc lập - Tự do - Hạnh phúc")
    doc.add_paragraph("Số:   96 / KH-UBND\t\tHoàn Kiếm, ngày 2 tháng 11 năm 2026")
    doc.add_paragraph("KẾ HOẠCH")
    doc.add_paragraph("Tổ chức tập huấn phòng cháy cho hộ kinh doanh")
    doc.add_paragraph("Nhằm nâng cao kỹ năng thoát nạn cho người dân.")
    doc.add_paragraph("TM. ỦY BAN NHÂN DÂN")
    doc.add_paragraph("KT. CHỦ TỊCH")
    doc.add_paragraph("PHÓ CHỦ TỊCH")
    doc.add_paragraph("Nguyễn Thị Thu Hà")
    doc.add_paragraph("Nơi nhận:")
    doc.add_paragraph("- Lưu: VT.")
    path = tmp_path / "kh.docx"
    doc.save(str(path))
    code, out, err = run(project, str(path), UNIT, "--no-attach")
    assert code == 0, err
    post = loaded(project, out.strip())
    assert post.section == suggest_section(project.profile, "Kế hoạch").id
    assert post.title == "Kế hoạch số 96/KH-UBND tổ chức tập huấn phòng cháy cho hộ kinh doanh"
    doc_ = post.document
    assert doc_ is not None
    assert (doc_.number, doc_.issued, doc_.signer) == (
        "96/KH-UBND",
        date(2026, 11, 2),
        "Nguyễn Thị Thu Hà",
    )
    assert doc_.issuer == "Ủy ban nhân dân phường Hoàn Kiếm"
    assert post.body.strip() == "Nhằm nâng cao kỹ năng thoát nạn cho người dân."


def test_a_text_without_a_type_is_news_with_a_warning(project: Project, tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading("Ra quân làm sạch phố cổ", level=1)
    doc.add_paragraph("Sáng 20/11, hơn 300 người dân tham gia ra quân.")
    path = tmp_path / "tin.docx"
    doc.save(str(path))
    code, out, err = run(project, str(path), UNIT, "--no-attach")
    assert code == 0 and "Không nhận ra loại văn bản" in err
    post = loaded(project, out.strip())
    assert post.section == suggest_section(project.profile, None).id == "tin-tuc"
    assert post.title == "Ra quân làm sạch phố cổ" and post.document is None
    assert post.body.strip() == "Sáng 20/11, hơn 300 người dân tham gia ra quân."
