"""Classic weight-initialization schemes and the ``init_model`` dispatcher.

Weighted layers are ``nn.Linear`` and ``nn.Conv1d/2d/3d`` (grouped and depthwise included); their
fan-in is ``weight[0].numel()`` = ``in_features`` or ``in_channels / groups * prod(kernel_size)``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

__all__ = ["WEIGHTED_LAYERS", "SCHEMES", "fan_in", "is_weighted", "kaiming_", "lecun_", "init_model"]

WEIGHTED_LAYERS: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def is_weighted(module: nn.Module) -> bool:
    """Whether ``module`` is a layer that (re-)initialization schemes set (Linear or Conv1d/2d/3d)."""
    return type(module) in WEIGHTED_LAYERS or (
        isinstance(module, WEIGHTED_LAYERS) and getattr(module, "weight", None) is not None
    )


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
    return int(weight_of(module)[0].numel())


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


def _default(model: nn.Module, **kw: Any) -> None:
    return None


def _kaiming(model: nn.Module, generator: torch.Generator | None = None, **kw: Any) -> None:
    kaiming_(model, generator)


def _lecun(model: nn.Module, generator: torch.Generator | None = None, **kw: Any) -> None:
    lecun_(model, generator)


def _autoinit(model: nn.Module, example_input: torch.Tensor | None = None, **kw: Any) -> Any:
    from .autoinit import autoinit

    return autoinit(model, example_input=example_input, **kw)


def _autoinit_fit(model: nn.Module, example_input: torch.Tensor | None = None, **kw: Any) -> Any:
    return _autoinit(model, example_input, **{"center": "auto", "calibrate": "output", **kw})


SCHEMES: dict[str, Callable[..., Any]] = {
    "default": _default,
    "kaiming": _kaiming,
    "lecun": _lecun,
    "autoinit": _autoinit,
    "autoinit-fit": _autoinit_fit,
}


def init_model(model: nn.Module, scheme: str, example_input: torch.Tensor | None = None, **kw: Any) -> Any:
    """Initializes ``model`` in place with a named scheme.

    Schemes:
        ``"default"``: leave PyTorch's own initialization untouched.
        ``"kaiming"``: He normal fan-in, ``Var(W) = 2 / fan_in``, biases 0 (see :func:`kaiming_`).
        ``"lecun"``: LeCun normal fan-in, ``Var(W) = 1 / fan_in``, biases 0 (see :func:`lecun_`).
        ``"autoinit"``: :func:`actlab.autoinit` (Bingham & Miikkulainen, arXiv 2109.08958), which
        adapts to the model's activations; ``kw`` is forwarded to it.
        ``"autoinit-fit"``: the same with ``center="auto", calibrate="output"`` (centred rows where
        no BatchNorm follows, each drawn layer fitted on the synthetic traversal batch), the
        variant that keeps narrow networks in range (docs/autoinit_study.md).

    Args:
        model: the model to initialize (modified in place).
        scheme: one of ``"default"``, ``"kaiming"``, ``"lecun"``, ``"autoinit"``, ``"autoinit-fit"``.
        example_input: a batch whose per-sample shape (``shape[1:]``) AutoInit uses; ignored by
            the other schemes.
        **kw: ``generator=`` (all sampling schemes; ``None`` uses PyTorch's global generator) and
            AutoInit's options (``input_mean``, ``input_var``, ``target_var``, ``fallback``, ``seed``...).

    Returns:
        The :class:`actlab.init.InitReport` for the AutoInit schemes, else ``None``.

    Raises:
        ValueError: unknown scheme (with the closest valid names).
    """
    if scheme not in SCHEMES:
        close = difflib.get_close_matches(str(scheme), list(SCHEMES), n=2, cutoff=0.4)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown init scheme {scheme!r}{hint} (valid: {', '.join(SCHEMES)})")
    if scheme.startswith("autoinit"):
        return SCHEMES[scheme](model, example_input, **kw)
    if scheme != "default":
        unknown = set(kw) - {"generator"}
        if unknown:
            raise ValueError(f"init scheme {scheme!r} takes only generator=, got {sorted(unknown)}")
    return SCHEMES[scheme](model, **kw)
