"""Fault injection on `actlab bench` / `actlab report` (issue 14): dead workers, killed drivers, Ctrl-C,
SIGTERM, corrupt / foreign / read-only / full databases, bad rows, two drivers on one database.

The CLI runs in subprocesses through tests/bench_cli_driver.py (the real CLI with the fake train
function of bench_standin, so a run takes milliseconds); the faults are real signals and files.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from actlab.bench import BenchConfig, ResultStore, StoreError, run_grid  # noqa: E402

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


@pytest.fixture
def cfg(tmp_path):
    p = tmp_path / "faults.toml"
    p.write_text(TOML)
    return p


def bench_args(cfg, db, *more):
    return ["bench", "--config", str(cfg), "--db", str(db), "--out", str(Path(db).parent / "rep"), "--quiet",
            *map(str, more)]


def cli(args, timeout=180, **extra):
    return subprocess.run([sys.executable, str(DRIVER), *args], capture_output=True, text=True, env=env(**extra),
                          timeout=timeout)


@pytest.fixture
def actlab(monkeypatch, capsys):
    """``actlab ARGS`` in this process with the fake train function: ``(exit status, stdout, stderr)``."""
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


def crash_grid(acts=("relu", "crash", "tanh"), seeds=(0, 1)):
    d = {"name": "c", "grid": {"datasets": ["digits"], "models": ["mlp"], "activations": list(acts),
                               "seeds": list(seeds)}, "recipe": {"epochs": 1}}
    return BenchConfig.from_dict(d, check_names=False).cells(dict)


def test_a_cell_that_kills_its_worker_stays_pending_then_a_rerun_finishes(tmp_path, monkeypatch):
    monkeypatch.delenv("ACTLAB_TEST_CRASH_OFF", raising=False)
    cells = crash_grid(seeds=(0,))
    with ResultStore(tmp_path / "b.db") as s:
        first = run_grid(cells, s, bench="c", train_fn=fake_train, workers=2, progress=False)
        assert (first.ok, first.failed, first.pending) == (2, 0, 1) and "worker died" in first.infra_errors[0]
        assert s.keys("failed") == set() and s.count() == 2  # a dead worker is not a result
        monkeypatch.setenv("ACTLAB_TEST_CRASH_OFF", "1")  # the machine is fine again
        again = run_grid(cells, s, bench="c", train_fn=fake_train, workers=1, progress=False)
        assert (again.skipped, again.ok, again.failed, again.pending) == (2, 1, 0, 0) and s.count() == 3


def test_out_of_memory_is_not_stored_as_a_config_failure(tmp_path):
    cells = crash_grid(acts=("relu", "oom", "boom"), seeds=(0,))
    with ResultStore(tmp_path / "b.db") as s:
        summary = run_grid(cells, s, bench="c", train_fn=fake_train, workers=1, progress=False)
        assert (summary.ok, summary.failed, summary.pending) == (1, 1, 1)
        assert any("MemoryError" in e for e in summary.infra_errors)
        assert [r.method for r in s.rows(status="failed")] == ["boom"]  # only the config error is a stored failure


def test_an_all_failing_grid_exits_nonzero_and_says_why(tmp_path, capsys):
    """Finding 3 (exit status): a kwarg typo makes every run fail; bench exits 1, now and on the rerun."""
    from actlab.cli.main import main

    cfg = tmp_path / "typo.toml"
    cfg.write_text('name = "typo"\n[grid]\ndatasets = ["digits"]\nmodels = ["mlp"]\n'
                   'model_kwargs = { mlp = { widht = 8 } }\nactivations = ["relu", "tanh"]\nseeds = [0]\n'
                   '[recipe]\nepochs = 1\ndevice = "cpu"\n')
    args = ["bench", "--config", str(cfg), "--db", str(tmp_path / "b.db"), "--out", str(tmp_path / "r"),
            "--workers", "1", "--quiet"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "0 trained, 0 already in the database, 2 failed" in err and "2 runs of this grid failed" in err
    assert "widht" in err and "--retry-failed" in err and "no report written" in err
    assert main(args) == 1  # the rerun skips the stored failures but still says so
    assert "2 runs of this grid failed (2 in an earlier run)" in capsys.readouterr().err


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


# ------------------------------------------------------------------ databases that are not (or no longer) fine
def one_line_error(res, *words):
    """Exit 2, no traceback, and one error line (after at most the grid's summary line) holding ``words``."""
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and 1 <= len(lines) <= 2, res.stderr
    assert len(lines) == 1 or lines[0].startswith("bench '"), res.stderr
    for w in words:
        assert w in lines[-1], lines[-1]
    return lines[-1]


def test_a_foreign_sqlite_file_is_refused_and_left_unmodified(cfg, tmp_path, actlab):
    """Finding 8: `report other.db` used to add a runs table and switch the file to WAL."""
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.execute("INSERT INTO people VALUES ('ada')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    one_line_error(actlab(["report", str(db), "-o", str(tmp_path / "r")]), "not an actlab results database", "people")
    one_line_error(actlab(bench_args(cfg, db, "--workers", "1")), "not an actlab results database", "not modified")
    assert db.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["faults.toml", "other.db"]
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_database_gets_one_clear_line(tmp_path, damage, actlab):
    db = tmp_path / "b.db"
    if damage == "garbage":
        db.write_bytes(b"this is not a database at all\n" * 100)
    else:
        with ResultStore(db) as s:
            run_grid(crash_grid(acts=("relu", "tanh"), seeds=tuple(range(40))), s, train_fn=fake_train, progress=False)
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3])
    before = db.read_bytes()
    for args in (["report", str(db), "-o", str(tmp_path / "r")], ["bench", "--db", str(db), "--quiet"]):
        line = one_line_error(actlab(args), str(db))
        assert "corrupt" in line or "malformed" in line
    assert db.read_bytes() == before


