"""`congxa serve`: a real server on 127.0.0.1, real builds, real file saves."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import REPO, TODAY, UNIT_YML, post

from generator.clerk.preview import BuildState, Preview
from generator.clerk.preview_server import inject
from generator.errors import ConfigError
from generator.publish.build import render, write_outputs
from generator.site.config import config_dict
from generator.source.essential import categories, priorities
from generator.source.project import Project

Mini = Callable[..., Project]
POST = "content/ha_noi/phuong_hoan_kiem/thong-bao/lich-hop.md"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def wait_until(check: Callable[[], bool], seconds: float = 3.0) -> float:
    """Poll `check` until it holds; the time it took (fails after `seconds`)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, "timed out"
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.fixture
def preview(mini: Mini) -> Iterator[Preview]:
    project = mini(posts={"thong-bao/lich-hop.md": post(body="Họp lúc 8 giờ sáng.")})
    lines: list[str] = []
    running = Preview(project, project.unit_files()[0], port=0, echo=lines.append)
    running.lines = lines  # type: ignore[attr-defined]
    running.start()
    yield running
    running.stop()


def save(preview: Preview, text: str) -> None:
    (preview.project.root / POST).write_text(text, encoding="utf-8")


def page(preview: Preview) -> str:
    return get(preview.url + "thong-bao/lich-hop/")[1]


def test_a_save_is_served_within_3_seconds(preview: Preview) -> None:
    assert "Họp lúc 8 giờ sáng." in page(preview)
    save(preview, post(body="Họp lúc 14 giờ chiều."))
    took = wait_until(lambda: "Họp lúc 14 giờ chiều." in page(preview))
    assert took < 3
    assert any("Đã dựng trang" in line for line in preview.lines)  # type: ignore[attr-defined]


def test_a_broken_save_keeps_the_last_good_build(preview: Preview) -> None:
    save(preview, "---\ntitle: [Thông báo\ndate: 2026-11-20\n---\nHọp lúc 9 giờ.\n")
    wait_until(lambda: not preview.state.ok)
    status, html = get(preview.url + "thong-bao/lich-hop/")
    assert status == 200 and "Họp lúc 8 giờ sáng." in html  # the old page
    assert 'id="congxa-preview-error"' in html and f"<code>{POST}:3</code>" in html
    assert "YAML syntax error" in html and "Cách sửa" in html
    terminal = "\n".join(preview.lines)  # type: ignore[attr-defined]
    assert "lich-hop.md:3: lỗi (error)" in terminal and "kept the last good build" in terminal
    status_json = json.loads(get(preview.url + "__congxa/status")[1])
    assert status_json["ok"] is False and status_json["problems"][0]["line"] == 3
    # Fixing the file brings the new text and drops the banner.
    save(preview, post(body="Họp lúc 9 giờ."))
    wait_until(lambda: "Họp lúc 9 giờ." in page(preview))
    assert "congxa-preview-error" not in page(preview)


