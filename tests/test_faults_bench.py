"""Fault injection on `actlab bench` (issue 14): dead workers, a crashing cell, out of memory, an
all-failing grid, Ctrl-C, SIGTERM, a killed driver, two drivers on one database.

The CLI runs in subprocesses through tests/bench_cli_driver.py (the real CLI with the fake train
function of bench_standin, so a run takes milliseconds); the faults are real signals and processes.
"""

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from actlab.bench import ResultStore, run_grid  # noqa: E402

from bench_faults import (  # noqa: E402
    N_CELLS,
    alive,
    bench_args,
    crash_grid,
    descendants,
    in_process_cli,
    kill_group,
    linux_only,
    n_rows,
    start,
    wait_rows,
    wait_workers,
    write_toml,
)
from bench_standin import fake_train  # noqa: E402


@pytest.fixture
def cfg(tmp_path):
    return write_toml(tmp_path)


@pytest.fixture
def actlab(monkeypatch, capsys):
    return in_process_cli(monkeypatch, capsys)


# ------------------------------------------------------------------ infrastructure vs config failures
@linux_only
def test_a_killed_worker_is_no_result_and_its_cells_are_retried(cfg, tmp_path):
    """Finding 1: SIGKILL one pool worker mid-grid; no cell is stored as failed and the run completes."""
    db = tmp_path / "b.db"
    proc = start(bench_args(cfg, db, "--workers", "2", "--no-report"), ACTLAB_TEST_SLEEP=0.4)
    try:
        wait_rows(db, 2, proc)
        worker = wait_workers(proc, 2)[-1]
        os.kill(worker, signal.SIGKILL)
        out, err = proc.communicate(timeout=180)
    finally:
        kill_group(proc)
    assert proc.returncode == 0, err
    assert n_rows(db, "failed") == 0 and n_rows(db, "ok") == N_CELLS
    assert "0 failed" in err and "worker died" not in err  # retried within the run, all finished


def test_a_cell_that_kills_its_worker_stays_pending_then_a_rerun_finishes(tmp_path, monkeypatch):
    monkeypatch.delenv("ACTLAB_TEST_CRASH_OFF", raising=False)
    cells = crash_grid(seeds=(0,))
    with ResultStore(tmp_path / "b.db") as s:
        first = run_grid(cells, s, bench="c", train_fn=fake_train, workers=2, progress=False)
        # the crashing cell, and any cell that happened to be running beside it at every break, stay pending
        crash = next(c.key for c in cells if c.config["act"] == "crash")
        assert first.failed == 0 and first.pending >= 1 and first.ok + first.pending == 3
        assert "worker died" in first.infra_errors[0] and crash not in s.keys()
        assert s.keys("failed") == set() and s.count() == first.ok  # a dead worker is not a result
        monkeypatch.setenv("ACTLAB_TEST_CRASH_OFF", "1")  # the machine is fine again
        again = run_grid(cells, s, bench="c", train_fn=fake_train, workers=1, progress=False)
        assert (again.skipped, again.ok, again.failed, again.pending) == (first.ok, first.pending, 0, 0)
        assert s.keys("ok") == {c.key for c in cells}


def test_out_of_memory_is_not_stored_as_a_config_failure(tmp_path):
    cells = crash_grid(acts=("relu", "oom", "boom"), seeds=(0,))
    with ResultStore(tmp_path / "b.db") as s:
        summary = run_grid(cells, s, bench="c", train_fn=fake_train, workers=1, progress=False)
        assert (summary.ok, summary.failed, summary.pending) == (1, 1, 1)
        assert any("MemoryError" in e for e in summary.infra_errors)
        assert [r.method for r in s.rows(status="failed")] == ["boom"]  # only the config error is a stored failure


def test_an_all_failing_grid_exits_nonzero_and_says_why(tmp_path, capsys):
    """Finding 3 (exit status): a kwarg typo would make every run fail; bench refuses the grid with exit 2
    and says why, before training, now and on the rerun."""
    from actlab.cli.main import main

    cfg = tmp_path / "typo.toml"
    cfg.write_text('name = "typo"\n[grid]\ndatasets = ["digits"]\nmodels = ["mlp"]\n'
                   'model_kwargs = { mlp = { widht = 8 } }\nactivations = ["relu", "tanh"]\nseeds = [0]\n'
                   '[recipe]\nepochs = 1\ndevice = "cpu"\n')
    args = ["bench", "--config", str(cfg), "--db", str(tmp_path / "b.db"), "--out", str(tmp_path / "r"),
            "--workers", "1", "--quiet"]
    assert main(args) == 2  # refused before training: the pre-flight builds every distinct cell
    err = capsys.readouterr().err
    assert "1 problem(s) in 2 distinct cells; 2 of 2 runs would fail" in err and "widht" in err
    assert "did you mean 'width'" in err and "nothing was trained" in err
    from actlab.bench.store import ResultStore

    with ResultStore(tmp_path / "b.db") as store:
        assert not store.rows(status=None)  # no failed rows stored: a rerun after the fix trains every cell
    assert main(args) == 2  # and the rerun says it again


