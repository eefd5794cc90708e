"""Base class for actlab activations: the formula, parameter shape policy, constraints, dispatch.

An elementwise subclass states its formula once, as a pure function of the input, its
parameter tensors and its fixed float hyper-parameters, set as the class attribute
``formula = staticmethod(fn)``; parameters are declared in ``__init__`` with
:meth:`Activation.add_param` (in the order ``fn`` takes them) and constants are named in
``consts``. The eager forward, the fused kernels (:mod:`actlab.activations._fused`) and
AutoInit's moments all evaluate that one function through :meth:`Activation.formula_call`,
which applies the constraints (reparameterizations, never clamping) and broadcasts
per-channel values along ``channel_dim``.

Example:
    >>> import torch
    >>> def shifted_relu(x, shift):
    ...     return torch.relu(x - shift)
    >>> class ShiftedReLU(Activation):
    ...     formula = staticmethod(shifted_relu)
    ...     def __init__(self, *, shift: float = 0.5, **kw):
    ...         super().__init__(**kw)
    ...         self.add_param("shift", shift)
    >>> ShiftedReLU()(torch.tensor([0.0, 2.0]))
    tensor([0.0000, 1.5000], grad_fn=<ReluBackward0>)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import ClassVar, NamedTuple

import torch
from torch import nn

from ._fused import HALF_DTYPES, fp32_if_half, fused_op
from ._info import ActivationInfo
from ._policy import fused_forward

__all__ = [
    "Activation", "Constraint", "FormulaCall", "Identity", "Positive", "IMPLS", "HALF_DTYPES", "check_input",
    "fp32_if_half",
]

IMPLS = ("auto", "eager", "fused")


def check_input(module: nn.Module, x: torch.Tensor) -> None:
    """Raises ``TypeError`` unless ``x`` is a real floating-point tensor (activations are not defined
    on integer, boolean or complex tensors: ``ada`` would return zeros for int64)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{type(module).__name__} expects a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(
            f"{type(module).__name__} expects a floating-point tensor (float16/bfloat16/float32/float64), got "
            f"dtype {x.dtype}; convert the input first, e.g. x.float()"
        )


def _is_positive_int(v: object) -> bool:
    """An int >= 1 (numpy ints too), not a bool and not a float such as 2.7 (or 2.0)."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and int(v) >= 1


class FormulaCall(NamedTuple):
    """A formula bound to one input: ``fn(x, *params, *consts)`` is the activation's output."""

    fn: Callable[..., torch.Tensor]
    params: list[torch.Tensor]
    consts: tuple[float, ...]


class Constraint:
    """Maps an unconstrained stored tensor to the constrained value and back."""

    name = "none"

    def to_value(self, raw: torch.Tensor) -> torch.Tensor:
        return raw

    def to_raw(self, value: float) -> float:
        return value


class Identity(Constraint):
    pass


class Positive(Constraint):
    """value = minimum + softplus(raw): strictly above ``minimum`` with a smooth gradient.

    Args:
        minimum: lower bound that the value can approach but never reach.
    """

    def __init__(self, minimum: float = 0.0) -> None:
        self.minimum = float(minimum)
        self.name = f"> {self.minimum:g} (softplus)"

    def to_value(self, raw: torch.Tensor) -> torch.Tensor:
        return self.minimum + nn.functional.softplus(raw)

    def to_raw(self, value: float) -> float:
        y = float(value) - self.minimum
        if not y > 0:
            raise ValueError(f"initial value {value} violates the constraint {self.name}")
        # inverse softplus, stable for large y
        return y + math.log(-math.expm1(-y))


