"""The output folder's layout: every path congxa writes under `public/` is named here.

    public/
      .congxa/                      state of the whole output folder
        lock                        held by the running build (one build at a time)
        objects/ab/cdef...          content-addressed store (generator/store.py)
        cache/jinja/                compiled templates, shared by the workers
        cache/inputs/<bucket>.json  hashes of input files by their stat (fingerprint.py)
        logs/<province>/<unit>.log  what went wrong in a unit, for IT (tracebacks)
        logs/<province>.log         what went wrong in the province outputs
      <province>/
        <unit> -> .congxa/versions/<unit>-<digest>     the published site (a symlink)
        index.html, units.json, feeds/, nginx.conf     province outputs
        .congxa/
          stamps/<unit>.sha256      fingerprint of the inputs of the published version
          staging/<unit>.<pid>/     a build in progress (removed when it ends)
          versions/<unit>-<digest>/ published versions
          province.sha256           what the province outputs were last made from

Folders mirror `communes/<province>/<unit>.yml`. Nothing here is served: nginx.conf denies
every hidden path (publish/nginx.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from generator.store import OBJECTS

STATE_DIR = ".congxa"


@dataclass(frozen=True)
class OutputLayout:
    root: Path  # the output folder, absolute

    @classmethod
    def at(cls, out: Path) -> OutputLayout:
        return cls(out.resolve())

    # -- the whole output folder -------------------------------------------------------------

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    @property
    def lock_file(self) -> Path:
        return self.state / "lock"

    @property
    def objects(self) -> Path:
        return self.state / OBJECTS

    @property
    def cache(self) -> Path:
        """Work kept between runs (compiled templates, input hashes, QR codes)."""
        return self.state / "cache"

    @property
    def jinja_cache(self) -> Path:
        return self.state / "cache" / "jinja"

    @property
    def input_hashes(self) -> Path:
        """Hashes of input files remembered by their stat (publish/fingerprint.py)."""
        return self.state / "cache" / "inputs"

    def log(self, unit_file: Path) -> Path:
        return self.state / "logs" / unit_file.parent.name / f"{unit_file.stem}.log"

    def province_log(self, folder: str) -> Path:
        return self.state / "logs" / f"{folder}.log"

    # -- a province --------------------------------------------------------------------------

    def province(self, folder: str) -> Path:
        return self.root / folder

    def province_state(self, folder: str) -> Path:
        return self.province(folder) / STATE_DIR

    def versions(self, folder: str) -> Path:
        return self.province_state(folder) / "versions"

    def province_stamp(self, folder: str) -> Path:
        return self.province_state(folder) / "province.sha256"

    def published_links(self, folder: str) -> list[tuple[str, str]]:
        """(unit folder, link target) of every published unit of the province, sorted."""
        found = []
        province = self.province(folder)
        if province.is_dir():
            for entry in sorted(os.scandir(province), key=lambda e: e.name):
                if entry.is_symlink():
                    found.append((entry.name, os.readlink(entry.path)))
        return found

    def province_key(self, folder: str, extra: str = "") -> str:
        """Fingerprint of what the province outputs are made from: the published versions."""
        digest = hashlib.sha256(extra.encode())
        for name, target in self.published_links(folder):
            digest.update(f"\n{name}\0{target}".encode())
        return digest.hexdigest()

    def clean_leftovers(self, folder: str) -> None:
        """Remove staging folders and stray links from interrupted runs."""
        state = self.province_state(folder)
        shutil.rmtree(state / "staging", ignore_errors=True)
        if state.is_dir():
            for stray in state.glob("*.link.*"):
                stray.unlink(missing_ok=True)
            for stray in state.glob("*.old.*"):
                shutil.rmtree(stray, ignore_errors=True)

    # -- a unit ------------------------------------------------------------------------------

    def unit(self, unit_file: Path) -> Path:
        """public/<province>/<unit>: folders mirror communes/<province>/<unit>.yml."""
        return self.province(unit_file.parent.name) / unit_file.stem

    def stamp(self, unit_file: Path) -> Path:
        return self.province_state(unit_file.parent.name) / "stamps" / f"{unit_file.stem}.sha256"

    def staging(self, unit_file: Path) -> Path:
        """This process's staging folder for the unit, beside the published one."""
        state = self.province_state(unit_file.parent.name)
        return state / "staging" / f"{unit_file.stem}.{os.getpid()}"

    def fresh_staging(self, unit_file: Path) -> Path:
        staging = self.staging(unit_file)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        return staging

    def version(self, unit_file: Path, digest: str) -> Path:
        return self.versions(unit_file.parent.name) / f"{unit_file.stem}-{digest[:16]}"

    def temporary(self, unit_file: Path, kind: str) -> Path:
        """A name beside the published link for a link or folder on its way in or out."""
        state = self.province_state(unit_file.parent.name)
        return state / f"{unit_file.stem}.{kind}.{os.getpid()}"

    def is_current(self, unit_file: Path, digest: str) -> bool:
        """True when the published version was built from inputs with this fingerprint."""
        stamp = self.stamp(unit_file)
        try:
            return self.unit(unit_file).exists() and stamp.read_text().strip() == digest
        except (OSError, UnicodeDecodeError):
            return False

    def write_stamp(self, unit_file: Path, digest: str) -> None:
        stamp = self.stamp(unit_file)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp")
        tmp.write_text(digest + "\n")
        tmp.replace(stamp)
