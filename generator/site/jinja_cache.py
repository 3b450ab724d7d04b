"""Reusing Jinja work across the units a worker builds.

MkDocs makes a fresh Jinja environment for every build (mkdocs/theme.py, `get_env`), so
each of 3,321 sites would load, check and compile Material's templates again and walk its
thousands of icon files. An environment depends only on the theme's folders and language
(its loader, MkDocs' two filters, the translations), the same for every unit of a
project: a worker keeps one per theme and hands it to each build, with its compiled
templates. Templates are still rendered per site from that site's context, and nothing a
unit's build sets on the environment outlives it (the plugin's `on_env` resets it), so the
output does not change (tests/test_bulk.py builds units together and alone and compares).
The compiled bytecode is also kept on disk, so a new worker process starts warm.
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
_ENVIRONMENTS: dict[tuple[str, ...], jinja2.Environment] = {}


def forget_theme_listing() -> None:
    """Forget the theme file listings and environments (the live preview calls it: themes
    change there)."""
    _LISTINGS.clear()
    _ENVIRONMENTS.clear()


def share_jinja_work(theme: Theme) -> None:
    """Make `theme.get_env()` return this worker's environment for the theme."""
    original: Callable[[], jinja2.Environment] = theme.get_env

    def get_env() -> jinja2.Environment:
        key = tuple(theme.dirs)
        shared = _ENVIRONMENTS.get((*key, str(theme.locale)))
        if shared is not None:
            return shared
        env = original()
        env.bytecode_cache = _BYTECODE
        if len(_ENVIRONMENTS) >= 8:  # a long-lived preview never keeps many
            _ENVIRONMENTS.clear()
        _ENVIRONMENTS[(*key, str(theme.locale))] = env
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


class _InstalledThemes:
    """MkDocs' list of installed themes, kept: MkDocs forgets it each time it loads a theme
    (mkdocs/theme.py) and then reads the metadata of every installed package again, once
    per unit; the installed packages do not change while congxa runs."""

    def __init__(self, load: Callable[[], Any]) -> None:
        self._load = load
        self._themes: Any = None

    def __call__(self) -> Any:
        if self._themes is None:
            self._themes = self._load()
        return self._themes

    def cache_clear(self) -> None:
        pass


def keep_installed_themes() -> None:
    """Install `_InstalledThemes` in place of MkDocs' own (once per process)."""
    from mkdocs import utils

    if not isinstance(utils.get_themes, _InstalledThemes):
        utils.get_themes = _InstalledThemes(utils.get_themes)  # type: ignore[assignment]
