r"""A 1-D function-approximation task, generated offline, and its training run (MSE, full batch).

The target is the discontinuous function of Jagtap, Kawaguchi & Karniadakis's adaptive-activation
experiments, as we recall it (UNCONFIRMED against the paper):

.. math::

    u(x) = 0.2 \sin(6x) \;(x \le 0), \qquad u(x) = 1 + 0.1\, x \cos(18x) \;(x > 0), \qquad x \in [-3, 3].

Training points are ``n_train`` equispaced points of ``[-3, 3]``; the test points are the
midpoints between them (never seen in training). :func:`train_regression` fits an
:func:`actlab.models.mlp` with one input and one output by full-batch Adam on the mean squared
error (plus LAAF's slope-recovery term when asked) and records the training loss at every step.
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch

__all__ = ["FUNCTIONS", "jagtap_1d", "regression_data", "train_regression"]


def jagtap_1d(x: torch.Tensor) -> torch.Tensor:
    """The target function (see the module docstring).

    Examples:
        >>> jagtap_1d(torch.tensor([-1.0, 0.0, 1.0])).tolist()  # doctest: +ELLIPSIS
        [0.0558830..., 0.0, 1.0660316...]
    """
    return torch.where(x <= 0, 0.2 * torch.sin(6 * x), 1 + 0.1 * x * torch.cos(18 * x))


FUNCTIONS = {"jagtap_1d": jagtap_1d}


def regression_data(name: str, n_train: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_train, y_train, x_test, y_test)`` as ``(N, 1)`` float32 tensors.

    Raises:
        ValueError: unknown function name (with the valid ones) or ``n_train < 2``.
    """
    if name not in FUNCTIONS:
        raise ValueError(f"unknown regression function {name!r}; valid: {sorted(FUNCTIONS)}")
    if n_train < 2:
        raise ValueError(f"n_train must be >= 2, got {n_train}")
    x_tr = torch.linspace(-3, 3, n_train).unsqueeze(1)
    x_te = (x_tr[1:] + x_tr[:-1]) / 2
    f = FUNCTIONS[name]
    return x_tr, f(x_tr), x_te, f(x_te)


def train_regression(cfg: Any, *, n_train: int = 300, slope_recovery: bool = False, log_every: int = 10) -> dict:
    """Fits ``cfg.model`` (an mlp) to ``cfg.dataset`` (a name in :data:`FUNCTIONS`) by full-batch Adam.

    Args:
        cfg: an :class:`actlab.train.TrainConfig`; uses ``dataset``, ``model_kwargs``, ``act``,
            ``act_params``, ``lr``, ``steps`` (or ``epochs``: one full-batch step each) and ``seed``.
        n_train: training points. slope_recovery: add :func:`actlab.activations.slope_recovery`
            (paper form) to the loss. log_every: record the losses every this many steps.

    Returns:
        A JSON-safe dict: ``train_mse``/``test_mse`` at the end, ``log10_mse_auc`` (mean of
        ``log10`` training MSE over the recorded steps: lower = faster convergence), the curves,
        ``wall_time_s``, ``n_params`` and ``diverged``.
    """
    from ..activations import slope_recovery as _slope_recovery
    from ..models import create_model
    from ..train.loop import derive_seed

    if cfg.model != "mlp":
        raise ValueError(f"the regression protocol fits an 'mlp', got model={cfg.model!r}")
    steps = cfg.steps if cfg.steps is not None else cfg.epochs
    x_tr, y_tr, x_te, y_te = regression_data(cfg.dataset, n_train)
    t0 = time.perf_counter()
    with torch.random.fork_rng():
        torch.manual_seed(derive_seed(cfg.seed, "init"))
        net = create_model("mlp", num_classes=1, in_chans=1, act=cfg.act_spec, **cfg.model_kwargs)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    curve_step, curve_loss = [], []
    diverged = False
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        mse = torch.mean((net(x_tr) - y_tr) ** 2)
        loss = mse + _slope_recovery(net) if slope_recovery else mse
        loss.backward()
        opt.step()
        v = float(mse.detach())
        if not math.isfinite(v):
            diverged = True
            break
        if step % log_every == 0 or step == steps - 1:
            curve_step.append(step)
            curve_loss.append(v)
    with torch.no_grad():
        train_mse = float(torch.mean((net(x_tr) - y_tr) ** 2))
        test_mse = float(torch.mean((net(x_te) - y_te) ** 2))
    logs = [math.log10(max(v, 1e-12)) for v in curve_loss]
    return {
        "train_mse": train_mse, "test_mse": test_mse,
        "log10_mse_auc": sum(logs) / len(logs) if logs and not diverged else float("nan"),
        "curves": {"step": curve_step, "train_mse": curve_loss},
        "wall_time_s": time.perf_counter() - t0,
        "n_params": sum(p.numel() for p in net.parameters() if p.requires_grad),
        "diverged": diverged, "device": "cpu",
    }
