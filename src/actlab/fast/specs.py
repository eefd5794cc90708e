"""Analytic forward and backward formulas of the elementwise activations, for the fused kernels.

Each entry mirrors the activation's eager formula (its numerically safe form) and gives its
exact derivatives; ``tests/test_fast.py`` checks every one against autograd of the eager module
(values, input gradients, parameter gradients). Backward functions return ``grad * df/dx``
followed by ``grad * df/dp`` for each parameter (reduced to the parameter's shape by the kernel).

Base formulas without parameters (``BASES``) are also used by the scaled activations (LAAF,
Rowdy), whose derivative is the chain rule through the base.
"""

from __future__ import annotations

import math

import torch

from .fused import FusedSpec

__all__ = ["SPECS", "BASES", "sinc", "dsinc"]

PI = math.pi
T = torch.Tensor
_TAYLOR = 0.1


# ---------------------------------------------------------------------------- helpers
def _near(u: T) -> tuple[T, T, T]:
    near = u.abs() < _TAYLOR
    return near, torch.where(near, torch.ones_like(u), u), torch.where(near, u, torch.zeros_like(u))


def sinc(u: T) -> T:
    """Unnormalised sin(u)/u with a Taylor branch at 0 (finite value and gradient)."""
    near, far, nr = _near(u)
    u2 = nr * nr
    series = 1 - u2 / 6 * (1 - u2 / 20 * (1 - u2 / 42 * (1 - u2 / 72)))
    return torch.where(near, series, torch.sin(far) / far)


def dsinc(u: T) -> T:
    """d/du sin(u)/u = (u cos u - sin u) / u^2, series -u/3 + u^3/30 - u^5/840 + u^7/45360 at 0."""
    near, far, nr = _near(u)
    u2 = nr * nr
    series = nr * (-1 / 3 + u2 * (1 / 30 + u2 * (-1 / 840 + u2 / 45360)))
    return torch.where(near, series, (far * torch.cos(far) - torch.sin(far)) / (far * far))


def _step(x: T) -> T:
    return (x > 0).to(x.dtype)


# Parameter-free bases: name -> (f(z), f'(z)). Used directly and through LAAF / Rowdy.
BASES: dict[str, tuple] = {
    "identity": (lambda z: z, lambda z: torch.ones_like(z)),
    "relu": (torch.relu, _step),
    "tanh": (torch.tanh, lambda z: 1 - torch.tanh(z) ** 2),
    "sigmoid": (torch.sigmoid, lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z))),
    "sin": (torch.sin, torch.cos),
    "cos": (torch.cos, lambda z: -torch.sin(z)),
    "silu": (
        lambda z: z * torch.sigmoid(z),
        lambda z: torch.sigmoid(z) * (1 + z * (1 - torch.sigmoid(z))),
    ),
    "gelu": (
        lambda z: 0.5 * z * (1 + torch.erf(z / math.sqrt(2))),
        lambda z: 0.5 * (1 + torch.erf(z / math.sqrt(2))) + z * torch.exp(-0.5 * z * z) / math.sqrt(2 * PI),
    ),
    "gcu": (lambda z: z * torch.cos(z), lambda z: torch.cos(z) - z * torch.sin(z)),
}


def _base_spec(name: str) -> FusedSpec:
    f, df = BASES[name]
    return FusedSpec(name, (), f, lambda g, x: (g * df(x),))


# ---------------------------------------------------------------------------- seed activations
def _pvlu_f(x: T, a: T, b: T) -> T:
    return torch.relu(x) + a * torch.sin(b * x)


def _pvlu_b(g: T, x: T, a: T, b: T):
    s, c = torch.sin(b * x), torch.cos(b * x)
    return g * (_step(x) + a * b * c), g * s, g * a * x * c


def _nish_f(x: T) -> T:
    return torch.where(x > 0, x, x * torch.sigmoid(x) + 0.5 * torch.sin(x))


def _nish_b(g: T, x: T):
    s = torch.sigmoid(x)
    return (g * torch.where(x > 0, torch.ones_like(x), s * (1 + x * (1 - s)) + 0.5 * torch.cos(x)),)


def _fplus_f(x: T) -> T:
    return x / (1 - torch.clamp(x, max=0))


def _fplus_b(g: T, x: T):
    d = 1 - torch.clamp(x, max=0)
    return (g / (d * d),)


def _pfplus_f(x: T, lam: T, mu: T) -> T:
    return lam * x / (1 - mu * torch.clamp(x, max=0))


