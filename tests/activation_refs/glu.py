"""Float64 numpy references for the gated linear units (spec: modern_activations.md, GLU section).

Independent closed forms (numpy/scipy only). Each unit splits the channel dim (dim 1 here, where
the conformance suite lays channels out: ``kwargs={"dim": 1}``) into two halves and returns
``act(gate) * value``: ``concat`` takes the first and second half, ``interleave`` the even and
odd channels; the gate is the first of them except for ``glu`` (torch.nn.GLU's order, gate
second). Reference points are channel pairs ``(first, second)`` in the suite's ``(N, 2)`` layout.

Products of two unbounded halves overflow float16 (65504) once ``|act(a) b|`` exceeds it, e.g.
``|a|, |b| > 256``: those units set ``half_ok=False`` here (which skips bfloat16 too), and
``tests/test_activations_glu.py`` checks bfloat16 on [-1e4, 1e4] and float16 on [-250, 250].
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf, expit

from . import Ref

DIM1 = {"dim": 1}


def _halves(x, split="concat", gate_first=True):
    c = x.shape[1]
    if split == "concat":
        first, second = x[:, : c // 2], x[:, c // 2 :]
    else:
        first, second = x[:, 0::2], x[:, 1::2]
    return (first, second) if gate_first else (second, first)


def _unit(gate, gate_first=True, split="concat"):
    def fn(x):
        a, b = _halves(np.asarray(x, dtype=np.float64), split, gate_first)
        return gate(a) * b

    return fn


def gelu(a):
    return 0.5 * a * (1.0 + erf(a / np.sqrt(2.0)))


def gelu_tanh(a):
    return 0.5 * a * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (a + 0.044715 * a**3)))


def swiglu_oai(x, alpha=1.702, limit=7.0):
    g, u = _halves(np.asarray(x, dtype=np.float64), "interleave", True)
    g = np.minimum(g, limit)
    u = np.clip(u, -limit, limit)
    return (u + 1.0) * g * expit(alpha * g)


REFS = {
    # torch order, first * sigmoid(second): -2 sigmoid(0.5), 0.5 sigmoid(3) (float64)
    "glu": Ref(_unit(expit, gate_first=False), k=2, kwargs=DIM1,
               points=[({}, ((-2.0, 0.5), (0.5, 3.0)), (-1.244919, 0.476287))]),
    "bilinear": Ref(_unit(lambda a: a), k=2, kwargs=DIM1, half_ok=False),
    "reglu": Ref(_unit(lambda a: np.maximum(a, 0.0)), k=2, kwargs=DIM1, half_ok=False),
    "geglu": Ref(_unit(gelu), k=2, kwargs=DIM1, half_ok=False),
    "geglu_tanh": Ref(_unit(gelu_tanh), k=2, kwargs=DIM1, half_ok=False),
    # gate first: silu(0.5) * 3 (float64)
    "swiglu": Ref(_unit(lambda a: a * expit(a)), k=2, kwargs=DIM1, half_ok=False,
                  points=[({}, ((0.5, 3.0),), (0.933689,))]),
    # spec (D): (g, u) = (0.5, 3) -> 1.401554 (one interleaved pair is (g, u)); both clamps: (8, -9) -> -6 q(7)
    "swiglu_oai": Ref(swiglu_oai, k=2, kwargs=DIM1, domain=(-10.0, 10.0),
                      points=[({}, ((0.5, 3.0), (8.0, -9.0)), (1.401554, -41.999719))]),
}
