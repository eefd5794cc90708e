"""The layers initialization schemes set, their fan-in, and the classic fan-in schemes.

Weighted layers are ``nn.Linear`` and ``nn.Conv1d/2d/3d`` (grouped and depthwise included), and
the transposed linear layer of Hugging Face GPT-2 (``Conv1D``, weight ``(in, out)``); their fan-in
is ``rows[0].numel()`` = ``in_features`` or ``in_channels / groups * prod(kernel_size)``, ``rows``
the weight with one row per output unit (:func:`weight_rows`).
This is the bottom of :mod:`actlab.init`: it imports nothing from the package.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = [
    "WEIGHTED_LAYERS", "bias_of", "fan_in", "is_linear", "is_transposed", "is_weighted", "kaiming_", "lecun_",
    "siren_", "weight_of", "weight_rows",
]  # fmt: skip

WEIGHTED_LAYERS: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


#: transposed linear layers, by class name: ``y = x @ W + b`` with ``W`` of shape ``(in, out)``
TRANSPOSED_LINEAR = ("Conv1D",)


def is_transposed(module: nn.Module) -> bool:
    """Whether ``module`` is a transposed linear layer (Hugging Face ``Conv1D``: weight ``(in, out)``)."""
    w = getattr(module, "weight", None)
    return type(module).__name__ in TRANSPOSED_LINEAR and isinstance(w, torch.Tensor) and w.dim() == 2


def is_linear(module: nn.Module) -> bool:
    """Whether ``module`` maps the last dim linearly (``nn.Linear`` or a transposed linear layer)."""
    return isinstance(module, nn.Linear) or is_transposed(module)


def is_weighted(module: nn.Module) -> bool:
    """Whether ``module`` is a layer that (re-)initialization schemes set (Linear, Conv1d/2d/3d, ``Conv1D``)."""
    return (
        type(module) in WEIGHTED_LAYERS
        or (isinstance(module, WEIGHTED_LAYERS) and getattr(module, "weight", None) is not None)
        or is_transposed(module)
    )


def weight_rows(module: nn.Module) -> torch.Tensor:
    """The weight with one row (first index) per output unit: a view, so in-place draws reach the layer."""
    w = weight_of(module)
    return w.t() if is_transposed(module) else w


def weight_of(module: nn.Module) -> torch.Tensor:
    """The ``weight`` tensor of a weighted layer (``TypeError`` naming the layer when it has none)."""
    weight = getattr(module, "weight", None)
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"{type(module).__name__} has no weight tensor; expected one of {WEIGHTED_LAYERS}")
    return weight


def bias_of(module: nn.Module) -> torch.Tensor | None:
    """The ``bias`` tensor of a layer, or ``None`` (no bias, or ``bias=False``)."""
    bias = getattr(module, "bias", None)
    return bias if isinstance(bias, torch.Tensor) else None


def fan_in(module: nn.Module) -> int:
    """Number of inputs feeding one output unit: ``in_features`` or ``in_channels/groups * prod(k)``."""
    return int(weight_rows(module)[0].numel())


def _normal_fan_in(model: nn.Module, gain2: float, generator: torch.Generator | None) -> nn.Module:
    with torch.no_grad():
        for m in model.modules():
            if is_weighted(m):
                weight_of(m).normal_(0.0, math.sqrt(gain2 / fan_in(m)), generator=generator)
                if (bias := bias_of(m)) is not None:
                    bias.zero_()
    return model


def kaiming_(model: nn.Module, generator: torch.Generator | None = None) -> nn.Module:
    """He et al. (2015, arXiv 1502.01852) normal fan-in init: ``W ~ N(0, 2 / fan_in)``, biases 0.

    Args:
        model: every Linear/Conv1d/2d/3d in it is re-initialized in place.
        generator: random source; ``None`` uses PyTorch's global generator (seeded by the caller).
    """
    return _normal_fan_in(model, 2.0, generator)


def lecun_(model: nn.Module, generator: torch.Generator | None = None) -> nn.Module:
    """LeCun et al. (1998, "Efficient BackProp") normal fan-in init: ``W ~ N(0, 1 / fan_in)``, biases 0.

    Args:
        model: every Linear/Conv1d/2d/3d in it is re-initialized in place.
        generator: random source; ``None`` uses PyTorch's global generator (seeded by the caller).
    """
    return _normal_fan_in(model, 1.0, generator)


def siren_(model: nn.Module, omega0: float = 30.0, generator: torch.Generator | None = None) -> nn.Module:
    """SIREN's initialisation (Sitzmann et al. 2020, arXiv 2006.09661) for networks of ``sin(omega0 x)``.

    The first weighted layer (in ``model.modules()`` order) gets ``W ~ U(-1/fan_in, 1/fan_in)``;
    every other one ``W ~ U(-sqrt(6/fan_in)/omega0, +sqrt(6/fan_in)/omega0)``, so that the
    pre-activations of each sine are distributed alike (arcsine outputs, unit-variance inputs
    to the next ``omega0``-scaled sine). Biases keep their initialisation, as in the authors' code.

    Example:
        >>> net = nn.Sequential(nn.Linear(2, 64), nn.Linear(64, 64))
        >>> _ = siren_(net, generator=torch.Generator().manual_seed(0))
        >>> bool(net[0].weight.abs().max() <= 1 / 2), bool(net[1].weight.abs().max() <= math.sqrt(6 / 64) / 30)
        (True, True)

    Args:
        model: every Linear/Conv1d/2d/3d in it is re-initialized in place.
        omega0: the frequency of the sines (SIREN: 30), finite and non-zero.
        generator: random source; ``None`` uses PyTorch's global generator (seeded by the caller).
    """
    if not (math.isfinite(omega0) and omega0 != 0):
        raise ValueError(f"siren_: omega0 must be finite and non-zero (SIREN uses 30), got {omega0!r}")
    first = True
    with torch.no_grad():
        for m in model.modules():
            if not is_weighted(m):
                continue
            n = fan_in(m)
            bound = 1.0 / n if first else math.sqrt(6.0 / n) / abs(omega0)
            weight_of(m).uniform_(-bound, bound, generator=generator)
            first = False
    return model
