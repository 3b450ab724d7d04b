"""Building one unit: load and validate → render with MkDocs → feeds and manifest → publish."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from generator import __version__
from generator.errors import BuildError, CongxaError, Problem
from generator.publish.atomic import STATE_DIR, publish, staging_dir
from generator.site.theme import theme_dir
from generator.source.model import Site
from generator.source.project import Project
from generator.store import OBJECTS


@dataclass(frozen=True)
class BuildResult:
    unit_file: Path
    status: str  # "built" | "unchanged" | "failed"
    output: Path | None = None
    pages: int = 0
    problems: tuple[Problem, ...] = ()
    seconds: float = 0.0
    code: str | None = None


def unit_output(project: Project, out: Path, unit_file: Path) -> Path:
    """public/<province>/<unit>: folders mirror communes/<province>/<unit>.yml."""
    return out / unit_file.parent.name / unit_file.stem


def render(site: Site, site_dir: Path, project: Project, store: Path | None = None) -> int:
    """Render the site's HTML with MkDocs into `site_dir`; return the number of pages."""
    # MkDocs is imported here, not at module level: a no-op run never pays for it.
    from mkdocs.commands.build import build as mkdocs_build

    from generator.site.config import mkdocs_config, quiet_mkdocs
    from generator.site.plugin import CongxaPlugin

    quiet_mkdocs()
    docs_dir = site_dir.parent / (site_dir.name + ".docs")
    docs_dir.mkdir(parents=True, exist_ok=True)
    config = mkdocs_config(site, site_dir, docs_dir, project.theme_dir, store)
    try:
        with _mkdocs_errors_to(site):
            mkdocs_build(config)
    finally:
        with contextlib.suppress(OSError):
            docs_dir.rmdir()
    plugin = config.plugins["congxa"]
    assert isinstance(plugin, CongxaPlugin)
    return len(plugin.pages)


@contextlib.contextmanager
def _mkdocs_errors_to(site: Site) -> Iterator[None]:
    from mkdocs.exceptions import MkDocsException

    logger = logging.getLogger("mkdocs")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.ERROR)
    logger.addHandler(handler)
    try:
        yield
    except (MkDocsException, OSError, ValueError, KeyError, TypeError) as exc:
        detail = stream.getvalue().strip() or str(exc)
        raise BuildError(
            Problem(
                f"MkDocs không dựng được trang (build failed): {detail}",
                file=site.unit.source,
                hint="kiểm tra nội dung bài viết vừa sửa; nếu lỗi vẫn còn, "
                "báo cho nhóm kỹ thuật của tỉnh.",
            ),
            unit=site.unit.code,
        ) from exc
    finally:
        logger.removeHandler(handler)


def write_outputs(site: Site, site_dir: Path, cache: Path | None = None) -> None:
    """Feeds, the manifest and the bulletin board's page and data, beside the HTML
    (`cache`: a folder of the build state where QR codes are kept between builds)."""
    from generator.site.bulletin import write_bulletin
    from generator.site.feeds import write_feeds
    from generator.site.manifest import write_manifest

    write_feeds(site, site_dir)
    write_manifest(site, site_dir)
    write_bulletin(site, site_dir, cache)


def build_unit(project: Project, unit_file: Path, out: Path) -> BuildResult:
    """Build one unit and publish it atomically; never raises a CongxaError."""
    import time

    start = time.monotonic()
    target = unit_output(project, out, unit_file)
    try:
        site = project.load_site(unit_file)  # load and validate
        staging = staging_dir(target)  # plan: a fresh folder beside the published one
        store = out / STATE_DIR / OBJECTS
        pages = render(site, staging, project, store)  # render
        write_outputs(site, staging, out / STATE_DIR / "cache")  # feeds and manifest
        publish(staging, target, input_digest(project, unit_file), store=store)  # publish
    except CongxaError as exc:
        return BuildResult(
            unit_file, "failed", problems=tuple(exc.problems), seconds=time.monotonic() - start
        )
    return BuildResult(
        unit_file, "built", target, pages, seconds=time.monotonic() - start, code=site.unit.code
    )


def input_digest(project: Project, unit_file: Path, shared: dict[Path, bytes] | None = None) -> str:
    """Fingerprint of everything that shapes a unit's site: a change here means a rebuild.

    `shared` caches the fingerprints of folders many units share (the province's posts,
    the themes) during one run.
    """
    digest = hashlib.sha256(_tool_versions().encode())
    unit_dir, province_dir = project.content_for(unit_file)
    digest.update(_files_digest(project, [unit_file]))
    digest.update(_folder_digest(project, unit_dir))
    for root in (province_dir / "_province", theme_dir(), project.theme_dir):
        if root is None:
            continue
        if shared is None:
            digest.update(_folder_digest(project, root))
        else:
            if root not in shared:
                shared[root] = _folder_digest(project, root)
            digest.update(shared[root])
    extras = [
        p
        for p in (project.profile_file, project.registry_csv, project.root / "congxa.yml")
        if p is not None and p.is_file()
    ]
    digest.update(_files_digest(project, extras))
    return digest.hexdigest()


def _folder_digest(project: Project, root: Path) -> bytes:
    if not root.is_dir():
        return b"-"
    return _files_digest(
        project, sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    )


def _files_digest(project: Project, paths: list[Path]) -> bytes:
    digest = hashlib.sha256()
    for path in paths:
        data = path.read_bytes()
        digest.update(os.fsencode(_relative(path, project.root)))
        digest.update(hashlib.sha256(data).digest())
        if path.suffix == ".md" and b"expires" in data:
            # Expiry depends on the day: rebuild when an essential item's state flips,
            # not every day.
            digest.update(_expiry_state(path, data, project).encode())
    return digest.digest()


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _expiry_state(path: Path, data: bytes, project: Project) -> str:
    from generator.source.fields import parse_datetime
    from generator.source.files import parse_yaml
    from generator.source.posts import split_front_matter

    try:
        front, _, _ = split_front_matter(data.decode("utf-8"), path)
        meta = parse_yaml(front, path) or {}
        expires = str((meta.get("essential") or {}).get("expires") or "")
    except (CongxaError, UnicodeDecodeError, AttributeError):
        return "unparsed"
    when = parse_datetime(expires, end_of_day=True) if expires else None
    if when is None or project.today is None:
        return "none"
    return "active" if when > project.today else "expired"


@functools.lru_cache(maxsize=1)
def _tool_versions() -> str:
    """congxa's, MkDocs' and Material's versions: an upgrade rebuilds every site."""
    from importlib.metadata import PackageNotFoundError, version

    found = [f"congxa {__version__}"]
    for name in ("mkdocs", "mkdocs-material", "markdown", "nh3", "feedgen", "segno"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} -")
    return "\n".join(found)
