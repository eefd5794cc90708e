"""Paper-specific tests of the seed-paper activations (spec §2-§6, §8-§10 and its test table rows 2-10).

The generated conformance suite checks every activation generically; these tests check what
each paper claims: reference tables, XOR with one neuron, peaks, bounds, singularities,
reductions and constraints. The logical activations are in test_activations_logical.py.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import actlab
from actlab import create_activation
from actlab.activations import Identity, ParamSpec, activation_info, laaf_global, slope_recovery

from activation_refs.seeds import REFS

SEED_NAMES = sorted(REFS)
LOGICAL = [f"{op}_{kind}" for op in ("and", "or", "xnor") for kind in ("il", "ail", "nail")]
ELEMENTWISE = [n for n in SEED_NAMES if n not in LOGICAL]
PI = math.pi


def _f64(*xs: float, grad: bool = False) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64, requires_grad=grad)


def _grad(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(module(x).sum(), x)
    return g


# ------------------------------------------------------------------ spec reference tables
@pytest.mark.parametrize(
    "name,params,xs,ys",
    [(n, p, xs, ys) for n in SEED_NAMES for p, xs, ys in REFS[n].points],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_spec_reference_values(name, params, xs, ys):
    m = create_activation(name, **params).double()
    x = torch.tensor(xs, dtype=torch.float64)
    out = m(x[None] if REFS[name].k > 1 else x).detach().reshape(-1)
    torch.testing.assert_close(out, torch.tensor(ys, dtype=torch.float64), atol=1e-6, rtol=0)


def test_every_seed_activation_is_registered_with_a_ref():
    expected = {"nish", "ada", "leaky_ada", "colu", "fplus", "pfplus", "adaptive_sigmoid", "adaptive_tanh",
                "adaptive_relu", "adaptive_relu_max", "gcu", "squ", "ncu", "ssu", "dsu", "laaf", "rowdy", *LOGICAL}
    assert expected <= set(actlab.list_activations())
    assert expected == set(REFS)
    assert all(activation_info(n).category == "seed" for n in expected)


@pytest.mark.parametrize("name", SEED_NAMES)
def test_param_specs_match_the_module(name):
    """The property row's parameters are the module's: names, order, initial values, trainability."""
    info, m = activation_info(name), create_activation(name)
    assert all(isinstance(p, ParamSpec) for p in info.params)
    assert [p.name for p in info.params] == list(m.param_values())
    for p in info.params:
        assert m.value(p.name).item() == pytest.approx(p.init, abs=1e-6)
        stored = getattr(m, p.name if isinstance(m._constraints[p.name], Identity) else f"{p.name}_raw")
        assert isinstance(stored, nn.Parameter) == p.trainable, p.name


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_finite_value_and_grad_float32_wide_range(name):
    m = create_activation(name)
    x = torch.cat([torch.linspace(-1e4, 1e4, 4001), torch.tensor([0.0, PI, -PI, 88.8, -88.8, 1e4, -1e4])])
    x.requires_grad_(True)
    y = m(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.isfinite(y).all() and torch.isfinite(g).all()


# ------------------------------------------------------------------ XOR with a single neuron
# s = x1 + x2 in {0, 1, 2}; XOR is true iff s = 1; (name, z = a*s + b, outputs, threshold)
XOR_TABLE = [
    ("ada", (1.0, 0.0), {"alpha": 1.0}, (0.0, 0.367879, 0.270671), 0.32),
    ("gcu", (1.0, 0.0), {}, (0.0, 0.540302, -0.832294), 0.27),
    ("squ", (2.0, -2.5), {}, (3.75, -0.25, 3.75), 1.0),
    ("ncu", (0.5, 0.0), {}, (0.0, 0.375, 0.0), 0.2),
    ("ssu", (4.0, 0.0), {}, (0.0, 2.769740, -0.639749), 1.0),
    ("dsu", (3.0, 0.0), {}, (0.0, 1.601646, 0.105537), 0.8),
]


@pytest.mark.parametrize("name,affine,params,outs,thr", XOR_TABLE, ids=[r[0] for r in XOR_TABLE])
def test_xor_single_neuron_hand_set(name, affine, params, outs, thr):
    pts = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float64)
    xor = torch.tensor([False, True, True, False])
    a, b = affine
    y = create_activation(name, **params).double()(a * pts.sum(1) + b).detach()
    s = pts.sum(1).long()
    torch.testing.assert_close(y, torch.tensor(outs, dtype=torch.float64)[s], atol=1e-6, rtol=0)
    above = y > thr
    assert torch.equal(above, xor) or torch.equal(~above, xor)


def _train_xor_neuron(name: str, seed: int, steps: int = 300) -> bool:
    """Trains act(w.x + b) with a scalar affine readout on the 4 XOR points; True once all are right."""
    pts = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
    target = torch.tensor([0.0, 1.0, 1.0, 0.0])
    g = torch.Generator().manual_seed(seed)
    w, b = torch.randn(2, generator=g).requires_grad_(True), torch.randn((), generator=g).requires_grad_(True)
    v, c = torch.ones((), requires_grad=True), torch.zeros((), requires_grad=True)
    act = create_activation(name)
    opt = torch.optim.Adam([w, b, v, c, *act.parameters()], lr=0.05)
    for step in range(steps):
        logit = v * act(pts @ w + b) + c
        if step % 25 == 0 and torch.equal((logit.detach() > 0).float(), target):
            return True
        opt.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(logit, target).backward()
        opt.step()
    return False


@pytest.mark.parametrize("name", ["ada", "gcu", "squ", "ncu", "ssu", "dsu"])
def test_xor_single_neuron_learns(name):
    """The papers' claim: one neuron with this activation reaches 100 % on XOR (seeded restarts)."""
    assert any(_train_xor_neuron(name, seed) for seed in range(5)), f"{name}: no seed reached 100 % on XOR"


