"""AutoInit's per-layer rules: how (mean, variance) of a tensor's elements flows through a layer.

Every rule treats the elements of its inputs as independent, as AutoInit does (Bingham &
Miikkulainen, arXiv 2109.08958, section 3); the values are *pooled* over all elements (batch,
channels, positions), which is what the next weighted layer's ``E[x^2]`` needs.

* Weighted layers (Linear, Conv1d/2d/3d incl. grouped/depthwise) output ``(0, Var(W) fan_in rho
  E[x^2])`` where ``rho`` is the average fraction of a kernel window lying inside the unpadded
  input (zero padding; 1 for Linear) -- see :func:`actlab.init.windows.coverage_stats`.
* Norm layers (BatchNorm, LayerNorm, GroupNorm, InstanceNorm) output ``(mean(beta), E[gamma^2] +
  Var(beta))``, i.e. ``(0, 1)`` at their initial affine parameters (BatchNorm in training mode).
* Dropout (inverted, rescaled by 1/(1-p)): mean unchanged, ``var' = (v + mu^2)/(1-p) - mu^2``,
  exact for elementwise and channel (``Dropout2d``) masks alike. AutoInit's reference code uses
  ``v/(1-p)``, exact only for ``mu = 0``.
* Residual add: means and variances add (independent branches). Variance therefore grows along a
  residual stream until a weighted layer re-normalises it; AutoInit's optional remedy, replacing
  each add by a weighted sum with coefficients ``sqrt(target / (v_i n))``, changes the model and is
  *not* applied here -- the next weighted layer simply sees the larger ``E[x^2]``.
* Subtract: ``(mu1 - mu2, v1 + v2)``; multiply: ``(prod mu_i, prod(v_i + mu_i^2) - prod mu_i^2)``;
  concat/stack: size-weighted mean and second moment; scalar shift/scale exact.
* Channel offsets: every Stat carries ``shared``, the part of the variance common to all elements
  of a channel (a conv or linear layer fed a non-zero mean passes ``Var(W) fan_in (mu^2 + s)`` of
  its output variance as per-channel offsets; BatchNorm removes them; activations map them through
  ``Var_c E[f(c + e) | c]``). AutoInit's independence assumption is the special case ``shared = 0``;
  without it, pooling after a conv fed by ReLU/sigmoid is predicted far too small.
* Average pooling over k elements: ``(mu, s + (v - s) / k)``; max pooling over k elements: exact order
  statistics of the non-shared part, ``E[g(max x_i)]`` under the density ``k phi Phi^(k-1)``, through the preceding
  activation when it is monotone (``max f(x_i) = f(max x_i)``), seeded Monte Carlo when it is
  not, and for a Gaussian input when no activation precedes. Padding at borders is ignored.
* Flatten/reshape/view/permute/slicing and friends pass moments through unchanged; picking positions
  by index (``x[:, 0]``, a class token) takes that slice's own moments on the pass.
* RMSNorm ``g x / rms(x)``: second moment ``E[g^2]``; embeddings (a table indexed uniformly): the
  moments of the table's entries; matmul of ``k`` independent products ``(k mu_a mu_b,
  k (E[a^2] E[b^2] - mu_a^2 mu_b^2))``; attention (``scaled_dot_product_attention``, or a matmul
  with softmax rows) ``(mu_v, s_v + E_rows[sum_j P_ij^2] (v_v - s_v))``, the concentration of the
  pattern ``P`` read from the real queries and keys of the pass (it depends on the sequence, not on
  the value weights being drawn).

Which rule applies to which module, function or method is the table of :mod:`actlab.init.ops`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..activations import Activation, activation_info
from ..activations.torch_table import is_torch_activation, torch_module_row
from .moments import Moments, activation_moments, elementwise_fn, is_stochastic, shared_expectation

__all__ = [
    "BATCH_NORMS", "NORMS", "Stat", "activation", "add", "attention", "attention_weights", "avg_pool", "concat",
    "dropout", "is_activation", "matmul", "max_pool", "measured_stat", "mul", "norm", "rms_norm", "scale", "shift",
    "sub", "table", "zero_pad",
]  # fmt: skip

NORMS = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm, nn.modules.instancenorm._InstanceNorm)
BATCH_NORMS = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm)


@dataclass(frozen=True)
class Stat(Moments):
    """Moments of a tensor's elements plus where they came from.

    Attributes:
        act: the elementwise activation whose output this is (kept for max pooling), else None.
        pre: that activation's Gaussian input moments.
        measured: moments were measured on the sample batch, not predicted (fallback paths).
        shared: the part of ``var`` shared by all elements of a channel (variance of the channel
            means over channels, e.g. the offsets ``mu sum_j w_cj`` a conv adds to each output
            channel when its input mean is not 0). Pooling averages or maximizes only the rest.
        simplex: the rows along the last dim are probabilities summing to 1 (a softmax), so a
            matmul with them is an attention average (:func:`attention`).
    """

    act: Any = None
    pre: Stat | None = None
    measured: bool = False
    shared: float = 0.0
    simplex: bool = False


def _s(mean: float, var: float, *parents: Stat, shared: float = 0.0) -> Stat:
    var = max(float(var), 0.0)
    return Stat(float(mean), var, measured=any(p.measured for p in parents), shared=min(max(float(shared), 0.0), var))


def is_activation(module: nn.Module) -> bool:
    """Whether ``module`` is an actlab activation or a ``torch.nn`` one of the torch table."""
    return isinstance(module, Activation) or is_torch_activation(module)


# where monotonicity is confirmed at the module's current parameters (float64, dense near 0)
_TAIL = torch.logspace(-3, 3, 200, dtype=torch.float64)
_MONO_GRID = torch.cat([-_TAIL, torch.linspace(-30, 30, 6001, dtype=torch.float64), _TAIL]).unique()


def _monotone(act: Any) -> bool:
    """Whether ``act`` is non-decreasing, so that ``max_i f(x_i) = f(max_i x_i)``.

    Its zoo row's claim (``activation_info(name).monotonic``: the actlab class's row, or the row a
    ``torch.nn`` module equals by the torch table) holds at default parameters; it is confirmed on a
    dense grid at the module's current ones (``nn.LeakyReLU(-0.1)``, ``nn.Threshold(0.1, 20)``, a
    PReLU trained to a negative slope are not monotone). Where either says no, max pooling after
    ``act`` uses Monte Carlo.
    """
    if isinstance(act, Activation):
        info = type(act).info
    else:
        row = torch_module_row(act) if isinstance(act, nn.Module) else None
        info = activation_info(row.name) if row is not None else None
    if info is None or not info.monotonic:
        return False
    with torch.no_grad():
        y = elementwise_fn(act)(_MONO_GRID)
    y = y.reshape(len(_MONO_GRID), -1)
    if not torch.isfinite(y).all():
        return False
    return bool((y.diff(dim=0) >= -1e-12 * (1.0 + y.abs().max())).all())


# ---------------------------------------------------------------- elementwise combinations
def add(*stats: Stat) -> Stat:
    return _s(sum(s.mean for s in stats), sum(s.var for s in stats), *stats, shared=sum(s.shared for s in stats))


def sub(a: Stat, b: Stat) -> Stat:
    return _s(a.mean - b.mean, a.var + b.var, a, b, shared=a.shared + b.shared)


def mul(*stats: Stat) -> Stat:
    m = math.prod(s.mean for s in stats)
    shared = math.prod(s.shared + s.mean**2 for s in stats) - m**2
    return _s(m, math.prod(s.second for s in stats) - m**2, *stats, shared=shared)


def scale(a: Stat, c: float) -> Stat:
    return _s(c * a.mean, c * c * a.var, a, shared=c * c * a.shared)


def shift(a: Stat, c: float) -> Stat:
    return _s(a.mean + c, a.var, a, shared=a.shared)


def concat(stats: Sequence[Stat], sizes: Sequence[int]) -> Stat:
    n = float(sum(sizes))
    m = sum(k * s.mean for s, k in zip(stats, sizes, strict=True)) / n
    second = sum(k * s.second for s, k in zip(stats, sizes, strict=True)) / n
    shared = sum(k * (s.shared + s.mean**2) for s, k in zip(stats, sizes, strict=True)) / n - m**2
    return _s(m, second - m**2, *stats, shared=shared)


def dropout(a: Stat, p: float) -> Stat:
    """Inverted dropout: ``(mu, (v + mu^2)/(1 - p) - mu^2)`` (exact); channel means unchanged."""
    if p >= 1:
        return _s(0.0, 0.0, a)
    return _s(a.mean, a.second / (1 - p) - a.mean**2, a, shared=a.shared)


def zero_pad(a: Stat, kept: float) -> Stat:
    """Zero padding that keeps a fraction ``kept`` of the elements (channel or spatial padding)."""
    m = kept * a.mean
    return _s(m, kept * a.second - m**2, a, shared=kept * (a.shared + a.mean**2) - m**2)


def avg_pool(a: Stat, k: int) -> Stat:
    """Mean of ``k`` elements of a channel: the channel's shared part stays, the rest is divided by k."""
    return _s(a.mean, a.shared + (a.var - a.shared) / max(k, 1), a, shared=a.shared)


