"""Atomic publishing: a unit's published folder is always the old site or the new one.

Each build lands in `<province>/.congxa/versions/<unit>-<digest>/`; the published path
`<province>/<unit>` is a symbolic link switched with one atomic rename. A build killed at
any point leaves the link on the previous version; the next run cleans the leftovers.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

STATE_DIR = ".congxa"
OBJECTS = "objects"


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


# Files this process already put in a store: (store, source path, mtime, size) → object,
# and the inodes of stored objects, so theme assets are hashed once per worker, not per site.
_SOURCES: dict[tuple[Path, Path, int, int], Path] = {}
_STORED: set[int] = set()


def link_from_store(source: Path, dest: Path, store: Path) -> None:
    """Publish `source` at `dest` as a hard link to its stored copy (stored on first use)."""
    st = source.stat()
    key = (store, source, st.st_mtime_ns, st.st_size)
    shared = _SOURCES.get(key)
    if shared is None or not shared.exists():
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        shared = store / digest[:2] / digest[2:]
        if not shared.exists():
            shared.parent.mkdir(parents=True, exist_ok=True)
            tmp = shared.with_name(f"{shared.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            try:
                os.link(tmp, shared)
            except FileExistsError:
                pass
            tmp.unlink()
        _SOURCES[key] = shared
        _STORED.add(shared.stat().st_ino)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.link(shared, dest)


def dedupe(folder: Path, store: Path) -> None:
    """Replace each file under `folder` by a hard link into the content-addressed `store`."""
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.stat().st_ino in _STORED:
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        shared = store / digest[:2] / digest[2:]
        if shared.exists():
            tmp = path.with_name(path.name + ".lnk")
            os.link(shared, tmp)
            os.replace(tmp, path)
        else:
            shared.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, shared)
            except FileExistsError:  # another worker stored it first
                tmp = path.with_name(path.name + ".lnk")
                os.link(shared, tmp)
                os.replace(tmp, path)


def collect_garbage(store: Path) -> int:
    """Drop stored objects that no published file links to any more."""
    dropped = 0
    if not store.is_dir():
        return 0
    for bucket in store.iterdir():
        for entry in os.scandir(bucket):
            if entry.stat(follow_symlinks=False).st_nlink == 1:
                os.unlink(entry.path)
                dropped += 1
    return dropped
