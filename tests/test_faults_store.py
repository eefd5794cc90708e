"""Fault injection on the results store and the report (issue 14): foreign, corrupt, read-only and
full databases, an unreadable row, leases; what a report shows after a config or version change;
baselines matched on config; the Ray connection hint.
"""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from actlab.bench import BenchConfig, ResultStore, StoreError, run_grid  # noqa: E402

from bench_faults import (  # noqa: E402
    _read_only,
    bench_args,
    crash_grid,
    in_process_cli,
    linux_only,
    one_line_error,
    write_toml,
)
from bench_standin import fake_train  # noqa: E402


@pytest.fixture
def cfg(tmp_path):
    return write_toml(tmp_path)


@pytest.fixture
def actlab(monkeypatch, capsys):
    return in_process_cli(monkeypatch, capsys)


# ------------------------------------------------------------------ databases that are not (or no longer) fine
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
