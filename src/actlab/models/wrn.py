"""Wide Residual Networks WRN-d-k (Zagoruyko & Komodakis, BMVC 2016, arXiv 1605.07146).

Following szagoruyko/wide-residual-networks: d = 6n + 4; stem 3x3 conv to 16 channels; three
groups of n pre-activation blocks with 16k, 32k, 64k channels (strides 1, 2, 2); head
norm-act, global average pool (8x8 on CIFAR), linear. Block B(3,3):

    o = act(norm(x)); y = conv3x3(o, stride); y = act(norm(y)); y = dropout(y); y = conv3x3(y)
    out = y + (x if shapes match else conv1x1(o, stride))

Dropout sits between the two convolutions, after the activation. Convs have no bias. The
paper's dropout rate (0.3 on CIFAR) is UNCONFIRMED and the code's default is 0, so
``dropout=0.0`` by default. ``stochastic_depth=p_L`` gates every block.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, kaiming_convs_, make_norm
from ._registry import register_model
from .stochastic_depth import apply_stochastic_depth, residual

__all__ = ["WideResNet", "wrn", "wrn16_8", "wrn28_10", "wrn40_4"]

_PAPER = "Zagoruyko & Komodakis, Wide Residual Networks, BMVC 2016, arXiv 1605.07146"


class WideBlock(nn.Module):
    """Pre-activation B(3,3) block with dropout between the convs; the 1x1 shortcut reads ``o``."""

    def __init__(
        self, in_planes: int, planes: int, stride: int, dropout: float, norm: NormFactory, sites: ActSites, act: Any,
        path: str,
    ) -> None:
        super().__init__()
        self.survival = 1.0
        self.bn1 = make_norm(norm, in_planes)
        self.act1 = sites(act, f"{path}.act1", in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn2 = make_norm(norm, planes)
        self.act2 = sites(act, f"{path}.act2", planes)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.projects = stride != 1 or in_planes != planes
        self.shortcut = nn.Conv2d(in_planes, planes, 1, stride, bias=False) if self.projects else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = self.act1(self.bn1(x))
        short = self.shortcut(o) if self.projects else x
        return residual(
            short, lambda: self.conv2(self.drop(self.act2(self.bn2(self.conv1(o))))), self.survival, self.training
        )


class WideResNet(nn.Module):
    """WRN-d-k; see the module docstring."""

    block1: nn.Sequential  # the three groups, set in __init__ by name
    block2: nn.Sequential
    block3: nn.Sequential

    def __init__(
        self, depth: int, widen: int, num_classes: int, in_chans: int, act: Any, norm: NormFactory,
        dropout: float, stochastic_depth: float | None, base_width: int,
    ) -> None:
        super().__init__()
        if (depth - 4) % 6 or depth < 10:
            raise ValueError(f"WRN depth must be 6n+4 with n >= 1 (10, 16, 22, 28, 40, ...), got {depth}")
        n = (depth - 4) // 6
        sites = ActSites()
        self.conv1 = nn.Conv2d(in_chans, base_width, 3, 1, 1, bias=False)
        c = base_width
        for g, stride in enumerate((1, 2, 2)):
            planes, blocks = base_width * 2**g * widen, []
            for i in range(n):
                blocks.append(
                    WideBlock(c, planes, stride if i == 0 else 1, dropout, norm, sites, act, f"block{g + 1}.{i}")
                )
                c = planes
            setattr(self, f"block{g + 1}", nn.Sequential(*blocks))
        self.bn = make_norm(norm, c)
        self.act = sites(act, "act", c)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)
        kaiming_convs_(self)
        apply_stochastic_depth(self.blocks(), stochastic_depth)

    def blocks(self) -> list[nn.Module]:
        """Residual blocks in order from the input."""
        return [b for g in (self.block1, self.block2, self.block3) for b in g]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        return self.fc(torch.flatten(self.pool(self.act(self.bn(x))), 1))


_COMMON: dict[str, Any] = dict(family="wrn", paper=_PAPER, input_shape=(3, 32, 32), test_shape=(3, 8, 8))


@register_model("wrn", **_COMMON, test_kwargs={"depth": 10, "widen": 1, "base_width": 4})
def wrn(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    depth: int = 28, widen: int = 10, dropout: float = 0.0, stochastic_depth: float | None = None,
    base_width: int = 16,
) -> WideResNet:
    """WRN-depth-widen.

    Args:
        num_classes: logits. in_chans: image channels. act: activation spec (2 per block + 1).
        norm: ``norm(C)`` factory (default ``nn.BatchNorm2d``; ``None`` for none).
        depth: 6n + 4. widen: widening factor k.
        dropout: rate between the two convs of each block (the paper uses 0.3 on CIFAR, UNCONFIRMED).
        stochastic_depth: p_L for linear-decay stochastic depth, or ``None`` (off).
        base_width: stem channels (16); the groups have base_width * (1, 2, 4) * k.
    """
    return WideResNet(depth, widen, num_classes, in_chans, act, norm, dropout, stochastic_depth, base_width)


@register_model("wrn16_8", **_COMMON, test_kwargs={"base_width": 1, "widen": 2})
def wrn16_8(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    widen: int = 8, dropout: float = 0.0, stochastic_depth: float | None = None, base_width: int = 16,
) -> WideResNet:
    """WRN-16-8 (10,961,370 parameters for 10 classes). Arguments as for :func:`wrn` (depth fixed at 16)."""
    return wrn(num_classes, in_chans, act, norm, 16, widen, dropout, stochastic_depth, base_width)


@register_model("wrn28_10", **_COMMON, test_kwargs={"base_width": 1, "widen": 2})
def wrn28_10(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    widen: int = 10, dropout: float = 0.0, stochastic_depth: float | None = None, base_width: int = 16,
) -> WideResNet:
    """WRN-28-10 (36,479,194 parameters for 10 classes). Arguments as for :func:`wrn` (depth fixed at 28)."""
    return wrn(num_classes, in_chans, act, norm, 28, widen, dropout, stochastic_depth, base_width)


@register_model("wrn40_4", **_COMMON, test_kwargs={"base_width": 1, "widen": 2})
def wrn40_4(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    widen: int = 4, dropout: float = 0.0, stochastic_depth: float | None = None, base_width: int = 16,
) -> WideResNet:
    """WRN-40-4 (8,949,210 parameters for 10 classes). Arguments as for :func:`wrn` (depth fixed at 40)."""
    return wrn(num_classes, in_chans, act, norm, 40, widen, dropout, stochastic_depth, base_width)
