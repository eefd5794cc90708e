"""The fused path equals the eager formula it is derived from: values, input and parameter gradients.

The cases are generated from the registry: every elementwise activation (and the LAAF / Rowdy /
PAU variants), at the default parameters and at perturbed ones, with scalar and per-channel
parameters, on inputs that include the kinks and ties (0, +-pi, +-3, +-1, 30, -40). The math is
checked with the kernels run as eager tensor ops (``set_compile_kernels(False)``: the same
forward and vector-Jacobian product, no code generation); a subset also runs through the
TorchInductor-compiled kernels, and all of them under ``-m slow``.
"""

from __future__ import annotations

import pytest
import torch

import actlab
from actlab.activations import (
    Activation,
    ActivationInfo,
    FusedOp,
    _policy,
    activation_info,
    fused_op_for,
    has_fused,
    register_activation,
    set_compile_kernels,
)
from actlab.activations._policy import is_composite
from actlab.activations._registry import ACTIVATIONS
from actlab.memory import saved_bytes

ELEMENTWISE = [n for n in actlab.list_activations() if activation_info(n).elementwise]
# LAAF / Rowdy over every parameter-free elementwise base, and over a trainable one
_PLAIN_BASES = [
    n for n in ELEMENTWISE
    if not any(True for _ in actlab.create_activation(n).parameters())
    and not any(True for _ in actlab.create_activation(n).buffers())
]
CASES = [(n, {}) for n in ELEMENTWISE]
CASES += [("laaf", {"base": b}) for b in _PLAIN_BASES + ["pvlu"] if b != "laaf"]
CASES += [("rowdy", {"base": "tanh", "num_sines": 3}), ("rowdy", {"base": "gelu", "num_sines": 1})]
CASES += [("rowdy", {"base": "pvlu", "num_sines": 2})]
CASES += [("pau", {"denominator_form": "sum_abs"}), ("pau", {"degrees": (3, 2)})]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" if kw else n for n, kw in CASES]


@pytest.fixture
def analytic_kernels():
    prev = set_compile_kernels(False)
    yield
    set_compile_kernels(prev)


