"""The whole tree keeps one style (ruff format), stays lint-clean (ruff) and the package is
type-checked in strict mode (mypy)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

TREE = ["generator", "tests", "scripts"]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", *TREE],
        ["ruff", "format", "--check", *TREE],
        ["mypy", "generator"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_tree_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
