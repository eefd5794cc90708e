"""Conformance suite generated from the activation registry: every registered activation is tested.

Each activation needs an independent float64 numpy reference in ``tests/activation_refs`` (see
``activation_refs/__init__.py`` for the format). Properties declared in its ``ActivationInfo`` row
are checked numerically on dense grids, in both directions (an understated claim fails too).
Reducing activations (``Ref.k > 1``: logical units, maxout) get ``(N, k)`` channel groups;
activations with a spatial window (``Ref.spatial``: FReLU) get ``(N, C, H, W)`` inputs; those with
learned layers of their own (``Ref.state``) are compared with a reference that reads their weights.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch.func import functional_call

from actlab.activations import activation_class, activation_info, create_activation, list_activations

from activation_refs import REFS, Ref

NAMES = list_activations()
F64 = torch.float64
# torch.compile in the default run: one classic gate, one constrained trainable, one rational.
COMPILE_DEFAULT = ("mish", "srs", "pau")
HALF = (torch.bfloat16, torch.float16)


# ------------------------------------------------------------------------------------------ helpers
def ref_of(name: str) -> Ref:
    if name not in REFS:
        pytest.fail(f"activation {name!r} has no numpy reference in tests/activation_refs")
    return REFS[name]


def build(name: str, shape: str = "scalar", channels: int = 4, channel_dim: int = 1, **params) -> torch.nn.Module:
    if shape == "channel":
        params.update(shape="channel", num_channels=channels, channel_dim=channel_dim)
    elif getattr(activation_class(name), "requires_channels", False):  # FReLU, Meta-ACON: always per channel
        params.update(num_channels=channels, channel_dim=channel_dim)
    if name in REFS:  # e.g. the gated units' dim=1 (the suite's channel dim)
        params = {**REFS[name].kwargs, **params}
    module = create_activation(name, **params)
    return module.eval() if name in REFS and REFS[name].eval_mode else module


def build64(name: str, shape: str = "scalar", **kw) -> torch.nn.Module:
    """A float64 module whose parameters are created in float64 (no float32 rounding of 0.01)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(F64)
    try:
        return build(name, shape=shape, **kw).double()
    finally:
        torch.set_default_dtype(previous)


