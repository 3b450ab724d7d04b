"""Atomic publishing: a unit's published folder is always the old site or the new one.

Each build lands in `<province>/.congxa/versions/<unit>-<digest>/`; the published path
`<province>/<unit>` is a symbolic link switched with one atomic rename. A build killed at
any point leaves the link on the previous version; the next run cleans the leftovers.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from generator.store import dedupe

STATE_DIR = ".congxa"


def staging_dir(target: Path) -> Path:
    """A fresh folder next to the published one, on the same file system."""
    staging = target.parent / STATE_DIR / "staging" / f"{target.name}.{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def publish(staging: Path, target: Path, digest: str, store: Path | None = None) -> Path:
    """Make `staging` the published content of `target`, atomically.

    With a `store`, every file is first replaced by a hard link to a content-addressed copy:
    identical files (Material's assets in 3,321 sites, unchanged pages between versions)
    take disk space once and keep their mtime, so ETag and Last-Modified stay valid.
    """
    if store is not None:
        dedupe(staging, store)
    versions = target.parent / STATE_DIR / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    version = versions / f"{target.name}-{digest[:16]}"
    if version.exists():
        shutil.rmtree(version)
    os.rename(staging, version)
    link = target.parent / STATE_DIR / f"{target.name}.link.{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(version, target.parent), link)
    if target.exists() and not target.is_symlink():
        # A folder from an older layout or a copy: move it aside, then switch.
        aside = target.parent / STATE_DIR / f"{target.name}.old.{os.getpid()}"
        os.rename(target, aside)
        os.replace(link, target)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(link, target)
    _drop_old_versions(versions, target.name, keep=version)
    return version


def _drop_old_versions(versions: Path, name: str, keep: Path) -> None:
    for old in versions.glob(f"{name}-*"):
        if old != keep and old.name.rsplit("-", 1)[0] == name:
            shutil.rmtree(old, ignore_errors=True)


def clean_leftovers(province_out: Path) -> None:
    """Remove staging folders and stray links from interrupted runs."""
    state = province_out / STATE_DIR
    shutil.rmtree(state / "staging", ignore_errors=True)
    if state.is_dir():
        for stray in state.glob("*.link.*"):
            stray.unlink(missing_ok=True)
        for stray in state.glob("*.old.*"):
            shutil.rmtree(stray, ignore_errors=True)
