"""Where congxa's Material overrides live (shipped in the package as `generator.themes`)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path


@lru_cache(maxsize=1)
def theme_dir() -> Path:
    """congxa's Material overrides (`themes/material` in the repository)."""
    return Path(str(resources.files("generator.themes"))) / "material"
