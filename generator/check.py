"""`congxa check`: validate commune files and content without building."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import CongxaError, Problem
from .project import Project


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


def check(project: Project, paths: list[Path] | None = None) -> CheckReport:
    """Every problem of every unit named by `paths` (all units when none)."""
    report = CheckReport()
    for unit_file in project.unit_files(paths):
        report.units += 1
        try:
            site = project.load_site(unit_file)
        except CongxaError as exc:
            report.problems.extend(exc.problems)
            continue
        report.problems.extend(_warnings(site))
    return report


def _warnings(site: object) -> list[Problem]:
    from .model import Site

    assert isinstance(site, Site)
    found = []
    for section in site.profile.sections:
        if section.required and section.kind in ("posts", "documents") \
                and not site.in_section(section):
            found.append(Problem(f"Chuyên mục bắt buộc `{section.id}` ({section.title}) chưa có "
                                 "bài nào (empty required section).", file=site.unit.source,
                                 severity="warning", rule="empty-section", field=section.id,
                                 hint=f"đăng ít nhất một bài vào content/"
                                 f"{site.unit.province_slug}/{site.unit.slug}/{section.id}/."))
    return found
