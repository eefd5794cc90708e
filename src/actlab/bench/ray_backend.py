"""The Ray backend: one Ray task per cell; results flow back to the driver, which alone writes the store.

Ray is optional (``pip install actlab[ray]``). Without ``address`` a local Ray instance is started
(and shut down at the end); with ``address`` (``"auto"`` or ``"ray://host:10001"``) the grid runs on
that cluster. A GPU fraction per task lets several small runs share one GPU.

Failures follow the local runner's taxonomy: a task whose worker died (node lost, out of memory)
is retried by Ray up to :data:`actlab.bench.runner.INFRA_RETRIES` times and then left pending,
never stored; only an error raised by training is stored as failed. Cells are claimed in the
store first (:mod:`actlab.bench.leases`), so a local and a Ray driver never train one cell twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..errors import UserError
from . import leases
from .config import Cell
from .runner import INFRA_RETRIES, BenchInterrupted, RunSummary, TrainFn, default_train, pending_cells
from .store import ResultStore, provenance
from .workers import run_cell

__all__ = ["RayConnectError", "run_grid_ray"]


class RayConnectError(UserError, ConnectionError):
    """``ray.init(address=...)`` failed; the message says what to set (token authentication)."""


def connect_hint(address: str) -> str:
    """What to check when connecting to the Ray cluster at ``address`` fails."""
    return (f"could not connect to the Ray cluster at {address!r}. Check the address (`ray status` on the head "
            "node prints it) and that this machine's Ray version matches the cluster's. Ray 2.59 and later turn "
            "on token authentication by default: give this process the cluster's token (set RAY_AUTH_TOKEN, or "
            "RAY_AUTH_TOKEN_PATH to a file holding it; `ray get-auth-token` on the head node prints it), or "
            "start both the cluster and this command with RAY_AUTH_MODE=disabled")


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
        RayConnectError: ``address`` was given and connecting failed (says what to set).
        BenchInterrupted: Ctrl-C stopped it; every finished run is stored.
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
    pending_after: list[str] = []
    infra: dict[str, None] = {}
    failed_errors: dict[str, None] = {}
    owner = leases.new_owner()
    claimed = set(store.claim([c.key for c in todo], owner, len(todo), retry_failed=retry_failed))
    mine = [c for c in todo if c.key in claimed]

    def summary(interrupted: bool = False) -> RunSummary:
        return RunSummary(n_unique, n_unique - len(todo), ok, failed, time.time() - t0, pending=len(pending_after),
                          elsewhere=len(todo) - len(mine), failed_errors=tuple(failed_errors),
                          infra_errors=tuple(infra), interrupted=interrupted)

    if mine:
        started = not ray.is_initialized()
        if started:
            kw = {"include_dashboard": False, "log_to_driver": False, **(init_kwargs or {})}
            try:
                ray.init(address=address, **kw)
            except Exception as e:  # noqa: BLE001 - Ray raises ConnectionError, RuntimeError, ... by version
                store.release(owner)  # nothing ran: the cells are free for the next attempt
                if address is None:
                    raise
                raise RayConnectError(f"{connect_hint(address)} (Ray said: {type(e).__name__}: {e})") from e
        refs: dict = {}
        try:
            with leases.Heartbeat(str(store.path), owner):
                remote = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=INFRA_RETRIES)(run_cell)
                fn_ref = ray.put(train_fn)
                refs = {remote.remote(fn_ref, c.config): c for c in mine}
                prov = provenance()
                bar = tqdm(total=len(mine), desc=f"bench {bench} (ray)", unit="run", disable=not progress,
                           dynamic_ncols=True)
                pending = list(refs)
                try:
                    while pending:
                        done, pending = ray.wait(pending, num_returns=1)
                        cell = refs.pop(done[0])
                        bar.update(1)
                        try:
                            out = ray.get(done[0])
                        except Exception as e:  # noqa: BLE001 - the worker died after Ray's retries: no result
                            pending_after.append(cell.key)
                            infra[f"ray task failed: {type(e).__name__}: {str(e).splitlines()[0][:160]}"] = None
                            store.release(owner, [cell.key])
                            continue
                        if out.infrastructure:  # out of memory inside the run: not the config's fault
                            pending_after.append(cell.key)
                            infra[(out.error or "").splitlines()[0][:160]] = None
                            store.release(owner, [cell.key])
                            continue
                        store.add(key=cell.key, bench=bench, task=cell.task, method=cell.method, seed=cell.seed,
                                  config=cell.config, result=out.result, error=out.error, start_time=out.start,
                                  end_time=out.end, prov=prov)
                        ok, failed = ok + (out.result is not None), failed + (out.result is None)
                        if out.result is None:
                            failed_errors[(out.error or "").splitlines()[0][:160]] = None
                finally:
                    bar.close()
        except KeyboardInterrupt as e:
            for ref in refs:
                ray.cancel(ref, force=True)
            store.release(owner)
            raise BenchInterrupted(summary(interrupted=True)) from e
        finally:
            if started:
                ray.shutdown()
    store.release(owner)
    return summary()
