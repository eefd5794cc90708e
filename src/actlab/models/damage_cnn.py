"""A small CNN for 128x128 RGB satellite patches, damaged vs undamaged buildings.

Cao & Choe, "Building damage annotation on post-hurricane satellite imagery based on
convolutional neural networks", Natural Hazards 2020, arXiv 1807.01688 (data:
qcao10/DamageDetection). The paper's CNN is described only as stacked conv + max-pool layers
with a dense head and dropout; the exact layer list is UNCONFIRMED. We use four stages of
3x3 conv (32, 64, 128, 128 channels, valid padding) - act - 2x2 max-pool (128 -> 63 -> 30 ->
14 -> 6), dropout 0.5, dense 512 - act, linear head to 2 classes.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, conv_out, make_norm
from ._registry import register_model

__all__ = ["DamageCNN", "damage_cnn"]


class DamageCNN(nn.Module):
    """[conv3x3-norm-act-maxpool2] per width, dropout, dense-act, linear."""

    def __init__(
        self, num_classes: int, in_chans: int, act: Any, norm: NormFactory, widths: tuple[int, ...],
        hidden: int, image_size: int, dropout: float,
    ) -> None:
        super().__init__()
        sites = ActSites()
        layers: list[nn.Module] = []
        c, s = in_chans, image_size
        for w in widths:
            layers += [nn.Conv2d(c, w, 3), make_norm(norm, w)]
            layers += [sites(act, f"features.{len(layers)}", w), nn.MaxPool2d(2)]
            c, s = w, conv_out(conv_out(s, 3), 2, 2)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c * s * s, hidden), sites(act, "classifier.3", hidden),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register_model(
    "damage_cnn", family="damage_cnn",
    paper="Cao & Choe, Building damage annotation on post-hurricane satellite imagery based on CNNs, arXiv 1807.01688",
    input_shape=(3, 128, 128), test_shape=(3, 32, 32),
    test_kwargs={"num_classes": 2, "widths": (4, 4), "hidden": 8, "image_size": 32},
)
def damage_cnn(
    num_classes: int = 2, in_chans: int = 3, act: Any = "relu", norm: NormFactory = None,
    widths: tuple[int, ...] = (32, 64, 128, 128), hidden: int = 512, image_size: int = 128, dropout: float = 0.5,
) -> DamageCNN:
    """Small damage-detection CNN (layer list UNCONFIRMED; see the module docstring).

    Args:
        num_classes: 2 (damage / no_damage). in_chans: image channels.
        act: activation spec. norm: optional ``norm(C)`` after each conv (default none).
        widths: conv channels per stage. hidden: dense units. image_size: input height = width.
        dropout: before the dense layer.
    """
    return DamageCNN(num_classes, in_chans, act, norm, tuple(widths), hidden, image_size, dropout)
