"""`congxa check`: validate commune files and content without building, then apply the
content rules (rules.py) to whatever loaded, so a clerk sees every problem at once.

A check has a scope: the whole project, a province, a unit (its commune file or its content
folder), a section folder or a single post. Whatever the scope, posts are checked in the
context of their unit (links, attachments and duplicates are resolved against the whole
unit), and only the findings about files inside the scope are reported.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from generator.clerk.rules import (
    RULES,
    CheckOptions,
    file_rules,
    legacy_rule,
    post_rules,
    section_rules,
)
from generator.errors import ConfigError, CongxaError, Problem, Severity
from generator.site.links import SiteMap
from generator.source.commune import is_unfinished, load_unit_with_warnings, unfinished_line
from generator.source.files import parse_yaml, read_text
from generator.source.model import Site
from generator.source.posts import PROVINCE_FOLDER, load_posts, split_front_matter
from generator.source.project import Project

__all__ = ["CheckOptions", "CheckReport", "Scope", "check", "scopes", "summary"]

# Names of the findings that are not content rules (validation of the files themselves).
KINDS = {
    (Severity.ERROR, "invalid"): "lỗi tệp (invalid file)",
    (Severity.WARNING, "invalid"): "cảnh báo về tệp (file warning)",
    (Severity.ERROR, "unknown-field"): "trường lạ phải sửa (unknown field)",
    (Severity.WARNING, "unknown-field"): "trường lạ (unknown field)",
    (Severity.ERROR, "placeholder"): "bài còn nội dung mẫu (placeholder text)",
    (Severity.WARNING, "placeholder"): "đoạn còn nội dung mẫu (placeholder text)",
}


@dataclass(frozen=True)
class Scope:
    """What one check covers: a unit, optionally narrowed to the posts under `only`."""

    unit_file: Path
    only: Path | None = None  # a post file or a folder of posts; None: the whole unit
    named: bool = False  # named by the user: checked even when not filled in yet

    def covers(self, path: Path | None) -> bool:
        if self.only is None:
            return True
        return path is not None and path.resolve().is_relative_to(self.only)


@dataclass
class CheckReport:
    units: int = 0
    posts: int = 0
    problems: list[Problem] = field(default_factory=list)
    what: str = ""  # "1 bài của Phường Hoàn Kiếm": what was checked, for the summary
    drafts: int = 0  # posts checked that are drafts (`draft: true`): never published
    unfinished: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.WARNING]

    def by_file(self) -> dict[str, dict[str, int]]:
        """Errors and warnings counted by file (the project-wide findings under "")."""
        counts: dict[str, dict[str, int]] = {}
        for p in self.problems:
            entry = counts.setdefault(str(p.file) if p.file else "", {"errors": 0, "warnings": 0})
            entry["errors" if p.severity == Severity.ERROR else "warnings"] += 1
        return counts

    def failed(self, strict: bool = False) -> bool:
        """Errors fail a check; with `strict` (for CI), warnings do too."""
        return bool(self.errors or (strict and self.warnings))

    def as_dict(self) -> dict[str, object]:
        return {
            "checked": self.what,
            "units": self.units,
            "posts": self.posts,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "files": len(self.by_file()),
            "by_file": self.by_file(),
            "unfinished": [str(p) for p in self.unfinished],
            "problems": [p.as_dict() for p in self.problems],
            "summary": summary(self),
        }


def check(
    project: Project, paths: list[Path] | None = None, options: CheckOptions | None = None
) -> CheckReport:
    """Every problem within the scope named by `paths` (the whole project when none)."""
    options = options or CheckOptions()
    report = CheckReport()
    found = scopes(project, paths)
    names: list[str] = []
    posts: set[Path] = set()
    for scope in found:
        if not scope.named and is_unfinished(scope.unit_file):
            report.unfinished.append(scope.unit_file)
            continue
        report.units += 1
        problems, name, checked = _check_scope(project, scope, options)
        report.problems.extend(problems)
        names.append(name)
        posts |= checked
    # The province's shared posts belong to every unit: report each finding once.
    # Read each file top to bottom (files in path order; project-wide findings first).
    report.problems = sorted(
        dict.fromkeys(report.problems), key=lambda p: (str(p.file or ""), p.line or 0)
    )
    report.posts = len(posts)
    report.drafts = sum(1 for path in posts if _is_draft(path))
    report.what = _describe(project, found, names, report)
    return report


def _is_draft(path: Path) -> bool:
    """A post whose front matter says `draft: true` (a post that cannot be read is not:
    its problems are reported on their own). Only a regular file, not a link, is read: the
    loader refuses the others with their reason (generator/source/posts.py)."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        front, _body, _line = split_front_matter(read_text(path), path)
        data = parse_yaml(front, path, first_line=2) if front.strip() else {}
    except CongxaError:
        return False
    return isinstance(data, dict) and data.get("draft") is True


