"""The profiler of the fast path (the fused kernels themselves live in :mod:`actlab.activations`)."""

from .profile import ElementwiseProfile, ModelProfile, profile_elementwise, profile_model_step, saved_bytes

__all__ = ["ElementwiseProfile", "ModelProfile", "profile_elementwise", "profile_model_step", "saved_bytes"]
