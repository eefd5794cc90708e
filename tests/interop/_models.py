"""Builders for the interop suite: 27 third-party models at small inputs with random weights.

One row per model (:data:`MODELS`): where it comes from, how to build it (random weights, no
download), a small example input, and the base activations it uses (what a warm start must be
exact from). Hugging Face models are built from tiny configs. Imported only inside the interop
environment (torchvision, timm and transformers installed); see ``tests/interop/conftest.py``.

Example (interop environment):
    >>> from _models import MODELS, build
    >>> model, x = build(MODELS["timm/resnet18"])
    >>> tuple(output_tensor(model(x)).shape)
    (2, 10)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

__all__ = ["ModelCase", "MODELS", "build", "output_tensor"]

_NUM_CLASSES = 10


@dataclass(frozen=True)
class ModelCase:
    """One third-party model of the interop suite.

    Args:
        name: ``"<library>/<model>"``, e.g. ``"timm/vit_tiny_patch16_224"``.
        make: builds the model with random weights (``torch.manual_seed`` is set by :func:`build`).
        example: builds the example batch (a float image batch or integer token ids).
        bases: the registry names of the activations the model computes (warm start must be exact
            from each of them).
        gates: the registry names of the activations it uses as gates (a sigmoid multiplying a
            tensor, as in squeeze-excitation): left by a default swap.
        methods: attributes of the user's model that a swap must keep (beyond ``forward``).
    """

    name: str
    make: Callable[[], nn.Module]
    example: Callable[[], torch.Tensor]
    bases: tuple[str, ...]
    gates: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()

    @property
    def library(self) -> str:
        return self.name.split("/", 1)[0]


def _image(size: int) -> Callable[[], torch.Tensor]:
    return lambda: torch.randn(2, 3, size, size)


def _tokens(vocab: int = 64, length: int = 8) -> Callable[[], torch.Tensor]:
    return lambda: torch.randint(0, vocab, (2, length))


def _tv(name: str, **kw: Any) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        import torchvision

        return torchvision.models.get_model(name, weights=None, num_classes=_NUM_CLASSES, **kw)

    return make


def _timm(name: str, **kw: Any) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        import timm

        return timm.create_model(name, pretrained=False, num_classes=_NUM_CLASSES, **kw)

    return make


_HF_SMALL = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}


def _hf_bert() -> nn.Module:
    from transformers import BertConfig, BertModel

    return BertModel(BertConfig(vocab_size=64, max_position_embeddings=32, **_HF_SMALL))


def _hf_gpt2() -> nn.Module:
    from transformers import GPT2Config, GPT2Model

    special = {"bos_token_id": 0, "eos_token_id": 0}  # inside the tiny vocabulary
    return GPT2Model(GPT2Config(vocab_size=64, n_positions=32, n_embd=32, n_layer=2, n_head=2, n_inner=64, **special))


def _hf_llama() -> nn.Module:
    from transformers import LlamaConfig, LlamaModel

    return LlamaModel(LlamaConfig(vocab_size=64, max_position_embeddings=32, num_key_value_heads=2, **_HF_SMALL))


def _hf_vit() -> nn.Module:
    from transformers import ViTConfig, ViTModel

    return ViTModel(ViTConfig(image_size=32, patch_size=8, num_channels=3, **_HF_SMALL))


_HF_API = ("get_input_embeddings", "config")
_TIMM_API = ("forward_features", "forward_head", "reset_classifier", "get_classifier", "pretrained_cfg")

_ROWS = (
    ModelCase("torchvision/resnet18", _tv("resnet18"), _image(32), ("relu",)),
    ModelCase("torchvision/resnet50", _tv("resnet50"), _image(32), ("relu",)),
    ModelCase(
        "torchvision/mobilenet_v3_small", _tv("mobilenet_v3_small"), _image(32), ("hardswish", "relu"), ("hardsigmoid",)
    ),
    ModelCase("torchvision/efficientnet_b0", _tv("efficientnet_b0"), _image(32), ("silu",), ("sigmoid",)),
    ModelCase("torchvision/convnext_tiny", _tv("convnext_tiny"), _image(32), ("gelu",)),
    ModelCase("torchvision/regnet_y_400mf", _tv("regnet_y_400mf"), _image(32), ("relu",), ("sigmoid",)),
    ModelCase("torchvision/densenet121", _tv("densenet121"), _image(32), ("relu",)),
    ModelCase("torchvision/vit_b_16", _tv("vit_b_16", image_size=32), _image(32), ("gelu",)),
    ModelCase("torchvision/swin_t", _tv("swin_t"), _image(32), ("gelu",)),
    ModelCase("torchvision/shufflenet_v2_x1_0", _tv("shufflenet_v2_x1_0"), _image(32), ("relu",)),
    ModelCase("torchvision/squeezenet1_0", _tv("squeezenet1_0"), _image(64), ("relu",)),
    ModelCase("timm/resnet18", _timm("resnet18"), _image(32), ("relu",), (), _TIMM_API),
    ModelCase("timm/convnext_atto", _timm("convnext_atto"), _image(32), ("gelu",), (), _TIMM_API),
    ModelCase("timm/efficientnet_b0", _timm("efficientnet_b0"), _image(32), ("silu",), ("sigmoid",), _TIMM_API),
    ModelCase(
        "timm/mobilenetv3_small_100", _timm("mobilenetv3_small_100"), _image(32), ("hardswish", "relu"),
        ("hardsigmoid",), _TIMM_API,
    ),
    ModelCase(
        "timm/vit_tiny_patch16_224", _timm("vit_tiny_patch16_224", img_size=32), _image(32), ("gelu",), (), _TIMM_API
    ),
    ModelCase(
        "timm/deit_tiny_patch16_224", _timm("deit_tiny_patch16_224", img_size=32), _image(32), ("gelu",), (), _TIMM_API
    ),
    ModelCase("timm/mixer_s16_224", _timm("mixer_s16_224", img_size=32), _image(32), ("gelu",), (), _TIMM_API),
    ModelCase("timm/poolformer_s12", _timm("poolformer_s12"), _image(32), ("gelu",), (), _TIMM_API),
    ModelCase("timm/regnety_002", _timm("regnety_002"), _image(32), ("relu",), ("sigmoid",), _TIMM_API),
    ModelCase("timm/ghostnet_100", _timm("ghostnet_100"), _image(32), ("relu",), ("hardsigmoid",), _TIMM_API),
    ModelCase("timm/fastvit_t8", _timm("fastvit_t8"), _image(64), ("gelu", "relu"), ("sigmoid",), _TIMM_API),
    ModelCase("timm/levit_128s", _timm("levit_128s", img_size=64), _image(64), ("hardswish",), (), _TIMM_API),
    ModelCase("transformers/bert", _hf_bert, _tokens(), ("gelu", "tanh"), (), _HF_API),
    ModelCase("transformers/gpt2", _hf_gpt2, _tokens(), ("gelu_tanh",), (), _HF_API),
    ModelCase("transformers/llama", _hf_llama, _tokens(), ("silu",), (), _HF_API),
    ModelCase("transformers/vit", _hf_vit, _image(32), ("gelu", "tanh"), (), _HF_API),
)

#: every model of the suite by name.
MODELS: dict[str, ModelCase] = {row.name: row for row in _ROWS}


def build(case: ModelCase, seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    """The model (random weights from ``seed``, eval mode) and its example batch."""
    torch.manual_seed(seed)
    model = case.make().eval()
    return model, case.example()


def output_tensor(out: Any) -> torch.Tensor:
    """The main tensor of a model's output: itself, a Hugging Face output's first field, a tuple's first."""
    if isinstance(out, torch.Tensor):
        return out
    if hasattr(out, "last_hidden_state") and out.last_hidden_state is not None:
        return out.last_hidden_state
    if isinstance(out, (tuple, list)) or hasattr(out, "to_tuple"):
        first = out[0]
        return output_tensor(first)
    raise TypeError(f"no tensor in a model output of type {type(out).__name__}")
