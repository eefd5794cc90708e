"""The non-standard activations of the Dubey et al. benchmark: Elliott, LiSHT, ABReLU, SRS, PDELU, PAU.

Dubey, Singh & Chaudhuri, "Activation functions in deep learning: a comprehensive survey and
benchmark", Neurocomputing 503:92-108, 2022 (arXiv 2109.14545; code shivram1987/ActivationFunctions).
Where the reference code departs from the papers (PDELU computes ReLU there, SRS adds 1e-2
offsets) we implement the intended function and expose the code's choice as parameters.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import torch

from ._base import Activation, FormulaCall, Positive
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import register_activation

__all__ = ["Elliott", "LiSHT", "ABReLU", "SRS", "PDELU", "PAU", "PAU_LEAKY_RELU_INIT"]

INF = math.inf
DUBEY = Paper("Activation functions in deep learning: a comprehensive survey and benchmark", "2109.14545", 2022)


def elliott(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x / (1.0 + x.abs()) + 0.5


@register_activation(ActivationInfo(
    name="elliott", formula="0.5 x / (1 + |x|) + 0.5", latex=r"\frac{x}{2(1 + |x|)} + \frac12",
    paper=DUBEY, monotonic=True, smoothness="C1", bounded_below=True, bounded_above=True,
    output_range=(0.0, 1.0), f0=0.5, df0=0.5, category="dubey",
    notes="The Dubey et al. code version (a sigmoid-like rescaled softsign), not Elliott's x/(1+|x|).",
))
class Elliott(Activation):
    """Elliott activation as in the Dubey et al. code: ``0.5 x / (1 + |x|) + 0.5`` (range (0, 1))."""

    formula = staticmethod(elliott)


def lisht(x: torch.Tensor) -> torch.Tensor:
    return x * torch.tanh(x)


@register_activation(ActivationInfo(
    name="lisht", formula="x * tanh(x)", latex=r"x \tanh(x)",
    paper=Paper("LiSHT: Non-Parametric Linearly Scaled Hyperbolic Tangent Activation Function for Neural "
                "Networks", "1901.05894", 2019),
    bounded_below=True, output_range=(0.0, INF), f0=0.0, df0=0.0, category="dubey",
))
class LiSHT(Activation):
    """Linearly scaled hyperbolic tangent (Roy et al., 2019), ``x tanh(x)`` (even, >= 0)."""

    formula = staticmethod(lisht)
    compute_fp32 = True
    # eager is one native kernel plus a product; the fused kernel measured no faster on CPU
    # (benchmarks/RESULTS.md), so impl="auto" keeps eager there
    fused_on_cpu = False


def abrelu(x: torch.Tensor) -> torch.Tensor:
    """Not elementwise: the mean is over the whole tensor (so it never runs fused)."""
    return torch.relu(x - x.mean())


@register_activation(ActivationInfo(
    name="abrelu", formula="max(0, x - mean(x)), mean over the whole input tensor",
    latex=r"\max(0, x - \bar{x})",
    paper=Paper("Average Biased ReLU Based CNN Descriptor for Improved Face Retrieval", "1804.02051", 2018),
    monotonic=True, smoothness="C0", bounded_below=True, output_range=(0.0, INF), f0=0.0, df0=None,
    elementwise=False, batch_dependent=True, category="dubey",
    notes="The mean is over every element of the input (all dims, batch included), as in the Dubey et al. "
    "code: the output of one sample depends on the rest of the batch and differs between train and test.",
))
class ABReLU(Activation):
    """Average-biased ReLU (Dubey & Chakraborty, 2018): ``relu(x - mean(x))``.

    The mean is taken over the entire input tensor (batch and all other dims), as in the Dubey et
    al. benchmark code, so the activation is batch-dependent. Monotonic in each element's own input
    (its weight in the mean is 1/N < 1).
    """

    formula = staticmethod(abrelu)
    compute_fp32 = True


def srs(x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor, eps: float) -> torch.Tensor:
    # x >= 0 directly; x < 0 multiplied through by e^{x/beta} (no inf/inf), see the class doc
    xp = torch.clamp(x, min=0.0)
    xn = torch.clamp(x, max=0.0)
    pos = xp / (xp / alpha + torch.exp(-xp / beta) + eps)
    en = torch.exp(xn / beta)
    u = xn * en
    return torch.where(x >= 0, pos, u / (u / alpha + 1.0 + eps * en))


@register_activation(ActivationInfo(
    name="srs", formula="x / (x / alpha + exp(-x / beta) + eps)", latex=r"\frac{x}{x/\alpha + e^{-x/\beta}}",
    paper=Paper("Soft-Root-Sign Activation Function", "2003.00547", 2020),
    params=(ParamSpec("alpha", 5.0, constraint="alpha = beta * r, r > min_ratio (softplus)"),
            ParamSpec("beta", 3.0, constraint="> 0 (softplus)")),
    bounded_below=True, bounded_above=True, output_range=(-1.4162421447869216, 5.0), f0=0.0, df0=1.0,
    category="dubey",
    notes="Exact paper form with alpha=5, beta=3. The code's alpha=beta=10 with +1e-2 offsets is "
    "SRS(alpha=10.01, beta=10.01, eps=0.01). alpha/beta is kept above min_ratio=0.5 > 1/e (no pole).",
))
class SRS(Activation):
    r"""Soft-root-sign (Zhou et al., 2020): ``SRS(x) = x / (x/alpha + exp(-x/beta) + eps)``.

    **Pole constraint.** The denominator's minimum over x is ``(beta/alpha)(1 + ln(alpha/beta))``
    (for ``eps = 0``), which is <= 0 when ``alpha/beta <= 1/e``. We therefore parameterise
    ``beta = softplus(beta_raw)`` and ``alpha = beta * r`` with ``r = min_ratio + softplus(ratio_raw)``,
    ``min_ratio = 0.5 > 1/e``: the denominator stays >= ``(1 - 1/(e * min_ratio))`` for x < 0 and
    positive for x >= 0, whatever the training does. ``module.value("alpha")`` gives alpha.

    **Stable evaluation.** For ``x < 0`` we multiply through by ``e^{x/beta}``:
    ``SRS(x) = u / (u/alpha + 1 + eps e^{x/beta})`` with ``u = x e^{x/beta}`` in ``[-beta/e, 0]``,
    exactly equal and free of ``inf/inf`` for large negative x.

    Defaults are the paper's alpha = 5, beta = 3 (range (-1.41624, 5)). The Dubey et al. code
    initialises alpha = beta = 10 and adds 1e-2 to |alpha|, |beta| and the denominator:
    ``SRS(alpha=10.01, beta=10.01, eps=0.01)`` reproduces its initial function.

    Args:
        alpha: initial alpha (the limit of SRS as x -> inf).
        beta: initial beta (> 0).
        eps: fixed offset added to the denominator (0 = paper, 0.01 = Dubey et al. code).
        min_ratio: lower bound of alpha/beta; must exceed 1/e.
        trainable: make alpha and beta trainable (else fixed buffers).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(self, *, alpha: float = 5.0, beta: float = 3.0, eps: float = 0.0, min_ratio: float = 0.5,
                 trainable: bool = True, **kw) -> None:
        if not min_ratio > 1.0 / math.e:
            raise ValueError(f"SRS min_ratio must exceed 1/e = {1 / math.e:.6f} (else the denominator can "
                             f"reach 0), got {min_ratio}")
        if not (beta > 0 and alpha / beta > min_ratio):
            raise ValueError(f"SRS needs beta > 0 and alpha/beta > min_ratio={min_ratio}, got alpha={alpha}, "
                             f"beta={beta}; raise alpha or lower min_ratio (> 1/e)")
        if not (eps >= 0 and math.isfinite(eps)):
            raise ValueError(f"SRS eps must be a finite number >= 0, got {eps}")
        super().__init__(**kw)
        self.eps = float(eps)
        self.min_ratio = float(min_ratio)
        self.add_param("beta", beta, constraint=Positive(), trainable=trainable)
        self.add_param("ratio", alpha / beta, constraint=Positive(min_ratio), trainable=trainable)

    def value(self, name: str) -> torch.Tensor:
        if name == "alpha":
            return super().value("ratio") * super().value("beta")
        return super().value(name)

    def param_values(self) -> dict[str, torch.Tensor]:
        return {"alpha": self.value("alpha"), "beta": self.value("beta")}

    formula = staticmethod(srs)
    compute_fp32 = True

    def formula_call(self, x: torch.Tensor) -> FormulaCall:
        b = self.param("beta", x)
        return FormulaCall(srs, [self.param("ratio", x) * b, b], (self.eps,))

    def extra_repr(self) -> str:
        a, b = self.value("alpha").detach(), self.value("beta").detach()
        if a.dim() == 0:
            s = f"alpha={a.item():.4g}, beta={b.item():.4g}"
        else:
            s = f"alpha=[{a.shape[0]} channels, mean {a.mean().item():.4g}], beta=[mean {b.mean().item():.4g}]"
        return s + f", eps={self.eps:g}, min_ratio={self.min_ratio:g}"


