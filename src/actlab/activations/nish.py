"""Nish: Negative Stimulated Hybrid Activation Function (Anagun & Isik, arXiv 2210.09083)."""

from __future__ import annotations

import torch

from ._base import Activation
from ._info import ActivationInfo, Paper
from ._registry import register_activation

__all__ = ["Nish"]

# minimum of x*sigmoid(x) + sin(x)/2 over x <= 0 (at x = -1.490967), found with scipy in float64
_NISH_MIN = -0.7724125567983047


def nish(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, x, x * torch.sigmoid(x) + 0.5 * torch.sin(x))


@register_activation(
    ActivationInfo(
        name="nish",
        formula="x if x > 0 else x * sigmoid(x) + sin(x) / 2   (negative branch UNCONFIRMED, hypothesis H1)",
        latex=r"\begin{cases} x & x > 0 \\ x\,\sigma(x) + \tfrac12 \sin x & x \le 0 \end{cases}",
        paper=Paper("Nish: A Novel Negative Stimulated Hybrid Activation Function", "2210.09083", 2022),
        monotonic=False,
        smoothness="C1",
        bounded_below=True,
        output_range=(_NISH_MIN, float("inf")),
        f0=0.0,
        df0=1.0,
        category="seed",
        notes="UNCONFIRMED: the paper's negative-branch equation could not be read; we ship the spec's "
        "hypothesis H1, x*sigmoid(x) + sin(x)/2, which is C1 at 0 (both one-sided slopes are 1). "
        "The identity branch for x > 0 is certain. No trainable parameters (UNCONFIRMED).",
    )
)
class Nish(Activation):
    r"""Nish(x) = x for x > 0 and ``x * sigmoid(x) + sin(x) / 2`` for x <= 0.

    Anagun & Isik, "Nish: A Novel Negative Stimulated Hybrid Activation Function",
    arXiv 2210.09083: identity on the positive side and a "sinus-sigmoidal" negative branch.

    **UNCONFIRMED formula.** The abstract only describes the negative branch in words (a sigmoid
    combined with a sine); the exact equation could not be checked against the paper. We ship
    hypothesis H1 from the project spec, ``x sigma(x) + sin(x)/2``, chosen because it makes the
    function C1 at 0 (left slope 1/2 + 1/2 = 1). Re-derive from the PDF before using it as an
    oracle. Non-monotonic, bounded below by -0.772413 (at x = -1.490967). No parameters.
    """

    formula = staticmethod(nish)
