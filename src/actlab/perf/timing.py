"""Paired timing: a candidate and its baseline timed alternately, reported as ratios.

A shared machine drifts (other processes, frequency scaling, thermal limits), so a baseline
timed once at the start is compared with candidates timed under different conditions: native
ReLU then reads 0.9x of itself. Here the baseline ``A`` and the candidate ``B`` are timed
``A B A B ...`` after both are warmed up; each pair gives one ratio ``t_B / t_A`` measured under
the same conditions, and the figure is the median of those ratios with its spread (quartiles,
range, n). Drift slower than one pair cancels out of every ratio.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

__all__ = ["Ratio", "check_counts", "paired_ratio", "ratio_stats"]


@dataclass(frozen=True)
class Ratio:
    """The median and spread of paired ratios ``candidate_i / baseline_i`` (lower is faster).

    Args:
        median: median of the paired ratios.
        q1 / q3: their lower and upper quartiles (inclusive method; both the median for n = 1).
        lo / hi: their minimum and maximum.
        n: number of pairs.
        baseline_s / candidate_s: median seconds per call of the baseline and the candidate (for
            reference; compare runs through ``median``, not through these).
    """

    median: float
    q1: float
    q3: float
    lo: float
    hi: float
    n: int
    baseline_s: float
    candidate_s: float

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.median:.2f}x [{self.q1:.2f}, {self.q3:.2f}]"


def check_counts(repeats: int, warmup: int) -> None:
    """Raises ``ValueError`` unless ``repeats >= 1`` and ``warmup >= 0`` (both integers)."""
    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1 (the number of timed pairs), got {repeats!r}")
    if not isinstance(warmup, int) or isinstance(warmup, bool) or warmup < 0:
        raise ValueError(f"warmup must be an integer >= 0 (untimed calls of each side), got {warmup!r}")


def ratio_stats(candidate_s: list[float], baseline_s: list[float]) -> Ratio:
    """The :class:`Ratio` of paired timings (equal-length lists, pair ``i`` = element ``i``)."""
    if len(candidate_s) != len(baseline_s) or not candidate_s:
        raise ValueError(f"need equal, non-empty lists of paired timings, got {len(candidate_s)} and {len(baseline_s)}")
    ratios = sorted(c / b for c, b in zip(candidate_s, baseline_s, strict=True))
    q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive") if len(ratios) > 1 else ratios * 3
    return Ratio(statistics.median(ratios), q1, q3, ratios[0], ratios[-1], len(ratios),
                 statistics.median(baseline_s), statistics.median(candidate_s))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_once(fn: Callable[[], object], device: torch.device) -> float:
    t0 = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - t0


def paired_ratio(
    candidate: Callable[[], object],
    baseline: Callable[[], object],
    device: torch.device | str = "cpu",
    repeats: int = 10,
    warmup: int = 3,
) -> Ratio:
    """Times ``baseline`` and ``candidate`` alternately and returns their paired ratios.

    Both are called ``warmup`` times first (alternately, untimed; compilation and allocator
    warm-up happen there), then ``repeats`` pairs ``baseline(); candidate()`` are timed, each
    call on its own with a device synchronisation after it. A baseline timing of 0 (a clock
    too coarse for the call) raises.

    Args:
        candidate / baseline: zero-argument callables doing one unit of work each.
        device: where they run (CUDA is synchronised after each call).
        repeats: timed pairs (>= 1). warmup: untimed calls of each (>= 0).
    """
    check_counts(repeats, warmup)
    dev = torch.device(device)
    for _ in range(warmup):
        baseline()
        candidate()
    _sync(dev)
    base, cand = [], []
    for _ in range(repeats):
        base.append(_time_once(baseline, dev))
        cand.append(_time_once(candidate, dev))
    if min(base) <= 0.0:
        raise ValueError("a baseline call took no measurable time; use a larger input (more elements)")
    return ratio_stats(cand, base)
