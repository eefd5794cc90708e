"""Surgery and AutoInit on the torch activations that used to fall through the cracks: LogSigmoid,
the shrinks, Threshold and RReLU, as modules and as functional calls (the torch table lists them)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from actlab import per_layer, swap_activations
from actlab.init import autoinit

NEW_MODULES = [nn.LogSigmoid(), nn.Softshrink(), nn.Hardshrink(), nn.Tanhshrink(), nn.Threshold(1.0, 0.0), nn.RReLU()]
ZOO = ["logsigmoid", "softshrink", "hardshrink", "tanhshrink", "threshold", "rrelu"]


def stack(acts: list[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for act in acts:
        layers += [nn.Linear(6, 6), act]
    return nn.Sequential(*layers, nn.Linear(6, 2))


class Calls(nn.Module):
    """One functional form of each: F.logsigmoid, F.softshrink, x.hardshrink(), F.tanhshrink, F.threshold, F.rrelu."""

    def __init__(self) -> None:
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(6, 6) for _ in range(6))
        self.out = nn.Linear(6, 2)

    def forward(self, x):
        x = F.logsigmoid(self.fcs[0](x))
        x = F.softshrink(self.fcs[1](x), 0.25)
        x = self.fcs[2](x).hardshrink(0.1)
        x = F.tanhshrink(self.fcs[3](x))
        x = F.threshold(self.fcs[4](x), 0.0, -1.0)
        x = F.rrelu(self.fcs[5](x), 0.1, 0.3, training=False)
        return self.out(x)


X = torch.randn(8, 6)


def test_new_modules_are_sites_and_warm_start_to_their_zoo_activation():
    model = stack(NEW_MODULES).eval()
    before = model(X)
    report = swap_activations(model, per_layer(lambda site: ZOO[site.index]), warm_start=True)
    assert [s.old.split("(")[0] for s in report.sites] == [type(m).__name__ for m in NEW_MODULES]
    assert all(s.warm_started for s in report.sites) and report.model is model
    assert not any(isinstance(m, tuple(type(a) for a in NEW_MODULES)) for m in model.modules())
    torch.testing.assert_close(model(X), before, rtol=0, atol=0)


@pytest.mark.parametrize(
    "old, new",
    [
        (nn.Softshrink(0.3), ("softshrink", {"lambd": 0.3})),
        (nn.Hardshrink(0.2), ("hardshrink", {"lambd": 0.2})),
        (nn.Threshold(0.1, 20.0), ("threshold", {"threshold": 0.1, "fill": 20.0})),
        (nn.RReLU(0.1, 0.3), ("rrelu", {"lower": 0.1, "upper": 0.3})),
        (nn.ReLU(), "threshold"),  # the zoo row: threshold = fill = 0 is ReLU
        (nn.Identity(), None),
    ],
)
def test_warm_start_where_exact(old, new):
    if new is None:  # nn.Identity is no activation: nothing is swapped
        assert len(swap_activations(nn.Sequential(nn.Linear(3, 4), old), "relu")) == 0
        return
    model = nn.Sequential(nn.Linear(3, 4), old, nn.Linear(4, 2)).eval()
    x = torch.randn(5, 3)
    before = model(x)
    report = swap_activations(model, new, warm_start=True)
    assert len(report) == 1 and report.sites[0].warm_started
    torch.testing.assert_close(model(x), before, rtol=0, atol=1e-6)


def test_warm_start_refuses_other_hyperparameters():
    model = nn.Sequential(nn.Linear(3, 4), nn.Softshrink(0.3))
    with pytest.raises(ValueError, match="non-default parameters"):
        swap_activations(model, ("softshrink", {"lambd": 0.2}), warm_start=True)


def test_functional_forms_are_sites_and_warm_start():
    model = Calls().eval()
    before = model(X)
    acts = ["logsigmoid", ("softshrink", {"lambd": 0.25}), ("hardshrink", {"lambd": 0.1}), "tanhshrink",
            ("threshold", {"threshold": 0.0, "fill": -1.0}), ("rrelu", {"lower": 0.1, "upper": 0.3})]
    report = swap_activations(model, per_layer(lambda site: acts[site.index]), warm_start=True)
    assert [(s.name, s.kind) for s in report.sites] == [
        ("logsigmoid()", "function"), ("softshrink()", "function"), ("hardshrink()", "method"),
        ("tanhshrink()", "function"), ("threshold()", "function"), ("rrelu()", "function"),
    ]
    assert report.model is model and report.missed == []
    torch.testing.assert_close(model.eval()(X), before, rtol=0, atol=1e-6)


def test_where_by_module_class_matches_calls():
    report = swap_activations(Calls(), "relu", where=(nn.Softshrink, nn.RReLU))
    assert [s.old for s in report.sites] == ["Softshrink(0.25)", "RReLU(lower=0.1, upper=0.3)"]


def test_autoinit_has_rules_for_modules_and_calls():
    """Before the torch table, F.softshrink / F.threshold / F.rrelu / x.hardshrink() had no rule
    and F.logsigmoid was missed by name (its function is called log_sigmoid)."""
    for model in (stack([nn.LogSigmoid(), nn.Softshrink(), nn.Tanhshrink(), nn.RReLU()]), Calls()):
        report = autoinit(model, input_shape=(6,), batch_size=256)  # calibrated by default
        assert report.mode == "fx" and set(report.methods().values()) == {"autoinit-calibrated"}