# ------------------------------------------------------------------ interruption and orphans
@linux_only
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_interrupt_exits_130_with_one_line_and_keeps_rows(cfg, tmp_path, sig, actlab):
    """Finding 6: Ctrl-C (SIGINT to the whole group, as a terminal sends it) on a pool of workers, or
    SIGTERM to a driver training in its own process."""
    db = tmp_path / "b.db"
    n_workers = 2 if sig == signal.SIGINT else 1
    proc = start(bench_args(cfg, db, "--workers", n_workers, "--no-report"), ACTLAB_TEST_SLEEP=0.5)
    try:
        wait_rows(db, 2, proc)
        workers = wait_workers(proc, 2) if n_workers > 1 else []
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=60)
    finally:
        kill_group(proc)
    assert proc.returncode == 130, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err and len(lines) == 2, err  # the grid line, then one line
    kept = n_rows(db, "ok")
    assert lines[-1] == f"interrupted: {kept} finished runs kept; rerun the same command to resume"
    assert 2 <= kept < N_CELLS and n_rows(db, "failed") == 0
    deadline = time.time() + 10
    while time.time() < deadline and any(map(alive, workers)):
        time.sleep(0.1)
    assert not any(map(alive, workers))
    again = actlab(bench_args(cfg, db, "--workers", "1", "--no-report"))
    assert again.returncode == 0 and f"{N_CELLS - kept} trained, {kept} already in the database" in again.stderr


@linux_only
def test_a_killed_driver_leaves_no_orphans_and_frees_its_claims(cfg, tmp_path, actlab):
    """Finding 5: kill -9 of the driver; its pool workers (and the resource tracker) exit by themselves."""
    db = tmp_path / "b.db"
    proc = start(bench_args(cfg, db, "--workers", "2", "--no-report"), ACTLAB_TEST_SLEEP=1.0)
    try:
        wait_rows(db, 2, proc)  # the workers are up and training
        children = descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 60  # ends as soon as they are gone
        while time.time() < deadline and any(map(alive, children)):
            time.sleep(0.1)
        left = [p for p in children if alive(p)]
    finally:
        for p in children:
            if alive(p):
                os.kill(p, signal.SIGKILL)
        kill_group(proc)
    assert children and not left, f"orphans still alive: {left}"
    kept = n_rows(db, "ok")
    assert 2 <= kept < N_CELLS
    # the dead driver's claims (lease not expired yet) are freed at once: its pid is gone
    again = actlab(bench_args(cfg, db, "--workers", "1", "--no-report"))
    assert again.returncode == 0 and f"{N_CELLS - kept} trained, {kept} already in the database" in again.stderr


# ------------------------------------------------------------------ two drivers on one database
def test_two_concurrent_benches_never_train_one_cell_twice(cfg, tmp_path):
    db, log = tmp_path / "b.db", tmp_path / "calls.jsonl"
    procs = [start(bench_args(cfg, db, "--workers", "1", "--no-report"), ACTLAB_TEST_SLEEP=0.8, ACTLAB_TEST_LOG=log)
             for _ in range(2)]
    try:
        outs = [p.communicate(timeout=180) for p in procs]
    finally:
        for p in procs:
            kill_group(p)
    assert [p.returncode for p in procs] == [0, 0], outs
    calls = [tuple(json.loads(x)) for x in log.read_text().splitlines()]
    assert len(calls) == N_CELLS == len({c[1:] for c in calls})  # every cell trained exactly once
    by_pid = {pid: sum(c[0] == pid for c in calls) for pid in {c[0] for c in calls}}
    trained = sorted(int(err.split(" trained")[0].split()[-1]) for _, err in outs)
    assert sorted(by_pid.values()) == [t for t in trained if t] and sum(trained) == N_CELLS  # each says what it trained
    assert n_rows(db) == N_CELLS


