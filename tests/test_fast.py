"""The fused fast path equals its eager reference: values, input gradients, parameter gradients.

The analytic formulas are checked for every fused activation with the kernels run as eager
tensor ops (``set_compile_kernels(False)``: same math, no code generation); a representative
subset also runs through the TorchInductor-compiled kernels, and all of them under ``-m slow``.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import actlab
from actlab.activations import activation_info
from actlab.fast import dispatch
from actlab.fast.bindings import _SELECTORS, fused_op_for
from actlab.fast.dispatch import has_fast
from actlab.fast.fused import set_compile_kernels
from actlab.memory import saved_bytes

# (registry name, constructor kwargs): every selector, plus the family variants.
CASES = [(n, {}) for n in _SELECTORS if n not in ("laaf", "rowdy")]
CASES += [("laaf", {"base": b}) for b in ("tanh", "relu", "sigmoid", "silu", "gcu", "gelu", "identity")]
CASES += [("rowdy", {"base": "tanh", "num_sines": 3}), ("rowdy", {"base": "sigmoid", "num_sines": 1})]
CASES += [("pau", {"denominator_form": "sum_abs"}), ("pau", {"degrees": (3, 2)})]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" if kw else n for n, kw in CASES]


@pytest.fixture
def analytic_kernels():
    prev = set_compile_kernels(False)
    yield
    set_compile_kernels(prev)


def _pair(name, kw, shape, dtype=torch.float64, seed=0):
    eager = actlab.create_activation(name, impl="eager", shape=shape, num_channels=3, **kw).to(dtype)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # move parameters off their init so zero-valued terms cannot hide errors
        for p in eager.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    fused = actlab.create_activation(name, impl="fused", shape=shape, num_channels=3, **kw).to(dtype)
    fused.load_state_dict(eager.state_dict())
    return eager, fused


def _grads(mod, x, g):
    x = x.clone().requires_grad_(True)
    y = mod(x)
    y.backward(g)
    return y.detach(), x.grad, [p.grad for p in mod.parameters()]


def _inputs(dtype=torch.float64):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(4, 3, 6, generator=gen, dtype=torch.float64) * 4
    # hazard points: 0, removable singularities of SSU/DSU, large magnitudes
    x.view(-1)[:6] = torch.tensor([0.0, torch.pi, -torch.pi, 30.0, -40.0, 1e-3], dtype=torch.float64)
    return x.to(dtype)


@pytest.mark.parametrize("shape", ["scalar", "channel"])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_fused_formulas_equal_eager_float64(name, kw, shape, analytic_kernels):
    eager, fused = _pair(name, kw, shape)
    x = _inputs()
    g = torch.randn(x.shape, generator=torch.Generator().manual_seed(2), dtype=x.dtype)
    ye, gxe, gpe = _grads(eager, x, g)
    yf, gxf, gpf = _grads(fused, x, g)
    torch.testing.assert_close(yf, ye, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(gxf, gxe, rtol=1e-9, atol=1e-9)
    assert len(gpf) == len(gpe)
    for a, b in zip(gpf, gpe):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name,kw", CASES[::3], ids=IDS[::3])
def test_fused_half_precision_finite_and_close(name, kw, dtype, analytic_kernels):
    _, fused = _pair(name, kw, "scalar", dtype=dtype)
    eager = actlab.create_activation(name, impl="eager", **kw)
    eager.load_state_dict({k: v.float() for k, v in fused.state_dict().items()})  # same rounded params
    x = torch.linspace(-20, 20, 401).to(dtype)
    g = torch.ones_like(x)
    yf, gxf, _ = _grads(fused, x, g)
    ye, gxe, _ = _grads(eager, x.float(), g.float())
    assert yf.dtype == dtype and gxf.dtype == dtype
    assert torch.isfinite(yf).all() and torch.isfinite(gxf).all()
    tol = 2e-2 if dtype == torch.float16 else 8e-2
    torch.testing.assert_close(yf.float(), ye, rtol=tol, atol=tol)


def test_every_elementwise_activation_is_fused_or_native():
    """A name without a fused path must run a single native ATen kernel in eager mode."""

    class Ops(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops.append(str(func))
            return func(*args, **(kwargs or {}))

    missing = []
    for name in actlab.list_activations():
        if not activation_info(name).elementwise:
            continue
        mod = actlab.create_activation(name, impl="eager")
        if has_fast(type(mod)):
            continue
        x = torch.randn(8, 3)
        with Ops() as rec:
            mod(x)
        if len(rec.ops) > 1:
            missing.append((name, rec.ops))
    assert not missing, f"composite activations without a fused path: {missing}"


@pytest.mark.parametrize("name", ["pvlu", "colu", "softplus"])
def test_compiled_kernels_equal_eager(name):
    """The inductor-generated kernels (the real fast path) on a representative subset."""
    _check_compiled(name)


@pytest.mark.slow
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_compiled_kernels_equal_eager_all(name, kw):
    _check_compiled(name, kw)


def _check_compiled(name, kw=None):
    eager, fused = _pair(name, kw or {}, "channel", dtype=torch.float32)
    x = _inputs(torch.float32)
    g = torch.randn(x.shape, generator=torch.Generator().manual_seed(3))
    ye, gxe, gpe = _grads(eager, x, g)
    yf, gxf, gpf = _grads(fused, x, g)
    torch.testing.assert_close(yf, ye, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gxf, gxe, rtol=1e-4, atol=1e-4)
    for a, b in zip(gpf, gpe):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-3)
    assert fused_op_for(fused, x).compiled_ready("cpu")


@pytest.mark.parametrize("name", ["pvlu", "colu", "gcu", "srs"])
def test_fused_saves_only_input_and_parameters(name, analytic_kernels):
    eager, fused = _pair(name, {}, "scalar", dtype=torch.float32)
    x = torch.randn(64, 128, requires_grad=True)
    params = sum(p.numel() * p.element_size() for p in fused.parameters())
    fused_bytes = saved_bytes(lambda: fused(x))
    assert fused_bytes <= x.numel() * x.element_size() + params + 64
    assert fused_bytes < saved_bytes(lambda: eager(x))


def test_auto_policy_on_cpu(monkeypatch, analytic_kernels):
    from actlab.fast.fused import FusedOp

    monkeypatch.setattr(FusedOp, "compiled_ready", lambda self, dev: False)  # as in a fresh process
    mod = actlab.create_activation("pvlu")  # impl="auto"
    x = torch.randn(16, 8, requires_grad=True)
    small = saved_bytes(lambda: mod(x))  # below the size threshold: eager formula
    monkeypatch.setattr(dispatch, "AUTO_CPU_MIN_NUMEL", 0)
    large = saved_bytes(lambda: mod(x))  # fused: only x and the two scalars
    assert large < small
    torch.testing.assert_close(mod(x), actlab.create_activation("pvlu", impl="eager")(x))


def test_auto_is_transparent_under_torch_compile(monkeypatch, analytic_kernels):
    """Inside torch.compile, auto emits the eager expression (fusable), not the opaque op."""
    monkeypatch.setattr(dispatch, "AUTO_CPU_MIN_NUMEL", 0)
    graphs = []

    def backend(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    net = torch.nn.Sequential(torch.nn.Linear(4, 4), actlab.create_activation("pvlu"))
    torch.compile(net, backend=backend, fullgraph=True)(torch.randn(2, 4))
    targets = [str(n.target) for g in graphs for n in g.graph.nodes]
    assert not any("actlab" in t for t in targets)
    assert any("sin" in t for t in targets)


def test_fused_composes_with_torch_compile_without_graph_breaks(analytic_kernels):
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), actlab.create_activation("pvlu", impl="fused"))
    x = torch.randn(3, 4)
    compiled = torch.compile(net, backend="aot_eager", fullgraph=True)  # raises on a graph break
    out = compiled(x)
    out.sum().backward()
    torch.testing.assert_close(out, net(x))
    assert net[1].alpha.grad is not None


def test_fused_keeps_channels_last_and_autocast(analytic_kernels):
    mod = actlab.create_activation("pvlu", impl="fused", shape="channel", num_channels=3)
    x = torch.randn(2, 3, 4, 5).to(memory_format=torch.channels_last)
    assert mod(x).is_contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = mod(torch.nn.functional.linear(torch.randn(2, 5), torch.randn(3, 5)).view(2, 3))
    assert torch.isfinite(y).all()


def test_fused_errors_are_clear():
    with pytest.raises(ValueError, match="no fused implementation"):
        actlab.create_activation("abrelu", impl="fused")(torch.randn(4))
    with pytest.raises(ValueError, match="impl must be one of"):
        actlab.create_activation("pvlu", impl="fast")


def test_each_kernel_variant_has_its_own_code_object():
    """TorchDynamo's recompile budget is per code object: variants must not share one."""
    from actlab.fast.bindings import FUSED_OPS

    actlab.create_activation("gcu", impl="fused")(torch.randn(2))  # ensure the op exists
    op = FUSED_OPS["gcu"]
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
    from actlab.fast.fused import FusedOp

    calls = []
    original = FusedOp.__call__
    monkeypatch.setattr(FusedOp, "__call__", lambda self, *a: calls.append(self.spec.name) or original(self, *a))
    monkeypatch.setattr(dispatch, "AUTO_CPU_MIN_NUMEL", 0)
    x = torch.randn(32, 16)
    actlab.create_activation(name, **kw)(x)  # auto
    assert calls == []
    actlab.create_activation("pvlu")(x)  # auto, a spec that may use the fused path on CPU
    actlab.create_activation(name, impl="fused", **kw)(x)
    assert calls == ["pvlu", calls[1]] and calls[1].startswith(name)
