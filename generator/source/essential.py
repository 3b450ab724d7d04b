"""Essential-information categories (Decree 49/2024, Art. 6) and priorities, read from data."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    ref = resources.files("generator.data") / "essential.yml"
    loaded: dict[str, Any] = yaml.safe_load(ref.read_text(encoding="utf-8"))
    return loaded


def categories() -> dict[str, str]:
    return dict(_data()["categories"])


def priorities() -> dict[str, dict[str, Any]]:
    return dict(_data()["priorities"])


def priority_rank(priority: str) -> int:
    return int(priorities().get(priority, {"rank": 99})["rank"])


def priority_title(priority: str) -> str:
    return str(priorities().get(priority, {"title": priority})["title"])
