"""Float64 numpy references for the classic and Dubey et al. activations."""

from __future__ import annotations

import numpy as np

from . import Ref

REFS: dict[str, Ref] = {
    "relu": Ref(lambda x: np.maximum(x, 0.0)),
}