# ------------------------------------------------------------------ ADA / Leaky ADA
@pytest.mark.parametrize("alpha,beta", [(0.5, 0.0), (1.0, 0.0), (0.3, 1.0), (2.0, 0.5)])
def test_ada_peak_at_one_over_alpha(alpha, beta):
    m = create_activation("ada", alpha=alpha, beta=beta, trainable_beta=True).double()
    peak = _f64(1 / alpha)
    assert m(peak).item() == pytest.approx(math.exp(beta - 1) / alpha, rel=1e-7)
    assert abs(_grad(m, peak).item()) < 1e-6
    grid = torch.linspace(-5, 20 / alpha, 20001, dtype=torch.float64)
    assert m(grid).max().item() <= math.exp(beta - 1) / alpha * (1 + 1e-9)


def test_ada_alpha_positive_by_reparameterization_and_finite():
    m = create_activation("ada")
    assert isinstance(m.alpha_raw, nn.Parameter) and not isinstance(m.beta, nn.Parameter)
    with torch.no_grad():
        m.alpha_raw.fill_(-50.0)
    assert m.value("alpha").item() > 0
    x = torch.tensor([-1e4, -1.0, 1.0, 1e4], requires_grad=True)
    y = m(x)
    y.sum().backward()
    assert torch.isfinite(y).all() and torch.isfinite(x.grad).all()
    with pytest.raises(ValueError, match="constraint"):
        create_activation("ada", alpha=-0.5)


def test_leaky_ada_negative_side_and_alpha_gradient():
    m = create_activation("leaky_ada").double()
    assert m(_f64(-2.0)).item() == pytest.approx(-0.02, abs=1e-12)
    assert _grad(m, _f64(-3.0)).item() == pytest.approx(0.01)
    m(_f64(0.5, 3.0)).sum().backward()
    assert m.alpha_raw.grad is not None and m.alpha_raw.grad.abs().item() > 0


# ------------------------------------------------------------------ CoLU
def test_colu_denominator_lower_bound():
    x = torch.linspace(1e-3, 5, 200001, dtype=torch.float64)
    denom = x / create_activation("colu").double()(x)  # = 1 - x e^{-(x + e^x)}
    i = denom.argmin()
    assert denom.min().item() == pytest.approx(0.939681, abs=1e-6)
    assert x[i].item() == pytest.approx(0.401057, abs=1e-4)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_colu_finite_where_naive_formula_nans(dtype):
    x = torch.tensor([-1e4, -100.0, -12.0, -11.5, 0.0, 11.5, 12.0, 100.0, 1e4], dtype=dtype, requires_grad=True)
    y = create_activation("colu")(x)
    (g,) = torch.autograd.grad(y.float().sum(), x)
    assert y.dtype == dtype and torch.isfinite(y).all() and torch.isfinite(g).all()
    big = x.detach() >= 12
    torch.testing.assert_close(y.detach()[big], x.detach()[big])  # CoLU(x) = x for large x
    torch.testing.assert_close(g[big], torch.ones_like(g[big]))
    assert (y.detach()[x.detach() <= -12].abs() < 1e-4).all()  # collapses to 0 for very negative x


