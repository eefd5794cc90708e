"""Logical activations in logit space: AND, OR, XNOR (Lowe et al., arXiv 2110.11940, NeurIPS 2022).

These are *reducing* activations: the channel dimension is split into groups of ``k``
consecutive channels and each group is reduced to one output, so ``C`` input channels give
``C / k`` outputs. Three families:

* ``_il`` (exact): for independent probabilities ``p_i = sigmoid(x_i)``,
  ``AND = logit(prod p_i)``, ``OR = logit(1 - prod(1 - p_i))``,
  ``XNOR = logit(P(an even number of inputs is true)) = 2 atanh((-1)^k prod tanh(x_i / 2))``.
  As in the authors' code, probabilities are clamped to [1e-7, 1 - 1e-7] inside the logs, so
  outputs lie in [-16.118, 16.118]. We compute in log space (same function, better accuracy).
* ``_ail`` (approximate, piecewise linear): AND = sum of the negative parts if any input is
  negative, else min; OR = sum of positive parts if any is positive, else max;
  XNOR = (-1)^k sgn(prod x_i) min |x_i| (the sign is a constant for backprop).
* ``_nail``: AIL normalised to mean 0 / std 1 for i.i.d. N(0, 1) inputs. For k = 2 the
  constants are the authors' analytic ones; for any k we compute them by 1-D quadrature
  (exact, where the authors tabulate Monte Carlo estimates for k = 3, 4, 5, 8, ...).
"""

from __future__ import annotations

import functools
import math

import torch

from ._base import Activation, fp32_if_half
from ._info import ActivationInfo, Paper
from ._registry import register_activation

__all__ = [
    "LogicalActivation",
    "AndIL", "OrIL", "XnorIL", "AndAIL", "OrAIL", "XnorAIL", "AndNAIL", "OrNAIL", "XnorNAIL",
    "nail_constants",
]

_PAPER = Paper(
    "Logical Activation Functions: Logit-space equivalents of Probabilistic Boolean Operators",
    "2110.11940",
    2022,
)
EPS = 1e-7  # probability clamp of the authors' code
_IL_BOUND = math.log((1 - EPS) / EPS)  # 16.118...


