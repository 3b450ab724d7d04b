"""What one unit publishes: its pages, the files they use, the logo, feeds, site.json and
the sitemap. One definition for every reader: the MkDocs plugin (`congxa build`, `congxa
serve`), `--emit-mkdocs` projects, the link check of `congxa check` and the URL helpers.

A file of the unit's content folder (or of the province's `_province/` folder) is
published only when a published page uses it: an attachment or a document's file, a link
or an image in a post's body or in the unit's introduction, or the logo. Drafts' files and
files no page uses stay on the clerk's machine. And only when the containment rule of
generator/source/containment.py accepts it: a referenced file it refuses, and any link in
the content folders or the province's theme that leads outside them, is an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from generator.errors import Problem, Severity
from generator.site.bulletin import bulletin_paths
from generator.site.pages import Page, build_pages
from generator.site.refs import Ref, is_local, refs, refs_in, site_paths
from generator.site.urls import (
    FEEDS_SITEMAP,
    INBOX_FOLDER,
    MANIFEST,
    SITEMAP,
    SITEMAP_GZ,
    attachment_path,
    feeds,
    logo_path,
    province_shared_dir,
    shared_file_path,
    site_content_dir,
)
from generator.source.containment import Refusal, folder_refusal, real, refusal, walk
from generator.source.model import Site


@dataclass(frozen=True)
class Candidate:
    """A file of the unit's or the province's shared folder, at the path it would have."""

    uri: str  # "files/qd-215.pdf", "tinh/files/x.pdf"
    path: Path  # as written under the content folder (links not followed)
    shared: bool  # from the province's shared folder
    refused: Refusal | None  # why it may not be published; None when it may


@dataclass(frozen=True)
class Published:
    """Everything one unit's site consists of, by site path."""

    pages: tuple[Page, ...]
    files: Mapping[str, Path]  # published path → real path of the file to copy
    generated: tuple[str, ...]  # written by congxa beside the pages: feeds, site.json, sitemap
    candidates: Mapping[str, Candidate] = field(default_factory=dict)
    # Errors: refused files a page uses; links in the content folders or the province's
    # theme that lead outside them, or names there that are not regular files.
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    def unreferenced(self) -> list[Candidate]:
        """Files of the unit's own folder that no published page uses (so unpublished);
        the logo counts as used although it is published under assets/."""
        used = set(self.files.values())
        return [
            c
            for c in self.candidates.values()
            if not c.shared
            and c.uri not in self.files
            and real(c.path) not in used
            and (c.refused is None or c.refused.kind in ("type", "size"))
        ]

    def page(self, site_path: str) -> Page | None:
        """The page a site path names: its source (`van-ban/qd.md`) or its address."""
        found = self._by_source.get(site_path)
        if found is None:
            found = self._by_url.get(site_path.removesuffix("index.html").rstrip("/"))
        return found

    @cached_property
    def _by_source(self) -> dict[str, Page]:
        return {page.src_uri: page for page in self.pages}

    @cached_property
    def _by_url(self) -> dict[str, Page]:
        return {page.url.rstrip("/"): page for page in self.pages}

    def target(self, source: str, url: str, link: str) -> str | None:
        """The site path a local link of page `source` leads to, or None when it leads
        nowhere (the page itself counts as somewhere: `""`)."""
        paths = site_paths(source, url, link)
        if paths is None:
            return ""
        for path in paths:
            if self.page(path) is not None:
                return path
            bare = path.rstrip("/")
            if bare in self.candidates or bare in self.files or bare in self.generated:
                return bare
        return None


