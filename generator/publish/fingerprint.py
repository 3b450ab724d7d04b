"""Fingerprints of a unit's inputs: a changed fingerprint means the unit is rebuilt.

A unit's fingerprint covers its commune file, its posts and files, the province's shared
posts, the themes, the profile, the registry, congxa.yml and the tool versions, and for
each post with an expiry whether that item is active today.

Hashing every file of the country on every run costs more than everything else a no-op
run does, so FileHashes remembers each file's hash between runs beside the output
(`public/.congxa/cache/inputs/`, publish/layout.py), keyed by what `stat` says: size,
modification time, change time and inode. When any of them differs the file is read and
hashed again. Editing a file, `touch`, copying or restoring it (even with its old
modification time, `touch -d`) changes its change time, so it is read again; `--force`
re-reads every file. Files modified in the last two seconds are never remembered (the
clock's granularity could hide a second edit).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from generator import __version__
from generator.errors import CongxaError
from generator.site.theme import theme_dir
from generator.source.project import Project

_RECENT_NS = 2_000_000_000
_UNPARSED = "\0unparsed"
_FORMAT = 2
SHARED = "_shared"  # the bucket of files many units share (themes, profile, registry)


class FileHashes:
    """sha256 of input files and listings of input folders, remembered between runs by
    their stat (see the module). A folder's listing changes its modification time."""

    def __init__(self, folder: Path | None = None, *, rehash: bool = False) -> None:
        self.folder = folder
        self.rehash = rehash
        self._buckets: dict[str, dict[str, dict[str, list[Any]]]] = {}
        self._seen: dict[str, set[str]] = {}
        self._dirty: set[str] = set()
        self._recent = time.time_ns() - _RECENT_NS
        self.read = 0  # files read and hashed in this run

    def lookup(self, path: str, bucket: str) -> tuple[bytes, str | None]:
        """(sha256 of the file, its `essential.expires` when a post has one).

        A symbolic link is fingerprinted by its target and the target's stat, never read:
        it may lead out of the project (to a huge or secret file), which the build refuses
        anyway (generator/source/containment.py). A file that cannot be read (a loop of
        links, no permission) is fingerprinted by the error, so the build runs and reports
        it with the file's name."""
        try:
            if os.path.islink(path):
                return _link_digest(path), None
            st = os.stat(path)
        except OSError as exc:
            return _error_digest(exc), None
        files = self._bucket(bucket)["files"]
        self._seen[bucket].add(path)
        signature: list[Any] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        entry = files.get(path)
        if entry is not None and not self.rehash and entry[:4] == signature:
            sha, expires = entry[4], entry[5]
            if isinstance(sha, str) and (expires is None or isinstance(expires, str)):
                return bytes.fromhex(sha), expires
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            return _error_digest(exc), None
        self.read += 1
        digest = hashlib.sha256(data).digest()
        expires_field = _expires_field(path, data)
        if self._settled(st) and len(data) == st.st_size:
            files[path] = [*signature, digest.hex(), expires_field]
            self._dirty.add(bucket)
        elif files.pop(path, None) is not None:
            self._dirty.add(bucket)
        return digest, expires_field

    def files_under(self, root: str, bucket: str) -> list[str]:
        """Every file under `root`, sorted as paths; a folder that cannot be read raises
        (never skipped: a site silently published without a section's posts is worse than
        a failed unit)."""
        found: list[str] = []
        folders = [root]
        while folders:
            folder = folders.pop()
            subfolders, names = self._listing(folder, bucket)
            folders.extend(os.path.join(folder, d) for d in subfolders)
            found.extend(os.path.join(folder, n) for n in names)
        return sorted(found, key=lambda p: p.split(os.sep))

    def _listing(self, folder: str, bucket: str) -> tuple[list[str], list[str]]:
        st = os.stat(folder)
        listings = self._bucket(bucket)["dirs"]
        self._seen[bucket].add(folder)
        signature: list[Any] = [st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        entry = listings.get(folder)
        if entry is not None and not self.rehash and entry[:3] == signature:
            return entry[3], entry[4]
        subfolders, names = [], []
        with os.scandir(folder) as entries:  # PermissionError: the caller's failure
            for item in entries:
                if item.is_dir(follow_symlinks=False):
                    if item.name != "__pycache__":
                        subfolders.append(item.name)
                elif item.is_symlink() or item.is_file():
                    names.append(item.name)  # links: fingerprinted without following
        subfolders.sort()
        names.sort()
        if self._settled(st):
            listings[folder] = [*signature, subfolders, names]
            self._dirty.add(bucket)
        elif listings.pop(folder, None) is not None:
            self._dirty.add(bucket)
        return subfolders, names

    def _settled(self, st: os.stat_result) -> bool:
        """Not modified in the last seconds: a later edit will show in the stat."""
        return max(st.st_mtime_ns, st.st_ctime_ns) < self._recent

    def release(self, bucket: str) -> None:
        """Save a bucket and forget it: a bulk build plans the country one province at a
        time, so only one province's hashes are in memory (a later lookup reads it again)."""
        if bucket not in self._buckets:
            return
        self._save(bucket)
        del self._buckets[bucket], self._seen[bucket]

    def save(self) -> None:
        """Write the buckets that changed; a failure only costs time on the next run."""
        for bucket in sorted(self._dirty):
            self._save(bucket)

    def _save(self, bucket: str) -> None:
        if bucket not in self._dirty:
            return
        self._dirty.discard(bucket)
        if self.folder is None:
            return
        seen = self._seen[bucket]
        kept = {
            kind: {k: v for k, v in entries.items() if k in seen or os.path.lexists(k)}
            for kind, entries in self._buckets[bucket].items()
        }
        path = self.folder / f"{bucket}.json"
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(
                json.dumps({"format": _FORMAT, **kept}, ensure_ascii=False),
                encoding="utf-8",
            )
            tmp.replace(path)

    def _bucket(self, bucket: str) -> dict[str, dict[str, list[Any]]]:
        if bucket not in self._buckets:
            stored: dict[str, dict[str, list[Any]]] = {"files": {}, "dirs": {}}
            if self.folder is not None and not self.rehash:
                try:
                    data = json.loads((self.folder / f"{bucket}.json").read_text("utf-8"))
                    if isinstance(data, dict) and data.get("format") == _FORMAT:
                        for kind, size in (("files", 6), ("dirs", 5)):
                            entries = data.get(kind)
                            if isinstance(entries, dict):
                                stored[kind] = {
                                    k: v
                                    for k, v in entries.items()
                                    if isinstance(v, list) and len(v) == size
                                }
                except (OSError, ValueError):
                    pass  # no cache yet, or a damaged one: hash again
            self._buckets[bucket] = stored
            self._seen[bucket] = set()
        return self._buckets[bucket]


def input_digest(
    project: Project,
    unit_file: Path,
    shared: dict[str, bytes] | None = None,
    hashes: FileHashes | None = None,
) -> str:
    """Fingerprint of everything that shapes a unit's site: a change here means a rebuild.

    `shared` keeps the fingerprints of what many units share (the province's posts, the
    themes, the settings) during one run; `hashes` remembers file hashes between runs.
    """
    shared = {} if shared is None else shared
    hashes = hashes or FileHashes()
    province = unit_file.parent.name
    digest = hashlib.sha256(_tool_versions().encode())
    unit_dir, province_dir = project.content_for(unit_file)
    digest.update(_files_digest(project, [os.fsdecode(unit_file)], hashes, province))
    digest.update(_folder_digest(project, unit_dir, hashes, province))
    for root in (province_dir / "_province", theme_dir(), project.theme_dir):
        if root is None:
            continue
        key = f"folder:{root}"
        if key not in shared:
            bucket = province if root.is_relative_to(project.content_dir) else SHARED
            shared[key] = _folder_digest(project, root, hashes, bucket)
        digest.update(shared[key])
    if "settings" not in shared:
        extras = [
            os.fsdecode(p)
            for p in (project.profile_file, project.registry_csv, project.root / "congxa.yml")
            if p is not None and p.is_file()
        ]
        shared["settings"] = _files_digest(project, extras, hashes, SHARED)
    digest.update(shared["settings"])
    return digest.hexdigest()


def _link_digest(path: str) -> bytes:
    target = os.readlink(path)
    try:
        st = os.stat(path)
        seen = f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"
    except OSError as exc:
        seen = f"error {exc.errno}"
    return hashlib.sha256(f"link\0{target}\0{seen}".encode()).digest()


def _error_digest(exc: OSError) -> bytes:
    return hashlib.sha256(f"unreadable\0{exc.errno}".encode()).digest()


def _folder_digest(project: Project, root: Path, hashes: FileHashes, bucket: str) -> bytes:
    if not root.is_dir():
        return b"-"
    return _files_digest(project, hashes.files_under(os.fsdecode(root), bucket), hashes, bucket)


def _files_digest(project: Project, paths: list[str], hashes: FileHashes, bucket: str) -> bytes:
    digest = hashlib.sha256()
    root = os.fsdecode(project.root) + os.sep
    for name in paths:
        sha, expires = hashes.lookup(name, bucket)
        digest.update(os.fsencode(name.removeprefix(root)))
        digest.update(sha)
        if expires is not None:
            # Expiry depends on the day: rebuild when an essential item's state flips,
            # not every day.
            digest.update(_expiry_state(expires, project).encode())
    return digest.digest()


def _expires_field(name: str, data: bytes) -> str | None:
    """A post's `essential.expires` as written ("" when absent), None for other files."""
    if not name.endswith(".md") or b"expires" not in data:
        return None
    path = Path(name)
    from generator.source.files import parse_yaml
    from generator.source.posts import split_front_matter

    try:
        front, _, _ = split_front_matter(data.decode("utf-8"), path)
        meta = parse_yaml(front, path) or {}
        return str((meta.get("essential") or {}).get("expires") or "")
    except (CongxaError, UnicodeDecodeError, AttributeError):
        return _UNPARSED


def _expiry_state(expires: str, project: Project) -> str:
    from generator.source.fields import parse_datetime

    if expires == _UNPARSED:
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