def scopes(project: Project, paths: list[Path] | None) -> list[Scope]:
    """The units (and the posts within them) named by `paths`."""
    if not paths:
        return [Scope(f) for f in project.unit_files(None)]
    found: dict[tuple[Path, Path | None], Scope] = {}
    for raw in paths:
        for scope in _scopes_of(project, raw):
            key = (scope.unit_file, scope.only)
            if key not in found or scope.named:
                found[key] = scope
    return sorted(found.values(), key=lambda s: (str(s.unit_file), str(s.only or "")))


def _scopes_of(project: Project, raw: Path) -> list[Scope]:
    path = (raw if raw.is_absolute() else Path.cwd() / raw).resolve()
    if not path.exists():
        raise ConfigError(
            Problem(
                f"Không tìm thấy {raw} (path not found).",
                hint="kiểm tra đường dẫn tới tệp bài viết, thư mục hoặc tệp đơn vị.",
            )
        )
    content = project.content_dir.resolve()
    if not path.is_relative_to(content):
        named = path.is_file()
        return [Scope(f, named=named) for f in project.unit_files([path])]
    parts = path.relative_to(content).parts
    if not parts:
        return [Scope(f) for f in project.unit_files(None)]
    province_units = project.communes_dir / parts[0]
    if len(parts) == 1 or parts[1] == PROVINCE_FOLDER:
        if not province_units.is_dir():
            raise _no_unit_file(path, province_units)
        only = path if len(parts) > 1 else None
        return [Scope(f, only) for f in project.unit_files([province_units])]
    unit_file = province_units / f"{parts[1]}.yml"
    if not unit_file.is_file():
        raise _no_unit_file(path, unit_file)
    only = path if len(parts) > 2 and (path.is_dir() or path.suffix == ".md") else None
    return [Scope(unit_file.resolve(), only, named=True)]


def _no_unit_file(path: Path, expected: Path) -> ConfigError:
    return ConfigError(
        Problem(
            f"{path} không thuộc đơn vị nào: không có {expected} (no commune file for this "
            "content folder).",
            file=path,
            hint="thư mục bài viết content/<tỉnh>/<đơn-vị>/ đi cùng tệp đơn vị "
            "communes/<tỉnh>/<đơn-vị>.yml; kiểm tra tên thư mục, hoặc chạy `congxa init`.",
        )
    )


def _check_scope(
    project: Project, scope: Scope, options: CheckOptions
) -> tuple[list[Problem], str, set[Path]]:
    """(findings, the unit's name, the post files checked)."""
    unit_dir, province_dir = project.content_for(scope.unit_file)
    checked = {
        p.resolve()
        for root in (unit_dir, province_dir / PROVINCE_FOLDER)
        if root.is_dir()
        for p in root.rglob("*.md")
        if scope.covers(p)
    }
    files = project.files
    found: list[Problem] = []
    unit = None
    try:
        unit, unit_warnings = load_unit_with_warnings(scope.unit_file, project.registry, files)
    except CongxaError as exc:
        found.extend(exc.problems)  # the unit cannot build: that concerns every post too
    else:
        if scope.only is None:
            found.extend([*unit_warnings, *legacy_rule(scope.unit_file)])
    posts, problems = load_posts(unit_dir, province_dir, project.profile, files)
    found.extend(_promote(p) for p in problems if scope.covers(p.file))
    if unit is None:
        return found, scope.unit_file.stem, checked
    assert project.today is not None
    site = Site(
        unit=unit, profile=project.profile, posts=tuple(posts), today=project.today, files=files
    )
    sitemap = SiteMap.of(site)
    # Files the site needs but may not publish.
    found.extend(p for p in sitemap.site.problems if scope.covers(p.file))
    # A post that failed to load would make its section look empty or stale, and the files
    # only it uses look unused.
    if not any(p.severity == Severity.ERROR for p in problems):
        if scope.only is None:
            found.extend(section_rules(site, options))
            found.extend(file_rules(sitemap))
        elif scope.only.is_dir():  # a section folder: that section's own findings
            found.extend(
                p for p in section_rules(site, options) if scope.covers(unit_dir / (p.field or ""))
            )
            # and the files left in it (a post saved as `.md.txt` is one)
            found.extend(p for p in file_rules(sitemap) if scope.covers(p.file))
    for post in site.posts:
        if scope.covers(post.source):
            found.extend(post_rules(site, post, sitemap, options))
    return found, unit.name, checked


