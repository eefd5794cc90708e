r"""ACON-C and Meta-ACON: learning whether to activate (Ma, Zhang, Liu, Zhang & Sun, arXiv 2009.04759).

ACON-C is a smooth maximum of two lines ``p1 x`` and ``p2 x``:

.. math:: f(x) = (p_1 - p_2)\,x\,\sigma\big(\beta (p_1 - p_2) x\big) + p_2 x,

which is linear (``beta = 0``: the mean of the lines), Swish (``p1 = 1, p2 = 0``) or
``max(p1 x, p2 x)`` (``beta -> inf``). Meta-ACON computes ``beta`` per sample and channel from a
small squeeze network over the channel means, ``beta = sigmoid(W2 W1 mean(x))``, so each sample
learns whether to activate.

Initialisation: the authors' code draws ``p1, p2 ~ N(0, 1)``; we start from ``p1 = 1, p2 = 0,
beta = 1``, where ACON-C is exactly SiLU (a reproducible, documented start; pass ``p1``/``p2``
to change it).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._base import HALF_DTYPES, Activation
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation
from .gates import SILU_MIN

__all__ = ["AconC", "MetaAconC"]

_PAPER = Paper("Activate or Not: Learning Customized Activation", "2009.04759", 2021)
_INIT_NOTE = ("p1 = 1, p2 = 0, beta = 1 at init (= SiLU); the authors' code draws p1, p2 ~ N(0, 1) per channel "
              "(UNCONFIRMED in the paper).")


def acon_c(x: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    d = (p1 - p2) * x
    return d * torch.sigmoid(beta * d) + p2 * x


@register_activation(ActivationInfo(
    name="acon_c", formula="(p1 - p2) x sigmoid(beta (p1 - p2) x) + p2 x",
    latex=r"(p_1 - p_2) x\, \sigma(\beta (p_1 - p_2) x) + p_2 x", paper=_PAPER,
    params=(ParamSpec("p1", 1.0), ParamSpec("p2", 0.0), ParamSpec("beta", 1.0)),
    bounded_below=True, output_range=(SILU_MIN, math.inf), f0=0.0, df0=0.5, category="modern",
    warm_start={"silu": {"p1": 1.0, "p2": 0.0, "beta": 1.0}},
    notes=_INIT_NOTE + " Scalars by default; the paper learns them per channel: shape='channel', num_channels=C.",
))
class AconC(Activation):
    """ACON-C (Ma et al., arXiv 2009.04759): a learnable smooth maximum of ``p1 x`` and ``p2 x``.

    Args:
        p1: initial slope of the first line, default 1.
        p2: initial slope of the second line, default 0.
        beta: initial switching factor, default 1 (SiLU at the default slopes).
        trainable: make the three ``nn.Parameter`` s (else fixed buffers).
        **kw: ``shape`` (``"channel"`` as in the paper), ``num_channels``, ``channel_dim``, ``impl``.
    """

    def __init__(self, *, p1: float = 1.0, p2: float = 0.0, beta: float = 1.0, trainable: bool = True, **kw) -> None:
        if not all(math.isfinite(v) for v in (p1, p2, beta)):
            raise ValueError(f"AconC needs finite p1, p2, beta, got {p1!r}, {p2!r}, {beta!r}")
        super().__init__(**kw)
        for name, value in (("p1", p1), ("p2", p2), ("beta", beta)):
            self.add_param(name, value, trainable=trainable)

    formula = staticmethod(acon_c)
    compute_fp32 = True


@register_activation(ActivationInfo(
    name="meta_acon", formula="ACON-C with beta = sigmoid(W2 W1 mean_spatial(x)) per sample and channel",
    latex=r"(p_1 - p_2) x\, \sigma(\beta (p_1 - p_2) x) + p_2 x,\ \beta = \sigma(W_2 W_1 \bar x)", paper=_PAPER,
    aliases=("meta_acon_c",), params=(ParamSpec("p1", 1.0, shape="channel"), ParamSpec("p2", 0.0, shape="channel")),
    f0=0.0, df0=0.5, elementwise=False, category="modern",
    notes=_INIT_NOTE + " Needs num_channels. The squeeze network is two linear maps C -> max(r, C // r) -> C "
    "(r = 16, with biases, no nonlinearity in between) on the means over every dimension but batch and "
    "channel; the authors' code adds BatchNorm after each map, the yolov5 port drops it (unstable at "
    "batch size 1) and so do we. Over a (B, T, C) sequence the mean runs over T: not causal. Scalar "
    "properties: f(0) = 0 for every beta; beta in (0, 1) leaves the range unbounded.",
))
class MetaAconC(Activation):
    r"""Meta-ACON (Ma et al., arXiv 2009.04759): ACON-C whose ``beta`` a squeeze network computes.

    ``beta = sigmoid(fc2(fc1(m)))`` with ``m`` the mean of ``x`` over every dimension but batch
    and channel (the spatial means of an image; for ``(N, C)`` inputs, ``x`` itself), so ``beta``
    varies per sample and channel; ``p1`` and ``p2`` are per channel (``shape="channel"``, the
    default here: the module needs ``num_channels`` anyway).

    Args:
        num_channels: the channel count ``C`` (required).
        r: reduction ratio of the squeeze network (hidden width ``max(r, C // r)``), default 16.
        p1: initial slope of the first line, default 1.
        p2: initial slope of the second line, default 0.
        shape: ``"channel"`` (default) or ``"scalar"`` for p1 and p2.
        **kw: ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    requires_channels = True

    def __init__(
        self, *, num_channels: int, r: int = 16, p1: float = 1.0, p2: float = 0.0, shape: str = "channel", **kw,
    ) -> None:
        if int(r) != r or r < 1:
            raise ValueError(f"MetaAconC: r must be a positive integer, got {r!r}")
        if not (math.isfinite(p1) and math.isfinite(p2)):
            raise ValueError(f"MetaAconC needs finite p1, p2, got {p1!r}, {p2!r}")
        super().__init__(shape=shape, num_channels=num_channels, **kw)
        c = int(num_channels)
        if c < 1:
            raise ValueError(f"MetaAconC: num_channels must be a positive int, got {num_channels!r}")
        self.num_channels, self.r = c, int(r)
        hidden = max(self.r, c // self.r)
        self.fc1 = nn.Linear(c, hidden)
        self.fc2 = nn.Linear(hidden, c)
        self.add_param("p1", p1)
        self.add_param("p2", p2)

    def beta(self, x: torch.Tensor) -> torch.Tensor:
        """The switching factor for ``x``, broadcastable against it (one value per sample and channel)."""
        d = self.channel_dim % x.dim()
        if x.dim() < 2 or d == 0 or x.shape[d] != self.num_channels:
            raise ValueError(
                f"MetaAconC: expected input (N, C, ...) with C = {self.num_channels} channels along dim "
                f"{self.channel_dim} (not the batch dim), got shape {tuple(x.shape)}"
            )
        z = x.movedim(d, -1)  # (N, ..., C)
        m = z.mean(dim=tuple(range(1, z.dim() - 1))) if z.dim() > 2 else z
        b = torch.sigmoid(self.fc2(self.fc1(m)))  # (N, C)
        view = [x.shape[0]] + [1] * (x.dim() - 1)
        view[d] = self.num_channels
        return b.view(view)

    def forward_eager(self, x: torch.Tensor) -> torch.Tensor:
        w = self.fc1.weight
        # half inputs with float32 weights: compute in float32 (the sums of the means and of the
        # parameter gradients), return the input dtype
        z = x.to(w.dtype) if x.dtype in HALF_DTYPES and w.dtype not in HALF_DTYPES else x
        p1, p2 = self.param("p1", z), self.param("p2", z)
        d = (p1 - p2) * z
        return (d * torch.sigmoid(self.beta(z) * d) + p2 * z).to(x.dtype)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, r={self.r}"
