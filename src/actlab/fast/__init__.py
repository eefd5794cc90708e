"""The fast path: fused, memory-efficient activations and the profiler that measures them.

Every composite elementwise activation has a fused implementation (``impl="fused"``): analytic
forward/backward registered as ``torch.library`` custom ops and compiled by TorchInductor into
one-pass kernels (C++ on CPU, Triton on CUDA) that save only the input. ``impl="auto"`` (the
default) picks it where it is faster; see :mod:`actlab.fast.dispatch` for the policy.
"""

from .dispatch import AUTO_CPU_MIN_NUMEL, fast_forward, has_fast, register_fast
from .fused import CompileUnavailable, FusedOp, FusedSpec, set_compile_kernels
from .profile import ElementwiseProfile, ModelProfile, profile_elementwise, profile_model_step, saved_bytes

__all__ = [
    "AUTO_CPU_MIN_NUMEL",
    "CompileUnavailable",
    "ElementwiseProfile",
    "FusedOp",
    "FusedSpec",
    "ModelProfile",
    "fast_forward",
    "has_fast",
    "profile_elementwise",
    "profile_model_step",
    "register_fast",
    "saved_bytes",
    "set_compile_kernels",
]