def published(site: Site) -> Published:
    """What `site` publishes, and the problems that stop it being published."""
    pages = tuple(build_pages(site))
    candidates, strays, problems = _candidates(site)
    files: dict[str, Path] = {}
    for post in site.posts:
        for attachment in post.files():  # accepted by the containment rule when loaded
            files.setdefault(attachment_path(site, attachment), real(attachment.path))
    shell = Published(pages, {}, (), candidates)
    for source, url, file, ref in _markdown_refs(site, pages):
        if not is_local(ref.target):
            continue
        for path in site_paths(source, url, ref.target) or []:
            if shell.page(path) is not None:
                break
            candidate = candidates.get(path.rstrip("/"))
            if candidate is None:
                continue
            if candidate.refused is None:
                files.setdefault(candidate.uri, real(candidate.path))
            else:  # reported where it is used, with the line
                problems.append(_used(candidate.refused, file, ref))
                strays.pop(candidate.uri, None)
            break
    problems.extend(strays.values())
    logo = logo_path(site.unit)
    if logo is not None and site.unit.logo is not None:
        files[logo] = real(site.unit.logo)
    generated = (
        *(feed.path for feed in feeds(site.profile)),
        MANIFEST,
        SITEMAP,
        SITEMAP_GZ,
        FEEDS_SITEMAP,
        *bulletin_paths(site),
    )
    return Published(
        pages, dict(sorted(files.items())), generated, candidates, tuple(dict.fromkeys(problems))
    )


def _candidates(
    site: Site,
) -> tuple[dict[str, Candidate], dict[str, Problem], list[Problem]]:
    """Every file of the unit's and the province's shared folder, by the path it would be
    published at (a unit's own file wins over a shared one of the same path); an error for
    each name there that leads outside its folder or is not a regular file, by that path;
    and an error for each link of the province's theme that leads outside it."""
    found: dict[str, Candidate] = {}
    strays: dict[str, Problem] = {}
    problems: list[Problem] = []
    unit_dir, shared_dir = site_content_dir(site), province_shared_dir(site)
    for root, shared in ((unit_dir, False), (shared_dir, True)):
        if folder_refusal(root, unit_dir.parent.parent) is not None:
            continue  # reported by the loader (generator/source/posts.py)
        for entry in walk(root):
            if entry.rel.endswith(".md"):
                continue  # posts: read (or refused) by the loader, never published as files
            if entry.rel.split("/")[0] == INBOX_FOLDER:
                continue  # documents waiting for `congxa serve` to import them, never published
            refused = refusal(entry.path, [root], site.files)
            uri = shared_file_path(site, Path(entry.rel)) if shared else entry.rel
            found.setdefault(uri, Candidate(uri, entry.path, shared, refused))
            if refused is not None and refused.kind in ("outside", "special"):
                strays[uri] = Problem(refused.message, file=entry.path, hint=refused.hint)
    for theme in site.files.theme_dirs:
        for entry in walk(theme):
            if entry.escapes:
                problems.append(
                    Problem(
                        f"Tệp giao diện {entry.rel} trỏ ra ngoài thư mục giao diện (theme file "
                        f"outside the theme folder): đường dẫn thật là {real(entry.path)}.",
                        file=entry.path,
                        hint="thay liên kết tượng trưng (symlink) bằng tệp thật trong thư mục "
                        "giao diện của tỉnh.",
                    )
                )
    return found, strays, problems


def _markdown_refs(site: Site, pages: tuple[Page, ...]) -> Iterator[tuple[str, str, Path, Ref]]:
    """(page source, page address, file, link) for every link people wrote in Markdown that
    a published page shows: posts' bodies and the unit's introduction texts."""
    for post in site.posts:
        source = f"{post.section}/{post.slug}.md"
        for ref in refs(post):
            yield source, post.url_path, post.source, ref
    unit = site.unit
    for section in site.profile.sections:
        texts = {"intro": (unit.introduction, unit.functions), "english": (unit.introduction_en,)}
        for text in texts.get(section.kind, ()):
            for ref in refs_in(text):
                line = _line_in(unit.source, ref.target)
                yield (
                    f"{section.id}/index.md",
                    f"{section.id}/",
                    unit.source,
                    Ref(line, ref.target, ref.image, ref.alt),
                )


def _line_in(path: Path, text: str) -> int:
    """The first line of `path` that contains `text` (1 when none does)."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return 1
    return next((n for n, line in enumerate(lines, start=1) if text in line), 1)


def _used(refused: Refusal, file: Path, ref: Ref) -> Problem:
    kind = "Ảnh" if ref.image else "Liên kết"
    return Problem(
        f"{kind} {ref.target!r}: {refused.message}",
        file=file,
        line=ref.line,
        hint=refused.hint,
    )
