"""The build runtime under failure: any exception of a unit isolated, time limits, disk
full, read-only output, unreadable inputs, concurrent builds and a killed main process.

Every case runs the real `congxa build` (MkDocs, Material, worker processes) in a
subprocess, as an operator would.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.errors import OutputError
from generator.publish.bulk import OutputLock, build_many
from generator.publish.layout import OutputLayout
from generator.publish.pool import Pool, TimeLimit, WorkerLost
from generator.source.project import Project
from tests.conftest import REPO, TODAY, post
from tests.tools import missing

UNITS = ("phuong_ba_dinh", "phuong_cua_nam", "phuong_hoan_kiem", "xa_soc_son")
# Tests run as root, for whom file modes do not stop reading or writing. Without the
# capabilities that bypass them (setpriv, util-linux), root meets EACCES like anyone.
AS_USER = (
    ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    if os.geteuid() == 0 and shutil.which("setpriv")
    else []
)


def needs_file_modes() -> None:
    if os.geteuid() == 0 and not AS_USER:
        missing(
            "setpriv is not installed (root ignores file modes without it)",
            "apt-get install util-linux",
        )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "communes", root / "communes")
    shutil.copytree(REPO / "content", root / "content")
    return root


def command(repo: Path, out: Path, *args: str, as_user: bool = False) -> list[str]:
    prefix = AS_USER if as_user else []
    return [
        *prefix,
        sys.executable,
        "-m",
        "generator",
        "build",
        "--out",
        str(out),
        "--today",
        TODAY.isoformat(),
        "--root",
        str(repo),
        *args,
    ]


def congxa(
    repo: Path, out: Path, *args: str, as_user: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command(repo, out, *args, as_user=as_user),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def published(out: Path) -> dict[str, str]:
    """unit → the version folder its published link points to."""
    return {
        link.name: os.readlink(link)
        for link in sorted((out / "ha_noi").iterdir())
        if link.is_symlink()
    }


def assert_whole(out: Path, units: tuple[str, ...] = UNITS) -> None:
    for unit in units:
        for name in ("index.html", "site.json", "feeds/rss.xml", "404.html"):
            assert (out / "ha_noi" / unit / name).is_file(), (unit, name)


def add_post(repo: Path, unit: str, name: str, text: str) -> Path:
    path = repo / "content/ha_noi" / unit / "tin-tuc" / name
    path.write_text(text, encoding="utf-8")
    return path


def more_posts(repo: Path, count: int) -> None:
    """Make every unit slower to build, for tests that act while a build runs."""
    for unit in UNITS:
        for i in range(count):
            text = post(title=f"Tin thêm số {i}", body="Nội dung. " * 50)
            add_post(repo, unit, f"them-{i}.md", text)


# -- any exception of a unit is that unit's failure -------------------------------------------


def test_an_unexpected_exception_fails_only_its_unit_with_a_log(repo: Path) -> None:
    out = repo.parent / "public"
    assert congxa(repo, out).returncode == 0
    before = published(out)
    # A province's theme override that breaks while rendering one unit's pages: an
    # exception congxa does not raise itself (jinja2's UndefinedError), in one unit only.
    overrides = repo / "themes" / "overrides" / "partials"
    overrides.mkdir(parents=True)
    (overrides / "copyright.html").write_text(
        '{% if config.site_name == "Xã Sóc Sơn" %}{{ config.khong_co.ten }}{% endif %}\n',
        encoding="utf-8",
    )
    add_post(repo, "phuong_cua_nam", "moi.md", post(title="Tin mới nhất", day="2026-11-28"))

    result = congxa(repo, out)
    assert result.returncode == 1, result.stderr
    log = out / ".congxa/logs/ha_noi/xa_soc_son.log"
    message = result.stderr
    assert "xa_soc_son.yml" in message and "UndefinedError" in message
    assert "Lỗi không lường trước" in message and str(log) in message
    assert "built 3" in result.stdout and "failed 1" in result.stdout
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "UndefinedError" in text and "copyright.html" in text
    after = published(out)
    assert after["xa_soc_son"] == before["xa_soc_son"]  # the previous site stays
    assert after["phuong_cua_nam"] != before["phuong_cua_nam"]
    assert "Tin mới nhất" in (out / "ha_noi/phuong_cua_nam/index.html").read_text()
    assert_whole(out)
    assert not list((out / "ha_noi/.congxa/staging").iterdir())  # its staging removed


def test_markdown_that_used_to_crash_the_renderer_is_refused_with_its_line(repo: Path) -> None:
    out = repo.parent / "public"
    # md_in_html recursed once per nested block until Python's recursion limit: now the
    # nesting is measured before rendering (generator/source/markdown_limits.py).
    depth = 600
    body = '<div markdown="1">\n' * depth + "chữ\n" + "</div>\n" * depth
    add_post(repo, "xa_soc_son", "long-nhau.md", post(title="Lồng nhau", body=body))
    result = congxa(repo, out)
    assert result.returncode == 1, result.stderr
    assert "long-nhau.md:" in result.stderr and "Lỗi không lường trước" not in result.stderr
    assert "built 3" in result.stdout and "failed 1" in result.stdout


# -- time limits -------------------------------------------------------------------------------


def test_a_unit_past_the_time_limit_fails_and_the_others_build(repo: Path) -> None:
    out = repo.parent / "public"
    # Python-Markdown's inline patterns take time growing with the square of the number of
    # raw tags in one paragraph: this post passes every input limit and takes about a minute.
    add_post(repo, "xa_soc_son", "the.md", post(title="Thẻ", body="<b>x</b> " * 80000))
    start = time.monotonic()
    result = congxa(repo, out, "--unit-timeout", "8", "-j", "2")
    elapsed = time.monotonic() - start
    assert result.returncode == 1, result.stderr
    assert "xa_soc_son.yml" in result.stderr and "quá 8 giây" in result.stderr
    assert "built 3" in result.stdout and "failed 1" in result.stdout
    assert_whole(out, tuple(u for u in UNITS if u != "xa_soc_son"))
    assert not (out / "ha_noi/xa_soc_son").exists()
    log = (out / ".congxa/logs/ha_noi/xa_soc_son.log").read_text(encoding="utf-8")
    assert "TimeLimit" in log and "markdown" in log  # where it was stuck, for IT
    assert elapsed < 90


def _stuck(task: int) -> int:
    try:
        if task == 2:  # stuck where no Python code runs: only a kill ends it
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
            time.sleep(120)
        if task == 3:
            time.sleep(120)  # interrupted inside the worker
        if task == 7:
            os.kill(os.getpid(), signal.SIGKILL)  # a worker that dies (out of memory)
    except TimeLimit:
        return -100 - task
    return task * 10


def _lost(task: int, error: Exception) -> int:
    if isinstance(error, WorkerLost):
        return -1000 - task
    assert isinstance(error, TimeLimit)
    return -task


def test_pool_stops_stuck_tasks_and_goes_on() -> None:
    pool: Pool[int, int] = Pool(2, _stuck, _lost, timeout=1)
    start = time.monotonic()
    results = sorted(pool.run([1, 2, 3, 4, 5, 6, 7, 8]))
    assert results == [-1007, -103, -2, 10, 40, 50, 60, 80]
    assert time.monotonic() - start < 20


def _touch(task: str) -> str:
    Path(task).write_text("done", encoding="utf-8")
    return task


def _lost_name(task: str, error: Exception) -> str:
    return f"lost {task}"


def test_pool_works_while_the_tasks_are_still_being_produced(tmp_path: Path) -> None:
    """A bulk build plans units while the first ones build: the pool reads tasks lazily."""
    first, second = tmp_path / "first", tmp_path / "second"
    seen_during_production: list[bool] = []

    def tasks() -> Iterator[str | None]:
        yield str(first)
        deadline = time.monotonic() + 30
        while not first.exists() and time.monotonic() < deadline:
            yield None  # still "planning"
            time.sleep(0.01)
        seen_during_production.append(first.exists())
        yield str(second)

    pool: Pool[str, str] = Pool(2, _touch, _lost_name, timeout=60)
    assert sorted(pool.run(tasks())) == sorted([str(first), str(second)])
    assert seen_during_production == [True]


def test_a_task_after_a_lost_worker_gets_a_fresh_one() -> None:
    def tasks() -> Iterator[int | None]:
        yield 7  # its worker dies
        for _ in range(100):  # the loss is seen while tasks are still produced
            yield None
            time.sleep(0.02)
        yield 4

    pool: Pool[int, int] = Pool(1, _stuck, _lost, timeout=30)
    assert sorted(pool.run(tasks())) == [-1007, 40]


# -- disk full, read-only output, unreadable inputs --------------------------------------------


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr!r}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    return filler


def test_disk_full_keeps_the_published_site(repo: Path) -> None:
    with small_disk(repo.parent / "disk", "24m") as disk:
        out = disk / "public"
        assert congxa(repo, out).returncode == 0
        before = published(out)
        pages = {u: (out / "ha_noi" / u / "index.html").read_bytes() for u in UNITS}
        for unit in UNITS:
            add_post(repo, unit, "moi.md", post(title="Tin mới nhất", day="2026-11-28"))
        filler = fill(disk)

        result = congxa(repo, out)
        assert result.returncode == 1, result.stderr
        assert "Ổ đĩa đầy (disk full" in result.stderr
        assert "failed 4" in result.stdout
        assert published(out) == before
        assert {u: (out / "ha_noi" / u / "index.html").read_bytes() for u in UNITS} == pages

        filler.unlink()
        result = congxa(repo, out)
        assert result.returncode == 0, result.stderr
        assert "built 4" in result.stdout
        assert all(published(out)[u] != before[u] for u in UNITS)
        assert_whole(out)


def test_read_only_output_is_a_clear_setup_error(repo: Path) -> None:
    needs_file_modes()
    out = repo.parent / "public"
    assert congxa(repo, out).returncode == 0
    before = published(out)
    add_post(repo, "xa_soc_son", "moi.md", post(title="Tin mới nhất", day="2026-11-28"))
    subprocess.run(["chmod", "-R", "a-w", str(out)], check=True)
    try:
        result = congxa(repo, out, as_user=True)
        assert result.returncode == 2, result.stderr
        assert "Không ghi được vào thư mục xuất bản" in result.stderr
        assert published(out) == before

        # Only the province folder read-only: each unit fails, nothing half-published.
        subprocess.run(["chmod", "-R", "u+w", str(out)], check=True)
        (out / "ha_noi").chmod(0o555)
        result = congxa(repo, out, as_user=True)
        assert result.returncode == 1, result.stderr
        assert "Không ghi được vào thư mục xuất bản" in result.stderr
        assert "xa_soc_son.yml" in result.stderr
        assert published(out) == before
        assert_whole(out)
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(out)], check=True)
    result = congxa(repo, out)
    assert result.returncode == 0 and "built 1" in result.stdout


@pytest.mark.parametrize(
    "unreadable",
    [
        "content/ha_noi/xa_soc_son",  # the unit's content folder
        "content/ha_noi/xa_soc_son/thong-bao",  # one section's folder
        "content/ha_noi/xa_soc_son/thong-bao/canh-bao-nguy-co-chay-rung-mua-kho.md",  # one post
        "communes/ha_noi/xa_soc_son.yml",  # the commune file
    ],
)
def test_unreadable_input_fails_its_unit_never_silently(repo: Path, unreadable: str) -> None:
    needs_file_modes()
    out = repo.parent / "public"
    target = repo / unreadable
    assert target.exists(), "the demo changed: pick another file"
    assert congxa(repo, out).returncode == 0
    before = published(out)
    add_post(repo, "phuong_cua_nam", "moi.md", post(title="Tin mới nhất", day="2026-11-28"))
    target.chmod(0)
    try:
        result = congxa(repo, out, as_user=True)
    finally:
        target.chmod(0o755 if target.is_dir() else 0o644)
    assert result.returncode == 1, result.stderr
    assert "Không đọc được" in result.stderr and "xa_soc_son" in result.stderr
    assert "permission denied" in result.stderr.lower()
    assert "built 1" in result.stdout and "failed 1" in result.stdout
    assert published(out)["xa_soc_son"] == before["xa_soc_son"]
    assert_whole(out)


# -- one build at a time; a killed main process ------------------------------------------------


def test_a_second_build_on_the_same_output_is_refused(repo: Path) -> None:
    out = repo.parent / "public"
    more_posts(repo, 60)
    assert congxa(repo, out).returncode == 0
    for unit in UNITS:
        add_post(repo, unit, "moi.md", post(title="Tin mới nhất", day="2026-11-28"))
    full = subprocess.Popen(
        command(repo, out, "--force", "-j", "1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list((out / "ha_noi/.congxa/staging").glob("*")):
            time.sleep(0.01)
        time.sleep(0.3)
        add_post(repo, "xa_soc_son", "khac.md", post(title="Tin thứ hai", day="2026-11-28"))
        one = congxa(repo, out, str(repo / "communes/ha_noi/xa_soc_son.yml"))
        assert full.poll() is None, "the first build ended too soon to test the lock"
        assert one.returncode == 2, one.stderr
        assert "Một lần dựng khác đang chạy" in one.stderr and str(full.pid) in one.stderr
    finally:
        _, err = full.communicate(timeout=300)
    assert full.returncode == 0, err
    assert_whole(out)
    again = congxa(repo, out, str(repo / "communes/ha_noi/xa_soc_son.yml"))
    assert again.returncode == 0 and "built 1" in again.stdout
    assert "Tin thứ hai" in (out / "ha_noi/xa_soc_son/index.html").read_text()
    final = congxa(repo, out)
    assert "unchanged 4" in final.stdout
    assert_whole(out)


def test_lock_is_held_for_the_whole_output(repo: Path) -> None:
    project = Project.discover(repo, TODAY)
    out = repo.parent / "public"
    with OutputLock(OutputLayout.at(out)), pytest.raises(OutputError) as caught:
        build_many(project, project.unit_files(), out)
    assert "Một lần dựng khác đang chạy" in caught.value.problems[0].message
    assert not (out / "ha_noi").exists()
    assert not build_many(project, project.unit_files(), out).failed  # released


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def consistent_province(out: Path) -> None:
    """units.json says what every published unit's manifest says."""
    units = {u["code"]: u for u in json.loads((out / "ha_noi/units.json").read_text())["units"]}
    for unit in UNITS:
        manifest = json.loads((out / "ha_noi" / unit / "site.json").read_text())
        entry = units[manifest["code"]]
        assert (entry["posts"], entry["updated"]) == (manifest["posts"], manifest["updated"])
    assert (out / "ha_noi/nginx.conf").is_file()


