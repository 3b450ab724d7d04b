"""The content rules of `congxa check`: for each, a file that triggers it and one that does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, post

from generator.clerk.check import CheckOptions, check
from generator.clerk.rules import RULES
from generator.cli import main
from generator.errors import Problem
from generator.publish.build import render
from generator.source.project import Project

Mini = Callable[..., Project]
PDF = b"%PDF-1.4\n% congxa test\n"
DOC = (
    "document:\n  number: 215/QĐ-UBND\n  type: Quyết định\n  issued: 2026-10-12\n"
    "  file: ../files/qd.pdf\n"
)


def found(project: Project, rule: str, **options: object) -> list[Problem]:
    report = check(project, options=CheckOptions(**options))  # type: ignore[arg-type]
    assert not report.errors, [p.format() for p in report.errors]
    return [p for p in report.problems if p.rule == rule]


def test_every_rule_is_a_warning_with_a_name() -> None:
    assert set(RULES) == {
        "empty-section",
        "stale-section",
        "essential-no-expiry",
        "essential-expired",
        "image-alt",
        "broken-link",
        "large-attachment",
        "document-incomplete",
        "legacy-encoding",
        "long-title",
        "future-date",
        "unreferenced-file",
    }
    assert all(r.severity == "warning" and "(" in r.name for r in RULES.values())


# -- sections -----------------------------------------------------------------------------


def test_empty_required_section(mini: Mini) -> None:
    problems = found(mini(posts={"thong-bao/a.md": post()}), "empty-section")
    ids = {p.field for p in problems}
    assert "van-ban" in ids and "tin-tuc" in ids
    assert "thong-bao" not in ids  # has a post
    assert "gioi-thieu" not in ids and "lien-he" not in ids  # written from the unit file
    assert problems[0].file is not None and problems[0].file.name == "phuong_hoan_kiem.yml"
    assert "congxa new" in (problems[0].hint or "")


def test_stale_section(mini: Mini) -> None:
    old = mini(posts={"thong-bao/a.md": post(day="2026-08-01")})
    (problem,) = found(old, "stale-section")
    assert problem.field == "thong-bao"
    assert "120 ngày" in problem.message and "01/08/2026" in problem.message
    assert problem.file is not None and problem.file.name == "a.md"
    assert found(old, "stale-section", stale_days=150) == []


def test_recent_section_is_not_stale(mini: Mini) -> None:
    assert found(mini(posts={"thong-bao/a.md": post(day="2026-11-20")}), "stale-section") == []


def test_province_post_counts_for_freshness(mini: Mini) -> None:
    project = mini(
        posts={
            "thong-bao/a.md": post(day="2026-01-01"),
            "_province/thong-bao/b.md": post("Tin chung", day="2026-11-25"),
        }
    )
    assert found(project, "stale-section") == []


# -- essential information ---------------------------------------------------------------

ESSENTIAL = "essential:\n  category: thien-tai-khan-cap\n  priority: khan-cap\n"


def test_essential_without_expiry(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(extra=ESSENTIAL)})
    (problem,) = found(project, "essential-no-expiry")
    assert (problem.line, problem.field) == (4, "essential.expires")
    assert "expires:" in (problem.hint or "")


def test_essential_with_expiry(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(extra=ESSENTIAL + "  expires: 2026-12-31\n")})
    assert found(project, "essential-no-expiry") == []
    assert found(project, "essential-expired") == []


def test_expired_essential_still_marked(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(extra=ESSENTIAL + "  expires: 2026-11-25\n")})
    (problem,) = found(project, "essential-expired")
    assert problem.line == 7 and "25/11/2026" in problem.message
    assert "khan-cap" in problem.message and "essential:" in (problem.hint or "")


def test_expiry_before_the_posts_date(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(extra=ESSENTIAL + "  expires: 2025-12-31\n")})
    (problem,) = found(project, "essential-expired")
    assert "trước cả ngày đăng" in problem.message


# -- body: images and links ---------------------------------------------------------------


def _with_body(mini: Mini, body: str, extra: str = "") -> Project:
    return mini(
        posts={
            "thong-bao/a.md": post(body=body, extra=extra),
            "van-ban/b.md": post("Quyết định 215", extra=DOC),
            "files/qd.pdf": PDF,
            "files/anh.png": b"\x89PNG\r\n",
            "files/khac.pdf": PDF,
        }
    )


def test_image_without_alt(mini: Mini) -> None:
    body = 'Đoạn đầu.\n\n![](../files/anh.png)\n\n<img src="../files/anh.png" alt="">\n'
    problems = found(_with_body(mini, body), "image-alt")
    assert [p.line for p in problems] == [7, 9]  # front matter is lines 1-4, body from 5


def test_image_with_alt(mini: Mini) -> None:
    body = (
        "![Hội nghị tiếp xúc cử tri](../files/anh.png)\n\n"
        "<img src='../files/anh.png' alt='Bản đồ tổ dân phố'>\n\n"
        "```\n![](mã ví dụ trong khối code)\n```\n"
    )
    assert found(_with_body(mini, body), "image-alt") == []


def test_broken_links(mini: Mini) -> None:
    body = (
        "[tệp không có](../files/khong-co.pdf)\n"
        "[bài không có](../van-ban/khong-co.md)\n"
        "[có trong thư mục, không khai báo](../files/khac.pdf)\n"
        '<a href="../chuyen-muc-la/">lạ</a>\n'
    )
    problems = found(_with_body(mini, body), "broken-link")
    # Every file of the unit's folder is published, listed under attachments or not.
    assert [p.line for p in problems] == [5, 6, 8]


def test_working_links(mini: Mini) -> None:
    body = (
        "[tệp](../files/qd.pdf) [bài khác](../van-ban/b.md) [chuyên mục](../van-ban/index.md)"
        " [địa chỉ trang](../../lien-he/) [trang chủ](../../) [neo](#muc-1)\n"
        "[ngoài](https://dichvucong.gov.vn/) [thư](mailto:a@b.vn) [RSS](/feeds/rss.xml)\n"
        "`[trong code](../khong-co.md)`\n"
    )
    assert found(_with_body(mini, body), "broken-link") == []


def test_links_the_check_accepts_work_in_the_built_page(mini: Mini, tmp_path: Path) -> None:
    project = _with_body(mini, "[tệp](../files/qd.pdf) và [bài khác](../van-ban/b.md)")
    site = project.load_site(project.unit_files()[0])
    out = tmp_path / "out" / "site"
    render(site, out, project)
    html = (out / "thong-bao" / "a" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../files/qd.pdf"' in html and 'href="../../van-ban/b/"' in html
    assert (out / "files" / "qd.pdf").is_file() and (out / "van-ban" / "b" / "index.html").is_file()


# -- attachments and documents ------------------------------------------------------------


def test_attachment_over_the_limit(mini: Mini) -> None:
    project = mini(
        posts={
            "thong-bao/a.md": post(extra="attachments:\n  - file: ../files/x.pdf\n"),
            "files/x.pdf": PDF,
        }
    )
    big = project.root / "content/ha_noi/phuong_hoan_kiem/files/x.pdf"
    with big.open("r+b") as handle:
        handle.truncate(21 * 1024 * 1024)  # sparse: 21 MB on paper, nothing on disk
    (problem,) = found(project, "large-attachment")
    assert (problem.line, problem.field) == (4, "attachments")
    assert "21.0 MB" in problem.message and "20 MB" in problem.message
    assert found(project, "large-attachment", max_attachment_mb=25) == []


def test_attachment_under_the_limit(mini: Mini) -> None:
    project = mini(posts={"van-ban/a.md": post(extra=DOC), "files/qd.pdf": PDF})
    assert found(project, "large-attachment") == []
    (problem,) = found(project, "large-attachment", max_attachment_mb=0.00001)
    assert problem.field == "document"


def test_document_without_number_or_date(mini: Mini) -> None:
    project = mini(
        posts={
            "van-ban/a.md": post(),
            "van-ban/b.md": post("QĐ", extra="document:\n  number: 12/QĐ-UBND\n"),
        }
    )
    problems = {p.file.name: p for p in found(project, "document-incomplete") if p.file}
    assert "`number`" in problems["a.md"].message and "`issued`" in problems["a.md"].message
    assert "`number`" not in problems["b.md"].message and problems["b.md"].line == 4


def test_complete_document(mini: Mini) -> None:
    project = mini(
        posts={"van-ban/a.md": post(extra=DOC), "files/qd.pdf": PDF, "thong-bao/b.md": post()}
    )
    assert found(project, "document-incomplete") == []


# -- text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Th«ng b¸o vÒ viÖc tæ chøc häp",
        "Thoâng baùo veà vieäc toå chöùc",
        "ThÃ´ng bÃ¡o vá» viá»‡c há»p",
    ],
)
def test_legacy_encoding(mini: Mini, text: str) -> None:
    project = mini(posts={"thong-bao/a.md": post(body="Đoạn đầu viết đúng.\n\n" + text)})
    (problem,) = found(project, "legacy-encoding")
    assert problem.line == 7 and "Unikey" in (problem.hint or "")


def test_unicode_text_is_not_legacy(mini: Mini) -> None:
    body = (
        "Thông báo về việc tổ chức họp; xuân, thuê, muốn, khuya, quý, phường, Uỷ ban.\n"
        "Đoàn chuyên gia của ông Müller (Đức) đến thăm «phố cổ»."
    )
    assert found(mini(posts={"thong-bao/a.md": post(body=body)}), "legacy-encoding") == []


def test_legacy_encoding_in_the_unit_file(mini: Mini) -> None:
    from conftest import UNIT_YML

    project = mini(unit_yml=UNIT_YML + "introduction: Ph­êng Hoµn KiÕm n»m ë trung t©m\n")
    (problem,) = found(project, "legacy-encoding")
    assert problem.file is not None and problem.file.suffix == ".yml" and problem.line == 10


def test_long_title(mini: Mini) -> None:
    long = "Thông báo " + "x" * 141  # 151 characters
    (problem,) = found(mini(posts={"thong-bao/a.md": post(title=long)}), "long-title")
    assert (problem.line, problem.field) == (2, "title") and "151" in problem.message


def test_title_at_the_limit(mini: Mini) -> None:
    title = "Thông báo " + "x" * 140  # 150 characters
    assert found(mini(posts={"thong-bao/a.md": post(title=title)}), "long-title") == []


# -- command line -------------------------------------------------------------------------


def test_rules_run_beside_validation_errors(mini: Mini) -> None:
    project = mini(
        posts={"thong-bao/a.md": "no front matter\n", "thong-bao/b.md": post(title="T" * 160)}
    )
    report = check(project)
    assert {p.rule for p in report.errors} == {"invalid"}
    assert [p.rule for p in report.warnings] == ["long-title"]  # no empty/stale noise


def test_json_and_strict(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(title="T" * 160)})
    runner = CliRunner()
    args = ["check", "--root", str(project.root), "--today", "2026-11-29"]
    result = runner.invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["errors"] == 0 and data["warnings"] == len(data["problems"]) > 1
    assert {"file", "line", "rule", "severity", "hint"} <= set(data["problems"][0])
    assert any("tiêu đề quá dài" in line for line in data["summary"])
    assert runner.invoke(main, [*args, "--strict"]).exit_code == 1


def test_text_summary_in_vietnamese(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(title="T" * 160)})
    result = CliRunner().invoke(
        main, ["check", "--root", str(project.root), "--today", "2026-11-29"]
    )
    lines = result.output.splitlines()
    assert "a.md:2: cảnh báo (warning) [title] Tiêu đề dài 160 ký tự" in result.output
    listed = [line for line in lines if ": cảnh báo (warning) " in line]
    files = {line.split(":")[0] for line in listed}
    assert (
        f"Đã kiểm tra Phường Hoàn Kiếm (tệp đơn vị và 1 bài): 0 lỗi, {len(listed)} cảnh báo "
        f"trong {len(files)} tệp. (checked: 0 errors, {len(listed)} warnings in "
        f"{len(files)} files)"
    ) in lines
    assert "  - 1 cảnh báo: tiêu đề quá dài (title too long)" in lines
    assert lines[-1].startswith("Trang vẫn dựng được")


def test_demo_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["check", "--today", "2026-11-29"])
    assert result.exit_code == 0, result.output
    assert "Đã kiểm tra 4 đơn vị (" in result.output and "bài): 0 lỗi" in result.output
