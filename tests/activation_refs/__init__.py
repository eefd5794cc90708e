"""Independent float64 numpy references for every registered activation.

The conformance suite (``tests/test_activations_conformance.py``) is generated from the registry
and looks up one :class:`Ref` per canonical activation name in :data:`REFS`. Each contributor adds
their references in their own module (``classic.py``, ``seeds.py``, ...) as a ``REFS`` dict.

Fields of :class:`Ref`:
    fn: ``fn(x: np.ndarray, **params) -> np.ndarray``, an independent closed form in float64 that
        receives the *whole* input array (so reducing or batch-dependent activations work too).
        Never call torch or actlab here: the point is an independent oracle.
    params: parameter values at which the module's defaults are compared with ``fn``
        (``fn(x, **params)`` must equal ``create_activation(name)(x)``), e.g. ``{"beta": 1.0}``.
    points: reference points from the spec, as ``(params_dict, xs_tuple, ys_tuple)``: the module
        built with ``create_activation(name, **params_dict)`` must give ``ys`` at ``xs`` (the spec
        rounds to 6 decimals, so these are compared to 1e-6). For ``k > 1`` each entry of ``xs`` is
        a k-tuple (one channel group; a flat list is read as consecutive groups), input shape (N, k)
        with channels on dim 1, and ``ys`` has one value per group.
    domain: interval of the dense grid on which values and declared properties are checked.
    half_ok: the function is representable in bfloat16/float16, so those dtypes must give finite
        outputs and gradients for x in [-1e4, 1e4].
    compile_ok: ``torch.compile`` is expected to match eager.
    k: number of input channels reduced into one output channel (logical activations), else 1;
        ``fn`` then receives arrays whose channel dim (dim 1) is divisible by ``k``.
    eval_mode: the module is random in training mode (RReLU), so the suite checks it in eval mode,
        where it is the fixed function ``fn``; its training mode has its own tests.
    state: the module has learned layers of its own (FReLU's convolution and BatchNorm, Meta-ACON's
        squeeze network): ``fn`` also receives ``state=``, the module's ``state_dict`` as float64
        numpy arrays (taken before the call), and computes the same function from those weights.
    spatial: the module needs inputs ``(N, C, *spatial)`` with this many spatial dimensions (FReLU's
        window, Meta-ACON's spatial means: 2); the suite then feeds such tensors (C = 4 k) wherever
        it would use a 1-D grid.
    kwargs: constructor arguments the suite passes to every module of this activation it builds
        (the suite lays channels out on dim 1; the gated units, whose ``dim`` defaults to -1, take
        ``{"dim": 1}``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Ref", "REFS"]

Point = tuple[dict[str, Any], tuple[float, ...], tuple[float, ...]]


@dataclass(frozen=True)
class Ref:
    fn: Callable[..., np.ndarray]
    params: dict[str, Any] = field(default_factory=dict)
    points: list[Point] = field(default_factory=list)
    domain: tuple[float, float] = (-6.0, 6.0)
    half_ok: bool = True
    compile_ok: bool = True
    k: int = 1
    eval_mode: bool = False
    state: bool = False
    spatial: int = 0
    kwargs: dict[str, Any] = field(default_factory=dict)


def _merge() -> dict[str, Ref]:
    refs: dict[str, Ref] = {}
    for mod_name in ("classic", "seeds", "torch_nn", "modern", "glu"):
        try:
            mod = importlib.import_module(f"{__name__}.{mod_name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{mod_name}":
                raise
            continue
        dup = set(refs) & set(mod.REFS)
        if dup:
            raise ValueError(f"activation refs defined twice (in {mod_name}.py and before): {sorted(dup)}")
        refs.update(mod.REFS)
    return refs


REFS: dict[str, Ref] = _merge()
