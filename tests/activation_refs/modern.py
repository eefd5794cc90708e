"""Float64 numpy references for the activations practitioners use today
(shared/spec/modern_activations.md): the squared, gated, periodic and saturating ones, ACON,
maxout and FReLU.

Independent closed forms (numpy/scipy only, never torch/actlab), written from the spec's
formulas. Reference points are the spec's (D) values at x = (-2, 0.5, 3), 6 decimals.

``half_ok=False`` for the squared units: their outputs exceed float16's 65504 above x ~ 256
(relu2, star_relu) / ~ 286 (xielu); tests/test_activations_modern.py checks bfloat16 on the whole
[-1e4, 1e4] range and float16 inside its representable range.

FReLU and Meta-ACON have learned layers of their own: their ``fn`` takes the module's weights
(``state=``, see ``Ref.state``) and recomputes the depthwise convolution + BatchNorm (training
mode: batch statistics) or the squeeze network in numpy.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf, expit

from . import Ref

X3 = (-2.0, 0.5, 3.0)
UNIT_S, UNIT_B = 1.0 / np.sqrt(1.25), -0.5 / np.sqrt(1.25)  # StarReLU's unit-variance constants
BN_EPS = 1e-5


def xielu(x, alpha_p=0.8, alpha_n=0.8, beta=0.5, eps=-1e-6):
    return np.where(x > 0, alpha_p * x * x + beta * x, alpha_n * (np.expm1(np.minimum(x, eps)) - x) + beta * x)


def star_relu(x, s=None, b=None, unit_variance=False):
    s = (UNIT_S if unit_variance else 1.0) if s is None else s
    b = (UNIT_B if unit_variance else 0.0) if b is None else b
    return s * np.maximum(x, 0.0) ** 2 + b


def smu(x, alpha=0.25, mu=1.0):
    return ((1 + alpha) * x + (1 - alpha) * x * erf(mu * (1 - alpha) * x)) / 2


def acon_c(x, p1=1.0, p2=0.0, beta=1.0):
    return (p1 - p2) * x * expit(beta * (p1 - p2) * x) + p2 * x


def maxout(x, k=2):
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(x.shape[:1] + (x.shape[1] // k, k) + x.shape[2:]).max(axis=2)


def _channel(v, ndim):
    """A parameter of shape () or (C,) laid out along dim 1 of an ``ndim``-d array."""
    v = np.asarray(v, dtype=np.float64)
    return v if v.ndim == 0 else v.reshape((1, -1) + (1,) * (ndim - 2))


def _depthwise_conv2d(x, w):
    """Cross-correlation of each channel with its own k x k kernel, zero padding k // 2 (torch's Conv2d)."""
    k = w.shape[-1]
    p = k // 2
    h, wd = x.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros_like(x)
    for i in range(k):
        for j in range(k):
            out += w[None, :, 0, i, j, None, None] * xp[:, :, i:i + h, j:j + wd]
    return out


def frelu(x, state):
    t = _depthwise_conv2d(x, state["conv.weight"])
    mean = t.mean(axis=(0, 2, 3), keepdims=True)
    var = t.var(axis=(0, 2, 3), keepdims=True)  # biased: BatchNorm normalises with the batch variance
    t = (t - mean) / np.sqrt(var + BN_EPS) * _channel(state["bn.weight"], 4) + _channel(state["bn.bias"], 4)
    return np.maximum(x, t)


def meta_acon(x, state):
    m = x.mean(axis=tuple(range(2, x.ndim))) if x.ndim > 2 else x  # (N, C) channel means
    h = m @ state["fc1.weight"].T + state["fc1.bias"]
    beta = expit(h @ state["fc2.weight"].T + state["fc2.bias"]).reshape(x.shape[:2] + (1,) * (x.ndim - 2))
    p1, p2 = _channel(state["p1"], x.ndim), _channel(state["p2"], x.ndim)
    return acon_c(x, p1, p2, beta)


REFS: dict[str, Ref] = {
    # squared units (float16 output range: |x| < ~256)
    "relu2": Ref(lambda x: np.maximum(x, 0.0) ** 2, half_ok=False, points=[({}, X3, (0.0, 0.25, 9.0))]),
    "star_relu": Ref(star_relu, params={"s": 1.0, "b": 0.0}, half_ok=False, points=[
        ({"unit_variance": True}, X3, (-0.447214, -0.223607, 7.602631)),
        ({"s": UNIT_S, "b": UNIT_B}, X3, (-0.447214, -0.223607, 7.602631)),
        ({}, X3, (0.0, 0.25, 9.0)),
    ]),
    "xielu": Ref(xielu, half_ok=False, points=[({}, X3, (-0.091732, 0.45, 8.7))]),
    # gates x * g(x)
    "quick_gelu": Ref(lambda x: x * expit(1.702 * x), points=[({}, X3, (-0.064341, 0.350388, 2.981929))]),
    "serf": Ref(lambda x: x * erf(np.logaddexp(0.0, x)), points=[({}, X3, (-0.284915, 0.415829, 2.999951))]),
    "smu": Ref(smu, params={"mu": 1.0}, points=[({}, X3, (-0.525421, 0.388272, 2.998354))]),
    "sinlu": Ref(lambda x, a=1.0, b=1.0: (x + a * np.sin(b * x)) * expit(x),
                 points=[({}, X3, (-0.346797, 0.609653, 2.992150))]),
    "hard_mish": Ref(lambda x: 0.5 * x * np.clip(x + 2.0, 0.0, 2.0), points=[({}, (-1.0, -3.0), (-0.5, 0.0))]),
    "squareplus": Ref(lambda x, b=4.0: (x + np.sqrt(x * x + b)) / 2, points=[({}, X3, (0.414214, 1.280776, 3.302776))]),
    # periodic
    "snake": Ref(lambda x, alpha=1.0: x + np.sin(alpha * x) ** 2 / alpha,
                 points=[({}, X3, (-1.173178, 0.729849, 3.019915))]),
    "snake_beta": Ref(lambda x, alpha=1.0, beta=1.0: x + np.sin(alpha * x) ** 2 / beta,
                      points=[({}, X3, (-1.173178, 0.729849, 3.019915))]),
    "sine": Ref(lambda x, omega0=30.0: np.sin(omega0 * x), domain=(-1.0, 1.0)),
    # saturating
    "softcap": Ref(lambda x, cap=30.0: cap * np.tanh(x / cap), domain=(-60.0, 60.0)),
    "dyt": Ref(lambda x, alpha=0.5, gamma=1.0, beta=0.0: gamma * np.tanh(alpha * x) + beta),
    "rbf": Ref(lambda x, alpha=1.0: np.exp(-(x * x) / alpha)),
    # ACON
    "acon_c": Ref(acon_c, points=[({}, X3, (-0.238406, 0.311230, 2.857722))]),  # = SiLU at init
    "meta_acon": Ref(meta_acon, state=True, spatial=2),  # (N, C, H, W): beta from the spatial means
    # maxout (k = 2): pairs (-2, 0.5), (0.5, 3), (-2, -2) flattened
    "maxout": Ref(maxout, k=2, points=[({}, (-2, .5, .5, 3, -2, -2), (0.5, 3.0, -2.0))]),
    "frelu": Ref(frelu, state=True, spatial=2),
}
