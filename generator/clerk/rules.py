"""The content rules of `congxa check`: what makes a page hard to use, beyond validity.

Each rule has an id (stable, used in `--format json` and in the clerks' guide), a severity
and a short Vietnamese name. Every rule here is a warning: the site still builds, but a
reader meets an empty, stale, broken or unreadable page. `congxa check --strict` turns
them into a failing exit code for CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from generator.errors import ContentError, Problem, Severity
from generator.site.links import SiteMap, is_local, refs
from generator.source.files import line_of, parse_yaml, read_text
from generator.source.legacy import find_legacy
from generator.source.model import Post, Site
from generator.source.posts import split_front_matter
from generator.source.profile import SectionKind


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    name: str  # plural noun phrase for the summary: "3 <name>"


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "empty-section",
            Severity.WARNING,
            "chuyên mục bắt buộc chưa có bài (empty required section)",
        ),
        Rule("stale-section", Severity.WARNING, "chuyên mục lâu chưa có bài mới (stale section)"),
        Rule(
            "essential-no-expiry",
            Severity.WARNING,
            "thông tin thiết yếu chưa có hạn (essential item without expiry)",
        ),
        Rule(
            "essential-expired",
            Severity.WARNING,
            "thông tin thiết yếu đã hết hạn còn đánh dấu (expired essential item)",
        ),
        Rule("image-alt", Severity.WARNING, "ảnh thiếu mô tả (image without alt text)"),
        Rule("broken-link", Severity.WARNING, "liên kết hỏng (broken link)"),
        Rule(
            "large-attachment",
            Severity.WARNING,
            "tệp đính kèm quá lớn (attachment over size limit)",
        ),
        Rule(
            "document-incomplete",
            Severity.WARNING,
            "văn bản thiếu số hoặc ngày (document without number or date)",
        ),
        Rule("legacy-encoding", Severity.WARNING, "đoạn chữ gõ bằng bảng mã cũ (legacy encoding)"),
        Rule("long-title", Severity.WARNING, "tiêu đề quá dài (title too long)"),
        Rule(
            "future-date", Severity.WARNING, "ngày quá xa trong tương lai (date far in the future)"
        ),
        Rule(
            "unreferenced-file",
            Severity.WARNING,
            "tệp không được bài nào dẫn tới, sẽ không được đăng (unreferenced file)",
        ),
    )
}

# A post dated more than this far ahead is almost always a mistyped year.
FUTURE_DAYS = 365


@dataclass(frozen=True)
class CheckOptions:
    """Thresholds of the rules; the defaults follow the project's conventions."""

    stale_days: int = 90
    max_attachment_mb: float = 20.0
    max_title: int = 150


def problem(
    rule: str,
    message: str,
    file: Path | None,
    line: int | None = None,
    field: str | None = None,
    hint: str | None = None,
) -> Problem:
    return Problem(
        message,
        file=file,
        line=line,
        field=field,
        hint=hint,
        severity=RULES[rule].severity,
        rule=rule,
    )


def section_rules(site: Site, options: CheckOptions) -> Iterator[Problem]:
    """Empty required sections, and sections without a post for `stale_days` days."""
    unit = site.unit
    content = f"content/{unit.province_slug}/{unit.slug}"
    for section in site.profile.sections:
        if not section.required or section.kind not in (SectionKind.POSTS, SectionKind.DOCUMENTS):
            continue
        posts = site.in_section(section)
        if not posts:
            yield problem(
                "empty-section",
                f"Chuyên mục bắt buộc `{section.id}` "
                f"({section.title}) chưa có bài nào (empty required section).",
                unit.source,
                field=section.id,
                hint=f"đăng ít nhất một bài vào {content}/{section.id}/ "
                f"(lệnh: congxa new communes/{unit.province_slug}/{unit.slug}.yml "
                f'{section.id} "Tiêu đề").',
            )
            continue
        newest = posts[0]
        age = (site.today - newest.date).days
        if age > options.stale_days:
            yield problem(
                "stale-section",
                f"Chuyên mục `{section.id}` ({section.title}) "
                f"không có bài mới trong {age} ngày; bài gần nhất ngày "
                f"{newest.date:%d/%m/%Y} (no post in {options.stale_days} days).",
                newest.source,
                field=section.id,
                hint="đăng thông tin mới của chuyên mục; người dân và đoàn kiểm tra "
                "coi trang không cập nhật là trang bỏ hoang.",
            )


