"""No field runs script, navigates or adds an element (issue 17, class 2), in Chromium.

Every text field the loaders read is found by watching them read (not from a hand-made
list): `Fields.get` is observed while a commune file and a post are loaded, and containers
the loader asks for are filled until no new field appears. Each field then gets each
payload of a battery (closing `<title>`, breaking out of double and single quotes, a
`<meta http-equiv="refresh">`, Markdown links and attributes, character references,
line breaks). A field whose rules refuse the payload gets it after a valid value
("a@b.vn <payload>"), and if that is refused too it must be refused with file and line.

One unit per payload is built, served by nginx with congxa's configuration, and every page
where fields appear is visited in Debian's Chromium with and without the CSP: nothing may
call `__pwn`, show a dialog, navigate, request another host, trip the CSP, or leave an
element marked `data-pwn`, a `javascript:` URL, or a meta refresh, base, frame or object.
Uploaded pages, scripts and SVG placed in a published folder (class 4) are downloaded,
refused, or inert under their sandboxing CSP.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import CongxaError
from generator.publish.bulk import build_many
from generator.publish.nginx import write_nginx_conf
from generator.source import fields as fields_module
from generator.source.commune import load_unit_with_warnings
from generator.source.posts import load_post, split_front_matter
from generator.source.project import Project
from tests.browser.test_browser import CHROMIUM, HERE, REPO, missing
from tests.conftest import TODAY
from tests.nginx_runner import nginx_binary, running_nginx

PAYLOADS = [
    (
        '</title><script data-pwn>__pwn("title")</script>'
        '<meta data-pwn http-equiv="refresh" content="0;url=https://evil.example/">'
    ),
    (
        '"><img data-pwn src=x onerror="__pwn(\'dq\')"><base data-pwn href="https://evil.example/">'
        '<meta data-pwn http-equiv="refresh" content="0;url=https://evil.example/">'
    ),
    (
        "'><svg data-pwn onload=__pwn('sq')></svg><iframe data-pwn "
        "srcdoc=\"<script>parent.__pwn('frame')</script>\"></iframe>"
    ),
    (
        "[x](javascript:__pwn('md')) ![i](x){: data-pwn onerror=\"__pwn('attr')\"} "
        '<a data-pwn href="javascript:__pwn(\'a\')">y</a> *e* {: #z data-pwn onclick="__pwn(1)" }'
    ),
    (
        "&lt;img data-pwn src=x onerror=__pwn('ent')&gt; &#60;script data-pwn&#62;__pwn('ent2')"
        "&#60;/script&#62; {{ 7*7 }}\n\n<script data-pwn>__pwn('nl')</script>\n\n"
        "<style>*{background:url(https://evil.example/)}</style>"
    ),
]
UNIT_FILE = REPO / "communes" / "ha_noi" / "phuong_hoan_kiem.yml"
DEMO_CONTENT = REPO / "content" / "ha_noi"
SECTION = "van-ban"
PAGES = ["", f"{SECTION}/", "lien-he/", "gioi-thieu/", "en/", "thong-tin-thiet-yeu/"]
# Uploaded pages and scripts (class 4), put straight into a published folder: whatever
# reaches it, the server must not let them run. Path -> what the browser must see.
UPLOAD_PAGE = (
    '<script src="x.js"></script><meta http-equiv="refresh" content="0;url=https://evil.example/">'
    "<img src=x onerror=__pwn('upload-inline')>"
)
UPLOAD_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" onload="__pwn(\'svg\')">'
    "<script>__pwn('svg-script')</script></svg>"
)
# An SVG outside the theme is served as an image, inert by its sandboxing CSP alone: with
# the CSP bypassed it may run, so it is judged with the CSP only.
CSP_ONLY = f"{SECTION}/hinh.svg"
UPLOADS: dict[str, tuple[str, int | str]] = {
    "files/trang.html": (UPLOAD_PAGE, "download"),
    "files/x.js": ("__pwn('upload-js')", "download"),
    "files/hinh.svg": (UPLOAD_SVG, "download"),
    f"{SECTION}/trang.html": (UPLOAD_PAGE, 404),
    f"{SECTION}/x.js": ("__pwn('upload-js')", 404),
    CSP_ONLY: (UPLOAD_SVG, 200),
}
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    return [int(i) if i else name for name, i in _TOKEN.findall(path)]


def get_path(doc: Any, path: str) -> Any:
    for part in _parts(path):
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return None
    return doc


def set_path(doc: Any, path: str, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    parts = _parts(path)
    node = doc
    for part, following in itertools.pairwise(parts):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            while len(node) <= part:
                node.append(copy.deepcopy(empty))
        elif not isinstance(node.get(part), (dict, list)):
            node[part] = empty
        node = node[part]
    last = parts[-1]
    if value is None:
        if isinstance(node, dict):
            node.pop(last, None)
    elif isinstance(last, int):
        while len(node) <= last:
            node.append(None)
        node[last] = value
    else:
        node[last] = value
    return doc


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """path → value of every scalar, the first item of each list standing for all."""
    found: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            found.update(flatten(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}"))
    elif isinstance(data, list) and data:
        found.update(flatten(data[0], f"{prefix}[0]"))
    elif not isinstance(data, (dict, list)):
        found[prefix] = data
    return found


Loader = Callable[[dict[str, Any]], list[Any]]  # document -> error problems


def discover(load: Loader, doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text field `load` reads, by watching it read; containers filled until stable."""
    original = fields_module.Fields.get
    calls: list[tuple[str, type]] = []

    def spy(self: Any, data: Any, key: str, kind: type, **kw: Any) -> Any:
        calls.append((kw.get("prefix", "") + key, kind))
        return original(self, data, key, kind, **kw)

    monkeypatch.setattr(fields_module.Fields, "get", spy)
    try:
        while True:
            calls.clear()
            load(doc)
            grown = False
            for name, kind in calls:
                if kind in (dict, list) and not isinstance(get_path(doc, name), (dict, list)):
                    doc = set_path(doc, name, {} if kind is dict else [{}])
                    grown = True
            if not grown:
                return sorted({name for name, kind in calls if kind is str})
    finally:
        monkeypatch.setattr(fields_module.Fields, "get", original)


