"""The local runner: trains every unfinished cell of a grid and stores each result as it lands.

Cells whose key is already in the store are skipped, so an interrupted benchmark resumes where it
stopped and a finished one re-runs in seconds. A cell whose training raises for a config reason is
stored as ``failed`` with its traceback and the grid goes on; an infrastructure failure (a dead
worker, out of memory) stores nothing: the cell is retried up to :data:`INFRA_RETRIES` times in the
run and stays pending for the next one (:mod:`actlab.bench.workers`). Before training a cell the
driver claims it in the store (:mod:`actlab.bench.leases`), so two drivers on one database never
train the same cell. Workers (a process pool) only train; the driver alone writes.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from . import leases
from .config import Cell
from .store import ResultStore, provenance
from .workers import CellOutcome, make_pool, run_cell, stop_pool

__all__ = [
    "INFRA_RETRIES",
    "BenchInterrupted",
    "RunSummary",
    "TrainFn",
    "auto_workers",
    "default_train",
    "execute_cell",
    "pending_cells",
    "run_grid",
]

TrainFn = Callable[[dict], Any]
"""Trains one run from a full TrainConfig dict and returns a RunResult (or its JSON-safe dict)."""

INFRA_RETRIES = 2
"""Times one run retries a cell after an infrastructure failure before leaving it pending."""


@dataclass(frozen=True)
class RunSummary:
    """What a call to :func:`run_grid` did.

    ``total`` distinct cells, ``skipped`` already stored when it started, ``ok`` / ``failed``
    stored by this call (failed: config errors, messages in ``failed_errors``), ``pending``
    cells left unrun after infrastructure failures (why: ``infra_errors``; a rerun retries
    them), ``elsewhere`` cells another driver on the same database trained meanwhile, and
    ``interrupted`` when Ctrl-C / SIGTERM stopped the call.
    """

    total: int
    skipped: int
    ok: int
    failed: int
    wall_s: float
    pending: int = 0
    elsewhere: int = 0
    failed_errors: tuple[str, ...] = ()
    infra_errors: tuple[str, ...] = ()
    interrupted: bool = False


class BenchInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM turned into it) stopped :func:`run_grid`; ``summary`` counts what finished.

    Every finished run is stored; rerunning the same grid resumes.
    """

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(f"interrupted: {summary.ok + summary.failed} runs stored by this call")
        self.summary = summary


def default_train(config: dict) -> dict:
    """``actlab.train.train_one(TrainConfig.from_dict(config)).to_dict()``."""
    from ..train import train_one
    from ..train.config import TrainConfig

    return train_one(TrainConfig.from_dict(config)).to_dict()


def execute_cell(train_fn: TrainFn, config: dict) -> tuple[dict | None, str | None, float, float]:
    """Runs one cell, catching any error: ``(result dict or None, error text or None, start, end)``.

    (:func:`actlab.bench.workers.run_cell` also says whether an error was an infrastructure one.)
    """
    out = run_cell(train_fn, config)
    return out.result, out.error, out.start, out.end


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


def _first_line(error: str | None) -> str:
    return (error or "").strip().splitlines()[0][:200] if (error or "").strip() else "unknown error"


