"""The package's own code stays lint-clean (ruff) and type-checked in strict mode (mypy)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_ruff_is_clean_on_the_package() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "generator"], cwd=REPO,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean_on_the_package() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", "generator"], cwd=REPO,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
