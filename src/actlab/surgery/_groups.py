"""param_groups: optimizer groups that keep activation parameters out of weight decay."""

from __future__ import annotations

from typing import Any

from torch import nn

from ._sites import is_activation_module

__all__ = ["param_groups"]


def param_groups(
    model: nn.Module,
    weight_decay: float,
    act_weight_decay: float = 0.0,
    act_lr_scale: float = 1.0,
    *,
    lr: float | None = None,
    norm_bias_weight_decay: float | None = None,
) -> list[dict[str, Any]]:
    """Optimizer parameter groups that treat activation parameters separately.

    Activation parameters (every parameter owned by an actlab :class:`~actlab.Activation`, a
    registered activation class or ``nn.PReLU``) get ``act_weight_decay`` (0 by default: decaying
    a PReLU slope towards 0 pulls it towards ReLU, which He et al. 2015 avoid) and, with ``lr``,
    the learning rate ``lr * act_lr_scale``. Biases and norm-layer parameters (every other
    parameter with at most one dimension) get ``norm_bias_weight_decay``, which defaults to
    ``weight_decay`` as in the seed papers' recipes (WRN, Spiking ResNet decay everything); pass
    ``0.0`` for the "no decay on norm and bias" convention. Everything else gets ``weight_decay``.
    Frozen parameters (``requires_grad=False``) and empty groups are left out; each group has a
    ``"name"`` key (``"decay"``, ``"norm_bias"``, ``"activation"``).

    Args:
        model: the network.
        weight_decay: decay of weight matrices and kernels.
        act_weight_decay: decay of activation parameters.
        act_lr_scale: learning-rate multiplier for activation parameters (needs ``lr``).
        lr: the optimizer's base learning rate; required when ``act_lr_scale != 1``.
        norm_bias_weight_decay: decay of biases and norm parameters (``None``: ``weight_decay``).

    Returns:
        A list of param-group dicts for any ``torch.optim`` optimizer.

    Example:
        >>> import torch
        >>> from actlab import create_model, param_groups
        >>> model = create_model("mlp", num_classes=3, in_chans=4, width=8, act="pvlu")
        >>> groups = param_groups(model, weight_decay=5e-4)
        >>> [(g["name"], g["weight_decay"]) for g in groups]  # PVLU's alpha, beta: no decay
        [('decay', 0.0005), ('norm_bias', 0.0005), ('activation', 0.0)]
        >>> opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9)
    """
    for key, v in (("weight_decay", weight_decay), ("act_weight_decay", act_weight_decay)):
        if v < 0:
            raise ValueError(f"{key} must be >= 0, got {v}")
    if act_lr_scale <= 0:
        raise ValueError(f"act_lr_scale must be > 0, got {act_lr_scale}")
    if act_lr_scale != 1.0 and lr is None:
        raise ValueError(
            f"act_lr_scale={act_lr_scale} needs the base learning rate: pass lr= (the optimizer's lr) so the "
            "activation group can get lr * act_lr_scale"
        )
    nb_decay = weight_decay if norm_bias_weight_decay is None else norm_bias_weight_decay
    groups: dict[str, list[nn.Parameter]] = {"decay": [], "norm_bias": [], "activation": []}
    seen: set[int] = set()
    for m in model.modules():
        for p in m.parameters(recurse=False):
            if id(p) in seen or not p.requires_grad:
                continue
            seen.add(id(p))
            kind = "activation" if is_activation_module(m) else "norm_bias" if p.dim() <= 1 else "decay"
            groups[kind].append(p)
    out = []
    for kind, wd in (("decay", weight_decay), ("norm_bias", nb_decay), ("activation", act_weight_decay)):
        if groups[kind]:
            group: dict[str, Any] = {"params": groups[kind], "weight_decay": wd, "name": kind}
            if kind == "activation" and lr is not None:
                group["lr"] = lr * act_lr_scale
            out.append(group)
    return out