class LogicalActivation(Activation):
    """Base of the k-ary logical activations: groups ``k`` consecutive channels along ``channel_dim``.

    Args:
        k: group size (arity); ``C`` must be divisible by ``k``.
        channel_dim: dimension holding the channels (1 for NCHW/NCL, -1 for (B, T, C)).
        **kw: other :class:`Activation` arguments (``impl``); there are no parameters.
    """

    def __init__(self, *, k: int = 2, **kw) -> None:
        super().__init__(**kw)
        if int(k) != k or k < 2:
            raise ValueError(f"{type(self).__name__}: k must be an integer >= 2, got {k!r}")
        self.k = int(k)

    def _group(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Reshapes channels C into (C // k, k); returns the tensor and the new group dim."""
        d = self.channel_dim % x.dim()
        c = x.shape[d]
        if c % self.k:
            raise ValueError(
                f"{type(self).__name__}: the input has C={c} channels along dim {self.channel_dim} "
                f"(shape {tuple(x.shape)}), which is not divisible by k={self.k}; make the preceding "
                f"layer output a multiple of {self.k} channels (it yields C/{self.k} outputs) or change k"
            )
        shape = list(x.shape)
        shape[d : d + 1] = [c // self.k, self.k]
        return x.reshape(shape), d + 1

    def forward_eager(self, x: torch.Tensor) -> torch.Tensor:
        z, d = self._group(x)
        return self._reduce(z, d)

    def _reduce(self, z: torch.Tensor, d: int) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"k={self.k}, channel_dim={self.channel_dim}"


# ---------------------------------------------------------------------------------------- IL
def _and_il(z: torch.Tensor, d: int) -> torch.Tensor:
    z, dtype = fp32_if_half(z), z.dtype
    log_p = torch.nn.functional.logsigmoid(z).sum(d)
    log_p = log_p.clamp(math.log(EPS), math.log1p(-EPS))  # p in [eps, 1 - eps]
    return (log_p - torch.log(-torch.expm1(log_p))).to(dtype)


def _xnor_il(z: torch.Tensor, d: int) -> torch.Tensor:
    z, dtype = fp32_if_half(z), z.dtype
    t = torch.tanh(z / 2).prod(d) * (-1) ** z.shape[d]
    t = t.clamp(-(1 - 2 * EPS), 1 - 2 * EPS)  # P(even) in [eps, 1 - eps]
    return (2 * torch.atanh(t)).to(dtype)


# --------------------------------------------------------------------------------------- AIL
def _and_ail(z: torch.Tensor, d: int) -> torch.Tensor:
    neg_sum = torch.clamp(z, max=0).sum(d)
    return torch.where(neg_sum < 0, neg_sum, z.amin(d))


def _xnor_ail(z: torch.Tensor, d: int) -> torch.Tensor:
    s = (torch.sign(z).prod(d) * (-1) ** z.shape[d]).detach()
    return s * z.abs().amin(d)


# -------------------------------------------------------------------------------------- NAIL
@functools.cache
def nail_constants(k: int) -> tuple[float, float, float]:
    """Mean and std of AND_AIL, and std of XNOR_AIL, for k i.i.d. N(0, 1) inputs.

    Exact up to quadrature error (~1e-10). With ``Phi`` the normal cdf and
    ``m_j = int_0^inf j t^(j-1) (2(1 - Phi(t)))^k dt`` the j-th moment of the minimum of k
    half-normals: ``E[AND] = -k/sqrt(2 pi) + 2^-k m_1``,
    ``E[AND^2] = k/2 + k(k-1)/(2 pi) + 2^-k m_2``, ``E[XNOR^2] = m_2`` (mean 0); OR = -AND(-x).
    For k = 2 this gives the authors' analytic 0.6810370722, 0.9722877400, 0.6028102750.

    Returns:
        (and_mean, and_std, xnor_std); OR's mean is ``-and_mean``, its std ``and_std``.
    """
    from scipy import integrate, special  # local: only NAIL needs scipy

    if k < 2:
        raise ValueError(f"nail_constants: k must be >= 2, got {k}")
    tail = lambda t: special.erfc(t / math.sqrt(2)) ** k  # (2 (1 - Phi(t)))^k  # noqa: E731
    m1 = integrate.quad(tail, 0, math.inf, epsabs=1e-13, epsrel=1e-12)[0]
    m2 = integrate.quad(lambda t: 2 * t * tail(t), 0, math.inf, epsabs=1e-13, epsrel=1e-12)[0]
    mean = -k / math.sqrt(2 * math.pi) + m1 / 2**k
    second = k / 2 + k * (k - 1) / (2 * math.pi) + m2 / 2**k
    return mean, math.sqrt(second - mean**2), math.sqrt(m2)


# ------------------------------------------------------------------------------ registration
def _info(name: str, formula: str, latex: str, f0: float, df0: float | None, monotonic: bool,
          bounded: bool, notes: str = "") -> ActivationInfo:
    rng = (-_IL_BOUND, _IL_BOUND) if bounded else (-math.inf, math.inf)
    return ActivationInfo(
        name=name,
        formula=formula,
        latex=latex,
        paper=_PAPER,
        monotonic=monotonic,
        smoothness="Cinf" if name.endswith("_il") else "C0",
        bounded_below=bounded,
        bounded_above=bounded,
        output_range=rng,
        f0=f0,
        df0=df0,
        elementwise=False,
        arity=2,
        category="seed",
        notes="Reduces groups of k consecutive channels (default k=2) along channel_dim: C inputs -> "
        "C/k outputs, C % k != 0 raises. Scalar properties describe t -> f(t, ..., t) for k = 2. " + notes,
    )


_IL_NOTE = "Probabilities clamped to [1e-7, 1-1e-7] as in the authors' code, so |f| <= 16.118."
_LOG3 = math.log(3.0)


@register_activation(_info(
    "and_il", "logit(prod_i sigmoid(x_i))", r"\operatorname{logit}\prod_i \sigma(x_i)",
    -_LOG3, 4 / 3, True, True, _IL_NOTE))
class AndIL(LogicalActivation):
    """Exact logit-space AND: ``logit(prod_i sigmoid(x_i))`` over groups of k channels (Lowe et al.)."""

    def _reduce(self, z, d):
        return _and_il(z, d)


@register_activation(_info(
    "or_il", "logit(1 - prod_i sigmoid(-x_i))", r"\operatorname{logit}\left(1 - \prod_i \sigma(-x_i)\right)",
    _LOG3, 4 / 3, True, True, _IL_NOTE))
class OrIL(LogicalActivation):
    """Exact logit-space OR: ``logit(1 - prod_i sigmoid(-x_i)) = -AND_IL(-x)`` (Lowe et al.)."""

    def _reduce(self, z, d):
        return -_and_il(-z, d)


@register_activation(_info(
    "xnor_il", "logit(P(even number of true inputs)) = 2 atanh((-1)^k prod_i tanh(x_i / 2))",
    r"2 \operatorname{atanh}\Big((-1)^k \prod_i \tanh\tfrac{x_i}{2}\Big)",
    0.0, 0.0, False, True, _IL_NOTE + " For k=2: logit(p q + (1-p)(1-q))."))
class XnorIL(LogicalActivation):
    """Exact logit-space XNOR/parity: ``logit(P(an even number of inputs is true))`` (Lowe et al.).

    For k = 2 this is ``logit(p q + (1 - p)(1 - q))``; in closed form
    ``2 atanh((-1)^k prod_i tanh(x_i / 2))``.
    """

    def _reduce(self, z, d):
        return _xnor_il(z, d)


@register_activation(_info(
    "and_ail", "sum_i min(x_i, 0) if any x_i < 0 else min_i x_i",
    r"\begin{cases} \sum_i \min(x_i, 0) & \exists i: x_i < 0 \\ \min_i x_i & \text{else} \end{cases}",
    0.0, None, True, False))
class AndAIL(LogicalActivation):
    """Approximate logit-space AND: sum of negative parts if any input is negative, else min."""

    def _reduce(self, z, d):
        return _and_ail(z, d)


@register_activation(_info(
    "or_ail", "sum_i max(x_i, 0) if any x_i > 0 else max_i x_i",
    r"\begin{cases} \sum_i \max(x_i, 0) & \exists i: x_i > 0 \\ \max_i x_i & \text{else} \end{cases}",
    0.0, None, True, False))
class OrAIL(LogicalActivation):
    """Approximate logit-space OR: sum of positive parts if any input is positive, else max."""

    def _reduce(self, z, d):
        return -_and_ail(-z, d)


@register_activation(_info(
    "xnor_ail", "(-1)^k sgn(prod_i x_i) min_i |x_i|   (sign constant in backprop)",
    r"(-1)^k \operatorname{sgn}\Big(\prod_i x_i\Big) \min_i |x_i|",
    0.0, None, False, False))
class XnorAIL(LogicalActivation):
    """Approximate logit-space XNOR/parity: ``(-1)^k sgn(prod x_i) min |x_i|``; the sign is detached."""

    def _reduce(self, z, d):
        return _xnor_ail(z, d)


class _Normalised(LogicalActivation):
    """Holds the N(0, 1) normalising constants for this k (computed once, at construction)."""

    def __init__(self, *, k: int = 2, **kw) -> None:
        super().__init__(k=k, **kw)
        self.and_mean, self.and_std, self.xnor_std = nail_constants(self.k)


_AND_MEAN2, _AND_STD2, _XNOR_STD2 = -0.6810370721753108, 0.9722877400310959, 0.6028102749890869
_NAIL_NOTE = "k=2 constants are the authors' analytic ones; other k are computed by quadrature (nail_constants)."


@register_activation(_info(
    "and_nail", "(AND_AIL(x) - mu_k) / sigma_k   (k=2: (AND_AIL + 0.6810370722) / 0.9722877400)",
    r"\frac{\mathrm{AND_{AIL}}(x) - \mu_k}{\sigma_k}", -_AND_MEAN2 / _AND_STD2, None, True, False, _NAIL_NOTE))
class AndNAIL(_Normalised):
    """Normalised AND_AIL: mean 0, std 1 for i.i.d. N(0, 1) inputs (constants from :func:`nail_constants`)."""

    def _reduce(self, z, d):
        return (_and_ail(z, d) - self.and_mean) / self.and_std


@register_activation(_info(
    "or_nail", "(OR_AIL(x) + mu_k) / sigma_k   (k=2: (OR_AIL - 0.6810370722) / 0.9722877400)",
    r"\frac{\mathrm{OR_{AIL}}(x) + \mu_k}{\sigma_k}", _AND_MEAN2 / _AND_STD2, None, True, False, _NAIL_NOTE))
class OrNAIL(_Normalised):
    """Normalised OR_AIL: mean 0, std 1 for i.i.d. N(0, 1) inputs (constants from :func:`nail_constants`)."""

    def _reduce(self, z, d):
        return (-_and_ail(-z, d) + self.and_mean) / self.and_std


@register_activation(_info(
    "xnor_nail", "XNOR_AIL(x) / s_k   (k=2: XNOR_AIL / 0.6028102750)",
    r"\mathrm{XNOR_{AIL}}(x) / s_k", 0.0, None, False, False, _NAIL_NOTE))
class XnorNAIL(_Normalised):
    """Normalised XNOR_AIL: std 1 for i.i.d. N(0, 1) inputs (constant from :func:`nail_constants`)."""

    def _reduce(self, z, d):
        return _xnor_ail(z, d) / self.xnor_std
