"""Figures of the claims report; they draw what :mod:`actlab.claims.effects` computed, nothing more."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..bench.plots import _plt, _png

__all__ = ["detail_figure", "verdict_figure"]

_COLOURS = {"supported": "#2a9d4b", "not supported": "#c0392b", "inconclusive": "#7f8c8d"}


def detail_figure(rows: Sequence[tuple[str, float, float, float, int]], xlabel: str, ref: float | None,
                  title: str = "") -> bytes:
    """Horizontal interval plot: one row per ``(label, mean, lo, hi, n)``; a dashed line at ``ref``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.0))
    for i, (_label, m, lo, hi, _n) in enumerate(rows):
        y = len(rows) - 1 - i
        if math.isfinite(lo) and math.isfinite(hi):
            ax.hlines(y, lo, hi, color="#34495e", lw=2)
        ax.plot([m], [y], "o", color="#34495e")
    ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)], fontsize=8)
    if ref is not None:
        ax.axvline(ref, color="0.5", ls="--", lw=1)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    return _png(fig)


def verdict_figure(names: Sequence[str], oriented: Sequence[tuple[float, float, float]],
                   verdicts: Sequence[str]) -> bytes:
    """Every study's interval in its claim's orientation, scaled by its half-width so that studies with
    different units share one axis: ``(mean, lo, hi)`` after ``d (x - ref)``; right of 0 favours the claim."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(names) + 1.2))
    for i, ((m, lo, hi), v) in enumerate(zip(oriented, verdicts, strict=True)):
        y = len(names) - 1 - i
        c = _COLOURS.get(v, "#bbbbbb")
        if all(map(math.isfinite, (m, lo, hi))):
            s = max(abs(lo), abs(hi), 1e-12)
            ax.hlines(y, lo / s, hi / s, color=c, lw=3)
            ax.plot([m / s], [y], "o", color=c)
    ax.set_yticks(range(len(names)), list(reversed(names)), fontsize=8)
    ax.axvline(0, color="0.4", lw=1)
    ax.set_xlim(-1.1, 1.1)
    ax.set_xlabel("95% CI in the claim's direction, scaled to the larger |bound| (right of 0: as claimed)", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)
