"""Trainable families over any base activation, equal to that base at their identity values.

A family over a base (:class:`OverBase`) wraps a base activation: a registry name (its formula is
composed into the family's, so the fused path and AutoInit's moments cover it), or any
``nn.Module`` computing an elementwise function (a Hugging Face ``NewGELUActivation``, a timm
``HardSwish``...: called as a module). At its identity values (sine amplitude 0, slope ``1/n``)
the family computes exactly its base, bit for bit in float32, which is how
``swap_activations(model, act, warm_start=True)`` starts it from whatever activation it
replaces: :meth:`OverBase.rebased` builds the same configuration over the replaced activation.

Families over a base: :class:`GPVLU` (here), :class:`~actlab.activations.laaf.LAAF` and
:class:`~actlab.activations.laaf.Rowdy`.

Example:
    >>> import torch
    >>> from torch import nn
    >>> act = GPVLU(base="gelu")  # gelu(x) + 0.1 sin(x)
    >>> warm = act.rebased(nn.GELU())  # gelu(x) + 0 sin(x): GELU exactly
    >>> x = torch.linspace(-4, 4, 9)
    >>> bool(torch.equal(warm(x), nn.GELU()(x)))
    True
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from ._base import Activation, FormulaCall, fp32_if_half
from ._info import ActivationInfo, Paper, ParamSpec
from ._policy import probe_shape
from ._registry import canonical_activation_name, create_activation, register_activation

__all__ = ["OverBase", "GPVLU", "Base"]

T = torch.Tensor
#: a base activation: a registry name, or a module computing an elementwise function
Base = str | nn.Module


class OverBase(Activation):
    """An activation family ``F[base]`` over a base activation, equal to ``base`` at its identity values.

    Subclasses set the base with :meth:`_set_base` in ``__init__``, compose its formula with
    :meth:`_compose` (from their :meth:`_make`), and implement :meth:`rebased` and
    :meth:`_module_forward` (the path for a base module without a formula).
    """

    def _set_base(self, base: Base, base_params: Mapping[str, Any] | None) -> None:
        if isinstance(base, nn.Module):
            if base_params:
                raise ValueError(f"{type(self).__name__}: base_params apply to a base given by name, not to {base!r}")
            if any(True for _ in base.parameters()):
                raise ValueError(
                    f"{type(self).__name__}: the base module {base!r} holds parameters; a base is a fixed function "
                    "(pass a registry name such as 'prelu' for a trainable one)"
                )
            self.base_name = type(base).__name__
            self.base = copy.deepcopy(base)
            if getattr(self.base, "inplace", False):  # the family reads its input after the base has run
                setattr(self.base, "inplace", False)  # noqa: B010  (a module attribute, not a submodule)
        else:
            self.base_name = canonical_activation_name(base)
            self.base = create_activation(base, **dict(base_params or {}))
        self._base_params = dict(base_params or {})

    def _make(self, base: Callable[..., T], k: int) -> Callable[..., T]:
        """The family's formula composed over a base formula with ``k`` parameters."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _make()")

    def _compose(self) -> Callable[..., T] | None:
        """The family's formula over the base's formula (``None`` for a base without one); prepares
        its fused op once, outside any ``torch.compile`` trace."""
        make = self._make
        probe = None
        if isinstance(self.base, Activation):
            mode = self.base.training
            self.base.eval()  # a base random in training mode (rrelu) has its formula in eval mode
            probe = self.base.formula_call(torch.zeros(probe_shape(self.base)))
            self.base.train(mode)
        fn = None if probe is None else make(probe.fn, len(probe.params))
        self._prepare_fused(fn)
        return fn

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        return {**state, "_fn": None}  # the composed formula is a closure: composed again when loaded

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._fn = self._compose()

    def _base_call(self, x: T) -> FormulaCall | None:
        return self.base.formula_call(x) if isinstance(self.base, Activation) else None

    def rebased(self, base: Base, base_params: Mapping[str, Any] | None = None) -> OverBase:
        """A fresh module of the same configuration over ``base``, at the identity values (equal to ``base``)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement rebased()")

    def _module_forward(self, z: T) -> T:
        raise NotImplementedError(f"{type(self).__name__} does not implement _module_forward()")

    def forward_eager(self, x: T) -> T:
        if self._base_call(x) is None:  # a base without a formula: call it as a module
            z = fp32_if_half(x) if self.compute_fp32 else x
            return self._module_forward(z).to(x.dtype)
        return super().forward_eager(x)

    def _channel_kwargs(self) -> dict[str, Any]:
        """The constructor arguments of the :class:`Activation` base class, for :meth:`rebased`."""
        return {"shape": self.shape, "num_channels": self.num_channels, "channel_dim": self.channel_dim,
                "impl": self.impl}

    def extra_repr(self) -> str:
        return f"base={self.base_name!r}, {super().extra_repr()}"


@functools.cache
def gpvlu_formula(base: Callable[..., T], k: int) -> Callable[..., T]:
    """GPVLU's formula over a base formula with ``k`` parameters:
    ``fn(x, alpha, beta, *base_params, *base_consts) = base(x, ...) + alpha sin(beta x)``."""

    def fn(x: T, alpha: T, beta: T, *rest: Any) -> T:
        return base(x, *rest) + alpha * torch.sin(beta * x)

    fn.__name__ = fn.__qualname__ = f"gpvlu_{getattr(base, '__name__', 'base')}"
    return fn


@register_activation(
    ActivationInfo(
        name="gpvlu",
        formula="base(x) + alpha * sin(beta * x) (base = relu by default: PVLU)",
        latex=r"\sigma_{\mathrm{base}}(x) + \alpha \sin(\beta x)",
        paper=Paper("Parametric Variational Linear Units (PVLUs) in Deep Convolutional Networks", "2110.12246", 2021),
        aliases=("pvlu_any",),
        params=(ParamSpec("alpha", 0.1), ParamSpec("beta", 1.0)),
        monotonic=False,
        smoothness="C0",
        bounded_below=True,
        output_range=(-0.1, float("inf")),
        f0=0.0,
        df0=None,
        category="seed",
        warm_start={"relu": {"alpha": 0.0}},
        notes="PVLU's sine perturbation over any base activation (generalisation by actlab, not the paper's); "
        "properties are those of the default base relu (= pvlu). alpha = 0 equals the base exactly, so "
        "swap_activations(warm_start=True) starts it from any activation (base := the replaced one).",
    )
)
class GPVLU(OverBase):
    r"""Generalised PVLU ``base(x) + alpha * sin(beta * x)``, alpha and beta trainable.

    PVLU (Gupta & Ahuja, arXiv 2110.12246) adds a trainable sine to ReLU; GPVLU adds it to any base
    activation (``"gelu"``, ``"silu"``, a module). ``alpha = 0`` gives the base exactly;
    ``swap_activations(model, "gpvlu", warm_start=True)`` uses that to start from the replaced
    activation (GELU, SiLU, Hardswish, a Hugging Face ``NewGELUActivation``...).

    Args:
        base: registry name of the base activation, or a parameter-free module.
        alpha: initial amplitude.
        beta: initial frequency.
        trainable: make alpha and beta ``nn.Parameter`` s (else fixed buffers).
        base_params: constructor arguments of a base given by name.
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(
        self, *, base: Base = "relu", alpha: float = 0.1, beta: float = 1.0, trainable: bool = True,
        base_params: Mapping[str, Any] | None = None, **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self._set_base(base, base_params)
        self.add_param("alpha", alpha, trainable=trainable)
        self.add_param("beta", beta, trainable=trainable)
        self._beta0, self._trainable = beta, trainable
        self._fn = self._compose()

    def _make(self, base: Callable[..., T], k: int) -> Callable[..., T]:
        return gpvlu_formula(base, k)

    def formula_call(self, x: T) -> FormulaCall | None:
        b = self._base_call(x)
        if b is None or self._fn is None:
            return None
        return FormulaCall(self._fn, [self.param("alpha", x), self.param("beta", x), *b.params], b.consts)

    def _module_forward(self, z: T) -> T:
        return self.base(z) + self.param("alpha", z) * torch.sin(self.param("beta", z) * z)

    def rebased(self, base: Base, base_params: Mapping[str, Any] | None = None) -> GPVLU:
        return GPVLU(base=base, alpha=0.0, beta=self._beta0, trainable=self._trainable, base_params=base_params,
                     **self._channel_kwargs())
