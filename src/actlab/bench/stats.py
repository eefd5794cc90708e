"""Statistics for comparing activations: pure functions over one canonical array.

The canonical array is ``scores[run, task]`` for one method (activation), or a ``blocks x methods``
table of per-block scores for rank-based tests. Missing runs are ``NaN``. Randomness (the bootstrap)
is an explicit ``seed``. Higher scores are better throughout.

References:
    J. Demšar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7:1-30, 2006.
    S. Holm, "A simple sequentially rejective multiple test procedure", Scand. J. Stat. 6:65-70, 1979.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

__all__ = [
    "Interval",
    "FriedmanResult",
    "PairwiseResult",
    "mean_ci",
    "average_ranks",
    "friedman",
    "holm",
    "wilcoxon_holm",
    "nemenyi_cd",
    "cd_cliques",
]


@dataclass(frozen=True)
class Interval:
    """A mean with its percentile-bootstrap interval and the number of finite values it used."""

    mean: float
    lo: float
    hi: float
    n: int


@dataclass(frozen=True)
class FriedmanResult:
    """Friedman test over a blocks x methods table (Demšar 2006, §3.2.2).

    ``chi2`` is Friedman's statistic ``12N/(k(k+1)) [sum_j R_j^2 - k(k+1)^2/4]`` with ``k - 1`` degrees
    of freedom; ``f`` is Iman and Davenport's ``(N-1) chi2 / (N(k-1) - chi2)`` with ``(k-1, (k-1)(N-1))``
    degrees of freedom, the less conservative form Demšar recommends.
    """

    chi2: float
    p_chi2: float
    f: float
    p_f: float
    n_blocks: int
    n_methods: int


@dataclass(frozen=True)
class PairwiseResult:
    """One Wilcoxon signed-rank comparison: rank sums, raw and Holm-adjusted p-values."""

    a: str
    b: str
    r_plus: float
    r_minus: float
    p: float
    p_holm: float


def mean_ci(values: Sequence[float] | np.ndarray, seed: int, n_boot: int = 10_000, level: float = 0.95) -> Interval:
    """Mean and percentile-bootstrap interval of a 1-D sample or of a ``runs x tasks`` array.

    For a 1-D sample this is the plain bootstrap of the mean. For a 2-D ``runs x tasks`` array
    the statistic is the mean over tasks of each task's mean, and the bootstrap is stratified:
    runs are resampled within each task (as in rliable's aggregate intervals).

    Args:
        values: 1-D sample or ``runs x tasks`` array; ``NaN`` entries (missing or diverged runs)
            are ignored. A task with no finite run makes the 2-D mean ``NaN``.
        seed: seed of the bootstrap resampling (the same seed gives the same interval).
        n_boot: number of bootstrap resamples.
        level: coverage of the interval.

    Returns:
        ``Interval(mean, lo, hi, n)`` with ``n`` the number of finite values used; when every
        task has a single run the interval collapses to the mean; with ``n = 0`` it is ``NaN``.
    """
    x = np.asarray(values, dtype=float)
    cols = [x.ravel()] if x.ndim <= 1 else [x[:, j] for j in range(x.shape[1])]
    cols = [c[np.isfinite(c)] for c in cols]
    n = int(sum(c.size for c in cols))
    if n == 0 or any(c.size == 0 for c in cols):
        return Interval(math.nan, math.nan, math.nan, n)
    m = float(np.mean([c.mean() for c in cols]))
    if all(c.size == 1 for c in cols):
        return Interval(m, m, m, n)
    rng = np.random.default_rng(seed)
    boots = np.zeros(n_boot)
    for c in cols:
        boots += c[rng.integers(0, c.size, size=(n_boot, c.size))].mean(axis=1)
    boots /= len(cols)
    a = (1.0 - level) / 2
    lo, hi = np.quantile(boots, [a, 1 - a])
    return Interval(m, float(lo), float(hi), n)


def _check_table(table: np.ndarray) -> np.ndarray:
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] < 1 or t.shape[1] < 2:
        raise ValueError(f"expected a blocks x methods table with >= 2 methods, got shape {t.shape}")
    if not np.isfinite(t).all():
        raise ValueError("the blocks x methods table has NaN/inf entries; drop incomplete blocks first")
    return t


def average_ranks(table: np.ndarray) -> np.ndarray:
    """Average rank of each method (column) across blocks (rows); rank 1 = best, ties get the mean rank.

    Args:
        table: ``blocks x methods`` scores, higher is better.
    """
    t = _check_table(table)
    ranks = np.vstack([_st.rankdata(-row) for row in t])
    return ranks.mean(axis=0)


def friedman(table: np.ndarray) -> FriedmanResult:
    """Friedman's test that all methods rank equally, with the Iman-Davenport F correction."""
    t = _check_table(table)
    n, k = t.shape
    r = average_ranks(t)
    chi2 = 12.0 * n / (k * (k + 1)) * (float(np.sum(r**2)) - k * (k + 1) ** 2 / 4.0)
    p_chi2 = float(_st.chi2.sf(chi2, k - 1))
    denom = n * (k - 1) - chi2
    if n < 2:  # one block: no within-block variation to test against
        f, p_f = math.nan, math.nan
    elif denom <= 0:  # every block ranks the methods identically
        f, p_f = math.inf, 0.0
    else:
        f = (n - 1) * chi2 / denom
        p_f = float(_st.f.sf(f, k - 1, (k - 1) * (n - 1)))
    return FriedmanResult(chi2=float(chi2), p_chi2=p_chi2, f=float(f), p_f=float(p_f), n_blocks=n, n_methods=k)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values: ``p_(i) -> max_{j<=i} min(1, (m - j + 1) p_(j))``."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    adj = np.empty(m)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        adj[j] = running
    return adj


def _signed_rank_sums(d: np.ndarray) -> tuple[float, float]:
    """Demšar's R+ and R-: ranks of |d|, zero differences split evenly between the two sums."""
    ranks = _st.rankdata(np.abs(d))
    r_plus = float(ranks[d > 0].sum() + ranks[d == 0].sum() / 2)
    r_minus = float(ranks[d < 0].sum() + ranks[d == 0].sum() / 2)
    return r_plus, r_minus


def wilcoxon_holm(table: np.ndarray, names: Sequence[str]) -> list[PairwiseResult]:
    """All pairwise Wilcoxon signed-rank tests between methods, Holm-corrected.

    Zero differences are split between the rank sums (``zero_method="zsplit"``, as in Demšar 2006
    §3.1.3); p-values are two-sided from scipy (exact for small samples without ties).

    Args:
        table: ``blocks x methods`` scores, higher is better.
        names: one name per method (column).
    """
    t = _check_table(table)
    if len(names) != t.shape[1]:
        raise ValueError(f"got {len(names)} names for {t.shape[1]} methods")
    pairs = list(itertools.combinations(range(t.shape[1]), 2))
    rows, ps = [], []
    for i, j in pairs:
        d = t[:, i] - t[:, j]
        rp, rm = _signed_rank_sums(d)
        if np.all(d == 0):
            p = 1.0
        else:
            p = float(_st.wilcoxon(t[:, i], t[:, j], zero_method="zsplit").pvalue)
        rows.append((names[i], names[j], rp, rm))
        ps.append(p)
    adj = holm(ps) if ps else np.array([])
    return [PairwiseResult(a, b, rp, rm, p, float(pa)) for (a, b, rp, rm), p, pa in zip(rows, ps, adj, strict=True)]


def nemenyi_cd(n_methods: int, n_blocks: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of average ranks: ``q_alpha sqrt(k(k+1) / (6N))``.

    ``q_alpha`` is the studentized range quantile (infinite degrees of freedom) divided by sqrt(2),
    e.g. 2.569 for k = 4 at alpha = 0.05 (Demšar 2006, Table 5a).
    """
    if n_methods < 2 or n_blocks < 1:
        raise ValueError(f"need >= 2 methods and >= 1 block, got k={n_methods}, N={n_blocks}")
    q = float(_st.studentized_range.ppf(1 - alpha, n_methods, np.inf)) / math.sqrt(2)
    return q * math.sqrt(n_methods * (n_methods + 1) / (6.0 * n_blocks))


def cd_cliques(avg_ranks: Sequence[float] | np.ndarray, cd: float) -> list[tuple[int, int]]:
    """Groups of methods not significantly different under the critical difference ``cd``.

    Args:
        avg_ranks: average ranks sorted in increasing order.
        cd: critical difference.

    Returns:
        Maximal index ranges ``(first, last)`` (inclusive, ``last > first``) of consecutive methods
        whose ranks differ by less than ``cd`` — the bars of a CD diagram.
    """
    r = np.asarray(avg_ranks, dtype=float)
    if np.any(np.diff(r) < 0):
        raise ValueError("avg_ranks must be sorted in increasing order")
    cliques: list[tuple[int, int]] = []
    start = 0
    for end in range(r.size):
        while r[end] - r[start] >= cd:
            start += 1
        if end > start:
            if cliques and cliques[-1][0] == start:
                cliques[-1] = (start, end)  # the previous group grew
            else:
                cliques.append((start, end))
    return cliques
