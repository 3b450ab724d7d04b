"""Loading and validating posts: Markdown files with YAML front matter."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.errors import ContentError, Problem, Severity
from generator.source.containment import (
    FilePolicy,
    folder_refusal,
    lexical,
    real,
    refusal,
    suggest,
)
from generator.source.essential import categories, priorities
from generator.source.fields import Fields, did_you_mean
from generator.source.files import LineDict, line_of, parse_yaml, read_text
from generator.source.markdown_limits import markdown_problems
from generator.source.model import Attachment, Document, Essential, Post
from generator.source.placeholders import POST_BODY, post_placeholder_line
from generator.source.profile import Profile
from generator.text import slugify

PROVINCE_FOLDER = "_province"
KNOWN_KEYS = {
    "title",
    "date",
    "summary",
    "draft",
    "attachments",
    "document",
    "essential",
    "id",
    "slug",
}
DOCUMENT_KEYS = {"number", "type", "issuer", "signer", "issued", "effective", "file"}
ESSENTIAL_KEYS = {"category", "priority", "expires"}
ATTACHMENT_KEYS = {"file", "title"}
# Addresses a section's generated pages use: its list (index) and its later pages (trang-2).
_RESERVED_SLUG = re.compile(r"^(index|trang-\d+)$")


def reserved_slug(slug: str) -> bool:
    """True for a slug that would replace one of a section's generated pages."""
    return bool(_RESERVED_SLUG.match(slug))


def load_posts(
    unit_dir: Path, province_dir: Path, profile: Profile, files: FilePolicy | None = None
) -> tuple[list[Post], list[Problem]]:
    """Every published post of a unit: its own and the province's shared ones.

    Returns the posts that loaded and every problem found; the caller decides whether the
    problems stop the unit. A content folder, or a post, whose real path leaves the
    project's content/ folder is refused, never read (generator/source/containment.py).
    """
    posts: list[Post] = []
    problems: list[Problem] = []
    shared_dir = province_dir / PROVINCE_FOLDER
    sources = [(unit_dir, False), (shared_dir, True)]
    for root, shared in sources:
        refused = folder_refusal(root, province_dir.parent)
        if refused is not None:
            problems.append(Problem(refused.message, file=root, hint=refused.hint))
            continue
        if not root.is_dir():
            continue
        roots = (root,) if shared else (root, shared_dir)
        for path in _markdown_files(root, problems):
            unreadable = _unreadable_post(path, root)
            if unreadable is not None:
                problems.append(unreadable)
                continue
            try:
                post = load_post(
                    path,
                    root,
                    profile,
                    province_wide=shared,
                    warnings=problems,
                    files=files,
                    roots=roots,
                )
            except ContentError as exc:
                problems.extend(exc.problems)
                continue
            if post is None:
                continue
            placeholder = post_placeholder_line(post.body)
            if placeholder is not None:
                problems.append(_placeholder_problem(post, placeholder))
                continue
            posts.append(post)
    problems.extend(_duplicate_slugs(posts))
    problems.extend(_duplicate_ids(posts))
    return posts, problems


def _markdown_files(root: Path, problems: list[Problem]) -> list[Path]:
    """Every .md file under `root`, sorted; a folder that cannot be read is an error,
    never skipped (a site silently published without a section's posts)."""

    def unreadable(err: OSError) -> None:
        problems.append(
            Problem(
                f"Không đọc được thư mục (cannot read folder): {err.strerror}.",
                file=Path(os.fsdecode(err.filename)) if err.filename else root,
                hint="cấp quyền đọc thư mục này cho tài khoản chạy congxa "
                "(ví dụ `chmod -R a+rX`), rồi chạy lại.",
            )
        )

    found: list[Path] = []
    for folder, _dirs, files in os.walk(root, onerror=unreadable):
        found.extend(Path(folder, name) for name in files if name.endswith(".md"))
    return sorted(found)


def _unreadable_post(path: Path, root: Path) -> Problem | None:
    """A post that is a link out of its folder, or not a regular file, is never read."""
    if not real(path).is_relative_to(real(root)):
        return Problem(
            f"Bài viết {path.name} trỏ ra ngoài thư mục nội dung (file outside the content "
            f"folder): đường dẫn thật là {real(path)}.",
            file=path,
            hint="thay liên kết tượng trưng (symlink) bằng tệp bài viết thật.",
        )
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        regular = True  # read_text reports the reason with the file's name
    if not regular:
        return Problem(
            f"{path.name} không phải tệp thường (not a regular file).",
            file=path,
            hint="xoá mục này; bài viết là tệp văn bản .md.",
        )
    return None


