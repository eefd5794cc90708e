"""Activation surgery: swap the activations of an existing model; optimizer groups for their parameters.

:func:`swap_activations` replaces, in place, activation *modules* (``nn.ReLU``, ``nn.GELU``, ..., any
actlab :class:`~actlab.Activation`, transformers' and timm's activation classes) and *functional* calls
(``torch.relu``, ``F.gelu``, ``x.tanh()``, ...) in the forward of the module making them, and checks
the result with an execution census. :func:`param_groups` keeps activation
parameters (PReLU-like slopes, PVLU amplitudes) out of weight decay.
"""

from ._groups import param_groups
from ._report import LeftSite
from ._sites import UntraceableError, is_activation_module
from ._swap import SwapReport, SwapSite, swap_activations

__all__ = [
    "LeftSite",
    "SwapReport",
    "SwapSite",
    "UntraceableError",
    "is_activation_module",
    "param_groups",
    "swap_activations",
]
