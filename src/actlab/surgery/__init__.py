"""Activation surgery: swap the activations of an existing model; optimizer groups for their parameters.

:func:`swap_activations` replaces activation *modules* (``nn.ReLU``, ``nn.GELU``, ..., any actlab
:class:`~actlab.Activation`) and, where ``torch.fx`` can trace the model, *functional* calls inside
``forward`` (``torch.relu``, ``F.gelu``, ``x.tanh()``, ...). :func:`param_groups` keeps activation
parameters (PReLU-like slopes, PVLU amplitudes) out of weight decay.
"""

from ._groups import param_groups
from ._sites import UntraceableError, is_activation_module
from ._swap import SwapReport, SwapSite, swap_activations

__all__ = ["SwapReport", "SwapSite", "UntraceableError", "is_activation_module", "param_groups", "swap_activations"]
