"""The torch.nn activations registered by activations/shrink.py: what the generated conformance
suite cannot see (RReLU's training mode, hyperparameter validation, the fused path's modes).
Their values, properties and gradients are in tests/test_activations_conformance.py, their
equality with the torch modules in tests/test_torch_table.py."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actlab.activations import activation_info, create_activation, has_fused, set_compile_kernels

NEW = ("logsigmoid", "softshrink", "hardshrink", "tanhshrink", "threshold", "rrelu")


@pytest.fixture
def eager_kernels():
    """The fused path's forward and vector-Jacobian product as plain ops (no compiler needed)."""
    prev = set_compile_kernels(False)
    yield
    set_compile_kernels(prev)


@pytest.mark.parametrize("name", NEW)
def test_rows_are_registered(name):
    info = activation_info(name)
    assert info.elementwise and info.formula and info.latex
    assert create_activation(name).info is info


@pytest.mark.parametrize(
    "name, bad, match",
    [
        ("softshrink", {"lambd": -0.1}, "lambd >= 0"),
        ("hardshrink", {"lambd": float("nan")}, "lambd >= 0"),
        ("threshold", {"threshold": float("inf")}, "finite threshold"),
        ("threshold", {"fill": float("nan")}, "finite fill"),
        ("rrelu", {"lower": -0.1}, "0 <= lower <= upper"),
        ("rrelu", {"lower": 0.4, "upper": 0.3}, "0 <= lower <= upper"),
    ],
)
def test_hyperparameters_are_validated(name, bad, match):
    with pytest.raises(ValueError, match=match):
        create_activation(name, **bad)


@pytest.mark.parametrize("name, value", [("softshrink", 0.2), ("hardshrink", 0.2), ("threshold", 0.2), ("rrelu", 0.2)])
def test_hyperparameters_are_keyword_only(name, value):
    cls = type(create_activation(name))
    with pytest.raises(TypeError):
        cls(value)


def test_threshold_calls_torchs_value_fill():
    m = create_activation("threshold", threshold=0.1, fill=20.0)
    x = torch.tensor([-1.0, 0.1, 0.2])
    torch.testing.assert_close(m(x), nn.Threshold(0.1, 20.0)(x))
    with pytest.raises(ValueError, match="fill"):
        create_activation("threshold", value=20.0)  # torch's name is refused, with the valid ones


# ------------------------------------------------------------------------------ RReLU's two modes
def test_rrelu_training_draws_slopes_in_range_and_matches_nn_rrelu():
    m = create_activation("rrelu", lower=0.1, upper=0.3)
    assert m.training
    x = -torch.rand(20_000) - 0.5
    x.requires_grad_(True)
    torch.manual_seed(7)
    y = m(x)
    slopes = y.detach() / x.detach()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.05
    y.sum().backward()
    torch.testing.assert_close(x.grad, slopes)  # the gradient is the drawn slope
    torch.manual_seed(7)
    torch.testing.assert_close(y, nn.RReLU(0.1, 0.3)(x.detach()), rtol=0, atol=0)
    pos = torch.rand(100)
    assert torch.equal(m(pos), pos)


def test_rrelu_eval_is_the_mean_slope_and_half_training_works():
    m = create_activation("rrelu", lower=0.1, upper=0.3).eval()
    x = torch.tensor([-2.0, 0.0, 3.0])
    torch.testing.assert_close(m(x), torch.tensor([-0.4, 0.0, 3.0]))
    assert torch.equal(m(x), m(x))
    m.train()
    for dtype in (torch.float16, torch.bfloat16):  # native CPU kernel lacks float16: computed in float32
        y = m(x.to(dtype))
        assert y.dtype == dtype and torch.isfinite(y).all()


def test_rrelu_fused_path_exists_in_eval_only(eager_kernels):
    m = create_activation("rrelu", impl="fused")
    x = torch.randn(64, requires_grad=True)
    assert not has_fused(m)  # training mode: a random op, no formula
    with pytest.raises(ValueError, match="no fused path"):
        m(x)
    m.eval()
    assert has_fused(m)
    y = m(x)
    torch.testing.assert_close(y, nn.functional.rrelu(x, m.lower, m.upper, training=False))
    y.sum().backward()
    assert x.grad is not None
    create_activation("rrelu", impl="eager")(x)  # eager training mode runs the native op


@pytest.mark.parametrize("name", [n for n in NEW if n != "rrelu"])
def test_fused_path_equals_eager(name, eager_kernels):
    params = {"threshold": {"threshold": 0.25, "fill": -0.5}}.get(name, {})
    fused, eager = create_activation(name, impl="fused", **params), create_activation(name, impl="eager", **params)
    x1 = (4 * torch.randn(257)).requires_grad_(True)
    x2 = x1.detach().clone().requires_grad_(True)
    y1, y2 = fused(x1), eager(x2)
    torch.testing.assert_close(y1, y2)
    y1.sum().backward()
    y2.sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad)
