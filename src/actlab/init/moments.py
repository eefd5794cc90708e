r"""Output moments of an activation for a Gaussian input, computed from its actual forward.

For ``x ~ N(mu, v)`` AutoInit (Bingham & Miikkulainen, arXiv 2109.08958) needs

.. math:: E[f(x)] = \int f(x)\,\varphi_{\mu,v}(x)\,dx, \qquad
          Var[f(x)] = \int f(x)^2\,\varphi_{\mu,v}(x)\,dx - E[f(x)]^2 .

We integrate numerically instead of keeping a table, so every activation works, trainable ones at
their *current* parameters. Elementwise activations use composite Gauss-Legendre quadrature on
``[mu - 12 sd, mu + 12 sd]`` (``2 x 2000`` panels of 8 nodes, a panel edge at 0 where most kinks
sit), evaluating the activation's own formula (the function its eager and fused paths use) at
float64 copies of its parameters, so its overflow-safe form is used (CoLU, sigmoid...). Per-channel
parameters give per-channel moments that are pooled (mean of means, mean of second moments), as the
next layer sees all channels. Activations that are not elementwise: reducing ones
(``info.arity > 1``, e.g. AND/OR/XNOR, maxout), batch-dependent ones (``info.batch_dependent``, e.g.
ABReLU, FReLU) and those mixing channels (Meta-ACON) are evaluated by seeded Monte Carlo on i.i.d.
``N(mu, v)`` batches, laid out ``(n, C, 8, ...)`` for modules with ``spatial_dims`` (FReLU's
window). Results are cached by (class, configuration, parameter values, mean, var).
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
from scipy.special import ndtr
from torch import nn

from ..activations import Activation

__all__ = [
    "Moments",
    "activation_moments",
    "clear_moment_cache",
    "elementwise_fn",
    "gaussian_expectation",
    "shared_expectation",
    "is_stochastic",
]

Act = nn.Module | Callable[[torch.Tensor], torch.Tensor]

_PANELS = 2000  # per side of the split point
_ORDER = 8
_HALF_WIDTH = 12.0  # in standard deviations
_MC_ELEMENTS = 1 << 20
_CACHE: OrderedDict[tuple, Moments] = OrderedDict()
_LEGGAUSS = np.polynomial.legendre.leggauss(_ORDER)
_HERMGAUSS = np.polynomial.hermite.hermgauss(32)
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Moments:
    """Mean and variance of a tensor's elements (``second`` = E[x^2] = var + mean^2)."""

    mean: float
    var: float

    @property
    def second(self) -> float:
        return self.var + self.mean**2


def clear_moment_cache() -> None:
    """Empties the moment cache (e.g. after changing an activation class's code)."""
    _CACHE.clear()


