"""Periodic activations: Snake and SnakeBeta (audio vocoders) and the sine of SIREN.

Snake ``x + sin^2(alpha x) / alpha`` keeps the identity's trend and adds a periodic component,
so a network can extrapolate periodic signals (Liu Ziyin et al.); BigVGAN uses one alpha per
channel and SnakeBeta with a separate amplitude ``beta``. The sine ``sin(omega0 x)`` with SIREN's
weight initialisation (init scheme ``"siren"`` of :func:`actlab.init.init_model`) represents
signals and their derivatives (Sitzmann et al.; physics-informed networks).
"""

from __future__ import annotations

import math

import torch

from ._base import Activation, Positive
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = ["Snake", "SnakeBeta", "Sine", "SIREN_OMEGA0"]

INF = math.inf
SIREN_OMEGA0 = 30.0  # SIREN's frequency of the first layer and of every sine

_SNAKE = Paper("Neural Networks Fail to Learn Periodic Functions and How to Fix It", "2006.08195", 2020)
_BIGVGAN = Paper("BigVGAN: A Universal Neural Vocoder with Large-Scale Training", "2206.04658", 2022)
_PER_CHANNEL = ("Scalar by default; the paper and BigVGAN learn one value per channel: shape='channel', "
                "num_channels=C (channel_dim=1 for (B, C, T) audio).")


# ---------------------------------------------------------------------------------- Snake
def snake(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    s = torch.sin(alpha * x)
    return x + s * s / alpha


@register_activation(ActivationInfo(
    name="snake", formula="x + sin^2(alpha x) / alpha", latex=r"x + \frac{\sin^2(\alpha x)}{\alpha}",
    paper=_SNAKE, params=(ParamSpec("alpha", 1.0, constraint="> 0 (softplus)"),), monotonic=True,
    f0=0.0, df0=1.0, category="modern",
    notes="alpha > 0 by softplus reparameterisation (BigVGAN keeps alpha unconstrained and divides by "
    "alpha + 1e-9). f'(x) = 1 + sin(2 alpha x) >= 0: non-decreasing, with flat points. " + _PER_CHANNEL,
))
class Snake(Activation):
    r"""Snake ``x + sin^2(alpha x) / alpha`` (Liu Ziyin, Hartwig & Ueda, arXiv 2006.08195).

    ``f'(x) = 1 + sin(2 alpha x) >= 0``, so Snake is non-decreasing for every alpha > 0; as
    alpha -> 0 it tends to the identity (not exactly reachable). alpha > 0 is kept by a softplus
    reparameterisation.

    Args:
        alpha: initial frequency (> 0), default 1.
        trainable: make alpha an ``nn.Parameter`` (else a fixed buffer).
        **kw: ``shape`` (``"channel"`` as in BigVGAN), ``num_channels``, ``channel_dim``, ``impl``.
    """

    def __init__(self, *, alpha: float = 1.0, trainable: bool = True, **kw) -> None:
        if not (math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"Snake needs a finite alpha > 0 (it divides by alpha), got {alpha!r}")
        super().__init__(**kw)
        self.add_param("alpha", alpha, Positive(), trainable=trainable)

    formula = staticmethod(snake)
    compute_fp32 = True


def snake_beta(x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    s = torch.sin(alpha * x)
    return x + s * s / beta


@register_activation(ActivationInfo(
    name="snake_beta", formula="x + sin^2(alpha x) / beta", latex=r"x + \frac{\sin^2(\alpha x)}{\beta}",
    paper=_BIGVGAN, params=(ParamSpec("alpha", 1.0), ParamSpec("beta", 1.0, constraint="> 0 (softplus)")),
    monotonic=True, f0=0.0, df0=1.0, category="modern", warm_start={"snake": {"alpha": 1.0, "beta": 1.0}},
    notes="BigVGAN's SnakeBeta: frequency alpha (unconstrained) and amplitude 1/beta (beta > 0 by softplus; "
    "BigVGAN divides by beta + 1e-9). Monotonic at the defaults only (alpha = beta); alpha = beta gives "
    "Snake. " + _PER_CHANNEL,
))
class SnakeBeta(Activation):
    r"""SnakeBeta ``x + sin^2(alpha x) / beta`` (BigVGAN, Lee et al., arXiv 2206.04658).

    Separates Snake's frequency ``alpha`` from its amplitude ``1 / beta``; ``alpha = beta`` is
    :class:`Snake`. Non-decreasing while ``alpha <= beta`` (``f' = 1 + (alpha/beta) sin(2 alpha x)``).

    Args:
        alpha: initial frequency (unconstrained), default 1.
        beta: initial inverse amplitude (> 0), default 1.
        trainable: make alpha and beta ``nn.Parameter`` s (else fixed buffers).
        **kw: ``shape`` (``"channel"`` as in BigVGAN), ``num_channels``, ``channel_dim``, ``impl``.
    """

    def __init__(self, *, alpha: float = 1.0, beta: float = 1.0, trainable: bool = True, **kw) -> None:
        if not (math.isfinite(beta) and beta > 0) or not math.isfinite(alpha):
            raise ValueError(
                f"SnakeBeta needs a finite alpha and a finite beta > 0, got alpha={alpha!r}, beta={beta!r}"
            )
        super().__init__(**kw)
        self.add_param("alpha", alpha, trainable=trainable)
        self.add_param("beta", beta, Positive(), trainable=trainable)

    formula = staticmethod(snake_beta)
    compute_fp32 = True


# ---------------------------------------------------------------------------------- sine (SIREN)
def sine(x: torch.Tensor, omega0: float) -> torch.Tensor:
    return torch.sin(omega0 * x)


@register_activation(ActivationInfo(
    name="sine", formula="sin(omega0 x), omega0 = 30", latex=r"\sin(\omega_0 x)",
    paper=Paper("Implicit Neural Representations with Periodic Activation Functions", "2006.09661", 2020),
    bounded_below=True, bounded_above=True, output_range=(-1.0, 1.0), f0=0.0, df0=SIREN_OMEGA0,
    category="modern",
    notes="omega0 = 30 fixed, as in SIREN; train it with the SIREN weight init (init scheme 'siren': "
    "first layer U(-1/fan_in, 1/fan_in), others U(-sqrt(6/fan_in)/omega0, +sqrt(6/fan_in)/omega0)).",
))
class Sine(Activation):
    r"""The sine ``sin(omega0 x)`` of SIREN (Sitzmann et al., arXiv 2006.09661), ``omega0 = 30``.

    Use it with SIREN's initialisation, ``actlab.init.init_model(model, "siren")``: without it
    a deep sine network is chaotic at init.

    Args:
        omega0: the frequency (fixed, finite and non-zero), default 30.
        **kw: ``impl`` (see :class:`Activation`); there are no trainable parameters.
    """

    def __init__(self, *, omega0: float = SIREN_OMEGA0, **kw) -> None:
        if not (math.isfinite(omega0) and omega0 != 0):
            raise ValueError(f"Sine needs a finite, non-zero omega0 (SIREN uses 30), got {omega0!r}")
        super().__init__(**kw)
        self.omega0 = float(omega0)

    formula = staticmethod(sine)
    consts = ("omega0",)
    compute_fp32 = True

    def extra_repr(self) -> str:
        return ", ".join(p for p in (super().extra_repr(), f"omega0={self.omega0:g}") if p)
