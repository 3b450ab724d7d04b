"""`congxa audit` and `congxa report` through click's CliRunner: messages and exit codes."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.audit.commands import audit_command, report_command

from . import farm as f
from .conftest import Case, farm_cli_args


@click.group()
def main() -> None:
    """congxa"""


main.add_command(audit_command)
main.add_command(report_command)


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", ["audit", "report"])
def test_every_command_has_help_and_an_example(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Ví dụ (example)" in result.output and f"congxa {command}" in result.output


def test_audit_with_a_url_list(tmp_path: Path, farm_files: dict[str, Path]) -> None:
    out = tmp_path / "out"
    result = invoke(
        "audit",
        "--urls",
        str(farm_files["urls"]),
        "--province",
        "22",
        "--db",
        str(tmp_path / "a.db"),
        "--out",
        str(out),
        *farm_cli_args(farm_files),
    )
    assert result.exit_code == 0, result.output
    assert "Lần kiểm tra (run) 1: 4/4 đơn vị (units)" in result.output
    assert "ok 1, no_url 1, invalid_url 2" in result.output
    assert "dac-khu: 1/1 = 100.0% (không có chỉ tiêu (no target))" in result.output
    assert f"Báo cáo (report): {out / 'index.html'}" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "index.html",
        "indicators.csv",
        "indicators.json",
        "results.csv",
    ]

    rebuilt = invoke("report", "--db", str(tmp_path / "a.db"), "--out", str(tmp_path / "r"))
    assert rebuilt.exit_code == 0, rebuilt.output
    assert (tmp_path / "r" / "index.html").read_bytes() == (out / "index.html").read_bytes()


def test_bad_rows_are_reported_and_the_rest_is_audited(
    tmp_path: Path, farm_files: dict[str, Path]
) -> None:
    urls = tmp_path / "urls.csv"
    urls.write_text("code,url\n06994,\n99999,https://x.vn/\n06995,ftp://x/\n", encoding="utf-8")
    result = invoke(
        "audit",
        "--urls",
        str(urls),
        "--province",
        "22",
        "--db",
        str(tmp_path / "a.db"),
        *farm_cli_args(farm_files),
    )
    assert result.exit_code == 1
    assert f"{urls}:2: lỗi (error) [url] Thiếu địa chỉ (missing URL)." in result.output
    assert (
        f"{urls}:3: lỗi (error) [code] Mã đơn vị '99999' không có trong danh mục" in result.output
    )
    assert "no_url 3, invalid_url 1" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--urls", "{urls}", "--communes", "."], "Chỉ dùng một trong --communes và --urls"),
        (["--urls", "{urls}", "--province", "77"], "Không có tỉnh '77' trong danh mục"),
        (["--urls", "{urls}", "--resolve", "nocolon"], "Giá trị --resolve không hợp lệ"),
        (["--urls", "{missing}"], "Không đọc được tệp danh sách địa chỉ"),
        (["--urls", "{headerless}"], "Thiếu cột `code` hoặc `url`"),
        (["--urls", "{urls}", "--registry", "{missing}"], "Không tìm thấy tệp danh mục"),
        (["--urls", "{urls}", "--db", "{junk}"], "Lỗi cơ sở dữ liệu (database error)"),
        (["--urls", "{urls}", "--ca-file", "{junk}"], "Không đọc được tệp chứng chỉ CA"),
        (["--urls", "{urls}", "--timeout", "0"], "Invalid value for '--timeout'"),
    ],
)
def test_wrong_usage_or_setup_exits_2(
    tmp_path: Path, farm_files: dict[str, Path], args: list[str], message: str
) -> None:
    headerless = tmp_path / "h.csv"
    headerless.write_text("00070 https://x.vn/\n", encoding="utf-8")
    junk = tmp_path / "junk"
    junk.write_bytes(b"junk" * 1000)
    values = {
        "urls": str(farm_files["urls"]),
        "missing": str(tmp_path / "none.csv"),
        "headerless": str(headerless),
        "junk": str(junk),
    }
    filled = [a.format(**values) for a in args]
    base = ["--registry", str(farm_files["registry"])] if "--registry" not in filled else []
    result = invoke("audit", *base, "--no-dns", "--db", str(tmp_path / "a.db"), *filled)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_audit_from_commune_files(
    tmp_path: Path, farm: f.Farm, farm_files: dict[str, Path], cases: list[Case]
) -> None:
    communes = tmp_path / "communes" / "quang_ninh"
    communes.mkdir(parents=True)
    van_don = next(c for c in cases if c.code == "06994")
    (communes / "van_don.yml").write_text(
        f'code: "06994"\nsite_url: {van_don.urls[0]}\nagency: {{}}\n', encoding="utf-8"
    )
    (communes / "broken.yml").write_text('code: "06995"\nsite_url: [unclosed\n', encoding="utf-8")
    (communes / "octal.yml").write_text("code: 06746\nsite_url: https://x.vn/\n", encoding="utf-8")
    # Partly filled in (a file with every required field empty is skipped as unfinished).
    (communes / "no_url.yml").write_text(
        'code: "06997"\nagency:\n  phone: "0203 3874 000"\n', encoding="utf-8"
    )
    result = invoke(
        "audit",
        "--communes",
        str(tmp_path / "communes"),
        "--province",
        "quang_ninh",
        "--db",
        str(tmp_path / "a.db"),
        *farm_cli_args(farm_files),
    )
    assert result.exit_code == 1, result.output
    assert f"{communes / 'broken.yml'}:3: lỗi (error) Tệp YAML hỏng (invalid YAML)" in result.output
    assert f"{communes / 'octal.yml'}: lỗi (error) [code]" in result.output
    assert f"{communes / 'no_url.yml'}: lỗi (error) [site_url]" in result.output
    assert "ok 1, no_url 3" in result.output  # 06996 has no valid file


def test_report_without_a_database(tmp_path: Path) -> None:
    result = invoke("report", "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "Không tìm thấy cơ sở dữ liệu kiểm tra (audit database not found)." in result.output
    assert not (tmp_path / "none.db").exists()