def test_kill_9_of_the_main_process_stops_its_workers(repo: Path) -> None:
    out = repo.parent / "public"
    more_posts(repo, 60)
    assert congxa(repo, out).returncode == 0
    first = published(out)
    for unit in UNITS:
        add_post(repo, unit, "moi.md", post(title="Tin mới nhất", day="2026-11-28"))
    process = subprocess.Popen(
        command(repo, out, "-j", "2"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        workers |= children(process.pid)
        if workers and any(published(out)[u] != first[u] for u in UNITS):
            break
        time.sleep(0.01)
    assert workers, "no worker process seen"
    os.kill(process.pid, signal.SIGKILL)  # the main process only, not its group
    process.wait()
    stop = time.monotonic() + 5
    while time.monotonic() < stop and any(alive(w) for w in workers):
        time.sleep(0.05)
    assert not [w for w in workers if alive(w)], "workers outlived the main process"
    middle = published(out)
    time.sleep(1)
    assert published(out) == middle  # nothing publishes any more
    assert_whole(out)

    result = congxa(repo, out)
    assert result.returncode == 0, result.stderr
    assert all(published(out)[u] != first[u] for u in UNITS)
    consistent_province(out)


def test_province_outputs_follow_units_published_by_a_killed_run(repo: Path) -> None:
    """A run killed after publishing its last unit but before the province step: the
    next run, with every unit current, still brings the province outputs up to date."""
    out = repo.parent / "public"
    assert congxa(repo, out).returncode == 0
    province = out / "ha_noi"
    # What the province step writes: the files beside the units, feeds/, and its stamp.
    made = [p for p in province.iterdir() if p.is_file() and not p.is_symlink()]
    made += [*(province / "feeds").rglob("*"), province / ".congxa/province.sha256"]
    province_files = {p: p.read_bytes() for p in made if p.is_file()}
    assert province / "units.json" in province_files
    add_post(repo, "xa_soc_son", "moi.md", post(title="Tin mới nhất", day="2026-11-28"))
    assert congxa(repo, out).returncode == 0
    for path, data in province_files.items():  # as the killed run left them
        path.write_bytes(data)
    result = congxa(repo, out)
    assert result.returncode == 0 and "unchanged 4" in result.stdout
    consistent_province(out)
