"""Write a sample decision and notice (.docx, Decree 30/2020 layout) for every unit, to try
`congxa import` on:

    .venv/bin/python scripts/sample_documents.py /tmp/mau
    .venv/bin/congxa import /tmp/mau/phuong_hoan_kiem/quyet-dinh-101.docx \\
        communes/ha_noi/phuong_hoan_kiem.yml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import word_documents

from generator.source.commune import load_unit
from generator.source.project import Project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write into")
    parser.add_argument("--root", type=Path, default=ROOT, help="project (communes/, content/)")
    args = parser.parse_args()
    project = Project.discover(args.root)
    for unit_file in project.unit_files():
        unit = load_unit(unit_file, project.registry)
        for path in word_documents.samples(unit.name, args.out / unit_file.stem):
            print(f"congxa import {path} {unit_file.relative_to(project.root)}")


if __name__ == "__main__":
    main()
