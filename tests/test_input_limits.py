"""Inputs that would hang or crash a run become clear errors (issue 17, class 5).

Each hostile file is given to `congxa check` and `congxa build` as separate processes with a
time limit: a run that hangs fails the test instead of the suite. Every answer must be exit
1 with a Vietnamese message naming the file and the line, never a traceback, and the other
units of the run must still be built.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.errors import CongxaError
from generator.source.files import MAX_YAML_DEPTH, parse_yaml
from generator.source.project import Project
from tests.conftest import UNIT_YML, post

# Nine levels of nine aliases: 387 million strings once expanded, from ~500 bytes.
ALIAS_BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)
BOMB_LINE = 1 + next(i for i, line in enumerate(ALIAS_BOMB.split("\n")) if line.startswith("e:"))
DEEP = "x: " + "[" * 5000 + "]" * 5000 + "\n"
TIME_LIMIT = 120  # seconds for a whole `congxa` run over every case below


def congxa(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args, "--root", str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        check=False,
    )


def assert_reported(run: subprocess.CompletedProcess[str], where: str, words: str) -> None:
    assert run.returncode == 1, (run.returncode, run.stdout[-2000:], run.stderr[-2000:])
    assert "Traceback" not in run.stderr + run.stdout
    output = run.stdout + run.stderr
    lines = [line for line in output.splitlines() if where in line]
    assert any(words in line for line in lines), output[-3000:]


def hostile_post(front: str = "", body: str = "Nội dung.") -> str:
    return f"---\ntitle: Bài lạ\ndate: 2026-11-20\n{front}---\n{body}\n"


# (name, files of the hostile unit, file that must be named with its line, words of the error)
CASES = [
    (
        "alias-bomb-front-matter",
        {"thong-bao/bom.md": hostile_post(ALIAS_BOMB)},
        f"thong-bao/bom.md:{BOMB_LINE + 3}",
        "YAML quá phức tạp",
    ),
    (
        "deep-front-matter",
        {"thong-bao/sau.md": hostile_post(DEEP)},
        "thong-bao/sau.md:4",
        f"lồng nhau quá {MAX_YAML_DEPTH} cấp",
    ),
    (
        "brackets",
        {"thong-bao/ngoac.md": hostile_post(body="Mở đầu.\n\n" + "[" * 20000)},
        "thong-bao/ngoac.md:7",
        "dấu `[`",
    ),
    (
        "nul-in-body",
        {"thong-bao/nul.md": hostile_post(body="Chữ\x00chữ")},
        "thong-bao/nul.md:5",
        "U+0000",
    ),
    (
        "esc-in-title",
        {"thong-bao/esc.md": "---\ntitle: Tiêu đề \x1b[31m đỏ\ndate: 2026-11-20\n---\nA\n"},
        "thong-bao/esc.md:2",
        "U+001B",
    ),
    (
        "vt-in-summary",
        {"thong-bao/vt.md": hostile_post("summary: a\x0bb\n")},
        "thong-bao/vt.md:4",
        "U+000B",
    ),
    (
        "fffe-in-body",
        {"thong-bao/fffe.md": hostile_post(body="x\n\ny\ufffez")},
        "thong-bao/fffe.md:7",
        "U+FFFE",
    ),
    (
        "c1-in-body",
        {"thong-bao/c1.md": hostile_post(body="Word\x85 paste")},
        "thong-bao/c1.md:5",
        "U+0085",
    ),
    (
        "escape-in-yaml",
        {"thong-bao/thoat.md": hostile_post('summary: "a\\eb\\x00c"\n')},
        "thong-bao/thoat.md:4",
        "U+001B",
    ),
    (
        "nested-lists",
        {
            "thong-bao/long.md": hostile_post(
                body="".join("    " * i + "- mục\n" for i in range(300))
            )
        },
        "thong-bao/long.md",
        "lồng quá",
    ),
    (
        "nested-html",
        {"thong-bao/the.md": hostile_post(body="Mở đầu.\n\n" + "<div>" * 20000 + "</div>" * 20000)},
        "thong-bao/the.md:7",
        "HTML trong bài lồng quá",
    ),
    (
        "emphasis-run",
        {"thong-bao/sao.md": hostile_post(body="_" * 4000 + "x" + "_" * 4000)},
        "thong-bao/sao.md:5",
        "dấu `*` hoặc `_`",
    ),
]


# (name, field, value written into a commune file, line of the error)
UNIT_CASES = [
    ("yaml-escape-in-address", "address", '"126 Hàng Trống\\e[2J"', 4),
    ("nul-in-introduction", "introduction", '"Giới thiệu\\u0000"', UNIT_YML.count("\n") + 1),
    (
        "brackets-in-introduction",
        "introduction",
        "|\n  Mở đầu.\n\n  " + "[" * 20000,
        UNIT_YML.count("\n") + 4,
    ),
]


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One good unit and one unit per hostile case, all in one province."""
    root = tmp_path_factory.mktemp("hostile")
    project = Project.discover(root)
    codes = [u.code for u in project.registry.units_of("01") if u.code != "00070"]
    cases: list[tuple[str, str, dict[str, str]]] = [("phuong_hoan_kiem", UNIT_YML, {})]
    cases[0][2]["thong-bao/tot.md"] = post()
    for index, (_, files, _, _) in enumerate(CASES):
        cases.append((f"don_vi_{index}", UNIT_YML, files))
    for index, (_, key, value, _) in enumerate(UNIT_CASES):
        if key == "address":
            text = UNIT_YML.replace(
                "address: 126 Hàng Trống, Hoàn Kiếm, Hà Nội", f"address: {value}"
            )
        else:
            text = UNIT_YML + f"{key}: {value}\n"
        cases.append((f"don_vi_xa_{index}", text, {}))
    for index, (unit, text, files) in enumerate(cases):
        if index:
            text = text.replace('"00070"', f'"{codes[index]}"').replace(
                "phuonghoankiem", f"donvi{index}"
            )
        unit_file = root / "communes" / "ha_noi" / f"{unit}.yml"
        unit_file.parent.mkdir(parents=True, exist_ok=True)
        unit_file.write_text(text, encoding="utf-8")
        for rel, content in files.items():
            target = root / "content" / "ha_noi" / unit / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def check_run(hostile_project: Path) -> subprocess.CompletedProcess[str]:
    return congxa(hostile_project, "check")