def _pfplus_b(g: T, x: T, lam: T, mu: T):
    n = torch.clamp(x, max=0)
    d = 1 - mu * n
    return g * lam / (d * d), g * x / d, g * lam * x * n / (d * d)


def _ssu_f(x: T) -> T:
    return PI * sinc(x - PI)


def _ssu_b(g: T, x: T):
    return (g * PI * dsinc(x - PI),)


def _dsu_f(x: T) -> T:
    return 0.5 * PI * (sinc(x - PI) - sinc(x + PI))


def _dsu_b(g: T, x: T):
    return (g * 0.5 * PI * (dsinc(x - PI) - dsinc(x + PI)),)


def _sig(x: T) -> T:
    return torch.sigmoid(x)


def _swish_b(g: T, x: T, b: T):
    s = _sig(b * x)
    ds = s * (1 - s)
    return g * (s + b * x * ds), g * x * x * ds


def _lisht_b(g: T, x: T):
    t = torch.tanh(x)
    return (g * (t + x * (1 - t * t)),)


def _srs_parts(x: T, a: T, b: T, eps: float):
    """SRS in the eager module's overflow-free form: x >= 0 directly, x < 0 scaled by e^{x/b}."""
    xp, xn = torch.clamp(x, min=0.0), torch.clamp(x, max=0.0)
    ep = torch.exp(-xp / b)  # E on the positive side, in (0, 1]
    dp = xp / a + ep + eps
    en = torch.exp(xn / b)  # e^{x/b} on the negative side, in (0, 1]
    u = xn * en
    dn = u / a + 1.0 + eps * en  # D * e^{x/b}
    return xp, xn, ep, dp, en, u, dn


def _srs_f(x: T, a: T, b: T, eps: float) -> T:
    xp, xn, ep, dp, en, u, dn = _srs_parts(x, a, b, eps)
    return torch.where(x >= 0, xp / dp, u / dn)


def _srs_b(g: T, x: T, a: T, b: T, eps: float):
    xp, xn, ep, dp, en, u, dn = _srs_parts(x, a, b, eps)
    pos = x >= 0
    f = torch.where(pos, xp / dp, u / dn)
    # df/dx = (D - x D') / D^2 with D' = 1/a - E/b; on x < 0 both scaled by e^{2x/b}
    dx_pos = (dp - xp * (1 / a - ep / b)) / (dp * dp)
    dx_neg = (dn * en - u * en / a + u / b) / (dn * dn)
    # df/da = (f/a)^2 ; df/db = -x^2 E / (b D)^2  (= -x^2 e^{x/b} / (b D~)^2 on x < 0)
    db_pos = -(xp * xp) * ep / (b * b * dp * dp)
    db_neg = -(xn * xn) * en / (b * b * dn * dn)
    return (
        g * torch.where(pos, dx_pos, dx_neg),
        g * (f / a) ** 2,
        g * torch.where(pos, db_pos, db_neg),
    )


def _pdelu_parts(x: T, t: float, p: float):
    base = torch.clamp(1.0 + (1.0 - t) * torch.clamp(x, max=0.0), min=0.0)
    return base, torch.pow(base, p)


def _pdelu_f(x: T, alpha: T, t: float, p: float) -> T:
    _, bp = _pdelu_parts(x, t, p)
    return torch.where(x > 0, x, alpha * (bp - 1.0))


def _pdelu_b(g: T, x: T, alpha: T, t: float, p: float):
    base, bp = _pdelu_parts(x, t, p)
    live = base > 0
    dneg = torch.where(live, alpha * p * torch.pow(base, p - 1.0) * (1.0 - t), torch.zeros_like(x))
    pos = x > 0
    return g * torch.where(pos, torch.ones_like(x), dneg), g * torch.where(pos, torch.zeros_like(x), bp - 1.0)


def _ada_f(x: T, a: T, b: T) -> T:
    r = torch.relu(x)
    return r * torch.exp(b - a * r)


def _ada_b(g: T, x: T, a: T, b: T):
    r = torch.relu(x)
    e = torch.exp(b - a * r)
    return g * _step(x) * e * (1 - a * r), -g * r * r * e, g * r * e


def _lada_f(x: T, a: T, b: T, leak: float) -> T:
    return leak * torch.clamp(x, max=0) + _ada_f(x, a, b)


def _lada_b(g: T, x: T, a: T, b: T, leak: float):
    gx, ga, gb = _ada_b(g, x, a, b)
    return gx + g * leak * (x <= 0).to(x.dtype), ga, gb


_COLU_CLAMP = 30.0


