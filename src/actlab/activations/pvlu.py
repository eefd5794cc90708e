"""PVLU: Parametric Variational Linear Unit (Gupta & Ahuja, arXiv 2110.12246)."""

from __future__ import annotations

import torch

from ._base import Activation
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation


def pvlu(x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    return torch.relu(x) + alpha * torch.sin(beta * x)


@register_activation(
    ActivationInfo(
        name="pvlu",
        formula="max(0, x) + alpha * sin(beta * x)",
        latex=r"\max(0, x) + \alpha \sin(\beta x)",
        paper=Paper("Parametric Variational Linear Units (PVLUs) in Deep Convolutional Networks", "2110.12246", 2021),
        params=(ParamSpec("alpha", 0.1), ParamSpec("beta", 1.0)),
        monotonic=False,
        smoothness="C0",
        bounded_below=True,
        output_range=(-0.1, float("inf")),  # min -alpha at x = -pi/(2 beta); x >= 0 branch stays >= 0
        f0=0.0,
        df0=None,
        category="seed",
        warm_start={"relu": {"alpha": 0.0}},
        notes="Initial values alpha=0.1, beta=1 and scalar granularity are UNCONFIRMED (third-party "
        "defaults); shape='channel' gives per-channel alpha/beta.",
    )
)
class PVLU(Activation):
    r"""PVLU(x) = max(0, x) + alpha * sin(beta * x), alpha and beta trainable.

    From Gupta & Ahuja, "Parametric Variational Linear Units (PVLUs) in Deep Convolutional
    Networks", arXiv 2110.12246. The paper's initial values are unconfirmed; we use the
    third-party defaults alpha = 0.1, beta = 1 (scalars). ``alpha=0`` makes PVLU equal ReLU,
    which is what ``swap_activations(..., warm_start=True)`` uses. Bounded below by ``-alpha``
    (attained at x = -pi/(2 beta)) whenever ``alpha * beta < 1``, as at the defaults.

    Args:
        alpha: initial amplitude.
        beta: initial frequency.
        trainable: make alpha and beta ``nn.Parameter`` s (else fixed buffers).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(self, *, alpha: float = 0.1, beta: float = 1.0, trainable: bool = True, **kw) -> None:
        super().__init__(**kw)
        self.add_param("alpha", alpha, trainable=trainable)
        self.add_param("beta", beta, trainable=trainable)

    formula = staticmethod(pvlu)