def test_a_row_with_bad_json_is_reported_and_skipped(tmp_path, actlab):
    """Finding 7: one row with bad JSON used to kill the whole report."""
    db = tmp_path / "b.db"
    with ResultStore(db) as s:
        run_grid(crash_grid(acts=("relu", "tanh"), seeds=(0, 1, 2)), s, bench="c", train_fn=fake_train, progress=False)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE runs SET result_json = '{\"test\": {\"acc\": ' WHERE id = 2")
    conn.commit()
    conn.close()
    res = actlab(["report", str(db), "-o", str(tmp_path / "r")])
    assert res.returncode == 0, res.stderr
    assert "unreadable row skipped" in res.stderr and "Expecting value" in res.stderr
    text = (tmp_path / "r" / "report.md").read_text()
    assert "5 finished runs" in text and "unreadable row skipped" in text


def test_a_full_disk_gives_a_store_error_and_keeps_the_earlier_rows(tmp_path):
    """A full disk, injected as SQLite's own limit on the file's pages (the same SQLITE_FULL error)."""
    db = tmp_path / "b.db"
    big = {"test": {"acc": 0.5}, "blob": "x" * 20000}
    with ResultStore(db) as s:
        s.add(key="k0", bench="b", task="t", method="m", seed=0, config={}, result={"test": {"acc": 0.5}}, error=None,
              start_time=0.0)
        pages = s._conn.execute("PRAGMA page_count").fetchone()[0]
        s._conn.execute(f"PRAGMA max_page_count = {pages + 1}")
        with pytest.raises(StoreError, match="is full.*rerun the same command to resume"):
            s.add(key="k1", bench="b", task="t", method="m", seed=1, config={}, result=big, error=None, start_time=0.0)
    with ResultStore(db, readonly=True) as s:
        assert s.keys() == {"k0"}


def _read_only(path, on):
    """Makes ``path`` read-only (or writable again) for this user: chmod, or for root (whom permissions do
    not stop) the immutable attribute."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True)
    else:
        path.chmod((0o555 if path.is_dir() else 0o444) if on else (0o755 if path.is_dir() else 0o644))


@linux_only
def test_a_read_only_database_is_reported_and_refuses_writes_clearly(cfg, tmp_path, actlab):
    """Finding 7: `report` of a read-only database in a read-only folder (it used to open it for writing)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "b.db"
    with ResultStore(db) as s:
        run_grid(crash_grid(acts=("relu", "tanh"), seeds=(0, 1, 2)), s, bench="c", train_fn=fake_train, progress=False)
    _read_only(db, True)
    _read_only(folder, True)
    try:
        rep = actlab(["report", str(db), "-o", str(tmp_path / "r")])
        assert rep.returncode == 0, rep.stderr
        assert (tmp_path / "r" / "report.md").is_file()
        assert sorted(p.name for p in folder.iterdir()) == ["b.db"]  # no -wal / -shm created
        one_line_error(actlab(bench_args(cfg, db, "--workers", "1")), "read-only")
    finally:
        _read_only(folder, False)
        _read_only(db, False)


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