def post_rules(
    site: Site, post: Post, sitemap: SiteMap, options: CheckOptions
) -> Iterator[Problem]:
    """Every rule about one post."""
    head = _front_matter(post)
    found = [
        *_title(post, head, options),
        *_future(site, post, head),
        *_essential(site, post, head),
        *_document(site, post, head),
        *_attachments(post, head, options),
        *_body(post, sitemap),
        *legacy_rule(post.source),
    ]
    yield from sorted(found, key=lambda p: p.line or 0)  # read the file top to bottom


def file_rules(sitemap: SiteMap) -> Iterator[Problem]:
    """Files of the unit's folder that no published page uses: they are not published."""
    for candidate in sitemap.site.unreferenced():
        post_name = _post_name(candidate.path.name)
        if post_name is not None:
            yield problem(
                "unreferenced-file",
                f"{candidate.uri}: tệp này có vẻ là bài viết nhưng tên không kết thúc bằng "
                "`.md`, nên không được đăng (post file without the .md extension).",
                candidate.path,
                hint=f"đổi tên tệp thành `{post_name}` (Notepad: Lưu thành, chọn "
                '"All Files", gõ tên có đuôi .md).',
            )
            continue
        yield problem(
            "unreferenced-file",
            f"{candidate.uri}: tệp không được bài nào dẫn tới, sẽ không được đăng "
            "(unreferenced file, not published).",
            candidate.path,
            hint="nếu tệp cần đăng, khai báo trong `attachments:` (hoặc `document: file:`) "
            "của một bài đã đăng, hoặc dẫn tới nó bằng liên kết hay ảnh trong bài; tệp của "
            "bài nháp (draft) chỉ được đăng khi bài được đăng. Nếu không dùng nữa, xoá tệp.",
        )


def _post_name(name: str) -> str | None:
    """The name a post saved under a wrong extension should have (`bai.MD`, `bai.md.txt`,
    `bai.markdown`), or None."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        return None
    if suffix.lower() in ("md", "markdown", "mdown"):
        return f"{stem}.md"
    if suffix.lower() == "txt" and stem.lower().endswith(".md"):
        return f"{stem[:-3]}.md"
    return None


def legacy_rule(path: Path) -> Iterator[Problem]:
    """Text typed with TCVN3/VNI fonts, or double-encoded UTF-8."""
    try:
        text = read_text(path)
    except ContentError:
        return  # unreadable files are reported by validation
    found = find_legacy(text)
    if found is None:
        return
    detail = (
        "có thể gõ bằng bảng mã TCVN3 (ABC) hoặc VNI"
        if found.kind == "tcvn3-vni"
        else "chữ UTF-8 bị đọc nhầm thành Windows-1252"
    )
    yield problem(
        "legacy-encoding",
        f"Chữ hiển thị sai dấu {found.sample!r}: {detail} "
        "(text looks like a legacy Vietnamese encoding).",
        path,
        found.line,
        hint="chép đoạn chữ vào Unikey → Công cụ chuyển mã (Ctrl+Shift+F6), chọn "
        "nguồn TCVN3 (ABC) hoặc VNI Windows, đích Unicode, bấm Chuyển mã rồi dán lại.",
    )


def _front_matter(post: Post) -> Any:
    """The post's front matter with key lines (LineDict); {} when it cannot be re-read."""
    try:
        front, _, _ = split_front_matter(read_text(post.source), post.source)
        return parse_yaml(front, post.source, first_line=2) or {}
    except ContentError:
        return {}


def _line(data: Any, *keys: str) -> int:
    """Line of the nested key `keys` (the deepest one found), or 1 (the file's start)."""
    line = 1
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            break
        line = line_of(data, key) or line
        data = data[key]
    return line


def _title(post: Post, head: Any, options: CheckOptions) -> Iterator[Problem]:
    if len(post.title) > options.max_title:
        yield problem(
            "long-title",
            f"Tiêu đề dài {len(post.title)} ký tự, quá {options.max_title} ký tự (title too long).",
            post.source,
            _line(head, "title"),
            "title",
            hint="rút gọn tiêu đề; đưa phần giải thích vào `summary` hoặc thân bài.",
        )


def _future(site: Site, post: Post, head: Any) -> Iterator[Problem]:
    limit = site.today + timedelta(days=FUTURE_DAYS)
    dates: list[tuple[str, date, tuple[str, ...]]] = [("date", post.date.date(), ("date",))]
    if post.document and post.document.issued:
        dates.append(("document.issued", post.document.issued, ("document", "issued")))
    for name, when, keys in dates:
        if when > limit.date():
            yield problem(
                "future-date",
                f"Ngày `{name}` là {when:%d/%m/%Y}, hơn một năm sau hôm nay "
                f"({site.today:%d/%m/%Y}) (date more than a year in the future).",
                post.source,
                _line(head, *keys),
                name,
                hint="kiểm tra năm: thường là gõ nhầm, ví dụ 2062 thay cho 2026.",
            )