def _promote(problem: Problem) -> Problem:
    """A post still holding `congxa new`'s sample text is not published: an error to fix."""
    if problem.rule == "placeholder" and problem.file is not None and problem.file.suffix == ".md":
        return dataclasses.replace(problem, severity=Severity.ERROR)
    return problem


def _describe(project: Project, found: list[Scope], names: list[str], report: CheckReport) -> str:
    if len(names) == 1 and len(found) == 1 and found[0].only is not None:
        only = found[0].only
        posts = f"{report.posts} bài"
        if report.drafts:
            # A draft passes every check, yet it will not go out: say so.
            posts += (
                " nháp (draft: chưa đăng)"
                if report.drafts == report.posts
                else f" (trong đó {report.drafts} bài nháp chưa đăng)"
            )
        if only.is_dir():
            section = project.profile.section(only.name)
            if section is not None:
                return f"{posts} của chuyên mục {section.title}, {names[0]}"
        return f"{posts} của {names[0]}"
    if len(names) == 1:
        return f"{names[0]} (tệp đơn vị và {report.posts} bài)"
    shared = {scope.only for scope in found}
    if len(shared) == 1 and None not in shared:  # the province's shared posts
        province = project.registry.province(found[0].unit_file.parent.name)
        whose = province.name if province else found[0].unit_file.parent.name
        return f"{report.posts} bài chung của {whose}, trên {len(names)} đơn vị"
    return f"{len(names)} đơn vị ({report.posts} bài)"


def summary(report: CheckReport) -> list[str]:
    """A plain Vietnamese summary for people: what was checked and found, grouped by kind.

    The first line counts every listed finding; the lines below split the same findings
    by kind, so their numbers add up to the first line's."""
    errors, warnings = len(report.errors), len(report.warnings)
    files = len(report.by_file())
    what = report.what or f"{report.units} đơn vị"
    where = f" trong {files} tệp" if report.problems else ""
    lines = [
        f"Đã kiểm tra {what}: {errors} lỗi, {warnings} cảnh báo{where}. "
        f"(checked: {errors} errors, {warnings} warnings"
        + (f" in {files} files)" if report.problems else ")")
    ]
    counts = Counter((p.severity, p.rule) for p in report.problems)
    for (severity, rule), count in sorted(
        counts.items(), key=lambda kv: (kv[0][0] != Severity.ERROR, -kv[1], kv[0][1])
    ):
        label = "lỗi" if severity == Severity.ERROR else "cảnh báo"
        name = RULES[rule].name if rule in RULES else KINDS.get((severity, rule), rule)
        lines.append(f"  - {count} {label}: {name}")
    if report.unfinished:
        lines.append(unfinished_line(len(report.unfinished)))
    if report.errors:
        placeholders = all(p.rule == "placeholder" for p in report.errors)
        lines.append(
            "Bài còn nội dung mẫu sẽ không được đăng; sửa các dòng `lỗi` ở trên trước."
            if placeholders
            else "Đơn vị có lỗi sẽ không được dựng; sửa các dòng `lỗi` ở trên trước."
        )
    elif report.warnings:
        lines.append(
            "Trang vẫn dựng được; nên sửa các cảnh báo để trang đầy đủ, dễ đọc. "
            "Xem hướng dẫn: docs/huong-dan/noi-dung/kiem-tra.md"
        )
    else:
        lines.append("Mọi thứ đều ổn (all good).")
    return lines
