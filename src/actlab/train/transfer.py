"""Transfer protocols of Kornblith, Shlens & Le, "Do better ImageNet models transfer better?"
(CVPR 2019, arXiv 1805.08974), at actlab's scale.

* **Fixed features**: the trained network's penultimate features (the input of its last
  ``nn.Linear``), computed without augmentation, feed an L2-regularized multinomial logistic
  regression (scikit-learn, L-BFGS). The inverse strength ``C`` is chosen on a held-out part of
  the target training set, then the classifier is refit on all of it. Choices where the paper's
  details are unconfirmed: features are standardized (``standardize=True``), the ``C`` grid is
  ``10^-4 .. 10^4`` in decades, 20 % of the training set is held out.
* **Fine-tuning**: all weights trained on the target task by :func:`actlab.train_one`, after an
  optional activation swap (:func:`actlab.surgery.swap_activations`, e.g. ReLU -> PVLU with a warm
  start, so that the network computes the same function at step 0) and a fresh classifier head
  sized for the target classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .config import TrainConfig
from .loop import derive_seed, train_one
from .result import RunResult

__all__ = ["penultimate_features", "fixed_feature_eval", "FixedFeatureResult", "finetune", "replace_head"]

C_GRID = tuple(10.0**k for k in range(-4, 5))


def _last_linear(model: nn.Module) -> tuple[str, nn.Linear]:
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(
            f"{type(model).__name__} has no nn.Linear classifier head; pass head= the name of the head module"
        )
    return linears[-1]


@torch.no_grad()
def penultimate_features(
    model: nn.Module, x: torch.Tensor, batch_size: int = 1024, head: str | None = None
) -> torch.Tensor:
    """The inputs of the classifier head for every sample of ``x``, in eval mode, flattened.

    Args:
        model: the trained network. x: inputs, preprocessed as in training.
        head: name of the head module (default: the last ``nn.Linear`` in registration order).
    """
    mod = dict(model.named_modules())[head] if head is not None else _last_linear(model)[1]
    feats: list[torch.Tensor] = []
    hook = mod.register_forward_hook(lambda m, inp, out: feats.append(inp[0].detach().flatten(1).float().cpu()))
    was = model.training
    model.eval()
    try:
        for i in range(0, len(x), batch_size):
            model(x[i : i + batch_size])
    finally:
        hook.remove()
        model.train(was)
    return torch.cat(feats)


@dataclass(frozen=True)
class FixedFeatureResult:
    """Outcome of :func:`fixed_feature_eval`.

    Args:
        test_acc: top-1 accuracy. mean_class_acc: mean per-class recall (the paper's metric for
            some datasets). C: chosen inverse L2 strength. val_acc: validation accuracy per ``C``.
        n_features: feature dimension.
    """

    test_acc: float
    mean_class_acc: float
    C: float
    val_acc: dict
    n_features: int


def fixed_feature_eval(
    model: nn.Module,
    train: Any,
    test: Any,
    *,
    Cs: tuple[float, ...] = C_GRID,
    val_fraction: float = 0.2,
    seed: int = 0,
    standardize: bool = True,
    normalize_inputs: bool = True,
    max_iter: int = 1000,
    head: str | None = None,
) -> FixedFeatureResult:
    """Fixed-feature transfer: penultimate features -> L2 logistic regression (no augmentation).

    Args:
        model: a trained network whose head is its last ``nn.Linear`` (or ``head``).
        train / test: target :class:`actlab.data.TensorData` splits.
        Cs: grid of inverse regularization strengths; the best on the held-out split wins.
        val_fraction: part of ``train`` held out (seeded) to choose ``C``; then refit on all.
        seed: the held-out split's seed.
        standardize: standardize features with training statistics before the regression.
        normalize_inputs: standardize inputs per channel with ``train``'s statistics (as
            :func:`actlab.train_one` does with ``normalize=True``); match how the model was trained.
        max_iter: L-BFGS iterations.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from ..data import channel_stats

    x_tr, x_te = train.x, test.x
    if normalize_inputs:
        mean, std = channel_stats(x_tr)
        shape = [1, len(mean)] + [1] * (x_tr.dim() - 2)
        m = torch.tensor(mean).view(shape)
        s = torch.tensor([v if v > 1e-8 else 1.0 for v in std]).view(shape)
        x_tr, x_te = (x_tr - m) / s, (x_te - m) / s
    dev = next(model.parameters()).device
    f_tr = penultimate_features(model, x_tr.to(dev), head=head).numpy().astype(np.float64)
    f_te = penultimate_features(model, x_te.to(dev), head=head).numpy().astype(np.float64)
    y_tr, y_te = train.y.numpy(), test.y.numpy()
    if standardize:
        scaler = StandardScaler().fit(f_tr)
        f_tr, f_te = scaler.transform(f_tr), scaler.transform(f_te)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y_tr))
    n_val = max(1, round(val_fraction * len(y_tr)))
    va, fit = perm[:n_val], perm[n_val:]
    scores = {}
    for C in Cs:
        clf = LogisticRegression(C=C, max_iter=max_iter).fit(f_tr[fit], y_tr[fit])
        scores[C] = float((clf.predict(f_tr[va]) == y_tr[va]).mean())
    best = max(Cs, key=lambda c: (scores[c], -c))  # ties: the stronger regularization
    clf = LogisticRegression(C=best, max_iter=max_iter).fit(f_tr, y_tr)
    pred = clf.predict(f_te)
    recalls = [float((pred[y_te == k] == k).mean()) for k in np.unique(y_te)]
    return FixedFeatureResult(
        test_acc=float((pred == y_te).mean()), mean_class_acc=float(np.mean(recalls)), C=best, val_acc=scores,
        n_features=f_tr.shape[1],
    )


