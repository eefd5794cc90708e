"""Claim studies of the initialization and training-method papers (seed papers 11-13, 15, 19)."""

from __future__ import annotations

from typing import Any

from .study import Method, Statistic, Study, Task
from .verdict import Rule

__all__ = ["METHOD_STUDIES"]

PP = Rule(direction=1, unit="pp")
_AI_ACTS = ("relu", "tanh", "colu")
AUTOINIT = Study(
    name="autoinit_vs_default", paper=11,
    claim="AutoInit improves performance across activation functions and architectures (it adapts the weight "
          "initialization to the network so that signals keep a stable variance).",
    paper_number="result tables not in the spec",
    setup="MNIST-1D MLPs of width 64 with 4 and 16 hidden layers; ReLU, tanh, CoLU; init default vs autoinit; "
          "Adam 1e-3, 4 epochs",
    proxy="deep MLPs on MNIST-1D for the paper's CNNs / ResNets / transformers on CIFAR and ImageNet",
    original="the paper's CIFAR-10/100 and ImageNet architectures (GPU)",
    statistic=Statistic("paired", a=tuple(f"{a}+autoinit" for a in _AI_ACTS),
                        b=tuple(f"{a}+default" for a in _AI_ACTS), scale=100.0),
    rule=PP, effect="AutoInit - default-init final test accuracy, mean over 3 activations x 2 depths, pp",
    tasks=(Task("mnist1d/mlp-4x64", "mnist1d", "mlp", {"depth": 4, "width": 64}),
           Task("mnist1d/mlp-16x64", "mnist1d", "mlp", {"depth": 16, "width": 64})),
    methods=tuple(Method(f"{a}+{i}", a, fields={"init": i}) for a in _AI_ACTS for i in ("autoinit", "default")),
    seeds=(0, 1, 2, 3), recipe={"epochs": 4}, quick_recipe={"epochs": 1}, quick_seeds=(0, 1, 2),
    quick_tasks=("mnist1d/mlp-16x64",),
)

_LANGEVIN_DEPTHS = (4, 12, 24)
LANGEVIN = Study(
    name="langevin_depth", paper=12,
    claim="Langevin optimizers help more as depth grows; Layer Langevin adds the noise only to the deepest layers "
          "(those nearest the input).",
    paper_number="result tables UNCONFIRMED in the spec",
    setup="MNIST-1D MLPs of width 64 with 4, 12, 24 hidden layers; Adam vs Layer Langevin Adam (sigma0 5e-3, "
          "rho 0.3, decaying), both lr 1e-3 with inverse-time decay, 8 epochs",
    proxy="plain deep MLPs on MNIST-1D for the paper's deep ResNets on CIFAR-10",
    original="ResNet (8 base filters, [6,6,6] blocks and deeper) on CIFAR-10, batch 512, 40 epochs (GPU)",
    statistic=Statistic("trend", a=("langevin_adam",), b=("adam",), scale=100.0),
    rule=Rule(direction=1, unit="pp per layer"),
    effect="slope of (Layer Langevin Adam - Adam) final test accuracy against the number of hidden layers, pp/layer",
    tasks=tuple(Task(f"mnist1d/mlp-{d}x64", "mnist1d", "mlp", {"depth": d, "width": 64}, x=d)
                for d in _LANGEVIN_DEPTHS),
    methods=(Method("langevin_adam", fields={"optimizer": "langevin_adam", "langevin_sigma": 5e-3,
                                             "langevin_rho": 0.3}),
             Method("adam", fields={"optimizer": "adam"})),
    seeds=(0, 1, 2, 3), recipe={"epochs": 8, "schedule": "inverse_time"}, quick_recipe={"epochs": 1},
    quick_seeds=(0, 1, 2),
)

_G, _E = 3, 30
LW_REINIT = Study(
    name="lw_reinit_small_data", paper=13,
    claim="Bottom-up layerwise reinitialization improves generalization on small datasets.",
    paper_number="gains across 12 image datasets (figures not in the spec)",
    setup=f"simple_cnn (8/16, hidden 64) on digits with 10 and 30 training images per class; LW reinit with "
          f"G = {_G} generations of {_E} epochs vs plain training for {_G * _E} epochs (equal compute); Adam 1e-3, "
          "batch 32",
    proxy="digits subsets for the paper's small image datasets; equal total epochs as the baseline",
    original="the paper's 12 datasets with ResNet/VGG-style CNNs (GPU)",
    statistic=Statistic("paired", a=("lw_reinit",), b=("plain",), scale=100.0),
    rule=PP, effect="LW reinit - plain final test accuracy, mean over the 2 training-set sizes, pp",
    tasks=tuple(Task(f"digits-{n}/class/simple_cnn", "digits_subset", "simple_cnn",
                     {"widths": (8, 16), "hidden": 64}, {"dataset_kwargs": {"n_per_class": n}}) for n in (10, 30)),
    methods=(Method("lw_reinit", fields={"reinit_generations": _G, "epochs": _E}),
             Method("plain", fields={"epochs": _G * _E})),
    seeds=tuple(range(5)), recipe={"batch_size": 32, "eval_every": 10}, quick_seeds=(0, 1, 2),
    quick_tasks=("digits-10/class/simple_cnn",),
)

