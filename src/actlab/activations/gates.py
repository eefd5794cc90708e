"""Classic smooth activations: the gates (GELU, SiLU/Swish, Mish), softplus, softsign, tanh and
the sigmoid.

Every constructor argument is keyword-only (see :mod:`actlab.activations.classic`). Functions whose
float16/bfloat16 evaluation would overflow or lose its gradient compute in float32 internally
(``compute_fp32 = True``). Each formula is the module-level function beside its class.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._base import Activation
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = ["GELU", "GELUTanh", "SiLU", "Swish", "Mish", "TanhExp", "Softplus", "Softsign", "Tanh", "Sigmoid"]

INF = math.inf

# Minima of the non-monotonic smooth gates (DERIVED: scipy bounded minimisation in float64).
GELU_MIN = -0.16997120747990369
GELU_TANH_MIN = -0.17004075057125406
SILU_MIN = -0.2784645427610738
MISH_MIN = -0.30884341301725043
TANHEXP_MIN = -0.3532857778482113  # at x = -1.078860

_GELU = Paper("Gaussian Error Linear Units (GELUs)", "1606.08415", 2016)
_SILU = Paper("Searching for Activation Functions", "1710.05941", 2017)


# ---------------------------------------------------------------------------------- smooth gates
def gelu(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x)


@register_activation(ActivationInfo(
    name="gelu", formula="x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2)))", latex=r"x \Phi(x)",
    paper=_GELU, aliases=("gelu_erf",), bounded_below=True, output_range=(GELU_MIN, INF), f0=0.0, df0=0.5,
))
class GELU(Activation):
    """Gaussian error linear unit (Hendrycks & Gimpel, 2016), exact form ``x Phi(x)`` with erf."""

    formula = staticmethod(gelu)
    compute_fp32 = True


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """``F.gelu(x, approximate="tanh")`` for ``|x| <= 10`` and ``relu(x)`` beyond, where the two are
    equal in float32 and float64 (``tanh(43.6) = 1``) and the native backward would compute
    ``0 * inf = NaN`` once ``x^3`` overflows (``|x| >= 2e19`` in float32)."""
    big = x.abs() > 10.0
    return torch.where(big, torch.relu(x), F.gelu(torch.where(big, torch.zeros_like(x), x), approximate="tanh"))


@register_activation(ActivationInfo(
    name="gelu_tanh", formula="0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))",
    latex=r"\tfrac12 x \left(1 + \tanh\left(\sqrt{2/\pi}(x + 0.044715 x^3)\right)\right)",
    paper=_GELU, bounded_below=True, output_range=(GELU_TANH_MIN, INF), f0=0.0, df0=0.5,
))
class GELUTanh(Activation):
    """The tanh approximation of GELU (Hendrycks & Gimpel, 2016); computed in float32 for half inputs
    because ``x^3`` overflows float16 for ``|x| > 40``."""

    formula = staticmethod(gelu_tanh)
    compute_fp32 = True


def silu(x: torch.Tensor) -> torch.Tensor:
    return F.silu(x)


@register_activation(ActivationInfo(
    name="silu", formula="x * sigmoid(x)", latex=r"x \sigma(x)", paper=_SILU, aliases=("swish1",),
    bounded_below=True, output_range=(SILU_MIN, INF), f0=0.0, df0=0.5,
))
class SiLU(Activation):
    """Sigmoid linear unit ``x sigmoid(x)`` (Elfwing et al. 2017; "Swish-1" in Ramachandran et al. 2017)."""

    formula = staticmethod(silu)
    compute_fp32 = True


def swish(x: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(beta * x)


@register_activation(ActivationInfo(
    name="swish", formula="x * sigmoid(beta * x)", latex=r"x \sigma(\beta x)", paper=_SILU,
    params=(ParamSpec("beta", 1.0),), bounded_below=True, output_range=(SILU_MIN, INF), f0=0.0, df0=0.5,
    category="dubey", warm_start={"silu": {"beta": 1.0}, "quick_gelu": {"beta": 1.702}},
    notes="beta initialised to 1 (= SiLU at init). The Dubey et al. benchmark code initialises beta = 0.25; "
    "pass beta=0.25 to reproduce it. beta is unconstrained (beta = 0 gives x/2; beta = 1.702 is QuickGELU).",
))
class Swish(Activation):
    r"""Swish with a trainable beta (Ramachandran et al., 2017): ``x * sigmoid(beta x)``.

    Our default ``beta = 1`` makes it equal SiLU at initialisation. The Dubey et al. benchmark code
    (shivram1987/ActivationFunctions) initialises beta to 0.25; ``Swish(beta=0.25)`` reproduces it.
    The minimum at default parameters is ``SILU_MIN / beta``.

    Args:
        beta: initial beta (unconstrained).
        trainable: make beta an ``nn.Parameter`` (else a fixed buffer).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(self, *, beta: float = 1.0, trainable: bool = True, **kw) -> None:
        super().__init__(**kw)
        self.add_param("beta", beta, trainable=trainable)

    formula = staticmethod(swish)
    compute_fp32 = True


def mish(x: torch.Tensor) -> torch.Tensor:
    return F.mish(x)


