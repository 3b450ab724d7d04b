"""Reusing Jinja work across the units a worker builds.

MkDocs makes a fresh Jinja environment for every build, so each of 3,321 sites would parse
and compile Material's templates again and walk its thousands of icon files. A worker
keeps the compiled bytecode and the theme's file listing and gives them to each new
environment; templates are still rendered per site, so output does not change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

if TYPE_CHECKING:
    from mkdocs.theme import Theme


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates by name and source checksum (Jinja checks the checksum)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE: jinja2.BytecodeCache = _MemoryBytecodeCache()


def configure_bytecode_cache(folder: Path) -> None:
    """Keep compiled templates on disk too, so a new worker process starts warm."""
    global _BYTECODE
    if isinstance(_BYTECODE, _MemoryBytecodeCache) and not _BYTECODE.store:
        folder.mkdir(parents=True, exist_ok=True)
        # Templates compile differently with autoescaping (generator/site/escaping.py): the
        # name keeps bytecode compiled by versions without it from ever being loaded.
        _BYTECODE = jinja2.FileSystemBytecodeCache(str(folder), "__congxa_escaped_%s.cache")


_LISTINGS: dict[tuple[str, ...], list[str]] = {}


def forget_theme_listing() -> None:
    """Forget the theme file listings (the live preview calls it: themes change there)."""
    _LISTINGS.clear()


def share_jinja_work(theme: Theme) -> None:
    """Make `theme.get_env()` return environments that share this worker's caches."""
    original: Callable[[], jinja2.Environment] = theme.get_env

    def get_env() -> jinja2.Environment:
        env = original()
        env.bytecode_cache = _BYTECODE
        # One environment renders one site: its templates do not change meanwhile, so the
        # per-include check of each template file's modification time is skipped.
        env.auto_reload = False
        key = tuple(theme.dirs)
        full_listing = env.list_templates

        def list_templates(extensions: Any = None, filter_func: Any = None) -> list[str]:
            if key not in _LISTINGS:
                # Hidden folders (Material's 14,000 icons under .icons/) are never static
                # files: MkDocs' own filter drops '.*' and '*/.*'; drop them once here.
                _LISTINGS[key] = [
                    n for n in full_listing() if not n.startswith(".") and "/." not in n
                ]
            names = _LISTINGS[key]
            if extensions is not None:
                names = [n for n in names if n.rsplit(".", 1)[-1] in extensions]
            return [n for n in names if filter_func(n)] if filter_func else list(names)

        env.list_templates = list_templates  # type: ignore[method-assign]
        return env

    theme.get_env = get_env  # type: ignore[method-assign]
