"""The logical activations (AND/OR/XNOR x IL/AIL/NAIL, spec section 6): channel reduction, the
probability definitions for k inputs, clamping, and the NAIL normalising constants."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from actlab import create_activation
from actlab.activations import activation_info
from actlab.activations.logical import nail_constants

LOGICAL = [f"{op}_{kind}" for op in ("and", "or", "xnor") for kind in ("il", "ail", "nail")]
PI = math.pi


@pytest.mark.parametrize("name", LOGICAL)
def test_logical_channel_reduction_and_divisibility(name):
    m = create_activation(name)
    assert m(torch.randn(3, 8, 5, 4)).shape == (3, 4, 5, 4)
    assert create_activation(name, k=4)(torch.randn(2, 8)).shape == (2, 2)
    assert create_activation(name, channel_dim=-1)(torch.randn(2, 7, 6)).shape == (2, 7, 3)
    with pytest.raises(ValueError, match=r"C=5.*k=2"):
        m(torch.randn(2, 5, 3))
    with pytest.raises(ValueError, match=r"C=8.*k=3"):
        create_activation(name, k=3)(torch.randn(2, 8))
    assert activation_info(name).elementwise is False and activation_info(name).arity == 2


def test_logical_groups_are_consecutive_channels():
    x = torch.tensor([[-2.0, 0.5, 0.5, 3.0]])
    torch.testing.assert_close(create_activation("and_ail")(x), torch.tensor([[-2.0, 0.5]]))
    xl = torch.tensor([[[-2.0, 0.5, 0.5, 3.0]]])  # (B, T, C) with channel_dim=-1
    torch.testing.assert_close(create_activation("or_ail", channel_dim=-1)(xl), torch.tensor([[[0.5, 3.5]]]))


def _parity_even_prob(p: np.ndarray) -> np.ndarray:
    """P(an even number of independent events happens), by enumerating all 2^k outcomes."""
    total = np.zeros(p.shape[:-1])
    for bits in itertools.product((0, 1), repeat=p.shape[-1]):
        if sum(bits) % 2 == 0:
            total = total + np.prod([p[..., i] if b else 1 - p[..., i] for i, b in enumerate(bits)], axis=0)
    return total


@pytest.mark.parametrize("k", [2, 3, 4])
def test_il_k_ary_matches_probability_definitions(k):
    z = np.random.default_rng(k).normal(scale=2.0, size=(64, k))
    p = 1 / (1 + np.exp(-z))
    x = torch.tensor(z.reshape(64, k))
    lg = lambda q: np.log(q / (1 - q))  # noqa: E731
    for name, expected in [
        ("and_il", lg(p.prod(-1))),
        ("or_il", lg(1 - (1 - p).prod(-1))),
        ("xnor_il", lg(_parity_even_prob(p))),
    ]:
        out = create_activation(name, k=k)(x).reshape(-1).numpy()
        np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("name", ["and_il", "or_il", "xnor_il"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_il_clamped_finite_at_extremes(name, dtype):
    x = torch.tensor([[1e4, 1e4, -1e4, -1e4, 1e4, -1e4, 0.0, 0.0]], dtype=dtype, requires_grad=True)
    y = create_activation(name)(x)
    (g,) = torch.autograd.grad(y.float().sum(), x)
    assert torch.isfinite(y).all() and torch.isfinite(g).all()
    assert y.float().abs().max().item() <= math.log((1 - 1e-7) / 1e-7) * (1 + 1e-2)


def test_nail_constants_k2_are_the_analytic_ones():
    mean, std, xstd = nail_constants(2)
    assert mean == pytest.approx(-(1 / math.sqrt(2 * PI) + 1 / (2 * math.sqrt(PI))), abs=1e-10)
    assert std == pytest.approx(math.sqrt(5 / 4 - 1 / (math.sqrt(2) * PI) - 1 / (4 * PI)), abs=1e-10)
    assert xstd == pytest.approx(math.sqrt(1 - 2 / PI), abs=1e-10)


@pytest.mark.parametrize("k,mean,std,xstd", [
    (3, -1.15497, 1.0701, 0.4391), (4, -1.5794, 1.1929, 0.3474), (8, -3.191, 1.6524, 0.1918),
])
def test_nail_constants_agree_with_authors_monte_carlo(k, mean, std, xstd):
    got = nail_constants(k)
    np.testing.assert_allclose(got, (mean, std, xstd), rtol=2e-3)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("op", ["and", "or", "xnor"])
def test_nail_standardises_gaussian_inputs(op, k):
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(200_000, k, generator=g, dtype=torch.float64)
    y = create_activation(f"{op}_nail", k=k)(x)
    assert abs(y.mean().item()) < 0.01
    assert abs(y.std().item() - 1) < 0.01


def test_xnor_ail_sign_is_constant_in_backprop():
    x = torch.tensor([[-2.0, 0.5], [3.0, -1.0], [2.0, 4.0]], requires_grad=True)
    create_activation("xnor_ail")(x).sum().backward()
    # d/dx of s * min(|x|, |y|) with s held constant: s * sign(x_argmin) at the argmin, 0 elsewhere
    torch.testing.assert_close(x.grad, torch.tensor([[0.0, -1.0], [0.0, 1.0], [1.0, 0.0]]))