@register_activation(ActivationInfo(
    name="mish", formula="x * tanh(softplus(x))", latex=r"x \tanh(\ln(1 + e^x))",
    paper=Paper("Mish: A Self Regularized Non-Monotonic Activation Function", "1908.08681", 2019),
    bounded_below=True, output_range=(MISH_MIN, INF), f0=0.0, df0=0.6,
))
class Mish(Activation):
    """Mish (Misra, 2019), ``x tanh(softplus(x))``; f'(0) = tanh(ln 2) = 0.6."""

    formula = staticmethod(mish)
    compute_fp32 = True


def tanh_exp(x: torch.Tensor) -> torch.Tensor:
    # e^x clamped at 20: tanh(e^20) is 1 in float64, and the clamp keeps x e^x sech^2(e^x) from
    # becoming inf * 0 = NaN in the gradient for large x
    return x * torch.tanh(torch.exp(torch.clamp(x, max=20.0)))


@register_activation(ActivationInfo(
    name="tanhexp", formula="x * tanh(exp(x))", latex=r"x \tanh(e^x)",
    paper=Paper("TanhExp: A Smooth Activation Function with High Convergence Speed for Lightweight "
                "Neural Networks", "2003.09855", 2020),
    aliases=("tanh_exp", "telu"), bounded_below=True, output_range=(TANHEXP_MIN, INF), f0=0.0, df0=math.tanh(1.0),
    notes="TeLU (Fernandez & Mali 2024, arXiv 2412.20269) is the same function, x tanh(e^x): registered as an "
    "alias, not a second activation. e^x is clamped at x = 20 (tanh(e^20) = 1 in float64).",
))
class TanhExp(Activation):
    """TanhExp (Liu & Di, 2020), ``x tanh(e^x)``; f'(0) = tanh(1), minimum -0.353286 at x = -1.078860.

    Half inputs are computed in float32 (``e^x`` overflows float16 above x = 11).
    """

    formula = staticmethod(tanh_exp)
    compute_fp32 = True


def softplus(x: torch.Tensor, beta: torch.Tensor, threshold: float) -> torch.Tensor:
    return F.softplus(beta * x, threshold=threshold) / beta


@register_activation(ActivationInfo(
    name="softplus", formula="log(1 + exp(beta x)) / beta", latex=r"\frac{1}{\beta}\ln(1 + e^{\beta x})",
    paper=Paper("Incorporating Second-Order Functional Knowledge for Better Option Pricing", "", 2000),
    params=(ParamSpec("beta", 1.0, trainable=False),), monotonic=True, bounded_below=True,
    output_range=(0.0, INF), f0=math.log(2.0), df0=0.5,
    notes="For beta*x > threshold (20) it returns x, as torch does (the switch changes the value by < 3e-9/beta).",
))
class Softplus(Activation):
    """Softplus (Dugas et al., 2000), ``log(1 + exp(beta x)) / beta``, linear above ``beta x > threshold``.

    Args:
        beta: sharpness (fixed buffer, > 0), default 1.
        threshold: above ``beta * x > threshold`` the function returns ``x`` (numerical stability).
        **kw: see :class:`Activation`.
    """

    def __init__(self, *, beta: float = 1.0, threshold: float = 20.0, **kw) -> None:
        if not beta > 0:
            raise ValueError(f"Softplus needs beta > 0 (it divides by beta), got {beta}")
        super().__init__(**kw)
        self.add_param("beta", beta, trainable=False)
        self.threshold = float(threshold)

    formula = staticmethod(softplus)
    consts = ("threshold",)
    compute_fp32 = True
    # eager is native softplus plus a scale; the fused kernel measured no faster on CPU
    # (benchmarks/RESULTS.md), so impl="auto" keeps eager there
    fused_on_cpu = False

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, threshold={self.threshold:g}"


def softsign(x: torch.Tensor) -> torch.Tensor:
    return x / (1.0 + x.abs())


@register_activation(ActivationInfo(
    name="softsign", formula="x / (1 + |x|)", latex=r"\frac{x}{1 + |x|}", monotonic=True, smoothness="C1",
    bounded_below=True, bounded_above=True, output_range=(-1.0, 1.0), f0=0.0, df0=1.0,
    paper=Paper("Quadratic Features and Deep Architectures for Chunking", "", 2009),
))
class Softsign(Activation):
    """Softsign ``x / (1 + |x|)`` (C1: its second derivative jumps at 0)."""

    formula = staticmethod(softsign)


def tanh(x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x)


@register_activation(ActivationInfo(
    name="tanh", formula="tanh(x)", latex=r"\tanh(x)", monotonic=True, bounded_below=True,
    bounded_above=True, output_range=(-1.0, 1.0), f0=0.0, df0=1.0,
))
class Tanh(Activation):
    """Hyperbolic tangent."""

    formula = staticmethod(tanh)
    compute_fp32 = True


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(x)


@register_activation(ActivationInfo(
    name="sigmoid", formula="1 / (1 + exp(-x))", latex=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
    aliases=("logistic",), monotonic=True, bounded_below=True, bounded_above=True, output_range=(0.0, 1.0),
    f0=0.5, df0=0.25,
))
class Sigmoid(Activation):
    """Logistic sigmoid ``1 / (1 + e^{-x})``."""

    formula = staticmethod(sigmoid)
    compute_fp32 = True
