"""Saturating activations: the soft cap of Gemma-2, Dynamic Tanh (normalisation-free
transformers) and the Gaussian bump (RBF) that the ADA paper compares against.

Soft capping and DyT are tanh rescalings: ``c tanh(x / c)`` keeps logits within (-c, c) and is
the identity near 0; DyT ``gamma tanh(alpha x) + beta`` replaces LayerNorm with a learnable
squashing and the norm's per-channel affine.
"""

from __future__ import annotations

import math

import torch

from ._base import Activation
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = ["Softcap", "DyT", "RBF"]


# ---------------------------------------------------------------------------------- soft capping
def softcap(x: torch.Tensor, cap: float) -> torch.Tensor:
    return cap * torch.tanh(x / cap)


_SOFTCAP_DEFAULT = 30.0


@register_activation(ActivationInfo(
    name="softcap", formula="c * tanh(x / c), c = 30", latex=r"c \tanh(x / c)",
    paper=Paper("Gemma 2: Improving Open Language Models at a Practical Size", "2408.00118", 2024),
    aliases=("soft_cap", "logit_softcap"), monotonic=True, bounded_below=True, bounded_above=True,
    output_range=(-_SOFTCAP_DEFAULT, _SOFTCAP_DEFAULT), f0=0.0, df0=1.0, category="modern",
    notes="cap = 30 (Gemma-2's final-logit cap; its attention logits use 50, modded-nanogpt caps its logits "
    "at 15-30): pass cap=... The cap is a fixed hyperparameter, > 0.",
))
class Softcap(Activation):
    """Soft capping ``c tanh(x / c)`` (Gemma-2 logit capping; modded-nanogpt): identity near 0, within (-c, c).

    Args:
        cap: the bound ``c`` (fixed, > 0), default 30.
        **kw: ``impl`` (see :class:`Activation`); there are no trainable parameters.
    """

    def __init__(self, *, cap: float = _SOFTCAP_DEFAULT, **kw) -> None:
        if not (math.isfinite(cap) and cap > 0):
            raise ValueError(
                f"Softcap needs a finite cap > 0 (Gemma-2 uses 30 for logits, 50 in attention), got {cap!r}"
            )
        super().__init__(**kw)
        self.cap = float(cap)

    formula = staticmethod(softcap)
    consts = ("cap",)
    compute_fp32 = True

    def extra_repr(self) -> str:
        return ", ".join(p for p in (super().extra_repr(), f"cap={self.cap:g}") if p)


# ---------------------------------------------------------------------------------- Dynamic Tanh
def dyt(x: torch.Tensor, alpha: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    return gamma * torch.tanh(alpha * x) + beta


@register_activation(ActivationInfo(
    name="dyt", formula="gamma * tanh(alpha x) + beta", latex=r"\gamma \tanh(\alpha x) + \beta",
    paper=Paper("Transformers without Normalization", "2503.10622", 2025), aliases=("dynamic_tanh",),
    params=(ParamSpec("alpha", 0.5), ParamSpec("gamma", 1.0, shape="channel"), ParamSpec("beta", 0.0, shape="channel")),
    monotonic=True, bounded_below=True, bounded_above=True, output_range=(-1.0, 1.0), f0=0.0, df0=0.5,
    category="modern", warm_start={"tanh": {"alpha": 1.0, "gamma": 1.0, "beta": 0.0}},
    notes="alpha is one scalar per module even with shape='channel' (as in the paper, init 0.5; the paper raises "
    "it for wide LLMs); gamma (init 1) and beta (init 0) are per channel with shape='channel', num_channels=C "
    "(the paper's setting, channel_dim=-1 for (B, T, C) tokens) and scalars by default.",
))
class DyT(Activation):
    r"""Dynamic Tanh ``gamma tanh(alpha x) + beta`` (Zhu, Chen, He, LeCun & Liu, arXiv 2503.10622).

    A drop-in replacement of LayerNorm in transformers: a learnable scalar ``alpha`` (init 0.5)
    and the norm's per-channel affine ``gamma`` (1), ``beta`` (0). ``alpha`` is always one scalar;
    ``gamma`` and ``beta`` follow ``shape`` (use ``shape="channel", num_channels=C, channel_dim=-1``
    for token features, as in the paper).

    Example:
        >>> m = DyT(shape="channel", num_channels=8, channel_dim=-1)
        >>> tuple(m.alpha.shape), tuple(m.gamma.shape), tuple(m(torch.zeros(2, 5, 8)).shape)
        ((), (8,), (2, 5, 8))

    Args:
        alpha: initial input scale (one scalar), default 0.5.
        gamma: initial output scale, default 1.
        beta: initial output shift, default 0.
        trainable: make the three ``nn.Parameter`` s (else fixed buffers).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(
        self, *, alpha: float = 0.5, gamma: float = 1.0, beta: float = 0.0, trainable: bool = True, **kw,
    ) -> None:
        if not all(math.isfinite(v) for v in (alpha, gamma, beta)):
            raise ValueError(f"DyT needs finite alpha, gamma, beta, got {alpha!r}, {gamma!r}, {beta!r}")
        super().__init__(**kw)
        self.add_param("alpha", alpha, trainable=trainable, shape="scalar")
        self.add_param("gamma", gamma, trainable=trainable)
        self.add_param("beta", beta, trainable=trainable)

    formula = staticmethod(dyt)
    compute_fp32 = True


# ---------------------------------------------------------------------------------- Gaussian bump
def rbf(x: torch.Tensor, alpha: float) -> torch.Tensor:
    return torch.exp(-(x * x) / alpha)


@register_activation(ActivationInfo(
    name="rbf", formula="exp(-x^2 / alpha), alpha = 1", latex=r"e^{-x^2 / \alpha}",
    paper=Paper("Non-linear Neurons with Human-like Apical Dendrite Activations", "2003.03229", 2020),
    aliases=("gaussian", "rbf_bump"), bounded_below=True, bounded_above=True, output_range=(0.0, 1.0), f0=1.0,
    df0=0.0, category="modern",
    notes="The radial-basis baseline of the ADA paper (rbf_bump(x, alpha) = exp(-x^2 / alpha) in "
    "raduionescu/pynada, which gives alpha no default and never calls it in the committed scripts): "
    "alpha = 1 here, a fixed hyperparameter > 0.",
))
class RBF(Activation):
    """Gaussian bump ``exp(-x^2 / alpha)``, the RBF baseline of the ADA paper (Georgescu et al. 2020).

    Args:
        alpha: width (fixed, > 0), default 1.
        **kw: ``impl`` (see :class:`Activation`); there are no trainable parameters.
    """

    def __init__(self, *, alpha: float = 1.0, **kw) -> None:
        if not (math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"RBF needs a finite width alpha > 0, got {alpha!r}")
        super().__init__(**kw)
        self.alpha = float(alpha)

    formula = staticmethod(rbf)
    consts = ("alpha",)
    compute_fp32 = True

    def extra_repr(self) -> str:
        return ", ".join(p for p in (super().extra_repr(), f"alpha={self.alpha:g}") if p)
