"""Adaptive sigmoid, tanh and ReLU of Hu et al., "Adaptively customizing activation functions
for various layers" (IEEE TNNLS 34(9), 2023; code HuHaigen/Adaptively-Customizing-Activation-Functions).

One scalar set of parameters per activation layer (the authors create new variables at each
call site); ``shape="channel"`` gives per-channel values instead. Half inputs are computed in
float32.
"""

from __future__ import annotations

import math

import torch

from ._base import Activation
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = ["AdaptiveSigmoid", "AdaptiveTanh", "AdaptiveReLU", "AdaptiveReLUMax"]

_PAPER = Paper("Adaptively Customizing Activation Functions for Various Layers", "2112.09442", 2023)
_ABCD_SPECS = (ParamSpec("a", 1.0), ParamSpec("b", 1.0), ParamSpec("c", 0.0), ParamSpec("d", 0.0))
_ABCD0 = {"a": 1.0, "b": 1.0, "c": 0.0, "d": 0.0}



T = torch.Tensor


class _ABCD(Activation):
    compute_fp32 = True

    def __init__(
        self, *, a: float = 1.0, b: float = 1.0, c: float = 0.0, d: float = 0.0, trainable: bool = True, **kw
    ) -> None:
        super().__init__(**kw)
        for name, init in (("a", a), ("b", b), ("c", c), ("d", d)):
            self.add_param(name, init, trainable=trainable)


_ABCD_ARGS = """
    Args:
        a, b, c, d: initial values (default 1, 1, 0, 0, the authors' code).
        trainable: make them ``nn.Parameter`` s (else fixed buffers).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
"""


def adaptive_sigmoid(x: T, a: T, b: T, c: T, d: T) -> T:
    return b * torch.sigmoid(a * x + c) + d


@register_activation(
    ActivationInfo(
        name="adaptive_sigmoid",
        formula="b * sigmoid(a * x + c) + d",
        latex=r"b\,\sigma(a x + c) + d",
        paper=_PAPER,
        params=_ABCD_SPECS,
        monotonic=True,
        bounded_below=True,
        bounded_above=True,
        output_range=(0.0, 1.0),
        f0=0.5,
        df0=0.25,
        category="seed",
        warm_start={"sigmoid": _ABCD0},
    )
)
class AdaptiveSigmoid(_ABCD):
    __doc__ = r"""Adaptive sigmoid ``b * sigmoid(a x + c) + d`` (Hu et al., TNNLS 2023).

    Equals the sigmoid at the initial values a = b = 1, c = d = 0.
""" + _ABCD_ARGS

    formula = staticmethod(adaptive_sigmoid)


def adaptive_tanh(x: T, a: T, b: T, c: T, d: T) -> T:
    return b * torch.tanh(a * x + c) + d


@register_activation(
    ActivationInfo(
        name="adaptive_tanh",
        formula="b * tanh(a * x + c) + d",
        latex=r"b \tanh(a x + c) + d",
        paper=_PAPER,
        params=_ABCD_SPECS,
        monotonic=True,
        bounded_below=True,
        bounded_above=True,
        output_range=(-1.0, 1.0),
        category="seed",
        warm_start={"tanh": _ABCD0},
    )
)
class AdaptiveTanh(_ABCD):
    __doc__ = r"""Adaptive tanh ``b * tanh(a x + c) + d`` (Hu et al., TNNLS 2023).

    Equals tanh at the initial values a = b = 1, c = d = 0.
""" + _ABCD_ARGS

    formula = staticmethod(adaptive_tanh)


def adaptive_relu(x: T, alpha: T) -> T:
    return torch.relu(x) + alpha * torch.clamp(x, max=0)


@register_activation(
    ActivationInfo(
        name="adaptive_relu",
        formula="relu(x) + alpha * min(x, 0)",
        latex=r"\max(0, x) + \alpha \min(x, 0)",
        paper=_PAPER,
        aliases=("arelu_hu",),
        params=(ParamSpec("alpha", 0.0),),
        monotonic=True,
        smoothness="C0",
        bounded_below=True,
        output_range=(0.0, math.inf),
        df0=None,
        category="seed",
        warm_start={"relu": {"alpha": 0.0}},
        notes="This is the form switched on in every model file of the authors' code ('ARelu'); the "
        "two-line form max(a x + c, b x + d) is registered as adaptive_relu_max.",
    )
)
class AdaptiveReLU(Activation):
    r"""Adaptive ReLU ``relu(x) + alpha * min(x, 0)``, alpha = 0 at init (= ReLU).

    Hu et al., TNNLS 2023. This PReLU-like form is the one actually enabled in the authors' code
    ("ARelu"). The paper's two-line form ``max(a x + c, b x + d)`` is :class:`AdaptiveReLUMax`
    (registered as ``adaptive_relu_max``); note that it is the identity at the code's initial
    values.

    Args:
        alpha: initial slope added on the negative side.
        trainable: make alpha an ``nn.Parameter`` (else a fixed buffer).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(self, *, alpha: float = 0.0, trainable: bool = True, **kw) -> None:
        super().__init__(**kw)
        self.add_param("alpha", alpha, trainable=trainable)

    formula = staticmethod(adaptive_relu)
    compute_fp32 = True


def adaptive_relu_max(x: T, a: T, b: T, c: T, d: T) -> T:
    # torch.maximum splits the gradient evenly where the two lines tie (everywhere at the
    # default init a = b = 1, c = d = 0); the fused backward is derived from this, so it agrees
    return torch.maximum(a * x + c, b * x + d)


@register_activation(
    ActivationInfo(
        name="adaptive_relu_max",
        formula="max(a * x + c, b * x + d)",
        latex=r"\max(a x + c,\; b x + d)",
        paper=_PAPER,
        params=_ABCD_SPECS,
        monotonic=True,
        smoothness="Cinf",
        category="seed",
        warm_start={"identity": _ABCD0, "relu": {"a": 1.0, "b": 0.0, "c": 0.0, "d": 0.0}},
        notes="At the authors' initial values (a = b = 1, c = d = 0) this is the IDENTITY, so a network "
        "using it starts linear; pass b=0 to start as ReLU. Properties describe the default (identity).",
    )
)
class AdaptiveReLUMax(_ABCD):
    __doc__ = r"""Two-line adaptive ReLU ``max(a x + c, b x + d)`` (Hu et al., TNNLS 2023).

    Caution: at the authors' initial values a = b = 1, c = d = 0 both lines coincide and the
    function is the **identity** (a network built with it is linear at init). ``b=0`` gives
    ReLU at init. The variant enabled in the authors' models is :class:`AdaptiveReLU`.
""" + _ABCD_ARGS

    formula = staticmethod(adaptive_relu_max)
