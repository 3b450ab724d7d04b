"""The clerks' guide (docs/huong-dan) builds with MkDocs and congxa's own theme."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO
from mkdocs.commands.build import build
from mkdocs.config import load_config

from generator.clerk.rules import RULES

GUIDE = REPO / "docs" / "huong-dan"


def test_the_guide_builds_with_congxa_theme(tmp_path: Path) -> None:
    config = load_config(str(GUIDE / "mkdocs.yml"), site_dir=str(tmp_path / "site"), strict=True)
    build(config)  # strict: a broken link or missing image aborts the build
    site = tmp_path / "site"
    home = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="vi"' in home and "cx-masthead" in home  # congxa's theme overrides
    assert "fonts.googleapis.com" not in home
    for page in (
        "viet-bai",
        "nhap-word",
        "dinh-kem",
        "thiet-yeu",
        "bang-tin",
        "xem-truoc",
        "kiem-tra",
        "dang-bai",
    ):
        assert (site / page / "index.html").is_file()
    for image in (GUIDE / "noi-dung" / "img").glob("*.png"):
        assert image.stat().st_size < 100_000, image  # screenshots stay small
        assert (site / "img" / image.name).is_file()


def test_every_check_rule_is_explained() -> None:
    text = (GUIDE / "noi-dung" / "kiem-tra.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r"\{#([a-z-]+)\}", text))
    assert set(RULES) <= anchors


def test_every_image_has_alt_text() -> None:
    for page in (GUIDE / "noi-dung").glob("*.md"):
        for alt in re.findall(r"!\[([^\]]*)\]\(img/", page.read_text(encoding="utf-8")):
            assert alt.strip(), page
