"""Float64 numpy references for the classic and Dubey et al. activations (and PVLU).

Independent closed forms (numpy/scipy only). Spec reference points are from
shared/spec/seed_spec.md §1 and §7 (``f(-2), f(0.5), f(3)``, 6 decimals).
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from . import Ref

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
X3 = (-2.0, 0.5, 3.0)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _srs(x, alpha=5.0, beta=3.0, eps=0.0):
    with np.errstate(over="ignore", invalid="ignore"):
        return x / (x / alpha + np.exp(-x / beta) + eps)


def _pdelu(x, alpha=1.0, t=0.9):
    base = np.maximum(1.0 + (1.0 - t) * np.minimum(x, 0.0), 0.0)
    return np.where(x > 0, x, alpha * (base ** round(1.0 / (1.0 - t), 9) - 1.0))


def _pau(x, numerator=(0.0, 0.505, 2.484346, 3.672461, 1.910105, 0.336652),
         denominator=(0.0, 7.272201, 0.0, 0.666638)):
    p = sum(a * x**j for j, a in enumerate(numerator))
    q = sum(b * x ** (k + 1) for k, b in enumerate(denominator))
    return p / (1.0 + np.abs(q))


def _softplus_beta(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, _softplus(beta * x) / beta)


REFS: dict[str, Ref] = {
    "identity": Ref(lambda x: x.copy()),
    "relu": Ref(lambda x: np.maximum(x, 0.0), points=[({}, X3, (0.0, 0.5, 3.0))]),
    "relu6": Ref(lambda x: np.clip(x, 0.0, 6.0), domain=(-8.0, 8.0), points=[({}, (-1.0, 7.0), (0.0, 6.0))]),
    "leaky_relu": Ref(lambda x, negative_slope=0.01: np.where(x >= 0, x, negative_slope * x),
                      points=[({}, X3, (-0.02, 0.5, 3.0)), ({"negative_slope": 0.2}, (-2.0,), (-0.4,))]),
    "prelu": Ref(lambda x, alpha=0.25: np.where(x >= 0, x, alpha * x), points=[({}, X3, (-0.5, 0.5, 3.0))]),
    "elu": Ref(_elu, points=[({"alpha": 2.0}, (-2.0,), (2.0 * np.expm1(-2.0),))]),
    "celu": Ref(lambda x, alpha=1.0: np.maximum(x, 0.0) + np.minimum(0.0, alpha * np.expm1(x / alpha)),
                points=[({"alpha": 2.0}, (-2.0,), (2.0 * np.expm1(-1.0),))]),
    "selu": Ref(lambda x: SELU_SCALE * _elu(x, SELU_ALPHA)),
    "gelu": Ref(lambda x: 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))),
    "gelu_tanh": Ref(lambda x: 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))),
    "silu": Ref(lambda x: x * _sigmoid(x), points=[({}, X3, (-0.238406, 0.311230, 2.857722))]),
    "swish": Ref(lambda x, beta=1.0: x * _sigmoid(beta * x),
                 points=[({}, X3, (-0.238406, 0.311230, 2.857722)),
                         ({"beta": 0.25}, X3, (-0.755081, 0.265605, 2.037536))]),
    "mish": Ref(lambda x: x * np.tanh(_softplus(x)), points=[({}, X3, (-0.252501, 0.375245, 2.986535))]),
    "tanhexp": Ref(lambda x: x * np.tanh(np.exp(np.minimum(x, 30.0))),
                   points=[({}, X3, (-0.269030, 0.464341, 3.0))]),  # TeLU's values, modern_activations.md
    "softplus": Ref(_softplus_beta, points=[({"beta": 2.0}, (0.0,), (np.log(2.0) / 2.0,))]),
    "softsign": Ref(lambda x: x / (1.0 + np.abs(x))),
    "tanh": Ref(np.tanh),
    "sigmoid": Ref(_sigmoid),
    "hardtanh": Ref(lambda x, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val),
                    points=[({"min_val": -2.0, "max_val": 0.25}, X3, (-2.0, 0.25, 0.25))]),
    "hardsigmoid": Ref(lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0)),
    "hardswish": Ref(lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0, points=[({}, (-1.5,), (-0.375,))]),
    # Dubey et al. (§7)
    "elliott": Ref(lambda x: 0.5 * x / (1.0 + np.abs(x)) + 0.5, points=[({}, X3, (0.166667, 0.666667, 0.875))]),
    "lisht": Ref(lambda x: x * np.tanh(x), points=[({}, X3, (1.928055, 0.231059, 2.985164))]),
    "abrelu": Ref(lambda x: np.maximum(x - x.mean(), 0.0), points=[({}, X3, (0.0, 0.0, 2.5))]),
    "srs": Ref(_srs, points=[({}, X3, (-1.292212, 0.528272, 3.099560)),
                             ({"alpha": 10.01, "beta": 10.01, "eps": 0.01}, X3, (-1.939190, 0.494449, 2.855129))]),
    "pdelu": Ref(_pdelu, domain=(-14.0, 6.0),
                 points=[({}, X3, (-0.892626, 0.5, 3.0)), ({}, (-30.0, -10.0), (-1.0, -1.0))]),
    "pau": Ref(_pau, domain=(-4.0, 4.0)),
    # PVLU (§1), registered by pvlu.py
    "pvlu": Ref(lambda x, alpha=0.1, beta=1.0: np.maximum(x, 0.0) + alpha * np.sin(beta * x),
                points=[({}, X3, (-0.090930, 0.547943, 3.014112))]),
    # generalised PVLU base(x) + alpha sin(beta x), registered by over_base.py; default base relu = PVLU
    "gpvlu": Ref(lambda x, alpha=0.1, beta=1.0: np.maximum(x, 0.0) + alpha * np.sin(beta * x),
                 points=[({}, X3, (-0.090930, 0.547943, 3.014112))]),
}
