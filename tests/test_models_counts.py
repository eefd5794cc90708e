"""Pinned parameter counts (10-class heads) and activation-site counts of the full-size models.

The counts are built once per model at full size (no forward pass). Sources: WRN and All-CNN-C
from the seed spec (§14, §16, DERIVED); CIFAR ResNets against He et al.'s table (0.27M, 0.46M,
0.66M, 0.85M, 1.7M); VGG/ResNet/DenseNet/MobileNet equal the kuangliu/pytorch-cifar models
(pre-act ResNet-18 has +1,024 for the paper's final norm); MNIST-1D CNN equals the mnist1d
reference (5,210); the transformers are counted by hand below.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actlab.models import create_model, list_models, model_info

# name: (parameters with a 10-class head, activation sites, paper's stated size or None)
PINNED = {
    "wrn28_10": (36_479_194, 25, 36.5e6),
    "wrn16_8": (10_961_370, 13, 11.0e6),
    "wrn40_4": (8_949_210, 37, 8.9e6),
    "wrn": (36_479_194, 25, 36.5e6),
    "allcnn_c": (1_369_738, 9, 1.37e6),
    "resnet20": (269_722, 19, 0.27e6),
    "resnet32": (464_154, 31, 0.46e6),
    "resnet44": (658_586, 43, 0.66e6),
    "resnet56": (853_018, 55, 0.85e6),
    "resnet110": (1_727_962, 109, 1.7e6),
    "resnet18": (11_173_962, 17, None),
    "resnet34": (21_282_122, 33, None),
    "resnet50": (23_520_842, 49, None),
    "preact_resnet18": (11_172_170, 17, None),
    "vgg11": (9_231_114, 8, None),
    "vgg13": (9_416_010, 10, None),
    "vgg16": (14_728_266, 13, None),
    "vgg19": (20_040_522, 16, None),
    "densenet121": (6_956_298, 120, None),
    "mobilenet": (3_217_226, 27, 3.2e6),
    "cnn1d": (5_210, 3, None),
    "lenet5": (61_706, 4, None),
    "mlp": (269_322, 2, None),
    "pynada_mlp": (158_010, 2, None),
    "pynada_lenet": (122_562, 8, None),
    "simple_cnn": (1_341_226, 7, None),
    "damage_cnn": (2_605_770, 5, None),
    # embeddings 99 x 128 + 64 x 128, 2 blocks x 198,272 (LN 256, qkv 49,536, proj 16,512, LN 256,
    # fc1 66,048, fc2 65,664), final LN 256, head 128 x 10 without bias
    "gpt": (418_944, 2, None),
    # patch conv 1,088, class token 64, positions 50 x 64, 4 blocks x 49,984, final LN 128, head 650
    "vit": (205_066, 4, None),
}


pytestmark = pytest.mark.usefixtures("one_thread")


class Sentinel(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 1.0


@pytest.mark.parametrize("name", sorted(PINNED))
def test_parameter_and_site_counts(name):
    params, sites, paper = PINNED[name]
    acts = {k: Sentinel for k in model_info(name).act_kwargs}
    model = create_model(name, num_classes=10, **acts)
    n = sum(p.numel() for p in model.parameters())
    assert n == params
    assert sum(isinstance(m, Sentinel) for m in model.modules()) == sites
    if paper is not None:
        assert abs(n - paper) / paper < 0.03, f"{name}: {n:,} far from the paper's {paper:,.0f}"


def test_single_neuron_counts():
    model = create_model("single_neuron", act=Sentinel)
    assert sum(p.numel() for p in model.parameters()) == 3 + 2  # w (2), b, readout scale and offset
    assert sum(p.numel() for p in create_model("single_neuron", readout=False).parameters()) == 3


def test_every_cnn_family_model_is_pinned():
    mine = {n for n in list_models() if model_info(n).family not in ("spiking_resnet", "mocapsnet")}
    assert mine - {"single_neuron"} == set(PINNED)


def test_resnet_cifar_site_formula():
    # 6n + 2 layers: stem activation + 2 per block, 3n blocks
    for depth in (20, 32, 44, 56, 110):
        assert PINNED[f"resnet{depth}"][1] == 1 + 2 * 3 * ((depth - 2) // 6)
