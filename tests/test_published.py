"""What a unit publishes: only files a published page uses, and only files congxa may publish
(inside the content folders by real path, regular, an allowed type, under the size limit).

Every test builds for real (MkDocs + Material into a public/ folder) or runs `congxa check`,
and looks for the secret's bytes in everything that was written.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import UNIT_YML, post

from generator.clerk.check import CheckReport, check
from generator.clerk.preview import Preview
from generator.cli import main
from generator.errors import Problem
from generator.publish.bulk import Summary, build_many
from generator.source.containment import DEFAULT_ALLOWED_FILES, DEFAULT_MAX_ATTACHMENT_MB
from generator.source.project import Project

Mini = Callable[..., Project]
UNIT = Path("content/ha_noi/phuong_hoan_kiem")
SECRET = b"MAT-KHAU-CSDL=bi-mat-cua-tinh-0427"
PDF = b"%PDF-1.4\n% congxa test\n"


def png() -> bytes:
    """A real 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xb7\x1c\x1c")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def build(project: Project) -> tuple[Summary, Path]:
    out = project.root / "public"
    summary = build_many(project, project.unit_files(), out, jobs=1)
    return summary, out / "ha_noi" / "phuong_hoan_kiem"


def written(out: Path) -> list[Path]:
    """Every file under `out`, links followed (the published unit is a symbolic link)."""
    return [p for p in out.resolve().rglob("*") if p.is_file()] if out.exists() else []


def leaked(root: Path) -> list[Path]:
    """Published files that carry the secret's bytes."""
    return [p for p in written(root.parent.parent) if SECRET in p.read_bytes()]


def secret_outside(tmp_path: Path, name: str = "luong.pdf") -> Path:
    target = tmp_path / "ngoai-du-an" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(SECRET)
    return target


def link(project: Project, rel: str, target: Path) -> Path:
    path = project.root / UNIT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def errors(summary: Summary) -> list[Problem]:
    return [p for r in summary.failed for p in r.problems if p.severity == "error"]


def checked(project: Project) -> CheckReport:
    return check(project)


# -- class 1: files from outside the content tree ----------------------------------------


@pytest.mark.parametrize(
    ("how", "line"),
    [
        ("attachments:\n  - file: ../files/luong.pdf\n", 5),
        ("", 5),  # a link in the body (line 5: the body's first line)
        (None, None),  # no page uses it
    ],
    ids=["attachment", "body-link", "unreferenced"],
)
def test_a_symlink_to_a_secret_outside_is_never_published(
    mini: Mini, tmp_path: Path, how: str | None, line: int | None
) -> None:
    body = "[Bảng lương](../files/luong.pdf)" if how == "" else "Nội dung."
    project = mini(posts={"thong-bao/a.md": post(extra=how or "", body=body)})
    path = link(project, "files/luong.pdf", secret_outside(tmp_path))
    summary, site = build(project)
    (problem,) = [p for p in errors(summary) if "ra ngoài" in p.message]
    assert "file outside the content folder" in problem.message
    assert problem.file is not None and problem.file.name in ("luong.pdf", "a.md")
    if line is not None:
        assert (problem.file, problem.line) == (project.root / UNIT / "thong-bao/a.md", line)
    else:
        assert problem.file == path
    assert "symlink" in (problem.hint or "")
    assert not site.exists() and leaked(site) == []
    report = checked(project)
    assert any("ra ngoài" in p.message for p in report.errors)


def test_a_link_to_proc_environ_is_refused(mini: Mini, tmp_path: Path) -> None:
    project = mini(posts={"thong-bao/a.md": post(body="[Môi trường](../files/env.txt)")})
    link(project, "files/env.txt", Path("/proc/self/environ"))
    summary, site = build(project)
    assert any("ra ngoài" in p.message and p.line == 5 for p in errors(summary))
    assert not site.exists()
    assert all(b"PATH=" not in p.read_bytes() for p in written(project.root / "public"))


