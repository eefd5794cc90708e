"""Claim studies of the architecture papers (seed papers 14, 16-18) and the data-bound one (20)."""

from __future__ import annotations

from typing import Any

from .study import Method, Statistic, Study, Task
from .verdict import Rule

__all__ = ["ARCH_STUDIES"]

PP = Rule(direction=1, unit="pp")

WRN = Study(
    name="wrn_wide_vs_deep", paper=14,
    claim="Wider, shallower residual networks outperform thinner, deeper ones at a comparable parameter count "
          "(WRN-28-10: 4.00 % CIFAR-10 error).",
    paper_number="WRN-28-10 4.00 % / 19.25 % CIFAR-10/100 error (median of 5)",
    setup="digits: WRN-10-4 (base width 4, 75,766 params) vs WRN-22-1 (base width 8, 68,546 params); Nesterov SGD "
          "lr 0.1, wd 5e-4, 15 epochs, lr x 0.2 at 50/75 %",
    proxy="8x8 digits for CIFAR; tiny widths; parameter counts matched within 10 %",
    original="WRN-28-10 / WRN-16-8 vs thin ResNets on CIFAR-10/100, 200 epochs (GPU)",
    statistic=Statistic("paired", a=("wide-shallow",), b=("thin-deep",), scale=100.0),
    rule=PP, effect="WRN-10-4 - WRN-22-1 final test accuracy, pp",
    tasks=(Task("digits/wrn", "digits", "wrn", {"base_width": 4}),),
    methods=(Method("wide-shallow", model_kwargs={"depth": 10, "widen": 4, "base_width": 4}),
             Method("thin-deep", model_kwargs={"depth": 22, "widen": 1, "base_width": 8})),
    seeds=(0, 1, 2, 3), recipe={"epochs": 15, "optimizer": "nesterov", "lr": 0.1, "weight_decay": 5e-4,
                                "schedule": "multistep", "milestones": [8, 12], "gamma": 0.2},
    quick_recipe={"epochs": 1, "milestones": []}, quick_seeds=(0, 1, 2),
)

ALLCNN = Study(
    name="allcnn_strided", paper=16,
    claim="Max-pooling can simply be replaced by a convolutional layer with increased stride without loss in "
          "accuracy.",
    paper_number="All-CNN-C 9.08 % CIFAR-10 error without augmentation (UNCONFIRMED), vs Model C with max-pooling",
    setup="mnist5k, All-CNN-C at width x 1/8 (12/24 channels; stride-2 convs) vs Model C (the stride-2 convs "
          "replaced by 3x3 max-pools, stride 2); dropout 0.1, Adam 2e-3, 4 epochs",
    proxy="mnist5k for CIFAR-10; 1/8 width; lighter dropout and Adam for the paper's 350-epoch SGD",
    original="CIFAR-10/100, full width, SGD 350 epochs with the paper's whitening (GPU)",
    statistic=Statistic("paired", a=("strided",), b=("max-pool",), scale=100.0),
    rule=Rule(direction=1, kind="noninferior", delta=1.0, unit="pp"),
    effect="strided (All-CNN-C) - max-pool (Model C) final test accuracy, pp",
    tasks=(Task("mnist5k/allcnn_c-1/8", "mnist5k", "allcnn_c",
                {"width_mult": 0.125, "dropout": 0.1, "input_dropout": 0.0}),),
    methods=(Method("strided", model_kwargs={"downsample": "stride"}),
             Method("max-pool", model_kwargs={"downsample": "maxpool"})),
    seeds=(0, 1, 2), recipe={"epochs": 4, "lr": 2e-3}, quick_recipe={"epochs": None, "steps": 10},
)

