"""`congxa new`: the file lands in the right folder, loads, and never overwrites."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import post

from generator.clerk.check import check
from generator.clerk.new import new_post
from generator.cli import main
from generator.source.placeholders import POST_BODY
from generator.source.posts import load_post
from generator.source.project import Project

Mini = Callable[..., Project]
UNIT = "communes/ha_noi/phuong_hoan_kiem.yml"
FOLDER = "content/ha_noi/phuong_hoan_kiem"


def run(project: Project, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["new", *args, "--root", str(project.root)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(mini: Mini, monkeypatch: pytest.MonkeyPatch) -> Project:
    made = mini()
    monkeypatch.chdir(made.root)
    return made


def test_prints_the_path_of_a_post_that_loads(project: Project) -> None:
    code, out, _ = run(project, UNIT, "thong-bao", "Thông báo lịch tiếp công dân tháng 12")
    assert code == 0
    assert out == f"{FOLDER}/thong-bao/thong-bao-lich-tiep-cong-dan-thang-12.md\n"
    path = project.root / out.strip()
    loaded = load_post(path, project.root / FOLDER, project.profile)
    assert loaded is not None and loaded.title == "Thông báo lịch tiếp công dân tháng 12"
    assert loaded.date.utcoffset() is not None and loaded.date.utcoffset().total_seconds() == 25200
    text = path.read_text(encoding="utf-8")
    assert "# essential:" in text and "# attachments:" in text and "document:" not in text


def test_documents_get_the_register_fields(project: Project) -> None:
    code, out, _ = run(project, UNIT, "van-ban", "Quyết định số 12/QĐ-UBND về quy chế")
    assert code == 0 and out.strip().endswith("van-ban/quyet-dinh-so-12-qd-ubnd-ve-quy-che.md")
    text = (project.root / out.strip()).read_text(encoding="utf-8")
    for key in ("number", "type", "issuer", "signer", "issued", "effective", "file"):
        assert f"\n  {key}: " in text
    # Once written, the empty register is valid; `check` then asks for the number and date.
    path = project.root / out.strip()
    path.write_text(text.replace(POST_BODY, "Nội dung quyết định."), encoding="utf-8")
    report = check(project)
    assert not report.errors
    assert [p.rule for p in report.warnings if p.file and p.file.parent.name == "van-ban"] == [
        "document-incomplete"
    ]


def test_never_overwrites(project: Project) -> None:
    first = run(project, UNIT, "tin-tuc", "Ra mắt tuyến phố văn minh")[1].strip()
    (project.root / first).write_text(post("Bài đã viết"), encoding="utf-8")
    second = run(project, UNIT, "tin-tuc", "Ra mắt tuyến phố văn minh")[1].strip()
    third = run(project, UNIT, "tin-tuc", "Ra mắt tuyến phố văn minh")[1].strip()
    assert second.endswith("ra-mat-tuyen-pho-van-minh-2.md")
    assert third.endswith("ra-mat-tuyen-pho-van-minh-3.md")
    assert "Bài đã viết" in (project.root / first).read_text(encoding="utf-8")


def test_avoids_the_slug_of_a_province_wide_post(mini: Mini, tmp_path: Path) -> None:
    made = mini(posts={"_province/thong-bao/lich-cat-dien.md": post("Lịch cắt điện")})
    path = new_post(made, made.root / UNIT, "thong-bao", "Lịch cắt điện")
    assert path.name == "lich-cat-dien-2.md"
    problems = check(made).errors  # no duplicate-slug error; only the sample body to write
    assert [p.rule for p in problems] == ["placeholder"] and problems[0].file == path


def test_section_by_its_title_and_vietnam_date(mini: Mini) -> None:
    made = mini()
    evening_utc = datetime(2026, 11, 29, 20, 30, tzinfo=UTC)
    path = new_post(made, made.root / UNIT, "Thông báo", "Họp tổ dân phố", now=evening_utc)
    assert path.parent.name == "thong-bao"
    assert "\ndate: 2026-11-30 03:30\n" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("section", ["thong-baoo", "thong-tin-thiet-yeu", "en"])
def test_wrong_section_lists_the_valid_ones(project: Project, section: str) -> None:
    code, out, err = run(project, UNIT, section, "Tiêu đề")
    assert code == 2 and out == ""
    assert f"Không có chuyên mục '{section}' (unknown section)" in err
    assert "  thong-bao" in err and "  van-ban" in err and "thong-tin-thiet-yeu " not in err
    assert "Traceback" not in err


def test_wrong_usage_exits_2(project: Project) -> None:
    assert run(project, UNIT, "thong-bao", "!!!")[0] == 2
    code, _, err = run(project, "communes/ha_noi/khong_co.yml", "thong-bao", "Tiêu đề")
    assert code == 2 and "unit file not found" in err


def test_long_titles_make_short_addresses(mini: Mini) -> None:
    made = mini()
    path = new_post(made, made.root / UNIT, "tin-tuc", "Hội nghị " * 30)
    assert len(path.stem) <= 80 and not path.stem.endswith("-")
