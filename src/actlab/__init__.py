"""actlab: the PyTorch laboratory for activation functions."""

from ._version import __version__
from .activations import (
    Activation,
    ActivationInfo,
    ActSite,
    Paper,
    ParamSpec,
    activation_info,
    build_act,
    create_activation,
    list_activations,
    per_layer,
    register_activation,
)
from .models import create_model, list_models, register_model

# [api-models]
from .models import ModelInfo, model_info  # models-cnn
from .surgery import SwapReport, param_groups, swap_activations
from .models.mocapsnet import margin_loss  # models-special
# [api-data]
from .data import TensorData, list_datasets, load_dataset
from .train import LangevinAdam, LangevinRMSprop, LangevinSGD, LayerwiseReinit, RunResult, TrainConfig, train_one
# [api-train]
# [api-init]
from .init import InitReport, activation_moments, autoinit, init_model
from .bench import BenchConfig, ResultStore, load_bench_config, run_grid  # [api-bench]
# [api-fast]
from .activations import set_compile_kernels
from .perf import profile_elementwise, profile_model_step

__all__ = [
    "__version__",
    "Activation",
    "ActivationInfo",
    "ActSite",
    "Paper",
    "ParamSpec",
    "activation_info",
    "build_act",
    "create_activation",
    "create_model",
    "list_activations",
    "list_models",
    "per_layer",
    "register_activation",
    "register_model",
    # [all-models]
    "ModelInfo",
    "model_info",
    "SwapReport",
    "param_groups",
    "swap_activations",
    "margin_loss",
    # [all-data]
    "TensorData",
    "list_datasets",
    "load_dataset",
    "LangevinAdam",
    "LangevinRMSprop",
    "LangevinSGD",
    "LayerwiseReinit",
    "RunResult",
    "TrainConfig",
    "train_one",
    # [all-train]
    "autoinit",
    "InitReport",
    "init_model",
    "activation_moments",
    # [all-init]
    "BenchConfig", "ResultStore", "load_bench_config", "run_grid",  # [all-bench]
    # [all-fast]
    "profile_elementwise",
    "profile_model_step",
    "set_compile_kernels",
]