def _essential(site: Site, post: Post, head: Any) -> Iterator[Problem]:
    item = post.essential
    if item is None:
        return
    if item.expires is None:
        yield problem(
            "essential-no-expiry",
            "Thông tin thiết yếu chưa có ngày hết hạn "
            "(essential item without `expires`): nó sẽ nằm mãi trên trang chủ.",
            post.source,
            _line(head, "essential"),
            "essential.expires",
            hint="thêm dòng `  expires: 2026-12-31` (ngày thông tin hết tác dụng) "
            "vào khối `essential:`.",
        )
    elif item.expires < post.date:
        yield problem(
            "essential-expired",
            f"Ngày hết hạn {item.expires:%d/%m/%Y} trước cả "
            f"ngày đăng {post.date:%d/%m/%Y}: thông tin chưa từng hiển thị "
            "(expires before the post's date).",
            post.source,
            _line(head, "essential", "expires"),
            "essential.expires",
            hint="kiểm tra năm của `expires`, thường là gõ nhầm.",
        )
    elif not item.active(site.today):
        yield problem(
            "essential-expired",
            f"Thông tin thiết yếu đã hết hạn ngày "
            f"{item.expires:%d/%m/%Y} nhưng bài vẫn còn đánh dấu `essential` (mức "
            f"{item.priority}) (expired essential item still marked).",
            post.source,
            _line(head, "essential", "expires"),
            "essential.expires",
            hint="nếu thông tin còn hiệu lực, sửa `expires` sang ngày mới; nếu không, "
            "xoá khối `essential:` để bài trở thành tin thường.",
        )


def _document(site: Site, post: Post, head: Any) -> Iterator[Problem]:
    section = site.profile.section(post.section)
    doc = post.document
    if doc is None and (section is None or section.kind != SectionKind.DOCUMENTS):
        return
    missing = [
        label
        for label, value in (
            ("số, ký hiệu `number`", doc and doc.number),
            ("ngày ban hành `issued`", doc and doc.issued),
        )
        if not value
    ]
    if missing:
        yield problem(
            "document-incomplete",
            "Văn bản thiếu " + " và ".join(missing) + " (document without number or date).",
            post.source,
            _line(head, "document"),
            "document",
            hint="điền khối `document:` như mẫu: `number: 215/QĐ-UBND`, "
            "`issued: 2026-10-12` (Nghị định 42/2022, Điều 4).",
        )


def _attachments(post: Post, head: Any, options: CheckOptions) -> Iterator[Problem]:
    limit = options.max_attachment_mb * 1024 * 1024
    for attachment in post.files():
        if attachment.size <= limit:
            continue
        key = "document" if post.document and post.document.file == attachment else "attachments"
        yield problem(
            "large-attachment",
            f"Tệp {attachment.name} nặng "
            f"{attachment.size / 1048576:.1f} MB, quá giới hạn "
            f"{options.max_attachment_mb:g} MB (attachment over size limit).",
            post.source,
            _line(head, key),
            key,
            hint="giảm dung lượng: quét lại ở 150-200 dpi, đen trắng cho văn bản, hoặc "
            "nén PDF (Save as → Reduced size PDF); tệp quá nặng người dân khó tải về "
            "bằng điện thoại.",
        )


def _body(post: Post, sitemap: SiteMap) -> Iterator[Problem]:
    for ref in refs(post):
        if ref.image and not (ref.alt or "").strip():
            yield problem(
                "image-alt",
                f"Ảnh {ref.target!r} chưa có mô tả (image without alt "
                "text): người khiếm thị và máy tìm kiếm không biết ảnh nói gì.",
                post.source,
                ref.line,
                hint="viết mô tả ngắn trong ngoặc vuông: ![Hội nghị tiếp xúc cử tri "
                "ngày 20/11](../files/anh.jpg).",
            )
        if is_local(ref.target) and not sitemap.resolves(post, ref.target):
            yield problem(
                "broken-link",
                f"Liên kết {ref.target!r} không dẫn tới trang hay "
                "tệp nào của trang (link to a page or file that does not exist).",
                post.source,
                ref.line,
                hint=_link_hint(sitemap, post, ref.target),
            )


def _link_hint(sitemap: SiteMap, post: Post, target: str) -> str:
    close = sitemap.suggest(post, target)
    if close is not None:
        return f"có phải ý bạn là `{close}`? Tên tệp phân biệt chữ hoa, chữ thường."
    return (
        "kiểm tra tên tệp; đường dẫn tính từ thư mục chuyên mục, ví dụ "
        "`../files/qd-215.pdf` cho tệp, `../van-ban/ten-bai.md` cho bài khác."
    )
