"""Where the activations of a model are: activation modules, traced activation calls, channel counts."""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn

from ..activations import Activation
from ..activations._registry import ACTIVATIONS, activation_class, canonical_activation_name
from ..activations.torch_table import (
    TORCH_ACTIVATION_CLASSES,
    is_torch_activation,
    module_for_call,
    torch_call,
    torch_module_row,
    zoo_equivalent,
)
from ..errors import UserError
from ..registry import normalize_name

__all__ = ["UntraceableError", "is_activation_module"]

Where = None | str | type | tuple | Callable[[str, nn.Module], bool]


class UntraceableError(UserError, ValueError):
    """``torch.fx`` cannot trace the model, so functional activation calls cannot be swapped."""


# ---------------------------------------------------------------------------------- classification
def _registered_classes() -> tuple[type, ...]:
    return tuple({ACTIVATIONS.get(n) for n in ACTIVATIONS})


def is_activation_module(m: nn.Module) -> bool:
    """Whether ``m`` is an activation: a ``torch.nn`` activation of the torch table
    (:mod:`actlab.activations.torch_table`), an actlab one, or a registered class."""
    return isinstance(m, (Activation, *TORCH_ACTIVATION_CLASSES, *_registered_classes()))


def keyword_defaults(cls: type[nn.Module]) -> dict[str, Any]:
    """Default values of the keyword-only hyperparameters of an activation class's constructor."""
    params = inspect.signature(cls.__init__).parameters.values()
    return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}


def base_name(m: nn.Module) -> str | None:
    """Registry name of the fixed function ``m`` computes, or ``None`` (PReLU, LeakyReLU(0.2), PVLU...).

    A ``torch.nn`` module has one when it equals its zoo activation (the torch table) at that
    activation's default hyperparameters and holds no trainable parameters; an actlab module when
    its parameters are at their documented initial values and its constants at their defaults.
    """
    if is_torch_activation(m):
        row, eq = torch_module_row(m), zoo_equivalent(m)
        if row is None or row.trainable or eq is None:
            return None
        name, kwargs = eq
        defaults = keyword_defaults(activation_class(name))
        return name if all(k in defaults and defaults[k] == v for k, v in kwargs.items()) else None
    info = getattr(m, "info", None)
    if not isinstance(m, Activation) or info is None:
        return None
    inits = {p.name: p.init for p in info.params}
    for name, value in m.param_values().items():  # only at its documented values is it "the" function
        if name not in inits or not torch.allclose(value.detach().double(), torch.tensor(inits[name]).double()):
            return None
    defaults = keyword_defaults(type(m))
    if any(c in defaults and getattr(m, c) != defaults[c] for c in type(m).consts):
        return None  # Softplus(threshold=5), RReLU(lower=0.1): another function than the row's
    return info.name


def same_name(a: str, b: str) -> bool:
    def canon(n: str) -> str:
        try:
            return canonical_activation_name(n)
        except ValueError:
            return normalize_name(n)

    return canon(a) == canon(b)


def out_channels(m: nn.Module) -> tuple[int, int] | None:
    """(channels, channel_dim) of the output of a conv / linear / norm layer, else ``None``."""
    if isinstance(m, nn.modules.conv._ConvNd):
        return m.out_channels, 1
    if isinstance(m, nn.Linear):
        return m.out_features, -1
    if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm)):
        return m.num_features, 1
    if isinstance(m, nn.GroupNorm):
        return m.num_channels, 1
    if isinstance(m, nn.LayerNorm):
        return int(m.normalized_shape[-1]), -1
    return None


def selector(where: Where) -> Callable[[str, nn.Module], bool]:
    if where is None:
        return lambda name, m: True
    if isinstance(where, str):
        return lambda name, m: fnmatch.fnmatchcase(name, where)
    if isinstance(where, type) or (isinstance(where, tuple) and all(isinstance(t, type) for t in where)):
        return lambda name, m: isinstance(m, where)
    if callable(where):
        return lambda name, m: bool(where(name, m))
    raise ValueError(
        f"where must be None, a module class (or tuple of classes), a glob over site names such as "
        f"'layer1.*', or a predicate fn(name, module) -> bool; got {where!r}"
    )


# ---------------------------------------------------------------------------------- tracing
class _ActTracer(fx.Tracer):
    """Keeps activation modules as leaves and remembers the module being traced when tracing fails."""

    def __init__(self) -> None:
        super().__init__()
        self.failed_at: tuple[str, str] | None = None

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return is_activation_module(m) or super().is_leaf_module(m, qualname)

    def call_module(self, m: nn.Module, forward: Callable, args: tuple, kwargs: dict) -> Any:
        try:
            return super().call_module(m, forward, args, kwargs)
        except Exception:
            if self.failed_at is None:
                self.failed_at = (self.path_of_module(m), type(m).__name__)
            raise