def _grid(lo: float, hi: float, split: float, panels: int = _PANELS) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre nodes and weights on [lo, hi] with a panel edge at ``split``."""
    t, w = _LEGGAUSS
    xs, ws = [], []
    for a, b in ((lo, split), (split, hi)) if lo < split < hi else ((lo, hi),):
        edges = np.linspace(a, b, panels + 1)
        h = np.diff(edges)[:, None] / 2
        mid = (edges[:-1] + edges[1:])[:, None] / 2
        xs.append((mid + h * t).ravel())
        ws.append((h * w).ravel())
    return np.concatenate(xs), np.concatenate(ws)


def gaussian_expectation(
    f: Callable[[torch.Tensor], torch.Tensor], mean: float, var: float, max_of: int = 1, panels: int = _PANELS
) -> tuple[float, float]:
    """``(E[g], E[g^2])`` for ``g = f(max(x_1..x_k))`` with i.i.d. ``x_i ~ N(mean, var)``, ``k = max_of``.

    ``f`` maps a float64 1-D tensor of nodes to values of shape ``(n,)`` or ``(n, C)`` (per-channel
    values are averaged). ``max_of=1`` is the plain Gaussian expectation; ``max_of=k`` uses the
    density of the maximum of k Gaussians, ``k phi(z) Phi(z)^(k-1)`` (exact order statistics).
    """
    sd = math.sqrt(max(var, 0.0))
    if sd == 0.0:
        y = f(torch.tensor([float(mean)], dtype=torch.float64)).reshape(1, -1)
        return float(y.mean()), float((y**2).mean())
    lo, hi = mean - _HALF_WIDTH * sd, mean + _HALF_WIDTH * sd
    x, w = _grid(lo, hi, 0.0, panels)
    z = (x - mean) / sd
    dens = np.exp(-0.5 * z**2) / (sd * math.sqrt(2 * math.pi))
    if max_of > 1:
        dens = dens * max_of * ndtr(z) ** (max_of - 1)
    weights = torch.from_numpy(w * dens)
    y = f(torch.from_numpy(x)).reshape(len(x), -1)
    if not torch.isfinite(y).all():
        bad = x[~torch.isfinite(y).all(1).numpy()]
        raise ValueError(
            f"the activation returned non-finite values for inputs in [{bad.min():.4g}, {bad.max():.4g}] "
            "(float64); make its forward overflow-safe (clamp or use a stable formula) so its moments exist"
        )
    first = (weights[:, None] * y).sum(0).mean()
    second = (weights[:, None] * y**2).sum(0).mean()
    return float(first), float(second)


def shared_expectation(
    f: Callable[[torch.Tensor], torch.Tensor], mean: float, shared: float, own: float, max_of: int = 1
) -> tuple[float, float, float]:
    """Moments of ``g = f(c + max(e_1..e_k))``, ``c ~ N(mean, shared)`` common, ``e_i ~ N(0, own)`` i.i.d.

    Returns ``(E[g], E[g^2], Var_c(E[g | c]))``: the last term is the part of the variance that is
    shared by all elements seeing the same ``c`` (a channel's offset). Gauss-Hermite over ``c``
    (32 nodes), composite Gauss-Legendre over the rest.
    """
    if shared <= 0:
        first, second = gaussian_expectation(f, mean, own, max_of, panels=200)
        return first, second, 0.0
    t, w = _HERMGAUSS
    w = w / math.sqrt(math.pi)
    sd = math.sqrt(max(own, 0.0))
    if sd == 0.0:
        y = f(torch.from_numpy(mean + math.sqrt(2 * shared) * t)).reshape(len(t), -1).double()
        g1, g2 = y.mean(1).numpy(), (y**2).mean(1).numpy()
    else:  # one float64 batch: 32 offsets c x the Gauss-Legendre nodes of the own part
        z, wz = _grid(-_HALF_WIDTH, _HALF_WIDTH, 0.0, 200)
        dens = np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
        if max_of > 1:
            dens = dens * max_of * ndtr(z) ** (max_of - 1)
        x = (mean + math.sqrt(2 * shared) * t)[:, None] + sd * z[None, :]
        y = f(torch.from_numpy(x.ravel())).reshape(len(t), len(z), -1)
        if not torch.isfinite(y).all():
            raise ValueError("the activation returned non-finite values (float64); make its forward overflow-safe")
        wt = torch.from_numpy(wz * dens)[None, :, None]
        g1, g2 = (wt * y).sum(1).mean(-1).numpy(), (wt * y**2).sum(1).mean(-1).numpy()
    first = float(w @ g1)
    return first, float(w @ g2), max(float(w @ g1**2) - first**2, 0.0)


def _module_key(act: nn.Module) -> tuple:
    config = tuple(
        sorted((k, v) for k, v in vars(act).items() if isinstance(v, (int, float, str, bool)) and not k.startswith("_"))
    )
    state = tuple((k, tuple(v.detach().double().flatten().tolist())) for k, v in act.state_dict().items())
    return (type(act), repr(act), config, state)


def _float64_copy(act: nn.Module) -> nn.Module:
    mod = copy.deepcopy(act).to(device="cpu", dtype=torch.float64)
    for m in mod.modules():
        m._forward_hooks.clear()  # e.g. AutoInit's own hooks in hook mode
        m._forward_pre_hooks.clear()
        if hasattr(m, "impl"):
            # Any module with an `impl` switch (not only Activation); nn.Module's attribute typing
            # (Tensor | Module) does not cover a str.
            cast(Any, m).impl = "eager"  # the reference formula, float64-capable
    return mod.eval()


def _channel_input(act: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """Lays a 1-D node vector out so that per-channel parameters broadcast (shape (n, C) etc.)."""
    c = getattr(act, "num_channels", None)
    if not c or getattr(act, "shape", "scalar") != "channel":
        return lambda x: x
    d = int(getattr(act, "channel_dim", 1))
    ndim = max(2, d + 1) if d >= 0 else max(2, -d)
    shape = [1] * ndim
    shape[d] = c

    def lay(x: torch.Tensor) -> torch.Tensor:
        view = [len(x)] + [1] * (ndim - 1)
        return x.view(view).expand(*[len(x)] + shape[1:]).reshape(len(x), *shape[1:])

    return lay


def _info(act: Act):
    return getattr(type(act), "info", None) if isinstance(act, nn.Module) else None


def is_stochastic(act: Act) -> bool:
    """Whether ``act`` is not elementwise (reducing, ``info.arity > 1``; batch-dependent; or mixing
    channels): its moments need Monte Carlo."""
    info = _info(act)
    return info is not None and (
        int(getattr(info, "arity", 1)) > 1 or bool(getattr(info, "batch_dependent", False))
        or not bool(getattr(info, "elementwise", True))
    )


def elementwise_fn(act: Act) -> Callable[[torch.Tensor], torch.Tensor]:
    """A float64 evaluator ``x (n,) -> (n,) or (n, C)`` of an elementwise activation module or function.

    An actlab activation is evaluated through its formula (``formula_call``: the one function its
    eager and fused paths use) at float64 copies of its current parameters; other modules through
    their forward.
    """
    if not isinstance(act, nn.Module):
        return act
    mod, lay = _float64_copy(act), _channel_input(act)
    if isinstance(mod, Activation) and mod.formula_call(lay(torch.zeros(1, dtype=torch.float64))) is not None:

        def formula(x: torch.Tensor) -> torch.Tensor:
            z = lay(x)
            call = mod.formula_call(z)
            assert call is not None  # checked above: this module evaluates through its formula
            fn, params, consts = call
            return fn(z, *params, *consts)

        return formula
    return lambda x: mod(lay(x))


def _monte_carlo(act: nn.Module, mean: float, var: float, seed: int) -> tuple[float, float]:
    info = _info(act)
    k = max(1, int(getattr(info, "arity", 1)))
    c = getattr(act, "num_channels", None) or k * 16
    if c % k:
        c *= k
    g = torch.Generator().manual_seed(seed)
    spatial = int(getattr(act, "spatial_dims", 0))  # a window over spatial dims (FReLU): images
    n = max(64, _MC_ELEMENTS // (c * 8**spatial))
    x = mean + math.sqrt(max(var, 0.0)) * torch.randn(n, c, *(8,) * spatial, generator=g, dtype=torch.float64)
    d = int(getattr(act, "channel_dim", 1))
    if spatial and d != 1:
        x = x.movedim(1, d)
    if d not in (1, -1):
        raise ValueError(
            f"cannot lay out a Monte Carlo batch for {type(act).__name__} with channel_dim={d}; "
            "AutoInit supports reducing/batch-dependent activations with channel_dim 1 or -1"
        )
    mod = _float64_copy(act)
    for m in mod.modules():  # norm layers inside (FReLU's) normalise with batch statistics, as in the traversal
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.train()
    with torch.no_grad():
        y = mod(x)
    if not torch.isfinite(y).all():
        raise ValueError(f"{type(act).__name__} returned non-finite values on a N({mean:g}, {var:g}) batch")
    return float(y.mean()), float((y**2).mean())


def activation_moments(act: Act, mean: float = 0.0, var: float = 1.0, *, seed: int = 0) -> Moments:
    """Mean and variance of ``act(x)`` for ``x ~ N(mean, var)``.

    Args:
        act: an activation module (any ``nn.Module`` mapping a tensor to a tensor, evaluated at its
            current parameters) or an elementwise function ``fn(x) -> Tensor``.
        mean: input mean.
        var: input variance (0 gives ``act(mean)``).
        seed: seed of the Monte Carlo batch for reducing / batch-dependent activations.

    Returns:
        :class:`Moments` of the output elements (pooled over channels).

    Example:
        >>> m = activation_moments(torch.nn.ReLU())  # input N(0, 1): mean 1/sqrt(2 pi), var 1/2 - 1/(2 pi)
        >>> round(m.mean, 6), round(m.var, 6)
        (0.398942, 0.340845)
    """
    mean, var = float(mean), float(var)
    if not (math.isfinite(mean) and math.isfinite(var) and var >= 0):
        raise ValueError(f"input moments must be finite with var >= 0, got mean={mean}, var={var}")
    stochastic = is_stochastic(act)
    base = _module_key(act) if isinstance(act, nn.Module) else (act,)
    key = (*base, mean, var, seed if stochastic else None)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    if isinstance(act, nn.Module):
        if stochastic:
            first, second = _monte_carlo(act, mean, var, seed)
        else:
            with torch.no_grad():
                first, second = gaussian_expectation(elementwise_fn(act), mean, var)
    elif callable(act):
        with torch.no_grad():
            first, second = gaussian_expectation(act, mean, var)
    else:
        raise TypeError(f"act must be an nn.Module or a function of a tensor, got {type(act).__name__}")
    if not (math.isfinite(first) and math.isfinite(second) and abs(first) < 1e150):
        raise ValueError(
            f"the moments of {type(act).__name__ if isinstance(act, nn.Module) else act} for input "
            f"N({mean:g}, {var:g}) overflow float64; the predicted variance exploded upstream (e.g. a polynomial "
            "activation such as SQU in a deep net) -- use autoinit(..., calibrate=True) or a normalization layer; "
            "if the model's own forward overflows too (SQU on a post-activation residual stream behind BatchNorm), "
            "no weight scaling can fix it: see docs/autoinit_study.md"
        )
    out = Moments(first, max(second - first**2, 0.0))
    _CACHE[key] = out
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out
