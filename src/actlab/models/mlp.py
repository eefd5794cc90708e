"""Multilayer perceptron: the plain dense baseline used throughout the activation papers."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, make_norm
from ._registry import register_model
from .blocks import act_arity

__all__ = ["MLP", "mlp"]


class DenseBlock(nn.Module):
    """``act(norm(W x + b))``, then optional dropout."""

    def __init__(self, fc: nn.Linear, norm: nn.Module, act: nn.Module, dropout: float) -> None:
        super().__init__()
        self.fc = fc
        self.norm = norm
        self.act = act
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.act(self.norm(self.fc(x))))


class MLP(nn.Module):
    """``depth`` hidden layers of ``width`` units and a linear head; the input is flattened.

    Args:
        num_classes: outputs of the linear head.
        in_features: input features after flattening (784 for 28x28 images).
        act: activation spec for every hidden layer (any form :func:`actlab.build_act` takes). A
            reducing activation of arity k (``maxout``, ``and_ail``, the gated units) gets a
            ``k * width`` wide linear layer, which it reduces to ``width`` units (more weights than
            the dense layer: pass a smaller ``width`` to match parameter counts).
        norm: factory ``norm(k * width)`` applied before each activation, or ``None``.
        depth: number of hidden layers (0 gives logistic regression).
        width: hidden units per layer.
        dropout: dropout after each hidden activation.
    """

    def __init__(
        self, num_classes: int, in_features: int, act: Any, norm: NormFactory, depth: int, width: int, dropout: float
    ) -> None:
        super().__init__()
        if depth < 0 or width < 1:
            raise ValueError(f"mlp needs depth >= 0 and width >= 1, got depth={depth}, width={width}")
        sites = ActSites()
        blocks, f = [], in_features
        for i in range(depth):
            name = f"blocks.{i}.act"
            chosen = sites.choose(act, name)
            pre = act_arity(chosen) * width  # channels before the activation (k of them make one unit)
            blocks.append(DenseBlock(nn.Linear(f, pre), make_norm(norm, pre), sites(chosen, name, pre), dropout))
            f = width
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(f, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(torch.flatten(x, 1)))


@register_model(
    "mlp", family="mlp", paper="Rumelhart, Hinton & Williams, Nature 1986 (multilayer perceptron)",
    input_shape=(784,), test_shape=(12,), test_kwargs={"width": 8},
)
def mlp(
    num_classes: int = 10, in_chans: int = 784, act: Any = "relu", norm: NormFactory = None,
    depth: int = 2, width: int = 256, dropout: float = 0.0,
) -> MLP:
    """Plain MLP; ``in_chans`` is the number of input features after flattening.

    Args:
        num_classes: outputs.
        in_chans: flattened input features (784 for MNIST, 40 for MNIST-1D, 2 for XOR/spirals).
        act: activation spec for each hidden layer.
        norm: optional ``norm(width)`` factory (e.g. ``nn.BatchNorm1d``), default none.
        depth: hidden layers. width: units per hidden layer. dropout: after each activation.
    """
    return MLP(num_classes, in_chans, act, norm, depth, width, dropout)
