"""What an activation is: recognised modules (torch, actlab, transformers, timm), the function each
computes, site selection, the channel layout of the layers around a site."""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..activations import Activation
from ..activations._registry import ACTIVATIONS, activation_class, canonical_activation_name
from ..activations.ecosystem import ecosystem_row
from ..activations.torch_table import (
    TORCH_ACTIVATION_CLASSES,
    is_torch_activation,
    torch_module_row,
    zoo_equivalent,
)
from ..errors import UserError
from ..registry import normalize_name

__all__ = ["UntraceableError", "is_activation_module"]

Where = None | str | type | tuple | Callable[[str, nn.Module], bool]


class UntraceableError(UserError, ValueError):
    """``torch.fx`` cannot trace the module that makes functional activation calls, so they cannot be swapped."""


# ---------------------------------------------------------------------------------- classification
def _registered_classes() -> tuple[type, ...]:
    return tuple({ACTIVATIONS.get(n) for n in ACTIVATIONS})


def is_activation_module(m: nn.Module) -> bool:
    """Whether ``m`` is an activation: a ``torch.nn`` activation of the torch table
    (:mod:`actlab.activations.torch_table`), an actlab one, a registered class, or a transformers /
    timm activation class (:mod:`actlab.activations.ecosystem`, recognised by name)."""
    known = isinstance(m, (Activation, *TORCH_ACTIVATION_CLASSES, *_registered_classes()))
    return known or ecosystem_row(m) is not None


def keyword_defaults(cls: type[nn.Module]) -> dict[str, Any]:
    """Default values of the keyword-only hyperparameters of an activation class's constructor."""
    params = inspect.signature(cls.__init__).parameters.values()
    return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}


def base_name(m: nn.Module) -> str | None:
    """Registry name of the fixed function ``m`` computes, or ``None`` (PReLU, LeakyReLU(0.2), PVLU...).

    A ``torch.nn`` module has one when it equals its zoo activation (the torch table) at that
    activation's default hyperparameters and holds no trainable parameters; an actlab module when
    its parameters are at their documented initial values and its constants at their defaults.
    """
    eco = ecosystem_row(m) if not is_torch_activation(m) else None
    if eco is not None:
        return eco.name if not any(True for _ in m.parameters()) else None
    if is_torch_activation(m):
        row, eq = torch_module_row(m), zoo_equivalent(m)
        if row is None or row.trainable or eq is None:
            return None
        name, kwargs = eq
        defaults = keyword_defaults(activation_class(name))
        return name if all(k in defaults and defaults[k] == v for k, v in kwargs.items()) else None
    info = getattr(m, "info", None)
    if not isinstance(m, Activation) or info is None:
        return None
    inits = {p.name: p.init for p in info.params}
    for name, value in m.param_values().items():  # only at its documented values is it "the" function
        if name not in inits or not torch.allclose(value.detach().double(), torch.tensor(inits[name]).double()):
            return None
    defaults = keyword_defaults(type(m))
    if any(c in defaults and getattr(m, c) != defaults[c] for c in type(m).consts):
        return None  # Softplus(threshold=5), RReLU(lower=0.1): another function than the row's
    return info.name


def same_name(a: str, b: str) -> bool:
    def canon(n: str) -> str:
        try:
            return canonical_activation_name(n)
        except ValueError:
            return normalize_name(n)

    return canon(a) == canon(b)


def in_channels(m: nn.Module) -> tuple[int, int] | None:
    """(channels, channel_dim) of the input of a conv / linear / norm layer, else ``None``."""
    if isinstance(m, nn.modules.conv._ConvNd):
        return m.in_channels, 1
    if isinstance(m, nn.Linear):
        return m.in_features, -1
    return out_channels(m)  # norm layers keep their channels


def out_channels(m: nn.Module) -> tuple[int, int] | None:
    """(channels, channel_dim) of the output of a conv / linear / norm layer, else ``None``."""
    if isinstance(m, nn.modules.conv._ConvNd):
        return m.out_channels, 1
    if isinstance(m, nn.Linear):
        return m.out_features, -1
    if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm)):
        return m.num_features, 1
    if isinstance(m, nn.GroupNorm):
        return m.num_channels, 1
    if isinstance(m, nn.LayerNorm):
        return int(m.normalized_shape[-1]), -1
    nf = getattr(m, "nf", None)
    if type(m).__name__ == "Conv1D" and isinstance(nf, int):  # transformers' GPT-2 linear layer
        return nf, -1
    return None


def selector(where: Where) -> Callable[[str, nn.Module], bool]:
    if where is None:
        return lambda name, m: True
    if isinstance(where, str):
        return lambda name, m: fnmatch.fnmatchcase(name, where)
    if isinstance(where, type) or (isinstance(where, tuple) and all(isinstance(t, type) for t in where)):
        return lambda name, m: isinstance(m, where)
    if callable(where):
        return lambda name, m: bool(where(name, m))
    raise ValueError(
        f"where must be None, a module class (or tuple of classes), a glob over site names such as "
        f"'layer1.*', or a predicate fn(name, module) -> bool; got {where!r}"
    )


def choose_channels(
    shape: tuple[int, ...] | None, hints: list[tuple[int, int]], channel_dim: int | None
) -> tuple[int | None, int | None]:
    """(num_channels, channel_dim) of a site from the shape it sees and the layers around it.

    ``hints`` are (channels, preferred dim) of the layer before and after the site (-1 after a
    Linear / LayerNorm, 1 after a conv / BatchNorm). The dim is the one whose size is the layer's
    channel count (a (B, N, C) tensor after a BatchNorm1d over its flattened tokens has C at -1, not
    the token count at 1); a tensor of rank 3 with no layer to say which axis holds channels gets
    ``(None, None)``: ambiguous, never guessed.
    """
    if channel_dim is not None:
        return (int(shape[channel_dim]) if shape is not None and len(shape) > 1 else None), channel_dim
    if shape is None or len(shape) < 2:
        return hints[0] if hints else (None, None)
    rank = len(shape)
    for count, dim in hints:
        if shape[dim] == count:
            return count, dim
    for count, _ in hints:
        for dim in (-1, 1, *range(2, rank - 1)):
            if shape[dim] == count:
                return count, dim
    if rank == 2:
        return int(shape[-1]), -1
    if rank >= 4:
        return int(shape[1]), 1
    return None, None
