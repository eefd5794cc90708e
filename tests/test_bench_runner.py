"""Results store and local runner: atomic rows, skipping finished keys, failures, kill and resume."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from actlab.bench import BenchConfig, ResultStore, run_grid  # noqa: E402

from bench_standin import fake_train  # noqa: E402


def grid(acts=("relu", "gelu", "tanh"), seeds=(0, 1, 2)):
    d = {"name": "t", "grid": {"datasets": ["digits", "mnist1d"], "models": ["mlp"],
                               "activations": list(acts), "seeds": list(seeds)}, "recipe": {"epochs": 1}}
    return BenchConfig.from_dict(d, check_names=False).cells(dict)


def snapshot(db):
    with ResultStore(db) as s:
        return sorted(
            (r.key, r.status, r.task, r.method, r.seed, json.dumps(r.result, sort_keys=True))
            for r in s.rows(status=None)
        )


def test_store_is_wal_unique_and_keeps_provenance(tmp_path):
    db = tmp_path / "r" / "b.db"
    with ResultStore(db) as s:
        kw = dict(
            key="k", bench="b", task="t", method="m", seed=1, config={"a": 1}, error=None, start_time=1.0, end_time=2.0
        )
        assert s.add(result={"final_test_acc": 0.5, "device": "cpu"}, **kw)
        assert not s.add(result={"final_test_acc": 0.9}, **kw)  # never duplicated, never overwritten
        (row,) = s.rows()
        got = (row.result["final_test_acc"], row.device, row.config, row.start_time, row.end_time)
        assert got == (0.5, "cpu", {"a": 1}, 1.0, 2.0)
        assert set(row.versions) == {"python", "torch", "numpy", "actlab"}
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO runs "
            "(key, status, bench, task, method, seed, config_json, versions_json, start_time, end_time) "
            "VALUES ('k', 'ok', 'b', 't', 'm', 1, '{}', '{}', 0, 0)"
        )


def test_failed_row_is_replaced_by_a_retry_but_ok_is_not(tmp_path):
    with ResultStore(tmp_path / "b.db") as s:
        kw = dict(key="k", bench="b", task="t", method="m", seed=0, config={}, start_time=0.0)
        s.add(result=None, error="RuntimeError: x", **kw)
        assert s.keys("failed") == {"k"} and s.rows() == []
        assert s.add(result={"final_test_acc": 1.0}, error=None, **kw)
        assert s.keys("ok") == {"k"} and s.count() == 1


def test_runner_records_failures_and_skips_finished(tmp_path):
    db = tmp_path / "b.db"
    cells = grid(acts=("relu", "boom", "tanh"), seeds=(0, 1))
    with ResultStore(db) as s:
        first = run_grid(cells, s, bench="t", train_fn=fake_train, progress=False)
        assert (first.total, first.skipped, first.ok, first.failed) == (12, 0, 8, 4)
        (bad, *_) = s.rows(status="failed")
        assert bad.method == "boom" and "boom activation exploded" in bad.error and bad.result is None
        again = run_grid(cells, s, bench="t", train_fn=fake_train, progress=False)
        assert (again.skipped, again.ok, again.failed) == (12, 0, 0)
        retry = run_grid(cells, s, bench="t", train_fn=fake_train, retry_failed=True, progress=False)
        assert (retry.skipped, retry.failed) == (8, 4) and s.count() == 12


def test_process_pool_gives_the_same_rows(tmp_path):
    cells = grid(seeds=(0, 1))
    with ResultStore(tmp_path / "seq.db") as s:
        run_grid(cells, s, bench="t", train_fn=fake_train, workers=1, progress=False)
    with ResultStore(tmp_path / "pool.db") as s:
        summary = run_grid(cells, s, bench="t", train_fn=fake_train, workers=2, progress=False)
        assert summary.ok == len(cells)
    assert snapshot(tmp_path / "seq.db") == snapshot(tmp_path / "pool.db")


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from bench_standin import fake_train
from test_bench_runner import grid
from actlab.bench import ResultStore, run_grid
with ResultStore({db!r}) as s:
    run_grid(grid(), s, bench="t", train_fn=fake_train, progress=False)
"""


def test_kill_mid_run_then_resume(tmp_path):
    db = tmp_path / "b.db"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(SCRIPT.format(tests=str(Path(__file__).parent), db=str(db))))
    env = {**os.environ, "ACTLAB_TEST_SLEEP": "0.15"}  # slow stand-in in the killed run only
    proc = subprocess.Popen([sys.executable, str(script)], start_new_session=True, env=env)
    try:
        deadline = time.time() + 120
        n = 0
        while time.time() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    n = sqlite3.connect(db, timeout=1).execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                except sqlite3.OperationalError:
                    n = 0
            if n >= 4:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the grid finished before it could be killed; make the stand-in slower"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    killed = snapshot(db)
    cells = grid()
    assert 4 <= len(killed) < len(cells)
    with ResultStore(db) as s:
        resumed = run_grid(cells, s, bench="t", train_fn=fake_train, progress=False)
    assert resumed.total == len(cells)
    with ResultStore(tmp_path / "clean.db") as s:
        run_grid(cells, s, bench="t", train_fn=fake_train, progress=False)
    final = snapshot(db)
    assert len(final) == len({r[0] for r in final}) == len(cells)  # no duplicates
    assert final == snapshot(tmp_path / "clean.db")  # the same rows as an uninterrupted run
    assert set(killed) <= set(final)
