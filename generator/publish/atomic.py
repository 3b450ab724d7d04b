"""Atomic publishing: a unit's published folder is always the old site or the new one.

Each build lands in `<province>/.congxa/versions/<unit>-<digest>/`; the published path
`<province>/<unit>` is a symbolic link switched with one atomic rename. A build killed at
any point leaves the link on the previous version; the next run cleans the leftovers
(publish/layout.py names every path).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from generator.publish.layout import OutputLayout
from generator.store import dedupe


def publish(layout: OutputLayout, unit_file: Path, staging: Path, digest: str) -> Path:
    """Make `staging` the published content of the unit, atomically.

    Every file is first replaced by a hard link to a content-addressed copy: identical
    files (Material's assets in 3,321 sites, unchanged pages between versions) take disk
    space once and keep their mtime, so ETag and Last-Modified stay valid.
    """
    dedupe(staging, layout.objects)
    target = layout.unit(unit_file)
    version = layout.version(unit_file, digest)
    version.parent.mkdir(parents=True, exist_ok=True)
    if version.exists():
        if target.is_symlink() and target.resolve() == version.resolve():
            # The same inputs built again (--force): never touch the published folder.
            version = version.with_name(f"{version.name}.{os.getpid()}")
        if version.exists():
            shutil.rmtree(version)
    os.rename(staging, version)
    link = layout.temporary(unit_file, "link")
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(version, target.parent), link)
    if target.exists() and not target.is_symlink():
        # A folder from an older layout or a copy: move it aside, then switch.
        aside = layout.temporary(unit_file, "old")
        os.rename(target, aside)
        os.replace(link, target)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(link, target)
    _drop_old_versions(version.parent, target.name, keep=version)
    return version


def _drop_old_versions(versions: Path, name: str, keep: Path) -> None:
    for old in versions.glob(f"{name}-*"):
        if old != keep and old.name.rsplit("-", 1)[0] == name:
            shutil.rmtree(old, ignore_errors=True)
