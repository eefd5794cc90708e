"""Evaluation of a classifier on a whole split: accuracy, loss, per-class recall and F1."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from ..data import IGNORE_INDEX
from .result import EvalMetrics

__all__ = ["evaluate", "per_class_metrics"]


def per_class_metrics(y: torch.Tensor, pred: torch.Tensor, num_classes: int) -> tuple[list[float], list[float]]:
    """Per-class recall ``TP / (TP + FN)`` and F1 ``2 TP / (2 TP + FP + FN)`` from the confusion
    matrix; a class with a zero denominator scores 0 (scikit-learn's ``zero_division=0``)."""
    k = num_classes
    cm = torch.bincount(y * k + pred, minlength=k * k).view(k, k).double()
    tp = cm.diag()
    support, predicted = cm.sum(1), cm.sum(0)
    recall = torch.where(support > 0, tp / support.clamp(min=1), torch.zeros_like(tp))
    denom = support + predicted
    f1 = torch.where(denom > 0, 2 * tp / denom.clamp(min=1), torch.zeros_like(tp))
    return recall.tolist(), f1.tolist()


@torch.no_grad()
def evaluate(
    forward: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    num_classes: int,
    binary: bool,
    batch_size: int = 1024,
) -> EvalMetrics:
    """Evaluates ``forward`` (a model, put in eval mode and back) on ``(x, y)`` in batches.

    Args:
        binary: one-output model: BCE-with-logits loss, prediction ``out > 0``; else
            cross-entropy and arg-max.

    For a sequence task (targets ``y`` of shape ``(N, T)``, logits ``(N, T, V)``) every scored
    position (target other than :data:`actlab.data.IGNORE_INDEX`) is one prediction: accuracy,
    mean loss and the per-class figures are over those, and ``n`` counts them.
    """
    module = getattr(forward, "_orig_mod", forward)  # torch.compile wraps the model
    if not isinstance(module, nn.Module):
        raise TypeError(f"evaluate needs a model (an nn.Module or torch.compile of one), got {type(forward).__name__}")
    was = module.training
    module.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=y.device)
    preds, targets = [], []
    try:
        for i in range(0, len(y), batch_size):
            out = forward(x[i : i + batch_size]).float()
            yb = y[i : i + batch_size]
            if yb.dim() > 1:  # sequence task: the scored positions only
                keep = yb != IGNORE_INDEX
                out, yb = out[keep], yb[keep]
            if binary:
                out = out.reshape(-1)
                loss_sum += F.binary_cross_entropy_with_logits(out, yb.float(), reduction="sum").double()
                preds.append((out > 0).long())
            else:
                loss_sum += F.cross_entropy(out, yb, reduction="sum").double()
                preds.append(out.argmax(-1))
            targets.append(yb)
    finally:
        module.train(was)
    pred, y = torch.cat(preds), torch.cat(targets)
    recall, f1 = per_class_metrics(y, pred, num_classes)
    n = len(y)
    return EvalMetrics(
        acc=float((pred == y).double().mean()), loss=float(loss_sum) / n, recall=tuple(recall), f1=tuple(f1), n=n
    )
