"""The clerk's safety net: `check` on any path, misspelt fields, dates that do not exist,
placeholders, reserved addresses, unfinished units. Every bad input gives a Vietnamese
message with file, line and fix, the right exit code, and leaves the published site as it was.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, TODAY, UNIT_YML, post

from generator.audit.run import AuditOptions, load_sources
from generator.cli import main
from generator.source.fields import MAX_YEAR, MIN_YEAR
from generator.source.placeholders import INTRODUCTION, POST_BODY
from generator.source.posts import DOCUMENT_KEYS, ESSENTIAL_KEYS
from generator.source.project import Project
from generator.source.registry import load_registry

Mini = Callable[..., Project]
DAY = ["--today", TODAY.isoformat()]
UNIT = "communes/ha_noi/phuong_hoan_kiem.yml"
FOLDER = "content/ha_noi/phuong_hoan_kiem"
PDF = b"%PDF-1.4\n% congxa test\n"


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--root", str(root)], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def findings(output: str) -> list[str]:
    """The lines of `check` that report something about a file."""
    return [line for line in output.splitlines() if re.search(r" (lỗi|cảnh báo) \(", line)]


# -- `check` on any path ------------------------------------------------------------------


def _demo_posts() -> list[Path]:
    return sorted((REPO / "content").rglob("*.md"))


@pytest.mark.parametrize("path", _demo_posts(), ids=lambda p: p.stem[:40])
def test_check_every_demo_post_alone(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, output = run(REPO, "check", str(path.relative_to(REPO)), *DAY)
    assert code == 0, output
    shared = "_province" in path.parts
    assert ("Đã kiểm tra 1 bài chung của " if shared else "Đã kiểm tra 1 bài của ") in output
    # The demo keeps two essential items that expired before its day on purpose (to show
    # that they leave the home page); nothing else may be reported.
    expired = re.search(r"\n  expires: (\d{4}-\d\d-\d\d)", path.read_text(encoding="utf-8"))
    allowed = 1 if expired and expired[1] < TODAY.isoformat() else 0
    lines = findings(output)
    assert len(lines) == allowed, output
    assert all("[essential.expires]" in line for line in lines)


def _guide_posts() -> list[tuple[str, str]]:
    """Every complete post (front matter and all) the clerks' guide and the README show."""
    found = []
    pages = [*sorted((REPO / "docs/huong-dan/noi-dung").glob("*.md")), REPO / "README.md"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        blocks = re.findall(r"```(?:yaml|markdown)\n(.*?)```", text, re.DOTALL)
        for number, block in enumerate(blocks):
            block = textwrap.dedent(block)
            if block.startswith("---\n") and "\ntitle:" in block:
                found.append((f"{page.stem}-{number}", block))
    return found


@pytest.mark.parametrize(("name", "text"), _guide_posts(), ids=lambda v: str(v)[:30])
def test_check_every_post_the_guide_shows(mini: Mini, name: str, text: str) -> None:
    body = text + "\nNội dung bài.\n" if text.rstrip().endswith("---") else text
    section = "van-ban" if "\ndocument:" in text else "thong-bao"
    files = {
        f"files/{m}": PDF for m in re.findall(r"\.\./files/([\w.-]+)", text)
    }  # the attachments the example names
    project = mini(posts={f"{section}/{name}.md": body, **files})
    target = project.root / FOLDER / section / f"{name}.md"
    code, output = run(project.root, "check", str(target), *DAY)
    assert code == 0, output
    assert findings(output) == [], output
    assert "Đã kiểm tra 1 bài của Phường Hoàn Kiếm" in output


def test_guide_examples_were_found() -> None:
    names = {name.rsplit("-", 1)[0] for name, _ in _guide_posts()}
    assert {"viet-bai", "dinh-kem", "thiet-yeu", "README"} <= names


def test_check_a_post_made_by_new_once_written(mini: Mini, monkeypatch: pytest.MonkeyPatch) -> None:
    project = mini()
    monkeypatch.chdir(project.root)
    for section in ("thong-bao", "tin-tuc"):
        code, out = run(project.root, "new", UNIT, section, "Thông báo: lịch họp tổ dân phố")
        path = project.root / out.strip()
        code, output = run(project.root, "check", out.strip(), *DAY)
        assert code == 1 and "placeholder" in output  # the sample body is not a post yet
        path.write_text(
            path.read_text(encoding="utf-8").replace(POST_BODY, "Lịch họp ngày 5/12."),
            encoding="utf-8",
        )
        code, output = run(project.root, "check", out.strip(), *DAY)
        assert code == 0 and findings(output) == [], output


def _broken_unit(mini: Mini) -> Project:
    return mini(
        posts={
            "thong-bao/tot.md": post(),
            "thong-bao/hong.md": post(extra="sumary: Tóm tắt\n"),
            "tin-tuc/khac.md": post("Tin khác", extra="drat: true\n"),
        }
    )


def test_check_a_unit_content_folder(mini: Mini) -> None:
    project = _broken_unit(mini)
    code, output = run(project.root, "check", str(project.root / FOLDER), "--strict", *DAY)
    assert code == 1
    assert "hong.md:4: cảnh báo (warning) [summary" not in output  # the line names the key
    assert "hong.md:4: cảnh báo (warning) [sumary] Trường lạ `sumary`" in output
    assert "có phải ý bạn là `summary`?" in output
    assert "khac.md:4: cảnh báo (warning) [drat]" in output and "`draft`" in output
    assert "Đã kiểm tra Phường Hoàn Kiếm (tệp đơn vị và 3 bài)" in output


def test_check_a_section_folder_and_a_post(mini: Mini) -> None:
    project = _broken_unit(mini)
    code, output = run(project.root, "check", str(project.root / FOLDER / "thong-bao"), *DAY)
    assert code == 0 and "Đã kiểm tra 2 bài của chuyên mục Thông báo, Phường Hoàn Kiếm" in output
    assert "hong.md" in output and "khac.md" not in output
    assert "empty-section" not in output and "chưa có bài nào" not in output
    code, output = run(project.root, "check", str(project.root / FOLDER / "tin-tuc/khac.md"), *DAY)
    assert "Đã kiểm tra 1 bài của Phường Hoàn Kiếm" in output
    assert "khac.md" in output and "hong.md" not in output


def test_check_a_province_content_folder(mini: Mini) -> None:
    project = _broken_unit(mini)
    code, output = run(project.root, "check", str(project.root / "content/ha_noi"), *DAY)
    assert code == 0  # warnings only
    assert "hong.md" in output and "khac.md" in output
    assert "Phường Hoàn Kiếm (tệp đơn vị và 3 bài)" in output


def test_check_a_folder_without_unit_file(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post()})
    stray = project.root / "content/ha_noi/xa_khong_co/thong-bao"
    stray.mkdir(parents=True)
    code, output = run(project.root, "check", str(stray), *DAY)
    assert code == 2 and "xa_khong_co.yml" in output and "Cách sửa" in output


