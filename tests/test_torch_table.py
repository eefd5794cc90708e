"""The torch table (actlab.activations.torch_table) against torch, the registry and its two
consumers, surgery and AutoInit: every torch.nn activation is listed once, equals its zoo row,
and both consumers see exactly what the table lists."""

from __future__ import annotations

import inspect

import pytest
import torch
import torch.nn.functional as F
from torch import fx, nn

from actlab.activations import activation_class, activation_info, canonical_activation_name, create_activation
from actlab.activations import torch_table as T
from actlab.activations._registry import activation_arguments
from actlab.init import ops as O
from actlab.init import propagate as P
from actlab.init.propagate import Stat
from actlab.surgery import _sites as S
from actlab.surgery import is_activation_module
from actlab.surgery._trace import call_nodes

F64 = torch.float64
X = torch.linspace(-4.0, 4.0, 801, dtype=F64)  # hits the kinks (0, +-0.5, +-1, ...) exactly
X_SMOOTH = X + 2**-10 / 3  # misses them: gradients there are conventions (subgradients), not values
TOL = {F64: {"rtol": 1e-14, "atol": 1e-15}, torch.float32: {"rtol": 2e-7, "atol": 1e-7}}  # a few ulp
# some of torch's float64 backward kernels use float32 constants (CELU: 1 / alpha.toFloat() in
# derivatives.yaml; Hardsigmoid: 1/6), a relative 1e-8: float64 gradients agree to 1e-7 only
GRAD_TOL = {F64: {"rtol": 1e-7, "atol": 1e-12}, torch.float32: TOL[torch.float32]}

# non-default attribute values for every constructor argument a row reads (the defaults are tried too)
SAMPLE_ATTRS = {
    nn.LeakyReLU: {"negative_slope": 0.2},
    nn.RReLU: {"lower": 0.1, "upper": 0.3},
    nn.ELU: {"alpha": 1.5},
    nn.CELU: {"alpha": 0.7},
    nn.Softplus: {"beta": 2.0, "threshold": 5.0},
    nn.Hardtanh: {"min_val": -0.5, "max_val": 2.0},
    nn.Softshrink: {"lambd": 0.3},
    nn.Hardshrink: {"lambd": 0.3},
    nn.Threshold: {"threshold": 0.1, "value": 20.0},
    nn.PReLU: {"init": 0.1},
    nn.GELU: {"approximate": "tanh"},
}
REQUIRED = {nn.Threshold: {"threshold": 1.0, "value": 0.0}}  # nn.Threshold has no defaults


def torch_modules(row: T.TorchModule) -> list[nn.Module]:
    """Default-constructed and non-default instances of the row's class that match the row."""
    made = [row.cls(**REQUIRED.get(row.cls, {})), row.cls(**SAMPLE_ATTRS.get(row.cls, REQUIRED.get(row.cls, {})))]
    return [m for m in made if row.matches(m)]


def zoo_of(module: nn.Module) -> nn.Module:
    name, kwargs = T.zoo_equivalent(module)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(F64)  # parameters made in float64: 0.2 is not rounded to float32
    try:
        return create_activation(name, **kwargs).train(module.training)
    finally:
        torch.set_default_dtype(previous)


def module_rows() -> list[tuple[str, T.TorchModule]]:
    return [(f"{r.cls.__name__}-{r.name}", r) for r in T.TORCH_MODULES]


# ------------------------------------------------------------------------------ the table vs torch
def test_every_elementwise_torch_activation_is_listed():
    exported = {getattr(nn.modules.activation, n) for n in nn.modules.activation.__all__}
    listed = set(T.TORCH_ACTIVATION_CLASSES)
    missing = sorted(c.__name__ for c in exported - listed - set(T.NOT_ELEMENTWISE))
    assert not missing, f"torch.nn activations neither in the torch table nor excluded with a reason: {missing}"
    assert not listed & set(T.NOT_ELEMENTWISE), "a class is both listed and excluded"
    assert set(T.NOT_ELEMENTWISE) <= exported and all(T.NOT_ELEMENTWISE.values())
    assert listed <= exported


def _call_forms(cls: type) -> set[str]:
    """Every public torch / F / Tensor name spelling this class's function (leaky_relu_, hardtanh_...)."""
    key = cls.__name__.lower()
    out = set()
    for prefix, space in (("torch.nn.functional.", F), ("torch.", torch), ("torch.Tensor.", torch.Tensor)):
        out |= {prefix + n for n in dir(space) if not n.startswith("_") and n.rstrip("_").replace("_", "") == key}
    return out


def test_every_call_form_is_listed():
    paths = {c.path for c in T.TORCH_CALLS}
    assert len(paths) == len(T.TORCH_CALLS), "a call is listed twice"
    for cls in (*T.TORCH_ACTIVATION_CLASSES, nn.GLU):
        missing = sorted(_call_forms(cls) - paths - set(T.EXCLUDED_CALLS))
        assert not missing, f"call forms of {cls.__name__} neither in TORCH_CALLS nor EXCLUDED_CALLS: {missing}"
    assert not paths & set(T.EXCLUDED_CALLS)
    for call in T.TORCH_CALLS:
        assert call.module in T.TORCH_ACTIVATION_CLASSES, call.path
        assert call.inplace == call.path.endswith("_"), f"{call.path}: inplace flag disagrees with its name"


