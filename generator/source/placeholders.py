"""The sample texts `congxa init` and `congxa new` write, defined once.

They are written by generator/clerk/init.py and generator/clerk/new.py, recognised here so
that `congxa check` reports them and a build never publishes them as if a clerk wrote them.
"""

from __future__ import annotations

import re

from generator.text import nfc

# The body of a post made by `congxa new`.
POST_BODY = "Viết nội dung ở đây. Mỗi đoạn cách nhau một dòng trống."
# The introduction of a unit file made by `congxa init` ({name}: "phường Hoàn Kiếm").
INTRODUCTION = "Giới thiệu {name}: vị trí, diện tích, dân số, chức năng, nhiệm vụ."

_INTRODUCTION = re.compile(
    re.escape(INTRODUCTION).replace(re.escape("{name}"), r"[^\n:]{1,120}?"), re.IGNORECASE
)


def _squash(text: str) -> str:
    return " ".join(nfc(text).split())


def post_placeholder_line(body: str) -> int | None:
    """Index (0-based) of the body line that still holds `POST_BODY`, or None."""
    for index, line in enumerate(body.split("\n")):
        if _squash(POST_BODY) in _squash(line):
            return index
    return None


def is_introduction_placeholder(text: str) -> bool:
    """True when a unit's introduction still holds the sentence `congxa init` wrote."""
    return bool(_INTRODUCTION.search(_squash(text)))