def trace(model: nn.Module) -> fx.GraphModule:
    tracer = _ActTracer()
    try:
        graph = tracer.trace(model)
    except Exception as e:  # fx raises many types (TraceError, TypeError, RuntimeError...)
        path, kind = tracer.failed_at or ("", type(model).__name__)
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise UntraceableError(
            f"torch.fx cannot trace {type(model).__name__} at module {path or '<root>'!r} ({kind}): "
            f"{type(e).__name__}: {msg}. Functional activation calls (torch.relu, F.gelu, x.tanh()...) can "
            "only be swapped in a traceable model; pass functional=False to swap activation modules only, "
            "or make that forward traceable (no Python control flow on tensor values)."
        ) from e
    gm = fx.GraphModule(tracer.root, graph, type(model).__name__)
    gm.training = model.training
    return gm


def mode_independent(model: nn.Module) -> bool:
    """Whether the traced graph is the same in train and eval mode (no ``if self.training:`` in forward)."""
    modes = {m: m.training for m in model.modules()}
    try:
        codes = []
        for mode in (True, False):
            model.train(mode)
            codes.append(trace(model).code)
    finally:
        for m, t in modes.items():
            m.training = t
    return codes[0] == codes[1]


# ---------------------------------------------------------------------------------- sites
@dataclass
class Site:
    name: str
    kind: str
    old: nn.Module
    node: fx.Node | None = None
    path: str = ""  # module path (module sites) or the scope of a call
    repeat: int = 0  # k-th extra call of a shared module
    inplace: bool = False


def _call_equivalent(node: fx.Node) -> tuple[nn.Module, bool] | None:
    """(equivalent torch.nn module, in-place?) for an activation call node (the torch table), else ``None``."""
    if node.op not in ("call_function", "call_method") or torch_call(node.target) is None:
        return None
    given = [*node.args[1:], *(v for k, v in node.kwargs.items() if k != "input")]
    if any(isinstance(v, fx.Node) for v in given):
        raise ValueError(f"activation call {node.format_node()} has tensor-valued arguments; it cannot be swapped")
    return module_for_call(node.target, tuple(node.args), dict(node.kwargs))


def graph_sites(gm: fx.GraphModule) -> list[Site]:
    modules = dict(gm.named_modules())
    sites: list[Site] = []
    uses: dict[str, int] = {}
    for node in gm.graph.nodes:
        if node.op == "call_module" and is_activation_module(modules[node.target]):
            k = uses[node.target] = uses.get(node.target, -1) + 1
            name = node.target + (f"[{k}]" if k else "")
            sites.append(Site(name, "module", modules[node.target], node, node.target, repeat=k))
            continue
        eq = _call_equivalent(node)
        if eq is None:
            continue
        row = torch_call(node.target)
        assert row is not None  # _call_equivalent found the call in the torch table
        if "training" not in row.args:  # a call runs in the model's mode (F.rrelu has its own)
            eq[0].train(gm.training)
        stack = node.meta.get("nn_module_stack") or {}
        scope = list(stack.values())[-1][0] if stack else ""
        op = row.path.rpartition(".")[2]  # F.logsigmoid is log_sigmoid: say logsigmoid
        base = f"{scope}.{op}()" if scope else f"{op}()"
        k = uses[base] = uses.get(base, -1) + 1
        kind = "method" if node.op == "call_method" else "function"
        sites.append(Site(base + (f"_{k}" if k else ""), kind, eq[0], node, scope, inplace=eq[1]))
    return sites


def module_sites(model: nn.Module) -> list[tuple[Site, tuple[int, int] | None]]:
    """Activation modules in registration order, each with the channels of the layer before it."""
    out: list[tuple[Site, tuple[int, int] | None]] = []
    last: tuple[int, int] | None = None
    for name, m in model.named_modules():
        if is_activation_module(m):
            if name == "":
                raise ValueError("the model itself is an activation; build the new activation directly instead")
            out.append((Site(name, "module", m, path=name), last))
        elif out_channels(m) is not None:
            last = out_channels(m)
    return out


def graph_channels(node: fx.Node, modules: dict[str, nn.Module]) -> tuple[int, int] | None:
    """(channels, channel_dim) of an activation call's input.

    The channel dimension comes from the nearest conv / linear / norm layer upstream (1 after
    conv and batch norm, -1 after linear and layer norm); the count from the propagated shape when
    an example input was given, else from that layer.
    """
    x = node.args[0] if node.args else node.kwargs.get("input")
    meta = x.meta.get("tensor_meta") if isinstance(x, fx.Node) else None
    shape = tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None
    layer, frontier, seen = None, [x], set()
    for _ in range(64):  # breadth-first upstream: the nearest layer wins (residual adds see the branch)
        nxt: list[fx.node.Argument] = []
        for arg in frontier:
            if not isinstance(arg, fx.Node) or arg in seen or arg.op == "placeholder":
                continue
            seen.add(arg)
            if arg.op == "call_module":
                assert isinstance(arg.target, str)  # fx: a call_module node's target is the submodule's path
                if out_channels(modules[arg.target]) is not None:
                    layer = out_channels(modules[arg.target])
                    break
            nxt += [a for a in (*arg.args, *arg.kwargs.values()) if isinstance(a, fx.Node)]
        if layer is not None or not nxt:
            break
        frontier = nxt
    if shape is not None and len(shape) >= 2:
        dim = layer[1] if layer is not None else (1 if len(shape) > 2 else -1)
        return int(shape[dim]), dim
    return layer