def _declared_args(call: T.TorchCall) -> tuple[str, ...] | None:
    """Argument names after the input, from the Python signature or a builtin's docstring line."""
    try:
        names = list(inspect.signature(call.fn).parameters)[1:]
    except (TypeError, ValueError):  # a builtin: its docstring starts "name(input, a=1, b=2) -> Tensor"
        lines = (call.fn.__doc__ or "").strip().splitlines()
        if not lines or "(" not in lines[0]:
            return None
        names = [p.split("=")[0].strip() for p in lines[0].split("(", 1)[1].split(")", 1)[0].split(",")]
        names = names[1:] if call.kind == "function" else names  # methods have no input argument
    names = [n for n in names if n]
    return tuple(names[: names.index("*")] if "*" in names else names)


@pytest.mark.parametrize("call", T.TORCH_CALLS, ids=lambda c: c.path)
def test_call_argument_names_are_torchs(call):
    """The declared names are the call's own (as far as torch documents them) and the module's."""
    declared = _declared_args(call)
    if declared is not None:  # docstrings may leave trailing arguments out (generator)
        assert call.args[: len(declared)] == declared, f"{call.path}: torch says {declared}"
    module_args = set(inspect.signature(call.module.__init__).parameters) - {"self"}
    assert set(call.args) - {"inplace", "training", "generator"} <= module_args


# ------------------------------------------------------------------------------ the table vs the registry
@pytest.mark.parametrize("row", [r for _, r in module_rows()], ids=[i for i, _ in module_rows()])
def test_row_names_a_registered_activation_and_its_arguments(row):
    assert canonical_activation_name(row.name) == row.name
    valid = activation_arguments(activation_class(row.name))
    assert set(row.args) <= set(valid), f"{row.name} does not take {sorted(set(row.args) - set(valid))}"
    for attr in row.args.values():
        assert all(hasattr(m, attr) for m in torch_modules(row))


@pytest.mark.parametrize("row", [r for _, r in module_rows()], ids=[i for i, _ in module_rows()])
def test_torch_module_equals_its_zoo_activation(row):
    """Values (kinks included) and input gradients (off the kinks) agree to a few ulp, in float64 and
    float32, at default and other attributes; RReLU in training mode under the same seed too."""
    for mod in torch_modules(row):
        assert T.torch_module_row(mod) is row
        for train in ((False, True) if row.cls is nn.RReLU else (False,)):
            for dtype in (F64, torch.float32):
                tm, zoo = mod.to(dtype).train(train), zoo_of(mod).to(dtype).train(train)
                for grid in (X, X_SMOOTH):
                    x1, x2 = (grid.to(dtype).clone().requires_grad_(True) for _ in range(2))
                    torch.manual_seed(3)
                    a = tm(x1)
                    torch.manual_seed(3)
                    b = zoo(x2)
                    torch.testing.assert_close(b, a, **TOL[dtype], msg=f"{mod} train={train} {dtype}")
                    if grid is X_SMOOTH:
                        tol = GRAD_TOL[dtype]
                        a.sum().backward()
                        b.sum().backward()
                        torch.testing.assert_close(x2.grad, x1.grad, **tol, msg=f"gradient of {mod}")


def test_relu6_prefers_its_own_row_and_falls_back_to_hardtanh():
    m = nn.ReLU6()
    assert T.zoo_equivalent(m) == ("relu6", {})
    m.max_val = 3.0  # no longer ReLU6: the Hardtanh row reads its bounds
    assert T.zoo_equivalent(m) == ("hardtanh", {"min_val": 0.0, "max_val": 3.0})
    assert T.zoo_equivalent(nn.PReLU(4)) is None  # per-channel slopes have no keyword form
    assert T.zoo_equivalent(nn.Identity()) is None and T.torch_module_row(nn.Softmax(1)) is None


# ------------------------------------------------------------------------------ calls
SAMPLE_ARGS = {"negative_slope": 0.2, "alpha": 1.5, "lower": 0.1, "upper": 0.3, "beta": 2.0, "threshold": 0.1,
               "value": 20.0, "min_val": -0.5, "max_val": 2.0, "lambd": 0.3, "approximate": "tanh"}


def _call_kwargs(call: T.TorchCall) -> dict:
    """Non-default values for the call's arguments (by keyword: F.gelu's approximate is keyword-only)."""
    return {a: SAMPLE_ARGS[a] for a in call.args if a not in ("inplace", "training", "generator")}


