"""`congxa serve` request hygiene: only this machine's names in `Host`, bad paths get 400."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from conftest import TODAY, UNIT_YML, post

from generator.clerk.preview import Preview
from generator.source.project import Project


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    root = tmp_path_factory.mktemp("preview")
    unit_file = root / "communes" / "ha_noi" / "phuong_hoan_kiem.yml"
    unit_file.parent.mkdir(parents=True)
    unit_file.write_text(UNIT_YML, encoding="utf-8")
    target = root / "content" / "ha_noi" / "phuong_hoan_kiem" / "thong-bao" / "lich-hop.md"
    target.parent.mkdir(parents=True)
    target.write_text(post(body="Họp lúc 8 giờ sáng."), encoding="utf-8")
    project = Project.discover(root, TODAY)
    running = Preview(project, project.unit_files()[0], port=0, debounce=0.1, echo=lambda _: None)
    running.start()
    yield running
    running.stop()


def raw(preview: Preview, request: bytes) -> tuple[int, bytes]:
    """Send bytes as they are (no client library tidies them) and read the status line."""
    port = int(preview.url.rsplit(":", 1)[1].rstrip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer


def get(preview: Preview, target: str, host: str | None = "<self>") -> int:
    port = preview.url.rsplit(":", 1)[1].rstrip("/")
    lines = [f"GET {target} HTTP/1.1"]
    if host is not None:
        lines.append(
            "Host: " + (f"127.0.0.1:{port}" if host == "<self>" else host.format(port=port))
        )
    lines += ["Connection: close", "", ""]
    return raw(preview, "\r\n".join(lines).encode("latin-1"))[0]


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST:{port}", "localhost"],
)
def test_loopback_names_are_served(preview: Preview, host: str) -> None:
    assert get(preview, "/", host) == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1.nip.io:{port}",
        "10.0.0.1:{port}",
        "localhost:1",
        "",
    ],
)
def test_other_hosts_are_refused(preview: Preview, host: str) -> None:
    assert get(preview, "/", host) in (400, 421)


def test_a_request_without_host_is_refused(preview: Preview) -> None:
    assert get(preview, "/", None) == 400


@pytest.mark.parametrize(
    "target",
    [
        "/%00",
        "/thong-bao/%00x",
        "/%ff%fe",
        "/a%0d%0aSet-Cookie:x",
        "/%5c..%5c",
        "http://evil.example/",
        "*",
    ],
)
def test_bad_paths_get_400(
    preview: Preview, target: str, capfd: pytest.CaptureFixture[str]
) -> None:
    assert get(preview, target) == 400
    assert "Traceback" not in capfd.readouterr().err
    assert get(preview, "/") == 200  # and the server still serves
