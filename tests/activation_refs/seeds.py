"""Float64 numpy references for the seed-paper activations (spec §2-§6, §8-§10).

Independent closed forms (numpy/scipy only, never torch/actlab). Reference points are the
spec's DERIVED values ``f(-2), f(0.5), f(3)`` (6 decimals). PVLU's reference lives in
``classic.py`` (added there first; refs may not be defined twice).

Logical activations (``k = 2``): ``fn`` reduces consecutive channel pairs along dim 1, and
their ``points`` list the inputs as flattened pairs ``(x1, y1, x2, y2, ...)``, i.e. one sample
of shape ``(1, 2m)`` giving ``m`` outputs.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from . import Ref

X3 = (-2.0, 0.5, 3.0)
PI = np.pi
EPS = 1e-7  # probability clamp of the logical IL activations (authors' code)


# ------------------------------------------------------------------ elementwise closed forms
def nish(x, form="h1"):
    # both readings of the negative branch are UNCONFIRMED (spec §2: hypotheses H1 and H2)
    neg = x * expit(x) + 0.5 * np.sin(x) if form == "h1" else (x + np.sin(x)) * expit(x)
    return np.where(x > 0, x, neg)


def ada(x, alpha=0.5, beta=0.0):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x > 0, x * np.exp(-alpha * x + beta), 0.0)


def leaky_ada(x, alpha=0.5, beta=0.0, leak=0.01):
    return np.where(x > 0, ada(x, alpha, beta), leak * x)


def colu(x):
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return x / (1.0 - x * np.exp(-(x + np.exp(x))))


def pfplus(x, lam=1.0, mu=1.0):
    return np.where(x >= 0, lam * x, lam * x / (1.0 - mu * np.minimum(x, 0.0)))


def fplus(x):
    return (1.0 + np.abs(x)) ** np.sign(x) - 1.0


def adaptive_sigmoid(x, a=1.0, b=1.0, c=0.0, d=0.0):
    return b * expit(a * x + c) + d


def adaptive_tanh(x, a=1.0, b=1.0, c=0.0, d=0.0):
    return b * np.tanh(a * x + c) + d


def adaptive_relu(x, alpha=0.0):
    return np.maximum(x, 0.0) + alpha * np.minimum(x, 0.0)


def adaptive_relu_max(x, a=1.0, b=1.0, c=0.0, d=0.0):
    return np.maximum(a * x + c, b * x + d)


def _sinc(u):
    return np.sinc(u / PI)  # numpy's sinc is normalised: sin(pi t)/(pi t); this is sin(u)/u


def ssu(x):
    return PI * _sinc(x - PI)


def dsu(x):
    return 0.5 * PI * (_sinc(x - PI) - _sinc(x + PI))


def laaf(x, n=10.0, a=0.1):
    return np.tanh(n * a * x)


def rowdy(x, n=10.0, a=0.1, c=0.0, f=0.1, num_sines=9):
    out = np.tanh(n * a * x)
    for j in range(1, num_sines + 1):
        out = out + n * c * np.sin(j * n * f * x)
    return out


# ------------------------------------------------------------------ logical (k = 2, dim 1)
def _pairs(x):
    x = np.asarray(x, dtype=np.float64)
    shape = x.shape[:1] + (x.shape[1] // 2, 2) + x.shape[2:]
    z = x.reshape(shape)
    return z[:, :, 0], z[:, :, 1]


def _clamped_logit(p):
    return np.log(np.clip(p, EPS, None)) - np.log(np.clip(1.0 - p, EPS, None))


def and_il(x):
    a, b = _pairs(x)
    return _clamped_logit(expit(a) * expit(b))


def or_il(x):
    a, b = _pairs(x)
    return _clamped_logit(1.0 - expit(-a) * expit(-b))


def xnor_il(x):
    a, b = _pairs(x)
    return _clamped_logit(expit(a) * expit(b) + expit(-a) * expit(-b))


def and_ail(x):
    a, b = _pairs(x)
    return np.where((a < 0) & (b < 0), a + b, np.minimum(a, b))


def or_ail(x):
    a, b = _pairs(x)
    return np.where((a > 0) & (b > 0), a + b, np.maximum(a, b))


def xnor_ail(x):
    a, b = _pairs(x)
    return np.sign(a * b) * np.minimum(np.abs(a), np.abs(b))


# analytic k = 2 constants (spec §6)
AND_MU = 1 / np.sqrt(2 * PI) + 1 / (2 * np.sqrt(PI))
AND_SIGMA = np.sqrt(5 / 4 - 1 / (np.sqrt(2) * PI) - 1 / (4 * PI))
XNOR_SIGMA = np.sqrt(1 - 2 / PI)

REFS: dict[str, Ref] = {
    "nish": Ref(nish, points=[({}, X3, (-0.693055, 0.5, 3.0)), ({"form": "h2"}, X3, (-0.346797, 0.5, 3.0))]),
    "ada": Ref(ada, params={"alpha": 0.5, "beta": 0.0}, domain=(-6.0, 12.0), points=[
        ({}, X3, (0.0, 0.389400, 0.669390)),
        ({"alpha": 0.3}, X3, (0.0, 0.430354, 1.219709)),
        ({"alpha": 0.5, "beta": 1.0}, X3, (0.0, 1.058500, 1.819592)),
    ]),
    "leaky_ada": Ref(leaky_ada, params={"alpha": 0.5, "beta": 0.0}, domain=(-6.0, 12.0), points=[
        ({}, X3, (-0.020000, 0.389400, 0.669390)),
    ]),
    "colu": Ref(colu, points=[({}, X3, (-0.143807, 0.530964, 3.0))]),
    "fplus": Ref(fplus, points=[({}, X3, (-0.666667, 0.5, 3.0))]),
    "pfplus": Ref(pfplus, params={"lam": 1.0, "mu": 1.0}, points=[
        ({}, X3, (-0.666667, 0.5, 3.0)),
        ({"lam": 1.0, "mu": 0.1}, X3, (-1.666667, 0.5, 3.0)),
    ]),
    "adaptive_sigmoid": Ref(adaptive_sigmoid, params={"a": 1.0, "b": 1.0, "c": 0.0, "d": 0.0},
                            points=[({}, X3, (0.119203, 0.622459, 0.952574))]),
    "adaptive_tanh": Ref(adaptive_tanh, params={"a": 1.0, "b": 1.0, "c": 0.0, "d": 0.0},
                         points=[({}, X3, (-0.964028, 0.462117, 0.995055))]),
    "adaptive_relu": Ref(adaptive_relu, params={"alpha": 0.0}, points=[
        ({}, X3, (0.0, 0.5, 3.0)),
        ({"alpha": 0.25}, X3, (-0.5, 0.5, 3.0)),
    ]),
    "adaptive_relu_max": Ref(adaptive_relu_max, params={"a": 1.0, "b": 1.0, "c": 0.0, "d": 0.0},
                             points=[({}, X3, (-2.0, 0.5, 3.0))]),
    "gcu": Ref(lambda x: x * np.cos(x), points=[({}, X3, (0.832294, 0.438791, -2.969977))]),
    "squ": Ref(lambda x: x * x + x, half_ok=False, points=[({}, X3, (2.0, 0.75, 12.0))]),
    "ncu": Ref(lambda x: x - x**3, half_ok=False, points=[({}, X3, (6.0, 0.375, -24.0))]),
    "ssu": Ref(ssu, domain=(-12.0, 12.0), points=[
        ({}, X3, (-0.555595, 0.570171, 3.131106)),
        ({}, (0.0, PI), (0.0, PI)),
    ]),
    "dsu": Ref(dsu, domain=(-12.0, 12.0), points=[
        ({}, X3, (-1.528963, 0.491885, 1.601646)),
        ({}, (0.0, PI, -PI), (0.0, PI / 2, -PI / 2)),
    ]),
    "laaf": Ref(laaf, params={"n": 10.0, "a": 0.1}, points=[
        ({}, X3, (-0.964028, 0.462117, 0.995055)),
        ({"a": 0.2}, X3, (-0.999329, 0.761594, 0.999988)),
    ]),
    "rowdy": Ref(rowdy, params={"n": 10.0, "a": 0.1, "c": 0.0, "f": 0.1}, points=[
        ({}, X3, (-0.964028, 0.462117, 0.995055)),
        ({"num_sines": 1, "c": 0.01, "f": 1.0}, X3, (-1.055322, 0.366225, 0.896252)),
    ]),
    # logical (k = 2): inputs (-2, 0.5), (0.5, 3), (-2, 3), (-2, -2), (3, 3) flattened; the spec §6 table
    # gives 5 decimals, these are the same DERIVED values to 6 (they round to the spec's)
    "and_il": Ref(and_il, k=2, points=[({}, (-2, .5, .5, 3, -2, 3, -2, -2, 3, 3),
                                       (-2.523909, 0.376127, -2.054985, -4.239545, 2.282264))]),
    "or_il": Ref(or_il, k=2, points=[({}, (-2, .5, .5, 3, -2, 3, -2, -2, 3, 3),
                                     (0.696734, 4.004597, 3.132845, -1.241376, 6.094923))]),
    "xnor_il": Ref(xnor_il, k=2, points=[({}, (-2, .5, .5, 3, -2, 3, -2, -2, 3, 3),
                                         (-0.377476, 0.450861, -1.693454, 1.325003, 2.309329))]),
    "and_ail": Ref(and_ail, k=2, points=[({}, (-2, .5, .5, 3, -2, 3, -2, -2, 3, 3),
                                         (-2.0, 0.5, -2.0, -4.0, 3.0))]),
    "or_ail": Ref(or_ail, k=2, points=[({}, (-2, .5, .5, 3, -2, 3, -2, -2, 3, 3),
                                       (0.5, 3.5, 3.0, -2.0, 6.0))]),
    "xnor_ail": Ref(xnor_ail, k=2, points=[({}, (-2, .5, .5, 3, -2, 3, -2, -2, 3, 3),
                                           (-0.5, 0.5, -2.0, 2.0, 3.0))]),
    "and_nail": Ref(lambda x: (and_ail(x) + AND_MU) / AND_SIGMA, k=2, points=[({}, (-2, .5), (-1.356556,))]),
    "or_nail": Ref(lambda x: (or_ail(x) - AND_MU) / AND_SIGMA, k=2, points=[({}, (-2, .5), (-0.186197,))]),
    "xnor_nail": Ref(lambda x: xnor_ail(x) / XNOR_SIGMA, k=2, points=[({}, (-2, .5), (-0.829448,))]),
}
