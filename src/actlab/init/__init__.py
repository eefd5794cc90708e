"""Weight initialization: classic schemes and AutoInit (data-free, activation-aware)."""

from .schemes import SCHEMES, WEIGHTED_LAYERS, fan_in, init_model, kaiming_, lecun_

__all__ = ["SCHEMES", "WEIGHTED_LAYERS", "fan_in", "init_model", "kaiming_", "lecun_"]
