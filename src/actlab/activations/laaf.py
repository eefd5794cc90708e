"""Locally adaptive activation functions (LAAF) and Rowdy activations (Jagtap et al.).

* LAAF: ``base(n * a * x)`` with a fixed scale factor ``n >= 1`` and a trainable slope ``a``
  initialised to ``1/n`` (so the network starts as the plain one). Global (GAAF, one ``a`` for
  the whole network: :func:`laaf_global`), layer-wise (``mode="layer"``, one scalar per
  activation module) and neuron-wise (``mode="neuron"``, one per channel).
* Rowdy: ``base(n * a * x) + sum_{j=1}^{K-1} n * c_j * sin(j * n * f_j * x)``, amplitudes
  ``c_j = 0`` and ``n f_j = 1`` at init (so Rowdy equals the base activation at init).
* :func:`slope_recovery`: the slope-recovery loss term over every LAAF/Rowdy module of a model.

Sources: Jagtap, Kawaguchi, Karniadakis, Proc. R. Soc. A 476 (2020) 20200334 (LAAF, arXiv
1909.12228); Jagtap, Shin, Kawaguchi, Karniadakis, Neurocomputing 468 (2022) 165-180 (Rowdy,
arXiv 2105.09513); the authors' scripts and deepxde.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from ._base import FormulaCall
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import canonical_activation_name, register_activation
from .over_base import Base, OverBase

__all__ = ["LAAF", "Rowdy", "LAAFGlobal", "laaf_global", "slope_recovery"]

_N0 = 10.0
_LAAF_PAPER = Paper(
    "Locally adaptive activation functions with slope recovery for deep and physics-informed "
    "neural networks",
    "1909.12228",
    2020,
)
_ROWDY_PAPER = Paper(
    "Deep Kronecker neural networks: A general framework for neural networks with adaptive "
    "activation functions",
    "2105.09513",
    2022,
)
_MODES = {"layer": "scalar", "neuron": "channel"}


def _shape_from_mode(mode: str | None, kw: dict[str, Any], cls: str) -> dict[str, Any]:
    if mode is None:
        return kw
    if mode not in _MODES:
        raise ValueError(
            f"{cls}: mode must be 'layer' or 'neuron' (use laaf_global(...) for one parameter shared "
            f"by the whole network), got {mode!r}"
        )
    shape = _MODES[mode]
    if shape == "channel" and kw.get("num_channels") is None:
        raise ValueError(
            f"{cls}: mode='neuron' needs num_channels=C; inside a model builder pass "
            f"act=('{cls.lower()}', {{'shape': 'channel'}}) so each site's channel count is filled in"
        )
    if kw.get("shape", shape) != shape:
        raise ValueError(f"{cls}: mode={mode!r} means shape={shape!r}, but shape={kw['shape']!r} was given")
    return {**kw, "shape": shape}


def _check_n(n: float, cls: str) -> float:
    if not (n > 0 and math.isfinite(n)):
        raise ValueError(
            f"{cls}: the scale factor n must be a finite number > 0 (the papers use n >= 1, e.g. 10), got {n!r}"
        )
    return float(n)


T = torch.Tensor


@functools.cache
def laaf_formula(base: Callable[..., T], k: int) -> Callable[..., T]:
    """LAAF's formula over a base formula with ``k`` parameters:
    ``fn(x, a, *base_params, n, *base_consts) = base(n a x, *base_params, *base_consts)``."""

    def fn(x: T, a: T, *rest: Any) -> T:
        return base(rest[k] * a * x, *rest[:k], *rest[k + 1:])

    fn.__name__ = fn.__qualname__ = f"laaf_{getattr(base, '__name__', 'base')}"
    return fn


@functools.cache
def rowdy_formula(base: Callable[..., T], k: int, num_sines: int) -> Callable[..., T]:
    """Rowdy's formula over a base formula with ``k`` parameters:
    ``fn(x, a, c_1, f_1, ..., c_K, f_K, *base_params, n, *base_consts)``
    ``= base(n a x, ...) + sum_j n c_j sin(j n f_j x)``; a sine term whose phase ``j n f_j x``
    overflows the float range (only near the largest float) contributes 0, not NaN."""
    s = 2 * num_sines

    def fn(x: T, a: T, *rest: Any) -> T:
        n = rest[s + k]
        out = base(n * a * x, *rest[s:s + k], *rest[s + k + 1:])
        for j in range(num_sines):
            # the phase overflows near the largest float (sin(inf) = NaN): its term is 0 there
            phase = (j + 1) * n * rest[2 * j + 1] * x
            ok = torch.isfinite(phase)
            out = out + n * rest[2 * j] * torch.where(ok, torch.sin(torch.where(ok, phase, 0.0)), 0.0)
        return out

    fn.__name__ = fn.__qualname__ = f"rowdy_{getattr(base, '__name__', 'base')}_{num_sines}"
    return fn


class _Scaled(OverBase):
    """Shared part of LAAF and Rowdy: the base activation and the slope ``a``.

    Their formula composes the base's own formula (any registered base with a formula, with or
    without parameters), so the fused path covers every such base; a base module (or a base
    without a formula) is called as a module in the eager path. ``n a = 1`` (``a = 1/n``, the
    default) reproduces the base exactly, so both start from any activation
    (:class:`~actlab.activations.over_base.OverBase`).
    """

    compute_fp32 = True  # half inputs in float32: the gradient of ``a`` sums over the whole tensor

    def __init__(
        self, *, base: Base, n: float, a: float | None, trainable: bool,
        base_params: Mapping[str, Any] | None, mode: str | None, **kw: Any,
    ) -> None:
        cls = type(self).__name__
        super().__init__(**_shape_from_mode(mode, kw, cls))
        self.n = _check_n(n, cls)
        self._trainable = trainable
        self._set_base(base, base_params)
        self.add_param("a", 1.0 / self.n if a is None else a, trainable=trainable)
        self._fn: Callable[..., T] | None = None  # the composed formula, set by each subclass

    def extra_repr(self) -> str:
        return f"n={self.n:g}, {super().extra_repr()}"


@register_activation(
    ActivationInfo(
        name="laaf",
        formula="base(n * a * x), n = 10 fixed, a = 1/n at init (base = tanh by default)",
        latex=r"\sigma_{\mathrm{base}}(n\,a\,x)",
        paper=_LAAF_PAPER,
        aliases=("locally_adaptive",),
        params=(ParamSpec("a", 1.0 / _N0),),
        monotonic=True,
        bounded_below=True,
        bounded_above=True,
        output_range=(-1.0, 1.0),
        category="seed",
        warm_start={"tanh": {"a": 1.0 / _N0}},
        notes="Properties are those of the default base, tanh. n*a = 1 reproduces the base exactly for "
        "any base. mode='layer' (default) = L-LAAF, mode='neuron' = N-LAAF (through build_act pass "
        "shape='channel'), laaf_global(...) = GAAF. Slope recovery: actlab.activations.slope_recovery.",
    )
)
class LAAF(_Scaled):
    r"""Locally adaptive activation ``base(n * a * x)`` (Jagtap, Kawaguchi, Karniadakis 2020).

    ``n`` is a fixed scale factor (>= 1; 10 in the authors' script) and ``a`` a trainable slope
    initialised to ``1/n``, so ``n a = 1`` and the module equals ``base`` at init. The
    slope-recovery loss term is :func:`slope_recovery`.

    Granularity: ``mode="layer"`` (L-LAAF, one scalar per module, the default) or
    ``mode="neuron"`` (N-LAAF, one ``a`` per channel; equivalent to ``shape="channel"``, which
    is what to pass through ``build_act`` so the site's channel count is filled in). For the
    global variant (GAAF, one ``a`` shared by every site of a network) use :func:`laaf_global`.

    Args:
        base: registry name of the base activation (``"tanh"``, ``"relu"``, ``"sin"``...), or a
            parameter-free module (called as a module).
        n: fixed scale factor (> 0).
        a: initial slope; default ``1/n``.
        mode: ``"layer"`` or ``"neuron"``; alternative spelling of ``shape``.
        trainable: make ``a`` an ``nn.Parameter`` (else a fixed buffer).
        base_params: constructor arguments of the base activation.
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    # a scale plus one native kernel for most bases: fused measured 0.9-1.2x of eager on CPU
    # (benchmarks/RESULTS.md), so impl="auto" keeps eager there
    fused_on_cpu = False

    def __init__(
        self, *, base: Base = "tanh", n: float = _N0, a: float | None = None, mode: str | None = None,
        trainable: bool = True, base_params: Mapping[str, Any] | None = None, **kw,
    ) -> None:
        super().__init__(base=base, n=n, a=a, trainable=trainable, base_params=base_params, mode=mode, **kw)
        self._fn = self._compose()

    def _make(self, base: Callable[..., T], k: int) -> Callable[..., T]:
        return laaf_formula(base, k)

    def formula_call(self, x: torch.Tensor) -> FormulaCall | None:
        b = self._base_call(x)
        if b is None or self._fn is None:
            return None
        return FormulaCall(self._fn, [self.param("a", x), *b.params], (self.n, *b.consts))

    def _module_forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.base(self.n * self.param("a", z) * z)

    def rebased(self, base: Base, base_params: Mapping[str, Any] | None = None) -> LAAF:
        return LAAF(base=base, n=self.n, trainable=self._trainable, base_params=base_params, **self._channel_kwargs())


class LAAFGlobal:
    """A zero-argument activation factory whose LAAF modules all share one slope parameter.

    Pass it as the ``act`` of any model builder: every site gets its own :class:`LAAF` module,
    but they hold the *same* ``nn.Parameter`` ``a`` (``model.parameters()`` lists it once, so
    an optimizer updates it once). Made by :func:`laaf_global`.

    Attributes:
        a: the shared parameter (a scalar tensor, initialised to ``1/n``).
    """

    def __init__(self, base: str, n: float, a: float | None, base_params: Mapping[str, Any] | None) -> None:
        self.base, self.n = canonical_activation_name(base), _check_n(n, "laaf_global")
        self.base_params = dict(base_params or {})
        if a is not None and not math.isfinite(float(a)):
            raise ValueError(f"laaf_global: parameter a must be a finite number, got {a!r}; pass a finite value")
        self.a = nn.Parameter(torch.tensor(1.0 / self.n if a is None else float(a)))

    def __call__(self) -> LAAF:
        module = LAAF(base=self.base, n=self.n, base_params=self.base_params)
        module.a = self.a  # replaces the module's own parameter by the shared one
        return module

    def __repr__(self) -> str:
        return f"laaf_global(base={self.base!r}, n={self.n:g}, a={self.a.item():.4g})"


def laaf_global(
    base: str = "tanh", n: float = _N0, a: float | None = None, base_params: Mapping[str, Any] | None = None
) -> LAAFGlobal:
    """Global adaptive activation (GAAF): ``base(n * a * x)`` with ONE ``a`` for the whole network.

    Models build one activation module per site, so a global parameter has to be shared
    between modules: this returns a factory (usable as any builder's ``act``) whose modules
    all hold the same ``nn.Parameter``.

    Args:
        base: registry name of the base activation.
        n: fixed scale factor (> 0).
        a: initial slope; default ``1/n``.
        base_params: constructor arguments of the base activation.

    Example:
        >>> act = laaf_global("tanh", n=10)
        >>> m1, m2 = act(), act()
        >>> m1.a is m2.a is act.a
        True
    """
    return LAAFGlobal(base, n, a, base_params)


_NUM_SINES = 9
_ROWDY_PARAMS = (ParamSpec("a", 1.0 / _N0),) + tuple(
    p for j in range(1, _NUM_SINES + 1) for p in (ParamSpec(f"c{j}", 0.0), ParamSpec(f"f{j}", 1.0 / _N0))
)


@register_activation(
    ActivationInfo(
        name="rowdy",
        formula="base(n*a*x) + sum_{j=1}^{K-1} n*c_j*sin(j*n*f_j*x); c_j = 0, n*a = n*f_j = 1 at init; K = 10, n = 10",
        latex=r"\sigma_{\mathrm{base}}(n a x) + \sum_{j=1}^{K-1} n\,c_j \sin(j\,n\,f_j\,x)",
        paper=_ROWDY_PAPER,
        params=_ROWDY_PARAMS,
        monotonic=True,
        bounded_below=True,
        bounded_above=True,
        output_range=(-1.0, 1.0),
        category="seed",
        warm_start={"tanh": {p.name: p.init for p in _ROWDY_PARAMS}},
        notes="Form of the authors' code (their example uses base=cos); paper-level notation UNCONFIRMED. "
        "Properties are those of the default base tanh at init (amplitudes 0).",
    )
)
class Rowdy(_Scaled):
    r"""Rowdy activation ``base(n a x) + sum_{j=1}^{K-1} n c_j sin(j n f_j x)`` (Jagtap et al. 2022).

    Base activation plus ``K - 1`` trainable sinusoidal fluctuations. At init the amplitudes
    ``c_j`` are 0 and ``n a = n f_j = 1``, so Rowdy equals the base activation; the amplitudes
    still receive gradients (``d/dc_j = n sin(j x)``). The authors' example: base ``cos``,
    n = 10, 9 sine terms, one scalar per layer per parameter. Float16/bfloat16 inputs are
    computed in float32 (the sine phases overflow float16).

    Args:
        base: registry name of the base activation.
        n: fixed scale factor (> 0).
        num_sines: number of sine terms, ``K - 1``.
        a: initial slope of the base term; default ``1/n``.
        c: initial amplitude of every sine term.
        f: initial frequency factor of every sine term; default ``1/n``.
        mode: ``"layer"`` or ``"neuron"``; alternative spelling of ``shape``.
        trainable: make all parameters ``nn.Parameter`` s (else fixed buffers).
        base_params: constructor arguments of the base activation.
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(
        self, *, base: Base = "tanh", n: float = _N0, num_sines: int = _NUM_SINES, a: float | None = None,
        c: float = 0.0, f: float | None = None, mode: str | None = None, trainable: bool = True,
        base_params: Mapping[str, Any] | None = None, **kw,
    ) -> None:
        super().__init__(base=base, n=n, a=a, trainable=trainable, base_params=base_params, mode=mode, **kw)
        if int(num_sines) != num_sines or num_sines < 0:
            raise ValueError(f"Rowdy: num_sines (K - 1) must be an integer >= 0, got {num_sines!r}")
        self.num_sines = int(num_sines)
        for j in range(1, self.num_sines + 1):
            self.add_param(f"c{j}", c, trainable=trainable)
            self.add_param(f"f{j}", 1.0 / self.n if f is None else f, trainable=trainable)
        self._c0, self._f0 = c, f
        self._fn = self._compose()

    def _make(self, base: Callable[..., T], k: int) -> Callable[..., T]:
        return rowdy_formula(base, k, self.num_sines)

    def formula_call(self, x: torch.Tensor) -> FormulaCall | None:
        b = self._base_call(x)
        if b is None or self._fn is None:
            return None
        params = [self.param(p, x) for p in self._param_order]  # a, c1, f1, ..., cK, fK
        return FormulaCall(self._fn, [*params, *b.params], (self.n, *b.consts))

    def _module_forward(self, z: torch.Tensor) -> torch.Tensor:
        out = self.base(self.n * self.param("a", z) * z)
        for j in range(1, self.num_sines + 1):
            out = out + self.n * self.param(f"c{j}", z) * torch.sin(j * self.n * self.param(f"f{j}", z) * z)
        return out

    def rebased(self, base: Base, base_params: Mapping[str, Any] | None = None) -> Rowdy:
        return Rowdy(base=base, n=self.n, num_sines=self.num_sines, f=self._f0, trainable=self._trainable,
                     base_params=base_params, **self._channel_kwargs())


def slope_recovery(model: nn.Module, form: str = "paper") -> torch.Tensor:
    r"""Slope-recovery loss term of LAAF over every :class:`LAAF` / :class:`Rowdy` module in ``model``.

    With ``m_k`` the mean of the slope ``a`` of the k-th adaptive activation module (a scalar
    for layer-wise, the mean over channels for neuron-wise) and ``D - 1`` such modules:

    * ``form="paper"``: ``S = 1 / ((1/(D-1)) sum_k exp(m_k))`` (the paper's average);
    * ``form="script"``: ``S = 1 / sum_k exp(m_k)`` (what the authors' published script computes;
      smaller by the factor D - 1).

    Add ``S`` to the loss to push the slopes up. Example: 4 modules with a = 0.1 give 0.904837
    (paper) and 0.226209 (script). Modules sharing one parameter (:func:`laaf_global`) count once
    per module, i.e. per layer.

    Args:
        model: a module containing LAAF/Rowdy activations.
        form: ``"paper"`` or ``"script"``.

    Returns:
        A differentiable scalar tensor.

    Raises:
        ValueError: unknown ``form``, or no LAAF/Rowdy module in ``model``.
    """
    if form not in ("paper", "script"):
        raise ValueError(f"slope_recovery: form must be 'paper' (mean over layers) or 'script' (sum), got {form!r}")
    mods = [m for m in model.modules() if isinstance(m, _Scaled)]
    if not mods:
        raise ValueError(
            f"slope_recovery: {type(model).__name__} contains no laaf/rowdy activation; build it with "
            "act='laaf' (or 'rowdy', or laaf_global(...)) first"
        )
    total = torch.stack([torch.exp(m.value("a").mean()) for m in mods])
    return 1.0 / (total.mean() if form == "paper" else total.sum())
