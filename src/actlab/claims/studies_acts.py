"""Claim studies of the activation-function papers (seed papers 1-10 of the spec).

Proxies: the 8x8 digits (1438/359), mnist5k (4000/1000), MNIST-1D (4000/1000), the four XOR
points and an offline 1-D regression, on CPU-sized models; every budget is written in the study.
"""

from __future__ import annotations

from typing import Any

from .study import Method, Statistic, Study, Task
from .verdict import Rule

__all__ = ["ACTIVATION_STUDIES"]

PP = Rule(direction=1, delta=0.0, unit="pp")  # a claimed accuracy gain, in percentage points
_XOR = dict(epochs=200, batch_size=4, lr=0.1, normalize=False)
_XOR_ACTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("ada", {"alpha": 1.0}), ("gcu", {}), ("squ", {}), ("ncu", {}), ("ssu", {}), ("dsu", {}))
_MNIST_TASKS = (
    Task("mnist5k/lenet5", "mnist5k", "lenet5"),
    Task("mnist5k/mlp-2x256", "mnist5k", "mlp", {"depth": 2, "width": 256}),
)
_DIGITS_TASKS = (
    Task("digits/mlp-2x128", "digits", "mlp", {"depth": 2, "width": 128}),
    Task("mnist1d/cnn1d", "mnist1d", "cnn1d"),
)

XOR_ADA = Study(
    name="xor_ada", paper=3,
    claim="ADA lets a single neuron learn the XOR function (abstract: 'a single neuron with ADA can solve XOR').",
    paper_number="XOR solved by one neuron (hand-set solution w = (1, 1), b = 0, alpha = 1 separates it)",
    setup="single_neuron on the 4 XOR points {0,1}^2, Adam lr 0.1, batch 4, 200 epochs; ADA alpha = 1 trainable",
    proxy="exactly the paper's toy problem; 'learns' = a seeded training run reaches 100 % on the 4 points",
    original="nothing more: this is the original setting",
    statistic=Statistic("fraction", a=("ada",), metric="solved", scale=100.0),
    rule=Rule(direction=1, ref=50.0, unit="%"),
    effect="share of seeds whose trained neuron classifies all 4 XOR points (Wilson 95 % CI), %",
    tasks=(Task("xor/single_neuron", "xor", "single_neuron"),),
    methods=(Method("ada", "ada", {"alpha": 1.0}), Method("relu", "relu")),
    seeds=tuple(range(12)), recipe=_XOR, quick_seeds=tuple(range(4)), quick_recipe={"epochs": 100},
)

XOR_OSC = Study(
    name="xor_oscillating", paper=10,
    claim="Each of the oscillating units (SQU, NCU, SSU, DSU; GCU) lets a single neuron learn XOR.",
    paper_number="XOR solved by one neuron with each unit (abstract)",
    setup="single_neuron on the 4 XOR points, Adam lr 0.1, batch 4, 200 epochs; GCU, SQU, NCU, SSU, DSU",
    proxy="exactly the paper's toy problem; 'learns' = a seeded run reaches 100 % on the 4 points; pooled over units",
    original="nothing more; the paper's CIFAR-10/100 and Imagenette comparison of 23 AFs needs a GPU",
    statistic=Statistic("fraction", a=("gcu", "squ", "ncu", "ssu", "dsu"), metric="solved", scale=100.0),
    rule=Rule(direction=1, ref=50.0, unit="%"),
    effect="share of (unit, seed) runs that classify all 4 XOR points (Wilson 95 % CI), pooled over the 5 units, %",
    tasks=XOR_ADA.tasks,
    methods=tuple(Method(n, n, p) for n, p in _XOR_ACTS[1:]),
    seeds=tuple(range(8)), recipe=_XOR, quick_seeds=tuple(range(3)), quick_recipe={"epochs": 100},
)

