"""Stochastic depth for residual blocks (Huang et al., ECCV 2016, arXiv 1603.09382).

Blocks l = 1..L survive with probability ``p_l = 1 - (l / L) (1 - p_L)`` (linear decay to
``p_L``, 0.5 in the paper). Training: one Bernoulli(p_l) gate per block per mini-batch, shared
by all samples; a closed block is the identity (shortcut only) and its residual branch is not
computed. Evaluation: ``out = shortcut(x) + p_l * f(x)``.

A residual block supports stochastic depth by holding a ``survival`` float (1.0 = always on)
and combining its two paths with :func:`residual`. The gate is drawn from torch's global RNG
in ``forward`` (training only), so runs are reproducible under ``torch.manual_seed``. A closed
gate leaves the branch's parameters without gradient for that step: under
``DistributedDataParallel`` pass ``find_unused_parameters=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

import torch
from torch import nn

__all__ = ["survival_probs", "expected_active_blocks", "residual", "apply_stochastic_depth"]


def survival_probs(num_blocks: int, p_last: float = 0.5) -> list[float]:
    """Linear-decay survival probabilities ``p_l = 1 - (l/L)(1 - p_L)`` for ``l = 1..L``.

    Args:
        num_blocks: L, the number of residual blocks.
        p_last: p_L, survival probability of the last block, in (0, 1].
    """
    if not 0.0 < p_last <= 1.0:
        raise ValueError(f"stochastic depth p_L must be in (0, 1], got {p_last}; the paper uses 0.5")
    if num_blocks < 1:
        raise ValueError(f"num_blocks must be >= 1, got {num_blocks}")
    return [1.0 - (i / num_blocks) * (1.0 - p_last) for i in range(1, num_blocks + 1)]


def expected_active_blocks(num_blocks: int, p_last: float = 0.5) -> float:
    """``sum_l p_l = L - (1 - p_L)(L + 1)/2`` (40.25 of 54 blocks for the 110-layer net)."""
    return sum(survival_probs(num_blocks, p_last))


def residual(
    shortcut: torch.Tensor, branch: Callable[[], torch.Tensor], survival: float, training: bool
) -> torch.Tensor:
    """``shortcut + branch()`` under stochastic depth with survival probability ``survival``.

    Training draws one gate per call (per mini-batch) from torch's global RNG; a closed gate
    skips the branch entirely. Evaluation scales the branch by ``survival``.
    """
    if survival >= 1.0:
        return shortcut + branch()
    if training:
        if torch.rand(()).item() < survival:
            return shortcut + branch()
        return shortcut
    return shortcut + survival * branch()


def apply_stochastic_depth(blocks: Iterable[nn.Module], p_last: float | None) -> None:
    """Sets ``block.survival`` on residual blocks in order from the input (``None``: all 1.0)."""
    blocks = list(blocks)
    probs = [1.0] * len(blocks) if p_last is None else survival_probs(len(blocks), p_last)
    for block, p in zip(blocks, probs, strict=True):
        if not hasattr(block, "survival"):
            raise TypeError(f"{type(block).__name__} does not support stochastic depth (no 'survival' attribute)")
        cast(Any, block).survival = p  # a plain attribute of the block (checked above), not a submodule