def hostile(
    load: Loader, doc: dict[str, Any], names: list[str], payload: str, examples: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """`doc` with `payload` in every field that accepts it, and the refusals of the others."""
    refused: dict[str, list[Any]] = {}
    result = doc
    for name in names:
        example = examples.get(name)
        candidates = [payload] + ([f"{example} {payload}"] if example is not None else [])
        for candidate in candidates:
            problems = load(set_path(doc, name, candidate))
            if not problems:
                result = set_path(result, name, candidate)
                break
            refused.setdefault(name, problems)
        else:
            # Refused: keep the valid value, or leave the field out when it is optional.
            if not load(set_path(result, name, None)):
                result = set_path(result, name, None)
    return result, refused


class Scratch:
    """Files for trial loads, inside a folder shaped like a project."""

    def __init__(self, root: Path, project: Project) -> None:
        self.root = root
        self.project = project
        (root / "communes" / "ha_noi").mkdir(parents=True, exist_ok=True)
        self.unit_dir = root / "content" / "ha_noi" / "phuong_hoan_kiem"
        shutil.copytree(DEMO_CONTENT / "phuong_hoan_kiem" / "files", self.unit_dir / "files")
        (self.unit_dir / SECTION).mkdir(parents=True, exist_ok=True)

    def load_unit(self, doc: dict[str, Any]) -> list[Any]:
        path = self.root / "communes" / "ha_noi" / "phuong_hoan_kiem.yml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        try:
            load_unit_with_warnings(path, self.project.registry)
        except CongxaError as exc:
            return [p for p in exc.problems if p.severity == "error"]
        return []

    def load_post(self, doc: dict[str, Any], body: str = "Nội dung.") -> list[Any]:
        path = self.unit_dir / SECTION / "bai.md"
        path.write_text(post_text(doc, body), encoding="utf-8")
        try:
            load_post(path, self.unit_dir, self.project.profile)
        except CongxaError as exc:
            return [p for p in exc.problems if p.severity == "error"]
        return []


def post_text(doc: dict[str, Any], body: str) -> str:
    front = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n{body}\n"


def trimmed(data: Any) -> Any:
    """The same fields with one item per list and short texts: quick trial loads."""
    if isinstance(data, dict):
        return {key: trimmed(value) for key, value in data.items()}
    if isinstance(data, list):
        return [trimmed(data[0])] if data else []
    if isinstance(data, str) and len(data) > 60:
        return data[:60].rsplit(" ", 1)[0]
    return data


def demo_front_matter() -> dict[str, Any]:
    """Every front-matter field the demo posts use, with the first value found."""
    merged: dict[str, Any] = {}
    for path in sorted((DEMO_CONTENT / "phuong_hoan_kiem").glob("*/*.md")):
        text = path.read_text(encoding="utf-8")
        front, _, _ = split_front_matter(text, path)
        data = yaml.safe_load(front) or {}
        for name, value in flatten(data).items():
            if get_path(merged, name) is None and value is not None:
                merged = set_path(
                    merged, name, str(value) if not isinstance(value, bool) else value
                )
    merged = trimmed(merged)
    merged.pop("draft", None)
    merged["date"] = TODAY.isoformat()
    if "essential" in merged:
        merged["essential"]["expires"] = "2099-12-31"
    return merged


@pytest.fixture(scope="module")
def hostile_site(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[str], dict[str, dict[str, list[Any]]], int, list[str]]]:
    if nginx_binary() is None:
        missing("nginx is not installed (apt-get install nginx)")
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("inject")
    project = Project.discover(root, TODAY)
    scratch = Scratch(tmp_path_factory.mktemp("trial"), project)
    unit_doc = trimmed(yaml.safe_load(UNIT_FILE.read_text(encoding="utf-8")))
    post_doc = demo_front_matter()
    unit_fields = discover(scratch.load_unit, unit_doc, monkeypatch)
    post_fields = discover(scratch.load_post, post_doc, monkeypatch)
    assert scratch.load_unit(unit_doc) == [] and scratch.load_post(post_doc) == []
    unit_examples, post_examples = flatten(unit_doc), flatten(post_doc)
    codes = [u.code for u in project.registry.units_of("01") if u.code != "00070"]
    refusals: dict[str, dict[str, list[Any]]] = {}
    hosts = []
    for index, payload in enumerate(PAYLOADS):
        unit, refused_unit = hostile(
            scratch.load_unit, unit_doc, unit_fields, payload, unit_examples
        )
        front, refused_post = hostile(
            scratch.load_post, post_doc, post_fields, payload, post_examples
        )
        refusals[f"{index}:commune"] = refused_unit
        refusals[f"{index}:post"] = refused_post
        host = f"donvi{index}.example.gov.vn"
        hosts.append(host)
        unit.update(code=codes[index], site_url=f"https://{host}/")
        unit.pop("name", None)
        unit.pop("type", None)
        name = f"don_vi_{index}"
        (root / "communes" / "ha_noi").mkdir(parents=True, exist_ok=True)
        (root / "communes" / "ha_noi" / f"{name}.yml").write_text(
            yaml.safe_dump(unit, allow_unicode=True), encoding="utf-8"
        )
        content = root / "content" / "ha_noi" / name
        shutil.copytree(DEMO_CONTENT / "phuong_hoan_kiem" / "files", content / "files")
        (content / SECTION).mkdir(parents=True)
        (content / SECTION / "bai.md").write_text(post_text(front, payload), encoding="utf-8")
    fields = [f"commune:{n}" for n in unit_fields] + [f"post:{n}" for n in post_fields]
    out = root / "public"
    summary = build_many(project, project.unit_files(), out, jobs=2)
    assert not summary.failed, [p.format() for r in summary.failed for p in r.problems]
    port = free_port()
    conf = write_nginx_conf(project, out, "ha_noi", listen=f"127.0.0.1:{port}", tls=None)
    urls = []
    for index, host in enumerate(hosts):
        site = out / "ha_noi" / f"don_vi_{index}"
        posts = sorted(p.parent.name for p in (site / SECTION).glob("*/index.html"))
        paths = PAGES + [f"{SECTION}/{slug}/" for slug in posts] + ["khong-co-trang-nay/"]
        urls += [f"http://{host}:{port}/{p}" for p in paths]
    urls.append(f"http://example.gov.vn:{port}/")
    uploads_site = (out / "ha_noi" / "don_vi_0").resolve()
    for rel, (content, _) in UPLOADS.items():
        (uploads_site / rel).parent.mkdir(parents=True, exist_ok=True)
        (uploads_site / rel).write_text(content, encoding="utf-8")
        urls.append(f"http://{hosts[0]}:{port}/{rel}")
    with running_nginx(conf, tmp_path_factory.mktemp("nginx"), port):
        yield fields, refusals, port, urls
    monkeypatch.undo()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def visits(
    hostile_site: tuple[list[str], dict[str, dict[str, list[Any]]], int, list[str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, list[dict[str, Any]]]:
    node = shutil.which("node")
    if node is None:
        missing("node is not installed")
    if not Path(CHROMIUM).is_file():
        missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        missing("npm packages missing: run `npm ci` in tests/browser")
    _, _, _, urls = hostile_site
    work = tmp_path_factory.mktemp("inject-browser")
    hosts = sorted({u.split("/")[2].split(":")[0] for u in urls})
    config = {
        "executable": CHROMIUM,
        "hosts": hosts,
        "pages": urls,
        "output": str(work / "report.json"),
    }
    (work / "config.json").write_text(json.dumps(config), encoding="utf-8")
    run = subprocess.run(
        [node, str(HERE / "inject.mjs"), str(work / "config.json")],
        cwd=HERE,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    report: dict[str, list[dict[str, Any]]] = json.loads(
        (work / "report.json").read_text(encoding="utf-8")
    )
    return report


def test_every_text_field_is_found_from_the_loaders(
    hostile_site: tuple[list[str], dict[str, dict[str, list[Any]]], int, list[str]],
) -> None:
    fields, _, _, _ = hostile_site
    # The watch found the nested fields as well as the top-level ones.
    for name in (
        "commune:agency.name",
        "commune:agency.responsible.name",
        "commune:leaders[0].email",
        "commune:departments[0].head",
        "commune:links[0].url",
        "commune:english.introduction",
        "commune:site_url",
        "post:title",
        "post:summary",
        "post:document.number",
        "post:attachments[0].title",
    ):
        assert name in fields, fields


def test_refused_payloads_name_the_field_and_the_line(
    hostile_site: tuple[list[str], dict[str, dict[str, list[Any]]], int, list[str]],
) -> None:
    _, refusals, _, _ = hostile_site
    for problems in (p for group in refusals.values() for p in group.values()):
        assert all(p.line is not None and p.file is not None for p in problems)
    # site_url never takes a payload, even after a valid address.
    assert all("site_url" in refusals[f"{i}:commune"] for i in range(len(PAYLOADS)))


@pytest.mark.parametrize("mode", ["enforced", "bypassed"])
def test_no_payload_runs_navigates_or_adds_an_element(
    visits: dict[str, list[dict[str, Any]]], mode: str
) -> None:
    bad = []
    for visit in visits[mode]:
        upload = next((u for u in UPLOADS if visit["url"].endswith("/" + u)), None)
        expected: int | str = 404 if "khong-co-trang-nay" in visit["url"] else 200
        if upload is not None:
            expected = UPLOADS[upload][1]
            if upload == CSP_ONLY and mode == "bypassed":
                continue
        problems = {
            "status": visit["status"] if visit["status"] != expected else None,
            "pwned": visit["pwned"],
            "dialogs": visit["dialogs"],
            "marked": visit["marked"],
            "jsLinks": visit["jsLinks"],
            "extraMeta": visit["extraMeta"],
            "navigations": visit["navigations"],
            "offHost": visit["offHost"],
            "csp": visit["csp"] if mode == "enforced" else [],
            "moved": visit["final"]
            if visit["final"] != visit["url"] and visit["status"] != "download"
            else None,
        }
        problems = {k: v for k, v in problems.items() if v}
        if problems:
            bad.append((visit["url"], problems))
    assert bad == []
