"""A study's effect from its stored runs: one value per seed, a 95 % interval, and details.

Pure functions over the runs' result dicts (rliable style): :func:`run_metric` reads one number
from a run, :func:`compute_effect` arranges the study's runs into ``{(task, method, seed):
value}`` and applies the study's :class:`~actlab.claims.study.Statistic`. The unit of every
interval is the seed (runs of one seed share the data order and the initialisation stream, so
the comparison is paired); the interval is Student's t over the per-seed values (the fraction
of runs is a Wilson interval), and :func:`actlab.bench.stats.mean_ci` gives the bootstrap
interval shown beside it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as _st

from ..bench import stats
from .study import Study

__all__ = ["METRICS", "Effect", "run_metric", "t_interval", "wilson", "compute_effect"]


def _protocol(key: str):
    return lambda r: float((r.get("protocol") or {}).get(key, math.nan))


def _mean_curve(key: str):
    def f(r: Mapping[str, Any]) -> float:
        vals = [float(v) for v in (r.get("curves") or {}).get(key, []) if v is not None]
        return float(np.mean(vals)) if vals else math.nan
    return f


def _saved(r: Mapping[str, Any]) -> float:
    return float(r["peak_memory_bytes"]) if r.get("memory_kind") == "cpu_saved_bytes_per_sample" else math.nan


# name -> (reads a run's result dict, what it is)
METRICS: dict[str, tuple[Any, str]] = {
    "acc": (lambda r: float(r["test"]["acc"]), "final test accuracy"),
    "err": (lambda r: 1.0 - float(r["test"]["acc"]), "final test error"),
    "solved": (lambda r: float(float(r["test"]["acc"]) >= 1.0), "1 if every test point is classified correctly"),
    "train_loss_auc": (_mean_curve("train_loss"), "mean training loss over the evaluated epochs (convergence)"),
    "time_per_epoch": (lambda r: float(r["time_per_epoch_s"]), "training + evaluation seconds per epoch"),
    "saved_bytes": (_saved, "bytes autograd saves for backward per sample (exact, CPU)"),
    "source_acc": (_protocol("source_acc"), "source-task test accuracy (transfer protocol)"),
    "fixed_feature_acc": (_protocol("fixed_feature_acc"), "target accuracy of logistic regression on features"),
    "log10_mse_auc": (_protocol("log10_mse_auc"), "mean log10 training MSE over the steps (regression)"),
    "log10_test_mse": (lambda r: math.log10(max(float(r["protocol"]["test_mse"]), 1e-12)), "log10 test MSE"),
}


def run_metric(result: Mapping[str, Any], metric: str) -> float:
    """One metric of one run's result dict; NaN when the run does not carry it.

    Raises:
        ValueError: unknown metric name (with the valid ones).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown claims metric {metric!r}; valid: {sorted(METRICS)}")
    try:
        v = METRICS[metric][0](result)
    except (KeyError, TypeError, ValueError):
        return math.nan
    return float(v) if v is not None else math.nan


