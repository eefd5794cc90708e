"""Fast-path dispatch: maps an activation class to its memory-efficient implementation.

A fast implementation is a function ``(module, x) -> Tensor`` registered for an activation
class with :func:`register_fast`. :meth:`Activation.forward` calls :func:`fast_forward`, which
returns ``None`` to fall back to the eager formula.
"""

from __future__ import annotations

from typing import Callable

import torch

__all__ = ["register_fast", "fast_forward", "has_fast"]

FastFn = Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]
_FAST: dict[type, FastFn] = {}


def register_fast(cls: type) -> Callable[[FastFn], FastFn]:
    """Decorator registering the fast implementation of activation class ``cls``."""

    def deco(fn: FastFn) -> FastFn:
        if cls in _FAST:
            raise ValueError(f"a fast path for {cls.__name__} is already registered")
        _FAST[cls] = fn
        return fn

    return deco


def has_fast(cls: type) -> bool:
    return cls in _FAST


def fast_forward(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    """The fast path's output, or ``None`` when the eager formula should run."""
    fn = _FAST.get(type(module))
    impl = getattr(module, "impl", "auto")
    if fn is None:
        if impl == "fused":
            raise ValueError(
                f"{type(module).__name__} has no fused implementation; use impl='auto' or 'eager'"
            )
        return None
    return fn(module, x)
