"""DenseNet-121 for CIFAR (kuangliu/pytorch-cifar form), one of the Dubey et al. benchmark nets.

Huang, Liu, van der Maaten & Weinberger, "Densely Connected Convolutional Networks", CVPR 2017,
arXiv 1608.06993. Growth rate 32, dense blocks of (6, 12, 24, 16) bottleneck layers
``[norm-act-conv1x1(4g)-norm-act-conv3x3(g)]`` whose output is concatenated to the input;
transitions ``norm-act-conv1x1(reduction 0.5)-avgpool2``; stem: one 3x3 conv to 2g channels;
head: norm-act, global average pool, linear.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, make_norm
from ._registry import register_model

__all__ = ["DenseNet", "densenet121"]


class DenseLayer(nn.Module):
    """``cat([conv3x3(act(norm(conv1x1(act(norm(x)))))), x])``."""

    def __init__(self, in_planes: int, growth: int, norm: NormFactory, sites: ActSites, act: Any, path: str) -> None:
        super().__init__()
        self.bn1 = make_norm(norm, in_planes)
        self.act1 = sites(act, f"{path}.act1", in_planes)
        self.conv1 = nn.Conv2d(in_planes, 4 * growth, 1, bias=False)
        self.bn2 = make_norm(norm, 4 * growth)
        self.act2 = sites(act, f"{path}.act2", 4 * growth)
        self.conv2 = nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(self.act2(self.bn2(self.conv1(self.act1(self.bn1(x))))))
        return torch.cat([y, x], 1)


class Transition(nn.Module):
    """``avgpool2(conv1x1(act(norm(x))))``."""

    def __init__(
        self, in_planes: int, out_planes: int, norm: NormFactory, sites: ActSites, act: Any, path: str
    ) -> None:
        super().__init__()
        self.bn = make_norm(norm, in_planes)
        self.act = sites(act, f"{path}.act", in_planes)
        self.conv = nn.Conv2d(in_planes, out_planes, 1, bias=False)
        self.pool = nn.AvgPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.conv(self.act(self.bn(x))))


class DenseNet(nn.Module):
    """DenseNet-BC for small images; see the module docstring."""

    def __init__(
        self, block_config: tuple[int, ...], growth: int, reduction: float, num_classes: int, in_chans: int,
        act: Any, norm: NormFactory,
    ) -> None:
        super().__init__()
        sites = ActSites()
        c = 2 * growth
        self.conv1 = nn.Conv2d(in_chans, c, 3, padding=1, bias=False)
        for b, n in enumerate(block_config):
            layers = []
            for i in range(n):
                layers.append(DenseLayer(c, growth, norm, sites, act, f"dense{b + 1}.{i}"))
                c += growth
            setattr(self, f"dense{b + 1}", nn.Sequential(*layers))
            if b < len(block_config) - 1:
                out = int(math.floor(c * reduction))
                setattr(self, f"trans{b + 1}", Transition(c, out, norm, sites, act, f"trans{b + 1}"))
                c = out
        self.num_blocks = len(block_config)
        self.bn = make_norm(norm, c)
        self.act = sites(act, "act", c)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        for b in range(1, self.num_blocks + 1):
            x = getattr(self, f"dense{b}")(x)
            if b < self.num_blocks:
                x = getattr(self, f"trans{b}")(x)
        return self.linear(torch.flatten(self.pool(self.act(self.bn(x))), 1))


@register_model(
    "densenet121", family="densenet",
    paper="Huang et al., Densely Connected Convolutional Networks, CVPR 2017, arXiv 1608.06993",
    input_shape=(3, 32, 32), test_shape=(3, 16, 16), test_kwargs={"growth_rate": 4, "block_config": (1, 2, 1, 1)},
)
def densenet121(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    growth_rate: int = 32, block_config: tuple[int, ...] = (6, 12, 24, 16), reduction: float = 0.5,
) -> DenseNet:
    """DenseNet-121, CIFAR form (7.0M parameters, 120 activation sites).

    Args:
        num_classes: logits. in_chans: image channels. act: activation spec.
        norm: ``norm(C)`` factory (default ``nn.BatchNorm2d``; ``None`` for none).
        growth_rate: g. block_config: layers per dense block. reduction: transition compression.
    """
    return DenseNet(tuple(block_config), growth_rate, reduction, num_classes, in_chans, act, norm)