def replace_head(model: nn.Module, num_classes: int, seed: int, head: str | None = None) -> nn.Linear:
    """Replaces the classifier head (last ``nn.Linear`` or ``head``) by a fresh
    ``nn.Linear(in_features, num_classes)`` initialized under ``seed``; returns it."""
    name, old = (head, dict(model.named_modules())[head]) if head is not None else _last_linear(model)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    new.to(old.weight.device)
    parent_name, _, attr = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, attr, new)
    return new


def finetune(
    model: nn.Module,
    cfg: TrainConfig,
    *,
    act: Any = None,
    warm_start: bool = True,
    where: Any = None,
    new_head: bool = True,
    head: str | None = None,
) -> tuple[RunResult, nn.Module]:
    """Fine-tunes all weights of a trained ``model`` on ``cfg.dataset`` with ``cfg``'s recipe.

    Args:
        model: the trained source network (changed in place where possible).
        cfg: the target task and recipe (``cfg.model``, ``cfg.act`` and ``cfg.init`` are not used).
        act: swap the activations to this spec first (``"pvlu"``); ``None`` keeps them.
        warm_start: start the swapped activations at the values under which they equal the old
            ones (ReLU -> PVLU with ``alpha = 0``); raises where no such values exist.
        where: which activation sites to swap (see :func:`actlab.surgery.swap_activations`).
        new_head: replace the classifier head by a fresh one for the target classes (seeded by
            ``cfg.seed``); with ``False`` the head must already have the right size.
        head: the head module's name (default: the last ``nn.Linear``).

    Returns:
        (the run's :class:`RunResult`, the fine-tuned model, which may be a new
        ``torch.fx.GraphModule`` when the swap had to trace ``model``).
    """
    from ..data import load_dataset
    from ..surgery import swap_activations

    if act is not None:
        model = swap_activations(model, act, where, warm_start).model
    if new_head:
        n_cls = load_dataset(cfg.dataset, root=cfg.data_root, split="train", **cfg.dataset_kwargs).num_classes
        replace_head(model, n_cls, derive_seed(cfg.seed, "head"), head)
    return train_one(cfg, model=model), model
