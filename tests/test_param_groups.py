"""param_groups: the activation parameters in their own optimizer group (weight decay, learning-rate scale)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actlab import param_groups, swap_activations


def test_param_groups_contents():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.PReLU(4), nn.Flatten(), nn.Linear(4, 2))
    swap_activations(model, ("pvlu", {"shape": "channel"}), where=nn.PReLU, functional=False)
    model.add_module("prelu", nn.PReLU())
    groups = {g["name"]: g for g in param_groups(model, 5e-4)}
    ids = lambda ps: {id(p) for p in ps}  # noqa: E731
    assert ids(groups["decay"]["params"]) == ids([model[0].weight, model[4].weight])
    assert ids(groups["norm_bias"]["params"]) == ids([model[0].bias, model[1].weight, model[1].bias, model[4].bias])
    pv = model[2]
    assert ids(groups["activation"]["params"]) == ids([*pv.parameters(), model.prelu.weight])
    assert groups["decay"]["weight_decay"] == 5e-4 and groups["norm_bias"]["weight_decay"] == 5e-4
    assert groups["activation"]["weight_decay"] == 0.0 and "lr" not in groups["activation"]
    n_all = sum(len(g["params"]) for g in groups.values())
    assert n_all == len(list(model.parameters()))
    torch.optim.SGD(list(groups.values()), lr=0.1)  # accepted by an optimizer


def test_param_groups_options():
    model = nn.Sequential(nn.Linear(3, 4), nn.PReLU(), nn.Linear(4, 2))
    model[2].weight.requires_grad_(False)
    groups = {g["name"]: g for g in param_groups(model, 1e-4, act_weight_decay=1e-5, act_lr_scale=0.1,
                                                 lr=0.5, norm_bias_weight_decay=0.0)}
    assert groups["activation"]["lr"] == pytest.approx(0.05) and groups["activation"]["weight_decay"] == 1e-5
    assert groups["norm_bias"]["weight_decay"] == 0.0
    assert len(groups["decay"]["params"]) == 1  # the frozen weight is left out
    with pytest.raises(ValueError, match="pass lr="):
        param_groups(model, 1e-4, act_lr_scale=0.1)
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        param_groups(model, -1.0)


def test_param_groups_skip_empty():
    groups = param_groups(nn.Linear(3, 2, bias=False), 1e-4)
    assert [g["name"] for g in groups] == ["decay"]