def _colu_parts(z: T):
    t = torch.clamp(z, min=0.0, max=_COLU_CLAMP)
    k = torch.exp(-t - torch.exp(t))
    gpos = t * k
    n = torch.clamp(z, max=0.0)
    en = torch.exp(n)
    s = torch.exp(n + en)
    return t, k, gpos, n, en, s


def _colu_f(z: T) -> T:
    t, k, gpos, n, en, s = _colu_parts(z)
    return torch.where(z > 0, z / (1 - gpos), n * s / (s - n))


def _colu_b(g: T, z: T):
    t, k, gpos, n, en, s = _colu_parts(z)
    dg = torch.where(z <= _COLU_CLAMP, k * (1 - t - t * torch.exp(t)), torch.zeros_like(z))
    one_g = 1 - gpos
    dpos = (one_g + z * dg) / (one_g * one_g)
    dneg = (s * s - n * n * s * (1 + en)) / ((s - n) * (s - n))
    return (g * torch.where(z > 0, dpos, dneg),)


def _abcd_b(act, dact):
    def bwd(g: T, x: T, a: T, b: T, c: T, d: T):
        z = a * x + c
        dz = dact(z)
        return g * b * a * dz, g * b * x * dz, g * act(z), g * b * dz, g
    return bwd


def _arelu_b(g: T, x: T, alpha: T):
    neg = (x <= 0).to(x.dtype)  # clamp(x, max=0) passes the gradient at 0, as in eager
    return g * (_step(x) + alpha * neg), g * torch.clamp(x, max=0)


def _armax_f(x: T, a: T, b: T, c: T, d: T) -> T:
    return torch.maximum(a * x + c, b * x + d)


def _armax_b(g: T, x: T, a: T, b: T, c: T, d: T):
    first = (a * x + c >= b * x + d).to(x.dtype)
    second = 1 - first
    return g * (a * first + b * second), g * x * first, g * x * second, g * first, g * second


def _where_pos(x: T, a: T, b: T) -> T:
    return torch.where(x >= 0, a, b)


def _lrelu_f(x: T, s: T) -> T:
    return torch.where(x >= 0, x, s * x)


def _lrelu_b(g: T, x: T, s: T):
    pos = x >= 0
    return g * torch.where(pos, torch.ones_like(x), s.expand_as(x)), g * torch.where(pos, torch.zeros_like(x), x)


def _hardtanh_b(g: T, x: T, lo: T, hi: T):
    below, above = x < lo, x > hi
    inside = ~(below | above)
    return g * inside.to(x.dtype), g * below.to(x.dtype), g * above.to(x.dtype)


def _relu6ish(x: T) -> T:
    return torch.clamp(x + 3.0, 0.0, 6.0)


def _hs_mask(x: T) -> T:  # torch.clamp passes the gradient on the closed interval
    return ((x >= -3.0) & (x <= 3.0)).to(x.dtype)


def _elu_f(x: T, a: T) -> T:
    return torch.where(x > 0, x, a * torch.expm1(torch.clamp(x, max=0.0)))


def _elu_b(g: T, x: T, a: T):
    n = torch.clamp(x, max=0.0)
    pos = x > 0
    return g * torch.where(pos, torch.ones_like(x), a * torch.exp(n)), g * torch.where(pos, torch.zeros_like(x), torch.expm1(n))


def _celu_f(x: T, a: T) -> T:
    return torch.where(x > 0, x, a * torch.expm1(torch.clamp(x, max=0.0) / a))


def _celu_b(g: T, x: T, a: T):
    r = torch.clamp(x, max=0.0) / a
    e = torch.exp(r)
    pos = x > 0
    return g * torch.where(pos, torch.ones_like(x), e), g * torch.where(pos, torch.zeros_like(x), torch.expm1(r) - r * e)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu_f(x: T) -> T:
    return _SELU_SCALE * torch.where(x > 0, x, _SELU_ALPHA * torch.expm1(torch.clamp(x, max=0.0)))


def _selu_b(g: T, x: T):
    d = torch.where(x > 0, torch.ones_like(x), _SELU_ALPHA * torch.exp(torch.clamp(x, max=0.0)))
    return (g * _SELU_SCALE * d,)


def _softplus_f(x: T, b: T, th: float) -> T:
    return torch.nn.functional.softplus(b * x, threshold=th) / b


def _softplus_b(g: T, x: T, b: T, th: float):
    z = b * x
    lin = z > th
    sp = torch.nn.functional.softplus(z, threshold=th)
    gx = torch.where(lin, torch.ones_like(x), torch.sigmoid(z))
    gb = torch.where(lin, torch.zeros_like(x), (x * torch.sigmoid(z) - sp / b) / b)
    return g * gx, g * gb