def exact_exponent(t: float) -> float:
    """``1 / (1 - t)`` computed from the decimal value of ``t`` (0.9 -> exactly 10.0, not 9.999999999999998)."""
    return float(1 / (1 - Fraction(repr(float(t)))))


def pdelu(x: torch.Tensor, alpha: torch.Tensor, t: float, exponent: float) -> torch.Tensor:
    """``exponent`` is ``1 / (1 - t)``, computed exactly by the module (:func:`exact_exponent`)."""
    base = torch.clamp(1.0 + (1.0 - t) * torch.clamp(x, max=0.0), min=0.0)
    return torch.where(x > 0, x, alpha * (torch.pow(base, exponent) - 1.0))


@register_activation(ActivationInfo(
    name="pdelu", formula="x if x > 0 else alpha * (max(0, 1 + (1 - t) x)^(1 / (1 - t)) - 1)",
    latex=r"x > 0 ? x : \alpha\left([1 + (1 - t)x]_+^{1/(1-t)} - 1\right)",
    paper=Paper("Parametric Deformable Exponential Linear Units for Deep Neural Networks", "", 2020),
    params=(ParamSpec("alpha", 1.0),), monotonic=True, smoothness="C1", bounded_below=True,
    output_range=(-1.0, INF), f0=0.0, df0=1.0, category="dubey", warm_start={"relu": {"alpha": 0.0}},
    notes="The intended function (the Dubey et al. code computes ReLU by an in-place aliasing slip). "
    "t = 0.9 (exponent exactly 10); the base is clamped at 0 so x < -1/(1-t) gives -alpha, not a growing power.",
))
class PDELU(Activation):
    r"""Parametric deformable ELU (Cheng et al., 2020), the intended function:

    ``PDELU(x) = x`` for ``x > 0`` and ``alpha ([1 + (1 - t) x]_+^{1/(1-t)} - 1)`` for ``x <= 0``.

    The Dubey et al. code overwrites its input in place and computes plain ReLU; this is the
    function the paper describes. Hazards handled: the base ``1 + (1 - t) x`` is clamped at 0
    (for t = 0.9 it turns negative below x = -10, where the even power would grow again to +1023
    at x = -30), and the exponent ``1/(1 - t)`` is computed exactly from the decimal ``t`` (0.9 gives
    10, not 9.999998, which would make a negative base NaN). Half inputs are computed in float32.
    t -> 1 tends to ELU.

    Args:
        alpha: initial scale of the negative branch (trainable, unconstrained); 0 gives ReLU.
        t: deformation, 0 < t < 1, default 0.9 (fixed).
        trainable: make alpha an ``nn.Parameter`` (else a fixed buffer).
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    def __init__(self, *, alpha: float = 1.0, t: float = 0.9, trainable: bool = True, **kw) -> None:
        if not 0.0 < t < 1.0:
            raise ValueError(f"PDELU needs 0 < t < 1 (t = 1 is ELU, t <= 0 has an infinite slope at the "
                             f"clamp point), got t={t}")
        super().__init__(**kw)
        self.t = float(t)
        self.exponent = exact_exponent(t)
        self.add_param("alpha", alpha, trainable=trainable)

    formula = staticmethod(pdelu)
    consts = ("t", "exponent")
    compute_fp32 = True

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, t={self.t:g}"


# Least-squares fit (by us, scipy, float64) of leaky_relu(x, 0.01) on [-3, 3] (2001 points) with
# a0 = 0 and an even denominator; max error 0.027. Q(x) = 7.272201 x^2 + 0.666638 x^4 >= 0 there,
# so the initial function is smooth (C-infinity) and P/(1 + |Q|) ~ 0.505 x for large |x|.
PAU_LEAKY_RELU_INIT: tuple[tuple[float, ...], tuple[float, ...]] = (
    (0.0, 0.505, 2.484346, 3.672461, 1.910105, 0.336652),
    (0.0, 7.272201, 0.0, 0.666638),
)


@functools.cache
def pau_formula(m: int, n: int, form: str = "abs_sum"):
    """PAU's formula for degrees (m, n): ``fn(x, a_0, ..., a_m, b_1, ..., b_n)`` (one function per
    configuration, so each gets its own fused kernel).

    Evaluated in float64 and returned in the input's dtype: in float32 ``x^5 / x^4`` is
    ``inf / inf`` (NaN in value and gradient) from ``|x| = 5e9`` on, while float64 holds
    ``x^5`` and the gradient's ``(1 + |Q|)^2`` up to the largest float32 (for coefficients of
    order 1). Rescaling by ``1 / x`` instead keeps the values finite but not the gradient
    (``x * R'(1 / x) * (-1 / x^2)`` overflows in the middle).
    """

    def fn(x: torch.Tensor, *coef: torch.Tensor) -> torch.Tensor:
        z = x.double()
        c = [v.double() for v in coef]
        a, b = c[: m + 1], c[m + 1:]
        p = a[m]
        for ak in reversed(a[:m]):  # Horner
            p = p * z + ak
        q: torch.Tensor | int  # the int 0 when the sum below has no terms (n = 0)
        if form == "abs_sum":
            q = b[n - 1]
            for bk in reversed(b[: n - 1]):
                q = q * z + bk
            q = (q * z).abs()
        else:
            az = z.abs()
            q = sum(bk.abs() * az ** (k + 1) for k, bk in enumerate(b))
        return (p / (1.0 + q)).to(x.dtype)

    fn.__name__ = fn.__qualname__ = f"pau_{m}_{n}_{form}"
    return fn


@register_activation(ActivationInfo(
    name="pau", formula="P(x) / (1 + |Q(x)|), P of degree 5, Q = b1 x + ... + b4 x^4",
    latex=r"\frac{\sum_{j=0}^{5} a_j x^j}{1 + \left|\sum_{k=1}^{4} b_k x^k\right|}",
    paper=Paper("Pade Activation Units: End-to-end Learning of Flexible Activation Functions in Deep "
                "Networks", "1907.06732", 2020),
    params=(ParamSpec("numerator", 0.0, constraint="none; vector a_0..a_5, init PAU_LEAKY_RELU_INIT"),
            ParamSpec("denominator", 0.0, constraint="none; vector b_1..b_4, init PAU_LEAKY_RELU_INIT")),
    f0=0.0, df0=0.505, category="dubey",
    notes="Degrees (5, 4); initial coefficients our least-squares fit of leaky_relu(0.01) on [-3, 3] "
    "(the PAU authors' fitted table was not re-checked). Safe denominator 1 + |Q(x)| (the paper's 'safe "
    "PAU'); denominator='sum_abs' gives 1 + sum |b_k| |x|^k.",
))
class PAU(Activation):
    r"""Padé activation unit (Molina et al., 2020) with a safe denominator:

    ``PAU(x) = (a_0 + a_1 x + ... + a_m x^m) / (1 + |b_1 x + ... + b_n x^n|)``, degrees (m, n) = (5, 4).

    The denominator is >= 1, so there is no pole for any coefficients. ``denominator="sum_abs"``
    selects the other safe variant ``1 + sum_k |b_k| |x|^k``. The default initial coefficients
    (:data:`PAU_LEAKY_RELU_INIT`) are our least-squares fit of leaky ReLU (slope 0.01) on [-3, 3],
    as the paper initialises from a fitted leaky ReLU; with them PAU(0) = 0, PAU'(0) = 0.505 and
    the function is smooth but not monotonic (a dip of 1e-4 near x = -0.25). Other degrees start
    from zeros except ``a_1 = 1`` (the identity). The formula is evaluated in float64 (x^5 overflows
    float16 above |x| = 9.2 and float32 above 5e9), the result returned in the input's dtype.

    Coefficients are trainable vectors (``numerator``: m + 1 values, ``denominator``: n values);
    ``shape="channel"`` gives each channel its own coefficients, stored as (C, m + 1) and (C, n).

    Args:
        degrees: (m, n), numerator and denominator degrees.
        numerator: initial a_0..a_m (default: the leaky-ReLU fit for (5, 4)).
        denominator: initial b_1..b_n.
        denominator_form: ``"abs_sum"`` (1 + |Q(x)|, default) or ``"sum_abs"`` (1 + sum |b_k x^k|).
        trainable: make the coefficients ``nn.Parameter`` s.
        **kw: ``shape``, ``num_channels``, ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    compute_fp32 = True

    def __init__(self, *, degrees: tuple[int, int] = (5, 4), numerator: tuple[float, ...] | None = None,
                 denominator: tuple[float, ...] | None = None, denominator_form: str = "abs_sum",
                 trainable: bool = True, **kw) -> None:
        m, n = (int(d) for d in degrees)
        if m < 1 or n < 1:
            raise ValueError(f"PAU degrees must be >= 1, got {degrees}")
        if denominator_form not in ("abs_sum", "sum_abs"):
            raise ValueError(f"denominator_form must be 'abs_sum' or 'sum_abs', got {denominator_form!r}")
        if numerator is None:
            numerator = PAU_LEAKY_RELU_INIT[0] if (m, n) == (5, 4) else (0.0, 1.0) + (0.0,) * (m - 1)
        if denominator is None:
            denominator = PAU_LEAKY_RELU_INIT[1] if (m, n) == (5, 4) else (0.0,) * n
        bad = [v for v in (*numerator, *denominator) if not math.isfinite(float(v))]
        if bad:
            raise ValueError(f"PAU: coefficients must be finite numbers, got {bad[0]!r}; pass finite initial values")
        if len(numerator) != m + 1 or len(denominator) != n:
            raise ValueError(f"PAU degrees {degrees} need {m + 1} numerator and {n} denominator coefficients, "
                             f"got {len(numerator)} and {len(denominator)}")
        super().__init__(**kw)
        self.degrees = (m, n)
        self.denominator_form = denominator_form
        self._fn = pau_formula(m, n, denominator_form)
        self._prepare_fused(self._fn)
        self._param_order = ["numerator", "denominator"]
        for name, init in (("numerator", numerator), ("denominator", denominator)):
            t = torch.tensor([float(v) for v in init])
            if self.shape == "channel":
                assert self.num_channels is not None  # Activation.__init__ requires it for shape="channel"
                t = t.expand(self.num_channels, -1).clone()
            if trainable:
                self.register_parameter(name, torch.nn.Parameter(t))
            else:
                self.register_buffer(name, t)

    def value(self, name: str) -> torch.Tensor:
        return getattr(self, name)

    def _coef(self, name: str, x: torch.Tensor) -> list[torch.Tensor]:
        """Coefficient k as a tensor broadcastable against x (per channel along channel_dim)."""
        c = getattr(self, name).to(x.dtype)
        if c.dim() == 1:
            return list(c.unbind(0))
        dim = self.channel_dim % x.dim()
        if x.shape[dim] != c.shape[0]:
            raise ValueError(f"PAU: input has {x.shape[dim]} channels along dim {self.channel_dim} "
                             f"(shape {tuple(x.shape)}) but the activation has {c.shape[0]}")
        view = [1] * x.dim()
        view[dim] = c.shape[0]
        return [ck.reshape(view) for ck in c.unbind(1)]

    def formula_call(self, x: torch.Tensor) -> FormulaCall:
        return FormulaCall(self._fn, self._coef("numerator", x) + self._coef("denominator", x), ())

    def extra_repr(self) -> str:
        s = f"degrees={self.degrees}"
        if self.shape == "channel":
            s += f", channels={self.num_channels}, channel_dim={self.channel_dim}"
        else:
            fmt = lambda t: "(" + ", ".join(f"{v:.4g}" for v in t.detach().tolist()) + ")"  # noqa: E731
            s += f", numerator={fmt(self.numerator)}, denominator={fmt(self.denominator)}"
        if self.denominator_form != "abs_sum":
            s += f", denominator_form={self.denominator_form!r}"
        return s