# ------------------------------------------------------------------ what a report shows
def test_after_a_set_override_a_plain_bench_reports_its_own_config(cfg, tmp_path, actlab):
    """Finding 2: after `bench --set recipe.epochs=1`, a plain `bench` must report the 3-epoch runs."""
    db = tmp_path / "b.db"
    one = actlab(bench_args(cfg, db, "--workers", "1", "--set", "recipe.epochs=1"))
    assert one.returncode == 0 and "12 trained" in one.stderr
    plain = actlab(bench_args(cfg, db, "--workers", "1"))
    assert plain.returncode == 0 and "12 trained, 0 already in the database" in plain.stderr
    # fake accuracy: 0.5 + 0.1 (gelu: len 4 -> 0) ... + 0.05 (digits) + 0.002 * epochs, mean over seeds 0-3 (+0.015)
    gelu = next(ln for ln in plain.stdout.splitlines() if " gelu " in ln)
    assert "57.10" in gelu  # 3 epochs; the 1-epoch runs would read 56.70
    assert "12 stored runs are not cells of this grid" in plain.stderr
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "12 finished runs, 0 failed" in md and "12 stored runs are not cells of this grid" in md
    again = actlab(bench_args(cfg, db, "--workers", "1", "--set", "recipe.epochs=1", "--no-report"))
    assert "0 trained, 12 already in the database" in again.stderr
    view = actlab(["report", db, "-o", tmp_path / "r1", "--config", cfg, "--set", "recipe.epochs=1"])
    assert view.returncode == 0 and "56.70" in next(ln for ln in view.stdout.splitlines() if " gelu " in ln)


def _old_version_rows(db, cells, version):
    """Stores ``cells`` as if an earlier actlab ``version`` had run them (their keys include the version)."""
    from actlab.bench import cell_key

    with ResultStore(db) as s:
        for c in cells:
            res = fake_train(c.config)
            res["test"]["acc"] -= 0.3  # the old version trained worse: mixing would show
            s.add(key=cell_key(c.config, version=version), bench="faults", task=c.task, method=c.method, seed=c.seed,
                  config=c.config, result=res, error=None, start_time=0.0,
                  prov={"versions": {"actlab": version, "torch": "x"}, "git_commit": None})


def test_mixed_versions_are_never_ranked_together(cfg, tmp_path, actlab):
    """Finding 4: after a version bump and an interrupted rerun, `report` ranked 11 new rows with 49 old ones."""
    from actlab.bench import load_bench_config

    db = tmp_path / "b.db"
    cells = load_bench_config(path=cfg).cells()
    _old_version_rows(db, cells, "0.0.9")
    with ResultStore(db) as s:  # the interrupted rerun under the current version: 5 of 12 cells
        run_grid(cells[:5], s, bench="faults", train_fn=fake_train, progress=False)
    rep = actlab(["report", db, "-o", tmp_path / "r"])
    assert rep.returncode == 0, rep.stderr
    assert "left out: runs of other actlab versions (12 of 0.0.9)" in rep.stderr and "--version V" in rep.stderr
    md = (tmp_path / "r" / "report.md").read_text()
    assert "5 finished runs, 0 failed" in md and "actlab=0.0.9" not in md
    old = actlab(["report", db, "-o", tmp_path / "r0", "--version", "0.0.9"])
    assert old.returncode == 0 and "12 finished runs" in (tmp_path / "r0" / "report.md").read_text()
    mixed = actlab(["report", db, "-o", tmp_path / "rm", "--all-versions"])
    assert "mixes the runs of actlab 0.0.9, 0.1.0" in mixed.stderr
    bench = actlab(bench_args(cfg, db, "--workers", "1"))  # a bench reports exactly its own (current) cells
    assert "7 trained, 5 already in the database" in bench.stderr and "12 stored runs are not cells" in bench.stderr
    nothing = actlab(["report", db, "-o", tmp_path / "rx", "--version", "9.9"])
    one_line_error(nothing, "has no runs of actlab 9.9")


