"""Loading and validating posts: Markdown files with YAML front matter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.errors import ContentError, Problem
from generator.source.essential import categories, priorities
from generator.source.fields import Fields
from generator.source.files import LineDict, line_of, parse_yaml, read_text
from generator.source.markdown_limits import markdown_problems
from generator.source.model import Attachment, Document, Essential, Post
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


def load_posts(
    unit_dir: Path, province_dir: Path, profile: Profile
) -> tuple[list[Post], list[Problem]]:
    """Every published post of a unit: its own and the province's shared ones.

    Returns the posts that loaded and every problem found; the caller decides whether the
    problems stop the unit.
    """
    posts: list[Post] = []
    problems: list[Problem] = []
    sources = [(unit_dir, False), (province_dir / PROVINCE_FOLDER, True)]
    for root, shared in sources:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.md")):
            try:
                post = load_post(path, root, profile, province_wide=shared)
            except ContentError as exc:
                problems.extend(exc.problems)
                continue
            if post is not None:
                posts.append(post)
    problems.extend(_duplicate_slugs(posts))
    return posts, problems


def _duplicate_slugs(posts: list[Post]) -> list[Problem]:
    seen: dict[tuple[str, str], Post] = {}
    problems = []
    for post in posts:
        key = (post.section, post.slug)
        if key in seen:
            problems.append(
                Problem(
                    f"Địa chỉ bài {post.section}/{post.slug}/ trùng với {seen[key].source} "
                    "(duplicate slug).",
                    file=post.source,
                    line=1,
                    field="slug",
                    hint="đổi tên tệp, hoặc thêm `slug: ten-khac` vào phần đầu bài.",
                )
            )
        else:
            seen[key] = post
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
    path: Path, root: Path, profile: Profile, *, province_wide: bool = False
) -> Post | None:
    """One post, or None for a draft; ContentError with every problem of the file."""
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
    for key in data:
        if key not in KNOWN_KEYS:
            f.error(
                f"Trường lạ `{key}` (unknown field) sẽ bị bỏ qua.",
                data=data,
                key=key,
                severity="warning",
                hint="kiểm tra chính tả tên trường.",
            )
    title = f.get(data, "title", str, required=True, hint="thêm `title: Tiêu đề bài viết`.")
    when = f.get_date(data, "date", required=True, hint="thêm `date: 2026-11-20`.")
    draft = f.get(data, "draft", bool)
    slug = slugify(f.get(data, "slug", str) or path.stem)
    if not slug:
        f.error(
            "Không tạo được địa chỉ bài từ tên tệp (empty slug).",
            line=1,
            field="slug",
            hint="đặt tên tệp bằng chữ không dấu, ví dụ thong-bao-lich-hop.md.",
        )
    f.problems.extend(markdown_problems(body, path, body_line))
    attachments = tuple(_attachments(f, data, path, root))
    document = _document(f, data, path, root)
    essential = _essential(f, data)
    summary = f.get(data, "summary", str) or ""
    explicit_id = f.get(data, "id", str)
    errors = [p for p in f.problems if p.severity == "error"]
    if errors:
        raise ContentError(f.problems)
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


def _file(
    f: Fields, data: Any, key: str, field: str, post: Path, base: Path, title: str | None = None
) -> Attachment | None:
    raw = f.get(data, key, str, prefix=field[: -len(key)] if field.endswith(key) else "")
    if not raw:
        return None
    target = (post.parent / raw).resolve()
    if not target.is_relative_to(base.resolve()):
        f.error(
            f"Tệp đính kèm {raw!r} nằm ngoài thư mục của đơn vị (path escapes the unit's folder).",
            data=data,
            key=key,
            field=field,
            hint=f"chép tệp vào {base}/files/ và ghi đường dẫn tương đối, ví dụ "
            "`../files/quyet-dinh.pdf`.",
        )
        return None
    if not target.is_file():
        f.error(
            f"Không tìm thấy tệp đính kèm {raw!r} (attachment not found).",
            data=data,
            key=key,
            field=field,
            hint="kiểm tra tên tệp và đường dẫn (tính từ thư mục chứa bài viết).",
        )
        return None
    return Attachment(target, title or target.name, target.stat().st_size)


def _attachments(f: Fields, data: Any, post: Path, base: Path) -> list[Attachment]:
    found = []
    for index, item in enumerate(f.get(data, "attachments", list) or []):
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
            )
            continue
        title = f.get(item, "title", str, prefix=field + ".")
        attachment = _file(f, item, "file", field + ".file", post, base, title)
        if attachment:
            found.append(attachment)
    return found


def _document(f: Fields, data: Any, post: Path, base: Path) -> Document | None:
    doc = f.get(data, "document", dict)
    if doc is None:
        return None
    p = "document."
    issued = f.get_date(doc, "issued", prefix=p)
    effective = f.get_date(doc, "effective", prefix=p)
    return Document(
        number=f.get(doc, "number", str, prefix=p),
        type=f.get(doc, "type", str, prefix=p),
        issuer=f.get(doc, "issuer", str, prefix=p),
        signer=f.get(doc, "signer", str, prefix=p),
        issued=issued.date() if issued else None,
        effective=effective.date() if effective else None,
        file=_file(f, doc, "file", "document.file", post, base),
    )


def _essential(f: Fields, data: Any) -> Essential | None:
    item = f.get(data, "essential", dict)
    if item is None:
        return None
    p = "essential."
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
            f"Nhóm thông tin thiết yếu {category!r} không hợp lệ (unknown category).",
            data=item,
            key="category",
            field=p + "category",
            hint="chọn một trong: " + ", ".join(categories()),
        )
    priority = f.get(item, "priority", str, prefix=p) or "thuong"
    if priority not in priorities():
        f.error(
            f"Mức ưu tiên {priority!r} không hợp lệ (unknown priority).",
            data=item,
            key="priority",
            field=p + "priority",
            hint="chọn một trong: " + ", ".join(priorities()),
        )
    expires = f.get_date(item, "expires", prefix=p, end_of_day=True)
    return Essential(category or "", priority, expires)
