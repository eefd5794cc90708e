"""Classic activations: the ReLU family and the exponential units (ELU, CELU, SELU); the smooth
gates and the sigmoid family are in :mod:`actlab.activations.gates`.

Every constructor argument is keyword-only. This is deliberate: the Dubey et al. benchmark code
passed the channel count positionally (``nn.LeakyReLU(64)``, ``nn.ELU(64)``) and silently got a
negative slope / alpha of 64; here ``LeakyReLU(64)`` is a ``TypeError``.

Each activation's formula is a module-level function beside its class (``formula =
staticmethod(fn)``). Functions whose float16/bfloat16 evaluation would overflow or lose its
gradient (exponentials, parameter-gradient sums) set ``compute_fp32 = True``: they compute in
float32 internally and return the input's dtype.
"""

from __future__ import annotations

import math

import torch

from ._base import Activation
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = [
    "IdentityActivation", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "CELU", "SELU",
    "Hardtanh", "Hardsigmoid", "Hardswish",
]

INF = math.inf

# SELU constants (Klambauer et al. 2017), as in torch.nn.SELU.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# ---------------------------------------------------------------------------------- piecewise linear
def identity(x: torch.Tensor) -> torch.Tensor:
    return x.clone()


@register_activation(ActivationInfo(
    name="identity", formula="x", latex="x", aliases=("linear",), monotonic=True, f0=0.0, df0=1.0,
))
class IdentityActivation(Activation):
    """The identity ``f(x) = x`` (returns a new tensor, never the input itself)."""

    formula = staticmethod(identity)


def relu(x: torch.Tensor) -> torch.Tensor:
    return torch.relu(x)


@register_activation(ActivationInfo(
    name="relu", formula="max(0, x)", latex=r"\max(0, x)",
    paper=Paper("Rectified linear units improve restricted Boltzmann machines", "", 2010),
    monotonic=True, smoothness="C0", bounded_below=True, output_range=(0.0, INF), f0=0.0, df0=None,
))
class ReLU(Activation):
    """Rectified linear unit, ``max(0, x)`` (Nair & Hinton, 2010)."""

    formula = staticmethod(relu)


