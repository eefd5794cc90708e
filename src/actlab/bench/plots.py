"""Figures of the benchmark report. They only draw what the statistics and the report computed.

Every function returns PNG bytes (matplotlib, Agg backend), so the report can inline them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .stats import cd_cliques

if TYPE_CHECKING:  # matplotlib is imported lazily, when a figure is drawn
    from matplotlib.figure import Figure

__all__ = ["cd_diagram", "activation_curves_figure", "training_curves_figure"]


def _png(fig: Figure) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def cd_diagram(avg_ranks: Mapping[str, float], cd: float, title: str = "") -> bytes:
    """Critical-difference diagram (Demšar 2006, Fig. 1).

    Methods sit on a rank axis (1 = best, on the left); a thick bar joins every maximal group of
    methods whose average ranks differ by less than ``cd`` (no significant difference).

    Args:
        avg_ranks: average rank per method (from :func:`actlab.bench.stats.average_ranks`).
        cd: the critical difference (from :func:`actlab.bench.stats.nemenyi_cd`).
    """
    plt = _plt()
    names = sorted(avg_ranks, key=lambda n: avg_ranks[n])
    ranks = np.array([avg_ranks[n] for n in names])
    k = len(names)
    half = (k + 1) // 2
    bottom = 0.45 + 0.28 * max(half, k - half)
    fig, ax = plt.subplots(figsize=(8, 0.9 * (bottom + 0.95)))
    lo, hi = 1, max(k, 2)
    ax.set_xlim(lo - 0.5, hi + 0.5)
    ax.set_ylim(-bottom, 0.95)
    ax.axis("off")
    ax.hlines(0, lo, hi, color="k", lw=1)
    for r in range(lo, hi + 1):
        ax.vlines(r, 0, 0.08, color="k", lw=1)
        ax.text(r, 0.14, str(r), ha="center", va="bottom", fontsize=9)
    ax.hlines(0.62, lo, lo + cd, color="k", lw=1.5)
    ax.vlines([lo, lo + cd], 0.56, 0.68, color="k", lw=1.5)
    ax.text(lo + cd / 2, 0.72, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)
    for i, (n, r) in enumerate(zip(names, ranks, strict=True)):
        left = i < half
        y = -0.35 - 0.28 * (i if left else k - 1 - i)
        x_text = lo - 0.4 if left else hi + 0.4
        ax.plot([r, r, x_text], [0, y, y], color="0.35", lw=0.8)
        ax.text(x_text, y, f"{n} ({r:.2f})", ha="right" if left else "left", va="center", fontsize=9)
    cliques = cd_cliques(ranks, cd)
    for j, (a, b) in enumerate(cliques):
        y = -0.12 - 0.07 * j
        ax.hlines(y, ranks[a] - 0.03, ranks[b] + 0.03, color="k", lw=3)
    if title:
        ax.set_title(title, fontsize=10)
    return _png(fig)


def activation_curves_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> bytes:
    """Two panels: each activation's f(x) and f'(x), from ``{label: (x, f, df)}`` at initialisation."""
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    for label, (x, f, df) in curves.items():
        a.plot(x, f, label=label, lw=1.3)
        b.plot(x, df, label=label, lw=1.3)
    for ax, t in ((a, "f(x)"), (b, "f'(x)")):
        ax.set_title(t)
        ax.axhline(0, color="0.7", lw=0.6)
        ax.axvline(0, color="0.7", lw=0.6)
        ax.grid(alpha=0.3)
    b.legend(fontsize=7, ncol=2, loc="best")
    return _png(fig)


def training_curves_figure(
    curves: Mapping[str, Mapping[str, tuple[Sequence[float], Sequence[float]]]], ylabel: str
) -> bytes:
    """One panel per task: the mean curve over seeds of each method, ``{task: {method: (x, y)}}``."""
    plt = _plt()
    n = max(1, len(curves))
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 3.6), squeeze=False)
    for ax, (task, per_method) in zip(axes[0], curves.items(), strict=False):  # no curves: one empty axis
        for method, (x, y) in per_method.items():
            ax.plot(x, y, label=method, lw=1.2)
        ax.set_title(task)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, ncol=2, loc="best")
    return _png(fig)
