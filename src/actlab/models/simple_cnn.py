"""A plain sequential CNN, the "simple sequential CNN" of the PVLU paper's CIFAR-100 runs.

Gupta & Ahuja, "Parametric Variational Linear Units (PVLUs) in Deep Convolutional Networks",
arXiv 2110.12246. The paper's exact layer list is UNCONFIRMED (no public code); we use the
widely used Keras CIFAR example shape: stages of two 3x3 convs (same padding) + act each, 2x2
max-pool and dropout 0.25, then dense 512 + act, dropout 0.5, linear head. Widths, convs per
stage and the dense width are parameters.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, make_norm
from ._registry import register_model

__all__ = ["SimpleCNN", "simple_cnn"]


class SimpleCNN(nn.Module):
    """[conv3x3-norm-act] x ``convs_per_stage`` + maxpool + dropout per stage; dense head."""

    def __init__(
        self, num_classes: int, in_chans: int, act: Any, norm: NormFactory, widths: tuple[int, ...],
        convs_per_stage: int, hidden: int, image_size: int, dropout: tuple[float, float],
    ) -> None:
        super().__init__()
        sites = ActSites()
        layers: list[nn.Module] = []
        c, s = in_chans, image_size
        for w in widths:
            for _ in range(convs_per_stage):
                layers += [nn.Conv2d(c, w, 3, padding=1), make_norm(norm, w)]
                layers.append(sites(act, f"features.{len(layers)}", w))
                c = w
            layers += [nn.MaxPool2d(2), nn.Dropout(dropout[0])]
            s //= 2
        if s < 1:
            raise ValueError(f"simple_cnn: image_size {image_size} is too small for {len(widths)} pooling stages")
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(c * s * s, hidden), sites(act, "classifier.2", hidden),
            nn.Dropout(dropout[1]), nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register_model(
    "simple_cnn", family="simple_cnn",
    paper="Gupta & Ahuja, Parametric Variational Linear Units (PVLUs) in Deep Convolutional Networks, arXiv 2110.12246",
    input_shape=(3, 32, 32), test_shape=(3, 8, 8), test_kwargs={"widths": (4, 6), "hidden": 8, "image_size": 8},
)
def simple_cnn(
    num_classes: int = 100, in_chans: int = 3, act: Any = "relu", norm: NormFactory = None,
    widths: tuple[int, ...] = (32, 64, 128), convs_per_stage: int = 2, hidden: int = 512,
    image_size: int = 32, dropout: tuple[float, float] = (0.25, 0.5),
) -> SimpleCNN:
    """Plain sequential CNN (layer list UNCONFIRMED for the PVLU paper; see the module docstring).

    Args:
        num_classes: logits (100 for CIFAR-100). in_chans: image channels.
        act: activation spec. norm: optional ``norm(C)`` after each conv (default none).
        widths: channels per stage. convs_per_stage: 3x3 convs per stage. hidden: dense units.
        image_size: input height = width. dropout: (after each stage, before the head).
    """
    stage_drop, head_drop = dropout  # a list from a JSON config works too
    return SimpleCNN(
        num_classes, in_chans, act, norm, tuple(widths), convs_per_stage, hidden, image_size, (stage_drop, head_drop)
    )