def _placeholder_problem(post: Post, index: int) -> Problem:
    """A post whose body is still `congxa new`'s sample text is kept off the site."""
    return Problem(
        f"Thân bài vẫn là nội dung mẫu {POST_BODY!r} (placeholder text): bài chưa được đăng "
        "cho tới khi viết nội dung thật.",
        file=post.source,
        line=post.body_line + index,
        field="body",
        hint="thay dòng mẫu bằng nội dung bài viết; nếu chưa muốn đăng, để `draft: true`.",
        severity=Severity.WARNING,
        rule="placeholder",
    )


def _duplicate_ids(posts: list[Post]) -> list[Problem]:
    """Two posts with one `id` would share a feed GUID: readers would drop one of them.

    Each post of such a group is reported, naming the others: whichever file the clerk
    checks, the finding is there."""
    groups: dict[str, list[Post]] = {}
    for post in posts:
        groups.setdefault(post.id, []).append(post)
    problems = []
    for same in groups.values():
        if len({(p.section, p.slug) for p in same}) < 2:
            continue  # one address: reported as a duplicate slug
        for post in same:
            others = ", ".join(str(o.source) for o in same if o is not post)
            problems.append(
                Problem(
                    f"Mã bài `id: {post.id}` trùng với bài {others} (duplicate id): "
                    "các bài sẽ trùng mã trong kênh tin (feed GUID).",
                    file=post.source,
                    line=_key_line(post.source, "id"),
                    field="id",
                    hint="xoá dòng `id:` (mã sẽ lấy theo địa chỉ bài) hoặc đặt mã khác cho "
                    "mỗi bài.",
                )
            )
    return problems


def _key_line(path: Path, key: str) -> int:
    """Line of a top-level front-matter key, or 1."""
    try:
        lines = read_text(path).split("\n")
    except ContentError:
        return 1
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() in ("---", "..."):
            break
        if line.startswith(f"{key}:"):
            return number
    return 1


def _duplicate_slugs(posts: list[Post]) -> list[Problem]:
    """Posts at one address: each is reported, naming the others, so that checking any
    one of the files shows it."""
    groups: dict[tuple[str, str], list[Post]] = {}
    for post in posts:
        groups.setdefault((post.section, post.slug), []).append(post)
    problems = []
    for (section, slug), same in groups.items():
        if len(same) < 2:
            continue
        for post in same:
            others = ", ".join(str(o.source) for o in same if o is not post)
            problems.append(
                Problem(
                    f"Địa chỉ bài {section}/{slug}/ trùng với {others} (duplicate slug).",
                    file=post.source,
                    line=_key_line(post.source, "slug"),
                    field="slug",
                    hint="đổi tên tệp, hoặc thêm `slug: ten-khac` vào phần đầu bài.",
                )
            )
    return problems