def test_summary_counts_match_the_listed_items(mini: Mini) -> None:
    project = mini(
        posts={
            "thong-bao/a.md": post(extra="sumary: x\n"),
            "thong-bao/b.md": post(extra="draft: có\n"),
            "thong-bao/c.md": post(extra="Title: x\n"),
        }
    )
    code, output = run(project.root, "check", *DAY)
    assert code == 1  # `draft: có`
    lines = findings(output)
    errors = [line for line in lines if " lỗi (error) " in line]
    warnings = [line for line in lines if " cảnh báo (warning) " in line]
    files = {line.split(":")[0] for line in lines}
    head = next(line for line in output.splitlines() if line.startswith("Đã kiểm tra"))
    assert f": {len(errors)} lỗi, {len(warnings)} cảnh báo trong {len(files)} tệp." in head
    kinds = [line for line in output.splitlines() if line.startswith("  - ")]
    assert sum(int(k.split()[1]) for k in kinds if k.split()[2] == "lỗi:") == len(errors)
    assert sum(int(k.split()[1]) for k in kinds if k.split()[2] == "cảnh") == len(warnings)
    result = CliRunner().invoke(main, ["check", "--root", str(project.root), "--format", "json"])
    data = json.loads(result.output)
    assert (data["errors"], data["warnings"], data["files"]) == (
        len(errors),
        len(warnings),
        len(files),
    )
    assert sum(v["errors"] for v in data["by_file"].values()) == len(errors)
    assert data["summary"][0] == head


