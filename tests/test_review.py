"""Seams between features, found by trying the merged product as a clerk and as an attacker."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import REPO

TODAY = ["--today", "2026-11-29"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """One demo unit (with its province's shared folder) copied into a fresh project."""
    (tmp_path / "communes/ha_noi").mkdir(parents=True)
    shutil.copy(REPO / "communes/ha_noi/xa_soc_son.yml", tmp_path / "communes/ha_noi")
    for folder in ("xa_soc_son", "_province"):
        shutil.copytree(REPO / f"content/ha_noi/{folder}", tmp_path / f"content/ha_noi/{folder}")
    return tmp_path


@pytest.mark.parametrize("command", ["check", "build"])
def test_a_unit_file_of_another_project_is_named_not_mixed(
    project: Path, tmp_path: Path, command: str
) -> None:
    """A unit file outside --root's communes/ would be built with --root's content and the
    other project's shared folder: refused with the file named and the fix, exit 2."""
    other = REPO / "communes/ha_noi/xa_soc_son.yml"
    extra = ["--out", str(tmp_path / "public")] if command == "build" else []
    code, out = run(command, "--root", str(project), str(other), *extra, *TODAY)
    assert code == 2, out
    assert str(other) in out and "--root" in out
    assert not (tmp_path / "public").exists()


def test_backslash_escaped_brackets_are_text_not_links(project: Path, tmp_path: Path) -> None:
    """`congxa import` escapes Markdown in a Word document's text (`\\[a\\](x)`): that is
    text on the page, so it neither publishes the file it names nor gets a broken-link
    warning; a real link next to it still does both."""
    unit = project / "content/ha_noi/xa_soc_son"
    (unit / "files/ghi-chu-noi-bo.pdf").write_bytes(b"%PDF-1.4 private\n")
    (unit / "tin-tuc/trich-dan.md").write_text(
        "---\ntitle: Trích dẫn văn bản\ndate: 2026-11-20\n---\n"
        "Văn bản ghi: \\[ghi chú\\](../files/ghi-chu-noi-bo.pdf) và "
        "!\\[x\\](/etc/passwd); xem [quyết định](../files/qd-312-qd-ubnd.pdf).\n",
        encoding="utf-8",
    )
    code, out = run("check", "--root", str(project), str(unit / "tin-tuc/trich-dan.md"), *TODAY)
    assert code == 0 and "passwd" not in out and "ghi-chu-noi-bo" not in out, out
    public = tmp_path / "public"
    code, out = run("build", "--root", str(project), "--out", str(public), *TODAY)
    assert code == 0, out
    site = public / "ha_noi/xa_soc_son"
    assert not (site / "files/ghi-chu-noi-bo.pdf").exists()
    assert (site / "files/qd-312-qd-ubnd.pdf").is_file()
    page = (site / "tin-tuc/trich-dan/index.html").read_text(encoding="utf-8")
    assert "[ghi chú](../files/ghi-chu-noi-bo.pdf)" in page


def test_init_with_a_unit_name_or_a_wrong_code_points_to_the_code(tmp_path: Path) -> None:
    """A clerk rarely knows the 5-digit code: the unit's name (with or without diacritics)
    is answered with its code, a wrong code with examples, never a dead end."""
    from generator.source.registry import load_registry
    from generator.text import fold

    registry = load_registry()
    province = registry.province("48")
    assert province is not None
    units = registry.units_of(province.code)
    unit = units[len(units) // 2]
    for typed in (unit.name, fold(unit.name), unit.codename):
        code, out = run("init", "--root", str(tmp_path), "--province", "48", "--unit", typed)
        assert code == 2 and f"--unit {unit.code}` ({unit.name})" in out, out
    code, out = run("init", "--root", str(tmp_path), "--province", "48", "--unit", "99999")
    assert code == 2 and f"--unit {units[0].code}` ({units[0].name})" in out, out
    assert not (tmp_path / "communes").exists()
    code, out = run("init", "--root", str(tmp_path), "--province", "48", "--unit", unit.code)
    assert code == 0 and (tmp_path / f"communes/{province.codename}/{unit.stem}.yml").is_file()


@pytest.mark.parametrize(
    "item", ["- file:\n    title: Kế hoạch", '- file: ""', "- title: Kế hoạch"]
)
def test_an_attachment_without_its_file_is_an_error_not_a_silent_drop(
    project: Path, tmp_path: Path, item: str
) -> None:
    """The clerk meant to attach something; the page would have gone out without it."""
    post = project / "content/ha_noi/xa_soc_son/thong-bao/ke-hoach.md"
    post.write_text(
        "---\ntitle: Kế hoạch tổ chức hội nghị\ndate: 2026-11-20\nattachments:\n"
        f"  - file: ../files/qd-312-qd-ubnd.pdf\n  {item}\n---\nNội dung kế hoạch.\n",
        encoding="utf-8",
    )
    code, out = run("check", "--root", str(project), str(post), *TODAY)
    assert code == 1 and "ke-hoach.md:6:" in out and "attachments[1].file" in out, out
    assert "Cách sửa (fix)" in out
    code, out = run("build", "--root", str(project), "--out", str(tmp_path / "public"), *TODAY)
    assert code == 1 and not (tmp_path / "public/ha_noi/xa_soc_son").exists()


@pytest.mark.parametrize(
    ("name", "fixed"),
    [("hop-dan.md.txt", "hop-dan.md"), ("Hop Dan.MD", "Hop Dan.md"), ("hop.markdown", "hop.md")],
)
def test_a_post_saved_without_the_md_extension_is_named_with_the_fix(
    project: Path, tmp_path: Path, name: str, fixed: str
) -> None:
    """Notepad saves `hop-dan.md` as `hop-dan.md.txt`: the post is not published, and the
    clerk checking that section is told why and the name to give it."""
    section = project / "content/ha_noi/xa_soc_son/thong-bao"
    (section / name).write_text(
        "---\ntitle: Thông báo họp dân\ndate: 2026-11-20\n---\nHọp dân thôn Đông.\n",
        encoding="utf-8",
    )
    for scope in (section, section.parent):
        code, out = run("check", "--root", str(project), str(scope), *TODAY)
        assert f"{name}: cảnh báo (warning)" in out and f"`{fixed}`" in out, out
    code, out = run("build", "--root", str(project), "--out", str(tmp_path / "public"), *TODAY)
    assert code == 0 and not (tmp_path / "public/ha_noi/xa_soc_son/thong-bao" / name).exists()


def test_ctrl_c_during_a_build_ends_in_vietnamese_and_keeps_the_site(tmp_path: Path) -> None:
    """A clerk pressing Ctrl-C mid-build reads what happened, in Vietnamese; the site
    already published is served as it was."""
    import os
    import signal
    import subprocess
    import sys

    for folder in ("communes", "content"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    public = tmp_path / "public"
    code, out = run("build", "--root", str(tmp_path), "--out", str(public), *TODAY)
    assert code == 0, out
    homes = sorted(public.glob("ha_noi/*/index.html"))
    before = [home.read_bytes() for home in homes]
    # Ctrl-C raises KeyboardInterrupt even when this suite runs with SIGINT ignored.
    start = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from generator.cli import main; sys.argv[0] = 'congxa'; main()"
    )
    command = [sys.executable, "-c", start, "build", "--force", "-j", "1"]
    process = subprocess.Popen(
        [*command, "--root", str(tmp_path), "--out", str(public), *TODAY],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    assert process.stderr is not None
    first = process.stderr.readline()  # one unit built, the others still to come
    assert first.startswith("[1/"), first
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Đã dừng (interrupted)" in err and "Aborted" not in err
    assert "Traceback" not in err
    assert [home.read_bytes() for home in homes] == before


def test_emit_mkdocs_counts_what_it_wrote_and_skips_unfinished_units(
    project: Path, tmp_path: Path
) -> None:
    """`--emit-mkdocs` says how many projects it wrote (a unit with an error is not one)
    and, like `build`, passes over the skeletons `congxa init` wrote."""
    shutil.copy(REPO / "communes/ha_noi/phuong_cua_nam.yml", project / "communes/ha_noi")
    shutil.copytree(
        REPO / "content/ha_noi/phuong_cua_nam", project / "content/ha_noi/phuong_cua_nam"
    )
    bad = project / "content/ha_noi/phuong_cua_nam/thong-bao/hong.md"
    bad.write_text("---\ntitle: Hỏng\ndate: 31/02/2026\n---\nx\n", encoding="utf-8")
    from generator.source.registry import load_registry

    registry = load_registry()
    province = registry.province("01")
    assert province is not None
    taken = {"xa_soc_son", "phuong_cua_nam"}
    skeletons = [u.code for u in registry.units_of(province.code) if u.stem not in taken][:2]
    code, out = run(
        "init",
        "--root",
        str(project),
        "--province",
        "01",
        *(a for c in skeletons for a in ("--unit", c)),
    )
    assert code == 0, out
    dest = tmp_path / "emitted"
    code, out = run("build", "--root", str(project), "--emit-mkdocs", str(dest), *TODAY)
    assert code == 1, out
    assert "Đã ghi 1 dự án MkDocs" in out and "lỗi 1 đơn vị" in out, out
    assert "2 đơn vị chưa điền thông tin, bỏ qua" in out, out
    assert sorted(p.name for p in (dest / "ha_noi").iterdir()) == ["xa_soc_son"]
    assert out.count("lỗi (error)") == 1, out