def test_the_reload_signal_reaches_a_connected_client(preview: Preview) -> None:
    port = int(preview.url.rsplit(":", 1)[1].strip("/"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/__congxa/events")
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("text/event-stream")

    def next_event() -> tuple[str, str]:
        fields: dict[str, str] = {}
        while True:
            line = response.fp.readline().decode().rstrip("\n")
            if not line:
                if "event" in fields:
                    return fields["event"], fields.get("data", "")
                continue
            key, _, value = line.partition(": ")
            fields[key] = value

    first = next_event()
    assert first == ("reload", str(preview.state.generation))
    start = time.monotonic()
    save(preview, post(body="Đã đổi giờ họp."))
    assert next_event() == ("reload", str(int(first[1]) + 1))
    assert time.monotonic() - start < 3
    conn.close()


def test_pages_carry_the_reload_script_only_when_served(preview: Preview) -> None:
    html = get(preview.url)[1]
    assert 'id="congxa-preview"' in html and "/__congxa/events" in html
    state = preview.state
    assert state.site_dir is not None
    on_disk = (state.site_dir / "index.html").read_text(encoding="utf-8")
    assert "congxa-preview" not in on_disk and "EventSource" not in on_disk


def test_urls_are_served_like_a_web_server(preview: Preview) -> None:
    assert get(preview.url + "feeds/rss.xml")[0] == 200
    status, html = get(preview.url + "khong-co/")
    assert status == 404 and 'id="congxa-preview"' in html
    conn = http.client.HTTPConnection("127.0.0.1", int(preview.url.rsplit(":", 1)[1][:-1]))
    conn.request("GET", "/thong-bao")
    response = conn.getresponse()
    assert (response.status, response.getheader("Location")) == (301, "/thong-bao/")
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", int(preview.url.rsplit(":", 1)[1][:-1]))
    conn.request("GET", "/../../../etc/passwd")
    assert conn.getresponse().status == 404
    conn.close()


def test_what_the_watcher_reacts_to(preview: Preview) -> None:
    root = preview.project.root
    assert preview.relevant(root / POST)
    assert preview.relevant(root / "communes/ha_noi/phuong_hoan_kiem.yml")
    assert preview.relevant(root / "content/ha_noi/_province/thong-bao/x.md")
    assert not preview.relevant(root / "content/ha_noi/phuong_khac/thong-bao/x.md")
    assert not preview.relevant(root / "communes/ha_noi/phuong_khac.yml")
    assert not preview.relevant(root / "content/ha_noi/phuong_hoan_kiem/thong-bao/.x.md.swp")
    assert not preview.relevant(root / "content/ha_noi/phuong_hoan_kiem/thong-bao/x.md~")
    watched = dict(preview.watched())
    assert watched[root / "communes/ha_noi"] is False
    # Each tree is watched once: a folder inside a watched tree would report twice.
    trees = [folder for folder, recursive in watched.items() if recursive]
    assert not [(a, b) for a in trees for b in trees if a != b and a.is_relative_to(b)]
    assert root / "content/ha_noi/phuong_hoan_kiem" not in watched  # inside content/ha_noi
    # Nor is a single folder watched inside a watched tree (watchdog warns of it).
    assert not [
        f
        for f, recursive in watched.items()
        if not recursive and any(f.is_relative_to(tree) for tree in trees)
    ]


def test_a_unit_without_content_yet_watches_each_folder_once(mini: Mini) -> None:
    """No content folder yet: the nearest existing folder, the project, is watched as a
    tree, and the folders inside it are not watched a second time on their own."""
    project = mini()  # a unit file and no post
    preview = Preview(project, project.root / UNIT, port=0, echo=lambda line: None)
    watched = preview.watched()
    trees = [folder for folder, recursive in watched if recursive]
    assert project.root in trees
    assert not [
        f
        for f, recursive in watched
        if not recursive and any(f.is_relative_to(tree) for tree in trees)
    ]


def test_a_taken_port_is_a_clear_error(preview: Preview) -> None:
    port = int(preview.url.rsplit(":", 1)[1][:-1])
    other = Preview(preview.project, preview.unit_file, port=port, echo=lambda line: None)
    with pytest.raises(ConfigError) as caught:
        other.start()
    other.stop()
    assert "port unavailable" in caught.value.problems[0].message
    assert f"--port {port + 1}" in (caught.value.problems[0].hint or "")


def test_a_unit_broken_from_the_start_still_serves_the_error(mini: Mini) -> None:
    project = mini(unit_yml='code: "00070"\n')
    lines: list[str] = []
    running = Preview(project, project.unit_files()[0], port=0, echo=lines.append)
    running.start()
    try:
        status, html = get(running.url)
        assert status == 503 and 'id="congxa-preview-error"' in html
        assert "site_url" in html and "Chưa có bản dựng nào thành công" in html
        assert any("no good build yet" in line for line in lines)
    finally:
        running.stop()


def test_cli_serve_stops_cleanly_on_ctrl_c(mini: Mini) -> None:
    project = mini(posts={"thong-bao/lich-hop.md": post()})
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from generator.cli import main; main()",
            "serve",
            "communes/ha_noi/phuong_hoan_kiem.yml",
            "--port",
            "0",
            "--today",
            "2026-11-29",
        ],
        cwd=project.root,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stderr is not None
        lines = []
        while not lines or "preview at" not in lines[-1]:
            line = process.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        url = lines[-1].split("preview at) ", 1)[1].split(" ", 1)[0]
        assert "Phường Hoàn Kiếm" in get(url)[1]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        rest = process.stderr.read()
        assert "Đã dừng xem trước (preview stopped)." in rest and "Traceback" not in rest
    finally:
        if process.poll() is None:
            process.kill()


# -- incremental rebuilds ------------------------------------------------------------------

UNIT = "communes/ha_noi/phuong_hoan_kiem.yml"
CONTENT = "content/ha_noi/phuong_hoan_kiem"


def replace(path: Path, text: str) -> None:
    """Save as editors that write a temporary file and rename it over the real one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def rewrite(path: Path) -> None:
    """Change a file in place, keeping its size and modification time."""
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"1", b"2"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def full_build(project: Project, unit_file: Path, target: Path) -> Path:
    """What `congxa build` writes for the same input, built from scratch."""
    site = project.load_site(unit_file)
    render(site, target, project)
    write_outputs(site, target)
    return target


def settings(project: Project, unit_file: Path) -> str:
    """The MkDocs configuration of the unit: what every page prints."""
    site = project.load_site(unit_file)
    return json.dumps(config_dict(site, Path("site"), Path("docs")), sort_keys=True, default=str)


def saved(preview: Preview, change: Callable[[], None]) -> BuildState:
    """Make a change on disk and wait for the preview's rebuild of it."""
    before = preview.state.generation
    change()
    state = preview.wait_for_change(before, 30)
    assert state.generation != before, "no rebuild after the change"
    return state


def essential_post() -> str:
    category = min(categories())
    priority = min(priorities())
    return post(
        title="Cảnh báo mưa lớn",
        day="2026-11-28",
        extra=f"essential:\n  category: {category}\n  priority: {priority}\n"
        "  expires: 2026-12-31\n",
    )


def test_incremental_rebuilds_equal_a_full_build(mini: Mini, tmp_path: Path) -> None:
    posts = {
        f"{section}/bai-{n}.md": post(title=f"Bài {n} {section}", day=f"2026-11-{10 + n:02d}")
        for n in range(4)
        for section in ("thong-bao", "tin-tuc")
    }
    posts["thong-bao/bai-0.md"] = post(
        title="Bài 0 thong-bao",
        body="Xem [bài 1](bai-1.md), [tin](../tin-tuc/bai-3.md) và [mẫu](../files/bieu-mau.txt).",
    )
    posts["files/bieu-mau.txt"] = "Mẫu đơn, bản 1.\n"
    project = mini(posts=posts)
    (project.root / "themes/overrides").mkdir(parents=True)  # the province's theme
    project = Project.discover(project.root, TODAY)
    assert project.theme_dir is not None
    theme = project.theme_dir
    unit_file = project.root / UNIT
    content = project.root / CONTENT
    running = Preview(project, unit_file, port=0, echo=lambda line: None)
    running.start()
    pages = len(running.renderer._pages)
    edits: list[tuple[str, Callable[[], None], str]] = [
        (
            "body edit",
            lambda: replace(
                content / "tin-tuc/bai-2.md",
                post(title="Bài 2 tin-tuc", day="2026-11-12", body="Nội dung mới."),
            ),
            "part",
        ),
        (
            "title edit",
            lambda: replace(
                content / "thong-bao/bai-2.md", post(title="Tiêu đề đã sửa", day="2026-11-12")
            ),
            "part",
        ),
        (
            "new post",
            lambda: replace(
                content / "tin-tuc/bai-moi.md", post(title="Bài mới", day="2026-11-27")
            ),
            "part",
        ),
        ("deleted post", lambda: (content / "thong-bao/bai-1.md").unlink(), "part"),
        # Same size, in place: only the file's change time tells.
        ("attachment rewritten", lambda: rewrite(content / "files/bieu-mau.txt"), "none"),
        (
            "draft toggled",
            lambda: replace(
                content / "tin-tuc/bai-3.md",
                post(title="Bài 3 tin-tuc", day="2026-11-13", extra="draft: true\n"),
            ),
            "part",
        ),
        (
            "essential item added",
            lambda: replace(content / "thong-bao/canh-bao.md", essential_post()),
            "part, or all where every page prints it",
        ),
        (
            "unit file edited",
            lambda: replace(unit_file, UNIT_YML.replace("3825 0000", "3825 1111")),
            "all",
        ),
        (
            "province theme file added",
            lambda: replace(
                theme / "partials/copyright.html",
                '<div class="md-copyright">{{ config.copyright }} · Sở TT&TT</div>\n',
            ),
            "all",
        ),
        (
            "body edit after the unit file",
            lambda: replace(content / "tin-tuc/bai-0.md", post(body="Sau.")),
            "part",
        ),
    ]
    try:
        for number, (kind, change, rendered) in enumerate(edits):
            before = settings(project, unit_file)
            state = saved(running, change)
            assert state.ok and state.site_dir is not None, (kind, state.problems)
            stats = running.renderer.stats
            expected = full_build(project, unit_file, tmp_path / f"full-{number}" / "site")
            assert tree(state.site_dir) == tree(expected), kind
            # What the server sends is that build, with only the reload script added.
            for url in (
                "",
                "thong-bao/",
                "tin-tuc/bai-2/",
                "feeds/rss.xml",
                "site.json",
                "files/bieu-mau.txt",
            ):
                body = urllib.request.urlopen(running.url + url, timeout=5).read()
                on_disk = (
                    (expected / url / "index.html")
                    if url.endswith("/") or not url
                    else expected / url
                )
                want = on_disk.read_bytes()
                if on_disk.suffix == ".html":
                    want = inject(want, state, project.root)
                assert body == want, (kind, url)
            # Only what the change touched was rendered again; or every page when every
            # page prints what changed.
            if rendered.startswith("part, or all"):
                # Where the site's settings carry essential items (an alert banner on
                # every page), every page depends on them.
                rendered = "all" if settings(project, unit_file) != before else "part"
            if rendered == "part":
                assert not stats.full and 0 < stats.rendered < pages, (kind, stats)
            elif rendered == "none":
                assert not stats.full and stats.rendered == 0, (kind, stats)
            else:
                assert stats.full and stats.reused == 0, (kind, stats)
    finally:
        running.stop()


def test_a_broken_save_then_a_fix_rebuild_like_a_full_build(mini: Mini, tmp_path: Path) -> None:
    project = mini(posts={"thong-bao/lich-hop.md": post(), "tin-tuc/tin.md": post(title="Tin")})
    unit_file = project.root / UNIT
    target = project.root / POST
    running = Preview(project, unit_file, port=0, echo=lambda line: None)
    running.start()
    try:
        good = running.state.site_dir
        state = saved(running, lambda: replace(target, "---\ntitle: [Hỏng\n---\nx\n"))
        assert not state.ok and state.site_dir == good
        assert 'id="congxa-preview-error"' in page(running) and "Nội dung bài viết." in page(
            running
        )
        state = saved(running, lambda: replace(target, post(body="Đã sửa xong.")))
        assert state.ok and state.site_dir is not None and state.site_dir != good
        expected = full_build(project, unit_file, tmp_path / "full" / "site")
        assert tree(state.site_dir) == tree(expected)
        assert running.renderer.stats.rendered < len(running.renderer._pages)
    finally:
        running.stop()


def test_the_reload_event_follows_the_rebuild_at_once(preview: Preview) -> None:
    port = int(preview.url.rsplit(":", 1)[1].strip("/"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/__congxa/events")
    response = conn.getresponse()
    generation = preview.state.generation
    while not response.fp.readline().startswith(b"data: "):
        pass  # the event a page gets on connecting
    replace(preview.project.root / POST, post(body="Đổi giờ họp lần nữa."))
    while not response.fp.readline().startswith(b"event: reload"):
        pass
    arrived = time.monotonic()
    state = preview.state
    assert state.generation == generation + 1 and state.ok
    # Sent as the build ended: no waiting step between the two.
    assert 0 <= arrived - state.finished < 0.25
    conn.close()


def test_a_save_by_rename_is_seen_at_once(preview: Preview) -> None:
    seen = preview._last_event
    start = time.monotonic()
    replace(preview.project.root / POST, post(body="Lưu bằng cách đổi tên tệp."))
    wait_until(lambda: preview._last_event != seen, 5)
    assert preview._last_event - start < 0.4
    # watchdog's inotify emitter would hold the first half of a rename for 0.5 s whenever
    # its reader thread reaches it before the second half: the preview's does not.
    observer = preview._observer
    assert observer is not None
    emitters = list(observer.emitters)
    assert emitters
    for emitter in emitters:
        group = getattr(emitter, "_inotify", None)
        if group is not None:  # Linux
            assert group._move_event_grouper._queue.delay <= 0.05


def test_a_fault_of_the_incremental_renderer_falls_back_to_a_full_build(
    preview: Preview, tmp_path: Path
) -> None:
    def broken(*args: object) -> int:
        raise RuntimeError("incremental renderer fault")

    preview.renderer.render = broken  # type: ignore[method-assign]
    state = saved(preview, lambda: replace(preview.project.root / POST, post(body="Dự phòng.")))
    assert state.ok and state.site_dir is not None
    expected = full_build(preview.project, preview.unit_file, tmp_path / "full" / "site")
    assert tree(state.site_dir) == tree(expected)
    assert "Dự phòng." in page(preview)


def test_a_file_replaced_by_a_link_out_is_rebuilt_and_refused(preview: Preview) -> None:
    """Replacing a file the unit publishes with a symbolic link out of the content folder
    is a change of this unit: the preview rebuilds, shows the refusal and keeps serving the
    last good file, never the link's target."""
    files = preview.project.root / "content/ha_noi/phuong_hoan_kiem/files"
    files.mkdir()
    (files / "ke-hoach.pdf").write_bytes(b"%PDF-1.4 ke hoach\n")
    save(preview, post(extra="attachments:\n  - file: ../files/ke-hoach.pdf\n"))
    wait_until(lambda: get(preview.url + "files/ke-hoach.pdf")[0] == 200)
    generation = preview.state.generation
    (files / "ke-hoach.pdf").unlink()
    (files / "ke-hoach.pdf").symlink_to("/etc/passwd")
    wait_until(lambda: preview.state.generation > generation)
    assert not preview.state.ok
    assert any("/etc/passwd" in p.message for p in preview.state.problems)
    status, body = get(preview.url + "files/ke-hoach.pdf")
    assert status == 200 and body == "%PDF-1.4 ke hoach\n"