def test_baselines_are_matched_on_the_run_config_not_the_label(tmp_path):
    """Issue 14 'analysis': with two optimizers every 'vs relu' cell used to read n/a."""
    from actlab.bench.analysis import collect, match_baselines, rank_methods
    from actlab.bench.report import _cost

    d = {"name": "o", "grid": {"datasets": ["digits"], "models": ["mlp"], "activations": ["relu", "gelu", "swish"],
                               "optimizers": ["adam", {"name": "sgd", "lr": 0.1}], "seeds": [0, 1]},
         "recipe": {"epochs": 1}}
    cells = BenchConfig.from_dict(d, check_names=False).cells(dict)
    with ResultStore(tmp_path / "b.db") as s:
        run_grid(cells, s, bench="o", train_fn=fake_train, progress=False)
        data = collect(s.rows())
    bases = match_baselines(data, "relu")
    assert bases[("digits/mlp", "gelu | adam")] == "relu | adam"
    assert bases[("digits/mlp", "swish | sgd,lr=0.1")] == "relu | sgd,lr=0.1"
    table, _ = _cost(data, rank_methods(data))
    swish = next(r for r in table.rows if r[0] == "swish | adam")
    assert swish[2] == f"{(1 + 5) / (1 + 4):.2f}x"  # fake time/epoch grows with len(act): swish 6 vs relu 5


def test_a_failed_ray_connection_says_what_to_set(tmp_path, monkeypatch):
    """Ray 2.59+ token authentication: the error names RAY_AUTH_TOKEN / RAY_AUTH_MODE=disabled."""
    ray = pytest.importorskip("ray")
    from actlab.bench import RayConnectError, run_grid_ray

    def refuse(*a, **k):
        raise ConnectionError("Failed to connect to Ray cluster at 10.0.0.1:6379")

    monkeypatch.setattr(ray, "init", refuse)
    cells = crash_grid(acts=("relu",), seeds=(0, 1))
    with ResultStore(tmp_path / "b.db") as s, pytest.raises(RayConnectError) as e:
        run_grid_ray(cells, s, train_fn=fake_train, address="10.0.0.1:6379", progress=False)
    msg = str(e.value)
    assert "RAY_AUTH_TOKEN" in msg and "RAY_AUTH_MODE=disabled" in msg and "10.0.0.1:6379" in msg
    with ResultStore(tmp_path / "b.db") as s:  # nothing stored, and the cells were not left claimed
        assert s.count() == 0 and s.others_claims([c.key for c in cells], "nobody") == {}
        assert len(s.claim([c.key for c in cells], "next-driver", 5)) == 2


def test_leases_are_exclusive_expire_and_die_with_their_owner(tmp_path):
    from actlab.bench import leases

    keys = [f"k{i}" for i in range(5)]
    with ResultStore(tmp_path / "b.db") as s:
        me, other = leases.new_owner(), leases.new_owner()
        assert s.claim(keys, me, 3) == ["k0", "k1", "k2"]
        assert s.claim(keys, other, 10) == ["k3", "k4"]  # never a key another live driver holds
        assert s.claim(keys, me, 10) == [] and set(s.others_claims(keys, me)) == {"k3", "k4"}
        s.add(key="k0", bench="b", task="t", method="m", seed=0, config={}, result={"test": {"acc": 1.0}}, error=None,
              start_time=0.0)
        s.release(me)
        assert s.claim(keys, other, 10) == ["k1", "k2"]  # stored k0 is done; released k1, k2 are free
        s.release(other)
        assert s.claim(keys, me, 10, lease_s=-1.0) == ["k1", "k2", "k3", "k4"]  # an expired lease ...
        assert s.claim(keys, other, 10) == ["k1", "k2", "k3", "k4"]  # ... frees its cells
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        ghost = f"{leases.new_owner().split(':')[0]}:{int(dead.stdout)}:dead"
        s.release(other)
        assert s.claim(keys, ghost, 10) == ["k1", "k2", "k3", "k4"]
        assert s.claim(keys, me, 10) == ["k1", "k2", "k3", "k4"]  # a dead process on this host holds nothing
