"""The profiler: what an activation costs relative to native ReLU measured beside it.

Every time figure is a ratio against a baseline (``torch.relu`` elementwise, the ReLU model for
a training step) timed *alternately* with the candidate in the same run, reported as the median
of the paired ratios with its spread (quartiles, range, n): on a noisy machine a baseline timed
once drifts away from the candidates. Saved-for-backward memory is exact
(:mod:`actlab.memory`). The package sits above :mod:`actlab.models` and
:mod:`actlab.activations` and is imported by neither.
"""

from .elementwise import SANITY_ROW, ElementwiseProfile, profile_elementwise
from .model_step import BASELINE_ROW, ModelProfile, profile_model_step
from .timing import Ratio, paired_ratio

__all__ = [
    "BASELINE_ROW",
    "SANITY_ROW",
    "ElementwiseProfile",
    "ModelProfile",
    "Ratio",
    "paired_ratio",
    "profile_elementwise",
    "profile_model_step",
]
