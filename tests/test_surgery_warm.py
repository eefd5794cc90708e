"""Warm start from every torch activation with every family over a base: bit-exact, and the errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actlab import swap_activations
from actlab.activations.torch_table import TORCH_MODULES
from actlab.surgery._warm import starters

# one fixed instance per torch-table row (trainable PReLU aside), non-default settings included
BASES = [nn.ReLU(), nn.ReLU6(), nn.LeakyReLU(0.2), nn.RReLU(), nn.ELU(0.5), nn.CELU(), nn.SELU(), nn.GELU(),
         nn.GELU(approximate="tanh"), nn.SiLU(), nn.Mish(), nn.Softplus(beta=2.0), nn.Softsign(), nn.Tanh(),
         nn.Sigmoid(), nn.LogSigmoid(), nn.Hardtanh(-2.0, 2.0), nn.Hardsigmoid(), nn.Hardswish(), nn.Softshrink(0.3),
         nn.Hardshrink(), nn.Tanhshrink(), nn.Threshold(0.1, -1.0)]
FAMILIES = ["gpvlu", "laaf", "rowdy", ("gpvlu", {"shape": "channel"}), ("laaf", {"shape": "channel"}),
            ("rowdy", {"shape": "channel"})]


def test_bases_cover_the_torch_table():
    assert {type(b) for b in BASES} | {nn.PReLU} == {row.cls for row in TORCH_MODULES}


@pytest.mark.parametrize("old", BASES, ids=repr)
def test_every_family_over_any_base_starts_bit_exact(old):
    x = torch.randn(64, 3) * 4
    for family in FAMILIES:
        model = nn.Sequential(nn.Linear(3, 8), old).eval()
        before = model(x)
        report = swap_activations(model, family, warm_start=True, example_input=x)
        assert len(report) == 1 and report.sites[0].warm_diff == 0.0 and report.output_diff == 0.0, family
        assert torch.equal(model(x), before), family


def test_warm_start_trains_away_from_the_base():
    model = nn.Sequential(nn.Linear(3, 8), nn.GELU(), nn.Linear(8, 1))
    x = torch.randn(16, 3)
    swap_activations(model, "gpvlu", warm_start=True, example_input=x)
    model(x).pow(2).mean().backward()
    assert model[1].alpha.grad is not None and model[1].alpha.grad.abs() > 0


def test_starters_name_the_families_and_the_table_rows():
    assert {"gpvlu", "laaf", "rowdy", "swish"} <= set(starters("silu"))
    assert "pvlu" in starters("relu") and "pvlu" not in starters("gelu")


def test_trainable_old_activation_cannot_be_a_base():
    with pytest.raises(ValueError, match="trainable parameters"):
        swap_activations(nn.Sequential(nn.Linear(3, 4), nn.PReLU()), "gpvlu", warm_start=True)


def test_census_input_inferred_from_the_first_layer():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 1))
    report = swap_activations(model, "gpvlu", warm_start=True)
    assert "ran on a batch (2, 3, 32, 32) for the first layer, a conv" in report.census
    assert report.output_diff == 0.0
