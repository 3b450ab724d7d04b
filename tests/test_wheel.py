"""A province's own repository: only communes/ and content/, congxa installed from a wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import REPO


def test_wheel_builds_a_folder_with_only_communes_and_content(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
        cwd=tmp_path,
    )
    wheel = next(dist.glob("congxa-*.whl"))

    # A fresh virtualenv that installs the wheel (not editable) and borrows only the
    # third-party libraries of the test environment, so no network is needed.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_packages = Path(
        subprocess.check_output(
            [
                venv / "bin/python",
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            text=True,
        ).strip()
    )
    (site_packages / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin/python"),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
    )

    repo = tmp_path / "province-repo"
    shutil.copytree(REPO / "communes", repo / "communes")
    shutil.copytree(REPO / "content", repo / "content")
    where = subprocess.check_output(
        [venv / "bin/python", "-c", "import generator; print(generator.__file__)"],
        text=True,
        cwd=repo,
    )
    assert where.startswith(str(site_packages)), where  # the wheel, not the checkout

    result = subprocess.run(
        [venv / "bin/congxa", "build", "--today", "2026-11-29", "-j", "1"],
        cwd=repo,
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    site = repo / "public/ha_noi/phuong_hoan_kiem"
    assert (site / "assets/stylesheets/congxa.css").is_file()  # theme shipped in the wheel
    assert (site / "van-ban/index.html").is_file()  # profile shipped in the wheel
    assert "cx-footer" in (site / "index.html").read_text(encoding="utf-8")
    assert (repo / "public/ha_noi/index.html").is_file()
