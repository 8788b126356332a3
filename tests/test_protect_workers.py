"""Protection on worker processes (privacy/workers.py): the same pattern as in the process, errors as in the process,
and a worker that dies costs time, never a table."""

import multiprocessing
import os
import threading
import time

import numpy as np
import pytest

from sto_metrics import db
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


def test_work_stopped_on_purpose_fails_instead_of_starting_again_here(on_workers):
    """Ctrl-C on `prepare` stops the workers: the year they were solving must not start over in the process."""
    outcome = []

    def run() -> None:
        try:
            outcome.append(workers.solve_all(_sleeps, [(60.0,)], [5]))
        except workers.WorkerLost as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    while not workers._started:
        time.sleep(0.05)
    workers.stop()
    thread.join(timeout=30)
    assert not thread.is_alive()
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