def relu6(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(x, 0.0, 6.0)


@register_activation(ActivationInfo(
    name="relu6", formula="min(max(0, x), 6)", latex=r"\min(\max(0, x), 6)",
    paper=Paper("Convolutional Deep Belief Networks on CIFAR-10", "", 2010),
    monotonic=True, smoothness="C0", bounded_below=True, bounded_above=True, output_range=(0.0, 6.0),
    f0=0.0, df0=None,
))
class ReLU6(Activation):
    """ReLU capped at 6, ``min(max(0, x), 6)`` (Krizhevsky, 2010)."""

    formula = staticmethod(relu6)


def leaky_relu(x: torch.Tensor, negative_slope: torch.Tensor) -> torch.Tensor:
    return torch.where(x >= 0, x, negative_slope * x)


@register_activation(ActivationInfo(
    name="leaky_relu", formula="x if x >= 0 else negative_slope * x", latex=r"\max(x, a x)",
    paper=Paper("Rectifier Nonlinearities Improve Neural Network Acoustic Models", "", 2013),
    aliases=("lrelu",), params=(ParamSpec("negative_slope", 0.01, trainable=False),),
    monotonic=True, smoothness="C0", f0=0.0, df0=None, warm_start={"relu": {"negative_slope": 0.0}},
))
class LeakyReLU(Activation):
    """Leaky ReLU (Maas et al., 2013): ``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: slope for negative inputs (fixed buffer), default 0.01.
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(self, *, negative_slope: float = 0.01, **kw) -> None:
        super().__init__(**kw)
        self.add_param("negative_slope", negative_slope, trainable=False)

    formula = staticmethod(leaky_relu)


@register_activation(ActivationInfo(
    name="prelu", formula="x if x >= 0 else alpha * x", latex=r"\max(0, x) + \alpha \min(0, x)",
    paper=Paper("Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet "
                "Classification", "1502.01852", 2015),
    params=(ParamSpec("alpha", 0.25),), monotonic=True, smoothness="C0", f0=0.0, df0=None,
    warm_start={"relu": {"alpha": 0.0}, "leaky_relu": {"alpha": 0.01}},
    notes="Scalar slope by default (torch's default); shape='channel' gives one slope per channel as in "
    "He et al.",
))
class PReLU(Activation):
    """Parametric ReLU (He et al., 2015): ``x`` for ``x >= 0``, ``alpha * x`` otherwise, alpha trainable.

    Half-precision inputs are computed in float32 so that alpha's gradient (a sum over the whole
    input) does not overflow float16.

    Args:
        alpha: initial negative slope, default 0.25 (the paper's initialisation).
        trainable: make alpha an ``nn.Parameter`` (else a fixed buffer).
        **kw: ``shape`` (``"channel"`` for one slope per channel), ``num_channels``, ``channel_dim``, ``impl``.
    """

    def __init__(self, *, alpha: float = 0.25, trainable: bool = True, **kw) -> None:
        super().__init__(**kw)
        self.add_param("alpha", alpha, trainable=trainable)

    formula = staticmethod(leaky_relu)
    compute_fp32 = True


def hardtanh(x: torch.Tensor, min_val: torch.Tensor, max_val: torch.Tensor) -> torch.Tensor:
    return torch.minimum(torch.maximum(x, min_val), max_val)


@register_activation(ActivationInfo(
    name="hardtanh", formula="min(max(x, min_val), max_val)", latex=r"\min(\max(x, -1), 1)",
    params=(ParamSpec("min_val", -1.0, trainable=False), ParamSpec("max_val", 1.0, trainable=False)),
    monotonic=True, smoothness="C0", bounded_below=True, bounded_above=True, output_range=(-1.0, 1.0),
    f0=0.0, df0=1.0,
))
class Hardtanh(Activation):
    """Hard tanh, ``clamp(x, min_val, max_val)``.

    Args:
        min_val: lower clamp (fixed buffer), default -1.
        max_val: upper clamp (fixed buffer), default 1; must exceed ``min_val``.
        **kw: see :class:`Activation`.
    """

    def __init__(self, *, min_val: float = -1.0, max_val: float = 1.0, **kw) -> None:
        if not min_val < max_val:
            raise ValueError(f"Hardtanh needs min_val < max_val, got min_val={min_val}, max_val={max_val}")
        super().__init__(**kw)
        self.add_param("min_val", min_val, trainable=False)
        self.add_param("max_val", max_val, trainable=False)

    formula = staticmethod(hardtanh)


def hardsigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(x + 3.0, 0.0, 6.0) / 6.0


@register_activation(ActivationInfo(
    name="hardsigmoid", formula="relu6(x + 3) / 6", latex=r"\frac{\min(\max(0, x + 3), 6)}{6}",
    paper=Paper("Searching for MobileNetV3", "1905.02244", 2019),
    monotonic=True, smoothness="C0", bounded_below=True, bounded_above=True, output_range=(0.0, 1.0),
    f0=0.5, df0=1.0 / 6.0,
))
class Hardsigmoid(Activation):
    """Hard sigmoid (Howard et al., 2019), ``relu6(x + 3) / 6``."""

    formula = staticmethod(hardsigmoid)


def hardswish(x: torch.Tensor) -> torch.Tensor:
    return x * torch.clamp(x + 3.0, 0.0, 6.0) / 6.0


@register_activation(ActivationInfo(
    name="hardswish", formula="x * relu6(x + 3) / 6", latex=r"x \frac{\min(\max(0, x + 3), 6)}{6}",
    paper=Paper("Searching for MobileNetV3", "1905.02244", 2019), aliases=("hard_swish",),
    smoothness="C0", bounded_below=True, output_range=(-0.375, INF), f0=0.0, df0=0.5,
))
class Hardswish(Activation):
    """Hard swish (Howard et al., 2019), ``x * relu6(x + 3) / 6``; minimum -0.375 at x = -1.5."""

    formula = staticmethod(hardswish)


# ---------------------------------------------------------------------------------- exponential units
def elu(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    # expm1 of the clamped input: the unused branch must not overflow (inf * 0 = NaN in backward)
    return torch.where(x > 0, x, alpha * torch.expm1(torch.clamp(x, max=0.0)))


@register_activation(ActivationInfo(
    name="elu", formula="x if x > 0 else alpha * (exp(x) - 1)", latex=r"x > 0 ? x : \alpha (e^x - 1)",
    paper=Paper("Fast and Accurate Deep Network Learning by Exponential Linear Units (ELUs)", "1511.07289", 2015),
    params=(ParamSpec("alpha", 1.0, trainable=False),), monotonic=True, smoothness="C1",
    bounded_below=True, output_range=(-1.0, INF), f0=0.0, df0=1.0,
    notes="C1 only for alpha = 1 (the default); other alphas make it C0.",
))
class ELU(Activation):
    """Exponential linear unit (Clevert et al., 2015): ``x`` for ``x > 0``, ``alpha (e^x - 1)`` otherwise.

    Args:
        alpha: negative saturation value (fixed buffer), default 1.
        **kw: see :class:`Activation`.
    """

    def __init__(self, *, alpha: float = 1.0, **kw) -> None:
        super().__init__(**kw)
        self.add_param("alpha", alpha, trainable=False)

    formula = staticmethod(elu)
    compute_fp32 = True


def celu(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, x, alpha * torch.expm1(torch.clamp(x, max=0.0) / alpha))


@register_activation(ActivationInfo(
    name="celu", formula="max(0, x) + min(0, alpha * (exp(x / alpha) - 1))",
    latex=r"\max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))",
    paper=Paper("Continuously Differentiable Exponential Linear Units", "1704.07483", 2017),
    params=(ParamSpec("alpha", 1.0, trainable=False),), monotonic=True, smoothness="C1",
    bounded_below=True, output_range=(-1.0, INF), f0=0.0, df0=1.0,
))
class CELU(Activation):
    """Continuously differentiable ELU (Barron, 2017): ``x`` for ``x > 0``, ``alpha (e^{x/alpha} - 1)`` otherwise.

    Args:
        alpha: negative saturation value (fixed buffer, > 0), default 1.
        **kw: see :class:`Activation`.
    """

    def __init__(self, *, alpha: float = 1.0, **kw) -> None:
        if not alpha > 0:
            raise ValueError(f"CELU needs alpha > 0 (it divides by alpha), got {alpha}")
        super().__init__(**kw)
        self.add_param("alpha", alpha, trainable=False)

    formula = staticmethod(celu)
    compute_fp32 = True


def selu(x: torch.Tensor) -> torch.Tensor:
    return SELU_SCALE * torch.where(x > 0, x, SELU_ALPHA * torch.expm1(torch.clamp(x, max=0.0)))


@register_activation(ActivationInfo(
    name="selu", formula="scale * (x if x > 0 else alpha * (exp(x) - 1))",
    latex=r"\lambda (x > 0 ? x : \alpha (e^x - 1))",
    paper=Paper("Self-Normalizing Neural Networks", "1706.02515", 2017),
    monotonic=True, smoothness="C0", bounded_below=True, output_range=(-SELU_SCALE * SELU_ALPHA, INF),
    f0=0.0, df0=None, notes=f"alpha = {SELU_ALPHA:.10f}, scale = {SELU_SCALE:.10f} (fixed constants).",
))
class SELU(Activation):
    """Scaled ELU (Klambauer et al., 2017) with the self-normalising constants alpha ~ 1.6733, scale ~ 1.0507."""

    formula = staticmethod(selu)
    compute_fp32 = True
