"""The fused gated units equal their eager ``act(a) * b``: bit for bit with the kernels run as tensor
ops, within a stated bound through TorchInductor; only the input and the parameters are saved.

Shapes are odd and non-contiguous (sliced and transposed views; the split dim has 2 x odd
channels). The math runs with ``set_compile_kernels(False)`` (the same forward and
vector-Jacobian product as the compiled kernels, as eager tensor ops): values, input gradient
and every parameter gradient are compared with ``torch.equal`` in float32.

Inductor's C++ kernels are not bit-exact against ATen's eager kernels: its vectorised
exp/erf/tanh and its decompositions (silu -> x sigmoid(x), the GELU backward) round
differently, and it sums the parameter gradients in another order. Near the zeros of a
gradient the relative (ulp) difference is unbounded, so the bound is stated against each
tensor's largest magnitude, ``|fused - eager| <= K eps max|eager|`` (eps = 2^-23), measured on
these inputs and on 6 x 42 x 123 x 431 views (CPU, torch 2.13):

* output and input gradient: K = 16; the largest seen is 6 (the tanh-GELU input gradient),
  most are 0-2, and ReGLU and the bilinear unit are bit-exact;
* parameter gradients (sums over the tensor): K = 128; the largest seen is 68 (LAAF's slope,
  a sum of 13 M terms with cancellation), most are below 15.
"""

from __future__ import annotations

import pytest
import torch

import actlab
from actlab.activations import _policy, activation_info, fused_op_for, has_fused, set_compile_kernels
from actlab.memory import saved_bytes

COMPILED_EPS = 16  # output and input gradient
COMPILED_PARAM_EPS = 128  # parameter gradients (reductions)
UNITS = ["glu", "bilinear", "reglu", "geglu", "geglu_tanh", "swiglu", "swiglu_oai"]
# gates with parameters (per channel and scalar), a composite formula and a composed one (LAAF)
GATED = [("pvlu-glu", "channel"), ("pvlu-glu", "scalar"), ("gcu-glu", "scalar"), ("swish-glu", "channel"),
         ("laaf-glu", "scalar"), ("pau-glu", "channel")]
SPLITS = ["concat", "interleave"]


@pytest.fixture
def analytic_kernels():
    prev = set_compile_kernels(False)
    yield
    set_compile_kernels(prev)


def inputs(big: bool = False, seed: int = 0) -> list[tuple[torch.Tensor, int]]:
    """Non-contiguous views with (input, dim): the split dim holds 2 x odd channels."""
    g = torch.Generator().manual_seed(seed)
    shape = (6, 42, 123, 431) if big else (3, 5, 7, 11)
    base = torch.randn(*shape, generator=g) * 3
    sliced = base[..., 1:]  # last dim 2 x odd (430 or 10), stride 431 / 11
    out = [(sliced.transpose(1, 2), -1), (sliced.transpose(1, 3), 1)]  # (.., C) and (B, C, ..) layouts
    assert not any(x.is_contiguous() for x, _ in out)
    return out


def pair(name, shape="scalar", **kw):
    c = kw.pop("channels", None)
    extra = {"shape": "channel", "num_channels": c} if shape == "channel" else {}
    eager = actlab.create_activation(name, impl="eager", **extra, **kw)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():  # parameters off their init so zero-valued terms cannot hide errors
        for p in eager.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))
    fused = actlab.create_activation(name, impl="fused", **extra, **kw)
    fused.load_state_dict(eager.state_dict())
    return eager, fused


def run(mod, x, g):
    x = x.detach().clone().requires_grad_(True)
    for p in mod.parameters():
        p.grad = None
    y = mod(x)
    y.backward(g)
    return [y.detach(), x.grad, *[p.grad for p in mod.parameters()]]


def compare(eager, fused, x, exact: bool) -> list[float]:
    """Asserts fused == eager (or within the compiled bound); returns |d| / (eps max|eager|) per tensor."""
    with torch.no_grad():
        g = torch.randn(eager(x).shape, generator=torch.Generator().manual_seed(2))
    want, got = run(eager, x, g), run(fused, x, g)
    assert len(want) == len(got)
    eps = torch.finfo(torch.float32).eps
    errs = []
    for i, (w, f) in enumerate(zip(want, got, strict=True)):
        assert f.shape == w.shape and f.dtype == w.dtype
        scale = w.abs().max().item()
        errs.append((f - w).abs().max().item() / (eps * max(scale, 1e-30)))
        if exact:
            assert torch.equal(f, w), f"tensor {i} (0: output, 1: input grad, then parameters) differs"
        else:
            k = COMPILED_EPS if i < 2 else COMPILED_PARAM_EPS
            torch.testing.assert_close(f, w, rtol=0, atol=k * eps * scale, msg=f"tensor {i}")
    return errs


# ---------------------------------------------------------------------------------- bit for bit
@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("name", UNITS)
def test_fused_equals_eager_bit_for_bit(name, split, analytic_kernels):
    for x, dim in inputs():
        for gate_first in (True, False):
            eager, fused = pair(name, split=split, dim=dim, gate_first=gate_first)
            compare(eager, fused, x, exact=True)


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("name,shape", GATED)
def test_fused_equals_eager_bit_for_bit_with_gate_parameters(name, shape, split, analytic_kernels):
    for x, dim in inputs():
        eager, fused = pair(name, shape, channels=x.shape[dim], split=split, dim=dim)
        assert has_fused(fused)
        compare(eager, fused, x, exact=True)


