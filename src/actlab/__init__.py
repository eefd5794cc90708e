"""actlab: the PyTorch laboratory for activation functions.

The public API, in pipeline order: the zoo (activations), models, surgery, data, initialization,
training, the benchmark (config -> runner -> store -> statistics -> report) and the profiler.
"""

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
from .models import ModelInfo, create_model, list_models, model_info, register_model
from .surgery import SwapReport, param_groups, swap_activations
from .data import TensorData, list_datasets, load_dataset
from .init import InitReport, activation_moments, autoinit, init_model, measure_init
from .train import LangevinAdam, LangevinRMSprop, LangevinSGD, LayerwiseReinit, RunResult, TrainConfig, train_one
from .bench import (
    BenchConfig,
    BenchData,
    Ranking,
    ResultStore,
    collect,
    load_bench_config,
    rank_methods,
    run_grid,
    write_report,
)
from .bench.stats import friedman, mean_ci, nemenyi_cd, wilcoxon_holm
from .perf import profile_elementwise, profile_model_step

__all__ = [
    "__version__",
    # activations
    "Activation",
    "ActivationInfo",
    "ActSite",
    "Paper",
    "ParamSpec",
    "activation_info",
    "build_act",
    "create_activation",
    "list_activations",
    "per_layer",
    "register_activation",
    # models
    "ModelInfo",
    "create_model",
    "list_models",
    "model_info",
    "register_model",
    # surgery
    "SwapReport",
    "param_groups",
    "swap_activations",
    # data
    "TensorData",
    "list_datasets",
    "load_dataset",
    # initialization
    "InitReport",
    "activation_moments",
    "autoinit",
    "init_model",
    "measure_init",
    # training
    "LangevinAdam",
    "LangevinRMSprop",
    "LangevinSGD",
    "LayerwiseReinit",
    "RunResult",
    "TrainConfig",
    "train_one",
    # benchmark: config -> runner -> store -> statistics -> report
    "BenchConfig",
    "load_bench_config",
    "run_grid",
    "ResultStore",
    "BenchData",
    "collect",
    "Ranking",
    "rank_methods",
    "mean_ci",
    "friedman",
    "wilcoxon_holm",
    "nemenyi_cd",
    "write_report",
    # profiling
    "profile_elementwise",
    "profile_model_step",
]