# -- bad input: message, exit code, previous site intact -----------------------------------


BAD = {
    "sumary": ("sumary: Tóm tắt\n", "", 4, "`summary`", True),
    "drat": ("drat: true\n", "", 4, "`draft`", True),
    "atachments": ("atachments:\n  - file: ../files/a.pdf\n", "", 4, "`attachments`", True),
    "Title": ("Title: Tiêu đề khác\n", "", 4, "`title`", True),
    "priorty": (
        "essential:\n  category: thien-tai-khan-cap\n  priorty: khan-cap\n",
        "",
        6,
        "`priority`",
        False,
    ),
    "essential-string": ("essential: khan-cap\n", "", 4, "nhóm trường (mapping)", False),
    "attachments-mapping": (
        "attachments:\n  file: ../files/a.pdf\n",
        "",
        4,
        "danh sách (list), không phải nhóm trường (mapping)",
        False,
    ),
    "issued-month-13": ("document:\n  issued: 2026-13-01\n", "", 5, "không có tháng 13", False),
    "escaping-attachment": (
        "attachments:\n  - ../../x.pdf\n",
        "",
        4,
        "nằm ngoài thư mục",
        False,
    ),
    "slug-index": ("slug: index\n", "", 4, "trang danh sách", False),
    "slug-trang-2": ("slug: trang-2\n", "", 4, "trang 2 của danh sách", False),
    "date-9999": ("", "9999-12-31", 3, f"{MIN_YEAR}–{MAX_YEAR}", False),
    "date-year-1": ("", "0001-01-01", 3, f"{MIN_YEAR}–{MAX_YEAR}", False),
    "date-31-02": ("", "31/02/2026", 3, "tháng 2/2026 không có ngày 31", False),
    "draft-co": ("draft: có\n", "", 4, "`true`", False),
}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-unit project, built once; each bad input is added to it and taken away."""
    root = tmp_path_factory.mktemp("bad")
    unit = root / UNIT
    unit.parent.mkdir(parents=True)
    unit.write_text(UNIT_YML, encoding="utf-8")
    (root / FOLDER / "thong-bao").mkdir(parents=True)
    (root / FOLDER / "files").mkdir()
    (root / FOLDER / "files/a.pdf").write_bytes(PDF)
    (root / FOLDER / "thong-bao/tot.md").write_text(post(), encoding="utf-8")
    code, output = run(root, "build", "--out", str(root / "public"), *DAY)
    assert code == 0, output
    return root


def _snapshot(out: Path) -> dict[str, bytes]:
    site = (out / "ha_noi/phuong_hoan_kiem").resolve()
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_post(published: Path, case: str) -> None:
    extra, day, line, said, warning = BAD[case]
    bad = published / FOLDER / "thong-bao" / "bai-moi.md"
    bad.write_text(post(day=day or "2026-11-21", extra=extra), encoding="utf-8")
    before = _snapshot(published / "public")
    try:
        code, output = run(published, "check", str(bad), *DAY, *(["--strict"] if warning else []))
        assert code == 1, output
        mine = [f for f in findings(output) if "bai-moi.md:" in f]
        assert any(f"bai-moi.md:{line}:" in f and said in f for f in mine), output
        assert all("Cách sửa (fix):" in f for f in mine), output
        code, output = run(published, "build", "--out", str(published / "public"), *DAY)
        assert code == (0 if warning else 1), output
        if not warning:
            assert _snapshot(published / "public") == before
    finally:
        bad.unlink()


def test_duplicate_ids(published: Path) -> None:
    one = published / FOLDER / "thong-bao" / "mot.md"
    two = published / FOLDER / "thong-bao" / "hai.md"
    one.write_text(post("Một", extra="id: lich-hop\n"), encoding="utf-8")
    two.write_text(post("Hai", extra="id: lich-hop\n"), encoding="utf-8")
    before = _snapshot(published / "public")
    try:
        code, output = run(published, "check", str(two), *DAY)
        assert code == 1, output
        assert "hai.md:4: lỗi (error) [id]" in output and "mot.md" in output
        code, output = run(published, "build", "--out", str(published / "public"), *DAY)
        assert code == 1 and _snapshot(published / "public") == before
    finally:
        one.unlink()
        two.unlink()


def test_date_far_ahead_is_a_warning(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(day=f"{TODAY.year + 2}-01-05")})
    code, output = run(project.root, "check", str(project.root / FOLDER / "thong-bao/a.md"), *DAY)
    assert code == 0 and "a.md:3: cảnh báo (warning) [date]" in output
    assert "future" in output
    near = mini(posts={"thong-bao/a.md": post(day=f"{TODAY.year}-12-24")})
    code, output = run(near.root, "check", str(near.root / FOLDER / "thong-bao/a.md"), *DAY)
    assert code == 0 and findings(output) == []


def test_every_nested_key_is_checked(mini: Mini) -> None:
    project = mini(
        posts={
            "files/a.pdf": PDF,
            "van-ban/a.md": post(
                extra="document:\n  numbr: 12/QĐ-UBND\n  issued: 2026-11-02\n"
                "attachments:\n  - file: ../files/a.pdf\n    tilte: Phụ lục\n"
            ),
        }
    )
    code, output = run(project.root, "check", str(project.root / FOLDER / "van-ban/a.md"), *DAY)
    assert code == 0  # warnings only
    assert "a.md:5: cảnh báo (warning) [document.numbr]" in output and "`number`" in output
    assert "a.md:9: cảnh báo (warning) [attachments[0].tilte]" in output
    assert "`title`" in output
    assert "numbr" not in DOCUMENT_KEYS and "priority" in ESSENTIAL_KEYS


def test_placeholder_post_is_not_published(mini: Mini, tmp_path: Path) -> None:
    project = mini(
        posts={"thong-bao/a.md": post(), "thong-bao/mau.md": post("Mẫu", body=POST_BODY)}
    )
    code, output = run(project.root, "check", *DAY)
    assert code == 1 and "mau.md:5: lỗi (error) [body]" in output
    code, output = run(project.root, "build", "--out", str(tmp_path / "out"), *DAY)
    assert code == 0, output
    site = tmp_path / "out/ha_noi/phuong_hoan_kiem"
    assert (site / "thong-bao/a/index.html").is_file()
    assert not (site / "thong-bao/mau").exists()
    assert POST_BODY not in (site / "thong-bao/index.html").read_text(encoding="utf-8")


def test_placeholder_introduction(mini: Mini, tmp_path: Path) -> None:
    intro = INTRODUCTION.format(name="phường Hoàn Kiếm")
    project = mini(
        unit_yml=UNIT_YML + f"introduction: |\n  {intro}\n", posts={"thong-bao/a.md": post()}
    )
    code, output = run(project.root, "check", *DAY)
    assert code == 0 and "phuong_hoan_kiem.yml:10: cảnh báo (warning) [introduction]" in output
    run(project.root, "build", "--out", str(tmp_path / "out"), *DAY)
    page = tmp_path / "out/ha_noi/phuong_hoan_kiem/gioi-thieu/index.html"
    assert "vị trí, diện tích, dân số" not in page.read_text(encoding="utf-8")


def test_unit_file_nested_keys(mini: Mini) -> None:
    project = mini(
        unit_yml=UNIT_YML.replace("    title: Phó", "    titel: x\n    title: Phó")
        + 'theme:\n  primry: "#123456"\nleaders:\n  - name: A\n    title: B\n    phnoe: "1"\n'
        + "links:\n  - title: Cổng\n    url: https://dichvucong.gov.vn/\n    urll: x\n"
    )
    code, output = run(project.root, "check", str(project.root / UNIT), "--strict", *DAY)
    assert code == 1
    for key, guess in (
        ("agency.responsible.titel", "title"),
        ("theme.primry", "primary"),
        ("leaders[0].phnoe", "phone"),
        ("links[0].urll", "url"),
    ):
        assert f"[{key}] Trường lạ" in output and f"`{guess}`" in output, key


def test_congxa_yml_typo_is_a_setup_error(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post()})
    (project.root / "congxa.yml").write_text("feed_limt: 5\n", encoding="utf-8")
    for command in ("check", "build"):
        code, output = run(project.root, command, *DAY)
        assert code == 2 and "congxa.yml:1: lỗi (error) [feed_limt]" in output
        assert "có phải ý bạn là `feed_limit`?" in output


# -- unfinished units ------------------------------------------------------------------------


def test_unfinished_units_stay_quiet(tmp_path: Path) -> None:
    code, _ = run(tmp_path, "init", "--province", "48")
    units = sorted((tmp_path / "communes/da_nang").glob("*.yml"))
    assert code == 0 and len(units) == len(load_registry().units_of("48"))
    first = units[0]
    code_line = re.search(r'code: "(\d+)"', first.read_text(encoding="utf-8"))
    assert code_line
    first.write_text(UNIT_YML.replace("00070", code_line[1]), encoding="utf-8")
    out = tmp_path / "public"
    code, output = run(tmp_path, "build", "--out", str(out), *DAY)
    assert code == 0, output
    assert f"{len(units) - 1} đơn vị chưa điền thông tin, bỏ qua" in output
    assert "lỗi 0 đơn vị" in output and (out / "da_nang" / first.stem / "index.html").is_file()
    # A unit filled in halfway is an error as before.
    half = units[1]
    half.write_text(
        half.read_text(encoding="utf-8").replace("site_url:  ", "site_url: https://a.gov.vn/"),
        encoding="utf-8",
    )
    code, output = run(tmp_path, "build", "--out", str(out), *DAY)
    assert code == 1 and f"{half.name}" in output and "agency.address" in output
    assert f"{len(units) - 2} đơn vị chưa điền thông tin" in output


def test_audit_reads_only_its_province_and_skips_unfinished(tmp_path: Path) -> None:
    registry = load_registry()
    run(tmp_path, "init", "--province", "48")
    communes = tmp_path / "communes"
    shutil.copytree(REPO / "communes/ha_noi", communes / "ha_noi")
    (communes / "da_nang" / "hong.yml").write_text("code: [\n", encoding="utf-8")
    source = load_sources(AuditOptions(communes_dir=communes, province="01"), registry)
    assert [p.format() for p in source.problems] == []
    assert len(source.urls) == len(list((REPO / "communes/ha_noi").glob("*.yml")))
    source = load_sources(AuditOptions(communes_dir=communes, province="48"), registry)
    errors = [p for p in source.problems if p.severity == "error"]
    assert [p.file.name for p in errors if p.file] == ["hong.yml"]
    count = len(registry.units_of("48"))
    assert any(f"{count} đơn vị chưa điền thông tin, bỏ qua" in p.message for p in source.problems)
    assert source.urls == {}


# -- the guide's commands work as written ---------------------------------------------------


def test_the_guides_commands_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every `$ congxa ...` line of the guide, in a copy of the demo project. The preview
    server (it runs until Ctrl-C) and the province's audit and report (they crawl the
    units' live sites) have their own tests on loopback."""
    for folder in ("communes", "content"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    pages = sorted((REPO / "docs/huong-dan/noi-dung").glob("*.md"))
    commands = [
        shlex.split(line[2:])
        for page in pages
        for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("$ congxa ")
    ]
    assert {c[1] for c in commands} >= {"init", "new", "check", "build", "serve"}
    for command in commands:
        if command[1] in ("serve", "audit", "report"):
            continue
        for arg in command[2:]:
            # The post the guide's `check` example names: a post a clerk wrote.
            if arg.endswith(".md") and not Path(arg).exists():
                Path(arg).write_text(post(), encoding="utf-8")
        dated = DAY if command[1] in ("check", "build") else []
        result = CliRunner().invoke(main, [*command[1:], *dated], catch_exceptions=False)
        assert result.exit_code == 0, (command, result.output)


def test_audit_command_is_quiet_about_unfinished_units(tmp_path: Path) -> None:
    run(tmp_path, "init", "--province", "48")
    (tmp_path / "communes/ha_noi").mkdir()
    (tmp_path / "communes/ha_noi/hong.yml").write_text("code: [\n", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "audit",
            "--communes",
            str(tmp_path / "communes"),
            "--province",
            "48",
            "--no-dns",
            "--db",
            str(tmp_path / "a.db"),
        ],
        catch_exceptions=False,
    )
    count = len(load_registry().units_of("48"))
    assert result.exit_code == 0, result.output
    assert f"{count} đơn vị chưa điền thông tin, bỏ qua" in result.output
    assert "hong.yml" not in result.output and " lỗi (error) " not in result.output


