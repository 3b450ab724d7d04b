"""`congxa check`: validate commune files and content without building, then apply the
content rules (rules.py) to whatever loaded, so a clerk sees every problem at once."""

from __future__ import annotations

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
from generator.errors import CongxaError, Problem
from generator.site.links import SiteMap
from generator.source.commune import load_unit_with_warnings
from generator.source.model import Site
from generator.source.posts import load_posts
from generator.source.project import Project

__all__ = ["CheckOptions", "CheckReport", "check", "summary"]


@dataclass
class CheckReport:
    units: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def failed(self, strict: bool = False) -> bool:
        """Errors fail a check; with `strict` (for CI), warnings do too."""
        return bool(self.errors or (strict and self.warnings))


def check(
    project: Project, paths: list[Path] | None = None, options: CheckOptions | None = None
) -> CheckReport:
    """Every problem of every unit named by `paths` (all units when none)."""
    options = options or CheckOptions()
    report = CheckReport()
    for unit_file in project.unit_files(paths):
        report.units += 1
        report.problems.extend(_check_unit(project, unit_file, options))
    # The province's shared posts belong to every unit: report each finding once.
    report.problems = list(dict.fromkeys(report.problems))
    return report


def _check_unit(project: Project, unit_file: Path, options: CheckOptions) -> list[Problem]:
    files = project.files
    try:
        unit, unit_warnings = load_unit_with_warnings(unit_file, project.registry, files)
    except CongxaError as exc:
        return exc.problems
    found: list[Problem] = [*unit_warnings, *legacy_rule(unit_file)]
    unit_dir, province_dir = project.content_for(unit_file)
    posts, problems = load_posts(unit_dir, province_dir, project.profile, files)
    found.extend(problems)
    assert project.today is not None
    site = Site(
        unit=unit, profile=project.profile, posts=tuple(posts), today=project.today, files=files
    )
    sitemap = SiteMap.of(site)
    found.extend(sitemap.site.problems)  # files the site needs but may not publish
    if not any(p.severity == "error" for p in problems):
        # A post that failed to load would make its section look empty or stale, and
        # the files only it uses look unused.
        found.extend(section_rules(site, options))
        found.extend(file_rules(sitemap))
    for post in site.posts:
        found.extend(post_rules(site, post, sitemap, options))
    return found


def summary(report: CheckReport) -> list[str]:
    """A plain Vietnamese summary for people: what was found, grouped by kind."""
    totals = (
        f"Đã kiểm tra {report.units} đơn vị: {len(report.errors)} lỗi, "
        f"{len(report.warnings)} cảnh báo. (checked {report.units} units: "
        f"{len(report.errors)} errors, {len(report.warnings)} warnings)"
    )
    lines = [totals]
    counts = Counter(p.rule for p in report.problems)
    for rule, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        name = RULES[rule].name if rule in RULES else "lỗi tệp (invalid file)"
        lines.append(f"  - {count} {name}")
    if report.errors:
        lines.append("Đơn vị có lỗi sẽ không được dựng; sửa các dòng `lỗi` ở trên trước.")
    elif report.warnings:
        lines.append(
            "Trang vẫn dựng được; nên sửa các cảnh báo để trang đầy đủ, dễ đọc. "
            "Xem hướng dẫn: docs/huong-dan/noi-dung/kiem-tra.md"
        )
    else:
        lines.append("Mọi thứ đều ổn (all good).")
    return lines
