"""The generated pages of a unit's site, as Markdown sources for MkDocs to render.

Structured parts (lists, tables, notices) are HTML computed here with final relative URLs;
clerks' text stays Markdown. Every page of the profile exists on every site, in order.

Escaping by construction: every value from a field, the profile or the registry reaches a
page through `text()`, which makes it inert both as HTML and as Markdown (a title is a
heading's text in Markdown, so `*`, `[`, `{:` or a trailing `#` in it must not become
emphasis, links, attributes or nothing), and every URL through `href()`. Clerks' Markdown
(post bodies, introduction, functions) is the only markup, and it is sanitised after
rendering (generator/site/sanitize.py).
"""

from __future__ import annotations

import functools
import html
import json
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
from urllib.parse import quote, unquote

from markupsafe import Markup

from generator.site.urls import (
    MANIFEST,
    PAGE_SIZE,
    attachment_path,
    feeds,
    post_url,
    province_shared_dir,
    relative,
    section_url,
    site_content_dir,
)
from generator.source.containment import refusal
from generator.source.essential import categories, priority_title
from generator.source.model import Post, Site
from generator.source.profile import Section, SectionKind

HOME_ITEMS_PER_SECTION = 5

# HTML's own characters, then those Markdown (with congxa's extensions) gives a meaning
# inside a line of text: both become character references, which neither parser acts on.
_HTML_ACTIVE = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
_INERT = str.maketrans({**_HTML_ACTIVE, **{c: f"&#{ord(c)};" for c in "\\`*_{}[]#!|~^:"}})
_ATTRIBUTE = str.maketrans(_HTML_ACTIVE)


def text(value: object) -> Markup:
    """A field's value as page text: one line, HTML-escaped, inert as Markdown."""
    return Markup(" ".join(str(value).split()).translate(_INERT))


def href(value: object) -> Markup:
    """A URL for an `href`: spaces, quotes, brackets and non-ASCII percent-encoded."""
    return Markup(quote(str(value), safe="/:@!$&'()*+,;=?#%~").translate(_ATTRIBUTE))


@dataclass(frozen=True)
class Page:
    src_uri: str  # e.g. "thong-bao/index.md"
    url: str  # e.g. "thong-bao/"
    title: str
    markdown: str
    section: str | None = None  # profile section the page belongs to
    description: str = ""


def fmt_date(post: Post) -> str:
    return f'<time datetime="{post.date.isoformat()}">{post.date:%d/%m/%Y}</time>'


def front(title: str, description: str = "", *, hide_toc: bool = False) -> str:
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}"]
    if description:
        lines.append(f"description: {json.dumps(description, ensure_ascii=False)}")
    if hide_toc:
        # Lists and tables have no table of contents: the content takes the width instead.
        lines.append("hide: [toc]")
    return "\n".join(lines + ["---", ""])


def build_pages(site: Site) -> list[Page]:
    """Every page of the site: home, each profile section (paginated), each post."""
    pages = [home_page(site), feeds_page(site)]
    for section in site.profile.sections:
        pages.extend(section_pages(site, section))
    for post in site.posts:
        pages.append(post_page(site, post))
    return pages


def _item(site: Site, post: Post, here: str, *, summary: bool = True) -> str:
    badge = ""
    if post.essential and post.essential.active(site.today):
        badge = (
            f' <span class="cx-badge cx-badge--{post.essential.priority}">'
            f"{text(priority_title(post.essential.priority))}</span>"
        )
    item = (
        f'<li><a href="{href(relative(here, post_url(post)))}">{text(post.title)}</a>{badge}'
        f' <span class="cx-date">{fmt_date(post)}</span>'
    )
    if summary and post.summary:
        # The space keeps the date and the summary apart in the search index's text.
        item += f'<br> <span class="cx-summary">{text(post.summary)}</span>'
    return item + "</li>"


def _list(site: Site, posts: list[Post], here: str, **kw: bool) -> str:
    return (
        '<ul class="cx-list">\n'
        + "\n".join(_item(site, p, here, **kw) for p in posts)
        + "\n</ul>\n"
    )


