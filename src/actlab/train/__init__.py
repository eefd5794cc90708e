"""Training: ``TrainConfig`` -> ``train_one`` -> ``RunResult``; Langevin optimizers, layer-wise
reinitialization and transfer protocols."""

from .config import ConfigError, TrainConfig
from .langevin import LangevinAdam, LangevinRMSprop, LangevinSGD, langevin_layer_groups, langevin_sigma_at, model_layers
from .loop import train_one
from .metrics import evaluate, per_class_metrics
from .optim import make_optimizer, make_schedule, schedule_factor
from .reinit import LayerwiseReinit, ReinitReport
from .result import EvalMetrics, RunResult
from .setup import check_config
from .transfer import FixedFeatureResult, finetune, fixed_feature_eval, penultimate_features, replace_head

__all__ = [
    "ConfigError",
    "EvalMetrics",
    "FixedFeatureResult",
    "LangevinAdam",
    "LangevinRMSprop",
    "LangevinSGD",
    "LayerwiseReinit",
    "ReinitReport",
    "RunResult",
    "TrainConfig",
    "check_config",
    "evaluate",
    "finetune",
    "fixed_feature_eval",
    "langevin_layer_groups",
    "langevin_sigma_at",
    "make_optimizer",
    "make_schedule",
    "model_layers",
    "penultimate_features",
    "per_class_metrics",
    "replace_head",
    "schedule_factor",
    "train_one",
]
