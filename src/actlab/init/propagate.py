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
* Flatten/reshape/view/permute/slicing and friends pass moments through unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from ..activations import Activation, activation_info
from ..activations.torch_table import is_torch_activation, module_for_call, torch_module_row
from .moments import Moments, activation_moments, elementwise_fn, is_stochastic, shared_expectation

__all__ = [
    "Stat",
    "measured_stat",
    "is_activation",
    "module_rule",
    "add",
    "sub",
    "mul",
    "scale",
    "shift",
    "concat",
    "dropout",
    "avg_pool",
    "zero_pad",
    "max_pool",
    "activation",
    "SUPPORTED_KINDS",
    "function_rule",
    "op_name",
    "BATCH_NORMS",
]

NORMS = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm, nn.modules.instancenorm._InstanceNorm)
DROPOUTS = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)
AVG_POOLS = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
MAX_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
ADAPTIVE_AVG = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
ADAPTIVE_MAX = (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
PASS_THROUGH = (nn.Identity, nn.Flatten, nn.Unflatten, nn.ChannelShuffle, nn.PixelShuffle, nn.PixelUnshuffle)

SUPPORTED_KINDS = (
    "Linear, Conv1d/2d/3d (grouped, depthwise); activations (any actlab Activation; the torch.nn "
    "activations, functional calls and tensor methods of actlab.activations.torch_table); "
    "BatchNorm/LayerNorm/GroupNorm/InstanceNorm; Dropout/Dropout1d/2d/3d; AvgPool, MaxPool, AdaptiveAvgPool, "
    "AdaptiveMaxPool (1d/2d/3d) and mean/amax over dims; ZeroPad and F.pad with zeros; add, sub, mul, neg, "
    "scalar div, cat, stack; Identity, Flatten, Unflatten, view/reshape/permute/transpose/squeeze/unsqueeze/"
    "slicing/chunk/split"
)


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
    """

    act: Any = None
    pre: Stat | None = None
    measured: bool = False
    shared: float = 0.0


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


# ---------------------------------------------------------------- modules
def _numel_ratio(x: torch.Tensor, out: torch.Tensor) -> int:
    return max(1, round(x.numel() / max(out.numel(), 1)))


def module_rule(module: nn.Module, a: Stat, x: torch.Tensor, out: torch.Tensor, seed: int = 0) -> Stat | None:
    """Output moments of a non-weighted module for input moments ``a``; ``None`` when unsupported.

    ``x`` and ``out`` are the module's real input and output on the sample batch (used for shapes).
    """
    if is_activation(module):
        return activation(module, a, seed)
    if isinstance(module, NORMS):
        w = getattr(module, "weight", None)
        b = getattr(module, "bias", None)
        g2 = 1.0 if w is None else float((w.detach().double() ** 2).mean())
        bm = 0.0 if b is None else float(b.detach().double().mean())
        bv = 0.0 if b is None else float(b.detach().double().var(unbiased=False))
        per_channel = isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm))
        keep = 0.0 if per_channel or a.var <= 0 else a.shared / a.var  # LayerNorm/GroupNorm keep offsets
        return Stat(bm, g2 + bv, shared=keep * g2 + bv)
    if isinstance(module, DROPOUTS):
        return dropout(a, module.p) if module.training else a
    if isinstance(module, PASS_THROUGH):
        return a
    if isinstance(module, (nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d)):
        return zero_pad(a, x.numel() / max(out.numel(), 1))
    if isinstance(module, AVG_POOLS):
        return avg_pool(a, math.prod(_tuple(module.kernel_size, x.dim() - 2)))
    if isinstance(module, MAX_POOLS):
        return max_pool(a, math.prod(_tuple(module.kernel_size, x.dim() - 2)), seed)
    if isinstance(module, ADAPTIVE_AVG):
        return avg_pool(a, _numel_ratio(x, out))
    if isinstance(module, ADAPTIVE_MAX):
        return max_pool(a, _numel_ratio(x, out), seed)
    return None


def _tuple(k: Any, n: int) -> tuple[int, ...]:
    return tuple(k) if isinstance(k, (tuple, list)) else (int(k),) * max(n, 1)


def with_measured(a: Stat) -> Stat:
    return replace(a, measured=True)


# ---------------------------------------------------------------- functional ops and tensor methods
_PASS = {
    "flatten", "view", "reshape", "permute", "transpose", "contiguous", "squeeze", "unsqueeze", "expand",
    "expand_as", "repeat", "clone", "detach", "to", "float", "double", "half", "type_as", "t", "chunk",
    "split", "getitem", "unbind", "narrow", "roll", "flip", "movedim", "swapaxes", "reshape_as",
    "view_as", "unflatten", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "tensor_split",
}  # fmt: skip
_ADD = {"add", "add_", "iadd", "__add__", "__iadd__", "__radd__"}
_SUB = {"sub", "sub_", "isub", "__sub__", "__isub__"}
_MUL = {"mul", "mul_", "imul", "__mul__", "__imul__", "__rmul__"}
_DIV = {"truediv", "div", "div_", "itruediv", "__truediv__"}
BATCH_NORMS = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm)
_NORM_FNS = {"batch_norm", "layer_norm", "group_norm", "instance_norm"}
_DROPOUT_FNS = {"dropout", "dropout1d", "dropout2d", "dropout3d"}


def op_name(target: Any) -> str:
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


def function_rule(target: Any, args: tuple, kwargs: dict, sargs: tuple, out: Any, seed: int) -> Stat | None:
    """Output moments of a functional op / tensor method; ``None`` when there is no rule."""
    name = op_name(target)
    if name.startswith("__i"):  # in-place dunder: __iadd__ -> iadd
        name = name.removeprefix("__").removesuffix("__")
    tens = [(s, a) for s, a in zip(sargs, args, strict=True) if isinstance(a, torch.Tensor)]
    first = next((s for s in sargs if isinstance(s, Stat)), None)  # scalar * x puts x second
    nums = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
    if name in _PASS or name == "flatten":
        return first
    if name in ("cat", "concat", "concatenate", "stack"):  # its Stats sit in a list (sargs[0]): first may be None
        if first is None and not (args and isinstance(args[0], (list, tuple))):
            return None
        seq = args[0]
        sstats = sargs[0]
        if not isinstance(sstats, (list, tuple)) or not all(isinstance(s, Stat) for s in sstats):
            return None
        dim = kwargs.get("dim", args[1] if len(args) > 1 else 0)
        sizes = [t.shape[dim] if name != "stack" else 1 for t in seq]
        return concat(list(sstats), sizes)
    if first is None:
        return None
    if name in _ADD or name in _SUB:
        stats = [s for s, _ in tens]
        if len(stats) == 2 and all(isinstance(s, Stat) for s in stats):
            b = stats[1] if "alpha" not in kwargs else scale(stats[1], float(kwargs["alpha"]))
            return add(stats[0], b) if name in _ADD else sub(stats[0], b)
        if len(stats) == 1 and len(nums) == 1 and isinstance(stats[0], Stat):
            if name in _SUB and not isinstance(args[0], torch.Tensor):  # c - x
                return shift(scale(stats[0], -1.0), nums[0])
            return shift(stats[0], nums[0] if name in _ADD else -nums[0])
        return None
    if name in _MUL:
        stats = [s for s, _ in tens]
        if len(stats) == 2 and all(isinstance(s, Stat) for s in stats):
            return mul(*stats)
        if len(stats) == 1 and len(nums) == 1:
            return scale(stats[0], nums[0])
        return None
    if name in _DIV and len(tens) == 1 and len(nums) == 1 and isinstance(args[0], torch.Tensor):
        return scale(first, 1.0 / nums[0])
    if name in ("neg",):
        return scale(first, -1.0)
    x = args[0] if args else None
    if not isinstance(x, torch.Tensor) or not isinstance(out, torch.Tensor):
        return None
    try:  # an activation call of the torch table
        eq = module_for_call(target, tuple(args), dict(kwargs))
    except (TypeError, ValueError):  # e.g. torch.rrelu(x, generator=g): no module equals it
        eq = None
    if eq is not None:
        return activation(eq[0], first, seed)
    if name in _NORM_FNS:
        return Stat(0.0, 1.0)
    if name in _DROPOUT_FNS:
        p = kwargs.get("p", args[1] if len(args) > 1 else 0.5)
        training = kwargs.get("training", args[2] if len(args) > 2 else True)
        return dropout(first, float(p)) if training else first
    if name == "pad" and kwargs.get("mode", args[2] if len(args) > 2 else "constant") == "constant":
        if not kwargs.get("value", args[3] if len(args) > 3 else None):
            return zero_pad(first, x.numel() / max(out.numel(), 1))
    ratio = max(1, round(x.numel() / max(out.numel(), 1)))
    if name in ("mean", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d"):
        return avg_pool(first, ratio)
    if name in ("amax", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"):
        return max_pool(first, ratio, seed)
    if name == "sum":
        return scale(avg_pool(first, ratio), float(ratio))
    if name in ("avg_pool1d", "avg_pool2d", "avg_pool3d", "max_pool1d", "max_pool2d", "max_pool3d"):
        size = kwargs.get("kernel_size", args[1] if len(args) > 1 else None)
        if size is None:
            raise TypeError(f"{name} needs a kernel_size, got none")
        k = math.prod(size) if isinstance(size, (tuple, list)) else int(size) ** (x.dim() - 2)
        return avg_pool(first, k) if name.startswith("avg") else max_pool(first, k, seed)
    return None


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
