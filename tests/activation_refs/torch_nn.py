"""Float64 numpy references for the torch.nn activations registered by ``activations/shrink.py``.

Independent closed forms (numpy only), written from the torch.nn documentation of each module.
Reference points are hand-computed (6 decimals).
"""

from __future__ import annotations

import numpy as np

from . import Ref

X3 = (-2.0, 0.5, 3.0)


def _softshrink(x, lambd=0.5):
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0))


def _hardshrink(x, lambd=0.5):
    return np.where(np.abs(x) > lambd, x, 0.0)


def _threshold(x, threshold=1.0, fill=0.0):
    return np.where(x > threshold, x, fill)


def _rrelu_eval(x, lower=1.0 / 8.0, upper=1.0 / 3.0):
    return np.where(x >= 0, x, 0.5 * (lower + upper) * x)


REFS: dict[str, Ref] = {
    "logsigmoid": Ref(lambda x: -np.logaddexp(0.0, -x), points=[({}, X3, (-2.126928, -0.474077, -0.048587))]),
    "softshrink": Ref(_softshrink, points=[({}, X3, (-1.5, 0.0, 2.5)), ({"lambd": 1.0}, X3, (-1.0, 0.0, 2.0))]),
    "hardshrink": Ref(_hardshrink, points=[({}, X3, (-2.0, 0.0, 3.0)), ({"lambd": 0.1}, (0.5, -0.05), (0.5, 0.0))]),
    "tanhshrink": Ref(lambda x: x - np.tanh(x), points=[({}, X3, (-1.035972, 0.037883, 2.004945))]),
    "threshold": Ref(_threshold, points=[({}, X3, (0.0, 0.0, 3.0)),
                                         ({"threshold": 0.1, "fill": 20.0}, X3, (20.0, 0.5, 3.0))]),
    "rrelu": Ref(_rrelu_eval, eval_mode=True,
                 points=[({}, X3, (-0.458333, 0.5, 3.0)), ({"lower": 0.1, "upper": 0.3}, (-2.0,), (-0.4,))]),
}