def _pair(name, kw, shape, dtype=torch.float64, perturb=True, seed=0, channels=3):
    eager = actlab.create_activation(name, impl="eager", shape=shape, num_channels=channels, **kw).to(dtype)
    if perturb:  # move parameters off their init so zero-valued terms cannot hide errors
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in eager.parameters():
                p.add_(0.05 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    fused = actlab.create_activation(name, impl="fused", shape=shape, num_channels=channels, **kw).to(dtype)
    fused.load_state_dict(eager.state_dict())
    if not has_fused(fused):  # random in training mode (rrelu): the formula is the eval-mode one
        eager.eval(), fused.eval()
    return eager, fused


def _grads(mod, x, g):
    x = x.clone().requires_grad_(True)
    y = mod(x)
    y.backward(g)
    return y.detach(), x.grad, [p.grad for p in mod.parameters()]


HAZARDS = [0.0, torch.pi, -torch.pi, 3.0, -3.0, 1.0, -1.0, 30.0, -40.0, 1e-3, 6.0, 0.5]


def _inputs(dtype=torch.float64):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(4, 3, 6, generator=gen, dtype=torch.float64) * 4
    x.view(-1)[: len(HAZARDS)] = torch.tensor(HAZARDS, dtype=torch.float64)  # kinks, ties, singularities
    return x.to(dtype)


def _assert_same(eager, fused, x, tol):
    g = torch.randn(x.shape, generator=torch.Generator().manual_seed(2), dtype=x.dtype)
    ye, gxe, gpe = _grads(eager, x, g)
    yf, gxf, gpf = _grads(fused, x, g)
    torch.testing.assert_close(yf, ye, rtol=tol, atol=tol)
    torch.testing.assert_close(gxf, gxe, rtol=tol, atol=tol)
    assert len(gpf) == len(gpe)
    for a, b in zip(gpf, gpe, strict=True):
        torch.testing.assert_close(a, b, rtol=tol, atol=tol * max(1.0, b.abs().max().item()))


@pytest.mark.parametrize("perturb", [False, True], ids=["default", "perturbed"])
@pytest.mark.parametrize("shape", ["scalar", "channel"])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_fused_equals_eager_float64(name, kw, shape, perturb, analytic_kernels):
    eager, fused = _pair(name, kw, shape, perturb=perturb)
    _assert_same(eager, fused, _inputs(), 1e-10)


def test_adaptive_relu_max_tie_gradient_matches_eager_at_default_init(analytic_kernels):
    """Both lines tie everywhere at a = b = 1, c = d = 0: fused and eager split the gradient alike."""
    eager, fused = _pair("adaptive_relu_max", {}, "scalar", dtype=torch.float32, perturb=False)
    x = torch.randn(1000, generator=torch.Generator().manual_seed(0))
    _, _, ge = _grads(eager, x, torch.ones_like(x))
    _, _, gf = _grads(fused, x, torch.ones_like(x))
    for a, b in zip(gf, ge, strict=True):
        torch.testing.assert_close(a, b)
    assert torch.allclose(ge[0], ge[1])  # a and b get equal shares


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name,kw", CASES[::3], ids=IDS[::3])
def test_fused_half_precision_finite_and_close(name, kw, dtype, analytic_kernels):
    _, fused = _pair(name, kw, "scalar", dtype=dtype)
    eager = actlab.create_activation(name, impl="eager", **kw)
    eager.load_state_dict({k: v.float() for k, v in fused.state_dict().items()})  # same rounded params
    eager.train(fused.training)  # _pair puts a base random in training mode (laaf over rrelu) in eval mode
    x = torch.linspace(-20, 20, 401).to(dtype)
    g = torch.ones_like(x)
    yf, gxf, _ = _grads(fused, x, g)
    ye, gxe, _ = _grads(eager, x.float(), g.float())
    assert yf.dtype == dtype and gxf.dtype == dtype
    finite = torch.isfinite(ye) & torch.isfinite(gxe)  # e.g. SQU/NCU exceed the float16 range
    assert torch.isfinite(yf[finite]).all() and torch.isfinite(gxf[finite]).all()
    tol = 2e-2 if dtype == torch.float16 else 8e-2
    torch.testing.assert_close(yf.float()[finite], ye[finite], rtol=tol, atol=tol)


def test_every_elementwise_activation_has_a_fused_path():
    missing = [n for n in ELEMENTWISE if not has_fused(actlab.create_activation(n).eval())]
    assert not missing
    random_in_training = [n for n in ELEMENTWISE if not has_fused(actlab.create_activation(n))]
    assert random_in_training == ["rrelu"]


def test_composite_detection_matches_the_ops_dispatched():
    """auto keeps the eager formula only where it is one native kernel."""
    single = {n for n in ELEMENTWISE if not is_composite(actlab.create_activation(n))}
    assert {"relu", "tanh", "sigmoid", "gelu", "silu", "mish", "relu6", "identity"} <= single
    assert not single & {"pvlu", "colu", "gcu", "nish", "hardswish", "leaky_relu", "elu", "swish", "ada"}


@pytest.mark.parametrize("name", ["pvlu", "colu", "softplus", "adaptive_relu_max"])
def test_compiled_kernels_equal_eager(name):
    """The inductor-generated kernels (the real fast path) on a representative subset."""
    _check_compiled(name)


@pytest.mark.slow
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_compiled_kernels_equal_eager_all(name, kw):
    _check_compiled(name, kw)


def _check_compiled(name, kw=None):
    for perturb in (False, True):
        eager, fused = _pair(name, kw or {}, "channel", dtype=torch.float32, perturb=perturb)
        x = _inputs(torch.float32)
        _assert_same(eager, fused, x, 1e-4)
        assert fused_op_for(fused, x).compiled_ready("cpu")


@pytest.mark.parametrize("name", ["pvlu", "colu", "gcu", "srs", "laaf", "pau"])
def test_fused_saves_only_input_and_parameters(name, analytic_kernels):
    eager, fused = _pair(name, {}, "scalar", dtype=torch.float32)
    x = torch.randn(64, 128, requires_grad=True)
    params = sum(p.numel() * p.element_size() for p in fused.parameters())
    fused_bytes = saved_bytes(lambda: fused(x))
    assert fused_bytes <= x.numel() * x.element_size() + params + 256
    assert fused_bytes < saved_bytes(lambda: eager(x))


def test_auto_policy_on_cpu(monkeypatch, analytic_kernels):
    monkeypatch.setattr(FusedOp, "compiled_ready", lambda self, dev: False)  # as in a fresh process
    mod = actlab.create_activation("pvlu")  # impl="auto"
    x = torch.randn(16, 8, requires_grad=True)
    small = saved_bytes(lambda: mod(x))  # below the size threshold: eager formula
    monkeypatch.setattr(_policy, "AUTO_CPU_MIN_NUMEL", 0)
    large = saved_bytes(lambda: mod(x))  # fused: only x and the two scalars
    assert large < small
    torch.testing.assert_close(mod(x), actlab.create_activation("pvlu", impl="eager")(x))


def test_auto_keeps_single_native_kernels_eager(monkeypatch, analytic_kernels):
    calls = []
    original = FusedOp.__call__
    monkeypatch.setattr(FusedOp, "__call__", lambda self, *a: calls.append(self.name) or original(self, *a))
    monkeypatch.setattr(_policy, "AUTO_CPU_MIN_NUMEL", 0)
    x = torch.randn(32, 16)
    for name in ("relu", "gelu", "tanh"):
        actlab.create_activation(name)(x)
    assert calls == []
    actlab.create_activation("gcu")(x)
    assert calls == ["gcu"]


def test_auto_is_transparent_under_torch_compile(monkeypatch, analytic_kernels):
    """Inside torch.compile, auto emits the eager expression (fusable), not the opaque op."""
    monkeypatch.setattr(_policy, "AUTO_CPU_MIN_NUMEL", 0)
    graphs = []

    def backend(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    net = torch.nn.Sequential(torch.nn.Linear(4, 4), actlab.create_activation("pvlu"))
    torch.compile(net, backend=backend, fullgraph=True)(torch.randn(2, 4))
    targets = [str(n.target) for g in graphs for n in g.graph.nodes]
    assert not any("actlab" in t for t in targets)
    assert any("sin" in t for t in targets)


@pytest.mark.parametrize("name", ["pvlu", "laaf", "rowdy"])
def test_fused_composes_with_torch_compile_without_graph_breaks(name, analytic_kernels):
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), actlab.create_activation(name, impl="fused"))
    x = torch.randn(3, 4)
    compiled = torch.compile(net, backend="aot_eager", fullgraph=True)  # raises on a graph break
    out = compiled(x)
    out.sum().backward()
    torch.testing.assert_close(out, net(x))
    assert all(p.grad is not None for p in net[1].parameters())


