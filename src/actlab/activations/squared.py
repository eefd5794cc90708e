"""Squared activations: squared ReLU (Primer), StarReLU (MetaFormer) and xIELU (Apertus).

Their positive branches grow as ``x^2``: the output overflows float16 (max 65504) above
``x ~ 256`` (relu2, star_relu at s = 1) or ``x ~ 286`` (xIELU at its defaults), while bfloat16
and float32 hold them over the whole [-1e4, 1e4] test range. Half inputs are computed in
float32 inside (``compute_fp32``) so that parameter gradients, sums of ``x^2`` over the whole
tensor, stay finite; the float16 *output* range is what it is and is stated in each row's notes.
"""

from __future__ import annotations

import math

import torch

from ._base import Activation, Positive
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = ["ReLU2", "StarReLU", "XIELU", "STAR_RELU_SCALE", "STAR_RELU_BIAS"]

INF = math.inf

# StarReLU's unit-variance constants (Yu et al.): for x ~ N(0, 1), E[relu(x)^2] = 1/2 and
# Var[relu(x)^2] = 5/4, so s = 1/sqrt(5/4), b = -(1/2)/sqrt(5/4) give mean 0 and variance 1.
STAR_RELU_SCALE = 1.0 / math.sqrt(1.25)  # 0.894427
STAR_RELU_BIAS = -0.5 / math.sqrt(1.25)  # -0.447214

# Minimum of xIELU at its defaults (alpha_p = alpha_n = 0.8, beta = 0.5): on the negative branch
# alpha_n (e^x - 1) + beta = 0 at x = ln(1 - beta/alpha_n) = ln(0.375) = -0.980829 (DERIVED, closed
# form; scipy's bounded minimisation in float64 agrees to 1e-15).
XIELU_MIN = -0.2057512240964821
# f(0) at the defaults: the negative branch at x = 0 is alpha_n * expm1(eps) with eps = -1e-6
XIELU_F0 = 0.8 * math.expm1(-1e-6)  # -7.999996e-07

_F16_NOTE = ("float16 outputs overflow to inf above x ~ {0} (x^2 > 65504); bfloat16 and float32 are finite "
             "on [-1e4, 1e4].")


# ---------------------------------------------------------------------------------- squared ReLU
def relu2(x: torch.Tensor) -> torch.Tensor:
    r = torch.relu(x)
    return r * r


@register_activation(ActivationInfo(
    name="relu2", formula="max(0, x)^2", latex=r"\max(0, x)^2",
    paper=Paper("Primer: Searching for Efficient Transformers for Language Modeling", "2109.08668", 2021),
    aliases=("squared_relu", "relu_squared"), monotonic=True, smoothness="C1", bounded_below=True,
    output_range=(0.0, INF), f0=0.0, df0=0.0, category="modern",
    notes="Used by the modded-nanogpt speedrun, Transformer Engine (SRELU) and vLLM (relu2). "
    + _F16_NOTE.format(256),
))
class ReLU2(Activation):
    """Squared ReLU ``max(0, x)^2`` (So et al., Primer, arXiv 2109.08668).

    C1: its second derivative jumps from 0 to 2 at the origin. float16 outputs overflow above
    x ~ 256; half inputs are computed in float32 inside.
    """

    formula = staticmethod(relu2)
    compute_fp32 = True


