"""`congxa serve`: a live preview of one unit for the clerk who writes it.

Build with the same renderer as `congxa build` into a temporary folder, serve it on
127.0.0.1, watch the unit's files with watchdog, rebuild after a short quiet moment
(debounce), and tell open pages to reload over Server-Sent Events the moment the build is
done. Rebuilds render only the pages whose inputs changed
(generator/publish/incremental.py); the result is what a full build writes. A save that
breaks a file never takes the preview down: the last good build stays served, with the error as a banner.
Nothing preview-only is written into the built files: the reload script and the banner
are added to HTML responses as they are served.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from generator.clerk.preview_server import PreviewServer
from generator.errors import ConfigError, CongxaError, Problem
from generator.publish.build import render, write_outputs
from generator.publish.fingerprint import input_digest
from generator.site.jinja_cache import forget_theme_listing
from generator.site.theme import theme_dir
from generator.source.model import Site
from generator.source.posts import PROVINCE_FOLDER
from generator.source.project import Project

SETTINGS_FILE = "congxa.yml"
# Editors write a file in a few steps within milliseconds (truncate and write, or write a
# temporary file and rename it): build once the files have been quiet this long.
DEBOUNCE_SECONDS = 0.03
MAX_WAIT_SECONDS = 0.1
MOVE_PAIRING_SECONDS = 0.02  # see _observer()
# Files editors write beside the real one while saving; they never shape the site.
_TEMP_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload", ".kate-swp")


@dataclass(frozen=True)
class BuildState:
    """The outcome of the latest build attempt, and the last good build."""

    generation: int  # grows with every attempt, good or bad: clients reload on change
    site_dir: Path | None  # the last good build; None until one succeeded
    problems: tuple[Problem, ...] = ()  # of the latest attempt; empty when it succeeded
    seconds: float = 0.0
    finished: float = 0.0  # time.monotonic() when the attempt ended

    @property
    def ok(self) -> bool:
        return not self.problems


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Preview:
    """Build, serve and rebuild one unit. `start()`, then `wait()` or `stop()`."""

    def __init__(
        self,
        project: Project,
        unit_file: Path,
        *,
        port: int = 8000,
        debounce: float = DEBOUNCE_SECONDS,
        echo: Callable[[str], None] = _stderr,
    ) -> None:
        self.project = project
        self.unit_file = unit_file.resolve()
        self.port = port
        self.debounce = debounce
        self.echo = echo
        self._state = BuildState(0, None)
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._dirty = threading.Event()
        self._last_event = 0.0
        self._first_event = 0.0  # of the changes not built yet
        self._last_digest: str | None = None
        from generator.publish.incremental import IncrementalRenderer

        self.renderer = IncrementalRenderer(project)  # keeps pages between builds
        self._workdir = Path(tempfile.mkdtemp(prefix="congxa-serve-"))
        self._server: PreviewServer | None = None
        self._observer: BaseObserver | None = None
        self._builder: threading.Thread | None = None

    # -- public API ------------------------------------------------------------------------

    @property
    def state(self) -> BuildState:
        return self._state

    @property
    def url(self) -> str:
        port = self._server.port if self._server else self.port
        return f"http://127.0.0.1:{port}/"

    def start(self) -> None:
        """First build, then the server, the watcher and the rebuild thread.

        Raises ConfigError when the unit file is missing or the port is taken.
        """
        if not self.unit_file.is_file():
            raise ConfigError(
                Problem(
                    f"Không tìm thấy tệp đơn vị {self.unit_file} (unit file not found).",
                    hint="ghi đường dẫn tới tệp trong communes/.",
                )
            )
        self.take_inbox()
        self.rebuild()
        self._server = PreviewServer(self, self.port)
        self._server.start()
        self._observer = self._watch()
        self._builder = threading.Thread(
            target=self._rebuild_loop, name="congxa-rebuild", daemon=True
        )
        self._builder.start()

    def wait(self) -> None:
        """Block until Ctrl-C (KeyboardInterrupt), SIGTERM, or `stop()` from another thread."""
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, lambda *_: self._stopping.set()) if main else None
        try:
            while not self._stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def stop(self) -> None:
        """Stop watching and serving, and remove the temporary builds."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()  # wakes reload streams so they end
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._builder is not None:
            self._builder.join(timeout=30)
        if self._server is not None:
            self._server.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait_for_change(self, generation: int | None, timeout: float) -> BuildState:
        """The state once its generation differs from `generation` (or after `timeout`)."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._state.generation != generation or self._stopping.is_set(),
                timeout=timeout,
            )
            return self._state

    def rebuild(self) -> BuildState:
        """Build now; on failure keep the last good build and report the problems."""
        digest = self._digest()
        if digest is not None and digest == self._last_digest:
            return self._state  # saved without a change: nothing to do
        self._last_digest = digest
        start = time.monotonic()
        target = self._workdir / f"b{self._state.generation + 1}" / "site"
        problems: tuple[Problem, ...] = ()
        try:
            site = self.project.load_site(self.unit_file)
            self._render(site, target)
            write_outputs(site, target)
        except CongxaError as exc:
            problems = tuple(exc.problems)
        except Exception as exc:  # noqa: BLE001 - a preview must survive any bad save
            problems = (
                Problem(
                    f"Lỗi không mong đợi khi dựng trang (unexpected build error): "
                    f"{type(exc).__name__}: {exc}",
                    file=self.unit_file,
                    hint="sửa lại tệp vừa lưu; nếu lỗi còn, báo nhóm kỹ thuật.",
                ),
            )
        finished = time.monotonic()
        previous = self._state
        good = previous.site_dir if problems else target
        state = BuildState(previous.generation + 1, good, problems, finished - start, finished)
        with self._changed:
            self._state = state
            self._changed.notify_all()
        self._report(state)
        self._prune(keep={good, previous.site_dir})
        return state

    def _render(self, site: Site, target: Path) -> None:
        """Render only what changed; should that renderer itself fail, render the whole
        site as `congxa build` does (and start afresh on the next save)."""
        try:
            self.renderer.render(site, target)
        except CongxaError:
            raise  # the content's fault: a full build would say the same
        except Exception:  # noqa: BLE001 - a fault of the incremental renderer
            self.renderer.forget()
            shutil.rmtree(target, ignore_errors=True)
            forget_theme_listing()
            render(site, target, self.project)

    def take_inbox(self) -> None:
        """Import the documents dropped into the unit's `nhap/` folder (never fatal)."""
        from generator.clerk.importing.inbox import take_inbox

        try:
            take_inbox(self.project, self.unit_file, self.echo)
        except OSError as exc:
            self.echo(f"Không đọc được thư mục nhap/ (inbox unreadable): {exc}")

    # -- building --------------------------------------------------------------------------

    def _digest(self) -> str | None:
        try:
            return input_digest(self.project, self.unit_file)
        except OSError:
            return None  # a file vanished mid-save: build anyway, the next event settles it

    def _report(self, state: BuildState) -> None:
        if state.ok:
            self.echo(
                f"Đã dựng trang trong {state.seconds:.1f} giây (built in {state.seconds:.1f} s)."
            )
            return
        for problem in state.problems:
            self.echo(problem.format())
        if state.site_dir is not None:
            self.echo(
                "Bản sửa vừa lưu có lỗi; trang xem trước vẫn hiển thị bản dựng trước "
                "(kept the last good build). Sửa lỗi rồi lưu lại."
            )
        else:
            self.echo("Chưa dựng được trang (no good build yet). Sửa lỗi rồi lưu lại.")

    def _prune(self, keep: set[Path | None]) -> None:
        """Remove builds nobody serves any more (the current and previous stay)."""
        kept = {p.parent for p in keep if p is not None}
        for folder in self._workdir.iterdir():
            if folder not in kept:
                shutil.rmtree(folder, ignore_errors=True)

    def _rebuild_loop(self) -> None:
        while not self._stopping.is_set():
            if not self._dirty.wait(0.5):  # returns the moment a change is seen
                continue
            # Debounce: editors write a file in several steps; build once they are done,
            # waiting exactly until the quiet moment ends (no polling step), and never
            # longer than MAX_WAIT_SECONDS after the first change: a late event makes
            # another build, which finds nothing new unless something was.
            while (quiet := self._build_at() - time.monotonic()) > 0:
                if self._stopping.wait(quiet):
                    return
            self._dirty.clear()
            self.take_inbox()
            self.rebuild()

    # -- watching --------------------------------------------------------------------------

    def watched(self) -> list[tuple[Path, bool]]:
        """(folder, recursive) pairs: the unit file's folder, its content, the province's
        shared posts, the themes and the project settings."""
        trees: list[Path] = []
        for target in self._roots():
            folder = _existing(target)
            if folder == target or folder.is_relative_to(self.project.root):
                trees.append(folder)
        # A folder inside another watched tree is seen already: watching it twice would
        # report every change twice (and watchdog warns of the second watch).
        kept = [
            folder
            for folder in dict.fromkeys(trees)
            if not any(folder != other and folder.is_relative_to(other) for other in trees)
        ]
        folders = [
            (folder, False)
            for folder in dict.fromkeys((self.unit_file.parent, self.project.root))
            if not any(folder.is_relative_to(tree) for tree in kept)
        ]
        return folders + [(folder, True) for folder in kept]

    def _roots(self) -> list[Path]:
        unit_dir, province_dir = self.project.content_for(self.unit_file)
        roots = [unit_dir, province_dir / PROVINCE_FOLDER, theme_dir(), self.project.theme_dir]
        return [root.resolve() for root in roots if root is not None]

    def relevant(self, path: Path) -> bool:
        """Does a change of `path` shape this unit's site?"""
        name = path.name
        if name.startswith((".", "#")) or name.endswith(_TEMP_SUFFIXES) or name == "4913":
            return False
        if any(path.is_relative_to(root) for root in self._roots()):
            return True
        files = {
            self.unit_file,
            self.project.root / SETTINGS_FILE,
            self.project.profile_file,
            self.project.registry_csv,
        }
        return path in files

    def _watch(self) -> BaseObserver:
        observer = _observer()
        handler = _Handler(self)
        for folder, recursive in self.watched():
            observer.schedule(handler, str(folder), recursive=recursive)
        observer.daemon = True
        observer.start()
        return observer

    def _touched(self) -> None:
        now = time.monotonic()
        if not self._dirty.is_set():
            self._first_event = now
        self._last_event = now
        self._dirty.set()

    def _build_at(self) -> float:
        """When the changes seen so far are built: after the quiet moment, or at the latest
        MAX_WAIT_SECONDS after the first of them."""
        return min(self._last_event + self.debounce, self._first_event + MAX_WAIT_SECONDS)


