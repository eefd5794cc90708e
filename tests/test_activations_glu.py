"""The gated linear units: layouts, gate order, the "<act>-glu" family, rows, half precision.

The generated conformance suite covers the registered units on its (N, 2) and (B, C, ...) inputs
with channels on dim 1; here: both split layouts and gate orders against torch's own GLU and
the plain ``act(a) * b``, the default dim -1, pluggable gates with per-channel parameters,
errors, and the row's f(0, 0) and diagonal slope.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import actlab
from actlab.activations import (
    ACTIVATIONS,
    activation_info,
    build_act,
    create_activation,
    list_activations,
    set_compile_kernels,
)
from actlab.activations._resolve import ActSite
from actlab.activations.glu import GatedUnit

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def _analytic_kernels():
    """The semantics, not the kernels (tests/test_glu_fused.py): once a test has compiled a fused
    kernel, impl="auto" would compile one per new dtype here."""
    prev = set_compile_kernels(False)
    yield
    set_compile_kernels(prev)

UNITS = ["glu", "bilinear", "reglu", "geglu", "geglu_tanh", "swiglu", "swiglu_oai"]
# the plain torch expression of each unit's gate (gate first unless stated)
GATES = {
    "bilinear": lambda a: a, "reglu": F.relu, "geglu": F.gelu, "geglu_tanh": lambda a: F.gelu(a, approximate="tanh"),
    "swiglu": F.silu, "sigmoid_glu": torch.sigmoid, "gcu_glu": lambda a: a * torch.cos(a),
}


def _split(x, split, dim, gate_first):
    if split == "concat":
        first, second = x.chunk(2, dim)
    else:
        d = dim % x.dim()
        first = x.index_select(d, torch.arange(0, x.shape[d], 2))
        second = x.index_select(d, torch.arange(1, x.shape[d], 2))
    return (first, second) if gate_first else (second, first)


def test_registered_units_and_rows():
    assert set(UNITS) <= set(list_activations())
    for name in UNITS:
        info = activation_info(name)
        assert info.arity == 2 and not info.elementwise and info.category == "gated"
        assert "C/2" in info.notes, "the row must say that the unit halves the channel dimension"
        assert info.paper is not None
    assert "pvlu_glu" not in list_activations()  # derived names are resolved, not listed


@pytest.mark.parametrize("split", ["concat", "interleave"])
@pytest.mark.parametrize("gate_first", [True, False])
@pytest.mark.parametrize("name", sorted(GATES))
def test_equals_act_a_times_b(name, split, gate_first):
    x = torch.randn(3, 4, 10, dtype=torch.float64)
    for dim in (-1, 1):
        m = create_activation(name, split=split, dim=dim, gate_first=gate_first).double()
        a, b = _split(x, split, dim, gate_first)
        torch.testing.assert_close(m(x), GATES[name](a) * b, rtol=1e-12, atol=1e-12)


def test_glu_is_torch_glu_and_gate_order_is_documented():
    x = torch.randn(5, 8, 6)
    torch.testing.assert_close(create_activation("glu")(x), F.glu(x, -1))
    torch.testing.assert_close(create_activation("glu", dim=1)(x), torch.nn.GLU(dim=1)(x))
    first, second = x.chunk(2, -1)
    # the family is gate-first; glu alone follows torch (gate second)
    torch.testing.assert_close(create_activation("sigmoid-glu")(x), torch.sigmoid(first) * second)
    torch.testing.assert_close(create_activation("glu", gate_first=True)(x), torch.sigmoid(first) * second)
    assert create_activation("glu").gate_first is False and create_activation("swiglu").gate_first is True
    assert create_activation("swiglu_oai").split == "interleave" and create_activation("swiglu").split == "concat"


def test_swiglu_oai_matches_gpt_oss_code():
    """transformers' GptOssExperts._apply_gate, written out."""
    x = torch.randn(4, 3, 16, dtype=torch.float64) * 6
    gate, up = x[..., ::2], x[..., 1::2]
    gate = gate.clamp(min=None, max=7.0)
    up = up.clamp(min=-7.0, max=7.0)
    expected = (up + 1) * (gate * torch.sigmoid(gate * 1.702))
    torch.testing.assert_close(create_activation("swiglu_oai").double()(x), expected, rtol=1e-12, atol=1e-12)
    m = create_activation("swiglu_oai", alpha=1.0, limit=3.0, split="concat").double()
    g, u = x.chunk(2, -1)
    torch.testing.assert_close(m(x), (u.clamp(-3, 3) + 1) * g.clamp(max=3) * torch.sigmoid(g.clamp(max=3)))


@pytest.mark.parametrize("spelling", ["pvlu-glu", "pvlu_glu", "PVLU-GLU"])
def test_family_names_resolve_in_the_registry(spelling):
    assert spelling in ACTIVATIONS
    assert actlab.activations.canonical_activation_name(spelling) == "pvlu_glu"
    cls = ACTIVATIONS.get(spelling)
    assert cls is ACTIVATIONS.get("pvlu_glu")  # made once
    info = activation_info(spelling)
    assert info.name == "pvlu_glu" and [p.name for p in info.params] == ["alpha", "beta"]
    assert info.arity == 2 and not info.elementwise


def test_named_units_equal_their_family_members():
    x = torch.randn(4, 3, 10, dtype=torch.float64)
    for family, name in [("silu-glu", "swiglu"), ("relu-glu", "reglu"), ("gelu-glu", "geglu"),
                         ("gelu_tanh-glu", "geglu_tanh"), ("identity-glu", "bilinear")]:
        for split in ("concat", "interleave"):
            a = create_activation(family, split=split).double()
            b = create_activation(name, split=split).double()
            torch.testing.assert_close(a(x), b(x), rtol=0, atol=0)


