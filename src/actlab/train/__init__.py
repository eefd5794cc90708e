"""Training: ``TrainConfig`` -> ``train_one`` -> ``RunResult``; Langevin optimizers, layer-wise
reinitialization and transfer protocols."""

from .config import ConfigError, TrainConfig
from .langevin import LangevinAdam, LangevinRMSprop, LangevinSGD, langevin_layer_groups, langevin_sigma_at, model_layers
from .loop import train_one
from .metrics import evaluate, per_class_metrics
from .optim import make_optimizer, make_schedule, schedule_factor
from .reinit import LayerwiseReinit, ReinitReport
from .result import EvalMetrics, RunResult

__all__ = [
    "ConfigError",
    "EvalMetrics",
    "LangevinAdam",
    "LangevinRMSprop",
    "LangevinSGD",
    "LayerwiseReinit",
    "ReinitReport",
    "RunResult",
    "TrainConfig",
    "evaluate",
    "langevin_layer_groups",
    "langevin_sigma_at",
    "make_optimizer",
    "make_schedule",
    "model_layers",
    "per_class_metrics",
    "schedule_factor",
    "train_one",
]
