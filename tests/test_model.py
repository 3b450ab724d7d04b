"""Every bad-input case of issue 2: a clear problem naming file, line and fix; no traceback."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.errors import CongxaError, Problem
from generator.source.project import Project
from tests.conftest import UNIT_YML, post

Mini = Callable[..., Project]


def problems_of(project: Project) -> list[Problem]:
    unit_file = project.unit_files()[0]
    with pytest.raises(CongxaError) as info:
        project.load_site(unit_file)
    return info.value.problems


def only(project: Project) -> Problem:
    found = [p for p in problems_of(project) if p.severity == "error"]
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


def test_valid_unit_loads_with_registry_identity(mini: Mini) -> None:
    project = mini(posts={"thong-bao/lich-hop.md": post()})
    site = project.load_site(project.unit_files()[0])
    assert (site.unit.code, site.unit.name, site.unit.type) == (
        "00070",
        "Phường Hoàn Kiếm",
        "phường",
    )
    assert site.unit.province_name == "Thành phố Hà Nội"
    assert [p.slug for p in site.posts] == ["lich-hop"]


def test_yaml_syntax_error_names_line(mini: Mini) -> None:
    problem = only(mini(unit_yml=UNIT_YML + "leaders: [a, b\nintroduction: x\n"))
    assert problem.file is not None and problem.file.name == "phuong_hoan_kiem.yml"
    assert problem.line == 11  # the line of the unclosed list
    assert "YAML syntax error" in problem.message and problem.hint


def test_tab_indentation(mini: Mini) -> None:
    problem = only(mini(unit_yml=UNIT_YML.replace("  phone:", "\tphone:")))
    assert "Tab" in problem.message and problem.line == 5
    assert "dấu cách" in (problem.hint or "")


def test_duplicate_key(mini: Mini) -> None:
    problem = only(mini(unit_yml=UNIT_YML + "site_url: https://khac.example.gov.vn/\n"))
    assert "duplicate key" in problem.message and problem.field == "site_url"
    assert problem.line == 10


def test_wrong_type(mini: Mini) -> None:
    problem = only(mini(unit_yml=UNIT_YML.replace('phone: "024 3825 0000"', "phone: [1, 2]")))
    assert "wrong type" in problem.message and problem.field == "agency.phone"
    assert problem.line == 5


def test_unquoted_code_is_explained(mini: Mini) -> None:
    problem = only(mini(unit_yml=UNIT_YML.replace('code: "00070"', "code: 70")))
    assert problem.field == "code" and '"00070"' in (problem.hint or "")


def test_missing_required_field(mini: Mini) -> None:
    text = UNIT_YML.replace("  email: ubnd@example.gov.vn\n", "")
    problem = only(mini(unit_yml=text))
    assert problem.field == "agency.email" and "missing required field" in problem.message


def test_missing_responsible_official(mini: Mini) -> None:
    text = UNIT_YML.split("  responsible:")[0]
    problem = only(mini(unit_yml=text))
    assert problem.field == "agency.responsible"


def test_unknown_code(mini: Mini) -> None:
    problem = only(mini(unit_yml=UNIT_YML.replace("00070", "99999")))
    assert "unknown code" in problem.message and problem.line == 1


def test_code_of_another_province(mini: Mini) -> None:
    # 00070 is in Hà Nội; the file sits in Đà Nẵng's folder.
    problem = only(mini(province="da_nang"))
    assert "another province" in problem.message
    assert "communes/ha_noi/" in (problem.hint or "")


def test_name_and_type_contradicting_registry(mini: Mini) -> None:
    found = problems_of(mini(unit_yml=UNIT_YML + "name: Phường Cửa Nam\ntype: xã\n"))
    assert {p.field for p in found} == {"name", "type"}
    assert all("contradicts the registry" in p.message for p in found)


def test_name_matching_registry_without_diacritics_is_fine(mini: Mini) -> None:
    project = mini(unit_yml=UNIT_YML + "name: phuong hoan kiem\n")
    assert project.load_site(project.unit_files()[0]).unit.name == "Phường Hoàn Kiếm"


@pytest.mark.parametrize("url", ["http://x.gov.vn/", "x.gov.vn", "https:///path", "/relative"])
def test_site_url_must_be_absolute_https(mini: Mini, url: str) -> None:
    problem = only(mini(unit_yml=UNIT_YML.replace("https://phuonghoankiem.example.gov.vn/", url)))
    assert problem.field == "site_url" and "https" in problem.message


def test_post_without_title(mini: Mini) -> None:
    problem = only(mini(posts={"thong-bao/a.md": "---\ndate: 2026-11-20\n---\nx\n"}))
    assert problem.field == "title" and problem.file is not None and problem.file.name == "a.md"


def test_post_without_date(mini: Mini) -> None:
    problem = only(mini(posts={"thong-bao/a.md": "---\ntitle: Tin\n---\nx\n"}))
    assert problem.field == "date" and "2026-11-20" in (problem.hint or "")


def test_post_without_front_matter(mini: Mini) -> None:
    problem = only(mini(posts={"thong-bao/a.md": "Chỉ có nội dung.\n"}))
    assert "front matter" in problem.message and problem.line == 1


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("hôm qua", "unparsable date"),
        ("2026-13-01", "không có tháng 13"),
        ("31/02/2026", "tháng 2/2026 không có ngày 31"),
        ("2028-02-30", "tháng 2/2028 không có ngày 30, tháng này có 29 ngày"),
        ("31/11/2026", "tháng 11/2026 không có ngày 31"),
        ("2026-11-20 25:00", "không có giờ 25:00"),
    ],
)
def test_unparsable_date(mini: Mini, value: str, said: str) -> None:
    problem = only(mini(posts={"thong-bao/a.md": post(day=f'"{value}"')}))
    assert problem.field == "date" and said in problem.message
    assert problem.line == 3 and problem.hint and "2026-11-20" in problem.hint


@pytest.mark.parametrize(
    "value,expected",
    [
        ("20/11/2026", "2026-11-20T00:00:00+07:00"),
        ("2026-11-20 08:30", "2026-11-20T08:30:00+07:00"),
        ("2026-11-20T08:30:00+00:00", "2026-11-20T08:30:00+00:00"),
    ],
)
def test_dates_without_zone_are_vietnam_time(mini: Mini, value: str, expected: str) -> None:
    project = mini(posts={"thong-bao/a.md": post(day=value)})
    site = project.load_site(project.unit_files()[0])
    assert site.posts[0].date.isoformat() == expected


def test_post_in_a_folder_that_is_no_section(mini: Mini) -> None:
    problem = only(mini(posts={"tin-tuc-cu/a.md": post()}))
    assert "not a section" in problem.message and "tin-tuc" in (problem.hint or "")


def test_post_at_unit_root_is_no_section(mini: Mini) -> None:
    problem = only(mini(posts={"a.md": post()}))
    assert "not a section" in problem.message


def test_file_not_utf8(mini: Mini) -> None:
    # "Thông báo" as a Windows-1258 editor saves it.
    raw = b"---\ntitle: Th\xf4ng b\xe1o\ndate: 2026-11-20\n---\nx\n"
    problem = only(mini(posts={"thong-bao/a.md": raw}))
    assert "not UTF-8" in problem.message and problem.line == 2
    assert "UTF-8" in (problem.hint or "") and "Unikey" in (problem.hint or "")


def test_nfd_text_is_normalised(mini: Mini) -> None:
    title = unicodedata.normalize("NFD", "Thông báo tiêm chủng")
    project = mini(posts={"thong-bao/a.md": post(title=title)})
    site = project.load_site(project.unit_files()[0])
    assert site.posts[0].title == unicodedata.normalize("NFC", title)
    assert site.posts[0].title != title


def test_duplicate_slugs_in_a_section(mini: Mini) -> None:
    project = mini(
        posts={"thong-bao/lich-hop.md": post(), "thong-bao/khac.md": post(extra="slug: lich-hop\n")}
    )
    found = [p for p in problems_of(project) if p.severity == "error"]
    # Each of the two files names the other: checking either one shows the clash.
    assert sorted((p.file.name, p.line) for p in found if p.file) == [
        ("khac.md", 4),
        ("lich-hop.md", 1),
    ]
    assert all("duplicate slug" in p.message and p.field == "slug" for p in found)
    assert "lich-hop.md" in found[0].message or "lich-hop.md" in found[1].message


def test_same_slug_in_two_sections_is_fine(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(), "tin-tuc/a.md": post()})
    assert len(project.load_site(project.unit_files()[0]).posts) == 2


def test_attachment_escaping_the_unit_folder(mini: Mini, tmp_path: Path) -> None:
    (tmp_path / "secret.pdf").write_bytes(b"%PDF-1.4\n")
    extra = "attachments:\n  - file: ../../../../secret.pdf\n"
    problem = only(mini(posts={"thong-bao/a.md": post(extra=extra)}))
    assert "escapes" in problem.message and problem.field == "attachments[0].file"
    assert problem.line == 5


def test_missing_attachment(mini: Mini) -> None:
    problem = only(mini(posts={"thong-bao/a.md": post(extra="attachments: [../files/x.pdf]\n")}))
    assert "not found" in problem.message and problem.line == 4


def test_empty_file(mini: Mini) -> None:
    problem = only(mini(posts={"thong-bao/a.md": "  \n\n"}))
    assert "empty file" in problem.message


def test_empty_commune_file(mini: Mini) -> None:
    problem = only(mini(unit_yml=""))
    assert "empty file" in problem.message


def test_five_megabyte_post_is_refused_with_advice(mini: Mini) -> None:
    body = ("Nội dung rất dài. " * 300_000)[: 5 * 1024 * 1024]
    problem = only(mini(posts={"thong-bao/a.md": post(body=body)}))
    assert "too large" in problem.message and "PDF" in (problem.hint or "")


def test_every_problem_of_a_file_is_reported_together(mini: Mini) -> None:
    text = "---\ntitle: [1]\ndate: mai\nessential:\n  category: khong-co\n  priority: gap\n---\n"
    found = problems_of(mini(posts={"thong-bao/a.md": text}))
    assert {p.field for p in found} == {"title", "date", "essential.category", "essential.priority"}


def test_draft_is_not_published(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(extra="draft: true\n")})
    assert project.load_site(project.unit_files()[0]).posts == ()


def test_problem_format_names_file_line_field_and_fix() -> None:
    text = Problem(
        "Thiếu trường (missing required field) `title`.",
        file=Path("a.md"),
        line=2,
        field="title",
        hint="thêm `title: ...`.",
    ).format()
    assert text == (
        "a.md:2: lỗi (error) [title] Thiếu trường (missing required field) "
        "`title`. Cách sửa (fix): thêm `title: ...`."
    )


def test_parsed_yaml_is_kept_but_never_shared() -> None:
    from generator.source.files import LineDict, parse_yaml

    text = "title: Lịch họp\nattachments:\n  - file: a.pdf\n"
    first = parse_yaml(text, Path("a.md"), first_line=2)
    first["title"] = "đổi"
    first["attachments"].append("x")
    again = parse_yaml(text, Path("b.md"), first_line=2)
    assert again == {"title": "Lịch họp", "attachments": [{"file": "a.pdf"}]}
    assert isinstance(again, LineDict) and again.lines == {"title": 2, "attachments": 3}
    # The same text at another line gives that file's own line numbers.
    assert parse_yaml(text, Path("c.md")).lines == {"title": 1, "attachments": 2}
