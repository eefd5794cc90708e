"""The machinery of the gated linear units: the split, the composed formula, the base classes.

The registered units and the ``"<act>-glu"`` family are in :mod:`actlab.activations.glu`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch

from ._base import Activation, FormulaCall, fp32_if_half
from ._policy import probe_shape
from ._registry import create_activation

__all__ = ["SPLITS", "GatedUnit", "GatedLinearUnit", "gated", "halves", "split_formula", "swiglu_oai"]

T = torch.Tensor
Formula = Callable[..., T]
SPLITS = ("concat", "interleave")


# ------------------------------------------------------------------------------ the formula
def halves(x: T, split: str, dim: int, gate_first: bool) -> tuple[T, T]:
    """``(gate, value)``: the two halves of ``x`` along ``dim`` (views, no copy).

    ``split="concat"``: ``x.chunk(2, dim)``; ``"interleave"``: channels ``0::2`` and ``1::2``.
    ``gate_first`` says whether the gate is the first of them.
    """
    if split == "concat":
        first, second = x.chunk(2, dim)
    else:
        head = (slice(None),) * (dim % x.dim())
        first, second = x[head + (slice(0, None, 2),)], x[head + (slice(1, None, 2),)]
    return (first, second) if gate_first else (second, first)


@functools.cache
def gated(gate: Formula) -> Formula:
    """The two-input formula ``(a, b, *gate_params, *gate_consts) -> gate(a, ...) * b`` of a gate
    formula ``gate(x, *params, *consts)`` (made once per gate formula)."""

    def pair(a: T, b: T, *rest: Any) -> T:
        return gate(a, *rest) * b

    pair.__name__ = pair.__qualname__ = f"gated_{getattr(gate, '__name__', 'gate')}"
    return pair


@functools.cache
def split_formula(pair: Formula, split: str, dim: int, gate_first: bool) -> Formula:
    """The whole-input formula ``fn(x, *rest) = pair(gate half, value half, *rest)``.

    It carries ``fn.out_like(x)`` (a view of ``x`` shaped like the output), which the fused kernels
    read for the output's shape and layout. Made once per configuration, so one fused op serves
    every module of that configuration.
    """

    def fn(x: T, *rest: Any) -> T:
        a, b = halves(x, split, dim, gate_first)
        return pair(a, b, *rest)

    order = "gate_first" if gate_first else "gate_second"
    name = f"glu_{getattr(pair, '__name__', 'pair')}_{split}_{order}_dim{'m' if dim < 0 else ''}{abs(dim)}"
    fn.__name__ = fn.__qualname__ = name
    fn.out_like = lambda x: halves(x, split, dim, True)[0]  # type: ignore[attr-defined]
    return fn


def swiglu_oai(g: T, u: T, alpha: float, limit: float) -> T:
    """GPT-OSS's clamped SwiGLU: ``g = min(g, limit)``, ``u = clamp(u, -limit, limit)``,
    ``(u + 1) * g * sigmoid(alpha * g)`` (the order of operations of transformers' ``GptOssExperts``)."""
    g = torch.clamp(g, max=limit)
    u = torch.clamp(u, min=-limit, max=limit)
    return (u + 1) * (g * torch.sigmoid(g * alpha))


# ------------------------------------------------------------------------------ the modules
class GatedUnit(Activation):
    """Base of the gated units: the split of the input; subclasses give the two-input formula.

    Args:
        split: ``"concat"`` (``x.chunk(2, dim)``) or ``"interleave"`` (channels ``0::2`` / ``1::2``);
            default: the class's (``"interleave"`` for ``swiglu_oai``, else ``"concat"``).
        dim: the dimension split in halves (default -1); the per-channel gate parameters lie along it.
        gate_first: whether the gate is the first half (default: the class's; ``False`` for ``glu``).
        channel_dim: another name for ``dim`` (what model builders pass); give one of the two.
        **kw: ``shape``, ``num_channels`` (the input's C, even), ``impl`` (see :class:`Activation`).
    """

    default_split: ClassVar[str] = "concat"
    default_gate_first: ClassVar[bool] = True
    compute_fp32 = True  # half inputs in float32: the product of two halves overflows float16 early
    whole_input_formula = True

    def __init__(
        self, *, split: str | None = None, dim: int | None = None, gate_first: bool | None = None,
        channel_dim: int | None = None, **kw: Any,
    ) -> None:
        name = type(self).__name__
        if dim is not None and channel_dim is not None and int(dim) != int(channel_dim):
            raise ValueError(
                f"{name}: dim and channel_dim name the same dimension (the one split in halves), got dim={dim} "
                f"and channel_dim={channel_dim}; pass one of them"
            )
        d = int(dim if dim is not None else channel_dim if channel_dim is not None else -1)
        super().__init__(channel_dim=d, **kw)
        split = type(self).default_split if split is None else split
        if split not in SPLITS:
            raise ValueError(f"{name}: split must be one of {SPLITS}, got {split!r}")
        if self.num_channels is not None and self.num_channels % 2:
            raise ValueError(
                f"{name}: num_channels={self.num_channels} is the input's channel count, split into a gate and a "
                "value of C/2 each, so it must be even"
            )
        self.split, self.dim = split, d
        self.gate_first = type(self).default_gate_first if gate_first is None else bool(gate_first)
        self._source: Formula | None = None  # the formula composed last, and its composition
        self._fn: Formula | None = None

    def halves(self, x: T) -> tuple[T, T]:
        """``(gate, value)`` of ``x``; an odd channel count raises."""
        c = x.shape[self.dim % x.dim()] if x.dim() else 1
        if x.dim() == 0 or c % 2:
            raise ValueError(
                f"{type(self).__name__}: the input has C={c} channels along dim {self.dim} (shape {tuple(x.shape)}), "
                "which is odd; a gated unit splits C into a gate and a value of C/2 each (C in -> C/2 out): make the "
                "preceding layer output an even number of channels (2 * hidden) or pass the right dim"
            )
        return halves(x, self.split, self.dim, self.gate_first)

    def source_call(self, gate: T) -> FormulaCall | None:  # pragma: no cover - abstract
        """The formula the unit composes with the split, bound to a gate-shaped tensor: a two-input
        ``pair(a, b, *params, *consts)`` (or the gate's own formula, see :class:`GatedLinearUnit`)."""
        raise NotImplementedError

    def _compose(self, source: Formula) -> Formula:
        return split_formula(source, self.split, self.dim, self.gate_first)

    def formula_call(self, x: T) -> FormulaCall | None:
        call = self.source_call(self.halves(x)[0])
        if call is None:
            return None
        fn = self._fn
        if fn is None or call.fn is not self._source:  # composed once per source formula, not in a trace
            fn = self._compose(call.fn)
            self._source, self._fn = call.fn, fn
        return FormulaCall(fn, call.params, call.consts)

    def _pair_module(self, a: T, b: T) -> T:  # pragma: no cover - only units with a gate module
        raise NotImplementedError

    def forward_eager(self, x: T) -> T:
        if self.formula_call(x) is None:  # a gate without a formula (random in training): call it
            a, b = self.halves(fp32_if_half(x))
            return self._pair_module(a, b).to(x.dtype)
        return super().forward_eager(x)

    def _prepare(self) -> None:
        """Makes the fused op of this configuration (at construction, never inside a compile trace)."""
        mode = self.training
        self.eval()  # a gate random in training mode (rrelu) has its formula in eval mode
        call = self.formula_call(torch.zeros(probe_shape(self)))
        self.train(mode)
        self._prepare_fused(None if call is None else call.fn)

    def extra_repr(self) -> str:
        parts = [f"split={self.split!r}", f"dim={self.dim}", f"gate_first={self.gate_first}"]
        parts += [f"{c}={getattr(self, c):g}" for c in type(self).consts]
        return ", ".join(parts + ([f"impl={self.impl!r}"] if self.impl != "auto" else []))


class GatedLinearUnit(GatedUnit):
    """``gate(a) * b``, the gate a zoo activation fixed by the class (``gate_name``).

    The registered units (``swiglu``, ...) and the derived ``"<act>-glu"`` ones are its
    subclasses; build them by name with :func:`~actlab.activations.create_activation`.

    Args:
        gate_params: constructor arguments of the gate (e.g. ``{"beta": 0.5}`` for ``swish-glu``);
            its ``shape``, ``num_channels`` and ``channel_dim`` come from the unit.
        **kw: ``split``, ``dim``, ``gate_first``, ``channel_dim`` (see :class:`GatedUnit`),
            ``shape``, ``num_channels``, ``impl``.
    """

    #: registry name of the gate activation
    gate_name: ClassVar[str] = ""

    def __init__(self, *, gate_params: Mapping[str, Any] | None = None, **kw: Any) -> None:
        cls = type(self)
        if not cls.gate_name:
            raise TypeError(
                f"{cls.__name__} has no gate: build a gated unit by name, e.g. create_activation('swiglu') or "
                "create_activation('pvlu-glu')"
            )
        super().__init__(**kw)
        gkw = dict(gate_params or {})
        clash = sorted({"shape", "num_channels", "channel_dim"} & set(gkw))
        if clash:
            raise ValueError(
                f"{cls.__name__}: gate_params may not set {clash}; pass shape='channel' and num_channels=C (the "
                "input's C) to the unit itself, which gives its gate C/2 channels along dim"
            )
        if self.shape == "channel":
            assert self.num_channels is not None
            gkw.update(shape="channel", num_channels=self.num_channels // 2, channel_dim=self.dim)
        self.gate = create_activation(cls.gate_name, **gkw)
        self._prepare()

    def source_call(self, gate: T) -> FormulaCall | None:
        """The gate's formula (composed as ``gated(formula)`` with the split)."""
        info = getattr(type(self.gate), "info", None)
        if not isinstance(self.gate, Activation) or info is None or not info.elementwise:
            return None  # batch-dependent gates run as modules
        return self.gate.formula_call(gate)

    def _compose(self, source: Formula) -> Formula:
        return split_formula(gated(source), self.split, self.dim, self.gate_first)

    def _pair_module(self, a: T, b: T) -> T:
        return self.gate(a) * b

    def param_values(self) -> dict[str, T]:
        """The gate's constrained parameter values (the unit has none of its own)."""
        return self.gate.param_values() if isinstance(self.gate, Activation) else {}


# ------------------------------------------------------------------------------ the rows
