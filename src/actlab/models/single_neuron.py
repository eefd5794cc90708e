"""A single neuron, for the "one neuron learns XOR" experiments.

Noel et al., "Biologically inspired oscillating activation functions can bridge the
performance gap between biological and artificial neurons", arXiv 2111.04020; Georgescu et
al. (ADA), arXiv 2003.03229.

``y = act(w . x + b)`` with one weight vector and one bias. The neuron's output is a single
value per sample, shape (N, 1), never per-class logits. The XOR claim is that some threshold
``t`` separates the classes: ``class = [y > t]`` for SQU-like functions or ``[y < t]``.

How to train it (the trainer's contract): with ``readout=True`` (default) the model returns
``a * y + c`` with a learnable scalar scale ``a`` and offset ``c`` (a learnable threshold and
direction, no extra nonlinearity), so treat the output as a binary logit and use
``BCEWithLogitsLoss(out.squeeze(1), y.float())``, predicting ``out > 0``. With
``readout=False`` it returns the raw activation value ``y``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, make_norm
from ._registry import register_model

__all__ = ["SingleNeuron", "single_neuron"]


class SingleNeuron(nn.Module):
    """``y = act(norm(w . x + b))`` and, with ``readout``, ``a * y + c``; output shape (N, 1)."""

    def __init__(self, in_features: int, act: Any, norm: NormFactory, readout: bool) -> None:
        super().__init__()
        self.fc = nn.Linear(in_features, 1)
        self.norm = make_norm(norm, 1)
        self.act = ActSites()(act, "act", 1)
        self.readout = nn.Linear(1, 1) if readout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.act(self.norm(self.fc(torch.flatten(x, 1)))))


@register_model(
    "single_neuron", family="single_neuron",
    paper="Noel et al., Biologically inspired oscillating activation functions, arXiv 2111.04020",
    input_shape=(2,), test_kwargs={"num_classes": 2},
)
def single_neuron(
    num_classes: int = 2, in_chans: int = 2, act: Any = "relu", norm: NormFactory = None, readout: bool = True
) -> SingleNeuron:
    """One neuron; output (N, 1): a binary logit (``readout=True``) or the activation value.

    Args:
        num_classes: must be 1 or 2 (binary task; the single output is one logit).
        in_chans: input features (2 for XOR).
        act: activation spec. norm: optional ``norm(1)`` before the activation (default none).
        readout: add the learnable scale/offset threshold (see the module docstring).
    """
    if num_classes not in (1, 2):
        raise ValueError(
            f"single_neuron is a binary classifier with one output, got num_classes={num_classes}; "
            "use num_classes=2 (or 1) and BCEWithLogitsLoss on the (N, 1) output"
        )
    return SingleNeuron(in_chans, act, norm, readout)
