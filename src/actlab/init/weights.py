r"""AutoInit's weight-variance rule, and the drawing of weights with a given variance: two steps
kept apart, so the rule can be read (and tested) without any random draw.

The rule (Bingham & Miikkulainen, arXiv 2109.08958, eq. 5, with actlab's refinements):

.. math:: Var(W) = \frac{\sigma^2_{target}}{fan_{in}\; s}, \qquad
          s = \rho\,E[x^2] \;\text{(i.i.d. rows)} \quad\text{or}\quad
          s = \rho\,v + q\,\mu^2\,\frac{n}{n-1} \;\text{(centred rows)},

``(mu, v)`` the input moments, ``rho``/``q`` the zero-padding coverage of a window
(:func:`~actlab.init.windows.coverage_stats`; 1/0 for Linear), ``n`` the fan-in. The drawing
(:func:`draw_`) samples ``N(0, Var(W))``, optionally makes each row zero-mean with squared norm
``Var(W) n`` (``center``), or gives a lone weight the fixed magnitude ``sqrt(Var(W))`` (``single``),
and zeroes the bias.
"""

from __future__ import annotations

import math

import torch

__all__ = ["draw_", "effective_second", "weight_variance"]


def effective_second(
    var: float, mean: float, *, rho: float = 1.0, q: float = 0.0, fan_in: int, center: bool, single: bool = False
) -> float:
    """The input second moment ``s`` a weight row sees (module doc); ``single``: one weight, one unit."""
    if center and fan_in > 1:
        return rho * var + q * fan_in / (fan_in - 1) * mean**2
    return rho * (var if single else var + mean**2)


def weight_variance(target_var: float, fan_in: int, second: float) -> float:
    """``Var(W) = target_var / (fan_in * second)``: the layer's output then has variance ``target_var``."""
    return target_var / (fan_in * second)


def draw_(
    weight: torch.Tensor,
    var_w: float,
    *,
    center: bool = False,
    single: bool = False,
    bias: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> None:
    """Draws ``weight`` in place from ``N(0, var_w)`` (rows centred or a lone weight fixed, see module doc)."""
    with torch.no_grad():
        weight.normal_(0.0, math.sqrt(var_w), generator=generator)
        if center and weight[0].numel() > 1:  # zero-mean rows of fixed squared norm var_w * fan_in
            rows = weight if weight.dim() == 2 else weight.view(weight.shape[0], -1)  # 2-d: may be a transposed view
            rows.sub_(rows.mean(1, keepdim=True))
            rows.mul_(math.sqrt(var_w * rows.shape[1]) / rows.norm(dim=1, keepdim=True).clamp_min(1e-12))
        if single:  # |w| fixed: output variance exactly var_w rho v
            weight.copy_(weight.sign().where(weight.ne(0), 1.0) * math.sqrt(var_w))
        if bias is not None:
            bias.zero_()