def test_a_symlinked_content_folder_is_refused(mini: Mini, tmp_path: Path) -> None:
    outside = tmp_path / "ngoai-du-an" / "don-vi"
    (outside / "thong-bao").mkdir(parents=True)
    (outside / "thong-bao" / "a.md").write_text(post(body="[x](../files/x.pdf)"), "utf-8")
    (outside / "files").mkdir()
    (outside / "files" / "x.pdf").write_bytes(SECRET)
    project = mini()
    (project.root / UNIT.parent).mkdir(parents=True, exist_ok=True)
    (project.root / UNIT).symlink_to(outside, target_is_directory=True)
    summary, site = build(project)
    (problem,) = errors(summary)
    assert problem.file == project.root / UNIT
    assert "content folder outside the project" in problem.message
    assert not site.exists() and leaked(site) == []
    assert checked(project).errors


def test_a_symlinked_province_folder_is_refused(mini: Mini, tmp_path: Path) -> None:
    outside = tmp_path / "ngoai-du-an" / "chung"
    (outside / "thong-bao").mkdir(parents=True)
    (outside / "thong-bao" / "b.md").write_text(post("Tin chung"), "utf-8")
    project = mini(posts={"thong-bao/a.md": post()})
    (project.root / UNIT.parent / "_province").symlink_to(outside, target_is_directory=True)
    summary, _site = build(project)
    assert [p.file for p in errors(summary)] == [project.root / UNIT.parent / "_province"]


@pytest.mark.parametrize("logo", ["/etc/passwd", "../../..", "../../ngoai-du-an/logo.png"])
def test_a_logo_outside_the_content_folders_is_refused(
    mini: Mini, tmp_path: Path, logo: str
) -> None:
    (tmp_path / "ngoai-du-an").mkdir()
    (tmp_path / "ngoai-du-an" / "logo.png").write_bytes(png() + SECRET)
    project = mini(unit_yml=UNIT_YML + f"theme:\n  logo: {logo}\n")
    summary, site = build(project)
    (problem,) = errors(summary)
    assert problem.field == "theme.logo" and problem.line == UNIT_YML.count("\n") + 2
    assert "ngoài" in problem.message
    assert not site.exists()
    assert not any(b"root:" in p.read_bytes() for p in written(project.root / "public"))
    assert leaked(site) == []


def test_a_theme_file_linked_to_a_secret_is_refused(mini: Mini, tmp_path: Path) -> None:
    project = mini(posts={"thong-bao/a.md": post()})
    (project.root / "congxa.yml").write_text("theme: themes/tinh\n", encoding="utf-8")
    assets = project.root / "themes/tinh/assets"
    assets.mkdir(parents=True)
    (assets / "ghi-chu.txt").symlink_to(secret_outside(tmp_path))
    project = Project.discover(project.root, project.today.date() if project.today else None)
    summary, site = build(project)
    assert any("theme" in p.message for p in errors(summary))
    assert leaked(site) == []


# -- class 4: uploaded HTML/JS, SVG, types and sizes ----------------------------------------


def test_html_and_js_uploads_linked_from_a_post_are_errors(mini: Mini) -> None:
    body = "Xem [trang](../files/x.html).\n\n![sơ đồ](../files/so-do.svg)"
    project = mini(
        posts={
            "thong-bao/a.md": post(body=body),
            "files/x.html": '<script src="x.js"></script>',
            "files/x.js": "document.title = 'owned'",
            "files/so-do.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
        }
    )
    summary, site = build(project)
    found = {p.line: p for p in errors(summary)}
    assert set(found) == {5, 7}
    assert "never published" in found[5].message and "x.html" in found[5].message
    assert "SVG refused" in found[7].message and "PNG" in (found[7].hint or "")
    assert not site.exists()
    assert {p.line for p in checked(project).errors} == {5, 7}


