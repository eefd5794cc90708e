"""MobileNet v1 for CIFAR (kuangliu/pytorch-cifar form), one of the Dubey et al. benchmark nets.

Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications", arXiv 1704.04861. Stem 3x3 conv (stride 1) to 32 channels - norm - act, then 13
depthwise-separable blocks ``dw3x3-norm-act-pw1x1-norm-act`` with widths 64, 128/2, 128, 256/2,
256, 512/2, 512 x5, 1024/2, 1024 (``/2`` = stride 2), global average pool, linear.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, make_norm
from ._registry import register_model

__all__ = ["MobileNet", "mobilenet"]

# Output width of each separable block; (width, 2): its depthwise conv has stride 2.
_CFG: list[int | tuple[int, int]] = [
    64, (128, 2), 128, (256, 2), 256, (512, 2), 512, 512, 512, 512, 512, (1024, 2), 1024,
]


class SeparableBlock(nn.Module):
    """Depthwise 3x3 conv - norm - act, pointwise 1x1 conv - norm - act."""

    def __init__(
        self, in_planes: int, out_planes: int, stride: int, norm: NormFactory, sites: ActSites, act: Any, path: str
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, in_planes, 3, stride, 1, groups=in_planes, bias=False)
        self.bn1 = make_norm(norm, in_planes)
        self.act1 = sites(act, f"{path}.act1", in_planes)
        self.conv2 = nn.Conv2d(in_planes, out_planes, 1, bias=False)
        self.bn2 = make_norm(norm, out_planes)
        self.act2 = sites(act, f"{path}.act2", out_planes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act2(self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x))))))


class MobileNet(nn.Module):
    """MobileNet v1, CIFAR stem; see the module docstring."""

    def __init__(self, num_classes: int, in_chans: int, act: Any, norm: NormFactory, width_mult: float) -> None:
        super().__init__()
        sites = ActSites()
        scale = lambda w: max(1, int(round(w * width_mult)))  # noqa: E731
        c = scale(32)
        self.conv1 = nn.Conv2d(in_chans, c, 3, 1, 1, bias=False)
        self.bn1 = make_norm(norm, c)
        self.act1 = sites(act, "act1", c)
        blocks = []
        for i, v in enumerate(_CFG):
            w, stride = (v, 1) if isinstance(v, int) else v
            blocks.append(SeparableBlock(c, scale(w), stride, norm, sites, act, f"layers.{i}"))
            c = scale(w)
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.act1(self.bn1(self.conv1(x))))
        return self.linear(torch.flatten(self.pool(x), 1))


@register_model(
    "mobilenet", family="mobilenet",
    paper="Howard et al., MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications, "
    "arXiv 1704.04861",
    input_shape=(3, 32, 32), test_shape=(3, 16, 16), test_kwargs={"width_mult": 1 / 16},
)
def mobilenet(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    width_mult: float = 1.0,
) -> MobileNet:
    """MobileNet v1, CIFAR form (3.2M parameters, 27 activation sites).

    Args:
        num_classes: logits. in_chans: image channels. act: activation spec.
        norm: ``norm(C)`` factory (default ``nn.BatchNorm2d``; ``None`` for none).
        width_mult: scales every width (the paper's alpha).
    """
    return MobileNet(num_classes, in_chans, act, norm, width_mult)