@pytest.mark.parametrize("year", [0, 1, 1899, 1900, 2026, 2100, 2101, 9999])
def test_any_date_gives_a_date_or_a_problem(year: int) -> None:
    from generator.source.fields import Fields

    for month in (0, 1, 2, 12, 13):
        for day in (0, 1, 28, 29, 30, 31, 32):
            for text in (
                f"{year:04d}-{month:02d}-{day:02d}",
                f"{day:02d}/{month:02d}/{year:04d}",
                f"{year:04d}-{month:02d}-{day:02d} 23:59",
                f"{year:04d}-{month:02d}-{day:02d}T00:00:00+14:00",
            ):
                f = Fields(Path("a.md"))
                parsed = f.get_date({"date": text}, "date")
                if parsed is None:
                    assert len(f.problems) == 1 and f.problems[0].hint, text
                else:
                    assert not f.problems and MIN_YEAR <= parsed.year <= MAX_YEAR, text
                    parsed.timestamp()  # feeds and sitemaps need a timestamp


def test_check_on_a_draft_says_it_will_not_be_published(mini: Callable[..., Project]) -> None:
    """A draft passes every check, yet it does not go out: `check` says so."""
    project = mini(
        posts={
            "thong-bao/nhap.md": post(extra="draft: true\n"),
            "thong-bao/that.md": post(title="Thông báo đã đăng"),
        }
    )
    code, output = run(
        project.root, "check", str(project.root / FOLDER / "thong-bao/nhap.md"), *DAY
    )
    assert code == 0, output
    assert "Đã kiểm tra 1 bài nháp (draft: chưa đăng) của Phường Hoàn Kiếm" in output
    code, output = run(project.root, "check", str(project.root / FOLDER / "thong-bao"), *DAY)
    assert "2 bài (trong đó 1 bài nháp chưa đăng)" in output, output
    code, output = run(
        project.root, "check", str(project.root / FOLDER / "thong-bao/that.md"), *DAY
    )
    assert "Đã kiểm tra 1 bài của Phường Hoàn Kiếm" in output and "nháp" not in output


def test_a_slug_that_changes_when_normalised_is_named(mini: Callable[..., Project]) -> None:
    """`slug: ../../x` or `slug: Thông báo` silently became another address: say which
    (front matter: title on line 2, date on 3, slug on 4)."""
    project = mini(posts={"thong-bao/a.md": post(extra='slug: "../../Lịch họp"\n')})
    code, output = run(project.root, "check", str(project.root / FOLDER / "thong-bao/a.md"), *DAY)
    assert code == 0, output
    [line] = findings(output)
    assert "a.md:4: cảnh báo (warning) [slug]" in line and "`lich-hop`" in line, line
    project = mini(posts={"thong-bao/b.md": post(extra="slug: lich-hop-thang-12\n")})
    code, output = run(project.root, "check", str(project.root / FOLDER / "thong-bao/b.md"), *DAY)
    assert findings(output) == [], output
