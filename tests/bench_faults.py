"""Helpers of the fault-injection tests (test_faults_bench.py, test_faults_store.py): the tiny grid,
the CLI in a subprocess (bench_cli_driver.py) or in-process, and finding processes through /proc."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from actlab.bench import BenchConfig  # noqa: E402

from bench_standin import fake_train  # noqa: E402

HERE = Path(__file__).parent
DRIVER = HERE / "bench_cli_driver.py"
SRC = HERE.parent / "src"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find worker processes")

TOML = """name = "faults"
[grid]
datasets = ["digits"]
models = ["mlp"]
activations = ["relu", "gelu", "tanh"]
seeds = [0, 1, 2, 3]
[recipe]
epochs = 3
device = "cpu"
"""
N_CELLS = 12


def env(**extra):
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    e = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path}
    e.pop("ACTLAB_TEST_CRASH_OFF", None)
    return {**e, **{k: str(v) for k, v in extra.items()}}


def write_toml(tmp_path):
    """The fault tests' grid (12 cells of digits/mlp) as a TOML file in ``tmp_path``."""
    p = tmp_path / "faults.toml"
    p.write_text(TOML)
    return p


def bench_args(cfg, db, *more):
    return ["bench", "--config", str(cfg), "--db", str(db), "--out", str(Path(db).parent / "rep"), "--quiet",
            *map(str, more)]


def cli(args, timeout=180, **extra):
    return subprocess.run([sys.executable, str(DRIVER), *args], capture_output=True, text=True, env=env(**extra),
                          timeout=timeout)


def in_process_cli(monkeypatch, capsys):
    """``run(ARGS)``: ``actlab ARGS`` in this process with the fake train function, as a CompletedProcess."""
    from actlab.bench import runner
    from actlab.cli.main import main

    monkeypatch.setattr(runner, "default_train", fake_train)

    def run(args):
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, rc, out, err)

    return run


def start(args, **extra):
    return subprocess.Popen([sys.executable, str(DRIVER), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env(**extra), start_new_session=True)


def n_rows(db, status=None):
    if not Path(db).exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        q = "SELECT COUNT(*) FROM runs" + (" WHERE status = ?" if status else "")
        return conn.execute(q, (status,) if status else ()).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def wait_rows(db, n, proc, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if n_rows(db) >= n:
            return
        time.sleep(0.05)
    out, err = proc.communicate(timeout=30) if proc.poll() is not None else ("", "")
    raise AssertionError(f"{n} rows never appeared (rc {proc.poll()}): {err[-2000:]}")


def _ppid_map():
    out = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            out[int(d.name)] = (int(fields[1]), fields[0])
    return out


def descendants(pid):
    m = _ppid_map()
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, (pp, _) in m.items() if pp == p]
        found += kids
        todo += kids
    return found


def alive(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


def wait_workers(proc, n, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        kids = [p for p in descendants(proc.pid) if "spawn_main" in _cmdline(p)]
        if len(kids) >= n:
            return kids
        time.sleep(0.1)
    raise AssertionError("the pool workers never started")


def kill_group(proc):
    """Kills what is left of a started CLI and closes its pipes."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def crash_grid(acts=("relu", "crash", "tanh"), seeds=(0, 1)):
    d = {"name": "c", "grid": {"datasets": ["digits"], "models": ["mlp"], "activations": list(acts),
                               "seeds": list(seeds)}, "recipe": {"epochs": 1}}
    return BenchConfig.from_dict(d, check_names=False).cells(dict)


def one_line_error(res, *words):
    """Exit 2, no traceback, and one error line (after at most the grid's summary line) holding ``words``."""
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and 1 <= len(lines) <= 2, res.stderr
    assert len(lines) == 1 or lines[0].startswith("bench '"), res.stderr
    for w in words:
        assert w in lines[-1], lines[-1]
    return lines[-1]


def _read_only(path, on):
    """Makes ``path`` read-only (or writable again) for this user: chmod, or for root (whom permissions do
    not stop) the immutable attribute."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True)
    else:
        path.chmod((0o555 if path.is_dir() else 0o444) if on else (0o755 if path.is_dir() else 0o644))
