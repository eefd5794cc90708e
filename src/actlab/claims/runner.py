"""``run_claims``: every study's runs through the bench runner, into one results store.

All studies' cells are pooled and deduplicated by their bench key (studies that share runs,
e.g. the accuracy and the training-time view of one grid, train them once), then trained by
:func:`actlab.bench.run_grid` (local processes) or :func:`actlab.bench.run_grid_ray` with
:func:`actlab.claims.protocols.train_cell`. Finished runs are skipped, so an interrupted run
resumes. Each call appends one line to ``<db>.runs.jsonl`` (wall time, mode, counts), which the
report reads for its header.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..bench import ResultStore, provenance, run_grid
from ..data import default_root
from .protocols import train_cell
from .study import Study

__all__ = ["ClaimsRun", "run_claims", "data_available", "runs_log_path", "read_runs_log"]


@dataclass(frozen=True)
class ClaimsRun:
    """What :func:`run_claims` did: cell counts, wall time, and the studies it could not run."""

    quick: bool
    studies: list[str]
    total: int
    skipped: int
    ok: int
    failed: int
    wall_s: float
    needs_data: list[str] = field(default_factory=list)


def data_available(dataset: str) -> bool:
    """Whether the on-disk dataset's folder exists under :func:`actlab.data.default_root`."""
    return (default_root() / dataset).is_dir()


def runs_log_path(db: str | Path) -> Path:
    return Path(str(db) + ".runs.jsonl")


def read_runs_log(db: str | Path) -> list[dict]:
    """The run log entries written next to ``db`` (empty when there is none)."""
    p = runs_log_path(db)
    if not p.is_file():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]


def run_claims(
    studies: Sequence[Study],
    db: str | Path,
    *,
    quick: bool = False,
    workers: int | None = 0,
    backend: str = "local",
    address: str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
) -> ClaimsRun:
    """Trains the unfinished runs of ``studies`` into the store at ``db``.

    Args:
        studies: from :func:`actlab.claims.get_studies`.
        db: the SQLite results database (shared with ``actlab bench``'s format).
        quick: the reduced budget of each study (fewer seeds/epochs; said in the report).
        workers: local worker processes (0 = one per core, 1 = in this process).
        backend: ``"local"`` or ``"ray"`` (``address``: a Ray cluster; default a local instance).
        retry_failed: re-run cells stored as failed.
        progress: a progress bar on stderr.

    Returns:
        A :class:`ClaimsRun`; studies whose data is not on disk are listed in ``needs_data``.
    """
    if backend not in ("local", "ray"):
        raise ValueError(f"backend must be 'local' or 'ray', got {backend!r}")
    runnable: list[Study] = []
    missing: list[Study] = []
    for s in studies:
        (missing if s.needs_data is not None and not data_available(s.needs_data) else runnable).append(s)
    cells, seen = [], set()
    for s in runnable:
        for c in s.cells(quick):
            if c.key not in seen:
                seen.add(c.key)
                cells.append(c)
    bench = "claims-quick" if quick else "claims"
    prov = provenance()  # the code the runs were trained with (the tree may change while they run)
    t0 = time.time()
    with ResultStore(db) as store:
        if backend == "ray":
            from ..bench import run_grid_ray

            summary = run_grid_ray(cells, store, bench=bench, train_fn=train_cell, address=address,
                                   retry_failed=retry_failed, progress=progress)
        else:
            summary = run_grid(cells, store, bench=bench, train_fn=train_cell, workers=workers,
                               retry_failed=retry_failed, progress=progress)
    run = ClaimsRun(quick, [s.name for s in runnable], summary.total, summary.skipped, summary.ok, summary.failed,
                    time.time() - t0, [s.name for s in missing])
    entry = {**asdict(run), "start": t0, "end": time.time(), "backend": backend, "workers": workers,
             **prov}
    with runs_log_path(db).open("a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
    return run