def test_html_and_js_uploads_no_page_uses_are_not_published(mini: Mini) -> None:
    project = mini(
        posts={
            "thong-bao/a.md": post(),
            "files/x.html": '<script src="x.js"></script>',
            "files/x.js": "document.title = 'owned'",
        }
    )
    summary, site = build(project)
    assert not summary.failed
    assert not any(p.suffix in (".js", ".html") and "files" in p.parts for p in written(site))
    assert not (site / "files").exists()
    warned = {
        p.file.name for p in checked(project).warnings if p.file and p.rule == "unreferenced-file"
    }
    assert warned == {"x.html", "x.js"}


def test_a_file_type_off_the_allowlist_is_an_error_where_it_is_used(mini: Mini) -> None:
    project = mini(
        posts={
            "thong-bao/a.md": post(extra="attachments:\n  - file: ../files/cai-dat.exe\n"),
            "files/cai-dat.exe": b"MZ",
        }
    )
    summary, _site = build(project)
    (problem,) = errors(summary)
    assert (problem.line, problem.field) == (5, "attachments[0].file")
    assert "file type not allowed" in problem.message
    assert all(kind in (problem.hint or "") for kind in ("pdf", "docx", "png"))


def test_the_province_sets_the_allowlist_and_the_size_limit(mini: Mini) -> None:
    project = mini(
        posts={
            "thong-bao/a.md": post(body="![ảnh](../files/anh.png) [tệp](../files/bang.xlsx)"),
            "files/anh.png": png(),
            "files/bang.xlsx": b"PK",
        }
    )
    assert not build(project)[0].failed
    (project.root / "congxa.yml").write_text(
        "allowed_files: [pdf, png]\nmax_attachment_mb: 0.5\n", encoding="utf-8"
    )
    with (project.root / UNIT / "files/anh.png").open("r+b") as handle:
        handle.truncate(1024 * 1024)  # sparse: 1 MB on paper
    again = Project.discover(project.root, project.today.date() if project.today else None)
    summary, _site = build(again)
    found = {p.message.split("'")[1]: p for p in errors(summary)}
    assert set(found) == {"../files/anh.png", "../files/bang.xlsx"}
    assert "not allowed" in found["../files/bang.xlsx"].message
    assert "quá giới hạn 0.5 MB" in found["../files/anh.png"].message
    assert {p.line for p in found.values()} == {5}


def test_the_default_size_limit_applies_to_build(mini: Mini) -> None:
    project = mini(
        posts={
            "thong-bao/a.md": post(extra="attachments:\n  - file: ../files/lon.pdf\n"),
            "files/lon.pdf": PDF,
        }
    )
    with (project.root / UNIT / "files/lon.pdf").open("r+b") as handle:
        handle.truncate(int((DEFAULT_MAX_ATTACHMENT_MB + 1) * 1024 * 1024))
    summary, site = build(project)
    (problem,) = errors(summary)
    assert f"quá giới hạn {DEFAULT_MAX_ATTACHMENT_MB:g} MB" in problem.message
    assert problem.line == 5 and not site.exists()


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("allowed_files: [pdf, html]", "never published"),
        ("allowed_files: [pdf, svg]", "never published"),
        ("allowed_files: ['p d f']", "invalid file type"),
        ("allowed_files: []", "empty list"),
        ("max_attachment_mb: 0", "invalid"),
        ("max_attachment_mb: nhiều", "invalid"),
    ],
)
def test_bad_file_settings_exit_2(
    mini: Mini, monkeypatch: pytest.MonkeyPatch, setting: str, words: str
) -> None:
    project = mini(posts={"thong-bao/a.md": post()})
    (project.root / "congxa.yml").write_text(setting + "\n", encoding="utf-8")
    monkeypatch.chdir(project.root)
    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert words in result.output and "congxa.yml:1" in result.output


