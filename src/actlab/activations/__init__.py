"""The activation zoo. Importing this package registers every built-in activation."""

from ._base import Activation, Constraint, FormulaCall, Identity, Positive
from ._fused import CompileUnavailable, FusedOp, fused_op, set_compile_kernels
from ._policy import AUTO_CPU_MIN_NUMEL, fused_op_for, has_fused, is_composite
from ._info import ActivationInfo, Paper, ParamSpec
from ._registry import (
    ACTIVATIONS,
    activation_class,
    activation_info,
    canonical_activation_name,
    create_activation,
    list_activations,
    register_activation,
)
from ._resolve import ActSite, PerLayer, build_act, per_layer

# Modules that register activations (import order = nothing depends on it).
from . import classic, dubey, gates, pvlu  # noqa: E402,F401  [zoo-modules]
from . import ada, colu, fplus, hu_adaptive, laaf, logical, nish, oscillating  # noqa: E402,F401  [zoo-modules: seeds]
from .laaf import laaf_global, slope_recovery  # noqa: E402  [zoo-modules: seeds]
from . import shrink  # noqa: E402,F401  [zoo-modules: torch]
from . import torch_table  # noqa: E402,F401  (the one table of torch activations)

__all__ = [
    "AUTO_CPU_MIN_NUMEL",
    "Activation",
    "ActivationInfo",
    "CompileUnavailable",
    "FormulaCall",
    "FusedOp",
    "ActSite",
    "ACTIVATIONS",
    "Constraint",
    "Identity",
    "Paper",
    "ParamSpec",
    "PerLayer",
    "Positive",
    "activation_class",
    "activation_info",
    "build_act",
    "canonical_activation_name",
    "create_activation",
    "fused_op",
    "fused_op_for",
    "has_fused",
    "is_composite",
    "list_activations",
    "per_layer",
    "register_activation",
    "set_compile_kernels",
    "laaf_global",  # [zoo-modules: seeds]
    "slope_recovery",  # [zoo-modules: seeds]
]
