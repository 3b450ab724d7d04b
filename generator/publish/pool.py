"""Worker processes for bulk builds: one task at a time each, bounded in time, bound to
the main process.

- A task that runs past the time limit is interrupted inside the worker (an exception the
  task turns into its own failure, with the place it was stuck); one that does not answer
  a few seconds later (stuck outside Python code) is killed with its worker, reported
  lost, and a fresh worker takes the next task.
- A worker that dies (killed, out of memory) loses only its current task.
- Workers exit when the main process dies, even by kill -9: a build that is gone never
  keeps publishing in the background.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# How long a worker may stay silent past the time limit before it is killed.
GRACE_SECONDS = 5.0
_PR_SET_PDEATHSIG = 1


class TimeLimit(Exception):
    """Raised inside a worker when its task runs past the time limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"time limit of {seconds:g} s reached")
        self.seconds = seconds


class WorkerLost(Exception):
    """A task's worker process ended without answering (killed, out of memory)."""


@dataclass
class _Worker(Generic[T]):
    process: BaseProcess
    conn: Connection
    task: T | None = None
    started: float = 0.0


class Pool(Generic[T, R]):
    """Run `work(task)` for every task in `jobs` forked processes, yielding results.

    `lost(task, error)` makes the result of a task whose worker was killed (TimeLimit) or
    died (WorkerLost).
    """

    def __init__(
        self,
        jobs: int,
        work: Callable[[T], R],
        lost: Callable[[T, Exception], R],
        *,
        timeout: float | None = None,
        init: Callable[[], None] | None = None,
    ) -> None:
        self.jobs = max(1, jobs)
        self.work = work
        self.lost = lost
        self.timeout = timeout
        self.init = init
        self._context = multiprocessing.get_context("fork")

    def run(self, tasks: Iterable[T | None]) -> Iterator[R]:
        """Results of every task of `tasks`, in the order they finish.

        `tasks` is read lazily, between results: a worker starts with the first task, so
        it builds (and the main process is still small when it forks) while the caller is
        still producing the others. A None is "no task yet": the caller does its own work
        in small steps and yields None between them so finished results are read at once.
        """
        source = iter(tasks)
        producing = True
        pending: deque[T] = deque()
        workers: list[_Worker[T]] = []
        try:
            while True:
                if producing:
                    try:
                        task = next(source)
                    except StopIteration:
                        producing = False
                    else:
                        if task is not None:
                            self._take(workers, pending, task)
                busy = [w for w in workers if w.task is not None]
                if not busy:
                    if producing:
                        continue
                    break
                deadline = 0.0 if producing else self._next_deadline(busy)
                ready = wait([w.conn for w in busy], timeout=deadline)
                now = time.monotonic()
                for worker in busy:
                    task = worker.task
                    assert task is not None
                    if worker.conn in ready:
                        try:
                            result: R = worker.conn.recv()
                        except (EOFError, OSError):
                            code = worker.process.exitcode
                            lost = WorkerLost(f"worker process ended (exit code {code})")
                            yield self._replace(workers, worker, pending, task, lost)
                            continue
                        yield result
                        self._give(worker, pending)
                    elif self.timeout is not None and now - worker.started > (
                        self.timeout + GRACE_SECONDS
                    ):
                        limit = TimeLimit(self.timeout)
                        yield self._replace(workers, worker, pending, task, limit)
        finally:
            for worker in workers:
                self._stop(worker)

    # -- the main process's side -------------------------------------------------------------

    def _spawn(self, workers: list[_Worker[T]]) -> _Worker[T]:
        mine, theirs = self._context.Pipe()
        siblings = [w.conn for w in workers]
        process = self._context.Process(
            target=_serve,
            args=(theirs, siblings, os.getpid(), self.init, self.work, self.timeout),
            daemon=True,
        )
        process.start()
        theirs.close()
        return _Worker(process, mine)

    def _take(self, workers: list[_Worker[T]], pending: deque[T], task: T) -> None:
        """A new task: to an idle worker, to a new one (up to `jobs`), or in the queue."""
        idle = next((w for w in workers if w.task is None), None)
        if idle is None and len(workers) < self.jobs:
            idle = self._spawn(workers)
            workers.append(idle)
        pending.append(task)
        if idle is not None:
            self._give(idle, pending)

    def _give(self, worker: _Worker[T], pending: deque[T]) -> None:
        if not pending:
            worker.task = None
            return
        worker.task = pending.popleft()
        worker.started = time.monotonic()
        try:
            worker.conn.send(worker.task)
        except OSError:
            pass  # the worker is gone: seen as end of file by the loop

    def _replace(
        self,
        workers: list[_Worker[T]],
        worker: _Worker[T],
        pending: deque[T],
        task: T,
        error: Exception,
    ) -> R:
        self._stop(worker)
        index = workers.index(worker)
        if pending:
            workers[index] = fresh = self._spawn([w for w in workers if w is not worker])
            self._give(fresh, pending)
        else:
            del workers[index]  # a later task starts a fresh worker (_take)
        return self.lost(task, error)

    def _next_deadline(self, busy: list[_Worker[T]]) -> float | None:
        if self.timeout is None:
            return None
        limit = self.timeout + GRACE_SECONDS
        soonest = min(w.started for w in busy) + limit
        return max(0.05, soonest - time.monotonic())

    @staticmethod
    def _stop(worker: _Worker[T]) -> None:
        if worker.process.is_alive():
            try:
                worker.conn.send(None)
            except OSError:
                pass
            worker.process.join(timeout=2 if worker.task is None else 0)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()


# -- the worker's side -----------------------------------------------------------------------


def _serve(
    conn: Connection,
    siblings: list[Connection],
    parent: int,
    init: Callable[[], None] | None,
    work: Callable[[T], R],
    timeout: float | None,
) -> None:
    for other in siblings:
        other.close()  # only the main process may hold the other workers' pipes
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the main process, which stops us
    if init is not None:
        init()
    running = False

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if running and timeout is not None:
            raise TimeLimit(timeout)

    signal.signal(signal.SIGALRM, interrupt)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        running = True
        if timeout is not None:
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            result = work(task)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            running = False
        conn.send(result)


def die_with_parent(parent: int) -> None:
    """End this process as soon as `parent` dies (kill -9 included)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)

    def watch() -> None:  # elsewhere, and as a second line: look every second
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
