"""Layer-wise reinitialization (Alabdulmohsin, Maennel & Keysers, arXiv 2109.00267).

Training runs in ``G`` generations. With ``L`` layers ordered from the input, generation ``g``
starts by setting ``l = floor(g L / G)``: layers ``l .. L-1`` are re-initialized to fresh random
values, layers ``0 .. l-1`` keep their trained weights but every parameter tensor is rescaled to
the Frobenius norm it had at initialization (tensors whose initial norm was ~0 are zeroed).
Generation 0 is ordinary training from scratch. The algorithm follows a third-party
re-implementation (the paper's pseudocode is unconfirmed); the optional normalization layer at
the boundary is not applied.

Layers are :func:`actlab.train.langevin.model_layers` (leaf modules owning parameters, in
registration order). A layer is re-initialized with its ``reset_parameters()`` (PyTorch's
default init; BatchNorm also resets its running statistics) inside a forked RNG seeded by the
caller, or with ``init_fn(module, generator)`` when given. A layer without
``reset_parameters`` (e.g. an activation with trainable parameters) gets its initial tensors back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .langevin import model_layers

__all__ = ["LayerwiseReinit", "ReinitReport"]

_ZERO_NORM = 1e-12


@dataclass(frozen=True)
class ReinitReport:
    """What :meth:`LayerwiseReinit.apply` did.

    Args:
        generation: g. boundary: l = floor(g L / G). reinitialized / rescaled: layer names.
    """

    generation: int
    boundary: int
    reinitialized: tuple[str, ...]
    rescaled: tuple[str, ...]


class LayerwiseReinit:
    """Records a freshly initialized model's per-tensor norms, then applies generations.

    Args:
        model: the model, at initialization (call before training).
        generations: G >= 1; at most L + 1 so that every generation moves the boundary.
        init_fn: optional ``init_fn(module, generator)`` re-initializing one layer in place.

    Example:
        >>> from actlab import create_model
        >>> model = create_model("mlp", num_classes=3, in_chans=4, width=8)
        >>> lw = LayerwiseReinit(model, generations=3)
        >>> for g in range(3):
        ...     report = lw.apply(g, seed=100 + g)  # generation 0 changes nothing
        ...     print(report.reinitialized, report.rescaled)
        ...     # ... train the model for this generation's epochs here
        () ()
        ('blocks.1.fc', 'head') ('blocks.0.fc',)
        ('head',) ('blocks.0.fc', 'blocks.1.fc')
    """

    def __init__(
        self, model: nn.Module, generations: int, init_fn: Callable[[nn.Module, torch.Generator], None] | None = None
    ) -> None:
        self.layers = model_layers(model)
        L = len(self.layers)
        if L == 0:
            raise ValueError("LayerwiseReinit: the model has no layers with parameters")
        if not 1 <= generations <= L + 1:
            raise ValueError(
                f"generations must be in [1, L+1] = [1, {L + 1}] for this model's {L} layers, got {generations}"
            )
        self.generations = generations
        self.init_fn = init_fn
        self.init_norms = {
            (i, n): float(p.detach().norm())
            for i, (_, m) in enumerate(self.layers)
            for n, p in m.named_parameters(recurse=False)
        }
        self._init_state = [
            {n: t.detach().clone() for n, t in m.state_dict().items()} for _, m in self.layers
        ]

    def boundary(self, generation: int) -> int:
        """``floor(g L / G)``: the first re-initialized layer in generation ``g``."""
        if not 0 <= generation < self.generations:
            raise ValueError(f"generation must be in [0, {self.generations}), got {generation}")
        return math.floor(generation * len(self.layers) / self.generations)

    @torch.no_grad()
    def apply(self, generation: int, seed: int) -> ReinitReport:
        """Starts generation ``g``: re-initializes layers ``>= l`` and rescales those below.

        Generation 0 leaves the model untouched.
        """
        boundary = self.boundary(generation)  # the docstring's l
        if generation == 0:
            return ReinitReport(0, 0, (), ())
        devices = [p.device for _, m in self.layers for p in m.parameters(recurse=False)]
        cuda = sorted({d.index or 0 for d in devices if d.type == "cuda"})
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(seed)
            gen = torch.Generator(device=devices[0]).manual_seed(seed)
            for i in range(boundary, len(self.layers)):
                self._reinit(i, gen)
        for i in range(boundary):
            for n, p in self.layers[i][1].named_parameters(recurse=False):
                target, now = self.init_norms[(i, n)], float(p.norm())
                if target < _ZERO_NORM or now < _ZERO_NORM:
                    p.zero_()
                else:
                    p.mul_(target / now)
        names = [n for n, _ in self.layers]
        return ReinitReport(generation, boundary, tuple(names[boundary:]), tuple(names[:boundary]))

    def _reinit(self, i: int, gen: torch.Generator) -> None:
        m = self.layers[i][1]
        if self.init_fn is not None:
            self.init_fn(m, gen)
        elif callable(reset := getattr(m, "reset_parameters", None)):
            reset()
        else:
            m.load_state_dict(self._init_state[i])
