"""The activation-curves stage of the report: f and f' of each compared activation at initialisation.

It builds the activations (through the registry) so that the report, which only renders what it is
given, never does. A method whose activation has no scalar curve (reducing or batch-dependent
units) or cannot be built on a 1-D input has no curve (the figure shows the others).
"""

from __future__ import annotations

import numpy as np

from .analysis import BenchData

__all__ = ["activation_curves"]


def activation_curves(
    data: BenchData, lo: float = -4.0, hi: float = 4.0, n: int = 401
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``{method: (x, f(x), f'(x))}`` on ``[lo, hi]`` (autograd), from each method's first run config.

    Methods without a curve are left out: reducing / batch-dependent activations
    (``info.elementwise is False``) and any whose construction or call on a 1-D input raises.
    """
    import torch

    from ..activations import create_activation

    out = {}
    for m in data.methods:
        r = next(r for r in data.rows if r.method == m)
        try:
            act = create_activation(r.config["act"], **r.config.get("act_params", {}))
            if getattr(getattr(act, "info", None), "elementwise", True) is False:
                continue  # reducing / batch-dependent activations have no scalar curve
            x = torch.linspace(lo, hi, n, dtype=torch.float32, requires_grad=True)
            y = act(x)
            (dy,) = torch.autograd.grad(y.sum(), x)
            out[m] = (x.detach().numpy(), y.detach().numpy(), dy.numpy())
        except Exception:  # noqa: BLE001 - an activation that cannot be drawn on a 1-D input is skipped
            continue
    return out
