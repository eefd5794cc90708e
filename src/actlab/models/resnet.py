"""ResNet-18/34/50 with the CIFAR stem, and pre-activation ResNet-18 (kuangliu/pytorch-cifar form).

He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, arXiv 1512.03385;
He et al., "Identity Mappings in Deep Residual Networks", ECCV 2016, arXiv 1603.05027 (pre-act).
These are the CIFAR networks of the Dubey et al. benchmark (arXiv 2109.14545, code
shivram1987/ActivationFunctions): 3x3 stride-1 stem without max-pool, four stages of 64k
channels (k = 1, 2, 4, 8; strides 1, 2, 2, 2), norm before every activation, projection (1x1
conv + norm) shortcuts, global average pool, linear head.

Pre-activation ResNet-18: kuangliu's version has no norm/act after the last block; we follow
the paper (final norm + act before pooling), ``final_act=False`` gives the kuangliu form.
``stochastic_depth=p_L`` gates every block (see :mod:`actlab.models.stochastic_depth`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, kaiming_convs_, make_norm
from ._registry import register_model
from .stochastic_depth import apply_stochastic_depth, residual

__all__ = ["ResNet", "resnet18", "resnet34", "resnet50", "preact_resnet18"]


def _projection(in_planes: int, planes: int, stride: int, norm: NormFactory, with_norm: bool = True) -> nn.Module:
    if stride == 1 and in_planes == planes:
        return nn.Identity()
    conv = nn.Conv2d(in_planes, planes, 1, stride, bias=False)
    return nn.Sequential(conv, make_norm(norm, planes)) if with_norm else nn.Sequential(conv)


class BasicBlock(nn.Module):
    """``act(bn(conv(act(bn(conv(x))))) + shortcut(x))``."""

    expansion = 1

    def __init__(
        self, in_planes: int, planes: int, stride: int, norm: NormFactory, sites: ActSites, act: Any, path: str
    ) -> None:
        super().__init__()
        self.survival = 1.0
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = make_norm(norm, planes)
        self.act1 = sites(act, f"{path}.act1", planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = make_norm(norm, planes)
        self.act2 = sites(act, f"{path}.act2", planes)
        self.shortcut = _projection(in_planes, planes, stride, norm)

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act2(residual(self.shortcut(x), lambda: self.branch(x), self.survival, self.training))


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride) -> 1x1 (4x channels), act after each norm and after the addition."""

    expansion = 4

    def __init__(
        self, in_planes: int, planes: int, stride: int, norm: NormFactory, sites: ActSites, act: Any, path: str
    ) -> None:
        super().__init__()
        out = planes * self.expansion
        self.survival = 1.0
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = make_norm(norm, planes)
        self.act1 = sites(act, f"{path}.act1", planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = make_norm(norm, planes)
        self.act2 = sites(act, f"{path}.act2", planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = make_norm(norm, out)
        self.act3 = sites(act, f"{path}.act3", out)
        self.shortcut = _projection(in_planes, out, stride, norm)

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act1(self.bn1(self.conv1(x)))
        return self.bn3(self.conv3(self.act2(self.bn2(self.conv2(y)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act3(residual(self.shortcut(x), lambda: self.branch(x), self.survival, self.training))


class PreActBlock(nn.Module):
    """``o = act(bn(x))``; ``conv(act(bn(conv(o)))) + shortcut``; a projection shortcut reads ``o``."""

    expansion = 1

    def __init__(
        self, in_planes: int, planes: int, stride: int, norm: NormFactory, sites: ActSites, act: Any, path: str
    ) -> None:
        super().__init__()
        self.survival = 1.0
        self.bn1 = make_norm(norm, in_planes)
        self.act1 = sites(act, f"{path}.act1", in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn2 = make_norm(norm, planes)
        self.act2 = sites(act, f"{path}.act2", planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.shortcut = _projection(in_planes, planes, stride, norm, with_norm=False)
        self.projects = not isinstance(self.shortcut, nn.Identity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = self.act1(self.bn1(x))
        short = self.shortcut(o) if self.projects else x
        return residual(short, lambda: self.conv2(self.act2(self.bn2(self.conv1(o)))), self.survival, self.training)


_Block = type[BasicBlock] | type[Bottleneck] | type[PreActBlock]


class ResNet(nn.Module):
    """CIFAR-stem ResNet over ``block`` with ``num_blocks`` per stage."""

    layer1: nn.Sequential  # the four stages, set in __init__ by name
    layer2: nn.Sequential
    layer3: nn.Sequential
    layer4: nn.Sequential

    def __init__(
        self, block: _Block, num_blocks: tuple[int, ...], num_classes: int, in_chans: int, act: Any,
        norm: NormFactory, base_width: int, stochastic_depth: float | None, final_act: bool,
    ) -> None:
        super().__init__()
        sites = ActSites()
        preact = block is PreActBlock
        self.conv1 = nn.Conv2d(in_chans, base_width, 3, 1, 1, bias=False)
        self.bn1 = nn.Identity() if preact else make_norm(norm, base_width)
        self.act1 = nn.Identity() if preact else sites(act, "act1", base_width)
        c = base_width
        for s, (n, stride) in enumerate(zip(num_blocks, (1, 2, 2, 2), strict=True)):
            planes, blocks = base_width * 2**s, []
            for i in range(n):
                blocks.append(block(c, planes, stride if i == 0 else 1, norm, sites, act, f"layer{s + 1}.{i}"))
                c = planes * block.expansion
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.final_norm = make_norm(norm, c) if preact and final_act else nn.Identity()
        self.final_act = sites(act, "final_act", c) if preact and final_act else nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)
        kaiming_convs_(self)
        apply_stochastic_depth(self.blocks(), stochastic_depth)

    def blocks(self) -> list[nn.Module]:
        """Residual blocks in order from the input."""
        return [b for layer in (self.layer1, self.layer2, self.layer3, self.layer4) for b in layer]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.final_act(self.final_norm(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def _create_resnet(
    block: _Block, num_blocks: tuple[int, ...], num_classes: int, in_chans: int, act: Any, norm: NormFactory,
    stochastic_depth: float | None, base_width: int, final_act: bool = True,
) -> ResNet:
    return ResNet(block, num_blocks, num_classes, in_chans, act, norm, base_width, stochastic_depth, final_act)


_PAPER = "He et al., Deep Residual Learning for Image Recognition, CVPR 2016, arXiv 1512.03385"
_TEST: dict[str, Any] = dict(
    family="resnet", input_shape=(3, 32, 32), test_shape=(3, 16, 16), test_kwargs={"base_width": 4},
)


@register_model("resnet18", paper=_PAPER, **_TEST)
def resnet18(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    stochastic_depth: float | None = None, base_width: int = 64,
) -> ResNet:
    """ResNet-18, CIFAR stem (11.2M parameters, 17 activation sites).

    Args:
        num_classes: logits. in_chans: image channels. act: activation spec.
        norm: ``norm(C)`` factory (default ``nn.BatchNorm2d``; ``None`` for none).
        stochastic_depth: p_L for linear-decay stochastic depth, or ``None`` (off).
        base_width: channels of the first stage (64); stage s has base_width * 2**s.
    """
    return _create_resnet(BasicBlock, (2, 2, 2, 2), num_classes, in_chans, act, norm, stochastic_depth, base_width)


@register_model("resnet34", paper=_PAPER, **_TEST)
def resnet34(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    stochastic_depth: float | None = None, base_width: int = 64,
) -> ResNet:
    """ResNet-34, CIFAR stem (21.3M parameters). Arguments as for :func:`resnet18`."""
    return _create_resnet(BasicBlock, (3, 4, 6, 3), num_classes, in_chans, act, norm, stochastic_depth, base_width)


@register_model("resnet50", paper=_PAPER, **_TEST)
def resnet50(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    stochastic_depth: float | None = None, base_width: int = 64,
) -> ResNet:
    """ResNet-50 (bottleneck blocks), CIFAR stem (23.5M parameters). Arguments as for :func:`resnet18`."""
    return _create_resnet(Bottleneck, (3, 4, 6, 3), num_classes, in_chans, act, norm, stochastic_depth, base_width)


@register_model(
    "preact_resnet18",
    paper="He et al., Identity Mappings in Deep Residual Networks, ECCV 2016, arXiv 1603.05027",
    **_TEST,
)
def preact_resnet18(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = nn.BatchNorm2d,
    stochastic_depth: float | None = None, base_width: int = 64, final_act: bool = True,
) -> ResNet:
    """Pre-activation ResNet-18, CIFAR stem.

    Args:
        num_classes, in_chans, act, norm, stochastic_depth, base_width: as for :func:`resnet18`.
        final_act: True: norm + act after the last block, as in the paper; False: the
            kuangliu/pytorch-cifar form without them.
    """
    return _create_resnet(
        PreActBlock, (2, 2, 2, 2), num_classes, in_chans, act, norm, stochastic_depth, base_width, final_act
    )
