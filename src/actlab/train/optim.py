"""Optimizers and learning-rate schedules named in :class:`TrainConfig`.

Schedules are per optimizer step (``LambdaLR`` factors multiplied onto each group's ``lr``):

* ``constant``: 1.
* ``multistep``: ``gamma ** (number of milestones <= t)`` (milestones in steps here).
* ``cosine``: ``(1 + cos(pi t / T)) / 2``, reaching 0 at the end of the budget ``T``.
* ``inverse_time``: ``1 / (1 + t / D)`` with ``D = decay_epochs * steps_per_epoch`` (Bras 2022: 20 epochs).
* linear warm-up (any schedule): times ``min(1, (t + 1) / warmup_steps)``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .config import TrainConfig
from .langevin import LangevinAdam, LangevinRMSprop, LangevinSGD, langevin_layer_groups

__all__ = ["make_optimizer", "make_schedule", "schedule_factor", "param_groups_for"]


def param_groups_for(model: nn.Module, cfg: TrainConfig) -> list[dict[str, Any]]:
    """Param groups of :func:`actlab.surgery.param_groups`: weights and biases/norms decay with
    ``cfg.weight_decay``; activation parameters get ``act_weight_decay`` and ``lr * act_lr_scale``.
    For Langevin optimizers each group is split further into the parameters of the first
    ``floor(langevin_rho * L)`` layers (``langevin=True``, noisy) and the rest (``langevin=False``)."""
    from ..surgery import param_groups

    groups = param_groups(model, cfg.weight_decay, cfg.act_weight_decay, cfg.act_lr_scale, lr=cfg.lr)
    if cfg.optimizer.startswith("langevin"):
        noisy_ids = {id(p) for p in langevin_layer_groups(model, cfg.langevin_rho)[0]}
        groups = [
            {**g, "params": [p for p in g["params"] if (id(p) in noisy_ids) == flag], "langevin": flag}
            for g in groups
            for flag in (True, False)
        ]
    return [g for g in groups if g["params"]]


def make_optimizer(
    model: nn.Module, cfg: TrainConfig, steps_per_epoch: int, seed: int | None = None
) -> torch.optim.Optimizer:
    """The optimizer ``cfg.optimizer`` over :func:`param_groups_for` ``(model, cfg)``.

    ``sgd``, ``nesterov`` and ``langevin_sgd`` use ``cfg.momentum`` (set it to 0 for the paper's
    plain L-SGD); ``adam``, ``adamw`` and ``rmsprop`` use PyTorch's defaults (``adamw``: decoupled
    decay); ``langevin_adam``/``langevin_rmsprop`` use the paper's lambda = 1e-6 (and alpha = 0.9).
    The Langevin ones take ``sigma = cfg.langevin_sigma``, decaying over ``decay_epochs * steps_per_epoch`` steps when
    ``cfg.langevin_decay``, with noise drawn from generators seeded by ``seed``.
    """
    groups = param_groups_for(model, cfg)
    name = cfg.optimizer
    if name in ("sgd", "nesterov"):
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=name == "nesterov")
    if name == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(groups, lr=cfg.lr)
    decay = cfg.decay_epochs * steps_per_epoch if cfg.langevin_decay else None
    kw: dict[str, Any] = dict(lr=cfg.lr, sigma=cfg.langevin_sigma, sigma_decay_steps=decay, seed=seed)
    if name == "langevin_sgd":
        return LangevinSGD(groups, momentum=cfg.momentum, **kw)
    if name == "langevin_adam":
        return LangevinAdam(groups, **kw)
    if name == "langevin_rmsprop":
        return LangevinRMSprop(groups, **kw)
    raise ValueError(f"unknown optimizer {name!r}")  # TrainConfig validates; kept for direct callers


def schedule_factor(cfg: TrainConfig, t: int, total_steps: int, steps_per_epoch: int) -> float:
    """The learning-rate factor at step ``t`` (0-based) of a ``total_steps`` budget."""
    if cfg.schedule == "constant":
        f = 1.0
    elif cfg.schedule == "multistep":
        scale = steps_per_epoch if cfg.steps is None else 1
        f = cfg.gamma ** sum(t >= m * scale for m in cfg.milestones)
    elif cfg.schedule == "cosine":
        f = 0.5 * (1.0 + math.cos(math.pi * min(t, total_steps) / total_steps))
    elif cfg.schedule == "inverse_time":
        f = 1.0 / (1.0 + t / (cfg.decay_epochs * steps_per_epoch))
    else:
        raise ValueError(f"unknown schedule {cfg.schedule!r}")
    if cfg.warmup_steps:
        f *= min(1.0, (t + 1) / cfg.warmup_steps)
    return f


def make_schedule(
    opt: torch.optim.Optimizer, cfg: TrainConfig, total_steps: int, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step ``LambdaLR`` applying :func:`schedule_factor`."""
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: schedule_factor(cfg, t, total_steps, steps_per_epoch)
    )
