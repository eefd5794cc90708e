"""FPLUS and PFPLUS: First Power Linear Unit with Sign (Duan, Yang, Dai; arXiv 2111.14349)."""

from __future__ import annotations

import math

import torch

from ._base import Activation, Positive
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = ["FPLUS", "PFPLUS"]

_PAPER = Paper("First Power Linear Unit with Sign", "2111.14349", 2021)



def fplus(x: torch.Tensor) -> torch.Tensor:
    # one expression: the denominator is 1 on x >= 0, so no branch divides by zero
    return x / (1 - torch.clamp(x, max=0))


@register_activation(
    ActivationInfo(
        name="fplus",
        formula="x if x >= 0 else x / (1 - x)   (= (1 + |x|)^sgn(x) - 1)",
        latex=r"(1 + |x|)^{\operatorname{sgn}(x)} - 1",
        paper=_PAPER,
        monotonic=True,
        smoothness="C1",
        bounded_below=True,
        output_range=(-1.0, math.inf),
        category="seed",
        notes="Equation derived from the paper's stated design conditions (UNCONFIRMED against the PDF); "
        "agrees with the third-party implementation.",
    )
)
class FPLUS(Activation):
    r"""FPLUS(x) = x for x >= 0 and ``x / (1 - x)`` for x < 0, i.e. ``(1 + |x|)^{sgn x} - 1``.

    Duan, Yang, Dai, "First Power Linear Unit with Sign", arXiv 2111.14349. Derivative 1 for
    x >= 0 and ``1/(1 - x)^2`` for x < 0 (C1 at 0); bounded below by -1. The form is derived
    from the paper's design conditions (UNCONFIRMED against its equation). No parameters.
    """

    formula = staticmethod(fplus)


def pfplus(x: torch.Tensor, lam: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
    return lam * x / (1 - mu * torch.clamp(x, max=0))


@register_activation(
    ActivationInfo(
        name="pfplus",
        formula="lam * x if x >= 0 else lam * x / (1 - mu * x),  mu > 0",
        latex=r"\lambda x \,(1 - \mu x)^{H(x) - 1}",
        paper=_PAPER,
        params=(ParamSpec("lam", 1.0), ParamSpec("mu", 1.0, constraint="> 0 (softplus)")),
        monotonic=True,
        smoothness="C1",
        bounded_below=True,
        output_range=(-1.0, math.inf),
        category="seed",
        warm_start={"fplus": {"lam": 1.0, "mu": 1.0}},
        notes="Parameterisation UNCONFIRMED (paper: 'two parameters that can be fixed or learnable'); "
        "we use lam*x*(1 - mu*x)^(H(x)-1) with init lam = mu = 1 (= FPLUS; the third-party default "
        "mu = 0.1 is not a paper value). mu > 0 by softplus reparameterization, so there is no pole.",
    )
)
class PFPLUS(Activation):
    r"""PFPLUS(x) = lam * x for x >= 0 and ``lam * x / (1 - mu * x)`` for x < 0.

    Parametric FPLUS (Duan et al., arXiv 2111.14349). The paper's two-parameter form is
    UNCONFIRMED; we use ``lam * x * (1 - mu x)^{H(x) - 1}`` (lower bound ``-lam/mu``). Initial
    values lam = mu = 1 make it equal to FPLUS. ``mu`` is kept strictly positive by a softplus
    reparameterization: a negative mu would put a pole at x = 1/mu < 0. ``lam <= 0`` flips
    monotonicity and is not constrained. Half inputs are computed in float32.

    Args:
        lam: initial scale lambda.
        mu: initial negative-branch rate (> 0).
        trainable: make lam and mu ``nn.Parameter`` s (else fixed buffers).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(self, *, lam: float = 1.0, mu: float = 1.0, trainable: bool = True, **kw) -> None:
        super().__init__(**kw)
        self.add_param("lam", lam, trainable=trainable)
        self.add_param("mu", mu, constraint=Positive(), trainable=trainable)

    formula = staticmethod(pfplus)
    compute_fp32 = True
