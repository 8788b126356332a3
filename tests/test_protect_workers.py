"""Protection on worker processes (privacy/workers.py): the same pattern as in the process, errors as in the process,
and a worker that dies costs time, never a table."""

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from sto_metrics import db, prepare
from sto_metrics.metrics import calculations
from sto_metrics.privacy import cross, workers


@pytest.fixture
def on_workers(monkeypatch):
    """Workers for every table, however small, and two of them whatever this machine has."""
    monkeypatch.setattr(workers, "MIN_CELLS", 0)
    monkeypatch.setenv("STO_PROTECT_WORKERS", "2")
    workers.stop()
    yield
    workers.stop()


def _pid(_: int) -> int:
    return os.getpid()


def _fails(number: int) -> int:
    raise ValueError(f"tabel {number} kan niet")


def _missing_file(number: int) -> int:
    raise FileNotFoundError(f"bestand {number}")  # an OSError of the job's own: not a lost worker


def _dies_on_a_worker(parent: int, number: int) -> int:
    if os.getpid() != parent:
        os._exit(3)  # as a worker killed by the system (out of memory) ends: no answer
    return number + 1


def test_the_workers_give_the_pattern_of_the_process(metrics_synthetic_db, on_workers, monkeypatch):
    con = db.connect(metrics_synthetic_db, read_only=True)
    counts = calculations.inflow_counts(con, "vmbo")
    con.close()
    monkeypatch.setenv("STO_PROTECT_WORKERS", "1")
    alone = cross.build(counts, cross.INFLOW)
    monkeypatch.setenv("STO_PROTECT_WORKERS", "2")
    sent = []
    original = workers._Worker.call
    monkeypatch.setattr(workers._Worker, "call", lambda worker, function, job: sent.append(function) or original(worker, function, job))
    together = cross.build(counts, cross.INFLOW)
    assert sent == [cross._protect_block] * counts["school_year"].nunique()  # every school year went to a worker
    assert together.index == alone.index
    assert np.array_equal(together.values, alone.values)
    assert np.array_equal(together.hidden, alone.hidden)
    assert 0 < together.hidden.sum() < len(together.hidden)


def test_jobs_run_in_other_processes_and_come_back_in_order(on_workers):
    pids = workers.solve_all(_pid, [(n,) for n in range(6)], [1, 50, 2, 40, 3, 30])
    assert len(pids) == 6 and os.getpid() not in pids
    assert len(set(pids)) <= 2


def test_a_job_error_is_raised_as_in_the_process(on_workers):
    with pytest.raises(ValueError, match="tabel 1 kan niet"):
        workers.solve_all(_fails, [(1,)], [10])


def test_a_lost_worker_costs_time_not_the_table(on_workers):
    parent = os.getpid()
    assert workers.solve_all(_dies_on_a_worker, [(parent, 1), (parent, 2)], [5, 5]) == [2, 3]  # done here instead
    assert os.getpid() not in workers.solve_all(_pid, [(0,), (1,)], [5, 5])  # new workers took the lost ones' places


def test_a_stand_in_function_stays_in_the_process(on_workers):
    def local(number: int) -> int:  # a worker could not import it: tests that replace _protect_block rely on this
        return os.getpid()

    assert workers.solve_all(local, [(0,), (1,)], [5, 5]) == [os.getpid()] * 2