def _every_gate(splits_per_gate: int) -> None:
    gates = [n for n in actlab.list_activations() if activation_info(n).elementwise]
    (x, dim), _ = inputs()
    for i, gate in enumerate(gates):
        for split in (SPLITS if splits_per_gate == 2 else [SPLITS[i % 2]]):
            eager, fused = pair(f"{gate}-glu", split=split, dim=dim)
            eager.eval(), fused.eval()  # rrelu's formula is its eval-mode one
            assert has_fused(fused), gate
            compare(eager, fused, x, exact=True)


def test_every_zoo_gate_bit_for_bit(analytic_kernels):
    """Any elementwise zoo activation gates, fused exactly; gates alternate between the layouts here
    (each gate in both: ``-m slow``)."""
    _every_gate(1)


@pytest.mark.slow
def test_every_zoo_gate_bit_for_bit_both_layouts(analytic_kernels):
    _every_gate(2)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_inputs_are_computed_in_float32(dtype, analytic_kernels):
    x = (inputs()[0][0] / 3).to(dtype)
    eager, fused = pair("pvlu-glu", "channel", channels=x.shape[-1])
    g = torch.randn(x.shape[:-1] + (x.shape[-1] // 2,)).to(dtype)
    want, got = run(eager, x, g), run(fused, x, g)
    assert got[0].dtype == dtype and got[1].dtype == dtype and got[2].dtype == torch.float32
    for w, f in zip(want, got, strict=True):
        assert torch.equal(f, w)


@pytest.mark.slow
@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("name", UNITS + [n for n, _ in GATED])
def test_fused_equals_eager_bit_for_bit_big(name, split, analytic_kernels):
    for x, dim in inputs(big=True):
        eager, fused = pair(name, split=split, dim=dim)
        compare(eager, fused, x, exact=True)


# ---------------------------------------------------------------------------------- compiled
def _compiled(name, shape, split, big=False):
    worst = []
    for x, dim in inputs(big):
        channels = x.shape[dim]
        eager, fused = pair(name, shape, channels=channels, split=split, dim=dim)
        worst.append(max(compare(eager, fused, x, exact=False)))
        assert fused_op_for(fused, x).compiled_ready("cpu")
    return max(worst)


@pytest.mark.parametrize("name,shape,split", [("swiglu", "scalar", "concat"), ("swiglu_oai", "scalar", "interleave")])
def test_compiled_kernels_within_the_stated_bound(name, shape, split):
    _compiled(name, shape, split)


@pytest.mark.slow
@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("name,shape", [(n, "scalar") for n in UNITS] + GATED)
def test_compiled_kernels_within_the_stated_bound_all(name, shape, split):
    _compiled(name, shape, split, big=name in ("swiglu", "geglu", "swiglu_oai"))


# ---------------------------------------------------------------------------------- memory, policy
@pytest.mark.parametrize("name", ["swiglu", "geglu", "reglu", "swiglu_oai", "pvlu-glu"])
def test_fused_saves_only_the_input_and_parameters(name, analytic_kernels):
    eager, fused = pair(name, "channel" if name == "pvlu-glu" else "scalar", channels=256)
    x = torch.randn(64, 256, requires_grad=True)
    params = sum(p.numel() * p.element_size() for p in fused.parameters())
    fused_bytes = saved_bytes(lambda: fused(x))
    assert fused_bytes <= x.numel() * x.element_size() + params + 256
    assert fused_bytes < saved_bytes(lambda: eager(x))


def test_auto_policy(monkeypatch, analytic_kernels):
    calls = []
    monkeypatch.setattr(actlab.activations.FusedOp, "compiled_ready", lambda self, dev: False)
    original = actlab.activations.FusedOp.__call__
    record = lambda self, *a: calls.append(self.name) or original(self, *a)  # noqa: E731
    monkeypatch.setattr(actlab.activations.FusedOp, "__call__", record)
    x = torch.randn(8, 16)
    actlab.create_activation("swiglu")(x)  # small CPU input: eager
    assert calls == []
    monkeypatch.setattr(_policy, "AUTO_CPU_MIN_NUMEL", 0)
    actlab.create_activation("bilinear")(x)  # a * b is one kernel already: eager
    assert calls == []
    actlab.create_activation("swiglu")(x)  # composite: fused
    assert len(calls) == 1 and "silu" in calls[0]


def test_fused_errors_and_module_gates(analytic_kernels):
    m = actlab.create_activation("rrelu-glu", impl="fused")  # random in training: no formula
    with pytest.raises(ValueError, match="no fused implementation: it has no formula"):
        m(torch.randn(4, 6))
    m.eval()
    x = torch.randn(4, 6)
    a, b = x.chunk(2, -1)
    torch.testing.assert_close(m(x), torch.nn.functional.rrelu(a, training=False) * b)
    y = actlab.create_activation("rrelu-glu", impl="auto")(x)  # training mode: the gate module runs
    assert y.shape == (4, 3)
    with pytest.raises(ValueError, match="not elementwise"):
        actlab.create_activation("and_il", impl="fused")(torch.randn(4, 6))


def test_fused_composes_with_torch_compile_and_keeps_layouts(analytic_kernels):
    net = torch.nn.Sequential(torch.nn.Linear(4, 10), actlab.create_activation("pvlu-glu", impl="fused",
                                                                               shape="channel", num_channels=10))
    x = torch.randn(3, 4)
    out = torch.compile(net, backend="aot_eager", fullgraph=True)(x)  # raises on a graph break / bad fake
    out.sum().backward()
    torch.testing.assert_close(out, net(x))
    assert out.shape == (3, 5) and net[1].gate.alpha.grad is not None
    for name in ("swiglu", "swiglu_oai"):
        e, f = pair(name, dim=1)
        xc = torch.randn(2, 6, 3, 5).to(memory_format=torch.channels_last)
        ye, yf = e(xc), f(xc)
        assert yf.stride() == ye.stride() and torch.equal(yf, ye)