@pytest.mark.parametrize("call", T.TORCH_CALLS, ids=lambda c: c.path)
def test_call_equals_its_module(call):
    kw = _call_kwargs(call)
    module, inplace = T.module_for_call(call.target, (None,), kw)
    assert isinstance(module, call.module) and inplace == call.inplace
    assert T.module_for_call(call.target, (None, *kw.values()), {})[0].extra_repr() == module.extra_repr()
    x = X.clone()
    want = module(X.clone())
    got = call.fn(x, **kw)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    if call.inplace:
        assert torch.equal(x, want), f"{call.path} is listed in place but left its input unchanged"
    else:
        assert torch.equal(x, X), f"{call.path} is listed out of place but changed its input"


def test_module_for_call_reads_keywords_modes_and_refuses_generators():
    m, inplace = T.module_for_call(F.leaky_relu, (None,), {"negative_slope": 0.3, "inplace": True})
    assert m.negative_slope == 0.3 and inplace
    m, _ = T.module_for_call(F.rrelu, (None, 0.1, 0.2), {})
    assert isinstance(m, nn.RReLU) and not m.training  # F.rrelu's training defaults to False
    m, _ = T.module_for_call(F.rrelu, (None,), {"training": True})
    assert m.training
    assert T.module_for_call("hardshrink", (None, 0.2), {})[0].lambd == 0.2
    assert T.module_for_call(torch.add, (None, 1.0), {}) is None
    with pytest.raises(ValueError, match="generator"):
        T.module_for_call(torch.rrelu, (None,), {"generator": torch.Generator()})
    with pytest.raises(TypeError, match="unknown"):
        T.module_for_call(F.relu, (None,), {"slope": 1.0})


# ------------------------------------------------------------------------------ the consumers
@pytest.mark.parametrize("cls", T.TORCH_ACTIVATION_CLASSES, ids=lambda c: c.__name__)
def test_surgery_and_autoinit_see_every_listed_module(cls):
    m = cls(**REQUIRED.get(cls, {}))
    assert is_activation_module(m) and P.is_activation(m)
    stat = O.module_rule(m, Stat(0.0, 1.0), torch.zeros(2, 3), torch.zeros(2, 3))
    assert stat is not None and stat.var > 0


def test_consumers_see_nothing_outside_the_table():
    for cls in T.NOT_ELEMENTWISE:
        if cls is nn.MultiheadAttention:
            continue
        m = cls(dim=1) if cls in (nn.Softmax, nn.Softmin, nn.LogSoftmax) else cls()
        assert not is_activation_module(m) and not P.is_activation(m)


@pytest.mark.parametrize("call", T.TORCH_CALLS, ids=lambda c: c.path)
def test_surgery_and_autoinit_see_every_listed_call(call):
    """A traced call is a surgery site with the right module, and AutoInit has a rule for it."""
    kw = _call_kwargs(call)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            y = self.fc(x)
            out = getattr(y, call.target)(**kw) if call.kind == "method" else call.fn(y, **kw)
            return out * 1.0

    gm = fx.symbolic_trace(Net())
    sites = call_nodes(gm.graph)  # surgery's search of a traced forward
    assert len(sites) == 1, f"{call.path}: {[n.format_node() for n, _, _ in sites]}"
    node, old, inplace = sites[0]
    assert isinstance(old, call.module) and inplace == call.inplace
    x = torch.randn(4, 3, dtype=F64)
    stat = O.function_rule(node.target, (x,), kw, (Stat(0.0, 1.0),), call.fn(x.clone(), **kw), 0)
    assert stat is not None and stat.var > 0


def test_surgery_base_names_come_from_the_zoo_defaults():
    assert S.base_name(nn.LeakyReLU()) == "leaky_relu" and S.base_name(nn.LeakyReLU(0.2)) is None
    assert S.base_name(nn.GELU(approximate="tanh")) == "gelu_tanh"
    assert S.base_name(nn.Softplus(beta=2.0)) is None and S.base_name(nn.Softplus()) == "softplus"
    assert S.base_name(nn.RReLU()) == "rrelu" and S.base_name(nn.Threshold(1.0, 0.0)) == "threshold"
    assert S.base_name(nn.PReLU()) is None  # trainable: never a fixed function
    assert S.base_name(create_activation("rrelu", lower=0.1)) is None


@pytest.mark.parametrize("row", [r for _, r in module_rows()], ids=[i for i, _ in module_rows()])
def test_autoinit_monotonicity_is_the_zoo_rows(row):
    m = torch_modules(row)[0]
    assert P._monotone(m) == activation_info(row.name).monotonic


def test_autoinit_monotonicity_follows_the_current_parameters():
    assert not P._monotone(nn.LeakyReLU(-0.1)) and not P._monotone(nn.Threshold(0.1, 20.0))
    assert P._monotone(nn.Threshold(0.5, -1.0)) and P._monotone(nn.Hardshrink(2.0))
    prelu = create_activation("prelu")
    with torch.no_grad():
        prelu.alpha.fill_(-0.5)
    assert not P._monotone(prelu)