ADA_VS = Study(
    name="ada_vs_baselines", paper=3,
    claim="ADA and leaky ADA outperform ReLU, leaky ReLU, RBF and Swish (image classification with LeNet and MLPs).",
    paper_number="result tables UNCONFIRMED in the spec (Fashion-MNIST, Tiny ImageNet, ...)",
    setup="mnist5k: LeNet-5 (ADA alpha 0.3) and a 2x256 MLP; Adam 1e-3, batch 128, 2 epochs",
    proxy="mnist5k (4000 MNIST images) for Fashion-MNIST; ours is TF-free PyTorch with the authors' alpha",
    original="Fashion-MNIST / Tiny ImageNet / MOROCO with the authors' TF 1.12 recipes (GPU for the larger ones)",
    statistic=Statistic("paired", a=("ada",), b=("relu",), scale=100.0,
                        extra=(("ada", "leaky_relu"), ("ada", "swish(silu)"), ("ada", "rbf"))),
    rule=PP, effect="ADA - ReLU final test accuracy, mean over the 2 tasks, pp",
    tasks=_MNIST_TASKS,
    methods=(Method("ada", "ada", {"alpha": 0.3}), Method("relu", "relu"), Method("leaky_relu", "leaky_relu"),
             Method("swish(silu)", "silu"), Method("rbf", "rbf")),
    seeds=(0, 1, 2), recipe={"epochs": 2}, quick_recipe={"epochs": 1}, quick_tasks=("mnist5k/mlp-2x256",),
)

PVLU_CNN = Study(
    name="pvlu_simple_cnn", paper=1,
    claim="PVLU gives relative error decreases of 16.3 % (no augmentation) for a simple sequential CNN on CIFAR-100.",
    paper_number="16.3 % relative error decrease (CIFAR-100, no augmentation)",
    setup="simple_cnn (widths 16/32, hidden 128) on digits (2 convs per stage, 15 epochs) and on mnist5k (1 conv per "
          "stage, 2 epochs); Adam 1e-3",
    proxy="digits and mnist5k for CIFAR-100 (10 classes, grey, tiny); PVLU alpha 0.1, beta 1 (init UNCONFIRMED)",
    original="CIFAR-100 with the paper's CNN and recipe (UNCONFIRMED; no public code), a GPU",
    statistic=Statistic("paired", a=("pvlu",), b=("relu",), metric="err", transform="reduction", scale=100.0),
    rule=Rule(direction=1, unit="%"),
    effect="relative error reduction of PVLU vs ReLU, (err_relu - err_pvlu) / err_relu, mean over tasks, %",
    tasks=(Task("digits/simple_cnn", "digits", "simple_cnn", {"widths": (16, 32), "hidden": 128}, {"epochs": 15}),
           Task("mnist5k/simple_cnn-2", "mnist5k", "simple_cnn", {"widths": (16, 32), "convs_per_stage": 1,
                                                                 "hidden": 128}, {"epochs": 2})),
    methods=(Method("pvlu", "pvlu"), Method("relu", "relu")),
    seeds=(0, 1, 2, 3, 4), quick_recipe={"epochs": 2}, quick_seeds=(0, 1, 2), quick_tasks=("digits/simple_cnn",),
)

PVLU_FT = Study(
    name="pvlu_finetune", paper=1,
    claim="Fine-tuning with PVLU gives relative error reductions up to and exceeding 10 % (transfer learning).",
    paper_number="9.5 % / 10.7 % relative error reduction (VGG-16 / VGG-19 transfer to CIFAR-10)",
    setup="LeNet-5 pretrained with ReLU on mnist5k digits 0-4 (4 epochs), fine-tuned 3 epochs on digits 5-9 "
          "(Adam 1e-3), keeping ReLU vs swapping to PVLU warm-started at alpha = 0 (same function at step 0)",
    proxy="mnist5k 0-4 -> 5-9 for ImageNet -> CIFAR-10; LeNet-5 for VGG-16/19",
    original="ImageNet-pretrained VGG-16/19 fine-tuned on CIFAR-10 (GPU)",
    statistic=Statistic("paired", a=("pvlu-finetune",), b=("relu-finetune",), metric="err", transform="reduction",
                        scale=100.0),
    rule=Rule(direction=1, unit="%"), effect="relative error reduction of PVLU fine-tuning vs ReLU fine-tuning, %",
    tasks=(Task("mnist5k 0-4 -> 5-9 / lenet5", "m5k_0to4", "lenet5"),),
    methods=(Method("pvlu-finetune", "relu", fields={"finetune_act": "pvlu", "finetune_act_params": {}}),
             Method("relu-finetune", "relu")),
    seeds=(0, 1, 2, 3, 4), recipe={"epochs": 4, "target_epochs": 3, "fixed_features": False},
    quick_recipe={"epochs": 1, "target_epochs": 1}, quick_seeds=(0, 1, 2), protocol="transfer",
)

