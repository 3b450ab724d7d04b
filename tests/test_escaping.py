"""Escaping by construction without a browser (issue 17, class 2): quick and always run.

Pages are parsed with lxml's HTML parser, as a browser would: a value with markup must come
back as the same text, never as an element or an attribute. Covers `congxa build`, the
province page, and an `--emit-mkdocs` project built by plain `mkdocs build`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import html as lxml_html

from generator.publish.bulk import build_many
from generator.publish.emit import emit_mkdocs
from generator.site.pages import text
from generator.source.project import Project
from tests.conftest import UNIT_YML

TITLE = "T </title><script data-pwn>1</script> *em* [a](b) {: #x } #"
SUMMARY = 'S" http-equiv="refresh" content="0;url=https://evil.example/'
AGENCY = 'UBND <meta data-pwn http-equiv="refresh" content="0;url=https://evil.example/">'
PHONE = "</p><b data-pwn>024</b>"


def hostile_project(mini: Callable[..., Project]) -> Project:
    unit = UNIT_YML.replace('  phone: "024 3825 0000"', f"  phone: {PHONE!r}")
    unit = unit.replace("agency:\n", f"agency:\n  name: '{AGENCY}'\n")
    post = (
        f"---\ntitle: '{TITLE}'\ndate: 2026-11-20\nsummary: '{SUMMARY}'\n---\n"
        "Nội dung <b onclick=x() data-pwn>đậm</b>.\n"
    )
    return mini(unit_yml=unit, posts={"thong-bao/a.md": post})


def assert_clean(page: Path) -> None:
    tree = lxml_html.fromstring(page.read_bytes())
    assert tree.xpath("//*[@data-pwn]") == []
    assert tree.xpath("//meta[@http-equiv] | //base | //iframe | //object | //embed") == []
    inline = tree.xpath("//script[not(@src)]")
    assert all(s.get("type") == "application/json" for s in inline), page
    assert not [e for e in tree.iter() if any(a.startswith("on") for a in e.attrib)]


def test_built_pages_keep_every_value_as_text(mini: Callable[..., Project], tmp_path: Path) -> None:
    project = hostile_project(mini)
    out = tmp_path / "public"
    summary = build_many(project, project.unit_files(), out, jobs=1)
    assert not summary.failed, [p.format() for r in summary.failed for p in r.problems]
    site = out / "ha_noi" / "phuong_hoan_kiem"
    pages = sorted(site.rglob("index.html")) + [site / "404.html", out / "ha_noi" / "index.html"]
    for page in pages:
        assert_clean(page)
    post = lxml_html.fromstring((site / "thong-bao" / "a" / "index.html").read_bytes())
    assert post.findtext(".//title") == f"{TITLE} - Phường Hoàn Kiếm"
    assert post.xpath("//meta[@name='description']/@content") == [SUMMARY]
    assert post.xpath("//h1")[0].text_content() == TITLE
    footer = post.xpath("//*[contains(@class, 'cx-footer')]")[0].text_content()
    assert AGENCY in footer and PHONE in footer


def test_text_is_inert_as_html_and_markdown() -> None:
    import markdown

    value = "<b>x</b> *em* _u_ `c` [a](b) ![i](j) {: #id } # \\ | ~ ^ : & \" '"
    rendered = markdown.markdown(
        f"# {text(value)}\n\n<p>{text(value)}</p>", extensions=["attr_list", "def_list"]
    )
    tree = lxml_html.fromstring(f"<div>{rendered}</div>")
    assert [e.tag for e in tree.iter()] == ["div", "h1", "p"]
    assert tree.xpath("//h1")[0].text_content() == value
    assert tree.xpath("//p")[0].text_content() == value
    assert "\n" not in text("a\n\nb") and text("a\n\nb") == "a b"


def test_emitted_project_escapes_with_plain_mkdocs(
    mini: Callable[..., Project], tmp_path: Path
) -> None:
    pytest.importorskip("material")
    project = hostile_project(mini)
    dest = tmp_path / "emitted"
    assert emit_mkdocs(project, project.unit_files(), dest) == []
    root = dest / "ha_noi" / "phuong_hoan_kiem"
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(root / "mkdocs.yml")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    page = root / "site" / "thong-bao" / "a" / "index.html"
    tree = lxml_html.fromstring(page.read_bytes())
    assert tree.findtext(".//title") == f"{TITLE} - Phường Hoàn Kiếm"
    assert tree.xpath("//meta[@http-equiv]") == []
    assert tree.xpath("//meta[@name='author']/@content") == [AGENCY]
