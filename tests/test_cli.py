"""The CLI contract: commands, exit codes, messages without tracebacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import REPO, UNIT_YML, post

TODAY = ["--today", "2026-11-29"]


def run(*args: str, root: Path | None = None) -> tuple[int, str]:
    extra = ["--root", str(root)] if root else []
    result = CliRunner().invoke(main, [*args, *extra], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def province(tmp_path: Path) -> Path:
    """Two demo units copied into a fresh project."""
    for unit in ("phuong_cua_nam", "xa_soc_son"):
        (tmp_path / "communes/ha_noi").mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / f"communes/ha_noi/{unit}.yml", tmp_path / "communes/ha_noi")
        shutil.copytree(REPO / f"content/ha_noi/{unit}", tmp_path / f"content/ha_noi/{unit}")
    return tmp_path


def test_every_command_has_help_with_an_example() -> None:
    for name, command in main.commands.items():
        code, output = run(name, "--help")
        assert code == 0 and command.help, name
        assert "Ví dụ" in output or "Example" in output, name


def test_build_exit_codes_and_isolation(province: Path) -> None:
    out = province / "public"
    code, output = run("build", "--out", str(out), *TODAY, root=province)
    assert code == 0, output
    assert "built 2" in output
    good = (out / "ha_noi/phuong_cua_nam/index.html").read_bytes()
    before = (out / "ha_noi/xa_soc_son/index.html").read_bytes()

    # Break one unit, change the other: the broken one keeps its published site.
    bad = province / "content/ha_noi/xa_soc_son/thong-bao/hong.md"
    bad.write_text("---\ntitle: Hỏng\ndate: ngày mai\n---\n", encoding="utf-8")
    news = province / "content/ha_noi/phuong_cua_nam/tin-tuc/tin-moi.md"
    news.write_text(post(title="Tin mới nhất hôm nay", day="2026-11-28"), encoding="utf-8")
    code, output = run("build", "--out", str(out), *TODAY, root=province)
    assert code == 1
    assert "hong.md:3" in output and "[date]" in output
    assert "built 1" in output and "failed 1" in output
    assert (out / "ha_noi/xa_soc_son/index.html").read_bytes() == before
    assert (out / "ha_noi/phuong_cua_nam/index.html").read_bytes() != good
    assert "Tin mới nhất hôm nay" in (out / "ha_noi/phuong_cua_nam/index.html").read_text()


def test_build_is_incremental(province: Path) -> None:
    out = province / "public"
    assert run("build", "--out", str(out), *TODAY, root=province)[0] == 0
    code, output = run("build", "--out", str(out), *TODAY, root=province)
    assert code == 0 and "unchanged 2" in output and "built 0" in output
    code, output = run("build", "--out", str(out), "--force", *TODAY, root=province)
    assert "built 2" in output


def test_check_reports_file_and_field(province: Path) -> None:
    unit = province / "communes/ha_noi/xa_soc_son.yml"
    unit.write_text(
        unit.read_text(encoding="utf-8").replace("site_url: https://", "site_url: http://"),
        encoding="utf-8",
    )
    code, output = run("check", *TODAY, root=province)
    assert code == 1
    assert "xa_soc_son.yml:" in output and "[site_url]" in output
    assert "Cách sửa (fix)" in output


def test_check_warns_of_unknown_fields_in_the_commune_file(province: Path) -> None:
    unit = province / "communes/ha_noi/xa_soc_son.yml"
    text = unit.read_text(encoding="utf-8")
    unit.write_text(text + "leader:\n  - name: Lê Văn Bình\n", encoding="utf-8")
    code, output = run("check", *TODAY, root=province)
    line = len(text.splitlines()) + 1
    assert code == 0 and f"xa_soc_son.yml:{line}: cảnh báo (warning) [leader]" in output


def test_check_json(province: Path) -> None:
    import json

    code, output = run("check", "--format", "json", *TODAY, root=province)
    assert code == 0
    data = json.loads(output)
    assert data["units"] == 2 and data["errors"] == 0


def test_no_communes_folder_is_a_setup_error(tmp_path: Path) -> None:
    code, output = run("build", root=tmp_path)
    assert code == 2 and "communes" in output


def test_wrong_usage_exits_2() -> None:
    assert run("build", "--jobs", "0")[0] == 2
    assert run("build", "--shard", "5/4", "--root", str(REPO))[0] == 2


def test_init_writes_skeletons_and_never_overwrites(tmp_path: Path) -> None:
    code, output = run("init", "--province", "01", root=tmp_path)
    assert code == 0
    files = sorted((tmp_path / "communes/ha_noi").glob("*.yml"))
    assert len(files) == 126  # every unit of Hà Nội in the registry
    hoan_kiem = tmp_path / "communes/ha_noi/phuong_hoan_kiem.yml"
    text = hoan_kiem.read_text(encoding="utf-8")
    assert 'code: "00070"' in text and "BẮT BUỘC" in text
    hoan_kiem.write_text(UNIT_YML, encoding="utf-8")
    code, output = run("init", "--province", "ha_noi", "--unit", "00070", root=tmp_path)
    assert code == 0 and "exists, kept" in output
    assert hoan_kiem.read_text(encoding="utf-8") == UNIT_YML


def test_init_skeleton_fails_check_until_filled(tmp_path: Path) -> None:
    run("init", "--province", "01", "--unit", "00070", root=tmp_path)
    # Checking the project skips a unit not filled in yet, in one line ...
    code, output = run("check", *TODAY, root=tmp_path)
    assert code == 0 and "1 đơn vị chưa điền thông tin, bỏ qua" in output
    # ... and checking the unit itself lists what is missing.
    unit = str(tmp_path / "communes/ha_noi/phuong_hoan_kiem.yml")
    code, output = run("check", unit, *TODAY, root=tmp_path)
    assert code == 1 and "site_url" in output


def test_init_gives_colliding_names_distinct_files(tmp_path: Path) -> None:
    # Xã Văn Lang and Xã Văn Lăng fold to the same codename in Thái Nguyên.
    _code, _ = run("init", "--province", "thai_nguyen", root=tmp_path)
    folder = tmp_path / "communes/thai_nguyen"
    assert (folder / "xa_van_lang_02143.yml").is_file()
    assert (folder / "xa_van_lang_05665.yml").is_file()
    assert not (folder / "xa_van_lang.yml").exists()
    from generator.source.registry import load_registry

    assert len(list(folder.glob("*.yml"))) == len(load_registry().units_of("19"))


def test_init_unknown_province(tmp_path: Path) -> None:
    code, output = run("init", "--province", "99", root=tmp_path)
    assert code == 2 and "unknown province" in output