def max_pool(a: Stat, k: int, seed: int = 0) -> Stat:
    """Moments of the maximum of ``k`` i.i.d. elements distributed like ``a`` (see module doc)."""
    if k <= 1:
        return a
    if a.act is None or a.pre is None:
        first, second, shared = shared_expectation(lambda x: x, a.mean, a.shared, a.var - a.shared, k)
    elif not is_stochastic(a.act) and _monotone(a.act):
        pre = a.pre
        first, second, shared = shared_expectation(elementwise_fn(a.act), pre.mean, pre.shared, pre.var - pre.shared, k)
    else:  # non-monotone activation: seeded Monte Carlo of max_i f(c + e_i)
        g = torch.Generator().manual_seed(seed)
        n = max((1 << 18) // k, 4096)
        c = a.pre.mean + math.sqrt(a.pre.shared) * torch.randn(n, 1, generator=g, dtype=torch.float64)
        e = math.sqrt(a.pre.var - a.pre.shared) * torch.randn(n, k, generator=g, dtype=torch.float64)
        with torch.no_grad():
            y = elementwise_fn(a.act)((c + e).reshape(-1)).reshape(n, k, -1).amax(1)
        first, second = float(y.mean()), float((y**2).mean())
        shared = a.shared  # MC keeps the input's shared part (approximation)
    return _s(first, second - first**2, a, shared=shared)


def activation(act: Any, a: Stat, seed: int = 0) -> Stat:
    """Moments of ``act(x)`` for ``x ~ N(a.mean, a.var)`` (Gaussian approximation of the input)."""
    m = activation_moments(act, a.mean, a.var, seed=seed)
    keep = not is_stochastic(act)
    if a.shared <= 0:
        shared = 0.0
    elif keep:
        shared = shared_expectation(elementwise_fn(act), a.mean, a.shared, a.var - a.shared)[2]
    else:
        shared = m.var * a.shared / a.var if a.var > 0 else 0.0
    return Stat(
        m.mean,
        m.var,
        act=act if keep else None,
        pre=a if keep else None,
        measured=a.measured,
        shared=min(shared, m.var),
    )


# ---------------------------------------------------------------- norms, tables, attention
def _affine_moments(w: torch.Tensor | None, b: torch.Tensor | None) -> tuple[float, float, float, float]:
    g1 = 1.0 if w is None else float(w.detach().double().mean())
    g2 = 1.0 if w is None else float((w.detach().double() ** 2).mean())
    bm = 0.0 if b is None else float(b.detach().double().mean())
    bv = 0.0 if b is None else float(b.detach().double().var(unbiased=False)) if b.numel() > 1 else 0.0
    return g1, g2, bm, bv


def norm(a: Stat, weight: torch.Tensor | None, bias: torch.Tensor | None, *, per_channel: bool) -> Stat:
    """Batch/Instance/Layer/GroupNorm: ``(mean(beta), E[gamma^2] + Var(beta))``.

    Per-channel norms (BatchNorm, InstanceNorm) remove the channel offsets; LayerNorm/GroupNorm
    keep their share of the variance.
    """
    _, g2, bm, bv = _affine_moments(weight, bias)
    keep = 0.0 if per_channel or a.var <= 0 else a.shared / a.var
    return Stat(bm, g2 + bv, shared=keep * g2 + bv)


def rms_norm(a: Stat, weight: torch.Tensor | None) -> Stat:
    """RMSNorm ``g x / sqrt(mean(x^2))``: second moment ``E[g^2]``, mean ``mean(g) mu / sqrt(E[x^2])``."""
    g1, g2, _, _ = _affine_moments(weight, None)
    m = g1 * a.mean / math.sqrt(a.second) if a.second > 0 else 0.0
    return _s(m, g2 - m * m, a, shared=(a.shared / a.second * g2) if a.second > 0 else 0.0)


def table(weight: torch.Tensor | None) -> Stat | None:
    """A lookup table (embedding) indexed uniformly: the moments of its entries."""
    if not isinstance(weight, torch.Tensor):
        return None
    w = weight.detach().double()
    return Stat(float(w.mean()), float(w.var(unbiased=False)) if w.numel() > 1 else 0.0)


def matmul(a: Stat, b: Stat, k: int) -> Stat:
    """``sum_{i<k} a_i b_i`` of independent elements: ``(k mu_a mu_b, k (E[a^2] E[b^2] - mu_a^2 mu_b^2))``;
    with probability rows ``a`` (``a.simplex``) the attention average ``attention(b, k E[a^2])``."""
    if a.simplex:
        return attention(b, k * a.second)
    m = k * a.mean * b.mean
    return _s(m, k * (a.second * b.second - (a.mean * b.mean) ** 2), a, b)


def attention_weights(
    q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None, causal: bool = False, scale: float | None = None
) -> float:
    """``E_rows[sum_j P_ij^2]`` of the attention pattern ``P = softmax(q k^T scale + mask)`` of real q, k."""
    qd, kd = q.detach().double(), k.detach().double()
    if kd.dim() == qd.dim() and kd.shape[-3:-2] != qd.shape[-3:-2] and qd.dim() >= 3:  # grouped-query heads
        kd = kd.repeat_interleave(qd.shape[-3] // kd.shape[-3], dim=-3)
    logits = qd @ kd.transpose(-2, -1) * (scale if scale is not None else 1.0 / math.sqrt(qd.shape[-1]))
    if causal:
        keep = torch.ones(logits.shape[-2:], dtype=torch.bool, device=logits.device).tril()
        logits = logits.masked_fill(~keep, float("-inf"))
    if mask is not None:
        logits = logits.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else logits + mask.double()
    p = torch.softmax(logits, dim=-1).nan_to_num(0.0)
    return float((p * p).sum(-1).mean())


def attention(v: Stat, concentration: float) -> Stat:
    """``sum_j P_ij v_j`` with weights summing to 1: ``(mu_v, E[sum_j P_ij^2] v_v)`` (channel offsets kept)."""
    return _s(v.mean, v.shared + concentration * (v.var - v.shared), v, shared=v.shared)

def measured_stat(t: torch.Tensor, flag: bool) -> Stat:
    """Moments of a real tensor; ``shared`` is the variance of its channel (dim 1) means."""
    if isinstance(t, (tuple, list)):
        t = torch.cat([x.reshape(-1) for x in t])
    y = t.detach().double()
    var = float(y.var(unbiased=False)) if y.numel() > 1 else 0.0
    shared = 0.0
    if y.dim() >= 2 and y.shape[1] > 1:
        shared = float(y.transpose(0, 1).reshape(y.shape[1], -1).mean(1).var(unbiased=False))
    return Stat(float(y.mean()), var, measured=flag, shared=min(shared, var))