def perturb(module: torch.nn.Module, seed: int = 0, scale: float = 0.05) -> torch.nn.Module:
    """Moves every trainable parameter a little, so per-channel values differ from each other."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g, dtype=torch.float64).to(p.dtype))
    return module


def grid_input(ref: Ref, n: int, seed: int = 0) -> torch.Tensor:
    """float64 input over ``ref.domain``: a 1-D grid (k = 1), random (n, k) channel groups, or for a
    spatial window (``ref.spatial``) random (n // 30, 4 k, 5, 6) images."""
    lo, hi = ref.domain
    if ref.spatial:
        return image_input(ref, seed, F64, batch=max(2, n // 30))
    if ref.k == 1:
        return torch.linspace(lo, hi, n, dtype=F64)
    g = torch.Generator().manual_seed(seed)
    return lo + (hi - lo) * torch.rand(n, ref.k, generator=g, dtype=F64)


def image_input(ref: Ref, seed: int = 0, dtype: torch.dtype = torch.float32, batch: int = 2) -> torch.Tensor:
    """(2, C, 5, 6) input with C = 4 k channels (``ref.spatial`` sizes (5, 6, 4)[:spatial] when it is
    not 2), values spread over the reference domain."""
    lo, hi = ref.domain
    g = torch.Generator().manual_seed(seed)
    sizes = (5, 6) if ref.spatial in (0, 2) else (5, 6, 4)[: ref.spatial]
    return (lo + (hi - lo) * torch.rand(batch, 4 * ref.k, *sizes, generator=g, dtype=F64)).to(dtype)


def sample_shape(ref: Ref, n: int, length: int) -> tuple[int, ...]:
    """(n, 4 k, length) batches (channels on dim 1), with ``ref.spatial`` dimensions of ``length``."""
    return (n, 4 * ref.k) + (length,) * max(1, ref.spatial)


def ref_call(ref: Ref, module: torch.nn.Module, x: torch.Tensor, **params) -> np.ndarray:
    """The numpy reference at ``x`` (the module's weights passed as ``state=`` where ``ref.state``)."""
    if ref.state:
        params["state"] = {k: v.detach().double().numpy() for k, v in module.state_dict().items()}
    return np.asarray(ref.fn(x.detach().numpy(), **params), dtype=np.float64)


def values_and_slopes(module: torch.nn.Module, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    x = x.clone().requires_grad_(True)
    y = module(x)
    (d,) = torch.autograd.grad(y.sum(), x)
    return y.detach().numpy(), d.numpy()


def is_continuous(on_grid, lo: float, hi: float, n: int = 2001) -> bool:
    """Jump test, threshold-free: the largest change over two grid steps halves with the step for a
    continuous sequence and stays put at a jump. ``on_grid(x, h)`` returns samples on the grid x."""
    jumps = []
    for m in (n, 2 * n - 1):
        x = np.linspace(lo, hi, m)
        v = on_grid(x, x[1] - x[0])
        jumps.append(np.abs(v[2:] - v[:-2]).max())
    if jumps[0] < 1e-7:
        return True
    return jumps[1] / jumps[0] < 0.75


def elementwise_1d(name: str) -> bool:
    info = activation_info(name)
    return info.elementwise and (REFS[name].k if name in REFS else 1) == 1


def params_of(name: str) -> bool:
    return bool(activation_info(name).params)


# ------------------------------------------------------------------------------------------ coverage
def test_every_activation_has_a_reference():
    missing = sorted(set(NAMES) - set(REFS))
    assert not missing, f"activations without a numpy reference in tests/activation_refs: {missing}"
    stale = sorted(set(REFS) - set(NAMES))
    assert not stale, f"references for unregistered activations: {stale}"


def test_zoo_size():
    assert len(NAMES) >= 27  # classic (21) + Dubey (6) at least


# ------------------------------------------------------------------------------------------ values
@pytest.mark.parametrize("name", NAMES)
def test_values_match_reference_on_grid(name):
    ref = ref_of(name)
    x = grid_input(ref, 601)
    m = build64(name)
    expected = ref_call(ref, m, x, **ref.params)  # (the weights before the call: BatchNorm updates its buffers)
    y = m(x).detach().numpy()
    np.testing.assert_allclose(y.reshape(-1), expected.reshape(-1), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in NAMES if n in REFS and REFS[n].points])
def test_spec_reference_points(name):
    ref = ref_of(name)
    for params, xs, ys in ref.points:
        x = torch.tensor(xs, dtype=F64)
        if ref.k > 1:
            x = x.reshape(-1, ref.k)  # k-tuples or a flat list of groups
        m = build64(name, **params)
        yr = ref_call(ref, m, x, **params).reshape(-1)
        y = m(x).detach().numpy().reshape(-1)
        np.testing.assert_allclose(y, ys, rtol=0, atol=1.5e-6, err_msg=f"{name}({params}) at {xs}")
        # the reference itself must agree with the spec too
        np.testing.assert_allclose(yr, ys, rtol=0, atol=1.5e-6, err_msg=f"numpy ref {name}({params})")


@pytest.mark.parametrize("name", [n for n in NAMES if activation_info(n).warm_start])
def test_warm_start_equals_base(name):
    ref = ref_of(name)
    x = grid_input(ref, 301)
    for base, params in activation_info(name).warm_start.items():
        m = build64(name)
        with torch.no_grad():  # set by parameter name, as swap_activations(warm_start=True) does
            for pname, value in params.items():
                c = m._constraints[pname]
                raw = getattr(m, pname) if hasattr(m, pname) else getattr(m, f"{pname}_raw")
                raw.fill_(c.to_raw(value))
        y = m(x)
        y_base = build64(base)(x)
        torch.testing.assert_close(y, y_base, rtol=1e-12, atol=1e-12, msg=f"{name}{params} != {base}")


# ------------------------------------------------------------------------------------------ gradients
@pytest.mark.parametrize("shape", ["scalar", "channel"])
@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_with_parameters(name, shape):
    if shape == "channel" and not params_of(name):
        pytest.skip("no parameters: the channel shape changes nothing")
    ref = ref_of(name)
    module = perturb(build64(name, shape=shape))
    names = [n for n, _ in module.named_parameters()]
    params = [p.detach().clone().requires_grad_(True) for _, p in module.named_parameters()]
    lo, hi = ref.domain
    x = (lo + (hi - lo) * torch.rand(sample_shape(ref, 2, 3), dtype=F64)).requires_grad_(True)

    def f(x, *ps):
        return functional_call(module, dict(zip(names, ps, strict=True)), (x,))

    assert torch.autograd.gradcheck(f, (x, *params), eps=1e-6, atol=1e-5, rtol=1e-4)


# ------------------------------------------------------------------------------------------ properties
@pytest.mark.parametrize("name", NAMES)
def test_value_and_slope_at_zero(name):
    info = activation_info(name)
    ref = ref_of(name)
    m = build64(name)
    if not elementwise_1d(name):
        y = m(torch.zeros(sample_shape(ref, 2, 3), dtype=F64))
        torch.testing.assert_close(y, torch.full_like(y, info.f0), atol=1e-12, rtol=0)
        return
    y, d = values_and_slopes(m, torch.zeros(1, dtype=F64))
    assert y[0] == pytest.approx(info.f0, abs=1e-12)
    h = 1e-6
    left, mid, right = m(torch.tensor([-h, 0.0, h], dtype=F64)).detach().numpy()
    if info.df0 is None:
        assert abs((right - mid) / h - (mid - left) / h) > 1e-3, "df0=None but f is differentiable at 0"
    else:
        assert d[0] == pytest.approx(info.df0, abs=1e-9)
        assert (right - left) / (2 * h) == pytest.approx(info.df0, abs=1e-6)


def wide_grid(ref: Ref) -> np.ndarray:
    lo, hi = ref.domain
    tail = np.logspace(-3, 4, 400)
    return np.unique(np.concatenate([-tail, np.linspace(lo, hi, 4001), tail]))


@pytest.mark.parametrize("name", [n for n in NAMES if elementwise_1d(n)])
def test_monotonic_claim(name):
    info = activation_info(name)
    m = build64(name)
    y = m(torch.from_numpy(wide_grid(ref_of(name)))).detach().numpy()
    steps = np.diff(y)
    if info.monotonic:
        assert steps.min() >= -1e-12 * max(1.0, np.abs(y).max()), "claimed monotonic but decreases"
    else:
        assert steps.min() < -1e-9, "claimed non-monotonic but never decreases on the grid"


@pytest.mark.parametrize("name", NAMES)
def test_output_range_claim(name):
    info = activation_info(name)
    ref = ref_of(name)
    lo, hi = info.output_range
    m = build64(name)
    if elementwise_1d(name):
        x = torch.from_numpy(wide_grid(ref))
    else:
        g = torch.Generator().manual_seed(0)
        d_lo, d_hi = ref.domain
        x = d_lo + (d_hi - d_lo) * torch.rand(sample_shape(ref, 64, 8), generator=g, dtype=F64)
    y = m(x).detach().numpy()
    assert np.isfinite(y).all()
    assert y.min() >= lo - 1e-9 * (1 + abs(lo)) and y.max() <= hi + 1e-9 * (1 + abs(hi)), (y.min(), y.max())
    if not elementwise_1d(name):
        return  # tightness needs the closed grid; checked for elementwise activations only
    if info.bounded_below:
        assert y.min() <= lo + 1e-3 * (1 + abs(lo)), f"infimum {lo} claimed, grid minimum {y.min()}"
    else:
        assert y.min() < -10, f"claimed unbounded below, grid minimum {y.min()}"
    if info.bounded_above:
        assert y.max() >= hi - 1e-3 * (1 + abs(hi)), f"supremum {hi} claimed, grid maximum {y.max()}"
    else:
        assert y.max() > 10, f"claimed unbounded above, grid maximum {y.max()}"


@pytest.mark.parametrize("name", [n for n in NAMES if elementwise_1d(n)])
def test_smoothness_claim(name):
    info = activation_info(name)
    lo, hi = ref_of(name).domain
    m = build64(name)
    values = lambda x, h: m(torch.from_numpy(x)).detach().numpy()  # noqa: E731
    slopes = lambda x, h: values_and_slopes(m, torch.from_numpy(x))[1]  # noqa: E731
    curvature = lambda x, h: np.diff(slopes(x, h)) / h  # noqa: E731
    order = {"discontinuous": -1, "C0": 0, "C1": 1, "C2": 2, "Cinf": 3}[info.smoothness]
    assert is_continuous(values, lo, hi) == (order >= 0), f"continuity contradicts {info.smoothness}"
    if order >= 0:
        assert is_continuous(slopes, lo, hi) == (order >= 1), f"f' continuity contradicts {info.smoothness}"
    if order >= 1:
        assert is_continuous(curvature, lo, hi) == (order >= 2), f"f'' continuity contradicts {info.smoothness}"


# ------------------------------------------------------------------------------------------ robustness
def extreme_input(ref: Ref) -> torch.Tensor:
    special = [0.0, 1e-7, 1e-3, 1.0, 3.0, np.pi, 2 * np.pi, 10.0, 88.7, 89.0, 1e3, 1e4]
    pts = np.concatenate([np.linspace(-1e4, 1e4, 2001), np.linspace(-20, 20, 2001), special, np.negative(special)])
    if ref.spatial:  # (N, 4 k, 4, ..., 4) images, the special points first so none is cut off
        per = 4 * ref.k * 4**ref.spatial
        pts = np.concatenate([special, np.negative(special), pts[: -2 * len(special)]])
        return torch.from_numpy(pts[: len(pts) // per * per]).reshape(-1, 4 * ref.k, *(4,) * ref.spatial)
    pts = pts[: len(pts) // ref.k * ref.k]
    x = torch.from_numpy(pts)
    return x if ref.k == 1 else x.reshape(-1, ref.k)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16], ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_finite_on_extreme_inputs(name, dtype):
    ref = ref_of(name)
    if dtype in HALF and not ref.half_ok:
        pytest.skip("not representable in half precision (Ref.half_ok=False)")
    m = build(name)
    x = extreme_input(ref).to(dtype).requires_grad_(True)
    y = m(x)
    assert y.dtype == dtype, f"output dtype {y.dtype} for {dtype} input"
    assert torch.isfinite(y).all(), f"non-finite outputs at x={x[~torch.isfinite(y)].detach()[:5]}"
    y.backward(torch.ones_like(y))
    assert torch.isfinite(x.grad).all(), f"non-finite input grads at x={x[~torch.isfinite(x.grad)].detach()[:5]}"
    for pname, p in m.named_parameters():
        assert torch.isfinite(p.grad).all(), f"non-finite grad of {pname}"


@pytest.mark.parametrize("shape", ["scalar", "channel"])
@pytest.mark.parametrize("name", NAMES)
def test_layouts_and_no_mutation(name, shape):
    if shape == "channel" and not params_of(name):
        pytest.skip("no parameters")
    ref = ref_of(name)
    m = perturb(build(name, shape=shape, channels=4 * ref.k))
    x = image_input(ref)
    expected = m(x)
    x_nc = x.transpose(2, 3).contiguous().transpose(2, 3)  # same values, non-contiguous
    assert not x_nc.is_contiguous()
    torch.testing.assert_close(m(x_nc), expected, rtol=1e-6, atol=1e-6)
    if x.dim() == 4:
        x_cl = x.to(memory_format=torch.channels_last)
        torch.testing.assert_close(m(x_cl), expected, rtol=1e-6, atol=1e-6)
    # inputs are never mutated, neither by forward nor by backward
    x_g = x.clone().requires_grad_(True)
    before = x_g.detach().clone()
    m(x_g).sum().backward()
    assert torch.equal(x_g.detach(), before)


@pytest.mark.parametrize("name", [n for n in NAMES if params_of(n)])
def test_channel_dim_last_matches_channel_dim_1(name):
    ref = ref_of(name)
    c = 4 * ref.k
    m1 = perturb(build(name, shape="channel", channels=c, channel_dim=1))
    m_last = build(name, shape="channel", channels=c, channel_dim=-1)
    m_last.load_state_dict(m1.state_dict())
    x = image_input(ref)[:, :, :, 0]  # (B, C, L)
    y1 = m1(x)
    y_last = m_last(x.movedim(1, -1).contiguous()).movedim(-1, 1)  # (B, L, C) layout
    torch.testing.assert_close(y_last, y1, rtol=1e-6, atol=1e-6)
    # per-channel values really act per channel: the scalar module differs once channels differ
    if any(p.numel() > 1 for p in m1.parameters()):
        y_scalar = build(name)(x)
        assert not torch.allclose(y1, y_scalar)


# ------------------------------------------------------------------------------------------ module hygiene
@pytest.mark.parametrize("name", NAMES)
def test_state_dict_deepcopy_repr(name):
    ref = ref_of(name)
    m1 = perturb(build(name), seed=1)
    x = image_input(ref)
    m2 = build(name)
    m2.load_state_dict(m1.state_dict())
    torch.testing.assert_close(m2(x), m1(x), rtol=0, atol=0)
    m3 = copy.deepcopy(m1)
    torch.testing.assert_close(m3(x), m1(x), rtol=0, atol=0)
    for (n, p1), (_, p3) in zip(m1.named_parameters(), m3.named_parameters(), strict=True):
        assert p1.data_ptr() != p3.data_ptr(), f"deepcopy shares parameter {n}"
    text = repr(m1)
    for spec in activation_info(name).params:
        assert spec.name in text, f"repr {text!r} does not show parameter {spec.name!r}"


def _check_compile(*names: str) -> None:
    """Compiles the activations chained (one compilation) and compares every stage with eager."""
    mods = [perturb(build(n)) for n in names]
    x = image_input(ref_of(names[0]))[:, :, :2, :2]

    def chain(x):
        outs = []
        for m in mods:
            x = m(x)
            outs.append(x)
        return outs

    compiled = torch.compile(chain, dynamic=False)
    for n, got, want in zip(names, compiled(x), chain(x), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5, msg=f"torch.compile({n}) != eager")


def test_compile_matches_eager_subset():
    # one compilation for three representative activations keeps the default run short
    _check_compile(*[n for n in COMPILE_DEFAULT if n in NAMES])


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if n not in REFS or REFS[n].compile_ok])
def test_compile_matches_eager_all(name):
    _check_compile(name)