_DEPTHS = (2, 4, 8)
COLU_DEPTH = Study(
    name="colu_depth", paper=4,
    claim="CoLU performs better than other AFs on deeper networks; 8-conv-layer network: CoLU best mean accuracy, "
          "closely followed by ReLU.",
    paper_number="8 conv layers on MNIST: CoLU best mean accuracy (no figure in the spec); VGG-13 Fashion-MNIST "
                 "+3.31 % vs ReLU",
    setup="simple_cnn on the 8x8 digits with 2, 4 and 8 conv layers (widths 16/32, 1-4 convs per stage); Adam 1e-3, "
          "8 epochs",
    proxy="8x8 digits (1438 images) for MNIST; our simple_cnn family for the paper's conv stacks",
    original="full MNIST with the paper's conv stacks, VGG-13 on Fashion-MNIST, ResNet-9 on CIFAR-10 (GPU)",
    statistic=Statistic("paired", a=("colu",), b=("relu",), scale=100.0, tasks=("digits/cnn-8",),
                        extra=(("colu", "mish"), ("colu", "swish(silu)"))),
    rule=PP, effect="CoLU - ReLU final test accuracy at 8 conv layers, pp (other depths and Mish/Swish in the detail)",
    tasks=tuple(Task(f"digits/cnn-{d}", "digits", "simple_cnn",
                     {"widths": (16, 32), "convs_per_stage": d // 2, "hidden": 128}, x=d) for d in _DEPTHS),
    methods=(Method("colu", "colu"), Method("relu", "relu"), Method("mish", "mish"), Method("swish(silu)", "silu")),
    seeds=(0, 1, 2, 3), recipe={"epochs": 8}, quick_recipe={"epochs": 2}, quick_seeds=(0, 1, 2),
    quick_tasks=("digits/cnn-8",),
)

NISH = Study(
    name="nish_vs_mish", paper=2,
    claim="Nish gives slightly better accuracy than Mish.",
    paper_number="'slightly better than Mish' (abstract; no figure in the spec)",
    setup="digits 2x128 MLP and MNIST-1D cnn1d, 8 epochs each; Adam 1e-3; Nish form H1 (UNCONFIRMED)",
    proxy="small offline tasks; the negative branch of Nish is a hypothesis (H1), not the paper's confirmed formula",
    original="the paper's CNNs and data sets with the confirmed formula",
    statistic=Statistic("paired", a=("nish",), b=("mish",), scale=100.0),
    rule=PP, effect="Nish - Mish final test accuracy, mean over 2 tasks, pp",
    tasks=_DIGITS_TASKS, methods=(Method("nish", "nish"), Method("mish", "mish")),
    seeds=tuple(range(5)), recipe={"epochs": 8}, quick_recipe={"epochs": 2}, quick_seeds=(0, 1, 2),
    quick_tasks=("digits/mlp-2x128",),
)

FPLUS = Study(
    name="fplus_vs_relu", paper=8,
    claim="FPLUS/PFPLUS perform better than ReLU (and other AFs) in image classification.",
    paper_number="result tables UNCONFIRMED in the spec",
    setup="digits 2x128 MLP and MNIST-1D cnn1d, 8 epochs, Adam 1e-3; PFPLUS lam = mu = 1 trainable",
    proxy="small offline tasks for the paper's image benchmarks",
    original="the paper's CIFAR benchmarks (GPU)",
    statistic=Statistic("paired", a=("fplus",), b=("relu",), scale=100.0, extra=(("pfplus", "relu"),)),
    rule=PP, effect="FPLUS - ReLU final test accuracy, mean over 2 tasks, pp (PFPLUS in the detail)",
    tasks=_DIGITS_TASKS, methods=(Method("fplus", "fplus"), Method("pfplus", "pfplus"), Method("relu", "relu")),
    seeds=tuple(range(5)), recipe={"epochs": 8}, quick_recipe={"epochs": 2}, quick_seeds=(0, 1, 2),
    quick_tasks=("digits/mlp-2x128",),
)

_HU_METHODS = (Method("adaptive_sigmoid", "adaptive_sigmoid"), Method("sigmoid", "sigmoid"),
               Method("adaptive_tanh", "adaptive_tanh"), Method("tanh", "tanh"),
               Method("adaptive_relu", "adaptive_relu"), Method("relu", "relu"))
_HU_COMMON: dict[str, Any] = dict(
    paper=9, paper_number="result tables UNCONFIRMED in the spec",
    setup="LeNet-5 on mnist5k, SGD momentum 0.9 lr 0.01, 3 epochs; adaptive sigmoid/tanh/ReLU vs the fixed ones",
    proxy="mnist5k for CIFAR-10; SGD with momentum for the authors' plain SGD lr 1e-3 (too slow for our budget)",
    original="CIFAR-10/100, miniImageNet with AlexNet/VGG/ResNet/DenseNet (GPU)",
    tasks=(Task("mnist5k/lenet5", "mnist5k", "lenet5"),), methods=_HU_METHODS,
    seeds=(0, 1, 2), recipe={"epochs": 3, "optimizer": "sgd", "lr": 0.01, "momentum": 0.9},
    quick_recipe={"epochs": None, "steps": 10}, quick_seeds=(0, 1, 2),
)
_HU_A, _HU_B = ("adaptive_sigmoid", "adaptive_tanh", "adaptive_relu"), ("sigmoid", "tanh", "relu")
HU_ACC = Study(
    name="hu_adaptive_accuracy",
    claim="Adaptively customized activations (a few parameters added to Sigmoid, Tanh, ReLU) improve accuracy.",
    statistic=Statistic("paired", a=_HU_A, b=_HU_B, scale=100.0), rule=PP,
    effect="adaptive - fixed final test accuracy, mean over the 3 pairs, pp", **_HU_COMMON)
HU_CONV = Study(
    name="hu_adaptive_convergence",
    claim="Adaptively customized activations speed up convergence.",
    statistic=Statistic("paired", a=_HU_A, b=_HU_B, metric="train_loss_auc"), rule=Rule(direction=-1),
    effect="adaptive - fixed mean training loss over the epochs (negative = faster), mean over the 3 pairs",
    **_HU_COMMON)

LOGIC = Study(
    name="logit_logic", paper=6,
    claim="Logit-space operators (AND_AIL, OR_AIL, XNOR_AIL) perform better than ReLU and maxout.",
    paper_number="result tables not in the spec",
    setup="2-hidden-layer MLPs on digits and MNIST-1D, 12 epochs, Adam 1e-3: ReLU at width 256; the k = 2 reducing "
          "units (AND/OR/XNOR_AIL, maxout) at 176 units from 352 pre-activations (parameters within 3 %)",
    proxy="small MLPs for the paper's image and RL benchmarks; single operators, not the paper's ensembles",
    original="the paper's CIFAR / ensemble settings (GPU)",
    statistic=Statistic("paired", a=("xnor_ail", "or_ail"), b=("relu", "maxout"), scale=100.0,
                        extra=(("xnor_ail", "maxout"), ("or_ail", "relu"), ("and_ail", "relu"), ("and_ail", "maxout"))),
    rule=PP, effect="(XNOR_AIL - ReLU + OR_AIL - maxout) / 2 final test accuracy, pp (all pairs in the detail)",
    tasks=(Task("digits/mlp-2x256", "digits", "mlp", {"depth": 2, "width": 256}),
           Task("mnist1d/mlp-2x256", "mnist1d", "mlp", {"depth": 2, "width": 256})),
    methods=(Method("xnor_ail", "xnor_ail", model_kwargs={"width": 176}),
             Method("or_ail", "or_ail", model_kwargs={"width": 176}),
             Method("and_ail", "and_ail", model_kwargs={"width": 176}),
             Method("relu", "relu"), Method("maxout", "maxout", model_kwargs={"width": 176})),
    seeds=(0, 1, 2, 3), recipe={"epochs": 12}, quick_recipe={"epochs": 2}, quick_seeds=(0, 1, 2),
    quick_tasks=("digits/mlp-2x256",),
)

_REG = {"steps": 1000, "lr": 2e-3, "n_train": 300}
LAAF = Study(
    name="laaf_convergence", paper=5,
    claim="Adaptive activations (L-LAAF, N-LAAF, Rowdy) converge faster than the fixed tanh in function approximation.",
    paper_number="faster convergence of the loss (survey; LAAF paper figures, no number in the spec)",
    setup="4x50 MLP on the discontinuous 1-D function (300 points on [-3, 3]), full-batch Adam 2e-3, 1000 steps; "
          "n = 10, a = 0.1, with slope recovery (paper form)",
    proxy="the survey's 1-D function approximation, generated offline (the function as we recall it)",
    original="the same experiment with the paper's exact function and budget (CPU suffices)",
    statistic=Statistic("paired", a=("tanh", "tanh", "tanh"), b=("l-laaf", "n-laaf", "rowdy"),
                        metric="log10_mse_auc"),
    rule=Rule(direction=1),
    effect="tanh - adaptive mean log10 training MSE over the steps (positive = adaptive faster), mean over 3 variants",
    tasks=(Task("jagtap_1d/mlp-4x50", "jagtap_1d", "mlp", {"depth": 4, "width": 50}),),
    methods=(Method("tanh", "tanh"),
             Method("l-laaf", "laaf", {"n": 10.0, "mode": "layer"}, {"slope_recovery": True}),
             Method("n-laaf", "laaf", {"n": 10.0, "shape": "channel"}, {"slope_recovery": True}),
             Method("rowdy", "rowdy", {"n": 10.0, "mode": "layer"}, {"slope_recovery": True})),
    seeds=tuple(range(5)), recipe=_REG, quick_recipe={"steps": 200}, quick_seeds=(0, 1, 2), protocol="regression",
)

DUBEY_ACTS = ("sigmoid", "tanh", "elliott", "relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "celu", "softplus",
              "swish", "abrelu", "lisht", "srs", "mish", "pau", "pdelu")
DUBEY = Study(
    name="dubey_ranking", paper=7,
    claim="(paraphrase; no quotation in the spec) The best activation depends on the network and data: the 18 AFs "
          "rank differently across settings.",
    paper_number="per-network CIFAR-10/100 tables (UNCONFIRMED)",
    setup="the 18 AFs on 3 offline tasks: digits 2x128 MLP, MNIST-1D cnn1d, spirals 2x64 MLP; Adam 1e-3, 5 epochs",
    proxy="3 small offline tasks for 6 CIFAR networks; final (not best-on-test) accuracy",
    original="CIFAR-10/100 with VGG16, GoogLeNet, ResNet50, SENet18, MobileNet, DenseNet121, 100 epochs (GPU)",
    statistic=Statistic("rank_stability", a=DUBEY_ACTS),
    rule=Rule(direction=-1, ref=0.5),
    effect="mean Spearman correlation between the AF rankings of every two tasks, per seed (low = task-dependent)",
    tasks=(Task("digits/mlp-2x128", "digits", "mlp", {"depth": 2, "width": 128}),
           Task("mnist1d/cnn1d", "mnist1d", "cnn1d"),
           Task("spirals/mlp-2x64", "spirals", "mlp", {"depth": 2, "width": 64})),
    methods=tuple(Method(a, a) for a in DUBEY_ACTS),
    seeds=(0, 1, 2), recipe={"epochs": 5}, quick_recipe={"epochs": 1},
    quick_tasks=("digits/mlp-2x128", "spirals/mlp-2x64"),
)

ACTIVATION_STUDIES = (XOR_ADA, XOR_OSC, ADA_VS, PVLU_CNN, PVLU_FT, COLU_DEPTH, NISH, FPLUS, HU_ACC, HU_CONV, LOGIC,
                      LAAF, DUBEY)
