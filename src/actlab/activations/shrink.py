"""The torch.nn activations the zoo lacked: the shrinkage functions (Softshrink, Hardshrink,
Tanhshrink), the thresholded identity (Threshold), LogSigmoid and the randomized leaky ReLU (RReLU).

Each equals its ``torch.nn`` module exactly (same values, same gradients; see
:mod:`actlab.activations.torch_table`), so ``swap_activations(..., warm_start=True)`` can start
from those modules. Every constructor argument is keyword-only and validated; each formula is
the module-level function beside its class (``formula = staticmethod(fn)``).

Names follow torch's, with one exception: torch's ``nn.Threshold(threshold, value)`` calls its
replacement value ``value``; here it is ``fill``, because ``Activation.value(name)`` is the
method that reads a parameter.

RReLU is the one activation here that is not a fixed function: in training mode it draws a
random negative slope per element (the native ``torch.rrelu`` op, from torch's global generator
exactly as ``nn.RReLU`` does, so both give the same output under the same seed); in eval mode it
is the leaky ReLU with the mean slope ``(lower + upper) / 2``, which is its formula. The fused
path, AutoInit's moments and every property in its row are those of the eval-mode formula.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._base import Activation, FormulaCall, check_input
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = ["LogSigmoid", "Softshrink", "Hardshrink", "Tanhshrink", "Threshold", "RReLU"]

INF = math.inf


def _check_lambd(cls: str, lambd: float) -> float:
    if not (math.isfinite(lambd) and lambd >= 0):
        raise ValueError(f"{cls} needs a finite lambd >= 0 (the half-width of the zeroed band), got {lambd}")
    return float(lambd)


# ---------------------------------------------------------------------------------- log-sigmoid
def logsigmoid(x: torch.Tensor) -> torch.Tensor:
    return F.logsigmoid(x)


@register_activation(ActivationInfo(
    name="logsigmoid", formula="log(sigmoid(x)) = -softplus(-x)", latex=r"\log \sigma(x) = -\ln(1 + e^{-x})",
    aliases=("log_sigmoid",), monotonic=True, bounded_above=True, output_range=(-INF, 0.0),
    f0=-math.log(2.0), df0=0.5,
))
class LogSigmoid(Activation):
    """Log-sigmoid ``log(1 / (1 + e^{-x}))``, computed stably (torch's ``F.logsigmoid``)."""

    formula = staticmethod(logsigmoid)
    compute_fp32 = True


# ---------------------------------------------------------------------------------- shrinkage
class _Shrink(Activation):
    """Shared constructor of the shrinkers: a fixed band half-width ``lambd`` >= 0."""

    def __init__(self, *, lambd: float = 0.5, **kw) -> None:
        lambd = _check_lambd(type(self).__name__, lambd)
        super().__init__(**kw)
        self.add_param("lambd", lambd, trainable=False)


def softshrink(x: torch.Tensor, lambd: torch.Tensor) -> torch.Tensor:
    # x - clamp(x) is x - lambd above the band, x + lambd below it and exactly 0 inside
    return x - torch.clamp(x, -lambd, lambd)


@register_activation(ActivationInfo(
    name="softshrink", formula="x - lambd if x > lambd; x + lambd if x < -lambd; else 0",
    latex=r"\operatorname{sign}(x)\max(|x| - \lambda, 0)",
    paper=Paper("De-noising by soft-thresholding", "", 1995), aliases=("soft_shrink",),
    params=(ParamSpec("lambd", 0.5, trainable=False),), monotonic=True, smoothness="C0", f0=0.0, df0=0.0,
    warm_start={"identity": {"lambd": 0.0}},
    notes="Soft thresholding (Donoho, IEEE Trans. Inf. Theory 1995); lambd = 0 is the identity.",
))
class Softshrink(_Shrink):
    """Soft shrinkage: moves ``x`` towards 0 by ``lambd``, zero on ``[-lambd, lambd]``.

    Args:
        lambd: half-width of the zeroed band (fixed buffer, >= 0), default 0.5 (torch's).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    formula = staticmethod(softshrink)


def hardshrink(x: torch.Tensor, lambd: torch.Tensor) -> torch.Tensor:
    # the band test as torch writes it, so NaN passes through unchanged
    return torch.where((x >= -lambd) & (x <= lambd), 0.0, x)


@register_activation(ActivationInfo(
    name="hardshrink", formula="x if |x| > lambd else 0", latex=r"x \, [|x| > \lambda]",
    paper=Paper("Ideal spatial adaptation by wavelet shrinkage", "", 1994), aliases=("hard_shrink",),
    params=(ParamSpec("lambd", 0.5, trainable=False),), monotonic=True, smoothness="discontinuous",
    f0=0.0, df0=0.0, warm_start={"identity": {"lambd": 0.0}},
    notes="Hard thresholding (Donoho & Johnstone, Biometrika 1994). It jumps upwards at +-lambd, so it "
    "is monotonic but discontinuous; lambd = 0 is the identity.",
))
class Hardshrink(_Shrink):
    """Hard shrinkage: ``x`` outside ``[-lambd, lambd]``, 0 inside.

    Args:
        lambd: half-width of the zeroed band (fixed buffer, >= 0), default 0.5 (torch's).
        **kw: see :class:`Activation`.
    """

    formula = staticmethod(hardshrink)


def tanhshrink(x: torch.Tensor) -> torch.Tensor:
    return x - torch.tanh(x)


@register_activation(ActivationInfo(
    name="tanhshrink", formula="x - tanh(x)", latex=r"x - \tanh(x)", aliases=("tanh_shrink",),
    monotonic=True, f0=0.0, df0=0.0,
    notes="f'(x) = tanh(x)^2: flat at 0 (f ~ x^3 / 3 there), slope 1 far out.",
))
class Tanhshrink(Activation):
    """Tanh shrinkage ``x - tanh(x)``; computed in float32 for half inputs (``x - tanh(x)`` cancels
    near 0)."""

    formula = staticmethod(tanhshrink)
    compute_fp32 = True


# ---------------------------------------------------------------------------------- threshold
def threshold(x: torch.Tensor, threshold: torch.Tensor, fill: torch.Tensor) -> torch.Tensor:
    # ``x <= threshold`` as torch writes it, so NaN passes through unchanged
    return torch.where(x <= threshold, fill, x)


@register_activation(ActivationInfo(
    name="threshold", formula="x if x > threshold else fill", latex=r"x > \theta \,?\, x : v",
    paper=Paper("Zero-bias autoencoders and the benefits of co-adapting features", "1402.3337", 2015),
    aliases=("thresholded_relu",),
    params=(ParamSpec("threshold", 1.0, trainable=False), ParamSpec("fill", 0.0, trainable=False)),
    monotonic=True, smoothness="discontinuous", bounded_below=True, output_range=(0.0, INF), f0=0.0, df0=0.0,
    warm_start={"relu": {"threshold": 0.0, "fill": 0.0}},
    notes="torch's nn.Threshold(threshold, value) has no defaults; ours, threshold = 1 and fill = 0, are the "
    "thresholded ReLU of Konda et al. (Keras ThresholdedReLU). torch's `value` is called `fill` here. "
    "Monotonic only while fill <= threshold; threshold = fill = 0 is ReLU.",
))
class Threshold(Activation):
    """Thresholded identity: ``x`` above ``threshold``, the constant ``fill`` at or below it
    (``nn.Threshold(threshold, value)``; the thresholded ReLU of Konda et al., 2015, at the defaults).

    Args:
        threshold: where the identity starts (fixed buffer), default 1.
        fill: the value at or below the threshold (fixed buffer; torch's ``value``), default 0.
        **kw: see :class:`Activation`.
    """

    def __init__(self, *, threshold: float = 1.0, fill: float = 0.0, **kw) -> None:
        for key, v in (("threshold", threshold), ("fill", fill)):
            if not math.isfinite(v):
                raise ValueError(f"Threshold needs a finite {key}, got {v}")
        super().__init__(**kw)
        self.add_param("threshold", threshold, trainable=False)
        self.add_param("fill", fill, trainable=False)

    formula = staticmethod(threshold)


# ---------------------------------------------------------------------------------- randomized leaky ReLU
RRELU_LOWER = 1.0 / 8.0
RRELU_UPPER = 1.0 / 3.0


def rrelu_mean(x: torch.Tensor, lower: float, upper: float) -> torch.Tensor:
    """RReLU in eval mode: the leaky ReLU with the mean slope (what ``F.rrelu(training=False)`` computes)."""
    return F.leaky_relu(x, (lower + upper) / 2)


@register_activation(ActivationInfo(
    name="rrelu", formula="x if x >= 0 else a x; a ~ U(lower, upper) per element in training, "
    "a = (lower + upper) / 2 in eval",
    latex=r"x \ge 0 \,?\, x : a x,\quad a \sim U(l, u)\ \text{(train)},\ a = \tfrac{l + u}{2}\ \text{(eval)}",
    paper=Paper("Empirical Evaluation of Rectified Activations in Convolutional Network", "1505.00853", 2015),
    aliases=("randomized_leaky_relu",), monotonic=True, smoothness="C0", f0=0.0, df0=None,
    notes="Random in training mode: the native torch.rrelu op samples one slope per element from torch's "
    "global generator (as nn.RReLU does); it has no fused path, and impl='fused' raises there. In eval mode "
    "it is its formula, the leaky ReLU with slope (lower + upper) / 2, which the fused path, AutoInit and "
    "these properties use. AutoInit's moments are therefore the eval-mode ones: the mean is that of "
    "training mode too, the variance is smaller by Var(a) E[x^2; x < 0].",
))
class RReLU(Activation):
    """Randomized leaky ReLU (Xu et al., 2015), as ``nn.RReLU``.

    Training mode: ``x`` for ``x >= 0``, ``a x`` otherwise with ``a ~ U(lower, upper)`` drawn per
    element at every call (torch's global generator; seed it with ``torch.manual_seed``); float16 on
    CPU, which the native op lacks, is computed in float32. Eval mode: the leaky ReLU with slope
    ``(lower + upper) / 2`` (the formula; fused path available there). ``impl="fused"`` in training
    mode raises ``ValueError``: a random op has no formula to fuse.

    Args:
        lower: lower bound of the random slope (a constant, >= 0), default 1/8 (torch's).
        upper: upper bound (a constant, >= lower), default 1/3 (torch's).
        **kw: ``impl`` and the other base arguments (see :class:`Activation`); RReLU has no parameter
            tensors, so ``shape="channel"`` changes nothing.
    """

    def __init__(self, *, lower: float = RRELU_LOWER, upper: float = RRELU_UPPER, **kw) -> None:
        if not (math.isfinite(lower) and math.isfinite(upper) and 0 <= lower <= upper):
            raise ValueError(
                f"RReLU needs finite bounds 0 <= lower <= upper (a non-negative slope range), got "
                f"lower={lower}, upper={upper}"
            )
        super().__init__(**kw)
        self.lower, self.upper = float(lower), float(upper)

    formula = staticmethod(rrelu_mean)
    consts = ("lower", "upper")

    def formula_call(self, x: torch.Tensor) -> FormulaCall | None:
        """The eval-mode formula; ``None`` in training mode, where the output is random."""
        return None if self.training else super().formula_call(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self, x)
        if not self.training:
            return super().forward(x)
        if self.impl == "fused":
            raise ValueError(
                f"{self!r} in training mode samples a random slope per element (the native torch.rrelu op) "
                "and has no fused path; use impl='auto' or 'eager', or call .eval() for the fused "
                "mean-slope formula"
            )
        # the native CPU kernel has no float16 version: sample and compute in float32 there
        z = x.float() if x.dtype == torch.float16 and x.device.type == "cpu" else x
        return F.rrelu(z, self.lower, self.upper, training=True).to(x.dtype)

    def extra_repr(self) -> str:
        base = super().extra_repr()
        return ", ".join(p for p in (f"lower={self.lower:.4g}, upper={self.upper:.4g}", base) if p)
