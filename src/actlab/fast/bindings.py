"""Binds the fused specs to their activation classes (imported lazily by the dispatcher).

Each class gets a selector ``(module, x) -> (spec, params, consts) | None``: fixed for most,
per variant for the families (LAAF and Rowdy per base, PAU per degrees). ``None`` means this
instance has no fused form (e.g. a LAAF over a base that has no analytic spec) and the eager
formula runs (``impl="fused"`` raises instead).
"""

from __future__ import annotations

from typing import Callable

import torch

from ..activations import ACTIVATIONS
from ..activations._registry import activation_arguments
from . import dispatch
from .dispatch import register_fast
from .fused import CompileUnavailable, FusedOp, FusedSpec, warn_once
from .families import laaf_spec, pau_spec, rowdy_spec
from .specs import BASES, SPECS

__all__ = ["FUSED_OPS", "fused_op_for", "FAMILY_NAMES"]

FUSED_OPS: dict[str, FusedOp] = {}
Selection = "tuple[FusedSpec, list[torch.Tensor], list[float]] | None"


def _op(spec: FusedSpec) -> FusedOp:
    if spec.name not in FUSED_OPS:
        FUSED_OPS[spec.name] = FusedOp(spec)
    return FUSED_OPS[spec.name]


_SPEC_CACHE: dict[tuple, FusedSpec] = {}


def _cached(key: tuple, make: Callable[[], FusedSpec]) -> FusedSpec:
    if key not in _SPEC_CACHE:
        _SPEC_CACHE[key] = make()
    return _SPEC_CACHE[key]


def _simple(spec: FusedSpec):
    def select(m, x):
        return spec, [m.param(p, x) for p in spec.params], [float(getattr(m, c)) for c in spec.consts]

    return select


def _plain_base(m) -> str | None:
    """The base name when the base module is a parameter-free registry activation we have a formula for."""
    name = m.base_name
    if name not in BASES or name not in ACTIVATIONS:
        return None
    cls = ACTIVATIONS.get(name)
    if type(m.base) is not cls or any(True for _ in m.base.parameters()) or any(True for _ in m.base.buffers()):
        return None
    base_args = {"shape", "num_channels", "channel_dim", "impl"}
    return name if set(activation_arguments(cls) or []) <= base_args else None


def _laaf(m, x):
    base = _plain_base(m)
    if base is None:
        return None
    spec = _cached(("laaf", base), lambda: laaf_spec(base))
    return spec, [m.param("a", x)], [m.n]


def _rowdy(m, x):
    base = _plain_base(m)
    if base is None:
        return None
    k = m.num_sines
    spec = _cached(("rowdy", base, k), lambda: rowdy_spec(base, k))
    return spec, [m.param(p, x) for p in spec.params], [m.n]


def _pau(m, x):
    mdeg, ndeg = m.degrees
    form = m.denominator_form
    spec = _cached(("pau", mdeg, ndeg, form), lambda: pau_spec(mdeg, ndeg, form))
    coef = m._coef("numerator", x) + m._coef("denominator", x)
    return spec, coef, []


FAMILY_NAMES = ("laaf", "rowdy", "pau")
_SELECTORS: dict[str, Callable] = {name: _simple(spec) for name, spec in SPECS.items()}
_SELECTORS.update({"laaf": _laaf, "rowdy": _rowdy, "pau": _pau})


def fused_op_for(module: torch.nn.Module, x: torch.Tensor) -> FusedOp | None:
    """The fused op this module would use for input ``x`` (None when it has none)."""
    sel = _SELECTORS.get(getattr(type(module).info, "name", ""))
    chosen = sel(module, x) if sel else None
    return _op(chosen[0]) if chosen else None


def _bind(name: str, select: Callable) -> None:
    def fast(module: torch.nn.Module, x: torch.Tensor, forced: bool) -> torch.Tensor | None:
        chosen = select(module, x)
        if chosen is None:
            if forced:
                raise ValueError(
                    f"{module!r} has no fused implementation for this configuration "
                    f"(fused bases: {sorted(BASES)}); use impl='auto' or 'eager'"
                )
            return None
        spec, params, consts = chosen
        op = _op(spec)
        dev = x.device.type
        if not forced and dev == "cpu" and (
            not spec.cpu_auto or (not op.compiled_ready(dev) and x.numel() < dispatch.AUTO_CPU_MIN_NUMEL)
        ):
            return None
        try:
            return op(x, params, consts)
        except CompileUnavailable as e:
            if forced:
                raise
            warn_once(str(e) + "; falling back to the eager formula")
            return None

    register_fast(ACTIVATIONS.get(name))(fast)


for _name, _select in _SELECTORS.items():
    _bind(_name, _select)