def test_fused_keeps_channels_last_and_autocast(analytic_kernels):
    mod = actlab.create_activation("pvlu", impl="fused", shape="channel", num_channels=3)
    x = torch.randn(2, 3, 4, 5).to(memory_format=torch.channels_last)
    assert mod(x).is_contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        h = torch.nn.functional.linear(torch.randn(2, 5), torch.randn(3, 5))
        y = mod(h.view(2, 3))
    assert y.dtype == h.dtype and torch.isfinite(y).all()
    y.float().sum().backward()
    assert mod.alpha.grad.dtype == torch.float32 and torch.isfinite(mod.alpha.grad).all()


def test_fused_errors_are_clear():
    with pytest.raises(ValueError, match="no fused implementation: it is not elementwise"):
        actlab.create_activation("abrelu", impl="fused")(torch.randn(4))
    with pytest.raises(TypeError, match="expects a floating-point tensor"):  # every path: Activation.forward
        actlab.create_activation("gcu", impl="fused")(torch.arange(4))
    with pytest.raises(ValueError, match="impl must be one of"):
        actlab.create_activation("pvlu", impl="fast")


def test_each_kernel_variant_has_its_own_code_object():
    """TorchDynamo's recompile budget is per code object: variants must not share one."""
    mod = actlab.create_activation("gcu", impl="fused")
    op = fused_op_for(mod, torch.randn(2))
    v1 = op._variant(torch.randn(2, 3), [])
    v2 = op._variant(torch.randn(2, 3, 4, dtype=torch.float64), [])
    (f1, _), (f2, _) = op.kernels(v1), op.kernels(v2)
    code = lambda f: getattr(f, "_torchdynamo_orig_callable", f).__code__  # noqa: E731
    assert code(f1) is not code(f2)
    assert code(f1).co_name != code(f2).co_name


