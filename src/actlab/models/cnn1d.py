"""The MNIST-1D reference CNN (Greydanus, "Scaling down deep learning", arXiv 2011.14439).

Matches the ``ConvBase`` of the mnist1d repository: conv1d(1->25, k=5, s=2, p=1), then two
conv1d(25->25, k=3, s=2, p=1), an activation after each, flatten (25 x 5 for length 40) and a
linear head; 5,210 parameters for 10 classes.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, conv_out, make_norm
from ._registry import register_model

__all__ = ["CNN1d", "cnn1d"]


class CNN1d(nn.Module):
    """Three strided conv1d layers and a linear head; accepts (N, L) or (N, C, L) input."""

    def __init__(
        self, num_classes: int, in_chans: int, act: Any, norm: NormFactory, channels: int, length: int
    ) -> None:
        super().__init__()
        sites = ActSites()
        self.in_chans = in_chans
        layers: list[nn.Module] = []
        c, n = in_chans, length
        for k in (5, 3, 3):
            layers += [nn.Conv1d(c, channels, k, stride=2, padding=1), make_norm(norm, channels)]
            layers.append(sites(act, f"features.{len(layers)}", channels))
            c, n = channels, conv_out(n, k, 2, 1)
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels * n, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.view(x.shape[0], self.in_chans, -1)
        return self.head(torch.flatten(self.features(x), 1))


@register_model(
    "cnn1d", family="cnn1d", paper="Greydanus, Scaling down deep learning (MNIST-1D), arXiv 2011.14439",
    input_shape=(1, 40), test_shape=(1, 40), test_kwargs={"channels": 3},
)
def cnn1d(
    num_classes: int = 10, in_chans: int = 1, act: Any = "relu", norm: NormFactory = None,
    channels: int = 25, length: int = 40,
) -> CNN1d:
    """MNIST-1D reference CNN.

    Args:
        num_classes: logits. in_chans: input channels (1; a (N, L) input is reshaped).
        act: activation spec. norm: optional ``norm(C)`` (e.g. ``nn.BatchNorm1d``), default none.
        channels: conv channels (25). length: input length (40 for MNIST-1D).
    """
    return CNN1d(num_classes, in_chans, act, norm, channels, length)
