"""VGG-11/13/16/19 with norm before every activation and a small-image head (kuangliu/pytorch-cifar form).

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
ICLR 2015, arXiv 1409.1556. The CIFAR form used by the Dubey et al. benchmark (arXiv 2109.14545):
3x3 convs (padding 1) - norm - act, 2x2 max-pools, and a single linear layer on the 512
features left after five pools of a 32x32 input. Activation hyper-parameters are never passed
positionally (the reference code's VGG files pass the channel count as LReLU's slope).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, make_norm
from ._registry import register_model

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19"]

_CFG: dict[str, list[int | str]] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}
_PAPER = "Simonyan & Zisserman, Very Deep Convolutional Networks for Large-Scale Image Recognition, arXiv 1409.1556"


class VGG(nn.Module):
    """``features`` (conv-norm-act and max-pools), global average pool, linear head."""

    def __init__(
        self, cfg: list[int | str], num_classes: int, in_chans: int, act: Any, norm: NormFactory, width_mult: float
    ) -> None:
        super().__init__()
        sites = ActSites()
        layers: list[nn.Module] = []
        c = in_chans
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
                continue
            w = max(1, int(round(int(v) * width_mult)))
            layers += [nn.Conv2d(c, w, 3, padding=1), make_norm(norm, w)]
            layers.append(sites(act, f"features.{len(layers)}", w))
            c = w
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def _create_vgg(name: str, num_classes: int, in_chans: int, act: Any, norm: NormFactory, width_mult: float) -> VGG:
    return VGG(_CFG[name], num_classes, in_chans, act, norm, width_mult)


_COMMON: dict[str, Any] = dict(
    family="vgg", paper=_PAPER, input_shape=(3, 32, 32), test_shape=(3, 32, 32), test_kwargs={"width_mult": 1 / 16},
)


@register_model("vgg11", **_COMMON)
def vgg11(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    width_mult: float = 1.0,
) -> VGG:
    """VGG-11 with norm (9.2M parameters, 8 activation sites).

    Args:
        num_classes: logits. in_chans: image channels. act: activation spec.
        norm: ``norm(C)`` factory (default ``nn.BatchNorm2d``; ``None`` for none).
        width_mult: scales every conv width (1.0).
    """
    return _create_vgg("vgg11", num_classes, in_chans, act, norm, width_mult)


@register_model("vgg13", **_COMMON)
def vgg13(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    width_mult: float = 1.0,
) -> VGG:
    """VGG-13 with norm (9.4M parameters, 10 sites). Arguments as for :func:`vgg11`."""
    return _create_vgg("vgg13", num_classes, in_chans, act, norm, width_mult)


@register_model("vgg16", **_COMMON)
def vgg16(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    width_mult: float = 1.0,
) -> VGG:
    """VGG-16 with norm (14.7M parameters, 13 sites). Arguments as for :func:`vgg11`."""
    return _create_vgg("vgg16", num_classes, in_chans, act, norm, width_mult)


@register_model("vgg19", **_COMMON)
def vgg19(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    width_mult: float = 1.0,
) -> VGG:
    """VGG-19 with norm (20.0M parameters, 16 sites). Arguments as for :func:`vgg11`."""
    return _create_vgg("vgg19", num_classes, in_chans, act, norm, width_mult)