_CAPS = {"channels": 32, "kernel_size": 9, "num_caps": 8, "primary_dim": 8, "out_dim": 8, "num_blocks": 3}
_CAPS_COMMON: dict[str, Any] = dict(
    paper=18, paper_number="'considerably less memory' (numbers UNCONFIRMED)",
    proxy="mnist5k for MNIST/SVHN/CIFAR; a small capsule network (32 channels, 9x9 kernels, 8 capsules of 8-D, "
          "3 blocks)",
    original="MoCapsNet vs CapsNet on MNIST, SVHN, CIFAR-10/100 at the paper's width and depth (GPU)",
    tasks=(Task("mnist5k/mocapsnet-small", "mnist5k", "mocapsnet", _CAPS),),
    seeds=(0, 1, 2), quick_seeds=(0, 1, 2),
)
CAPS_MEMORY = Study(
    name="mocapsnet_memory",
    claim="MoCapsNet needs considerably less memory than a non-reversible capsule network of equal depth.",
    setup="mnist5k, capsule net with 3 residual capsule blocks: momentum (reversible, recomputes in backward) vs "
          "plain residual; 2 training steps (memory does not depend on training); memory = exact bytes autograd "
          "saves per sample (actlab.memory)",
    statistic=Statistic("paired", a=("momentum",), b=("residual",), metric="saved_bytes", transform="reduction",
                        scale=100.0),
    rule=Rule(direction=1, unit="%"), effect="relative reduction of saved-for-backward bytes per sample, %",
    methods=(Method("momentum", model_kwargs={"mode": "momentum"}),
             Method("residual", model_kwargs={"mode": "residual"})),
    recipe={"epochs": None, "steps": 2}, **_CAPS_COMMON,
)
CAPS_ACC = Study(
    name="mocapsnet_accuracy",
    claim="MoCapsNet beats baseline capsule networks (accuracy) on MNIST, SVHN, CIFAR-10 and CIFAR-100.",
    setup="mnist5k, the same small capsule net: momentum blocks vs plain stacked capsule layers (no skip), "
          "Adam 1e-3, 2 epochs",
    statistic=Statistic("paired", a=("momentum",), b=("plain",), scale=100.0),
    rule=PP, effect="momentum - plain capsule blocks final test accuracy, pp",
    methods=(Method("momentum", model_kwargs={"mode": "momentum"}), Method("plain", model_kwargs={"mode": "plain"})),
    recipe={"epochs": 2}, quick_recipe={"epochs": None, "steps": 20}, **_CAPS_COMMON,
)

_T = (2, 4, 8)
SPIKING = Study(
    name="spiking_time_steps", paper=17,
    claim="A residual spiking network trained with surrogate gradients and BNTT reaches high accuracy "
          "(CIFAR-10 94.14 % at T = 50); accuracy grows with the number of time steps.",
    paper_number="94.14 % CIFAR-10 at T = 50 (journal version)",
    setup="spiking_resnet (1 block per stage, width 8) on digits, T = 2, 4, 8; SGD lr 0.026844 momentum 0.9, "
          "wd 1e-4, 6 epochs",
    proxy="digits for CIFAR-10; T <= 8 for T = 50; a tiny network",
    original="the paper's spiking ResNet on CIFAR-10 with T = 50, 70 epochs (GPU)",
    statistic=Statistic("trend", a=("spiking",), b=("",), scale=100.0),
    rule=Rule(direction=1, unit="pp per time step"),
    effect="slope of final test accuracy against T, pp per time step (accuracy per T in the detail)",
    tasks=tuple(Task(f"digits/spiking_resnet-T{t}", "digits", "spiking_resnet",
                     {"n": 1, "width": 8, "time_steps": t}, x=t) for t in _T),
    methods=(Method("spiking"),),
    seeds=(0, 1, 2), recipe={"epochs": 6, "optimizer": "sgd", "lr": 0.026844, "momentum": 0.9, "weight_decay": 1e-4},
    quick_recipe={"epochs": None, "steps": 10}, protocol="prebuilt",
)

HURRICANE = Study(
    name="hurricane_damage", paper=20,
    claim="Three CNN architectures identify flooding/damage on post-Hurricane-Harvey satellite imagery with over "
          "99 % accuracy (Bao 2022, on the Cao & Choe data).",
    paper_number="> 99 % accuracy (Bao); > 97 % (Cao & Choe)",
    setup="damage_cnn on the Harvey image folders (128x128 RGB), Adam 1e-3, 10 epochs, balanced test split",
    proxy="none: the original data, when the user has a copy",
    original="the image folders of qcao10/DamageDetection at $ACTLAB_DATA/hurricane_damage (not shipped: "
             "third-party imagery); then `actlab claims run hurricane_damage`",
    statistic=Statistic("paired", a=("damage_cnn",), b=("",), scale=100.0),
    rule=Rule(direction=1, ref=99.0, unit="%"), effect="final balanced-test accuracy, %",
    tasks=(Task("hurricane_damage/damage_cnn", "hurricane_damage", "damage_cnn"),),
    methods=(Method("damage_cnn"),), recipe={"epochs": 10}, quick_recipe={"epochs": 1},
    needs_data="hurricane_damage",
)

ARCH_STUDIES = (WRN, ALLCNN, CAPS_MEMORY, CAPS_ACC, SPIKING, HURRICANE)
