"""The activation zoo. Importing this package registers every built-in activation."""

# Modules that register activations (import order = nothing depends on it).
from . import (  # noqa: E402,F401  [zoo-modules]  # noqa: E402,F401  [zoo-modules: seeds]
    acon,  # [zoo-modules: modern]
    ada,
    classic,
    colu,
    dubey,
    ecosystem,  # noqa: E402,F401  (third-party activation classes, by name)
    fplus,
    gates,
    glu,  # noqa: E402,F401  [zoo-modules: gated linear units and the "<act>-glu" family]
    hu_adaptive,
    laaf,
    logical,
    max_units,  # [zoo-modules: modern]
    nish,
    oscillating,
    over_base,
    periodic,  # [zoo-modules: modern]
    pvlu,
    saturating,  # [zoo-modules: modern]
    shrink,  # noqa: E402,F401  [zoo-modules: torch]
    smooth_gates,  # [zoo-modules: modern]
    squared,  # [zoo-modules: modern]
    torch_table,  # noqa: E402,F401  (the one table of torch activations)
)
from ._base import Activation, Constraint, FormulaCall, Identity, Positive
from ._fused import CompileUnavailable, FusedOp, fused_op, set_compile_kernels
from ._info import ActivationInfo, Paper, ParamSpec
from ._policy import AUTO_CPU_MIN_NUMEL, fused_op_for, has_fused, is_composite
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
from .laaf import laaf_global, slope_recovery  # noqa: E402  [zoo-modules: seeds]

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