@dataclass(frozen=True)
class Effect:
    """A study's effect: mean of the per-seed values, its 95 % interval, the values and details.

    ``detail`` rows are ``(label, mean, lo, hi, n)``; ``notes`` say what was left out and why.
    """

    value: float
    lo: float
    hi: float
    n: int
    interval: str  # "t" or "wilson"
    per_seed: dict[int, float] = field(default_factory=dict)
    boot: stats.Interval | None = None
    detail: list[tuple[str, float, float, float, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ranks: dict[str, float] = field(default_factory=dict)  # rank_stability: average ranks (CD diagram)
    cd: float | None = None
    friedman_p: float | None = None


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float, int]:
    """``(mean, lo, hi, n)``: Student's t interval of the mean of the finite values (NaN bounds for n < 2;
    a zero-width interval when all values are equal)."""
    x = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n < 2:
        return m, math.nan, math.nan, n
    half = float(_st.t.ppf(0.5 + level / 2, n - 1)) * float(x.std(ddof=1)) / math.sqrt(n)
    return m, m - half, m + half, n


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Wilson score interval of a proportion ``k / n``: ``(p, lo, hi)``.

    Examples:
        >>> [round(v, 4) for v in wilson(10, 10)]
        [1.0, 0.7225, 1.0]
    """
    if n == 0:
        return math.nan, math.nan, math.nan
    z = float(_st.norm.ppf(0.5 + level / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


Table = dict[tuple[str, str, int], float]


def _g(table: Table, t: str, a: str, b: str, s: int, transform: str) -> float:
    va = table.get((t, a, s), math.nan)
    if not b:  # the metric of a itself (a trend of one method)
        return va
    vb = table.get((t, b, s), math.nan)
    if transform == "reduction":
        return (vb - va) / vb if vb != 0 else math.nan
    return va - vb


def _finish(per_seed: dict[int, float], scale: float, notes: list[str], **kw: Any) -> Effect:
    vals = {s: v for s, v in per_seed.items() if math.isfinite(v)}
    dropped = sorted(set(per_seed) - set(vals))
    if dropped:
        notes.append(f"seeds {dropped} left out: a run they need is missing, failed or has no value")
    m, lo, hi, n = t_interval([scale * v for v in vals.values()])
    boot = stats.mean_ci([scale * v for v in vals.values()], seed=0) if vals else None
    return Effect(m, lo, hi, n, "t", {s: scale * v for s, v in vals.items()}, boot, notes=notes, **kw)


def compute_effect(study: Study, table: Table, seeds: Sequence[int], quick: bool = False) -> Effect:
    """The study's effect from ``{(task label, method label, seed): metric value}``.

    ``table`` holds the study's metric (``statistic.metric``) per run; for ``correlation`` it
    holds ``(metric, metric_y)`` pairs packed as two entries: keys ``(task, method, seed)`` and
    ``(task, method + "|y", seed)``.
    """
    st = study.statistic
    tasks = [t.label for t in study.tasks_for(quick) if not st.tasks or t.label in st.tasks]
    if not tasks:
        raise ValueError(f"study {study.name!r}: the statistic's tasks {st.tasks} are not run in this mode")
    pairs = list(zip(st.a, st.b, strict=True)) if st.kind in ("paired", "trend") else []
    notes: list[str] = []
    if st.kind == "paired":
        per_seed = {s: float(np.mean([_g(table, t, a, b, s, st.transform) for t in tasks for a, b in pairs]))
                    for s in seeds}
        detail = []
        all_tasks = [t.label for t in study.tasks_for(quick)]
        shown = [(p, t) for p in pairs for t in tasks] + [(p, t) for p in st.extra for t in all_tasks]
        shown += [(p, t) for p in pairs for t in all_tasks if t not in tasks]
        for (a, b), t in shown:
            m, lo, hi, n = t_interval([st.scale * _g(table, t, a, b, s, st.transform) for s in seeds])
            detail.append((f"{a} vs {b} on {t}", m, lo, hi, n))
        return _finish(per_seed, st.scale, notes, detail=detail)
    if st.kind == "trend":
        xs: dict[str, float] = {}
        for task in study.tasks_for(quick):
            if task.label in tasks:
                if task.x is None:
                    raise ValueError(f"study {study.name!r}: a trend needs every task's x ({task.label} has none)")
                xs[task.label] = task.x
        per_seed = {}
        for s in seeds:
            pts = [(xs[t], float(np.mean([_g(table, t, a, b, s, st.transform) for a, b in pairs]))) for t in tasks]
            pts = [(x, y) for x, y in pts if math.isfinite(y)]
            per_seed[s] = float(np.polyfit([p[0] for p in pts], [p[1] for p in pts], 1)[0]) if len(pts) == len(
                tasks) else math.nan
        detail = []
        for t in tasks:
            vals = [st.scale * float(np.mean([_g(table, t, a, b, s, st.transform) for a, b in pairs])) for s in seeds]
            m, lo, hi, n = t_interval(vals)
            detail.append((f"{' / '.join(st.a)} - {' / '.join(st.b)} at x = {xs[t]:g} ({t})", m, lo, hi, n))
        return _finish(per_seed, st.scale, notes, detail=detail)
    if st.kind == "fraction":
        detail, k_all, n_all = [], 0, 0
        for a in st.a:
            v = [table[(t, a, s)] for t in tasks for s in seeds if math.isfinite(table.get((t, a, s), math.nan))]
            k, n = int(sum(x >= 1.0 for x in v)), len(v)
            p, lo, hi = wilson(k, n)
            detail.append((f"{a}: {k}/{n} runs", st.scale * p, st.scale * lo, st.scale * hi, n))
            k_all, n_all = k_all + k, n_all + n
        p, lo, hi = wilson(k_all, n_all)
        return Effect(st.scale * p, st.scale * lo, st.scale * hi, n_all, "wilson", detail=detail, notes=notes)
    if st.kind == "correlation":
        a = st.a[0]
        per_seed, rs = {}, {}
        for s in seeds:
            pts = [(table.get((t, a, s), math.nan), table.get((t, a + "|y", s), math.nan)) for t in tasks]
            pts = [p for p in pts if all(map(math.isfinite, p))]
            ok = len(pts) >= 3 and np.std([p[0] for p in pts]) > 0 and np.std([p[1] for p in pts]) > 0
            r = float(np.corrcoef(np.array(pts).T)[0, 1]) if ok else math.nan
            rs[s] = r
            per_seed[s] = math.atanh(max(-0.999999, min(0.999999, r))) if math.isfinite(r) else math.nan
        z = _finish(per_seed, 1.0, notes)
        detail = [(f"{t}: {st.metric} / {st.metric_y}",
                   float(np.nanmean([table.get((t, a, s), math.nan) for s in seeds])),
                   float(np.nanmean([table.get((t, a + "|y", s), math.nan) for s in seeds])), math.nan, len(seeds))
                  for t in tasks]
        tanh = lambda v: math.tanh(v) if math.isfinite(v) else math.nan  # noqa: E731
        return Effect(tanh(z.value), tanh(z.lo), tanh(z.hi), z.n, "t (Fisher z)",
                      {s: r for s, r in rs.items() if math.isfinite(r)}, None, detail, z.notes)
    # rank_stability
    methods = list(st.a)
    per_seed = {}
    blocks = []
    for s in seeds:
        rows = [[table.get((t, m, s), math.nan) for m in methods] for t in tasks]
        rows = [r for r in rows if all(map(math.isfinite, r))]
        blocks += rows
        if len(rows) < 2:
            per_seed[s] = math.nan
            continue
        rhos = [float(_st.spearmanr(x, y).statistic) for x, y in itertools.combinations(rows, 2)]
        per_seed[s] = float(np.nanmean(rhos))
    eff = _finish(per_seed, 1.0, notes)
    if len(blocks) >= 2:
        tab = np.array(blocks)
        avg = stats.average_ranks(tab)
        ranks = dict(zip(methods, map(float, avg), strict=True))
        fr = stats.friedman(tab)
        return Effect(eff.value, eff.lo, eff.hi, eff.n, eff.interval, eff.per_seed, eff.boot,
                      [(m, ranks[m], math.nan, math.nan, len(blocks)) for m in sorted(ranks, key=lambda k: ranks[k])],
                      eff.notes, ranks, stats.nemenyi_cd(len(methods), len(blocks)), fr.p_f)
    return eff
