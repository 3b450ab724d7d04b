"""Shared fixtures: the bundled demo built once per session, and tiny projects on disk."""

from __future__ import annotations

import dataclasses
import os
import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from generator.publish.bulk import build_many
from generator.source import profile as profile_module
from generator.source.profile import Section
from generator.source.project import Project

REPO = Path(__file__).resolve().parents[1]
# Set to run the suites with one more section in the default profile (tests/test_profile_data.py
# does): expectations must come from the profile, never from a list or count in a test.
EXTRA_SECTION_ENV = "CONGXA_TEST_EXTRA_SECTION"
EXTRA_SECTION = Section(
    "thong-tin-bao-chi", "Thông tin báo chí", "Press information", "posts", required=True
)


def _extend_default_profile() -> None:
    """Insert EXTRA_SECTION in the default profile, before any test module reads it."""
    base = profile_module.load_profile()
    if EXTRA_SECTION.id in {s.id for s in base.sections}:
        return  # this file is imported twice: as pytest's conftest and as `conftest`
    at = len(base.sections) // 2  # in the middle: order matters as much as count
    extended = dataclasses.replace(
        base, sections=(*base.sections[:at], EXTRA_SECTION, *base.sections[at:])
    )
    profile_module._default_profile = lambda: extended  # type: ignore[assignment]


if os.environ.get(EXTRA_SECTION_ENV):
    _extend_default_profile()


# The demo's dates are written around this day; every test builds "as of" it.
TODAY = date(2026, 11, 29)

UNIT_YML = """\
code: "00070"
site_url: https://phuonghoankiem.example.gov.vn/
agency:
  address: 126 Hàng Trống, Hoàn Kiếm, Hà Nội
  phone: "024 3825 0000"
  email: ubnd@example.gov.vn
  responsible:
    name: Nguyễn Văn An
    title: Phó Chủ tịch UBND phường
"""


@pytest.fixture(scope="session")
def demo_public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo province, built once into a temporary public/ folder."""
    out = tmp_path_factory.mktemp("demo") / "public"
    project = Project.discover(REPO, TODAY)
    summary = build_many(project, project.unit_files(), out, jobs=2)
    assert not summary.failed, [p.format() for r in summary.failed for p in r.problems]
    return out


@pytest.fixture
def mini(tmp_path: Path) -> Callable[..., Project]:
    """Write a one-unit project: mini(unit_yml=..., posts={"thong-bao/a.md": "..."})."""

    def make(
        unit_yml: str = UNIT_YML,
        posts: dict[str, str | bytes] | None = None,
        province: str = "ha_noi",
        unit: str = "phuong_hoan_kiem",
    ) -> Project:
        unit_file = tmp_path / "communes" / province / f"{unit}.yml"
        unit_file.parent.mkdir(parents=True, exist_ok=True)
        unit_file.write_text(unit_yml, encoding="utf-8")
        for rel, text in (posts or {}).items():
            target = (
                tmp_path
                / "content"
                / province
                / (rel if rel.startswith("_province") else f"{unit}/{rel}")
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                target.write_bytes(text)
            else:
                target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return Project.discover(tmp_path, TODAY)

    return make


def post(
    title: str = "Thông báo lịch họp",
    day: str = "2026-11-20",
    extra: str = "",
    body: str = "Nội dung bài viết.",
) -> str:
    """A post's text with front matter."""
    return f"---\ntitle: {title}\ndate: {day}\n{extra}---\n{body}\n"


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run's last line, when tests were skipped for a missing tool: what, and the fix."""
    from tests.tools import SKIPPED

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if SKIPPED and reporter is not None:
        what = "; ".join(SKIPPED)
        fix = " && ".join(dict.fromkeys(SKIPPED.values()))
        reporter.write_line(
            f"BỎ QUA KIỂM THỬ (tests skipped) vì thiếu: {what}. Cài bằng: {fix}",
            red=True,
            bold=True,
        )
