"""PyNADA: pyramidal-neuron layers with an apical (ADA) and a basal (ReLU) branch.

Georgescu, Ionescu, Ristea & Sebe, "Non-linear neurons with human-like apical dendrite
activations", arXiv 2003.03229 (code: raduionescu/pynada). Every hidden layer holds two
independent linear maps (separate weights and biases) of the same input and outputs

    y = act(W_a x + b_a) + basal_act(W_b x + b_b),      act = ADA, basal_act = ReLU,

so it has twice the parameters of a standard layer; the logits layer is a plain linear map.
The authors' learnable-alpha variants share one scalar alpha across the network; here every
site gets its own activation module (pass a factory returning one shared module to tie them).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, conv_out, make_norm
from ._registry import register_model

__all__ = ["PyNADALayer", "PyNADAMLP", "PyNADALeNet", "pynada_mlp", "pynada_lenet"]

_PAPER = "Georgescu et al., Non-linear neurons with human-like apical dendrite activations, arXiv 2003.03229"


class PyNADALayer(nn.Module):
    """``act_a(norm_a(A x)) + act_b(norm_b(B x))`` with independent maps ``A`` and ``B``."""

    def __init__(
        self, make_map: Callable[[], nn.Module], norm: NormFactory, channels: int, act_a: nn.Module, act_b: nn.Module
    ) -> None:
        super().__init__()
        self.apical = make_map()
        self.basal = make_map()
        self.norm_a = make_norm(norm, channels)
        self.norm_b = make_norm(norm, channels)
        self.act_a = act_a
        self.act_b = act_b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act_a(self.norm_a(self.apical(x))) + self.act_b(self.norm_b(self.basal(x)))


class PyNADAMLP(nn.Module):
    """PyNADA dense layers of the given widths, then a linear head; the input is flattened."""

    def __init__(
        self, num_classes: int, in_features: int, act: Any, basal_act: Any, norm: NormFactory, widths: tuple[int, ...]
    ) -> None:
        super().__init__()
        sites = ActSites()
        layers, f = [], in_features
        for i, w in enumerate(widths):
            a = sites(act, f"layers.{i}.act_a", w)
            b = sites(basal_act, f"layers.{i}.act_b", w)
            layers.append(PyNADALayer(functools.partial(nn.Linear, f, w), norm, w, a, b))
            f = w
        self.layers = nn.Sequential(*layers)
        self.head = nn.Linear(f, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(torch.flatten(x, 1)))


class PyNADALeNet(nn.Module):
    """LeNet-5 (valid 5x5 convs 6, 16; max-pool 2; dense 120, 84) with every hidden layer PyNADA."""

    def __init__(
        self, num_classes: int, in_chans: int, act: Any, basal_act: Any, norm: NormFactory, image_size: int
    ) -> None:
        super().__init__()
        sites = ActSites()

        def layer(path: str, make_map: Callable[[], nn.Module], c: int) -> PyNADALayer:
            return PyNADALayer(make_map, norm, c, sites(act, f"{path}.act_a", c), sites(basal_act, f"{path}.act_b", c))

        s = conv_out(conv_out(conv_out(conv_out(image_size, 5), 2, 2), 5), 2, 2)
        self.features = nn.Sequential(
            layer("features.0", lambda: nn.Conv2d(in_chans, 6, 5), 6), nn.MaxPool2d(2),
            layer("features.2", lambda: nn.Conv2d(6, 16, 5), 16), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            layer("classifier.1", lambda: nn.Linear(16 * s * s, 120), 120),
            layer("classifier.2", lambda: nn.Linear(120, 84), 84),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register_model(
    "pynada_mlp", family="pynada", paper=_PAPER, input_shape=(784,), test_shape=(12,),
    test_kwargs={"widths": (6, 5)}, act_kwargs=("act", "basal_act"),
)
def pynada_mlp(
    num_classes: int = 10, in_chans: int = 784, act: Any = "ada", basal_act: Any = "relu",
    norm: NormFactory = None, widths: tuple[int, ...] = (100,),
) -> PyNADAMLP:
    """PyNADA MLP (the authors' Fashion-MNIST ``mlp_1_neuron``: one hidden layer of 100; use
    ``widths=(100, 10)`` for ``mlp_2_neuron``). Input flattened to ``in_chans`` features.

    Args:
        num_classes: logits. in_chans: flattened input features.
        act: apical activation (default ``"ada"``). basal_act: basal activation (default ``"relu"``).
        norm: optional factory applied to each branch before its activation (the paper has none).
        widths: hidden layer widths.
    """
    return PyNADAMLP(num_classes, in_chans, act, basal_act, norm, tuple(widths))


@register_model(
    "pynada_lenet", family="pynada", paper=_PAPER, input_shape=(1, 32, 32), test_shape=(1, 20, 20),
    test_kwargs={"image_size": 20}, act_kwargs=("act", "basal_act"),
)
def pynada_lenet(
    num_classes: int = 10, in_chans: int = 1, act: Any = "ada", basal_act: Any = "relu",
    norm: NormFactory = None, image_size: int = 32,
) -> PyNADALeNet:
    """PyNADA LeNet (the authors' ``neuron_lenet`` on 32x32 zero-padded Fashion-MNIST).

    Args:
        num_classes: logits. in_chans: image channels.
        act: apical activation (default ``"ada"``). basal_act: basal activation (default ``"relu"``).
        norm: optional factory applied to each branch before its activation (the paper has none).
        image_size: input height = width (32 in the paper; 28 also works).
    """
    return PyNADALeNet(num_classes, in_chans, act, basal_act, norm, image_size)
