"""Worker processes of the local runner, and the line between infrastructure and config failures.

A cell's outcome is one of three things (:class:`CellOutcome`):

* a result;
* a *config* failure: ``train_fn`` raised for a reason that would repeat (bad kwargs, a missing
  dataset, an unknown parameter): stored as ``failed`` with its message;
* an *infrastructure* failure: the worker process died (killed, crashed, out of memory), or the
  run raised ``MemoryError`` / a CUDA out-of-memory error. That is no result: the cell stays
  pending, is retried within the run (a few times) and again on the next run.

Workers die with their driver: on Linux the kernel sends them SIGKILL when it exits
(``prctl(PR_SET_PDEATHSIG)``), elsewhere (and as a second guard) a watchdog thread exits the
worker once its parent is gone. Workers ignore SIGINT: Ctrl-C reaches the whole process group,
and the driver alone decides to stop them (:func:`stop_pool`), without tracebacks.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["CellOutcome", "is_infrastructure_error", "make_pool", "run_cell", "stop_pool"]

TrainFn = Callable[[dict], Any]


@dataclass(frozen=True)
class CellOutcome:
    """What running one cell gave: ``result`` (a RunResult dict) or ``error`` text; ``infrastructure``
    marks an error that is not the config's fault (see the module docstring)."""

    result: dict | None
    error: str | None
    start: float
    end: float
    infrastructure: bool = False


def is_infrastructure_error(e: BaseException) -> bool:
    """Out of host or device memory: the machine's fault, not the config's (retrying may succeed)."""
    if isinstance(e, MemoryError):
        return True
    name = type(e).__name__  # torch.cuda.OutOfMemoryError / torch.OutOfMemoryError, without importing torch
    return name == "OutOfMemoryError" or (isinstance(e, RuntimeError) and "out of memory" in str(e).lower())


def run_cell(train_fn: TrainFn, config: dict) -> CellOutcome:
    """Runs one cell, catching any error raised by ``train_fn`` and classifying it."""
    start = time.time()
    try:
        res = train_fn(config)
        res = res.to_dict() if hasattr(res, "to_dict") else dict(res)
        return CellOutcome(res, None, start, time.time())
    except Exception as e:  # a failing cell is recorded and must not stop the grid
        err = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=20)}"
        return CellOutcome(None, err, start, time.time(), infrastructure=is_infrastructure_error(e))


def _die_with_parent(parent: int) -> None:
    """Makes this process exit when ``parent`` does (prctl on Linux, plus a polling watchdog thread)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # no usable libc: the watchdog below still works
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="actlab-parent-watchdog", daemon=True).start()


def _init_worker(threads: int, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and stops the pool
    _die_with_parent(parent)
    import torch

    torch.set_num_threads(threads)


def make_pool(workers: int, threads: int) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes with ``threads`` torch threads each, dying with this process."""
    ctx = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(threads, os.getpid()))


def stop_pool(pool: cf.ProcessPoolExecutor, grace_s: float = 2.0) -> None:
    """Stops a pool now: queued cells are dropped and running workers terminated (then killed)."""
    # ProcessPoolExecutor has no public way to stop running workers before Python 3.14
    # (terminate_workers); its process table has been `_processes` since Python 3.2.
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        if p.is_alive():
            p.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.time() + grace_s
    for p in procs:
        p.join(max(0.0, deadline - time.time()))
        if p.is_alive():
            p.kill()
            p.join(1.0)
