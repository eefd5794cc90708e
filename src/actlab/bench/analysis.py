"""The analysis stage: finished runs -> a seeds x tasks array per method -> ranks and tests.

Pure functions between the results store and the report (rliable style): :func:`collect` turns
stored rows into :class:`BenchData`, :func:`rank_methods` computes the intervals, average ranks
and tests of a :class:`Ranking`; the report only renders them.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import stats
from .store import RunRow

__all__ = ["BenchData", "Ranking", "collect", "match_baselines", "rank_methods", "run_result"]


@dataclass(frozen=True)
class BenchData:
    """Finished runs as arrays: ``scores[method]`` is ``seeds x tasks`` final test accuracy (NaN = missing)."""

    tasks: list[str]
    methods: list[str]
    seeds: list[int]
    scores: dict[str, np.ndarray]
    rows: list[RunRow]
    notes: tuple[str, ...] = ()  # what the view left out (see actlab.bench.views) and rows that could not be read

    def cell_rows(self, task: str, method: str) -> list[RunRow]:
        return [r for r in self.rows if r.task == task and r.method == method]


@dataclass(frozen=True)
class Ranking:
    """The ranked methods with their aggregate statistics (what the CLI prints)."""

    methods: list[str]  # best first
    avg_rank: dict[str, float]
    overall: dict[str, stats.Interval]
    per_task: dict[str, dict[str, stats.Interval]]
    blocks: str
    n_blocks: int
    friedman: stats.FriedmanResult | None
    cd: float | None
    pairwise: list[stats.PairwiseResult]
    excluded: list[str]  # methods left out of the rank tests (too many missing runs)


def run_result(r: RunRow) -> dict:
    """The result of a finished run: :func:`collect` keeps only runs with one, so every row of a
    :class:`BenchData` has it."""
    assert r.result is not None, f"run {r.key} has no result; BenchData holds finished runs only"
    return r.result


def collect(rows: Sequence[RunRow], notes: Sequence[str] = ()) -> BenchData:
    """Arranges successful runs into per-method ``seeds x tasks`` arrays of final test accuracy.

    When a (task, method, seed) point was run more than once (its config changed, e.g. a new
    library version), only the latest run is used; choose the rows first with
    :func:`actlab.bench.views.select_rows`, which says so. ``notes`` travel with the data to the report.
    """
    latest: dict[tuple[str, str, int], RunRow] = {}
    for r in rows:  # insertion order: a later run of the same grid point (changed config) supersedes
        if r.status == "ok" and r.result is not None:
            latest[(r.task, r.method, r.seed)] = r
    rows = list(latest.values())
    tasks = list(dict.fromkeys(r.task for r in rows))
    methods = list(dict.fromkeys(r.method for r in rows))
    seeds = sorted({r.seed for r in rows})
    scores = {m: np.full((len(seeds), len(tasks)), np.nan) for m in methods}
    for r in rows:
        acc = run_result(r).get("test", {}).get("acc", float("nan"))
        scores[r.method][seeds.index(r.seed), tasks.index(r.task)] = float(acc) if acc is not None else float("nan")
    return BenchData(tasks, methods, seeds, scores, list(rows), tuple(notes))


# Config fields that make a run's method (and its seed); the others are its context.
_METHOD_FIELDS = ("act", "act_params", "seed")


def _context(config: dict) -> str:
    return json.dumps({k: v for k, v in config.items() if k not in _METHOD_FIELDS}, sort_keys=True)


def match_baselines(data: BenchData, baseline: str = "relu", params: dict | None = None) -> dict[tuple[str, str], str]:
    """The baseline of each cell, matched on the run's config rather than on a method label.

    Args:
        data: from :func:`collect`.
        baseline: the baseline activation as the grid names it (``act`` of the run config).
        params: its ``act_params`` (default: none).

    Returns:
        ``{(task, method): baseline method}``: the method whose runs used ``baseline`` with
        ``params`` under the same config otherwise (dataset, model and kwargs, init, optimizer,
        recipe). A cell with no such run is absent (its ratios read n/a).
    """
    want = dict(params or {})
    base: dict[tuple[str, str], str] = {}
    for r in data.rows:
        if r.config.get("act") == baseline and dict(r.config.get("act_params") or {}) == want:
            base.setdefault((r.task, _context(r.config)), r.method)
    out: dict[tuple[str, str], str] = {}
    for r in data.rows:
        b = base.get((r.task, _context(r.config)))
        if b is not None:
            out.setdefault((r.task, r.method), b)
    return out


def _block_table(data: BenchData, methods: Sequence[str], blocks: str) -> np.ndarray:
    """``blocks x methods``: per (task, seed) scores (``task_seed``) or per-task means (``task``);
    incomplete blocks dropped."""
    cols = [data.scores[m] for m in methods]
    if blocks == "task":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a task with no finished run: NaN, dropped below
            t = np.stack([np.nanmean(c, axis=0) for c in cols], axis=1)
    elif blocks == "task_seed":
        t = np.stack([c.reshape(-1) for c in cols], axis=1)
    else:
        raise ValueError(f"blocks must be 'task' or 'task_seed', got {blocks!r}")
    return t[np.isfinite(t).all(axis=1)]


def _testable_methods(data: BenchData, blocks: str) -> list[str]:
    """The methods that enter the rank tests: all of them, unless that leaves < 2 complete blocks;
    then the methods with the fewest finished runs are left out one at a time."""
    methods = list(data.methods)
    while len(methods) > 2 and _block_table(data, methods, blocks).shape[0] < 2:
        methods.remove(min(methods, key=lambda m: (np.isfinite(data.scores[m]).sum(), -methods.index(m))))
    return methods


def rank_methods(data: BenchData, seed: int = 0, blocks: str = "task_seed") -> Ranking:
    """Ranks the methods by average rank over blocks and computes the tests of the report.

    Args:
        data: from :func:`collect`.
        seed: bootstrap seed.
        blocks: ``"task_seed"`` (each task and seed where every method finished is one block; seeds
            pair runs that share data order and initialisation stream) or ``"task"`` (per-task
            means; Demšar's setting, needs many tasks to have power). Methods whose missing runs
            would leave fewer than 2 complete blocks are left out of the rank tests (``Ranking.excluded``).
    """
    overall = {m: stats.mean_ci(data.scores[m], seed=seed) for m in data.methods}
    per_task = {
        t: {m: stats.mean_ci(data.scores[m][:, j], seed=seed) for m in data.methods} for j, t in enumerate(data.tasks)
    }
    tested = _testable_methods(data, blocks)
    table = _block_table(data, tested, blocks) if len(tested) >= 2 else np.zeros((0, len(tested)))
    avg = {m: float("nan") for m in data.methods}
    fr, cd, pw = None, None, []
    if table.shape[0] >= 1 and len(tested) >= 2:
        avg.update(zip(tested, map(float, stats.average_ranks(table)), strict=True))
        cd = stats.nemenyi_cd(len(tested), table.shape[0])
        if table.shape[0] >= 2:
            fr, pw = stats.friedman(table), stats.wilcoxon_holm(table, tested)
    order = sorted(
        data.methods,
        key=lambda m: (avg[m] if math.isfinite(avg[m]) else math.inf, -np.nan_to_num(overall[m].mean, nan=-1)),
    )
    excluded = [m for m in data.methods if m not in tested]
    return Ranking(order, avg, overall, per_task, blocks, int(table.shape[0]), fr, cd, pw, excluded)