def run_grid(
    cells: Sequence[Cell],
    store: ResultStore,
    *,
    bench: str = "custom",
    train_fn: TrainFn | None = None,
    workers: int | None = 1,
    retry_failed: bool = False,
    progress: bool = True,
    lease_s: float = leases.DEFAULT_LEASE_S,
    poll_s: float = 1.0,
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
        lease_s / poll_s: lifetime of a claim on a cell (renewed while this call runs) and how
            often to look again at cells another driver is training.

    Raises:
        BenchInterrupted: Ctrl-C (KeyboardInterrupt) stopped it; every finished run is stored.
        StoreError: the database could not be written (full disk, read-only file, ...).
    """
    from tqdm.auto import tqdm

    t0 = time.time()
    train_fn = train_fn or default_train
    todo = pending_cells(cells, store, retry_failed)
    n_unique = len({c.key for c in cells})
    if not workers:
        workers = auto_workers(len(todo))
    by_key = {c.key: c for c in todo}
    prov = provenance()
    owner = leases.new_owner()
    counts = collections.Counter[str]()
    failed_errors: dict[str, None] = {}
    infra_errors: dict[str, None] = {}
    attempts = collections.Counter[str]()
    retry: collections.deque[Cell] = collections.deque()
    given_up: set[str] = set()
    handled: set[str] = set()  # stored or given up by this call: never claimed again by it
    bar = tqdm(total=len(todo), desc=f"bench {bench}", unit="run", disable=not progress or not todo, dynamic_ncols=True)

    def summary(interrupted: bool = False) -> RunSummary:
        stored = store.keys("ok") if retry_failed else store.keys()
        elsewhere = sum(k in stored for k in by_key) - counts["ok"] - counts["failed"]
        return RunSummary(n_unique, n_unique - len(todo), counts["ok"], counts["failed"], time.time() - t0,
                          pending=len(given_up), elsewhere=max(0, elsewhere), failed_errors=tuple(failed_errors),
                          infra_errors=tuple(infra_errors), interrupted=interrupted)

    def next_cells(n: int) -> list[Cell]:
        out = [retry.popleft() for _ in range(min(n, len(retry)))]
        keys = [k for k in by_key if k not in handled]
        out += [by_key[k] for k in store.claim(keys, owner, n - len(out), retry_failed=retry_failed, lease_s=lease_s)]
        return out

    def record(cell: Cell, out: CellOutcome) -> None:
        if out.infrastructure:
            attempts[cell.key] += 1
            infra_errors[_first_line(out.error)] = None
            if attempts[cell.key] <= INFRA_RETRIES:
                retry.append(cell)
            else:  # leave it pending: the next run tries again
                given_up.add(cell.key)
                handled.add(cell.key)
                store.release(owner, [cell.key])
                bar.update(1)
            return
        store.add(key=cell.key, bench=bench, task=cell.task, method=cell.method, seed=cell.seed, config=cell.config,
                  result=out.result, error=out.error, start_time=out.start, end_time=out.end, prov=prov)
        handled.add(cell.key)
        counts["ok" if out.result is not None else "failed"] += 1
        if out.result is None:
            failed_errors[_first_line(out.error)] = None
        bar.set_postfix(failed=counts["failed"], refresh=False)
        bar.update(1)

    def wait_for_others() -> bool:
        """True (after a pause) while another driver holds live claims on cells of this grid."""
        stored = store.keys("ok") if retry_failed else store.keys()
        left = [k for k in by_key if k not in stored and k not in handled]
        if not left or not store.others_claims(left, owner):
            return False
        bar.set_description(f"bench {bench} (waiting for another process on this database)", refresh=True)
        time.sleep(poll_s)
        return True

    pool: cf.ProcessPoolExecutor | None = None
    try:
        with leases.Heartbeat(str(store.path), owner, lease_s):
            if workers == 1 or len(todo) <= 1:
                while True:
                    batch = next_cells(1)
                    if batch:
                        record(batch[0], run_cell(train_fn, batch[0].config))
                    elif not wait_for_others():
                        break
            else:
                threads = max(1, auto_workers(10**6) // workers)
                inflight: dict[cf.Future, Cell] = {}
                while True:
                    for cell in next_cells(workers - len(inflight)):  # at most one queued cell per worker
                        pool = pool or make_pool(workers, threads)
                        inflight[pool.submit(run_cell, train_fn, cell.config)] = cell
                    if not inflight:
                        if wait_for_others():
                            continue
                        break
                    done, _ = cf.wait(inflight, timeout=poll_s, return_when=cf.FIRST_COMPLETED)
                    broken = False
                    for fut in done:
                        cell = inflight.pop(fut)
                        try:
                            out = fut.result()
                        except Exception as e:  # noqa: BLE001 - the worker process died: not the cell's fault
                            broken = broken or isinstance(e, BrokenProcessPool)
                            out = CellOutcome(None, f"worker died: {type(e).__name__}: {e}", time.time(), time.time(),
                                              infrastructure=True)
                        record(cell, out)
                    if broken and pool is not None:  # the other running cells died with the pool: retry them too
                        cf.wait(inflight, timeout=10.0)
                        for fut, cell in list(inflight.items()):
                            ok = fut.done() and not fut.cancelled() and fut.exception() is None
                            record(cell, fut.result() if ok else CellOutcome(
                                None, "worker died: the process pool broke", time.time(), time.time(), True))
                        inflight.clear()
                        stop_pool(pool)
                        pool = None
    except KeyboardInterrupt as e:
        if pool is not None:
            stop_pool(pool)
            pool = None
        store.release(owner)
        bar.close()
        raise BenchInterrupted(summary(interrupted=True)) from e
    finally:
        if pool is not None:
            stop_pool(pool)
        bar.close()
    store.release(owner)
    return summary()