_SD_TASK = (Task("digits/resnet56-8", "digits", "resnet56", {"widths": (8, 16, 32)}),)
_SD_METHODS = (Method("stochastic_depth", model_kwargs={"stochastic_depth": 0.5}), Method("constant_depth"))
_SD_COMMON: dict[str, Any] = dict(
    paper=15, proxy="digits (8x8) for CIFAR-10; a narrow ResNet-56 (widths 8/16/32) for the 110-layer net",
    setup="ResNet-56 (widths 8/16/32) on digits, linear decay p_L = 0.5 vs constant depth; Nesterov SGD lr 0.1, "
          "wd 1e-4, batch 128, 8 epochs, lr / 10 at 50 % and 75 %",
    original="110-layer ResNet on CIFAR-10+ for 500 epochs (GPU)",
    tasks=_SD_TASK, methods=_SD_METHODS, seeds=(0, 1, 2),
    recipe={"epochs": 8, "optimizer": "nesterov", "lr": 0.1, "weight_decay": 1e-4, "schedule": "multistep",
            "milestones": [4, 6]},
    quick_recipe={"epochs": 1, "milestones": []}, quick_seeds=(0, 1, 2),
)
SD_TIME = Study(
    name="stochastic_depth_time",
    claim="Stochastic depth reduces training time substantially (blocks dropped during training are not computed).",
    paper_number="about 25 % shorter training (UNCONFIRMED); expected active blocks 40.25 of 54 for 110 layers",
    statistic=Statistic("paired", a=("stochastic_depth",), b=("constant_depth",), metric="time_per_epoch",
                        transform="reduction", scale=100.0),
    rule=Rule(direction=1, unit="%"),
    effect="relative reduction of seconds per epoch (training + evaluation), %; a shared, loaded machine",
    **_SD_COMMON)
SD_ACC = Study(
    name="stochastic_depth_accuracy",
    claim="Stochastic depth improves test error (110-layer ResNet, CIFAR-10+: 5.25 % vs 6.41 % with constant depth).",
    paper_number="5.25 % vs 6.41 % test error (+1.16 pp accuracy)",
    statistic=Statistic("paired", a=("stochastic_depth",), b=("constant_depth",), scale=100.0),
    rule=PP, effect="stochastic - constant depth final test accuracy, pp", **_SD_COMMON)

_K_ARCHS = (
    Task("mlp-1x16", "m5k_0to4", "mlp", {"depth": 1, "width": 16}),
    Task("mlp-2x256", "m5k_0to4", "mlp", {"depth": 2, "width": 256}),
    Task("lenet5", "m5k_0to4", "lenet5"),
    Task("simple_cnn-16/32", "m5k_0to4", "simple_cnn", {"widths": (16, 32), "hidden": 128}),
)
_K_COMMON: dict[str, Any] = dict(
    paper=19, paper_number="r = 0.99 (fixed features), 0.96 (fine-tuning) across 16 networks",
    setup="4 architectures trained 2 epochs on mnist5k digits 0-4 (Adam 1e-3), transferred to digits 5-9: "
          "L2 logistic regression on penultimate features (C from {0.01, 0.1, 1, 10} chosen on a held-out 20 %) "
          "and 1 epoch of fine-tuning",
    proxy="mnist5k 0-4 -> 5-9 for ImageNet -> 12 datasets; 4 small architectures for 16 ImageNet networks; "
          "r on raw (not logit-transformed) accuracies",
    original="16 ImageNet networks and 12 transfer datasets (GPU cluster)",
    tasks=_K_ARCHS, methods=(Method("relu"),),
    seeds=(0, 1, 2, 3), recipe={"epochs": 2, "target_epochs": 1, "fixed_features": True},
    quick_recipe={"epochs": None, "steps": 10, "target_epochs": 1}, protocol="transfer",
)
KORNBLITH_FIXED = Study(
    name="kornblith_fixed_features",
    claim="Better ImageNet models transfer better: ImageNet accuracy correlates with fixed-feature transfer "
          "accuracy (r = 0.99).",
    statistic=Statistic("correlation", a=("relu",), metric="source_acc", metric_y="fixed_feature_acc"),
    rule=Rule(direction=1), effect="Pearson r across the 4 architectures of source vs fixed-feature accuracy, "
                                   "mean over seeds (Fisher z)", **_K_COMMON)
KORNBLITH_FT = Study(
    name="kornblith_finetune",
    claim="Better ImageNet models transfer better: ImageNet accuracy correlates with fine-tuned accuracy (r = 0.96).",
    statistic=Statistic("correlation", a=("relu",), metric="source_acc", metric_y="acc"),
    rule=Rule(direction=1), effect="Pearson r across the 4 architectures of source vs fine-tuned target accuracy, "
                                   "mean over seeds (Fisher z)", **_K_COMMON)

METHOD_STUDIES = (AUTOINIT, LANGEVIN, LW_REINIT, SD_TIME, SD_ACC, KORNBLITH_FIXED, KORNBLITH_FT)
