"""AutoInit activation moments against the spec's reference values (section 11) and closed forms."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import actlab
from actlab.init import activation_moments, autoinit, fan_in

# (activation, mean, var) for input N(0, 1): seed_spec.md section 11 (DERIVED, quadrature).
REFERENCE = [
    ("relu", 0.398942, 0.340845),
    ("identity", 0.0, 1.0),
    ("tanh", 0.0, 0.394294),
    ("sigmoid", 0.5, 0.043379),
    ("gelu", 0.282095, 0.345644),
    ("silu", 0.206621, 0.313083),
    ("elu", 0.160521, 0.619179),
    ("softplus", 0.806059, 0.271515),
    ("gcu", 0.0, 0.296997),
    ("colu", 0.276655, 0.476067),
    (("ada", {"alpha": 0.5, "beta": 0.0}), 0.224133, 0.073979),
]


def _make(spec):
    return actlab.create_activation(spec) if isinstance(spec, str) else actlab.create_activation(spec[0], **spec[1])


@pytest.mark.parametrize("spec,mean,var", REFERENCE, ids=lambda v: str(v) if isinstance(v, str) else None)
def test_reference_moments(spec, mean, var):
    m = activation_moments(_make(spec), 0.0, 1.0)
    assert m.mean == pytest.approx(mean, abs=1e-4)
    assert m.var == pytest.approx(var, abs=1e-4)


@pytest.mark.parametrize("mu,v", [(0.0, 1.0), (0.7, 2.5), (-1.2, 0.3)])
def test_relu_closed_form_any_gaussian(mu, v):
    s = math.sqrt(v)
    z = mu / s
    phi, Phi = math.exp(-z * z / 2) / math.sqrt(2 * math.pi), 0.5 * (1 + math.erf(z / math.sqrt(2)))
    mean = mu * Phi + s * phi
    second = (mu * mu + v) * Phi + mu * s * phi
    m = activation_moments(nn.ReLU(), mu, v)
    assert m.mean == pytest.approx(mean, abs=1e-7)
    assert m.second == pytest.approx(second, abs=1e-7)


def test_selu_is_self_normalizing():
    m = activation_moments(actlab.create_activation("selu"))
    assert m.mean == pytest.approx(0.0, abs=1e-4) and m.var == pytest.approx(1.0, abs=1e-3)


def test_trainable_parameters_are_used_and_cached_by_value():
    a = actlab.create_activation("pvlu")
    before = activation_moments(a)
    with torch.no_grad():
        a.alpha.fill_(0.0)  # PVLU(alpha=0) is ReLU
    after = activation_moments(a)
    assert after.var == pytest.approx(0.340845, abs=1e-5)
    assert before.var != pytest.approx(after.var, abs=1e-3)  # sin term: E[sin^2] > 0


def test_per_channel_parameters_are_pooled():
    a = actlab.create_activation("pvlu", shape="channel", num_channels=2)
    with torch.no_grad():
        a.alpha.copy_(torch.tensor([0.0, 0.4]))
    one = actlab.create_activation("pvlu", alpha=0.4)
    pooled, relu, other = activation_moments(a), activation_moments(nn.ReLU()), activation_moments(one)
    assert pooled.second == pytest.approx((relu.second + other.second) / 2, abs=1e-7)


def test_colu_far_tails_are_finite():
    m = activation_moments(actlab.create_activation("colu"), 0.0, 400.0)  # inputs up to +-240
    assert math.isfinite(m.mean) and math.isfinite(m.var)


def test_reducing_activation_by_monte_carlo():
    # AND_AIL(x, y) of N(0,1) pairs: mean -0.68104, std 0.97229 (seed_spec section 6)
    m = activation_moments(actlab.create_activation("and_ail"), seed=3)
    assert m.mean == pytest.approx(-0.6810370722, abs=5e-3)
    assert math.sqrt(m.var) == pytest.approx(0.9722877400, abs=5e-3)


def test_non_finite_activation_raises_helpfully():
    with pytest.raises(ValueError, match="overflow-safe"):
        activation_moments(lambda x: torch.exp(x * x), 0.0, 100.0)


# -------- the gain AutoInit gives the layer after an activation: Var(W) * fan_in = 1 / E[f(x)^2]
GAINS = [(nn.ReLU, 2.0), (nn.Identity, 1.0), (nn.SELU, 1.0), (nn.Tanh, 2.536175), (nn.Sigmoid, 3.408560)]


@pytest.mark.parametrize("act,gain", GAINS, ids=lambda v: getattr(v, "__name__", None))
def test_next_layer_gain(act, gain):
    model = nn.Sequential(nn.Linear(50, 400), act(), nn.Linear(400, 30))
    report = autoinit(model, input_shape=(50,), calibrate=False, center=False)  # the paper's rule
    second = report.layers[1]
    assert second.weight_var * fan_in(model[2]) == pytest.approx(gain, rel=2e-3)
    assert report.layers[0].weight_var * 50 == pytest.approx(1.0)
    # and the weights were really drawn with that variance
    assert float(model[2].weight.detach().var()) * 400 == pytest.approx(gain, rel=0.05)
