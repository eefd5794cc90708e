"""Classic fixed activations (ReLU family, sigmoid family, smooth gates)."""

from __future__ import annotations

import math

import torch

from ._base import Activation
from ._info import ActivationInfo, Paper
from ._registry import register_activation

INF = math.inf


@register_activation(
    ActivationInfo(
        name="relu",
        formula="max(0, x)",
        latex=r"\max(0, x)",
        paper=Paper("Rectified linear units improve restricted Boltzmann machines", "", 2010),
        monotonic=True,
        smoothness="C0",
        bounded_below=True,
        output_range=(0.0, INF),
        f0=0.0,
        df0=None,
    )
)
class ReLU(Activation):
    """Rectified linear unit, ``max(0, x)``."""

    def forward_eager(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)