# ---------------------------------------------------------------------------------- StarReLU
def star_relu(x: torch.Tensor, s: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    r = torch.relu(x)
    return s * (r * r) + b


@register_activation(ActivationInfo(
    name="star_relu", formula="s * max(0, x)^2 + b", latex=r"s \max(0, x)^2 + b",
    paper=Paper("MetaFormer Baselines for Vision", "2210.13452", 2022), aliases=("starrelu",),
    params=(ParamSpec("s", 1.0), ParamSpec("b", 0.0)), monotonic=True, smoothness="C1", bounded_below=True,
    output_range=(0.0, INF), f0=0.0, df0=0.0, category="modern", warm_start={"relu2": {"s": 1.0, "b": 0.0}},
    notes="Initialised as in the timm/MetaFormer code, s = 1, b = 0 (= relu2 at init); unit_variance=True "
    f"starts from the paper's constants s = 1/sqrt(1.25) = {STAR_RELU_SCALE:.6f}, b = -0.5/sqrt(1.25) = "
    f"{STAR_RELU_BIAS:.6f} (mean 0, variance 1 for N(0, 1) inputs). s and b are unconstrained. "
    + _F16_NOTE.format(256),
))
class StarReLU(Activation):
    r"""StarReLU ``s * relu(x)^2 + b`` with learnable scalars (Yu et al., arXiv 2210.13452).

    The MetaFormer code (timm ``StarReLU``) initialises ``s = 1, b = 0``, our default, which is
    exactly :class:`ReLU2`. The paper derives ``s = 1/sqrt(1.25)``, ``b = -0.5/sqrt(1.25)``
    (:data:`STAR_RELU_SCALE`, :data:`STAR_RELU_BIAS`) so that the output has mean 0 and variance
    1 for ``x ~ N(0, 1)``; ``unit_variance=True`` starts from them.

    Example:
        >>> m = StarReLU(unit_variance=True)
        >>> round(m.value("s").item(), 6), round(m.value("b").item(), 6)
        (0.894427, -0.447214)

    Args:
        s: initial scale (default 1, or :data:`STAR_RELU_SCALE` with ``unit_variance``).
        b: initial bias (default 0, or :data:`STAR_RELU_BIAS` with ``unit_variance``).
        unit_variance: start from the paper's unit-variance constants.
        trainable: make s and b ``nn.Parameter`` s (else fixed buffers).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(
        self, *, s: float | None = None, b: float | None = None, unit_variance: bool = False,
        trainable: bool = True, **kw,
    ) -> None:
        if not isinstance(unit_variance, bool):
            raise TypeError(f"StarReLU: unit_variance must be a bool, got {unit_variance!r}")
        s0 = (STAR_RELU_SCALE if unit_variance else 1.0) if s is None else float(s)
        b0 = (STAR_RELU_BIAS if unit_variance else 0.0) if b is None else float(b)
        if not (math.isfinite(s0) and math.isfinite(b0)):
            raise ValueError(f"StarReLU needs finite s and b, got s={s0}, b={b0}")
        super().__init__(**kw)
        self.add_param("s", s0, trainable=trainable)
        self.add_param("b", b0, trainable=trainable)

    formula = staticmethod(star_relu)
    compute_fp32 = True


# ---------------------------------------------------------------------------------- xIELU
def xielu(x: torch.Tensor, alpha_p: torch.Tensor, alpha_n: torch.Tensor, beta: float, eps: float) -> torch.Tensor:
    # expm1 of min(x, eps): the unselected branch never overflows (inf * 0 = NaN in backward)
    neg = alpha_n * (torch.expm1(torch.clamp(x, max=eps)) - x) + beta * x
    return torch.where(x > 0, alpha_p * x * x + beta * x, neg)


@register_activation(ActivationInfo(
    name="xielu",
    formula="alpha_p x^2 + beta x if x > 0 else alpha_n (expm1(min(x, eps)) - x) + beta x; "
    "alpha_p = softplus(p), alpha_n = beta + softplus(n), beta = 0.5, eps = -1e-6",
    latex=r"\begin{cases} \alpha_p x^2 + \beta x & x > 0 \\ "
    r"\alpha_n (e^{\min(x, \epsilon)} - 1 - x) + \beta x & x \le 0 \end{cases}",
    paper=Paper("Deriving Activation Functions Using Integration", "2411.13010", 2024),
    params=(ParamSpec("alpha_p", 0.8, constraint="> 0 (softplus)"),
            ParamSpec("alpha_n", 0.8, constraint="> beta = 0.5 (softplus)")),
    monotonic=False, smoothness="C0", bounded_below=True, output_range=(XIELU_MIN, INF), f0=XIELU_F0,
    df0=None, category="modern",
    notes="Parameterisation of the Apertus / transformers / vLLM code: alpha_p = softplus(p), alpha_n = beta + "
    "softplus(n), one scalar each per layer, beta = 0.5 and eps = -1e-6 fixed. The eps (kept for "
    "bit-compatibility) makes f(0) = alpha_n expm1(eps) = -8e-7 (a jump of that size at 0) and the slope "
    "beta - alpha_n = -0.3 on (eps, 0]: so the row says C0 with f'(0) undefined; with eps=0 xIELU is C1, "
    "f(0) = 0, f'(0) = beta. Both tails grow: slope beta - alpha_n < 0 as x -> -inf. "
    + _F16_NOTE.format(286),
))
class XIELU(Activation):
    r"""xIELU (Huang & Schlag, arXiv 2411.13010), the activation of the Apertus LLMs.

    .. math:: f(x) = \begin{cases} \alpha_p x^2 + \beta x & x > 0 \\
              \alpha_n (\mathrm{expm1}(\min(x, \epsilon)) - x) + \beta x & x \le 0 \end{cases}

    with trainable ``alpha_p = softplus(p) > 0`` and ``alpha_n = beta + softplus(n) > beta``
    (one scalar each per layer, the reference parameterisation), fixed ``beta = 0.5`` and
    ``eps = -1e-6``. Defaults ``alpha_p = alpha_n = 0.8``. The negative branch's slope tends to
    ``beta - alpha_n < 0``, so xIELU rises again for very negative inputs. float16 outputs
    overflow above x ~ 286; half inputs are computed in float32 inside.

    Args:
        alpha_p: initial positive-branch curvature (> 0).
        alpha_n: initial negative-branch coefficient (> beta).
        beta: the fixed linear coefficient (>= 0).
        eps: the clamp of the exponential's argument (<= 0); 0 gives the exact C1 function.
        trainable: make alpha_p and alpha_n ``nn.Parameter`` s (else fixed buffers).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(
        self, *, alpha_p: float = 0.8, alpha_n: float = 0.8, beta: float = 0.5, eps: float = -1e-6,
        trainable: bool = True, **kw,
    ) -> None:
        if not (math.isfinite(beta) and beta >= 0):
            raise ValueError(f"xIELU needs a finite beta >= 0, got {beta!r}")
        if not (math.isfinite(eps) and eps <= 0):
            raise ValueError(f"xIELU needs eps <= 0 (it caps expm1's argument on the negative side), got {eps!r}")
        if not alpha_p > 0 or not alpha_n > beta:
            raise ValueError(
                f"xIELU needs alpha_p > 0 and alpha_n > beta = {beta} (alpha_n = beta + softplus(n)), got "
                f"alpha_p={alpha_p!r}, alpha_n={alpha_n!r}"
            )
        super().__init__(**kw)
        self.beta, self.eps = float(beta), float(eps)
        self.add_param("alpha_p", alpha_p, Positive(), trainable=trainable)
        self.add_param("alpha_n", alpha_n, Positive(self.beta), trainable=trainable)

    formula = staticmethod(xielu)
    consts = ("beta", "eps")
    compute_fp32 = True

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, beta={self.beta:g}, eps={self.eps:g}"
