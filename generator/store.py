"""The content-addressed object store: every published file is a hard link to one object.

Identical files (theme assets, a logo shared by many units) are stored once; unchanged
files keep their inode and mtime across builds. Objects nothing links to any more are
collected after a run.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

OBJECTS = "objects"


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
    _link(shared, dest)


def dedupe(folder: Path, store: Path) -> None:
    """Replace each file under `folder` by a hard link into the content-addressed `store`."""
    for path, st in _regular_files(folder):
        if st.st_ino in _STORED:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        shared = store / digest[:2] / digest[2:]
        try:
            _link(path, shared)  # a new object: this file becomes the stored copy
        except FileExistsError:  # stored already (by this run, another worker or an old one)
            tmp = path.with_name(path.name + ".lnk")
            os.link(shared, tmp)
            os.replace(tmp, path)


def _link(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except FileNotFoundError:  # the first object of its bucket
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, dest)


def _regular_files(folder: Path) -> list[tuple[Path, os.stat_result]]:
    """Every regular file under `folder` (links not followed), in path order."""
    found: list[tuple[Path, os.stat_result]] = []
    folders = [os.fspath(folder)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    found.append((Path(entry.path), entry.stat(follow_symlinks=False)))
    return sorted(found, key=lambda item: item[0])


def object_of(path: Path, store: Path) -> Path:
    """Where the content of `path` is (or would be) stored."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return store / digest[:2] / digest[2:]


def collect_objects(candidates: list[str]) -> int:
    """Drop the objects among `candidates` that no published file links to any more: the
    ones a replaced version alone used (publish/atomic.py names them), without walking the
    whole store."""
    dropped = 0
    for name in candidates:
        try:
            st = os.lstat(name)
            if st.st_nlink == 1 and not os.path.islink(name):
                os.unlink(name)
                dropped += 1
        except OSError:
            pass  # gone already, or not removable: a full collection will see it
    return dropped


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
