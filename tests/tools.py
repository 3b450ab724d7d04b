"""Tools the tests drive for real (nginx, Chromium, Java, Node, LibreOffice).

A missing tool skips the tests that need it on a developer's machine and fails them in CI
(CI=true, where scripts/test installs everything). Every skip is remembered, so the run ends
with one line naming what was skipped and the command that installs it (tests/conftest.py).
"""

from __future__ import annotations

import os

import pytest

# reason → install command, for the closing line of the run.
SKIPPED: dict[str, str] = {}


def missing(reason: str, install: str) -> None:
    """Skip (or fail in CI) because `reason`; `install` is the command that mends it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: scripts/test installs it: {install})")
    SKIPPED[reason] = install
    pytest.skip(f"{reason}: {install}")
