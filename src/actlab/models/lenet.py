"""LeNet-5 (LeCun, Bottou, Bengio & Haffner, Proc. IEEE 1998), in the form the activation papers use."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, conv_out, make_norm
from ._registry import register_model

__all__ = ["LeNet5", "lenet5"]


class LeNet5(nn.Module):
    """conv5x5(6)-act-pool2, conv5x5(16)-act-pool2, dense 120-act, dense 84-act, linear head.

    Valid convolutions on a 32x32 input (MNIST-type images zero-padded to 32, as in the paper and
    in the PyNADA code); ``pool="max"`` by default (the original uses subsampling, ``"avg"``).
    """

    def __init__(
        self, num_classes: int, in_chans: int, act: Any, norm: NormFactory, image_size: int, pool: str
    ) -> None:
        super().__init__()
        pools = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}
        if pool not in pools:
            raise ValueError(f"lenet5 pool must be 'max' or 'avg', got {pool!r}")
        sites = ActSites()
        s = conv_out(conv_out(conv_out(conv_out(image_size, 5), 2, 2), 5), 2, 2)
        self.features = nn.Sequential(
            nn.Conv2d(in_chans, 6, 5), make_norm(norm, 6), sites(act, "features.2", 6), pools[pool](2),
            nn.Conv2d(6, 16, 5), make_norm(norm, 16), sites(act, "features.6", 16), pools[pool](2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * s * s, 120), sites(act, "classifier.2", 120),
            nn.Linear(120, 84), sites(act, "classifier.4", 84),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register_model(
    "lenet5", family="lenet",
    paper="LeCun et al., Gradient-based learning applied to document recognition, Proc. IEEE 1998",
    input_shape=(1, 32, 32), test_shape=(1, 20, 20), test_kwargs={"image_size": 20},
)
def lenet5(
    num_classes: int = 10, in_chans: int = 1, act: Any = "relu", norm: NormFactory = None,
    image_size: int = 32, pool: str = "max",
) -> LeNet5:
    """LeNet-5 with an injectable activation at all four hidden layers.

    Args:
        num_classes: logits. in_chans: image channels.
        act: activation spec. norm: optional ``norm(C)`` after each conv (the paper has none).
        image_size: input height = width (32 as in the paper; 28 works too).
        pool: ``"max"`` (default, as in the PyNADA code) or ``"avg"``.
    """
    return LeNet5(num_classes, in_chans, act, norm, image_size, pool)