HOME_NEWS_SECTIONS = 4  # main sections shown with their latest posts on the home page
HOME_DOCUMENTS = 5
FEEDS_URL = "nhan-tin/"
_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_HTML_ATTR = re.compile(r"""\s(src|alt)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


@dataclass(frozen=True)
class PostImage:
    path: str  # the site path of the image file, e.g. "tin-tuc/anh.png"
    alt: str  # its text, as written


def first_image(post: Post, usable: Callable[[str], bool]) -> PostImage | None:
    """The first image of a post's body that the site may publish (`usable`), on the site
    itself: the home page shows it as the post's thumbnail and the bulletin board beside the
    post (generator/site/bulletin.py). Images on other hosts are never taken: a page or a
    screen must not make third-party requests."""
    found = [(m.start(), m[2], m[1]) for m in _MD_IMAGE.finditer(post.body)]
    for tag in _HTML_IMAGE.finditer(post.body):
        attrs = {k.lower(): v for k, v in _HTML_ATTR.findall(tag[0])}
        found.append((tag.start(), attrs.get("src", ""), html.unescape(attrs.get("alt", ""))))
    for _, source, alt in sorted(found, key=lambda item: item[0]):
        target = unquote(source.split("#", 1)[0].split("?", 1)[0])
        if not target or "://" in target or target.startswith(("/", "data:")):
            continue
        path = posixpath.normpath(posixpath.join(post.section, target))
        if not path.startswith("..") and usable(path):
            return PostImage(path, alt)
    return None


def publishable(site: Site, path: str) -> bool:
    """A file at `path` of the site (under the unit's or the province's shared folder) that
    the containment rule lets through (generator/source/containment.py)."""
    for root in (site_content_dir(site), province_shared_dir(site)):
        candidate = root / path
        if os.path.lexists(candidate):
            return refusal(candidate, [root], site.files) is None
    return False


def _news_item(post: Post, here: str, usable: Callable[[str], bool]) -> str:
    image = first_image(post, usable)
    thumb = ""
    if image:
        thumb = (
            f'<img class="cx-thumb" src="{href(relative(here, image.path))}" alt="" '
            'loading="lazy" width="96" height="64"> '
        )
    return (
        f'<li class="cx-news__item">{thumb}<a href="{href(relative(here, post_url(post)))}">'
        f'{text(post.title)}</a> <span class="cx-date">{fmt_date(post)}</span></li>'
    )


def home_page(site: Site) -> Page:
    """A portal's front page: urgent notices, news of the main sections, the newest
    documents, quick links and how to reach the committee."""
    unit = site.unit
    a = unit.agency
    out = [
        front(unit.name, f"Trang thông tin điện tử {a.name}", hide_toc=True),
        f"# {text(a.name)}\n",
        (
            f'<p class="cx-lead">Trang thông tin điện tử của {text(a.name)}, '
            f"{text(unit.province_name)}.</p>\n"
        ),
    ]
    essential = site.active_essential()
    if essential:
        out.append(
            '<section class="cx-essential" aria-labelledby="thiet-yeu">\n'
            '<h2 id="thiet-yeu">Thông tin thiết yếu</h2>\n'
        )
        out.append(_list(site, essential, ""))
        out.append("</section>\n")
    news: list[str] = []
    usable = functools.partial(publishable, site)
    for section in site.profile.sections:
        posts = site.in_section(section) if section.kind == SectionKind.POSTS else []
        if not posts or len(news) >= HOME_NEWS_SECTIONS:
            continue
        more = ""
        if len(posts) > HOME_ITEMS_PER_SECTION:
            more = (
                f'<p class="cx-more"><a href="{href(section.id)}/">Xem tất cả {len(posts)} bài '
                f"{text(section.title.lower())}</a></p>\n"
            )
        news.append(
            f'<section class="cx-card" aria-labelledby="{section.id}">\n'
            f'<h2 id="{section.id}"><a href="{href(section.id)}/">{text(section.title)}</a></h2>\n'
            '<ul class="cx-news">\n'
            + "\n".join(_news_item(p, "", usable) for p in posts[:HOME_ITEMS_PER_SECTION])
            + f"\n</ul>\n{more}</section>\n"
        )
    side = []
    documents = next((s for s in site.profile.sections if s.kind == SectionKind.DOCUMENTS), None)
    if documents is not None and site.in_section(documents):
        items = []
        for post in site.in_section(documents)[:HOME_DOCUMENTS]:
            number = text(post.document.number) if post.document and post.document.number else ""
            label = f'<span class="cx-doc-number">{number}</span> ' if number else ""
            items.append(
                f'<li>{label}<a href="{href(relative("", post_url(post)))}">'
                f'{text(post.title)}</a> <span class="cx-date">{fmt_date(post)}</span></li>'
            )
        side.append(
            f'<section class="cx-card" aria-labelledby="{documents.id}">\n'
            f'<h2 id="{documents.id}"><a href="{href(documents.id)}/">Văn bản mới</a></h2>\n'
            '<ul class="cx-news">\n' + "\n".join(items) + "\n</ul>\n</section>\n"
        )
    if unit.links:
        side.append(
            '<section class="cx-card" aria-labelledby="lien-ket">\n'
            '<h2 id="lien-ket">Liên kết nhanh</h2>\n<ul class="cx-links">\n'
            + "\n".join(
                f'<li><a href="{href(link.url)}">{text(link.title)}</a></li>' for link in unit.links
            )
            + "\n</ul>\n</section>\n"
        )
    contacts = next((s for s in site.profile.sections if s.kind == SectionKind.CONTACTS), None)
    side.append(
        '<section class="cx-card" aria-labelledby="lien-he-nhanh">\n'
        '<h2 id="lien-he-nhanh">Liên hệ</h2>\n<dl class="cx-contact">'
        f" <dt>Địa chỉ</dt> <dd>{text(a.address)}</dd>"
        f" <dt>Điện thoại</dt> <dd>{text(a.phone)}</dd>"
        f' <dt>Thư điện tử</dt> <dd><a href="mailto:{href(a.email)}">{text(a.email)}</a></dd>'
        "</dl>\n"
        + (
            f'<p class="cx-more"><a href="{href(contacts.id)}/">Thông tin liên hệ đầy đủ</a></p>\n'
            if contacts is not None
            else ""
        )
        + "</section>\n"
    )
    out.append(
        '<div class="cx-home">\n<div class="cx-home__main">\n'
        + "".join(news)
        + '</div>\n<div class="cx-home__side">\n'
        + "".join(side)
        + "</div>\n</div>\n"
    )
    return Page("index.md", "", unit.name, "\n".join(out))


def feeds_page(site: Site) -> Page:
    """One page listing every feed ("Nhận tin (RSS)"), linked from every page's footer."""
    title = "Nhận tin (RSS)"
    body = (
        front(title, f"Nhận tin mới của {site.unit.agency.name} bằng RSS/Atom", hide_toc=True)
        + f"# {text(title)}\n\n"
        + feeds_block(site, FEEDS_URL)
    )
    return Page("nhan-tin/index.md", FEEDS_URL, title, body)


def feeds_block(site: Site, here: str) -> str:
    rows = [
        (f.path, f"{f.label[:1].upper()}{f.label[1:]} ({f.format})") for f in feeds(site.profile)
    ]
    items = "\n".join(
        f'<li><a href="{href(relative(here, url))}">{text(label)}</a></li>' for url, label in rows
    )
    return (
        "<p>Nhận tin mới bằng trình đọc tin (RSS/Atom) hoặc hệ thống thông tin nguồn: chép "
        'địa chỉ của một mục dưới đây vào trình đọc tin.</p>\n<ul class="cx-feeds">\n'
        f'{items}\n</ul>\n<p><a href="{href(relative(here, MANIFEST))}">Dữ liệu mô tả '
        "trang (site.json)</a></p>\n"
    )


def section_pages(site: Site, section: Section) -> list[Page]:
    if section.kind == SectionKind.ESSENTIAL:
        return [essential_page(site, section)]
    if section.kind == SectionKind.ENGLISH:
        return [english_page(site, section)]
    posts = site.in_section(section)
    total = max(1, ceil(len(posts) / PAGE_SIZE))
    pages = []
    for number in range(1, total + 1):
        url = section_url(section.id, number)
        chunk = posts[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        title = section.title if number == 1 else f"{section.title} (trang {number})"
        out = [front(title, hide_toc=True), f"# {text(title)}\n"]
        if number == 1 and section.kind == SectionKind.INTRO:
            out.append(intro_block(site))
        if number == 1 and section.kind == SectionKind.CONTACTS:
            out.append(contacts_block(site))
        if section.kind == SectionKind.DOCUMENTS:
            out.append(documents_table(site, chunk, url) if chunk else "")
        elif chunk:
            out.append(_list(site, chunk, url))
        if not posts and section.kind in (SectionKind.POSTS, SectionKind.DOCUMENTS):
            out.append('<p class="cx-empty">Chuyên mục này chưa có bài viết.</p>\n')
        out.append(pager(section.id, number, total, url))
        src = f"{section.id}/index.md" if number == 1 else f"{section.id}/trang-{number}.md"
        pages.append(Page(src, url, title, "\n".join(out), section=section.id))
    return pages


def pager(section_id: str, number: int, total: int, here: str) -> str:
    if total == 1:
        return ""
    links = []
    for n in range(1, total + 1):
        target = relative(here, section_url(section_id, n))
        current = ' aria-current="page"' if n == number else ""
        links.append(f'<li><a href="{href(target)}"{current}>{n}</a></li>')
    return (
        '<nav class="cx-pager" aria-label="Phân trang">\n<ul>\n'
        + "\n".join(links)
        + "\n</ul>\n</nav>\n"
    )


def table(cls: str, headers: list[str], rows: list[list[str]], caption: str = "") -> str:
    """A data table whose cells carry their column's header as `data-label`.

    On a phone congxa.css lays each row out as a block, one labelled line per cell
    ("Số, ký hiệu: 215/QĐ-UBND"), instead of squeezing five columns into 360 px.
    """
    # Cells are joined by a space: the search index takes a page's text without its tags.
    head = " ".join(f'<th scope="col">{text(h)}</th>' for h in headers)
    body = "\n".join(
        "<tr>"
        + " ".join(
            f'<td data-label="{text(h)}">{cell}</td>' for h, cell in zip(headers, row, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{text(caption)}</caption>\n" if caption else ""
    return (
        f'<table class="cx-table {cls}">\n{cap}<thead><tr>{head}</tr></thead>\n<tbody>\n'
        f"{body}\n</tbody>\n</table>\n"
    )


DOCUMENT_COLUMNS = ["Số, ký hiệu", "Loại văn bản", "Ngày ban hành", "Trích yếu", "Tệp"]


def documents_table(site: Site, posts: list[Post], here: str) -> str:
    rows = []
    for post in posts:
        doc = post.document
        number = text(doc.number or "") if doc else ""
        kind = text(doc.type or "") if doc else ""
        issued = f"{doc.issued:%d/%m/%Y}" if doc and doc.issued else f"{post.date:%d/%m/%Y}"
        files = post.files()
        link = ""
        if files:
            target = relative(here, attachment_path(site, files[0]))
            link = f'<a href="{href(target)}">Tải về <span class="cx-sr">{number}</span></a>'
        title = f'<a href="{href(relative(here, post_url(post)))}">{text(post.title)}</a>'
        rows.append([number, kind, issued, title, link])
    return table("cx-documents", DOCUMENT_COLUMNS, rows, "Danh sách văn bản, mới nhất trước")


_PHONE = re.compile(r"\+?[0-9][0-9 .()-]{5,24}")
PEOPLE_COLUMNS = ["Họ và tên", "Chức vụ", "Điện thoại", "Thư điện tử"]


def _person_rows(people: list[tuple[str, str, str | None, str | None]]) -> str:
    rows = []
    for name, title, phone, email in people:
        mail = f'<a href="mailto:{href(email)}">{text(email)}</a>' if email else ""
        tel = str(text(phone or ""))
        if phone and _PHONE.fullmatch(phone):
            # A plain number becomes a link a phone can call.
            tel = f'<a href="tel:{re.sub(r"[^0-9+]", "", phone)}">{tel}</a>'
        rows.append([text(name), text(title), tel, mail])
    return table("cx-people", PEOPLE_COLUMNS, rows)


def intro_block(site: Site) -> str:
    unit = site.unit
    out = [
        unit.introduction.strip() + "\n"
        if unit.introduction
        else f"<p>{text(unit.agency.name)} chưa cập nhật phần giới thiệu.</p>\n"
    ]
    if unit.functions:
        out.append("## Chức năng, nhiệm vụ, quyền hạn\n\n" + unit.functions.strip() + "\n")
    if unit.leaders:
        out.append("## Lãnh đạo\n")
        out.append(_person_rows([(p.name, p.title, p.phone, p.email) for p in unit.leaders]))
    if unit.departments:
        out.append("## Tổ chức bộ máy\n")
        out.append(
            _person_rows([(d.name, d.head or "", d.phone, d.email) for d in unit.departments])
        )
    return "\n".join(out)


def contacts_block(site: Site) -> str:
    a = site.unit.agency
    r = a.responsible
    fax = f"<dt>Fax</dt> <dd>{text(a.fax)}</dd>" if a.fax else ""
    out = [
        (
            f'<h2 id="co-quan">{text(a.name)}</h2>\n<dl class="cx-contact">'
            f" <dt>Địa chỉ</dt> <dd>{text(a.address)}</dd>"
            f" <dt>Điện thoại</dt> <dd>{text(a.phone)}</dd> {fax}"
            f' <dt>Thư điện tử</dt> <dd><a href="mailto:{href(a.email)}">{text(a.email)}'
            "</a></dd></dl>\n"
        ),
        '<h2 id="chiu-trach-nhiem">Người chịu trách nhiệm nội dung</h2>\n',
        _person_rows([(r.name, r.title, r.phone, r.email)]),
    ]
    if site.unit.leaders:
        out.append('<h2 id="lanh-dao">Lãnh đạo</h2>\n')
        out.append(_person_rows([(p.name, p.title, p.phone, p.email) for p in site.unit.leaders]))
    if site.unit.links:
        out.append(
            '<h2 id="lien-ket">Liên kết</h2>\n<ul>\n'
            + "\n".join(
                f'<li><a href="{href(link.url)}">{text(link.title)}</a></li>'
                for link in site.unit.links
            )
            + "\n</ul>\n"
        )
    return "\n".join(out)


ESSENTIAL_COLUMNS = ["Mức độ", "Tiêu đề", "Nhóm thông tin", "Ngày đăng"]


def essential_page(site: Site, section: Section) -> Page:
    url = section_url(section.id)
    items = site.active_essential()
    out = [
        front(section.title, hide_toc=True),
        f"# {text(section.title)}\n",
        (
            "<p>Thông tin thiết yếu đang có hiệu lực (Nghị định 49/2024/NĐ-CP), khẩn cấp "
            "trước.</p>\n"
        ),
    ]
    if items:
        rows = []
        for post in items:
            assert post.essential is not None
            rows.append(
                [
                    (
                        f'<span class="cx-badge cx-badge--{post.essential.priority}">'
                        f"{text(priority_title(post.essential.priority))}</span>"
                    ),
                    f'<a href="{href(relative(url, post_url(post)))}">{text(post.title)}</a>',
                    str(text(categories().get(post.essential.category, ""))),
                    fmt_date(post),
                ]
            )
        out.append(table("cx-essential-table", ESSENTIAL_COLUMNS, rows))
    else:
        out.append('<p class="cx-empty">Hiện không có thông tin thiết yếu.</p>\n')
    return Page(f"{section.id}/index.md", url, section.title, "\n".join(out), section=section.id)


def english_page(site: Site, section: Section) -> Page:
    unit = site.unit
    a = unit.agency
    url = section_url(section.id)
    intro = unit.introduction_en.strip() or (
        f"<p>This is the e-information page of the People's Committee of {text(unit.name)}, "
        f"{text(unit.province_name)}, Viet Nam.</p>"
    )
    sections = "\n".join(
        f'<li><a href="{href(relative(url, section_url(s.id)))}" lang="vi">{text(s.title)}</a>'
        f" ({text(s.title_en)})</li>"
        for s in site.profile.sections
        if s.id != section.id
    )
    body = (
        f'<div lang="en" markdown="1">\n\n# {text(unit.name)}: English information\n\n'
        f"{intro}\n\n## Contacts\n\n"
        f'<dl class="cx-contact"><dt>Agency</dt> <dd lang="vi">{text(a.name)}</dd>'
        f' <dt>Address</dt> <dd lang="vi">{text(a.address)}</dd>'
        f" <dt>Phone</dt> <dd>{text(a.phone)}</dd>"
        f' <dt>Email</dt> <dd><a href="mailto:{href(a.email)}">{text(a.email)}</a></dd>'
        f' <dt>Official responsible</dt> <dd lang="vi">{text(a.responsible.name)}, '
        f"{text(a.responsible.title)}</dd></dl>\n\n## Sections of this site\n\n"
        f"<ul>\n{sections}\n</ul>\n\n</div>\n"
    )
    return Page(
        f"{section.id}/index.md", url, "English", front("English") + body, section=section.id
    )


def post_page(site: Site, post: Post) -> Page:
    section = site.profile.section(post.section)
    assert section is not None
    url = post_url(post)
    out = [
        front(post.title, post.summary),
        f"# {text(post.title)}\n",
        f'<p class="cx-meta">Ngày đăng {fmt_date(post)} · Chuyên mục '
        f'<a href="{href(relative(url, section_url(section.id)))}">{text(section.title)}</a>'
        + (" · Tin chung của tỉnh" if post.province_wide else "")
        + "</p>\n",
    ]
    if post.essential:
        e = post.essential
        state = "đang có hiệu lực" if e.active(site.today) else "đã hết hiệu lực"
        until = f" đến {e.expires:%d/%m/%Y}" if e.expires else ""
        out.append(
            f'<div class="cx-notice cx-notice--{e.priority}" role="note"><p>'
            f"<strong>Thông tin thiết yếu · {text(priority_title(e.priority))}</strong>"
            f" ({text(categories().get(e.category, e.category))}), {state}{until}."
            "</p></div>\n"
        )
    if post.document:
        out.append(document_block(site, post, url))
    if post.summary:
        out.append(f'<p class="cx-summary"><strong>{text(post.summary)}</strong></p>\n')
    out.append(post.body.strip() + "\n")
    if post.attachments:
        out.append(
            '<h2 id="tep-dinh-kem">Tệp đính kèm</h2>\n<ul class="cx-files">\n'
            + "\n".join(
                f'<li><a href="{href(relative(url, attachment_path(site, a)))}">{text(a.title)}</a> '
                f"({a.path.suffix.lstrip('.').upper()}, {max(1, round(a.size / 1024))} KB)</li>"
                for a in post.attachments
            )
            + "\n</ul>\n"
        )
    return Page(
        f"{post.section}/{post.slug}.md",
        url,
        post.title,
        "\n".join(out),
        section=post.section,
        description=post.summary,
    )


def document_block(site: Site, post: Post, url: str) -> str:
    doc = post.document
    assert doc is not None
    rows = [
        ("Số, ký hiệu", doc.number),
        ("Loại văn bản", doc.type),
        ("Cơ quan ban hành", doc.issuer),
        ("Người ký", doc.signer),
        ("Ngày ban hành", f"{doc.issued:%d/%m/%Y}" if doc.issued else None),
        ("Ngày có hiệu lực", f"{doc.effective:%d/%m/%Y}" if doc.effective else None),
        ("Trích yếu", post.title),
    ]
    # Spaces between the cells keep words apart in the search index's plain text.
    cells = " ".join(f"<dt>{k}</dt> <dd>{text(v)}</dd>" for k, v in rows if v)
    if doc.file:
        link_to = relative(url, attachment_path(site, doc.file))
        cells += (
            f' <dt>Tệp văn bản</dt> <dd><a href="{href(link_to)}">{text(doc.file.name)}</a> '
            f"({max(1, round(doc.file.size / 1024))} KB)</dd>"
        )
    return f'<dl class="cx-document">{cells}</dl>\n'