def test_colu_derivative_matches_spec():
    g = _grad(create_activation("colu").double(), _f64(-2.0, 0.5, 3.0, 0.0))
    torch.testing.assert_close(g, _f64(-0.146359, 1.040597, 1.0, 1.0), atol=1e-6, rtol=0)


# ------------------------------------------------------------------ SSU / DSU singularities
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name,x0,value,slope", [
    ("ssu", PI, PI, 0.0), ("ssu", 0.0, 0.0, 1.0),
    ("dsu", PI, PI / 2, -0.25), ("dsu", -PI, -PI / 2, -0.25), ("dsu", 0.0, 0.0, 1.0),
])
def test_oscillating_removable_singularities(name, x0, value, slope, dtype):
    m = create_activation(name)
    x = torch.tensor([x0], dtype=dtype, requires_grad=True)
    y = m(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.isfinite(y).all() and torch.isfinite(g).all()
    tol = 1e-12 if dtype == torch.float64 else 1e-5 if dtype == torch.float32 else 2e-2
    assert y.item() == pytest.approx(value, abs=tol * 4)
    assert g.item() == pytest.approx(slope, abs=tol * 4)


@pytest.mark.parametrize("name", ["ssu", "dsu"])
def test_oscillating_gradcheck_across_taylor_branch(name):
    m = create_activation(name)
    pts = [PI + d for d in (-0.15, -0.1, -0.05, -1e-7, 0.0, 1e-7, 0.05, 0.1, 0.15)]
    x = torch.tensor(pts + [-p for p in pts], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(m, (x,))


def test_ssu_uses_unnormalised_sinc():
    m = create_activation("ssu").double()
    assert m(_f64(0.0)).item() == 0.0  # normalised sinc would give -0.136969
    assert _grad(m, _f64(0.0)).item() == pytest.approx(1.0)


# ------------------------------------------------------------------ FPLUS / PFPLUS
@pytest.mark.parametrize("name", ["fplus", "pfplus"])
def test_fplus_c1_at_zero(name):
    m = create_activation(name).double()
    for x0 in (-1e-9, 0.0, 1e-9):
        assert _grad(m, _f64(x0)).item() == pytest.approx(1.0, abs=1e-8)
    assert m(_f64(-1e6)).item() == pytest.approx(-1.0, abs=1e-5)


def test_pfplus_mu_stays_positive_no_pole():
    m = create_activation("pfplus")
    assert isinstance(m.mu_raw, nn.Parameter) and isinstance(m.lam, nn.Parameter)
    opt = torch.optim.SGD(m.parameters(), lr=100.0)
    x = torch.linspace(-50, 0, 101)
    for _ in range(5):  # drive mu down as hard as possible
        opt.zero_grad()
        m.value("mu").backward()  # gradient descent on mu itself
        opt.step()
    assert m.value("mu").item() > 0
    y = m(x)
    assert torch.isfinite(y).all() and (y <= 0).all()
    for bad in (0.0, -0.1):
        with pytest.raises(ValueError, match="constraint"):
            create_activation("pfplus", mu=bad)


# ------------------------------------------------------------------ Hu et al. adaptive
@pytest.mark.parametrize("name,base", [
    ("adaptive_sigmoid", torch.sigmoid), ("adaptive_tanh", torch.tanh), ("adaptive_relu", torch.relu),
    ("adaptive_relu_max", lambda x: x),
])
def test_hu_adaptive_at_init(name, base):
    x = torch.linspace(-6, 6, 1001, dtype=torch.float64)
    m = create_activation(name).double()
    torch.testing.assert_close(m(x), base(x), atol=0, rtol=0)
    assert all(p.dim() == 0 for p in m.parameters())  # one scalar set per layer


def test_adaptive_relu_max_with_b_zero_is_relu():
    x = torch.linspace(-6, 6, 1001)
    torch.testing.assert_close(create_activation("adaptive_relu_max", b=0.0)(x), torch.relu(x))


# ------------------------------------------------------------------ warm starts
@pytest.mark.parametrize(
    "name,base,values",
    [(n, b, v) for n in SEED_NAMES for b, v in activation_info(n).warm_start.items()],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_warm_start_reproduces_base(name, base, values):
    """Filling the row's values into a fresh module (as surgery does) gives the base exactly."""
    m = create_activation(name).double()
    with torch.no_grad():
        for pname, value in values.items():
            c = m._constraints[pname]
            raw = getattr(m, pname if isinstance(c, Identity) else f"{pname}_raw")
            raw.fill_(c.to_raw(value))
    x = torch.linspace(-6, 6, 1201, dtype=torch.float64)
    torch.testing.assert_close(m(x), create_activation(base).double()(x), atol=1e-7, rtol=1e-7)


# ------------------------------------------------------------------ LAAF / Rowdy
@pytest.mark.parametrize("base", ["tanh", "relu", "silu", "sigmoid", "gcu"])
def test_laaf_n_times_a_one_equals_base(base):
    x = torch.linspace(-4, 4, 801, dtype=torch.float64)
    for n in (1.0, 5.0, 10.0):
        m = create_activation("laaf", base=base, n=n).double()
        assert m.value("a").item() == pytest.approx(1 / n, rel=1e-6)
        torch.testing.assert_close(m(x), create_activation(base).double()(x), atol=1e-6, rtol=1e-6)


def test_laaf_layer_vs_neuron_parameter_shapes():
    assert create_activation("laaf").a.shape == ()
    m = create_activation("laaf", mode="neuron", num_channels=6)
    assert m.a.shape == (6,) and m.shape == "channel"
    assert create_activation("laaf", shape="channel", num_channels=6).a.shape == (6,)
    y = m(torch.randn(2, 6, 3))
    y.sum().backward()
    assert m.a.grad.shape == (6,)
    with pytest.raises(ValueError, match="mode"):
        create_activation("laaf", mode="global")
    with pytest.raises(ValueError, match="unknown activation"):
        create_activation("laaf", base="tanhh")


def test_laaf_global_shares_one_parameter_across_sites():
    act = laaf_global("tanh", n=10)
    model = nn.Sequential(nn.Linear(3, 4), act(), nn.Linear(4, 4), act(), nn.Linear(4, 1))
    shared = [p for p in model.parameters() if p.dim() == 0]
    assert len(shared) == 1 and shared[0] is act.a
    model(torch.randn(5, 3)).sum().backward()
    assert act.a.grad is not None and act.a.grad.item() != 0
    site = actlab.build_act(act, actlab.ActSite("x", 0))
    assert site.a is act.a


def test_slope_recovery_paper_vs_script():
    model = nn.Sequential(*[m for _ in range(4) for m in (nn.Linear(3, 3), create_activation("laaf"))])
    assert slope_recovery(model, "paper").item() == pytest.approx(0.904837, abs=1e-6)
    assert slope_recovery(model, "script").item() == pytest.approx(0.226209, abs=1e-6)
    slope_recovery(model).backward()
    assert all(m.a.grad is not None and m.a.grad.item() < 0 for m in model if hasattr(m, "a"))
    neuron = nn.Sequential(create_activation("laaf", mode="neuron", num_channels=5))
    assert slope_recovery(neuron).item() == pytest.approx(math.exp(-0.1), abs=1e-6)
    with pytest.raises(ValueError, match="no laaf/rowdy"):
        slope_recovery(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="form"):
        slope_recovery(model, "mean")


def test_rowdy_equals_base_at_init_and_amplitudes_get_gradients():
    x = torch.linspace(-3, 3, 301, dtype=torch.float64)
    for base in ("tanh", "relu", "gcu"):
        m = create_activation("rowdy", base=base).double()
        torch.testing.assert_close(m(x), create_activation(base).double()(x), atol=1e-6, rtol=1e-6)
    m = create_activation("rowdy").double()
    m(x).sum().backward()
    n = m.n
    for j in range(1, 10):
        c_grad = getattr(m, f"c{j}").grad
        expected = (n * torch.sin(j * x)).sum()  # d/dc_j = n sin(j n f_j x) with n f_j = 1
        assert c_grad.item() == pytest.approx(expected.item(), rel=1e-6, abs=1e-9)
    assert len([p for p in m.parameters()]) == 1 + 2 * 9
    assert slope_recovery(nn.Sequential(m)).item() == pytest.approx(math.exp(-0.1), abs=1e-6)
