"""Atomic publishing: a unit's published folder is always the old site or the new one.

Each build lands in `<province>/.congxa/versions/<unit>-<digest>/`; the published path
`<province>/<unit>` is a symbolic link switched with one atomic rename. A build killed at
any point leaves the link on the previous version; the next run cleans the leftovers
(publish/layout.py names every path).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from generator.publish.layout import OutputLayout
from generator.store import dedupe, object_of


def publish(
    layout: OutputLayout, unit_file: Path, staging: Path, digest: str
) -> tuple[Path, list[str]]:
    """Make `staging` the published content of the unit, atomically; return the new
    version and the store objects only the replaced versions used (to collect once no
    worker can link them any more: publish/bulk.py).

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
    garbage = _drop_old_versions(version.parent, target.name, version, layout.objects)
    return version, garbage


def _drop_old_versions(versions: Path, name: str, keep: Path, store: Path) -> list[str]:
    old = [v for v in versions.glob(f"{name}-*") if v != keep and v.name.rsplit("-", 1)[0] == name]
    garbage: list[str] = []
    if old:
        kept = {st.st_ino for st in _stats(keep)}
        for folder in old:
            for path, st in _files(folder):
                # Linked from this old version and the store only, and not by the new one.
                if st.st_ino not in kept and st.st_nlink <= 2:
                    try:
                        garbage.append(os.fspath(object_of(path, store)))
                    except OSError:
                        pass
            shutil.rmtree(folder, ignore_errors=True)
    return garbage


def _files(folder: Path) -> list[tuple[Path, os.stat_result]]:
    found = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root, name)
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                found.append((path, st))
    return found


def _stats(folder: Path) -> list[os.stat_result]:
    return [st for _path, st in _files(folder)]
