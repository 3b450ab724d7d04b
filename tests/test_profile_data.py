"""Tests derive their expectations from the section profile: one more section breaks none.

The relevant suites (feeds, manifest, the audit farm) run again in a child pytest with the
default profile extended by one section in the middle (tests/conftest.py, EXTRA_SECTION_ENV).
"""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import EXTRA_SECTION, EXTRA_SECTION_ENV, REPO

from generator.source.profile import load_profile

SUITES = (
    "tests/test_profile_data.py::test_the_profile_in_use",
    "tests/test_feeds.py",
    "tests/test_manifest.py",
    "tests/audit/test_run.py",
    "tests/audit/test_classify.py",
    "tests/audit/test_report.py",
    "tests/audit/test_commands.py",
)


def test_the_profile_in_use() -> None:
    ids = [s.id for s in load_profile().sections]
    assert (EXTRA_SECTION.id in ids) == bool(os.environ.get(EXTRA_SECTION_ENV))


def test_one_more_section_in_the_profile_breaks_no_test() -> None:
    env = {**os.environ, EXTRA_SECTION_ENV: "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *SUITES],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout
