"""Gated linear shapes ``x * gate(x)`` from the 2017-2022 literature and today's stacks: QuickGELU,
Serf, SMU, SinLU and HardMish; and Squareplus, the algebraic softplus.

Each formula is the module-level function beside its row; half inputs are computed in float32
(``compute_fp32``), as for the gates of :mod:`actlab.activations.gates`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._base import Activation
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = ["QuickGELU", "Serf", "SMU", "SinLU", "HardMish", "Squareplus", "QUICK_GELU_SCALE"]

INF = math.inf

QUICK_GELU_SCALE = 1.702  # CLIP's constant: sigmoid(1.702 x) ~ Phi(x)

# Minima (DERIVED: scipy bounded minimisation in float64)
QUICK_GELU_MIN = -0.16361018963635357  # at x = -0.751154 (= SiLU's minimum / 1.702)
SERF_MIN = -0.34843745875960647  # at x = -1.193060
SINLU_MIN = -0.4973705541899911  # at x = -1.082865 (a = b = 1)
SERF_DF0 = 0.6730412897425249  # erf(ln 2)


# ---------------------------------------------------------------------------------- QuickGELU
def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(QUICK_GELU_SCALE * x)


@register_activation(ActivationInfo(
    name="quick_gelu", formula="x * sigmoid(1.702 x)", latex=r"x \sigma(1.702 x)",
    paper=Paper("Learning Transferable Visual Models From Natural Language Supervision", "2103.00020", 2021),
    aliases=("gelu_quick",), bounded_below=True, output_range=(QUICK_GELU_MIN, INF), f0=0.0, df0=0.5,
    category="modern",
    notes="CLIP/OpenCLIP's GELU approximation (timm, transformers 'quick_gelu'). A distinct function from "
    "gelu (erf) and gelu_tanh: never interchangeable in checkpoints. Equals swish with beta = 1.702.",
))
class QuickGELU(Activation):
    """QuickGELU ``x * sigmoid(1.702 x)`` (CLIP, Radford et al. 2021), not the same function as GELU."""

    formula = staticmethod(quick_gelu)
    compute_fp32 = True


# ---------------------------------------------------------------------------------- Serf
def serf(x: torch.Tensor) -> torch.Tensor:
    return x * torch.erf(F.softplus(x))


@register_activation(ActivationInfo(
    name="serf", formula="x * erf(softplus(x))", latex=r"x \operatorname{erf}(\ln(1 + e^x))",
    paper=Paper("SERF: Towards better training of deep neural networks using log-Softplus ERror activation "
                "Function", "2108.09598", 2021),
    bounded_below=True, output_range=(SERF_MIN, INF), f0=0.0, df0=SERF_DF0, category="modern",
))
class Serf(Activation):
    """Serf ``x * erf(softplus(x))`` (Nag & Bhattacharyya, arXiv 2108.09598); f'(0) = erf(ln 2)."""

    formula = staticmethod(serf)
    compute_fp32 = True


# ---------------------------------------------------------------------------------- SMU
def smu(x: torch.Tensor, mu: torch.Tensor, alpha: float) -> torch.Tensor:
    return ((1 + alpha) * x + (1 - alpha) * x * torch.erf(mu * (1 - alpha) * x)) / 2