@pytest.mark.slow
def test_many_variants_never_fall_back(recwarn):
    mod = actlab.create_activation("pvlu", impl="fused", shape="channel", num_channels=3)
    for dtype in (torch.float32, torch.float64, torch.bfloat16):
        for shape in ((4, 3), (2, 3, 5), (2, 3, 4, 5)):
            x = torch.randn(*shape, dtype=dtype, requires_grad=True)
            mod.to(dtype)(x).sum().backward()
    assert not [w for w in recwarn if "could not be compiled" in str(w.message)]


@pytest.mark.parametrize("name,kw", [("softplus", {}), ("lisht", {}), ("laaf", {"base": "tanh"})])
def test_auto_keeps_eager_on_cpu_where_fused_is_not_faster(name, kw, monkeypatch, analytic_kernels):
    calls = []
    original = FusedOp.__call__
    monkeypatch.setattr(FusedOp, "__call__", lambda self, *a: calls.append(self.name) or original(self, *a))
    monkeypatch.setattr(_policy, "AUTO_CPU_MIN_NUMEL", 0)
    x = torch.randn(32, 16)
    actlab.create_activation(name, **kw)(x)  # auto
    assert calls == []
    actlab.create_activation("pvlu")(x)  # auto, may use the fused path on CPU
    actlab.create_activation(name, impl="fused", **kw)(x)
    assert calls[0] == "pvlu" and len(calls) == 2


# ---------------------------------------------------------------------------------- user activations
def tanh_exp(x):
    """TanhExp (Liu & Di, arXiv 2003.09855): x tanh(e^x)."""
    return x * torch.tanh(torch.exp(x))


def _tanh_exp_ref(x):
    import numpy as np

    return x * np.tanh(np.exp(x))


def test_user_function_is_fused_with_eager_gradients(analytic_kernels):
    info = ActivationInfo(name="test_tanh_exp", formula="x tanh(e^x)", latex=r"x\tanh(e^x)")
    register_activation(info, tanh_exp)
    try:
        eager, fused = _pair("test_tanh_exp", {}, "scalar", perturb=False)
        x = torch.linspace(-8, 3, 101, dtype=torch.float64)
        _assert_same(eager, fused, x, 1e-12)
        torch.testing.assert_close(fused(x).detach(), torch.from_numpy(_tanh_exp_ref(x.numpy())))
        assert has_fused(fused) and fused_op_for(fused, x).fn is tanh_exp
    finally:
        ACTIVATIONS.remove("test_tanh_exp")


def _scaled_softsign(x, a, shift):
    return a * x / (1 + (x - shift).abs())


class _UserScaled(Activation):
    formula = staticmethod(_scaled_softsign)
    consts = ("shift",)

    def __init__(self, *, a: float = 1.0, shift: float = 0.25, **kw):
        super().__init__(**kw)
        self.add_param("a", a)
        self.shift = float(shift)


@pytest.mark.parametrize("shape", ["scalar", "channel"])
def test_user_class_with_parameters_is_fused(shape, analytic_kernels):
    register_activation(ActivationInfo(name="test_scaled_softsign", formula="a x / (1 + |x - s|)", latex="-"),
                        _UserScaled)
    try:
        eager, fused = _pair("test_scaled_softsign", {}, shape)
        _assert_same(eager, fused, _inputs(), 1e-12)
    finally:
        ACTIVATIONS.remove("test_scaled_softsign")


def test_elementwise_class_without_formula_is_refused():
    class NoFormula(Activation):
        def forward_eager(self, x):
            return x

    with pytest.raises(TypeError, match="has no formula"):
        register_activation(ActivationInfo(name="test_no_formula", formula="x", latex="x"), NoFormula)
    assert "test_no_formula" not in ACTIVATIONS