_BASES_TANH = BASES["tanh"]
_BASES_SIG = BASES["sigmoid"]

SPECS: dict[str, FusedSpec] = {
    "leaky_relu": FusedSpec("leaky_relu", ("negative_slope",), _lrelu_f, _lrelu_b),
    "prelu": FusedSpec("prelu", ("alpha",), _lrelu_f, _lrelu_b),
    "hardtanh": FusedSpec(
        "hardtanh", ("min_val", "max_val"), lambda x, lo, hi: torch.minimum(torch.maximum(x, lo), hi), _hardtanh_b
    ),
    "hardsigmoid": FusedSpec(
        "hardsigmoid", (), lambda x: _relu6ish(x) / 6.0, lambda g, x: (g * _hs_mask(x) / 6.0,)
    ),
    "hardswish": FusedSpec(
        "hardswish", (), lambda x: x * _relu6ish(x) / 6.0,
        lambda g, x: (g * (_relu6ish(x) + x * _hs_mask(x)) / 6.0,),
    ),
    "elu": FusedSpec("elu", ("alpha",), _elu_f, _elu_b),
    "celu": FusedSpec("celu", ("alpha",), _celu_f, _celu_b),
    "selu": FusedSpec("selu", (), _selu_f, _selu_b),
    # eager = native softplus + scale; fused measured 0.8-1.05x of it on CPU: auto keeps eager there
    "softplus": FusedSpec(
        "softplus", ("beta",), _softplus_f, _softplus_b, consts=("threshold",), cpu_auto=False
    ),
    "swish": FusedSpec("swish", ("beta",), lambda x, b: x * _sig(b * x), _swish_b),
    "softsign": FusedSpec(
        "softsign", (), lambda x: x / (1 + x.abs()), lambda g, x: (g / (1 + x.abs()) ** 2,)
    ),
    "elliott": FusedSpec(
        "elliott", (), lambda x: 0.5 * x / (1 + x.abs()) + 0.5, lambda g, x: (0.5 * g / (1 + x.abs()) ** 2,)
    ),
    "lisht": FusedSpec("lisht", (), lambda x: x * torch.tanh(x), _lisht_b, cpu_auto=False),
    "srs": FusedSpec("srs", ("alpha", "beta"), _srs_f, _srs_b, consts=("eps",)),
    "pdelu": FusedSpec("pdelu", ("alpha",), _pdelu_f, _pdelu_b, consts=("t", "exponent")),
    "ada": FusedSpec("ada", ("alpha", "beta"), _ada_f, _ada_b),
    "leaky_ada": FusedSpec("leaky_ada", ("alpha", "beta"), _lada_f, _lada_b, consts=("leak",)),
    "colu": FusedSpec("colu", (), _colu_f, _colu_b),
    "adaptive_sigmoid": FusedSpec(
        "adaptive_sigmoid", tuple("abcd"), lambda x, a, b, c, d: b * _sig(a * x + c) + d, _abcd_b(*_BASES_SIG)
    ),
    "adaptive_tanh": FusedSpec(
        "adaptive_tanh", tuple("abcd"), lambda x, a, b, c, d: b * torch.tanh(a * x + c) + d, _abcd_b(*_BASES_TANH)
    ),
    "adaptive_relu": FusedSpec(
        "adaptive_relu", ("alpha",), lambda x, al: torch.relu(x) + al * torch.clamp(x, max=0), _arelu_b
    ),
    "adaptive_relu_max": FusedSpec("adaptive_relu_max", tuple("abcd"), _armax_f, _armax_b),
    "pvlu": FusedSpec("pvlu", ("alpha", "beta"), _pvlu_f, _pvlu_b),
    "gcu": _base_spec("gcu"),
    "squ": FusedSpec("squ", (), lambda x: x * x + x, lambda g, x: (g * (2 * x + 1),)),
    "ncu": FusedSpec("ncu", (), lambda x: x - x * x * x, lambda g, x: (g * (1 - 3 * x * x),)),
    "ssu": FusedSpec("ssu", (), _ssu_f, _ssu_b),
    "dsu": FusedSpec("dsu", (), _dsu_f, _dsu_b),
    "nish": FusedSpec("nish", (), _nish_f, _nish_b),
    "fplus": FusedSpec("fplus", (), _fplus_f, _fplus_b),
    "pfplus": FusedSpec("pfplus", ("lam", "mu"), _pfplus_f, _pfplus_b),
}
