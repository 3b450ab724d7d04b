"""The inbox: a clerk who never opens a terminal drops a .docx into the unit's `nhap/`
folder while `congxa serve` runs, and it becomes a post.

`content/<province>/<unit>/nhap/` is never published (site/urls.py). Each document is
imported once: on success the original moves to `nhap/da-nhap/`, on failure to `nhap/loi/`
with a `.txt` beside it saying why and how to fix it, so nothing is tried twice. A PDF with
the same name as a .docx (the signed scan) goes with it as `document.file`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from generator.clerk.importing.importer import WORD_TYPES, import_document
from generator.errors import CongxaError
from generator.site.urls import INBOX_FOLDER
from generator.source.project import Project

DONE_FOLDER = "da-nhap"
FAILED_FOLDER = "loi"
SETTLE_SECONDS = 0.3  # a file still growing (being copied) waits for the next event
_KINDS = (*WORD_TYPES, ".doc", ".pdf")


def inbox_of(project: Project, unit_file: Path) -> Path:
    unit_dir, _ = project.content_for(unit_file.resolve())
    return unit_dir / INBOX_FOLDER


def take_inbox(
    project: Project, unit_file: Path, echo: Callable[[str], None], settle: float = SETTLE_SECONDS
) -> list[Path]:
    """Import every document waiting in the unit's inbox; the posts written."""
    inbox = inbox_of(project, unit_file)
    if not inbox.is_dir():
        return []
    waiting = [
        p
        for p in sorted(inbox.iterdir())
        if p.is_file() and p.suffix.lower() in _KINDS and not p.name.startswith((".", "~$"))
    ]
    if not waiting:
        return []
    sizes = {p: p.stat().st_size for p in waiting}
    time.sleep(settle)
    stems = {p.stem for p in waiting if p.suffix.lower() in WORD_TYPES}
    posts: list[Path] = []
    for path in waiting:
        if not path.exists() or path.stat().st_size != sizes[path]:
            continue  # still being written
        if path.suffix.lower() == ".pdf" and path.stem in stems:
            continue  # the scan of a Word file next to it: imported with it
        scan = path.with_suffix(".pdf") if path.suffix.lower() in WORD_TYPES else None
        if scan is not None and not scan.is_file():
            scan = None
        try:
            done = import_document(project, path, unit_file, pdf=scan)
        except CongxaError as exc:
            reason = "\n".join(p.format() for p in exc.problems)
            moved = _move(path, inbox / FAILED_FOLDER)
            moved.with_name(moved.name + ".txt").write_text(reason + "\n", encoding="utf-8")
            if scan is not None:
                _move(scan, inbox / FAILED_FOLDER)
            echo(f"Không nhập được (import failed) {path.name}:")
            for problem in exc.problems:
                echo(problem.format())
            continue
        for original in (path, scan):
            if original is not None:
                _move(original, inbox / DONE_FOLDER)
        echo(f"Đã nhập (imported) {path.name} -> {done.post}")
        for problem in done.warnings:
            echo(problem.format())
        posts.append(done.post)
    return posts


def _move(path: Path, folder: Path) -> Path:
    """Move `path` into `folder` without replacing a file already there."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    number = 2
    while target.exists():
        target = folder / f"{path.stem}-{number}{path.suffix}"
        number += 1
    path.rename(target)
    return target
