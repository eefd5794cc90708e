"""CoLU: Collapsing Linear Unit (Vagerwal, arXiv 2112.12078), overflow-safe."""

from __future__ import annotations

import math

import torch

from ._base import Activation
from ._info import ActivationInfo, Paper
from ._registry import register_activation

__all__ = ["CoLU"]

# minimum of CoLU (at x = -0.726925), found with scipy in float64
_COLU_MIN = -0.37715856839612916
# beyond this x the term x e^{-x-e^x} is 0 in float64 (e^{-e^30} underflows), so CoLU(x) = x
_POS_CLAMP = 30.0


def colu(x: torch.Tensor) -> torch.Tensor:
    t = torch.clamp(x, min=0.0, max=_POS_CLAMP)
    pos = x / (1 - t * torch.exp(-t - torch.exp(t)))
    n = torch.clamp(x, max=0.0)
    s = torch.exp(n + torch.exp(n))
    return torch.where(x > 0, pos, n * s / (s - n))


@register_activation(
    ActivationInfo(
        name="colu",
        formula="x / (1 - x * exp(-(x + exp(x))))",
        latex=r"\frac{x}{1 - x e^{-(x + e^x)}}",
        paper=Paper("Deeper Learning with CoLU Activation", "2112.12078", 2021),
        aliases=("collapsing_linear_unit",),
        monotonic=False,
        smoothness="Cinf",
        bounded_below=True,
        output_range=(_COLU_MIN, math.inf),
        f0=0.0,
        df0=1.0,
        category="seed",
        notes="The naive formula gives NaN gradients for |x| > ~88 (float32) and |x| > ~11 (float16); "
        "this implementation is finite for all inputs (split form, half inputs computed in float32). "
        "The denominator is >= 0.939681, never near zero.",
    )
)
class CoLU(Activation):
    r"""CoLU(x) = x / (1 - x e^{-(x + e^x)}) (Vagerwal, "Deeper Learning with CoLU Activation", arXiv 2112.12078).

    The denominator never approaches zero (its minimum is 0.939681 at x = 0.401057); the danger
    is overflow: ``e^x`` overflows for large x and ``e^{-(x + e^x)}`` for very negative x, and
    autograd then multiplies 0 by inf. We evaluate two algebraically equal forms, each only where
    it cannot overflow:

    * x > 0: ``x / (1 - g)`` with ``g = t e^{-t - e^t}``, ``t = min(x, 30)`` (g is exactly 0 in
      float64 beyond 30, so CoLU(x) = x there, gradient 1);
    * x <= 0: ``x s / (s - x)`` with ``s = e^{x + e^x}`` in (0, e] (multiply through by s); as
      x -> -inf this tends to 0 with gradient 0 instead of NaN.

    Float16/bfloat16 inputs are computed in float32 and cast back. No parameters.
    """

    formula = staticmethod(colu)
    compute_fp32 = True