def test_family_errors_are_helpful():
    with pytest.raises(ValueError, match="reduces 2 channels"):
        create_activation("and_il-glu")
    with pytest.raises(ValueError, match="reduces 2 channels"):
        create_activation("swiglu-glu")
    with pytest.raises(ValueError, match=r"unknown activation 'pvluu_glu'.*did you mean 'pvlu'"):
        create_activation("pvluu-glu")
    assert "pvluu-glu" not in ACTIVATIONS
    with pytest.raises(ValueError, match="is odd"):
        create_activation("swiglu")(torch.randn(2, 5))
    with pytest.raises(ValueError, match="must be even"):
        create_activation("pvlu-glu", shape="channel", num_channels=5)
    with pytest.raises(ValueError, match="split must be one of"):
        create_activation("swiglu", split="halves")
    with pytest.raises(ValueError, match="name the same dimension"):
        create_activation("swiglu", dim=-1, channel_dim=1)
    with pytest.raises(ValueError, match="gate_params may not set"):
        create_activation("swish-glu", gate_params={"shape": "channel"})
    with pytest.raises(TypeError, match="has no gate"):
        actlab.activations.glu.GatedLinearUnit()


def test_gate_parameters_are_per_gate_channel_and_trainable():
    c = 6
    m = create_activation("pvlu-glu", shape="channel", num_channels=2 * c)
    assert m.gate.alpha.shape == (c,) and m.gate.channel_dim == -1
    with torch.no_grad():
        m.gate.alpha.copy_(torch.linspace(-1, 1, c))
    x = torch.randn(4, 3, 2 * c, requires_grad=True)
    y = m(x)
    assert y.shape == (4, 3, c)
    a, b = x.chunk(2, -1)
    gate = create_activation("pvlu", shape="channel", num_channels=c, channel_dim=-1)
    gate.load_state_dict({k.removeprefix("gate."): v for k, v in m.state_dict().items()})
    torch.testing.assert_close(y, gate(a) * b)
    y.sum().backward()
    assert m.gate.alpha.grad is not None and m.gate.alpha.grad.abs().sum() > 0
    assert set(m.param_values()) == {"alpha", "beta"}
    # gate parameters reach the gate: swish's beta
    sw = create_activation("swish-glu", gate_params={"beta": 2.0}).double()
    z = torch.randn(3, 8, dtype=torch.float64)
    za, zb = z.chunk(2, -1)
    torch.testing.assert_close(sw(z), za * torch.sigmoid(2.0 * za) * zb)


def test_build_act_gives_the_site_channel_count_and_dim():
    site = ActSite("mlp.act", 0, num_channels=16, channel_dim=-1)
    m = build_act(("gcu-glu", {}), site)
    assert isinstance(m, GatedUnit) and m.dim == -1
    m = build_act(("pvlu-glu", {"shape": "channel"}), site)
    assert m.gate.alpha.shape == (8,) and m.dim == -1
    conv = build_act(("pvlu-glu", {"shape": "channel"}), ActSite("c", 0, num_channels=16, channel_dim=1))
    assert conv.dim == 1 and conv(torch.randn(2, 16, 3, 3)).shape == (2, 8, 3, 3)


@pytest.mark.parametrize("name", UNITS + ["pvlu_glu", "gcu_glu"])
def test_row_value_and_diagonal_slope_at_zero(name):
    """f0 = f(0, 0); df0 = d/dt f(t, t) at t = 0 (the convention of the logical units)."""
    info = activation_info(name)
    m = create_activation(name).double()
    t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    y = m(torch.stack([t, t]).view(1, 2))
    assert y.item() == pytest.approx(info.f0, abs=1e-12)
    (d,) = torch.autograd.grad(y.sum(), t)
    assert d.item() == pytest.approx(info.df0, abs=1e-9)


def test_swiglu_oai_range_is_tight():
    info = activation_info("swiglu_oai")
    lo, hi = info.output_range
    m = create_activation("swiglu_oai").double()
    y = m(torch.tensor([[100.0, 100.0], [100.0, -100.0]], dtype=torch.float64)).view(-1)
    assert y[0].item() == pytest.approx(hi, abs=1e-12) and y[1].item() == pytest.approx(lo, abs=1e-12)


@pytest.mark.parametrize("name", UNITS)
def test_half_precision_finite_where_representable(name):
    """bfloat16 on [-1e4, 1e4]; float16 where |act(a) b| <= 65504: |a|, |b| <= 250."""
    g = torch.Generator().manual_seed(0)
    for dtype, bound in ((torch.bfloat16, 1e4), (torch.float16, 250.0)):
        u = torch.rand(512, 2, generator=g, dtype=torch.float64) * 2 - 1
        edges = torch.tensor([[1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [0.0, 1.0]], dtype=torch.float64)
        x = (torch.cat([u, edges]) * bound).to(dtype).requires_grad_(True)
        y = create_activation(name)(x)
        assert y.dtype == dtype and torch.isfinite(y).all(), (dtype, x[~torch.isfinite(y).view(-1)][:3])
        y.backward(torch.ones_like(y))
        assert torch.isfinite(x.grad).all()
        ref = create_activation(name).double()(x.detach().double())
        torch.testing.assert_close(y.double(), ref, rtol=1e-2, atol=1e-2 * max(1.0, ref.abs().max().item()))


def test_float16_overflow_of_products_is_what_the_refs_document():
    y = create_activation("bilinear")(torch.tensor([[300.0, 300.0]], dtype=torch.float16))
    assert math.isinf(y.item())  # 9e4 > 65504: the documented float16 limit of unbounded products