@pytest.fixture(scope="module")
def build_run(hostile_project: Path) -> subprocess.CompletedProcess[str]:
    return congxa(hostile_project, "build", "--out", str(hostile_project / "public"), "-j", "2")


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_check_and_build_report_the_file_and_line(
    hostile_project: Path,
    check_run: subprocess.CompletedProcess[str],
    build_run: subprocess.CompletedProcess[str],
    index: int,
) -> None:
    _, _, where, words = CASES[index]
    where = f"content/ha_noi/don_vi_{index}/{where}"
    assert_reported(check_run, where, words)
    assert_reported(build_run, where, words)
    assert not (hostile_project / "public" / "ha_noi" / f"don_vi_{index}").exists()


@pytest.mark.parametrize("index", range(len(UNIT_CASES)), ids=[c[0] for c in UNIT_CASES])
def test_commune_file_limits(
    hostile_project: Path,
    check_run: subprocess.CompletedProcess[str],
    build_run: subprocess.CompletedProcess[str],
    index: int,
) -> None:
    _, key, _, line = UNIT_CASES[index]
    where = f"communes/ha_noi/don_vi_xa_{index}.yml:{line}"
    assert_reported(check_run, where, key)
    assert_reported(build_run, where, key)


def test_the_good_unit_is_published_all_the_same(
    hostile_project: Path, build_run: subprocess.CompletedProcess[str]
) -> None:
    site = hostile_project / "public" / "ha_noi" / "phuong_hoan_kiem"
    assert (site / "index.html").is_file()
    assert "Thông báo lịch họp" in (site / "feeds" / "rss.xml").read_text(encoding="utf-8")


def test_alias_bomb_fails_fast_in_the_loader() -> None:
    start = time.monotonic()
    with pytest.raises(CongxaError) as caught:
        parse_yaml(ALIAS_BOMB, Path("bom.yml"))
    assert time.monotonic() - start < 1.0
    [problem] = caught.value.problems
    assert problem.line == BOMB_LINE and "bí danh" in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [*a]\n",
        "a: &a {b: *a}\n",
        DEEP,
        "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 200)),
        "- " * 3000 + "x\n",
        "x: 1" + "0" * 5000 + "\n",
        "x: 0x" + "f" * 5000 + "\n",
        "x: " + "1:" * 3000 + "1\n",
    ],
    ids=[
        "recursive-list",
        "recursive-map",
        "deep-flow",
        "deep-block",
        "deep-seq",
        "big-int",
        "big-hex",
        "base-60",
    ],
)
def test_yaml_never_raises_anything_but_congxa_errors(text: str) -> None:
    try:
        data = parse_yaml(text, Path("x.yml"))
    except CongxaError as exc:
        assert all(p.line for p in exc.problems)
        return
    json.dumps(data)  # the value is printable and finite