class Activation(nn.Module):
    """Base class of every actlab activation.

    Args:
        shape: ``"scalar"`` (one value per parameter) or ``"channel"`` (one per channel).
        num_channels: number of channels; required when ``shape="channel"``.
        channel_dim: the channel dimension of the input: 1 for NCHW/NCL, -1 for (B, T, C).
        impl: ``"auto"`` (fast path where registered and faster), ``"eager"`` (the reference
            formula) or ``"fused"`` (the fast path; raises if there is none).
    """

    info: ClassVar[ActivationInfo | None] = None
    #: the formula ``fn(x, *params, *consts)`` (a ``staticmethod``); ``None`` for activations that
    #: are not elementwise and override :meth:`forward_eager` instead
    formula: ClassVar[Callable[..., torch.Tensor] | None] = None
    #: names of plain float attributes passed to the formula after the parameters
    consts: ClassVar[tuple[str, ...]] = ()
    #: evaluate float16/bfloat16 inputs in float32 in the eager path (the fused kernels always do)
    compute_fp32: ClassVar[bool] = False
    #: whether ``impl="auto"`` may pick the fused kernels on CPU (see :mod:`actlab.activations._policy`)
    fused_on_cpu: ClassVar[bool] = True
    #: the module always needs ``num_channels`` (its own per-channel layers: FReLU, Meta-ACON), so
    #: builders pass every site's channel count to it, whatever its ``shape``
    requires_channels: ClassVar[bool] = False
    #: a non-elementwise activation whose formula maps the whole input to its output (the gated
    #: units split it into halves; the formula carries ``out_like``, see :mod:`._fused`): it gets
    #: the fused path of an elementwise formula
    whole_input_formula: ClassVar[bool] = False

    def __init__(
        self,
        *,
        shape: str = "scalar",
        num_channels: int | None = None,
        channel_dim: int = 1,
        impl: str = "auto",
    ) -> None:
        super().__init__()
        if shape not in ("scalar", "channel"):
            raise ValueError(f"shape must be 'scalar' or 'channel', got {shape!r}")
        if num_channels is not None and not _is_positive_int(num_channels):
            raise ValueError(
                f"{type(self).__name__}: num_channels must be a positive int, got {num_channels!r}; pass the "
                "input's channel count, e.g. num_channels=64"
            )
        if shape == "channel" and num_channels is None:
            raise ValueError(
                f"{type(self).__name__}: shape='channel' needs num_channels (a positive int), got "
                f"{num_channels!r}; pass num_channels=C or use shape='scalar'"
            )
        if impl not in IMPLS:
            raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
        self.shape = shape
        # num_channels is a positive int when shape == "channel" (checked above)
        self.num_channels = int(num_channels) if shape == "channel" and num_channels is not None else None
        self.channel_dim = int(channel_dim)
        self.impl = impl
        self._constraints: dict[str, Constraint] = {}
        self._param_order: list[str] = []
        self._prepare_fused(type(self).formula)

    def _prepare_fused(self, fn: Callable[..., torch.Tensor] | None) -> None:
        """Makes the fused op of formula ``fn`` now, outside any ``torch.compile`` trace (ops are
        made once per formula). Subclasses whose formula depends on their configuration call it
        with that formula at the end of ``__init__``."""
        info = type(self).info
        if fn is not None and info is not None and (info.elementwise or type(self).whole_input_formula):
            fused_op(fn)

    # ------------------------------------------------------------------ parameters
    def add_param(
        self,
        name: str,
        init: float,
        constraint: Constraint | None = None,
        trainable: bool = True,
        shape: str | None = None,
    ) -> None:
        """Declares a parameter. Stored as ``name`` (unconstrained) or ``name_raw`` (constrained)."""
        constraint = constraint or Identity()
        if isinstance(init, bool) or not math.isfinite(float(init)):
            raise ValueError(
                f"{type(self).__name__}: parameter {name} must be a finite number, got {init!r}; "
                "pass a finite initial value"
            )
        pshape = shape or self.shape
        n = 1 if pshape == "scalar" else self.num_channels
        if n is None:
            raise ValueError(f"{type(self).__name__}.{name}: per-channel parameter needs num_channels")
        raw = torch.full((n,) if pshape == "channel" else (), float(constraint.to_raw(init)))
        key = name if isinstance(constraint, Identity) else f"{name}_raw"
        if trainable:
            self.register_parameter(key, nn.Parameter(raw))
        else:
            self.register_buffer(key, raw)
        self._constraints[name] = constraint
        self._param_order.append(name)

    def value(self, name: str) -> torch.Tensor:
        """The constrained parameter tensor as stored (shape ``()`` or ``(C,)``)."""
        c = self._constraints[name]
        raw = getattr(self, name if isinstance(c, Identity) else f"{name}_raw")
        return c.to_value(raw)

    def param(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """The constrained parameter, broadcastable against ``x`` (channel values along ``channel_dim``)."""
        v = self.value(name)
        if x.is_floating_point() and v.dtype != x.dtype:
            # keep the input's dtype (bf16/fp16 inputs with float32 parameters would otherwise
            # promote per-channel results to float32)
            v = v.to(x.dtype)
        if v.dim() == 0:
            return v
        dim = self.channel_dim % x.dim()
        if x.shape[dim] != v.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: input has {x.shape[dim]} channels along dim {self.channel_dim} "
                f"(shape {tuple(x.shape)}) but the activation has {v.shape[0]} per-channel values"
            )
        view = [1] * x.dim()
        view[dim] = v.shape[0]
        return v.view(view)

    def param_values(self) -> dict[str, torch.Tensor]:
        """All constrained parameter values, for logging and AutoInit."""
        return {n: self.value(n) for n in self._param_order}

    # ------------------------------------------------------------------ forward
    def formula_call(self, x: torch.Tensor) -> FormulaCall | None:
        """The formula bound to input ``x``: parameters in declaration order, constants after.

        Override where the formula's parameters are not the stored ones (SRS computes alpha from a
        ratio), where the formula depends on the configuration (PAU's degrees) or composes
        another activation's formula (LAAF, Rowdy). ``None`` means there is no formula.
        """
        fn = type(self).formula
        if fn is None:
            return None
        params = [self.param(n, x) for n in self._param_order]
        return FormulaCall(fn, params, tuple(float(getattr(self, c)) for c in self.consts))

    def forward_eager(self, x: torch.Tensor) -> torch.Tensor:
        """The reference path: the formula as ordinary tensor ops (autograd records it)."""
        z = fp32_if_half(x) if self.compute_fp32 else x
        call = self.formula_call(z)
        if call is None:
            raise NotImplementedError(
                f"{type(self).__name__} has no formula: set `formula = staticmethod(fn)` on the class "
                "(fn(x, *params, *consts)) or override forward_eager"
            )
        return call.fn(z, *call.params, *call.consts).to(x.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self, x)
        if self.impl != "eager":
            out = fused_forward(self, x)
            if out is not None:
                return out
        return self.forward_eager(x)

    def extra_repr(self) -> str:
        parts = []
        for n in self._param_order:
            v = self.value(n).detach()
            if v.dim() == 0:
                parts.append(f"{n}={v.item():.4g}")
            else:
                parts.append(f"{n}=[{v.shape[0]} channels, mean {v.float().mean().item():.4g}]")
        if self.shape == "channel":
            parts.append(f"channel_dim={self.channel_dim}")
        if self.impl != "auto":
            parts.append(f"impl={self.impl!r}")
        return ", ".join(parts)
