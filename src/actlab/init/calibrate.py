"""Closed-loop pieces of AutoInit's ``calibrate`` options: the expected output second moment of a
weighted layer from its real input windows, and the one-step fit of a drawn layer's output."""

from __future__ import annotations

import math

import torch
from torch import nn

from .schemes import fan_in

__all__ = ["window_second", "fit_output"]


def window_second(m: nn.Module, x: torch.Tensor, center: bool) -> float:
    r"""``E_w[(w . x_p)^2] / (Var(W) fan_in)`` averaged over the input windows ``x_p`` of ``x``.

    For i.i.d. weights this is ``E ||x_p||^2 / n`` (``n`` = fan-in, zero padding included); for
    centred rows (zero mean, fixed norm, i.e. uniform on the sphere of the sum-zero subspace) it is
    ``E ||x_p - mean(x_p)||^2 / (n - 1)``: what a window holds in common -- its mean, and any
    correlation shared by all its taps (spatial smoothness, a per-sample scale common to all
    channels) -- never reaches a centred output. Computed with all-ones kernels of the layer's own
    stride, padding, dilation and groups, in float64. It is an expectation over the weight draw,
    not a fit of the drawn weights to the batch.
    """
    n = fan_in(m)
    y = x.detach().double()
    if isinstance(m, nn.Linear):
        y = y.reshape(-1, n)
        s2, s1 = (y * y).sum(1), y.sum(1)
    else:
        g = m.groups
        ones = y.new_ones(g, y.shape[1] // g, *m.kernel_size)
        s2, s1 = m._conv_forward(y * y, ones, None), m._conv_forward(y, ones, None)
    if not center:
        return float(s2.mean()) / n
    return float((s2 - s1 * s1 / n).mean()) / (n - 1)


def fit_output(m: nn.Module, x: torch.Tensor, target_var: float) -> float:
    """Rescales ``m.weight`` so the output variance on ``x`` is ``target_var``; returns the factor^2.

    With the bias at 0 the output is linear in the weights, so one rescaling is exact.
    """
    y = m.forward(x)  # not m(x): hooks (AutoInit's own, in hook mode) must not run again
    v = float(y.double().var(unbiased=False))
    if not (v > 0 and math.isfinite(v)):
        return 1.0
    m.weight.mul_(math.sqrt(target_var / v))
    return target_var / v
