"""The Ray backend: one Ray task per cell; results flow back to the driver, which alone writes the store.

Ray is optional (``pip install actlab[ray]``). Without ``address`` a local Ray instance is started
(and shut down at the end); with ``address`` (``"auto"`` or ``"ray://host:10001"``) the grid runs on
that cluster. A GPU fraction per task lets several small runs share one GPU.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .config import Cell
from .runner import RunSummary, TrainFn, default_train, execute_cell, pending_cells
from .store import ResultStore, provenance

__all__ = ["run_grid_ray"]


def run_grid_ray(
    cells: Sequence[Cell],
    store: ResultStore,
    *,
    bench: str = "custom",
    train_fn: TrainFn | None = None,
    address: str | None = None,
    num_gpus: float = 0.0,
    num_cpus: float = 1.0,
    retry_failed: bool = False,
    progress: bool = True,
    init_kwargs: dict[str, Any] | None = None,
) -> RunSummary:
    """Trains the cells missing from ``store`` as Ray tasks, storing each result as it arrives.

    Args:
        cells / store / bench / train_fn / retry_failed / progress: as :func:`actlab.bench.run_grid`
            (``train_fn`` is shipped to the workers with cloudpickle).
        address: Ray cluster address; ``None`` starts a local instance for this call.
        num_gpus: GPUs (a fraction is fine, e.g. 0.25) reserved per task; set it > 0 for CUDA runs.
        num_cpus: CPUs reserved per task.
        init_kwargs: extra ``ray.init`` arguments (e.g. ``{"num_cpus": 2}`` for a local instance).

    Raises:
        ImportError: Ray is not installed (with the command that installs it).
    """
    try:
        import ray
    except ImportError as e:
        raise ImportError("the Ray backend needs Ray: pip install 'actlab[ray]' (or pip install ray)") from e
    from tqdm.auto import tqdm

    t0 = time.time()
    train_fn = train_fn or default_train
    todo = pending_cells(cells, store, retry_failed)
    n_unique = len({c.key for c in cells})
    ok = failed = 0
    if todo:
        started = not ray.is_initialized()
        if started:
            kw = {"include_dashboard": False, "log_to_driver": False, **(init_kwargs or {})}
            ray.init(address=address, **kw)
        try:
            remote = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=0)(execute_cell)
            fn_ref = ray.put(train_fn)
            refs = {remote.remote(fn_ref, c.config): c for c in todo}
            prov = provenance()
            bar = tqdm(
                total=len(todo), desc=f"bench {bench} (ray)", unit="run", disable=not progress, dynamic_ncols=True
            )
            pending = list(refs)
            try:
                while pending:
                    done, pending = ray.wait(pending, num_returns=1)
                    cell = refs[done[0]]
                    try:
                        result, error, start, end = ray.get(done[0])
                    except Exception as e:  # the worker died (e.g. out of memory): record and go on
                        error, start = f"ray task failed: {type(e).__name__}: {e}", time.time()
                        result, end = None, start
                    store.add(key=cell.key, bench=bench, task=cell.task, method=cell.method, seed=cell.seed,
                              config=cell.config, result=result, error=error, start_time=start, end_time=end, prov=prov)
                    ok, failed = ok + (result is not None), failed + (result is None)
                    bar.update(1)
            finally:
                bar.close()
        finally:
            if started:
                ray.shutdown()
    return RunSummary(total=n_unique, skipped=n_unique - len(todo), ok=ok, failed=failed, wall_s=time.time() - t0)
