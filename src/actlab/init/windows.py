"""What a weighted layer's input windows hold: the zero-padding coverage of a conv kernel
(analytic, for AutoInit's rules) and the second moment a random weight row sees over the real
windows of a batch (for its ``calibrate`` options), and the one-step output fit of
``calibrate="output"``."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .layers import fan_in, is_linear, weight_of

__all__ = ["conv_coverage", "coverage_stats", "fit_output", "window_second"]


def _conv(module: nn.Module) -> nn.Conv1d | nn.Conv2d | nn.Conv3d:
    if not isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        raise TypeError(f"expected an nn.Linear or nn.Conv1d/2d/3d layer, got {type(module).__name__}")
    return module


def conv_coverage(module: nn.Module, in_shape: Sequence[int]) -> float:
    """Average fraction of a conv kernel's taps that land inside the (unpadded) input.

    With zero padding, border outputs see fewer inputs, so the pooled output variance is
    ``Var(W) fan_in rho E[x^2]``. 1 for Linear, unpadded convs and non-zero padding modes.
    """
    return coverage_stats(module, in_shape)[0]


def coverage_stats(module: nn.Module, in_shape: Sequence[int]) -> tuple[float, float]:
    r"""``(rho, q)``: mean over output positions of the inside fraction ``r_p`` of a kernel window,
    and of ``r_p (1 - r_p)``.

    ``q`` is what zero-mean (centred) weight rows leak of a non-zero input mean ``mu`` at the
    borders: a centred row of squared norm ``Var(W) n`` summed over the ``r_p n`` taps inside
    has ``E[(sum_S w_j)^2] = Var(W) n r_p (1 - r_p) n / (n - 1)``, so the pooled output variance
    of a centred conv is ``Var(W) n (rho v + q mu^2 n / (n - 1))``. ``(1, 0)`` without zero padding.
    """
    if is_linear(module) or getattr(module, "padding_mode", "zeros") != "zeros":
        return 1.0, 0.0
    layer = _conv(module)
    pad = layer.padding
    if pad == "valid" or (not isinstance(pad, str) and all(p == 0 for p in pad)):
        return 1.0, 0.0
    nd = len(layer.kernel_size)
    ones = torch.ones(1, 1, *in_shape[-nd:], dtype=torch.float64)
    kernel = torch.ones(1, 1, *layer.kernel_size, dtype=torch.float64)
    conv = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
    r = conv(ones, kernel, stride=layer.stride, padding=pad, dilation=layer.dilation) / kernel.numel()
    return float(r.mean()), float((r * (1 - r)).mean())


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
    if is_linear(m):
        y = y.reshape(-1, n)
        s2, s1 = (y * y).sum(1), y.sum(1)
    else:
        layer = _conv(m)
        g = layer.groups
        ones = y.new_ones(g, y.shape[1] // g, *layer.kernel_size)
        s2, s1 = layer._conv_forward(y * y, ones, None), layer._conv_forward(y, ones, None)
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
    weight_of(m).mul_(math.sqrt(target_var / v))
    return target_var / v
