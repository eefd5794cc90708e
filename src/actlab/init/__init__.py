"""Weight initialization: classic schemes and AutoInit (data-free, activation-aware)."""

from .autoinit import autoinit
from .layers import WEIGHTED_LAYERS, fan_in, kaiming_, lecun_, siren_
from .moments import Moments, activation_moments, clear_moment_cache
from .report import InitReport, LayerRecord, measure_init
from .run import AutoInitFallbackWarning
from .schemes import SCHEMES, init_model

__all__ = [
    "AutoInitFallbackWarning",
    "InitReport",
    "LayerRecord",
    "Moments",
    "SCHEMES",
    "WEIGHTED_LAYERS",
    "activation_moments",
    "autoinit",
    "clear_moment_cache",
    "fan_in",
    "init_model",
    "kaiming_",
    "lecun_",
    "measure_init",
    "siren_",
]
