"""The Ray backend on a local Ray instance: same rows as the local runner, failures recorded, resume."""

import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
sys.path.insert(0, str(Path(__file__).parent))
from actlab.bench import ResultStore, run_grid  # noqa: E402
from actlab.bench.ray_backend import run_grid_ray  # noqa: E402

import bench_standin  # noqa: E402
from test_bench_runner import grid, snapshot  # noqa: E402


@pytest.mark.ray
def test_ray_backend_matches_local_and_resumes(tmp_path):
    ray.cloudpickle.register_pickle_by_value(bench_standin)  # workers cannot import tests/
    cells = grid(acts=("relu", "boom", "tanh"), seeds=(0, 1))
    with ResultStore(tmp_path / "local.db") as s:
        run_grid(cells, s, bench="t", train_fn=bench_standin.fake_train, progress=False)
    with ResultStore(tmp_path / "ray.db") as s:
        run_grid(cells[:5], s, bench="t", train_fn=bench_standin.fake_train, progress=False)  # an interrupted grid
        summary = run_grid_ray(cells, s, bench="t", train_fn=bench_standin.fake_train, progress=False,
                               init_kwargs={"num_cpus": 2}, num_cpus=0.5)
        assert (summary.total, summary.skipped, summary.ok, summary.failed) == (12, 5, 5, 2)
        assert "boom activation exploded" in s.rows(status="failed")[-1].error
    assert not ray.is_initialized()  # the local instance it started is shut down
    assert snapshot(tmp_path / "ray.db") == snapshot(tmp_path / "local.db")
