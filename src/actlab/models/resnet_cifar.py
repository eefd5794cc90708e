"""He et al.'s CIFAR ResNets (resnet20/32/44/56/110): 6n+2 layers, widths 16/32/64, option-A shortcuts.

He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, arXiv 1512.03385,
section 4.2. Post-activation basic blocks ``act(bn(conv(act(bn(conv(x))))) + shortcut(x))``;
the shortcut is parameter-free ("option A"): spatial subsampling by 2 and zero-padding of the new
channels. ``shortcut_pool="avg"`` uses 2x2 average pooling instead, as the stochastic-depth code
does (Huang et al., arXiv 1603.09382). ``stochastic_depth=p_L`` turns on linear-decay stochastic
depth over all 3n blocks (see :mod:`actlab.models.stochastic_depth`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ._common import ActSites, NormFactory, kaiming_convs_, make_norm
from ._registry import register_model
from .stochastic_depth import apply_stochastic_depth, residual

__all__ = ["CifarResNet", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110"]

_PAPER = "He et al., Deep Residual Learning for Image Recognition, CVPR 2016, arXiv 1512.03385"


class ShortcutA(nn.Module):
    """Parameter-free shortcut: subsample (or 2x2 average-pool) by ``stride``, zero-pad channels."""

    def __init__(self, in_planes: int, planes: int, stride: int, pool: str) -> None:
        super().__init__()
        if pool not in ("subsample", "avg"):
            raise ValueError(f"shortcut_pool must be 'subsample' or 'avg', got {pool!r}")
        self.extra, self.stride, self.pool = planes - in_planes, stride, pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride] if self.pool == "subsample" else F.avg_pool2d(x, self.stride)
        return F.pad(x, (0, 0, 0, 0, 0, self.extra)) if self.extra else x


class BasicBlockA(nn.Module):
    """Post-activation basic block with an option-A shortcut and a stochastic-depth gate."""

    def __init__(
        self, in_planes: int, planes: int, stride: int, norm: NormFactory, sites: ActSites, act: Any, path: str,
        pool: str,
    ) -> None:
        super().__init__()
        self.survival = 1.0
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = make_norm(norm, planes)
        self.act1 = sites(act, f"{path}.act1", planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = make_norm(norm, planes)
        self.act2 = sites(act, f"{path}.act2", planes)
        self.shortcut = (
            ShortcutA(in_planes, planes, stride, pool) if stride != 1 or in_planes != planes else nn.Identity()
        )

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act2(residual(self.shortcut(x), lambda: self.branch(x), self.survival, self.training))


class CifarResNet(nn.Module):
    """conv3x3(16)-bn-act, three stages of ``n`` blocks (16, 32, 64 channels), global average, linear."""

    layer1: nn.Sequential  # the three stages, set in __init__ by name
    layer2: nn.Sequential
    layer3: nn.Sequential

    def __init__(
        self, n: int, num_classes: int, in_chans: int, act: Any, norm: NormFactory,
        stochastic_depth: float | None, shortcut_pool: str, widths: tuple[int, ...],
    ) -> None:
        super().__init__()
        sites = ActSites()
        self.conv1 = nn.Conv2d(in_chans, widths[0], 3, 1, 1, bias=False)
        self.bn1 = make_norm(norm, widths[0])
        self.act1 = sites(act, "act1", widths[0])
        c = widths[0]
        for s, (w, stride) in enumerate(zip(widths, (1, 2, 2), strict=True)):
            blocks = []
            for i in range(n):
                blocks.append(
                    BasicBlockA(c, w, stride if i == 0 else 1, norm, sites, act, f"layer{s + 1}.{i}", shortcut_pool)
                )
                c = w
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)
        kaiming_convs_(self)
        apply_stochastic_depth(self.blocks(), stochastic_depth)

    def blocks(self) -> list[nn.Module]:
        """Residual blocks in order from the input (the stochastic-depth ``l = 1..L``)."""
        return [b for layer in (self.layer1, self.layer2, self.layer3) for b in layer]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def _create_cifar_resnet(
    depth: int, num_classes: int, in_chans: int, act: Any, norm: NormFactory = nn.BatchNorm2d,
    stochastic_depth: float | None = None, shortcut_pool: str = "subsample", widths: tuple[int, ...] = (16, 32, 64),
) -> CifarResNet:
    if (depth - 2) % 6:
        raise ValueError(f"CIFAR ResNet depth must be 6n+2 (20, 32, 44, 56, 110, 1202), got {depth}")
    if len(widths) != 3:
        raise ValueError(f"widths gives the channels of the 3 stages, e.g. (16, 32, 64); got {widths!r}")
    n = (depth - 2) // 6
    return CifarResNet(n, num_classes, in_chans, act, norm, stochastic_depth, shortcut_pool, tuple(widths))


_TEST: dict[str, Any] = dict(
    family="resnet_cifar", paper=_PAPER, input_shape=(3, 32, 32), test_shape=(3, 8, 8),
    test_kwargs={"widths": (4, 8, 8)},
)


@register_model("resnet20", **_TEST)
def resnet20(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    stochastic_depth: float | None = None, shortcut_pool: str = "subsample", widths: tuple[int, ...] = (16, 32, 64),
) -> CifarResNet:
    """ResNet-20 (He et al. 2016, ~0.27M parameters).

    Args:
        num_classes: logits. in_chans: image channels. act: activation spec (19 sites).
        norm: ``norm(C)`` factory (default ``nn.BatchNorm2d``; ``None`` for none).
        stochastic_depth: p_L for linear-decay stochastic depth, or ``None`` (off).
        shortcut_pool: ``"subsample"`` (the paper) or ``"avg"`` (2x2 average pool, stochastic-depth code).
        widths: channels of the three stages (16, 32, 64).
    """
    return _create_cifar_resnet(20, num_classes, in_chans, act, norm, stochastic_depth, shortcut_pool, widths)


@register_model("resnet32", **_TEST)
def resnet32(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    stochastic_depth: float | None = None, shortcut_pool: str = "subsample", widths: tuple[int, ...] = (16, 32, 64),
) -> CifarResNet:
    """ResNet-32 (He et al. 2016, ~0.46M parameters). Arguments as for :func:`resnet20`."""
    return _create_cifar_resnet(32, num_classes, in_chans, act, norm, stochastic_depth, shortcut_pool, widths)


@register_model("resnet44", **_TEST)
def resnet44(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    stochastic_depth: float | None = None, shortcut_pool: str = "subsample", widths: tuple[int, ...] = (16, 32, 64),
) -> CifarResNet:
    """ResNet-44 (He et al. 2016, ~0.66M parameters). Arguments as for :func:`resnet20`."""
    return _create_cifar_resnet(44, num_classes, in_chans, act, norm, stochastic_depth, shortcut_pool, widths)


@register_model("resnet56", **_TEST)
def resnet56(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    stochastic_depth: float | None = None, shortcut_pool: str = "subsample", widths: tuple[int, ...] = (16, 32, 64),
) -> CifarResNet:
    """ResNet-56 (He et al. 2016, ~0.85M parameters). Arguments as for :func:`resnet20`."""
    return _create_cifar_resnet(56, num_classes, in_chans, act, norm, stochastic_depth, shortcut_pool, widths)


@register_model("resnet110", **_TEST)
def resnet110(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    stochastic_depth: float | None = None, shortcut_pool: str = "subsample", widths: tuple[int, ...] = (16, 32, 64),
) -> CifarResNet:
    """ResNet-110 (He et al. 2016, ~1.7M parameters; the stochastic-depth paper's 110-layer net,
    54 blocks, with ``stochastic_depth=0.5`` and ``shortcut_pool="avg"``). Arguments as for :func:`resnet20`."""
    return _create_cifar_resnet(110, num_classes, in_chans, act, norm, stochastic_depth, shortcut_pool, widths)
