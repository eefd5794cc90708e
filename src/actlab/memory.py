"""Exact activation memory: the bytes autograd saves for backward.

CPU has no allocator peak counter, and the process's peak RSS only ever grows (a second run in
one process reads ~0). What autograd keeps alive between forward and backward is exact instead:
every tensor it saves passes through ``torch.autograd.graph.saved_tensors_hooks``, and the bytes
of the distinct storages behind them are the activation memory of a training step.

A leaf module: it imports only torch, so the training loop and the profiler can both use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

__all__ = ["forward_saved_bytes", "saved_bytes"]


def _key(t: torch.Tensor) -> int:
    # Tensors on the meta device have no storage address; count each one on its own.
    return id(t) if t.device.type == "meta" else t.untyped_storage().data_ptr()


def saved_bytes(fn: Callable[[], Any], exclude: Iterable[torch.Tensor] = ()) -> int:
    """Bytes of the distinct storages that autograd saves for backward while running ``fn()``.

    Views of one storage are counted once, at the size of the whole storage (that is what stays
    allocated). The output of ``fn`` is dropped before returning.

    Args:
        fn: runs the forward pass (with autograd enabled), e.g. ``lambda: model(x)``.
        exclude: tensors whose storages are not counted, e.g. ``model.parameters()`` (weights
            that backward reads but that stay allocated anyway).

    Returns:
        The exact byte count (0 when autograd saves nothing, e.g. under ``torch.no_grad()``).
    """
    skip = {_key(t) for t in exclude}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        key = _key(t)
        if key not in skip:
            seen[key] = max(seen.get(key, 0), t.untyped_storage().nbytes())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    del out
    return sum(seen.values())


def forward_saved_bytes(model: nn.Module, x: torch.Tensor) -> int:
    """Bytes saved for backward by one training-mode forward of ``model`` on the batch ``x``.

    The model's parameters and buffers are not counted (they stay allocated whatever the batch
    size), so the figure is the activation memory of the batch; divide by ``len(x)`` for bytes
    per sample. The forward leaves no trace: no backward runs, the buffers (e.g. BatchNorm
    running statistics) and the train/eval mode are restored, and the global RNG state of
    ``x``'s device (dropout draws) is forked, so a training run that measures this gets the
    same results as one that does not.

    Args:
        model: any module; it is called as ``model(x)``.
        x: one batch. Pass a tensor that owns its storage (e.g. ``x[:n].clone()``): a view of a
            whole dataset would be counted at the dataset's size when the first layer saves it.
    """
    was_training = model.training
    buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
    devices = [x.device.index or 0] if x.device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices), torch.enable_grad():
            model.train()
            exclude = [*model.parameters(), *model.buffers()]
            return saved_bytes(lambda: model(x), exclude=exclude)
    finally:
        model.train(was_training)
        with torch.no_grad():
            for name, b in model.named_buffers():
                b.copy_(buffers[name])