def split_front_matter(text: str, path: Path) -> tuple[str, str, int]:
    """(front matter, body, line of the body's first line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError(
            Problem(
                "Bài viết thiếu phần đầu (front matter) với `title` và `date`.",
                file=path,
                line=1,
                field="title",
                hint="bắt đầu tệp bằng ba dòng:\n---\ntitle: Tiêu đề bài\ndate: 2026-11-20\n---",
            )
        )
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    raise ContentError(
        Problem(
            "Phần đầu bài (front matter) không có dòng `---` kết thúc.",
            file=path,
            line=1,
            hint="thêm một dòng `---` sau các trường title, date.",
        )
    )


def load_post(
    path: Path,
    root: Path,
    profile: Profile,
    *,
    province_wide: bool = False,
    warnings: list[Problem] | None = None,
    files: FilePolicy | None = None,
    roots: Sequence[Path] = (),
) -> Post | None:
    """One post, or None for a draft; ContentError with every problem of the file.

    The warnings of a post that loads (unknown fields...) are added to `warnings`.
    `roots` are the folders its attachments may come from (default: `root`); `files` is
    the province's rule for publishable files.
    """
    rel = path.relative_to(root)
    section = profile.section(rel.parts[0]) if len(rel.parts) > 1 else None
    if section is None or not section.takes_posts:
        valid = ", ".join(s.id for s in profile.post_sections())
        raise ContentError(
            Problem(
                f"Bài viết nằm trong thư mục `{rel.parent}` không phải chuyên mục "
                "(folder is not a section).",
                file=path,
                hint=f"chuyển tệp vào một trong các thư mục chuyên mục: {valid}.",
            )
        )
    text = read_text(path)
    front, body, body_line = split_front_matter(text, path)
    data = parse_yaml(front, path, first_line=2) if front.strip() else {}
    f = Fields(path)
    if not isinstance(data, dict):
        f.error("Phần đầu bài phải là các dòng `tên: giá trị` (expected a mapping).", line=2)
        raise ContentError(f.problems)
    f.unknown_keys(data, KNOWN_KEYS)
    title = f.get(data, "title", str, required=True, hint="thêm `title: Tiêu đề bài viết`.")
    when = f.get_date(data, "date", required=True, hint="thêm `date: 2026-11-20`.")
    draft = f.get(data, "draft", bool)
    written_slug = f.get(data, "slug", str)
    slug = slugify(written_slug or path.stem)
    if written_slug and slug and slug != written_slug:
        f.error(
            f"Địa chỉ bài `slug: {written_slug}` được đổi thành `{slug}` (slug normalised): "
            "địa chỉ chỉ gồm chữ thường không dấu, số và dấu `-`.",
            data=data,
            key="slug",
            field="slug",
            hint=f"ghi `slug: {slug}` nếu đó là địa chỉ bạn muốn, hoặc xoá dòng `slug:` để "
            "lấy địa chỉ theo tên tệp.",
            severity=Severity.WARNING,
        )
    if not slug:
        f.error(
            "Không tạo được địa chỉ bài từ tên tệp (empty slug).",
            line=1,
            field="slug",
            hint="đặt tên tệp bằng chữ không dấu, ví dụ thong-bao-lich-hop.md.",
        )
    elif reserved_slug(slug):
        page = "trang danh sách" if slug == "index" else f"trang {slug[6:]} của danh sách"
        f.error(
            f"Địa chỉ bài `{section.id}/{slug}/` trùng với {page} của chuyên mục (reserved slug).",
            data=data if "slug" in data else None,
            key="slug" if "slug" in data else None,
            line=None if "slug" in data else 1,
            field="slug",
            hint="đổi tên tệp hoặc đặt `slug:` khác, ví dụ `slug: "
            f"{section.id}-{slug}`; không dùng `index` và `trang-2`, `trang-3`...",
        )
    f.problems.extend(markdown_problems(body, path, body_line))
    where = _Where(path, tuple(roots) or (root,), files or FilePolicy())
    attachments = tuple(_attachments(f, data, where))
    document = _document(f, data, where)
    essential = _essential(f, data)
    summary = f.get(data, "summary", str) or ""
    explicit_id = f.get(data, "id", str)
    errors = [p for p in f.problems if p.severity == Severity.ERROR]
    if errors:
        raise ContentError(f.problems)
    if warnings is not None:
        warnings.extend(f.problems)
    if draft:
        return None
    assert title is not None and when is not None  # guaranteed by the error check above
    return Post(
        section=section.id,
        slug=slug,
        title=title,
        date=when,
        body=body,
        source=path,
        body_line=body_line,
        id=explicit_id or f"{section.id}/{slug}",
        summary=summary,
        attachments=attachments,
        document=document,
        essential=essential,
        province_wide=province_wide,
    )


class _Where:
    """A post's file, the folders its attachments may come from, and the file rule."""

    def __init__(self, post: Path, roots: tuple[Path, ...], files: FilePolicy) -> None:
        self.post = post
        self.roots = tuple(lexical(r) for r in roots)
        self.files = files


def _file(
    f: Fields, data: Any, key: str, field: str, where: _Where, title: str | None = None
) -> Attachment | None:
    raw = f.get(data, key, str, prefix=field[: -len(key)] if field.endswith(key) else "")
    if not raw:
        return None
    target = lexical(where.post.parent / raw)
    root = next((r for r in where.roots if target.is_relative_to(r)), None)
    if root is None:
        f.error(
            f"Tệp đính kèm {raw!r} nằm ngoài thư mục của đơn vị (path escapes the unit's folder).",
            data=data,
            key=key,
            field=field,
            hint=f"chép tệp vào {where.roots[0]}/files/ và ghi đường dẫn tương đối, ví dụ "
            "`../files/quyet-dinh.pdf`.",
        )
        return None
    if not os.path.exists(target):
        close = suggest(where.post.parent, raw)
        f.error(
            f"Không tìm thấy tệp đính kèm {raw!r} (attachment not found).",
            data=data,
            key=key,
            field=field,
            hint=f"có phải ý bạn là `{close}`? Tên tệp phân biệt chữ hoa, chữ thường."
            if close
            else "kiểm tra tên tệp và đường dẫn (tính từ thư mục chứa bài viết).",
        )
        return None
    refused = refusal(target, [root], where.files)
    if refused is not None:
        f.error(refused.message, data=data, key=key, field=field, hint=refused.hint)
        return None
    return Attachment(target, title or target.name, os.stat(target).st_size)


