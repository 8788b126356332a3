"""Independent protection problems solved side by side, one per CPU core.

The school years of a protected table share no inner cell, so each is its own problem (cross.build), and its
GaussSuppression and LPs use one core each (pure Python, and HiGHS with one thread). Worker processes, started once
per process and kept, solve them in parallel; the result is the same as one after the other, cell for cell. Small
tables stay in the process: starting the workers costs about a second.

The workers are plain `python -P -m sto_metrics.privacy.workers` processes that take pickled calls on a pipe, not a
multiprocessing pool: a spawned multiprocessing child runs the parent's main script again (`streamlit run`'s, a
user's), which this engine cannot vouch for. Nothing leaves the machine: the pipes join this process to its children.

    STO_PROTECT_WORKERS=1    # never start workers (default: one per CPU core this process may use)
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

BACKGROUND_NICENESS = 10  # workers and background preparation yield to the dashboard's pages (nice values 0-19)
MIN_CELLS = 2_000  # a table with fewer cells is protected in the process (the demo's inflow has about 6,000)
_HEADER = struct.Struct("<Q")


class WorkerLost(RuntimeError):
    """A worker process ended without an answer (killed, out of memory)."""


def worker_count() -> int:
    setting = os.environ.get("STO_PROTECT_WORKERS", "").strip()
    if setting.isdigit():
        return max(1, int(setting))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def solve_all(function: Callable[..., Any], jobs: Sequence[tuple], sizes: Sequence[int]) -> list[Any]:
    """[function(*job) for job in jobs], on the workers where that pays: `sizes` (cells) adding up to MIN_CELLS or more,
    and more than one core. Each job takes the next free worker (tables of other threads share them: the dashboard's
    pages and its background preparation); the largest go first; results come back in the jobs' order. A job whose
    worker is lost runs in this process instead. `function` must be importable by name (a module-level function)."""
    if worker_count() < 2 or sum(sizes) < MIN_CELLS or not _importable(function):
        return [function(*job) for job in jobs]
    results: dict[int, Any] = {}
    failures: list[BaseException] = []

    def solve(number: int) -> None:
        try:
            results[number] = _on_a_worker(function, jobs[number])
        except BaseException as error:  # raised in the caller's thread below
            failures.append(error)

    threads = [threading.Thread(target=solve, args=(number,), daemon=True)
               for number in sorted(range(len(jobs)), key=lambda number: -sizes[number])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return [results[number] for number in range(len(jobs))]


def lower_priority() -> None:
    """This thread at a lower CPU priority (Linux: a thread's nice value; threads and processes it starts inherit it):
    protection that runs beside a dashboard's visitors takes only the CPU they leave."""
    with contextlib.suppress(AttributeError, OSError):  # not on this system, or not allowed: the usual priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)


def _importable(function: Callable[..., Any]) -> bool:
    """Would a worker, importing `function` by its module and name, get this very function (not a stand-in)?"""
    if getattr(function, "__module__", "__main__") == "__main__":
        return False  # a worker's __main__ is this module, not the caller's script
    module = sys.modules.get(function.__module__)
    found: Any = module
    for part in getattr(function, "__qualname__", "<>").split("."):
        found = getattr(found, part, None)
    return found is function


class _Worker:
    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        # -P: not the current folder first on the path (another checkout there would be imported instead of this one)
        self.process = subprocess.Popen([sys.executable, "-P", "-m", "sto_metrics.privacy.workers", package_root],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment)

    def call(self, function: Callable[..., Any], job: tuple) -> tuple[bool, Any]:
        """(True, the result) or (False, the job's own error)."""
        try:
            _send(self.process.stdin, (function, job))
            return _receive(self.process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as error:
            raise WorkerLost(f"protection worker {self.process.pid} ended") from error

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


_free: queue.SimpleQueue[_Worker | None] | None = None  # a free worker, or None: a place for one not started yet
_started: list[_Worker] = []
_generation = 0  # counts stop(): work asked for before a stop fails instead of running
_lock = threading.Lock()


def _on_a_worker(function: Callable[..., Any], job: tuple) -> Any:
    """function(*job) on the next free worker (started when first needed), or in this process if the worker is lost."""
    global _free
    with _lock:
        if _free is None:
            _free = queue.SimpleQueue()
            for _ in range(worker_count()):
                _free.put(None)
        free, generation = _free, _generation
    worker = free.get()  # waits while every worker is busy
    try:
        if generation != _generation:
            raise WorkerLost("protection workers stopped")  # stopped while this year waited: no longer wanted
        if worker is None:
            worker = _Worker()
            with _lock:
                _started.append(worker)
        succeeded, value = worker.call(function, job)
    except WorkerLost:
        if worker is not None:
            _discard(worker)
            worker = None  # its place takes a new worker next time
        if generation != _generation:
            raise  # stopped on purpose: the work is no longer wanted
        return function(*job)  # slower, never a different pattern
    finally:
        free.put(worker)
    if not succeeded:
        raise value  # the job's own error, as the same call in this process would raise it
    return value


def _discard(worker: _Worker) -> None:
    worker.stop()
    with _lock:
        if worker in _started:
            _started.remove(worker)


def stop() -> None:
    """Ends every worker (at exit, or when the user interrupts); a year it was solving fails (WorkerLost) instead of
    starting again in the process. The next table starts new workers."""
    global _free, _generation
    with _lock:
        _free = None
        _generation += 1
        while _started:
            _started.pop().stop()


def _forget_after_fork() -> None:
    """A forked child (a multiprocessing pool's) shares its parent's pipes: it starts workers of its own if it needs any."""
    global _free, _started, _lock
    _free, _started, _lock = None, [], threading.Lock()


atexit.register(stop)
if hasattr(os, "register_at_fork"):  # POSIX; where there is no fork, no child can share the pipes
    os.register_at_fork(after_in_child=_forget_after_fork)


def _send(stream: BinaryIO, message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("no answer")
    (length,) = _HEADER.unpack(header)
    payload = stream.read(length)
    if len(payload) < length:
        raise EOFError("answer cut short")
    return pickle.loads(payload)


def _serve(package_root: str) -> None:
    """A worker's loop: a call in, its result (or its error) out, until the parent closes the pipe or ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it stops the workers)
    lower_priority()  # a page's own work (in the parent) goes first; on an idle machine this costs nothing
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library that prints (HiGHS's banner) must not write into the answers
    import sto_metrics

    if Path(sto_metrics.__file__).resolve().parents[1] != Path(package_root):
        return  # another copy of the engine on the path: no answer, so the parent solves in its own process
    parent = os.getppid()

    def watch_parent() -> None:  # a parent that was killed leaves no one to answer: stop mid-year, not minutes later
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    while True:
        try:
            function, job = _receive(requests)
        except EOFError:
            return
        try:
            answer = (True, function(*job))
        except Exception as error:  # the parent raises it as its own
            answer = (False, error)
        _send(answers, answer)


if __name__ == "__main__":
    _serve(sys.argv[1])