def _sleeps(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _stopped_while_solving(years: int, started: int) -> list:
    """solve_all of `years` long jobs on another thread, workers.stop() once `started` workers run: what it gave back."""
    outcome = []

    def run() -> None:
        try:
            outcome.append(workers.solve_all(_sleeps, [(60.0,)] * years, [5] * years))
        except workers.WorkerLost as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    while len(workers._started) < started:
        time.sleep(0.05)
    workers.stop()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return outcome


def test_work_stopped_on_purpose_fails_instead_of_starting_again_here(on_workers):
    """Ctrl-C on `prepare` stops the workers: the year they were solving must not start over in the process."""
    outcome = _stopped_while_solving(years=1, started=1)
    assert len(outcome) == 1 and isinstance(outcome[0], workers.WorkerLost)


def _pids_in_a_forked_child(_: int) -> list[int]:
    return workers.solve_all(_pid, [(0,), (1,)], [5, 5])


def test_a_forked_child_starts_its_own_workers(on_workers):
    """The privacy auditor runs the command line in a fork pool: a child writing into its parent's pipes garbles both."""
    parents = workers.solve_all(_pid, [(0,), (1,)], [5, 5])  # the parent's workers are up
    with multiprocessing.get_context("fork").Pool(2) as pool:
        children = pool.map(_pids_in_a_forked_child, range(4))
    assert all(len(pids) == 2 for pids in children)
    assert not set(parents) & {pid for pids in children for pid in pids}
    assert set(workers.solve_all(_pid, [(0,), (1,)], [5, 5])) <= set(parents)  # and the parent's are untouched


def test_a_job_oserror_is_its_own_and_the_worker_stays(on_workers):
    before = set(workers.solve_all(_pid, [(0,), (1,)], [5, 5]))
    with pytest.raises(FileNotFoundError, match="bestand 3"):
        workers.solve_all(_missing_file, [(3,)], [5])
    assert set(workers.solve_all(_pid, [(0,), (1,)], [5, 5])) == before


def test_years_waiting_for_a_worker_fail_too_when_stopped(on_workers):
    """Four years on two workers: after a stop the two that waited start no new worker and run nowhere."""
    outcome = _stopped_while_solving(years=4, started=2)
    assert isinstance(outcome[0], workers.WorkerLost)
    assert workers._started == []


def test_another_checkout_in_the_current_folder_is_not_imported(on_workers, tmp_path, monkeypatch):
    """A worker runs this engine's code, whatever folder the dashboard was started from."""
    shadow = tmp_path / "sto_metrics" / "privacy"
    shadow.mkdir(parents=True)
    (tmp_path / "sto_metrics" / "__init__.py").write_text("")
    (shadow / "__init__.py").write_text("")
    (shadow / "workers.py").write_text("import os, sys\nsys.stdout.buffer.write(b'\\x00' * 64)\nos._exit(0)\n")
    monkeypatch.chdir(tmp_path)
    pids = workers.solve_all(_pid, [(0,), (1,)], [5, 5])
    assert os.getpid() not in pids  # answered by real workers, not by the shadow copy or this process


ORPHAN_PARENT = """
import sys, threading, time
sys.path.insert(0, sys.argv[1])
from sto_metrics.privacy import workers
from tests.test_protect_workers import _sleeps
workers.MIN_CELLS = 0
threading.Thread(target=workers.solve_all, args=(_sleeps, [(60.0,), (60.0,)], [5, 5]), daemon=True).start()
while len(workers._started) < 2:
    time.sleep(0.05)
print(*(worker.process.pid for worker in workers._started), flush=True)
time.sleep(0.5)
import os
os.kill(os.getpid(), 9)  # killed: no atexit, nobody stops the workers
"""


def test_workers_end_when_their_parent_is_killed(tmp_path, monkeypatch):
    monkeypatch.setenv("STO_PROTECT_WORKERS", "2")
    script = tmp_path / "parent.py"
    script.write_text(ORPHAN_PARENT)
    done = subprocess.run([sys.executable, str(script), str(Path(__file__).resolve().parents[1])], capture_output=True,
                          text=True, timeout=60)
    pids = [int(pid) for pid in done.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not status.exists() or status.read_text().split()[2] != "Z"  # a zombie has ended


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def _nice_of_a_worker(_: int) -> int:
    return _nice()


def test_workers_and_the_background_thread_yield_the_cpu_to_pages(on_workers):
    """Protection beside visitors runs at a lower priority (nice 10): measured, warm pages of a server that prepares its
    tables went from 0.9-1.2 s to 0.3-0.6 s above an empty page on two cores."""
    own = _nice()  # 0, unless the tests themselves run at a lower priority (which nobody may raise again)
    lowered = max(own, workers.BACKGROUND_NICENESS)
    assert workers.solve_all(_nice_of_a_worker, [(0,), (1,)], [5, 5]) == [lowered] * 2
    assert _nice() == own  # the caller (a page's thread) keeps its own priority
    seen = []
    background = prepare.Background(lambda path: seen.append(_nice()) or "v1")
    background.request("regio.duckdb", "v1")
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen == [lowered]