def test_a_fifo_never_hangs_check_or_build(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(body="[ống](../files/ong.pdf)")})
    os.mkfifo(project.root / UNIT / "thong-bao/treo.md")
    (project.root / UNIT / "files").mkdir()
    os.mkfifo(project.root / UNIT / "files/ong.pdf")
    for command in (["check"], ["build", "--today", "2026-11-29"]):
        done = subprocess.run(
            [sys.executable, "-m", "generator", *command],
            cwd=project.root,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 1, done.stdout + done.stderr
        assert "treo.md" in done.stdout + done.stderr
        assert "not a regular file" in done.stdout + done.stderr
        assert "Traceback" not in done.stderr


# -- issue 10: only what a published page uses is published -------------------------------


def test_only_files_a_published_page_uses_are_published(mini: Mini) -> None:
    unit_yml = UNIT_YML + (
        "introduction: |\n  Trụ sở UBND phường ![Trụ sở](../files/tru-so.jpg)\n"
        "theme:\n  logo: ../../content/ha_noi/phuong_hoan_kiem/files/logo.png\n"
    )
    document = "document:\n  number: 1/QĐ\n  issued: 2026-11-01\n  file: ../files/qd.pdf\n"
    project = mini(
        unit_yml=unit_yml,
        posts={
            "thong-bao/a.md": post(
                extra="attachments:\n  - file: ../files/dinh-kem.pdf\n",
                body="[Kế hoạch](../files/ke-hoach.pdf) ![Bản đồ](../files/ban-do.png) "
                "[Tin chung](../files/chung.pdf)",
            ),
            "van-ban/qd.md": post("Quyết định", extra=document),
            "thong-bao/nhap.md": post(
                "Dự thảo",
                extra="draft: true\nattachments:\n  - file: ../files/du-thao.pdf\n",
                body="[Dự thảo mật](../files/du-thao-mat.pdf)",
            ),
            "files/dinh-kem.pdf": PDF,
            "files/ke-hoach.pdf": PDF,
            "files/ban-do.png": png(),
            "files/qd.pdf": PDF,
            "files/tru-so.jpg": b"\xff\xd8\xff",
            "files/logo.png": png(),
            "files/du-thao.pdf": PDF + SECRET,
            "files/du-thao-mat.pdf": PDF + SECRET,
            "files/ghi-chu.txt": SECRET,
            "_province/files/chung.pdf": PDF,
            "_province/files/khong-dung.pdf": PDF + SECRET,
        },
    )
    summary, site = build(project)
    assert not summary.failed, [p.format() for p in errors(summary)]
    files = sorted(p.relative_to(site.resolve()).as_posix() for p in written(site / "files"))
    assert files == [
        "files/ban-do.png",
        "files/chung.pdf",
        "files/dinh-kem.pdf",
        "files/ke-hoach.pdf",
        "files/qd.pdf",
        "files/tru-so.jpg",
    ]
    assert (site / "assets/images/logo.png").read_bytes() == png()
    assert leaked(site) == []
    warned = [p for p in checked(project).warnings if p.rule == "unreferenced-file"]
    assert sorted(p.file.name for p in warned if p.file) == [
        "du-thao-mat.pdf",
        "du-thao.pdf",
        "ghi-chu.txt",
    ]
    assert all("tệp không được bài nào dẫn tới, sẽ không được đăng" in p.message for p in warned)


def test_the_check_warns_about_a_stray_file(mini: Mini) -> None:
    project = mini(posts={"thong-bao/a.md": post(), "files/ghi-chu.txt": "ghi chú"})
    (problem,) = [p for p in checked(project).problems if p.rule == "unreferenced-file"]
    assert problem.severity == "warning"
    assert problem.file == project.root / UNIT / "files/ghi-chu.txt"
    assert "files/ghi-chu.txt" in problem.message and "xoá" in (problem.hint or "")


def test_an_attachment_in_the_wrong_case_gets_a_did_you_mean(mini: Mini) -> None:
    project = mini(
        posts={
            "van-ban/a.md": post(
                extra="attachments:\n  - file: ../files/qd-215.pdf\n",
                body="[Phụ lục](../Files/phu-luc.pdf)",
            ),
            "files/QD-215.PDF": PDF,
            "files/phu-luc.pdf": PDF,
        }
    )
    (problem,) = checked(project).errors
    assert "attachment not found" in problem.message and problem.line == 5
    assert "có phải ý bạn là `../files/QD-215.PDF`?" in (problem.hint or "")
    summary, _site = build(project)
    assert "`../files/QD-215.PDF`" in (errors(summary)[0].hint or "")
    # the same for a link in the body: a warning with the suggestion
    (project.root / UNIT / "van-ban/a.md").write_text(
        post(body="[Phụ lục](../files/Phu-Luc.pdf)"), encoding="utf-8"
    )
    (warning,) = [p for p in checked(project).warnings if p.rule == "broken-link"]
    assert "có phải ý bạn là `../files/phu-luc.pdf`?" in (warning.hint or "")


def test_the_defaults_are_documented() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    guide = (Path(__file__).resolve().parents[1] / "docs/huong-dan/noi-dung/dinh-kem.md").read_text(
        encoding="utf-8"
    )
    for text in (readme, guide):
        assert all(f"`{kind}`" in text for kind in DEFAULT_ALLOWED_FILES)
        assert f"{DEFAULT_MAX_ATTACHMENT_MB:g} MB" in text and "SVG" in text
        assert "allowed_files" in text and "max_attachment_mb" in text


# -- the preview server follows the same rule ---------------------------------------------


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_preview_never_serves_a_symlinked_secret(mini: Mini, tmp_path: Path) -> None:
    project = mini(posts={"thong-bao/a.md": post(body="Họp lúc 8 giờ.")})
    lines: list[str] = []
    preview = Preview(project, project.unit_files()[0], port=0, debounce=0.1, echo=lines.append)
    preview.start()
    try:
        assert preview.state.ok and fetch(preview.url + "thong-bao/a/")[0] == 200
        link(project, "files/luong.pdf", secret_outside(tmp_path))
        (project.root / UNIT / "thong-bao/a.md").write_text(
            post(body="[Bảng lương](../files/luong.pdf)"), encoding="utf-8"
        )
        deadline = time.monotonic() + 10
        while preview.state.ok and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not preview.state.ok
        assert any("ra ngoài" in p.message and p.line == 5 for p in preview.state.problems)
        for path in ("files/luong.pdf", "thong-bao/files/luong.pdf"):
            status, body = fetch(preview.url + path)
            assert status == 404 and SECRET not in body
        status, page = fetch(preview.url + "thong-bao/a/")
        assert SECRET not in page and "file outside the content folder" in page.decode()
    finally:
        preview.stop()


def test_links_that_stay_inside_are_followed_and_loops_are_errors(mini: Mini) -> None:
    project = mini(
        posts={
            "thong-bao/a.md": post(body="[Quyết định](../files/moi-nhat.pdf)"),
            "files/qd-2026.pdf": PDF,
        }
    )
    unit = project.root / UNIT
    (unit / "files/moi-nhat.pdf").symlink_to("qd-2026.pdf")  # stays inside: fine
    (unit / "files/cu.pdf").symlink_to("khong-con.pdf")  # dangling: nothing to publish
    (unit / "files/ban-sao").symlink_to("..", target_is_directory=True)  # a folder cycle
    summary, site = build(project)
    assert not summary.failed, [p.format() for p in errors(summary)]
    assert (site / "files/moi-nhat.pdf").read_bytes() == PDF
    (unit / "files/vong").symlink_to("vong")  # a loop of links
    summary = build_many(project, project.unit_files(), project.root / "public", jobs=1, force=True)
    (problem,) = errors(summary)
    assert problem.file == unit / "files/vong" and "cannot read file" in problem.message
