"""The local runner: trains every unfinished cell of a grid and stores each result as it lands.

Cells whose key is already in the store are skipped, so an interrupted benchmark resumes where it
stopped and a finished one re-runs in seconds. A cell that raises is stored as ``failed`` with its
traceback and the grid goes on. Workers (a process pool) only train; the driver alone writes.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .config import Cell
from .store import ResultStore, provenance

__all__ = ["RunSummary", "TrainFn", "default_train", "execute_cell", "pending_cells", "run_grid", "auto_workers"]

TrainFn = Callable[[dict], Any]
"""Trains one run from a full TrainConfig dict and returns a RunResult (or its JSON-safe dict)."""


@dataclass(frozen=True)
class RunSummary:
    """What a call to :func:`run_grid` did."""

    total: int
    skipped: int
    ok: int
    failed: int
    wall_s: float


def default_train(config: dict) -> dict:
    """``actlab.train.train_one(TrainConfig.from_dict(config)).to_dict()``."""
    from ..train import train_one
    from ..train.config import TrainConfig

    return train_one(TrainConfig.from_dict(config)).to_dict()


def execute_cell(train_fn: TrainFn, config: dict) -> tuple[dict | None, str | None, float, float]:
    """Runs one cell, catching any error: ``(result dict or None, error text or None, start, end)``."""
    start = time.time()
    try:
        res = train_fn(config)
        res = res.to_dict() if hasattr(res, "to_dict") else dict(res)
        return res, None, start, time.time()
    except Exception as e:  # a failing cell is recorded and must not stop the grid
        err = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=20)}"
        return None, err, start, time.time()


def pending_cells(cells: Iterable[Cell], store: ResultStore, retry_failed: bool = False) -> list[Cell]:
    """Cells not yet in the store (failed ones count as done unless ``retry_failed``), deduplicated."""
    done = store.keys("ok") if retry_failed else store.keys()
    seen: set[str] = set()
    out = []
    for c in cells:
        if c.key not in done and c.key not in seen:
            seen.add(c.key)
            out.append(c)
    return out


def auto_workers(n_cells: int) -> int:
    """One worker per CPU core (the cores this process may use), at most one per cell."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS/Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, n_cells))


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def run_grid(
    cells: Sequence[Cell],
    store: ResultStore,
    *,
    bench: str = "custom",
    train_fn: TrainFn | None = None,
    workers: int | None = 1,
    retry_failed: bool = False,
    progress: bool = True,
) -> RunSummary:
    """Trains the cells missing from ``store`` and writes one row per run as each finishes.

    Args:
        cells: the grid (from :meth:`BenchConfig.cells`).
        store: where results go.
        bench: benchmark name recorded with each row.
        train_fn: ``fn(config_dict) -> RunResult | dict``; defaults to :func:`default_train`. With
            ``workers > 1`` it must be picklable (a module-level function).
        workers: ``1`` trains in this process; ``N > 1`` uses a pool of N spawned processes, each
            with ``cores // N`` torch threads; ``None`` or ``0`` picks :func:`auto_workers`.
        retry_failed: re-run cells stored as failed.
        progress: show a tqdm progress bar with ETA on stderr.
    """
    from tqdm.auto import tqdm

    t0 = time.time()
    train_fn = train_fn or default_train
    todo = pending_cells(cells, store, retry_failed)
    n_unique = len({c.key for c in cells})
    if not workers:
        workers = auto_workers(len(todo))
    prov = provenance()
    ok = failed = 0
    bar = tqdm(total=len(todo), desc=f"bench {bench}", unit="run", disable=not progress or not todo, dynamic_ncols=True)

    def record(cell: Cell, out: tuple[dict | None, str | None, float, float]) -> None:
        nonlocal ok, failed
        result, error, start, end = out
        store.add(key=cell.key, bench=bench, task=cell.task, method=cell.method, seed=cell.seed, config=cell.config,
                  result=result, error=error, start_time=start, end_time=end, prov=prov)
        ok, failed = ok + (result is not None), failed + (result is None)
        bar.set_postfix(failed=failed, refresh=False)
        bar.update(1)

    try:
        if workers == 1 or len(todo) <= 1:
            for cell in todo:
                record(cell, execute_cell(train_fn, cell.config))
        else:
            threads = max(1, auto_workers(10**6) // workers)
            ctx = multiprocessing.get_context("spawn")
            pool = cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(threads,))
            try:
                futures = {pool.submit(execute_cell, train_fn, c.config): c for c in todo}
                for fut in cf.as_completed(futures):
                    try:
                        out = fut.result()
                    except Exception as e:  # the worker process itself died
                        out = (None, f"worker failed: {type(e).__name__}: {e}", time.time(), time.time())
                    record(futures[fut], out)
            finally:  # on Ctrl-C, drop the queued cells instead of training them all first
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()
    return RunSummary(total=n_unique, skipped=n_unique - len(todo), ok=ok, failed=failed, wall_s=time.time() - t0)
