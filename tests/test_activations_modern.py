"""What each of today's activations claims (shared/spec/modern_activations.md), beyond the generated
conformance suite: parameterisations, the float16 range of the squared units, constants that make
one function another, the channel/window units' shapes and layouts, Nish's two readings, and
SIREN's initialisation.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import actlab
from actlab import create_activation
from actlab.activations import ActSite, Identity, activation_info, build_act
from actlab.activations.nish import NISH_H2_MIN
from actlab.activations.squared import STAR_RELU_BIAS, STAR_RELU_SCALE
from actlab.init import SCHEMES, activation_moments, autoinit, init_model
from actlab.train.config import INITS

from activation_refs.modern import REFS

MODERN = sorted(REFS)
ELEMENTWISE = [n for n in MODERN if activation_info(n).elementwise]
SQUARED_F16 = {"relu2": 255.0, "star_relu": 255.0, "xielu": 285.0}  # largest |x| whose output fits float16


def _grad(m: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.detach().clone().requires_grad_(True)
    y = m(x)
    (g,) = torch.autograd.grad(y.float().sum(), x)
    return y.detach(), g


# ------------------------------------------------------------------ registry rows
def test_every_modern_activation_is_registered_with_a_ref():
    expected = {"relu2", "quick_gelu", "xielu", "star_relu", "snake", "snake_beta", "squareplus", "serf", "smu",
                "sinlu", "softcap", "sine", "rbf", "hard_mish", "dyt", "acon_c", "meta_acon", "maxout", "frelu"}
    assert expected == set(REFS) and expected <= set(actlab.list_activations())
    assert all(activation_info(n).category == "modern" for n in expected)
    assert actlab.activations.canonical_activation_name("telu") == "tanhexp"  # an alias, not registered again


@pytest.mark.parametrize("name", MODERN)
def test_param_specs_match_the_module(name):
    kw = {"num_channels": 4} if name in ("frelu", "meta_acon") else {}
    info, m = activation_info(name), create_activation(name, **kw)
    assert [p.name for p in info.params] == list(m.param_values())
    for p in info.params:
        assert torch.allclose(m.value(p.name), torch.tensor(p.init), atol=1e-6)
        stored = getattr(m, p.name if isinstance(m._constraints[p.name], Identity) else f"{p.name}_raw")
        assert isinstance(stored, nn.Parameter) == p.trainable, p.name


@pytest.mark.parametrize("name,bad", [
    ("xielu", {"alpha_n": 0.4}), ("xielu", {"alpha_p": 0.0}), ("xielu", {"eps": 1e-3}), ("xielu", {"beta": -1.0}),
    ("star_relu", {"s": math.inf}), ("snake", {"alpha": 0.0}), ("snake_beta", {"beta": -1.0}),
    ("squareplus", {"b": 0.0}), ("smu", {"alpha": 1.0}), ("softcap", {"cap": 0.0}), ("sine", {"omega0": 0.0}),
    ("rbf", {"alpha": -1.0}), ("dyt", {"alpha": math.nan}), ("acon_c", {"p1": math.inf}),
    ("maxout", {"k": 1}), ("frelu", {"num_channels": 4, "kernel_size": 2}),
    ("frelu", {"num_channels": 4, "spatial_dims": 4}), ("meta_acon", {"num_channels": 4, "r": 0}),
    ("nish", {"form": "h3"}),
])
def test_invalid_hyperparameters_raise(name, bad):
    with pytest.raises((ValueError, TypeError)):
        create_activation(name, **bad)


# ------------------------------------------------------------------ numerics of the squared units
@pytest.mark.parametrize("name", sorted(SQUARED_F16))
def test_squared_units_bfloat16_whole_range_float16_documented_range(name):
    m = create_activation(name)
    wide = torch.cat([torch.linspace(-1e4, 1e4, 2001), torch.tensor([0.0, 1e-3, -1e-3, 255.0, -255.0])])
    y, g = _grad(m, wide.to(torch.bfloat16))
    assert y.dtype == torch.bfloat16 and torch.isfinite(y).all() and torch.isfinite(g).all()
    lim = SQUARED_F16[name]
    inside = torch.linspace(-lim, lim, 2001).to(torch.float16)
    y, g = _grad(m, inside)
    assert torch.isfinite(y).all() and torch.isfinite(g).all()
    assert torch.isinf(m(torch.tensor([lim + 20.0], dtype=torch.float16))).all()  # the documented overflow
    assert str(int(lim + 1)) in activation_info(name).notes  # ... and the notes state it
    for p in m.parameters():  # parameter gradients (sums of x^2) stay finite: computed in float32
        m.zero_grad()
        m(wide.to(torch.float16).clamp(-lim, lim)).float().sum().backward()
        assert p.grad is not None and torch.isfinite(p.grad).all()


def test_xielu_parameterisation_and_eps():
    m = create_activation("xielu").double()
    with torch.no_grad():
        m.alpha_n_raw.fill_(-10.0)  # far below any trained value
        m.alpha_p_raw.fill_(-10.0)
    assert m.value("alpha_n").item() > 0.5 and m.value("alpha_p").item() > 0  # alpha_n > beta, alpha_p > 0
    d = create_activation("xielu").double()
    y, g = _grad(d, torch.tensor([0.0, -5e-7, 1e-3], dtype=torch.float64))
    assert y[0].item() == pytest.approx(0.8 * math.expm1(-1e-6), abs=1e-15)
    assert g[0].item() == pytest.approx(0.5 - 0.8) and g[1].item() == pytest.approx(0.5 - 0.8)  # on (eps, 0]
    exact = create_activation("xielu", eps=0.0).double()
    y, g = _grad(exact, torch.tensor([0.0], dtype=torch.float64))
    assert y.item() == 0.0 and g.item() == pytest.approx(0.5)  # C1, f'(0) = beta
    x = torch.tensor([-1e4, -100.0], dtype=torch.float64)
    assert (d(x)[0] > d(x)[1]).item()  # the negative tail rises: slope beta - alpha_n < 0


def test_star_relu_unit_variance_constants_give_mean_zero_variance_one():
    assert STAR_RELU_SCALE == pytest.approx(0.894427, abs=1e-6) and STAR_RELU_BIAS == pytest.approx(-0.447214, abs=1e-6)
    mom = activation_moments(create_activation("star_relu", unit_variance=True))
    assert mom.mean == pytest.approx(0.0, abs=1e-6) and mom.var == pytest.approx(1.0, abs=1e-6)  # float32 s, b
    plain = activation_moments(create_activation("relu2"))
    assert (plain.mean, plain.var) == pytest.approx((0.5, 1.25), abs=1e-9)


# ------------------------------------------------------------------ constants that make one function another
def test_quick_gelu_is_swish_1702_and_no_gelu():
    x = torch.linspace(-8, 8, 1601, dtype=torch.float64)
    qg = create_activation("quick_gelu").double()(x)
    swish = create_activation("swish", beta=1.702).double()  # beta stored in float32: equal to ~1e-7
    torch.testing.assert_close(swish(x), qg, rtol=1e-6, atol=1e-8)
    for other in ("gelu", "gelu_tanh"):  # distinct functions, never interchangeable
        assert (create_activation(other).double()(x) - qg).abs().max() > 1e-2


def test_smu_large_mu_is_leaky_relu():
    x = torch.linspace(-5, 5, 1001)
    m = create_activation("smu", mu=1e6)
    torch.testing.assert_close(m(x), torch.where(x >= 0, x, 0.25 * x), atol=1e-5, rtol=0)


def test_snake_slope_and_per_channel_alpha():
    m = create_activation("snake", shape="channel", num_channels=3)
    with torch.no_grad():
        m.alpha_raw.copy_(torch.tensor([-1.0, 0.0, 2.0]))
    x = torch.randn(5, 3, 7, dtype=torch.float64)
    y, g = _grad(m.double(), x)
    a = m.value("alpha").detach().view(1, 3, 1)
    torch.testing.assert_close(g, 1 + torch.sin(2 * a * x))
    assert (g >= -1e-12).all()
    sb = create_activation("snake_beta", alpha=2.0, beta=2.0).double()
    torch.testing.assert_close(sb(x), create_activation("snake", alpha=2.0).double()(x))


def test_acon_c_limits():
    x = torch.linspace(-4, 4, 81, dtype=torch.float64)
    lin = create_activation("acon_c", p1=0.7, p2=0.7).double()
    torch.testing.assert_close(lin(x), 0.7 * x)  # p1 = p2: a line
    sharp = create_activation("acon_c", p1=1.0, p2=0.1, beta=1e4).double()
    torch.testing.assert_close(sharp(x), torch.maximum(x, 0.1 * x), atol=1e-3, rtol=0)  # beta -> inf: max


def test_dyt_alpha_is_one_scalar_gamma_beta_per_channel():
    m = create_activation("dyt", shape="channel", num_channels=6, channel_dim=-1)
    assert m.alpha.shape == () and m.gamma.shape == (6,) and m.beta.shape == (6,)
    with torch.no_grad():
        m.gamma.copy_(torch.arange(6.0))
    x = torch.randn(2, 5, 6)
    torch.testing.assert_close(m(x), torch.arange(6.0) * torch.tanh(0.5 * x))


def test_softcap_rbf_hard_mish_shapes():
    x = torch.tensor([-1e4, -1.0, 0.0, 1e-3, 1e4])
    assert create_activation("softcap")(x).abs().max() <= 30.0
    torch.testing.assert_close(create_activation("softcap", cap=15.0)(x)[3], torch.tensor(1e-3), rtol=1e-6, atol=0)
    assert create_activation("rbf")(torch.tensor(0.0)).item() == 1.0
    hm = create_activation("hard_mish")
    torch.testing.assert_close(hm(torch.tensor([-3.0, -1.0, 2.0])), torch.tensor([0.0, -0.5, 2.0]))


# ------------------------------------------------------------------ maxout, FReLU, Meta-ACON
def test_maxout_reduces_channel_groups():
    m = create_activation("maxout")
    assert m(torch.randn(3, 8, 5, 4)).shape == (3, 4, 5, 4)
    x = torch.tensor([[-2.0, 0.5, 7.0, 3.0, 1.0, 0.0]])
    torch.testing.assert_close(create_activation("maxout", k=3)(x), torch.tensor([[7.0, 3.0]]))
    seq = torch.tensor([[[1.0, 4.0, -1.0, -3.0]]])  # (B, T, C)
    torch.testing.assert_close(create_activation("maxout", channel_dim=-1)(seq), torch.tensor([[[4.0, -1.0]]]))
    with pytest.raises(ValueError, match=r"C=5.*k=2"):
        m(torch.randn(2, 5))
    x = torch.tensor([[2.0, 2.0]], requires_grad=True)
    m(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([[0.5, 0.5]]))  # a tie splits the gradient


def test_frelu_is_max_of_x_and_the_funnel_condition():
    m = create_activation("frelu", num_channels=3)
    assert m.conv.groups == 3 and m.conv.bias is None and m.conv.kernel_size == (3, 3)
    x = torch.randn(4, 3, 6, 5)
    t = m.bn(m.conv(x))
    torch.testing.assert_close(m(x), torch.maximum(x, t))
    assert (m(x) >= x).all()
    with pytest.raises(ValueError, match="expected a 4-d input"):
        m(torch.randn(4, 3))
    with pytest.raises(TypeError):
        create_activation("frelu")  # num_channels is required
    m1 = create_activation("frelu", num_channels=3, spatial_dims=1)
    m_last = create_activation("frelu", num_channels=3, spatial_dims=1, channel_dim=-1)
    m_last.load_state_dict(m1.state_dict())
    s = torch.randn(2, 3, 9)
    torch.testing.assert_close(m_last(s.transpose(1, 2)).transpose(1, 2), m1(s))
    m.eval()  # running statistics in eval mode: no batch dependence
    torch.testing.assert_close(m(x[:1]), m(x)[:1])


def test_builders_give_channel_modules_their_channel_count():
    m = build_act("frelu", ActSite("layer1.act", 0, num_channels=16))
    assert m.num_channels == 16 and m.conv.weight.shape == (16, 1, 3, 3)
    mm = build_act(("meta_acon", {"r": 4}), ActSite("b.act", 1, num_channels=8, channel_dim=-1))
    assert mm.channel_dim == -1 and mm.p1.shape == (8,) and mm.fc1.out_features == 4
    with pytest.raises(ValueError, match="pass num_channels"):
        build_act("frelu", ActSite("x", 0))


def test_meta_acon_beta_per_sample_and_constant_beta_is_acon_c():
    m = create_activation("meta_acon", num_channels=4).double()
    x = torch.randn(3, 4, 5, 5, dtype=torch.float64)
    beta = m.beta(x)
    assert beta.shape == (3, 4, 1, 1) and ((beta > 0) & (beta < 1)).all()
    assert not torch.allclose(beta[0], beta[1])
    with torch.no_grad():
        m.fc2.weight.zero_()
        m.fc2.bias.fill_(math.log(3.0))  # beta = sigmoid(ln 3) = 0.75 everywhere
        m.p1.copy_(torch.tensor([1.0, 0.5, 2.0, -1.0]))
    c = create_activation("acon_c", beta=0.75, shape="channel", num_channels=4).double()
    with torch.no_grad():
        c.p1.copy_(m.p1)
    torch.testing.assert_close(m(x), c(x))
    assert create_activation("meta_acon", num_channels=64).fc1.out_features == 16  # max(r, C // r)
    assert create_activation("meta_acon", num_channels=1024).fc1.out_features == 64


def test_autoinit_runs_through_channel_modules():
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), create_activation("frelu", num_channels=8),
        nn.Conv2d(8, 8, 3, padding=1), create_activation("meta_acon", num_channels=8),
        nn.Conv2d(8, 8, 1), create_activation("maxout"), nn.Flatten(), nn.Linear(4 * 6 * 6, 3),
    )
    report = autoinit(net, input_shape=(3, 6, 6), calibrate=False, center=False)  # the analytic rule
    drawn = [r for r in report.layers if r.method == "autoinit"]
    assert len(drawn) == 4 and all(math.isfinite(r.pred_var) for r in drawn)
    assert all(0.2 < r.meas_var < 5.0 for r in drawn)


# ------------------------------------------------------------------ Nish's two readings
def test_nish_forms():
    x = torch.tensor([-2.0, 0.5, 3.0], dtype=torch.float64)
    torch.testing.assert_close(create_activation("nish").double()(x), torch.tensor([-0.693055, 0.5, 3.0],
                               dtype=torch.float64), atol=1e-6, rtol=0)
    h2 = create_activation("nish", form="h2").double()
    torch.testing.assert_close(h2(x), torch.tensor([-0.346797, 0.5, 3.0], dtype=torch.float64), atol=1e-6, rtol=0)
    for form in ("h1", "h2"):  # both C1 at 0: one-sided slopes 1
        m = create_activation("nish", form=form).double()
        h = 1e-7
        left = (m(torch.tensor([0.0], dtype=torch.float64)) - m(torch.tensor([-h], dtype=torch.float64))) / h
        assert left.item() == pytest.approx(1.0, abs=1e-6)
    grid = torch.linspace(-30, 0, 300001, dtype=torch.float64)
    assert h2(grid).min().item() == pytest.approx(NISH_H2_MIN, abs=1e-9)
    assert "UNCONFIRMED" in activation_info("nish").notes and "h2" in activation_info("nish").notes
    assert "form='h2'" in repr(h2)


# ------------------------------------------------------------------ SIREN's initialisation
def test_siren_init_bounds_and_options():
    net = nn.Sequential(nn.Linear(2, 256), create_activation("sine"), nn.Linear(256, 256), create_activation("sine"),
                        nn.Linear(256, 1))
    bias = net[2].bias.detach().clone()
    init_model(net, "siren", generator=torch.Generator().manual_seed(0))
    assert net[0].weight.abs().max() <= 1 / 2 and net[0].weight.abs().max() > 0.45
    bound = math.sqrt(6 / 256) / 30
    for layer in (net[2], net[4]):
        assert layer.weight.abs().max() <= bound and layer.weight.abs().max() > 0.95 * bound
    assert torch.equal(net[2].bias, bias)  # biases keep their initialisation, as in the authors' code
    init_model(net, "siren", omega0=10.0, generator=torch.Generator().manual_seed(0))
    assert net[2].weight.abs().max() > 2 * bound
    with pytest.raises(ValueError, match="takes only"):
        init_model(net, "siren", gain=2.0)
    with pytest.raises(ValueError, match="takes only generator="):
        init_model(net, "kaiming", omega0=30.0)



def test_training_inits_are_the_init_schemes():
    assert set(INITS) == set(SCHEMES)