class _Handler(FileSystemEventHandler):
    def __init__(self, preview: Preview) -> None:
        self.preview = preview

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            # The folder resolved, the name itself not followed: a file replaced by a link
            # to /etc/passwd is a change of this unit (its build then refuses the link).
            path = Path(str(raw))
            if raw and self.preview.relevant(path.parent.resolve() / path.name):
                self.preview._touched()
                return


def _observer() -> BaseObserver:
    """watchdog's observer; on Linux, one that passes a save by rename on at once.

    watchdog's inotify emitter holds a renamed-away file's event (IN_MOVED_FROM) for half a
    second to pair it with its IN_MOVED_TO, and its queue sleeps that delay out even when
    the pair arrives at once: a save by rename (many editors' safe save) reached the
    preview half a second late. The kernel reports both halves of a rename together, and
    the preview only needs to know that something changed, so a short pairing time is
    ample.
    """
    try:
        from watchdog.observers.api import DEFAULT_OBSERVER_TIMEOUT
        from watchdog.observers.inotify import InotifyEmitter, InotifyObserver
    except ImportError:  # not Linux
        return Observer()
    if Observer is not InotifyObserver:
        return Observer()

    class QuickEmitter(InotifyEmitter):
        def on_thread_start(self) -> None:
            super().on_thread_start()
            grouper = getattr(self._inotify, "_move_event_grouper", None)
            queue = getattr(grouper, "_queue", None)
            if queue is not None and isinstance(getattr(queue, "delay", None), float):
                queue.delay = MOVE_PAIRING_SECONDS

    return BaseObserver(QuickEmitter, timeout=DEFAULT_OBSERVER_TIMEOUT)


def _existing(path: Path) -> Path:
    """`path`, or its nearest existing parent (a unit may have no content folder yet)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