@register_activation(ActivationInfo(
    name="smu", formula="((1 + alpha) x + (1 - alpha) x erf(mu (1 - alpha) x)) / 2, alpha = 0.25",
    latex=r"\tfrac12\left((1+\alpha)x + (1-\alpha)x \operatorname{erf}(\mu(1-\alpha)x)\right)",
    paper=Paper("Smooth Maximum Unit: Smooth Activation Function for Deep Networks using Smoothing Maximum "
                "Technique", "2111.04682", 2021),
    params=(ParamSpec("mu", 1.0),), monotonic=True, f0=0.0, df0=0.625, category="modern",
    notes="mu initialised to 1.0 (the spec's reference values; the curve is visibly smooth at init). "
    "Third-party ports disagree: the widely copied PyTorch port initialises mu = 1e6, which makes SMU "
    "= leaky ReLU(alpha) to float precision at init; pass mu=1e6 to reproduce it. alpha is a fixed "
    "hyperparameter, mu is trainable and unconstrained. Monotonic at mu = 1 (min slope 0.153).",
))
class SMU(Activation):
    r"""Smooth Maximum Unit (Biswas et al., arXiv 2111.04682), a smooth ``max(x, alpha x)``:

    .. math:: \mathrm{SMU}(x) = \tfrac12\left((1+\alpha)x + (1-\alpha)x\,\mathrm{erf}(\mu(1-\alpha)x)\right)

    As ``mu -> inf`` it tends to leaky ReLU with slope ``alpha``. **Initial mu:** we use 1.0
    (the reference values of the project spec); the popular PyTorch port initialises 1e6 (leaky
    ReLU at init): ``SMU(mu=1e6)``.

    Args:
        alpha: the negative-side slope of the limiting leaky ReLU, in [0, 1) (fixed).
        mu: initial smoothing parameter (trainable, unconstrained).
        trainable: make mu an ``nn.Parameter`` (else a fixed buffer).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(self, *, alpha: float = 0.25, mu: float = 1.0, trainable: bool = True, **kw) -> None:
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"SMU needs 0 <= alpha < 1 (the slope of the limiting leaky ReLU), got {alpha!r}")
        if not math.isfinite(mu):
            raise ValueError(f"SMU needs a finite mu, got {mu!r}")
        super().__init__(**kw)
        self.alpha = float(alpha)
        self.add_param("mu", mu, trainable=trainable)

    formula = staticmethod(smu)
    consts = ("alpha",)
    compute_fp32 = True

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, alpha={self.alpha:g}"


# ---------------------------------------------------------------------------------- SinLU
def sinlu(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (x + a * torch.sin(b * x)) * torch.sigmoid(x)


@register_activation(ActivationInfo(
    name="sinlu", formula="(x + a sin(b x)) * sigmoid(x)", latex=r"(x + a \sin(b x))\,\sigma(x)",
    paper=Paper("SinLU: Sinu-Sigmoidal Linear Unit (Mathematics 10(3):337)", "", 2022),
    params=(ParamSpec("a", 1.0), ParamSpec("b", 1.0)), bounded_below=True, output_range=(SINLU_MIN, INF),
    f0=0.0, df0=1.0, category="modern", warm_start={"silu": {"a": 0.0}},
    notes="a and b trainable, initialised to 1 (Paul et al.); a = 0 gives SiLU exactly.",
))
class SinLU(Activation):
    """SinLU ``(x + a sin(b x)) sigmoid(x)`` (Paul et al., Mathematics 10(3):337, 2022).

    ``a = 0`` is SiLU (the warm start from ``silu``). Minimum -0.497371 at x = -1.082865 (a = b = 1).

    Args:
        a: initial amplitude of the sine.
        b: initial frequency of the sine.
        trainable: make a and b ``nn.Parameter`` s (else fixed buffers).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(self, *, a: float = 1.0, b: float = 1.0, trainable: bool = True, **kw) -> None:
        super().__init__(**kw)
        self.add_param("a", a, trainable=trainable)
        self.add_param("b", b, trainable=trainable)

    formula = staticmethod(sinlu)
    compute_fp32 = True


# ---------------------------------------------------------------------------------- HardMish
def hard_mish(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * torch.clamp(x + 2.0, 0.0, 2.0)


@register_activation(ActivationInfo(
    name="hard_mish", formula="0.5 x clamp(x + 2, 0, 2)", latex=r"\tfrac12 x \min(\max(x + 2, 0), 2)",
    aliases=("hardmish",), smoothness="C0", bounded_below=True, output_range=(-0.5, INF), f0=0.0, df0=1.0,
    category="modern",
    notes="timm's piecewise-quadratic Mish: 0 below -2, x(x + 2)/2 on [-2, 0] (minimum -0.5 at -1), x above 0; "
    "C1 at 0, a kink at -2.",
))
class HardMish(Activation):
    """HardMish ``0.5 x clamp(x + 2, 0, 2)`` (timm): minimum -0.5 at x = -1, differentiable at 0."""

    formula = staticmethod(hard_mish)


# ---------------------------------------------------------------------------------- Squareplus
def squareplus(x: torch.Tensor, b: float) -> torch.Tensor:
    return (x + torch.sqrt(x * x + b)) / 2


@register_activation(ActivationInfo(
    name="squareplus", formula="(x + sqrt(x^2 + b)) / 2, b = 4", latex=r"\tfrac12\left(x + \sqrt{x^2 + b}\right)",
    paper=Paper("Squareplus: A Softplus-Like Algebraic Rectifier", "2112.11687", 2021),
    monotonic=True, bounded_below=True, output_range=(0.0, INF), f0=1.0, df0=0.5, category="modern",
    notes="b = 4 (jax.nn.squareplus's default) is a fixed hyperparameter, b > 0; f(0) = sqrt(b)/2. Half inputs "
    "are computed in float32 (x^2 overflows float16 above 256).",
))
class Squareplus(Activation):
    """Squareplus ``(x + sqrt(x^2 + b)) / 2`` (Barron, arXiv 2112.11687), a softplus without exp/log.

    Args:
        b: curvature near 0 (fixed, > 0); default 4 as in ``jax.nn.squareplus``.
        **kw: ``impl`` (see :class:`Activation`); there are no trainable parameters.
    """

    def __init__(self, *, b: float = 4.0, **kw) -> None:
        if not (math.isfinite(b) and b > 0):
            raise ValueError(f"Squareplus needs a finite b > 0 (b = 0 is ReLU with a NaN gradient at 0), got {b!r}")
        super().__init__(**kw)
        self.b = float(b)

    formula = staticmethod(squareplus)
    consts = ("b",)
    compute_fp32 = True

    def extra_repr(self) -> str:
        return ", ".join(p for p in (super().extra_repr(), f"b={self.b:g}") if p)