_ATTACHMENTS_HINT = (
    "viết danh sách, mỗi tệp một mục bắt đầu bằng `  - `:\nattachments:\n"
    "  - file: ../files/ke-hoach.pdf\n    title: Kế hoạch (PDF)"
)


def _attachments(f: Fields, data: Any, where: _Where) -> list[Attachment]:
    found = []
    items = f.get(data, "attachments", list, hint=_ATTACHMENTS_HINT) or []
    for index, item in enumerate(items):
        field = f"attachments[{index}]"
        if isinstance(item, str):  # `- ../files/a.pdf`: the short form
            short = LineDict(file=item)
            short.line = line_of(data, "attachments") or 1
            short.lines = {"file": short.line}
            item = short
        if not isinstance(item, dict):
            f.error(
                "Mỗi tệp đính kèm là `file: đường/dẫn` (expected a mapping).",
                data=data,
                key="attachments",
                field=field,
                hint=_ATTACHMENTS_HINT,
            )
            continue
        f.unknown_keys(item, ATTACHMENT_KEYS, prefix=field + ".")
        title = f.get(item, "title", str, prefix=field + ".")
        if item.get("file") in (None, ""):
            # An item without its file would vanish from the page without a word.
            f.error(
                "Mục đính kèm chưa ghi tệp (attachment without `file`): mục này sẽ không "
                "được đăng.",
                data=item,
                key="file" if "file" in item else None,
                field=field + ".file",
                hint="ghi đường dẫn tới tệp sau `file:`, ví dụ `file: ../files/ke-hoach.pdf` "
                "(chép tệp vào thư mục files/ của đơn vị); không đính kèm thì xoá cả mục.",
            )
            continue
        attachment = _file(f, item, "file", field + ".file", where, title)
        if attachment:
            found.append(attachment)
    return found


def _document(f: Fields, data: Any, where: _Where) -> Document | None:
    doc = f.get(
        data,
        "document",
        dict,
        hint="viết các dòng con thụt vào hai dấu cách:\ndocument:\n  number: 215/QĐ-UBND\n"
        "  issued: 2026-10-12\n  file: ../files/qd-215.pdf",
    )
    if doc is None:
        return None
    p = "document."
    f.unknown_keys(doc, DOCUMENT_KEYS, prefix=p)
    issued = f.get_date(doc, "issued", prefix=p)
    effective = f.get_date(doc, "effective", prefix=p)
    return Document(
        number=f.get(doc, "number", str, prefix=p),
        type=f.get(doc, "type", str, prefix=p),
        issuer=f.get(doc, "issuer", str, prefix=p),
        signer=f.get(doc, "signer", str, prefix=p),
        issued=issued.date() if issued else None,
        effective=effective.date() if effective else None,
        file=_file(f, doc, "file", "document.file", where),
    )


def _essential(f: Fields, data: Any) -> Essential | None:
    item = f.get(
        data,
        "essential",
        dict,
        hint="viết ba dòng con thụt vào hai dấu cách:\nessential:\n"
        "  category: thien-tai-khan-cap\n  priority: khan-cap\n  expires: 2026-12-31",
    )
    if item is None:
        return None
    p = "essential."
    # A misspelt key here changes who is warned and how urgently: an error, not a warning.
    f.unknown_keys(
        item,
        ESSENTIAL_KEYS,
        prefix=p,
        severity=Severity.ERROR,
        consequence="làm sai nhóm hoặc mức ưu tiên của thông tin thiết yếu",
    )
    category = f.get(
        item,
        "category",
        str,
        required=True,
        prefix=p,
        hint="chọn một nhóm: " + ", ".join(categories()),
    )
    if category and category not in categories():
        f.error(
            f"Nhóm thông tin thiết yếu {category!r} không hợp lệ (unknown category); "
            "các nhóm: " + ", ".join(categories()) + ".",
            data=item,
            key="category",
            field=p + "category",
            hint=_choice_hint(category, categories()),
        )
    priority = f.get(item, "priority", str, prefix=p) or "thuong"
    if priority not in priorities():
        f.error(
            f"Mức ưu tiên {priority!r} không hợp lệ (unknown priority); các mức: "
            + ", ".join(priorities())
            + ".",
            data=item,
            key="priority",
            field=p + "priority",
            hint=_choice_hint(priority, priorities()),
        )
    expires = f.get_date(item, "expires", prefix=p, end_of_day=True)
    return Essential(category or "", priority, expires)


def _choice_hint(given: str, accepted: dict[str, Any]) -> str:
    guess = did_you_mean(given, accepted)
    head = f"có phải ý bạn là `{guess}`? " if guess else ""
    return head + "chọn một trong: " + ", ".join(f"`{k}`" for k in accepted) + "."
