"""ADA and Leaky ADA: apical dendrite activations (Georgescu et al., arXiv 2003.03229)."""

from __future__ import annotations

import math

import torch

from ._base import Activation, Positive
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = ["ADA", "LeakyADA"]

_PAPER = Paper(
    "Non-linear Neurons with Human-like Apical Dendrite Activations", "2003.03229", 2020
)
_ALPHA0, _BETA0 = 0.5, 0.0
_PEAK = math.exp(_BETA0 - 1) / _ALPHA0  # max of ADA at x = 1/alpha
_NOTES = (
    "Defaults alpha = 0.5 (the authors' VGG and Char-CNN value), beta = 0 (their Fashion-MNIST "
    "scripts; the Char-CNN 'opt' variant uses beta = 1). alpha > 0 by softplus reparameterization "
    "(the reference code has no constraint; alpha <= 0 makes the function grow exponentially). "
    "beta is a fixed buffer unless trainable_beta=True. The authors' learnable variant shares one "
    "scalar alpha across the network; here alpha is per layer (shape='scalar') or per channel."
)



def ada(x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """ADA's formula, ``relu(x) exp(beta - alpha relu(x))``."""
    # relu(x) in the exponent too: exp(-alpha*x) for very negative x would overflow and
    # 0 * inf would give NaN; with relu(x) the exponent is beta there.
    r = torch.relu(x)
    return r * torch.exp(beta - alpha * r)


def leaky_ada(x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor, leak: float) -> torch.Tensor:
    """Leaky ADA's formula, ``leak min(x, 0) + ada(x)``."""
    return leak * torch.clamp(x, max=0) + ada(x, alpha, beta)


class _ADABase(Activation):
    compute_fp32 = True

    def __init__(
        self, *, alpha: float = _ALPHA0, beta: float = _BETA0, trainable: bool = True,
        trainable_beta: bool = False, **kw,
    ) -> None:
        super().__init__(**kw)
        self.add_param("alpha", alpha, constraint=Positive(), trainable=trainable)
        self.add_param("beta", beta, trainable=trainable and trainable_beta)


@register_activation(
    ActivationInfo(
        name="ada",
        formula="relu(x) * exp(-alpha * x + beta),  alpha > 0",
        latex=r"\max(0, x)\, e^{-\alpha x + \beta}",
        paper=_PAPER,
        aliases=("apical_dendrite",),
        params=(
            ParamSpec("alpha", _ALPHA0, constraint="> 0 (softplus)"),
            ParamSpec("beta", _BETA0, trainable=False),
        ),
        monotonic=False,
        smoothness="C0",
        bounded_below=True,
        bounded_above=True,
        output_range=(0.0, _PEAK),
        f0=0.0,
        df0=None,
        category="seed",
        notes=_NOTES,
    )
)
class ADA(_ADABase):
    r"""ADA(x) = relu(x) * exp(-alpha x + beta), the apical-dendrite activation.

    Georgescu, Ionescu, Ristea, Sebe, "Non-linear Neurons with Human-like Apical Dendrite
    Activations", arXiv 2003.03229. Unimodal: zero for x <= 0, peak ``e^{beta-1}/alpha`` at
    ``x = 1/alpha``, decaying to 0 as x -> inf; a single ADA neuron can solve XOR. Derivative
    ``e^{-alpha x + beta}(1 - alpha x)`` for x > 0.

    Choices: alpha = 0.5, beta = 0 by default (authors' VGG/Char-CNN alpha; beta = 1 is their
    "opt" variant). alpha is kept > 0 by a softplus reparameterization. beta is fixed unless
    ``trainable_beta=True``.

    Args:
        alpha: initial decay rate (> 0).
        beta: initial exponent offset.
        trainable: make alpha an ``nn.Parameter`` (else a fixed buffer).
        trainable_beta: also train beta (only with ``trainable=True``).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    formula = staticmethod(ada)


@register_activation(
    ActivationInfo(
        name="leaky_ada",
        formula="leak * min(x, 0) + relu(x) * exp(-alpha * x + beta),  alpha > 0, leak = 0.01",
        latex=r"l \min(x, 0) + \max(0, x)\, e^{-\alpha x + \beta}",
        paper=_PAPER,
        aliases=("lada",),
        params=(
            ParamSpec("alpha", _ALPHA0, constraint="> 0 (softplus)"),
            ParamSpec("beta", _BETA0, trainable=False),
        ),
        monotonic=False,
        smoothness="C0",
        bounded_below=False,
        bounded_above=True,
        output_range=(-math.inf, _PEAK),
        f0=0.0,
        df0=None,
        category="seed",
        notes=_NOTES + " Leak l = 0.01 (all code variants), a fixed constant.",
    )
)
class LeakyADA(_ADABase):
    r"""Leaky ADA(x) = leak * min(x, 0) + relu(x) * exp(-alpha x + beta), leak = 0.01.

    Georgescu et al., arXiv 2003.03229 (authors' code raduionescu/pynada). Same defaults and
    constraint as :class:`ADA`; the leak is a fixed constant (0.01 in every code variant).

    Args:
        alpha: initial decay rate (> 0).
        beta: initial exponent offset.
        leak: slope for x < 0.
        trainable: make alpha an ``nn.Parameter`` (else a fixed buffer).
        trainable_beta: also train beta (only with ``trainable=True``).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(
        self, *, alpha: float = _ALPHA0, beta: float = _BETA0, leak: float = 0.01, trainable: bool = True,
        trainable_beta: bool = False, **kw,
    ) -> None:
        super().__init__(alpha=alpha, beta=beta, trainable=trainable, trainable_beta=trainable_beta, **kw)
        if not math.isfinite(float(leak)):
            raise ValueError(f"LeakyADA: leak must be a finite number, got {leak!r} (the papers use 0.01)")
        self.leak = float(leak)

    formula = staticmethod(leaky_ada)
    consts = ("leak",)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, leak={self.leak:g}"
