"""`congxa build --emit-mkdocs`: every emitted project builds with plain `mkdocs build
--strict`, every local link and image of the result resolves, and its files are exactly
what `congxa build` publishes for the same unit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import REPO, TODAY
from test_published import png

from generator.publish.bulk import build_many
from generator.publish.emit import emit_mkdocs
from generator.site.published import published
from generator.site.urls import SITEMAP, SITEMAP_GZ, logo_path
from generator.source.project import Project

LOGO_UNIT = "phuong_hoan_kiem"


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append((tag, value))


def broken_links(site: Path) -> list[str]:
    """Every local href/src of every page that names no file of `site`."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        parser = _Refs()
        parser.feed(page.read_text(encoding="utf-8"))
        base = "https://x.invalid/" + page.relative_to(site).as_posix()
        for tag, url in parser.found:
            if url.startswith(("mailto:", "tel:", "#", "data:")) or "//" in url:
                continue
            target = site / unquote(urlsplit(urljoin(base, url)).path.lstrip("/"))
            if url.endswith("/") or target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {tag} {url}")
    return broken


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The demo province, with a logo and an image in a post for one unit."""
    root = tmp_path_factory.mktemp("emit") / "du-an"
    for folder in ("communes", "content"):
        shutil.copytree(REPO / folder, root / folder)
    unit_yml = root / "communes/ha_noi" / f"{LOGO_UNIT}.yml"
    files = root / "content/ha_noi" / LOGO_UNIT / "files"
    (files / "logo.png").write_bytes(png())
    (files / "anh-hoi-nghi.png").write_bytes(png())
    text = unit_yml.read_text(encoding="utf-8")
    if "\ntheme:" not in text:
        text += f"theme:\n  logo: ../../content/ha_noi/{LOGO_UNIT}/files/logo.png\n"
    unit_yml.write_text(text, encoding="utf-8")
    post = next((root / "content/ha_noi" / LOGO_UNIT / "tin-tuc").glob("*.md"))
    post.write_text(
        post.read_text(encoding="utf-8") + "\n![Hội nghị](../files/anh-hoi-nghi.png)\n",
        encoding="utf-8",
    )
    return Project.discover(root, TODAY)


def test_every_emitted_project_builds_strict_and_its_links_resolve(
    project: Project, tmp_path: Path
) -> None:
    dest = tmp_path / "emitted"
    units = project.unit_files()
    assert emit_mkdocs(project, units, dest) == []
    built = tmp_path / "public"
    assert not build_many(project, units, built, jobs=2).failed
    for unit_file in units:
        root = dest / unit_file.parent.name / unit_file.stem
        done = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        site = root / "site"
        assert broken_links(site) == [], unit_file.stem
        # The same definition: the emitted project holds exactly the files congxa publishes.
        outputs = published(project.load_site(unit_file))
        docs = root / "docs"
        emitted = {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()}
        assert emitted == {
            *(p.src_uri for p in outputs.pages),
            *outputs.files,
            # MkDocs writes the sitemap itself, in site/.
            *(g for g in outputs.generated if g not in (SITEMAP, SITEMAP_GZ)),
        }
        ours = (built / unit_file.parent.name / unit_file.stem).resolve()
        for uri in outputs.files:
            assert (site / uri).read_bytes() == (ours / uri).read_bytes(), uri


def test_the_logo_is_copied_and_shown(project: Project, tmp_path: Path) -> None:
    (unit_file,) = [f for f in project.unit_files() if f.stem == LOGO_UNIT]
    emit_mkdocs(project, [unit_file], tmp_path)
    root = tmp_path / "ha_noi" / LOGO_UNIT
    logo = logo_path(project.load_site(unit_file).unit)
    assert logo is not None and (root / "docs" / logo).read_bytes() == png()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=root, check=True
    )
    home = (root / "site/index.html").read_text(encoding="utf-8")
    assert f'src="{logo}"' in home and (root / "site" / logo).is_file()
