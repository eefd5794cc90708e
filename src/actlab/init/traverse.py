"""AutoInit's two ways through a model, both in execution order on the seeded batch, each
handing every weighted layer to :class:`~actlab.init.run.Run` before its output is used.

* :func:`fx_pass`: a ``torch.fx`` graph (activations and torch.nn layers are leaves) evaluated node
  by node; every node's output moments come from the table of :mod:`actlab.init.ops`.
* :func:`hook_pass`: where tracing fails, forward hooks on leaf modules. Functional operations
  between modules are invisible, so the input moments of a module fed by one are *measured*
  (``autoinit-measured`` in the report); modules called more than once are initialized on their
  first call.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx, nn

from . import mha
from . import propagate as P
from .layers import is_weighted
from .ops import function_rule, is_elementwise, is_named_norm, module_rule, op_name
from .propagate import Stat, measured_stat
from .run import Run

__all__ = ["Tracer", "fx_pass", "hook_pass", "tensors_of"]


def tensors_of(v: Any) -> list[torch.Tensor]:
    """The tensors of an output: itself, or those of a tuple/list (``None`` entries skipped)."""
    if isinstance(v, torch.Tensor):
        return [v]
    if isinstance(v, (tuple, list)):
        return [t for t in v if isinstance(t, torch.Tensor)]
    return []


def _constant(out: Any) -> Stat | None:
    """The moments of a value computed without the input (a mask, a positional table), as it is."""
    return measured_stat(out, False) if isinstance(out, torch.Tensor) and out.is_floating_point() else None


def _first_tensor(v: Any) -> torch.Tensor:
    return tensors_of(v)[0]


_SHAPE_ATTRS = {"shape", "dtype", "device", "ndim", "is_cuda"}


def _shape_query(n: fx.Node) -> bool:
    """Whether a node reads only the input's shape/dtype (``x.shape[1]``, ``x.size(0)``), not its values."""
    if n.op == "call_method":
        return n.target in ("size", "dim", "numel")
    return n.op == "call_function" and op_name(n.target) == "getattr" and len(n.args) > 1 and n.args[1] in _SHAPE_ATTRS


class Tracer(fx.Tracer):
    """Leaves: activations, weighted layers, torch.nn modules, third-party norms named ``*Norm``
    (:func:`~actlab.init.ops.is_named_norm`) and parameter-free elementwise modules."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return (
            P.is_activation(m) or is_weighted(m) or super().is_leaf_module(m, qualname) or is_named_norm(m)
            or is_elementwise(m)
        )  # fmt: skip


class _Propagator(fx.Interpreter):
    def __init__(self, gm: fx.GraphModule, run: Run, input_stat: Stat) -> None:
        super().__init__(gm)
        self.run_, self.input_stat = run, input_stat
        self.stats: dict[fx.Node, Any] = {}
        self.live: set[fx.Node] = set()  # nodes that depend on the input (the others are constants)
        for node in gm.graph.nodes:
            if node.op == "placeholder" or (
                not _shape_query(node) and any(a in self.live for a in node.all_input_nodes)
            ):
                self.live.add(node)

    def _submodule(self, n: fx.Node) -> nn.Module:
        assert isinstance(n.target, str)  # a call_module node's target is the module's path
        return self.module.get_submodule(n.target)

    def _input(self, n: fx.Node) -> Any:
        arg = n.args[0]
        assert isinstance(arg, fx.Node)  # a module called on a traced value
        return self.env[arg]

    def run_node(self, n: fx.Node) -> Any:
        sargs: Any = fx.node.map_arg(n.args, lambda a: self.stats.get(a))
        if n.op == "call_module":
            m = self._submodule(n)
            if isinstance(m, nn.MultiheadAttention) and n in self.live:  # four weighted layers inside
                args, kwargs = self.fetch_args_kwargs_from_env(n)
                self.stats[n] = mha.initialize(self.run_, self.run_.names[m], m, tuple(args), dict(kwargs), sargs)
                return super().run_node(n)
            if is_weighted(m):
                x = self._input(n)
                users = [u for u in n.users if u.op == "call_module"]
                norm = len(users) == len(n.users) > 0 and all(
                    isinstance(self._submodule(u), P.BATCH_NORMS) for u in users
                )
                self.stats[n] = self.run_.weighted(m, sargs[0], x, before_norm=norm)
                return super().run_node(n)
        out = super().run_node(n)
        if n.op == "placeholder":
            self.stats[n] = self.input_stat
        elif n.op == "get_attr":  # a parameter or buffer (class token, positional embedding): its own moments
            self.stats[n] = measured_stat(out, False) if isinstance(out, torch.Tensor) and out.numel() > 0 else None
        elif n.op == "call_module" and n not in self.live:  # e.g. a position embedding of torch.arange ids
            self.stats[n] = _constant(out)
        elif n.op == "call_module":
            m = self._submodule(n)
            a = sargs[0] if sargs and isinstance(sargs[0], Stat) else None
            s = module_rule(m, a, self._input(n), out, self.run_.seed) if a is not None else None
            if s is None and tensors_of(out):
                s = self.run_.unsupported(f"module {n.target!r} ({type(m).__name__})", _first_tensor(out))
            self.stats[n] = s
        elif n.op in ("call_function", "call_method"):
            args, kwargs = self.fetch_args_kwargs_from_env(n)
            s = None
            if n not in self.live:  # computed from parameters and constants only (masks, position biases)
                s = _constant(out)
            elif any(t.is_floating_point() for t in tensors_of(out)):
                s = function_rule(n.target, args, kwargs, sargs, out, self.run_.seed)
                if s is None:
                    s = self.run_.unsupported(f"operation {op_name(n.target)!r} (node {n.name})", _first_tensor(out))
            self.stats[n] = s
        return out


def fx_pass(gm: fx.GraphModule, batch: torch.Tensor, run: Run, input_stat: Stat) -> None:
    _Propagator(gm, run, input_stat).run(batch)


def hook_pass(model: nn.Module, batch: torch.Tensor, run: Run, input_stat: Stat) -> None:
    known: dict[int, tuple[torch.Tensor, Stat]] = {id(batch): (batch, input_stat)}
    units = []

    def walk(mod: nn.Module) -> None:
        for child in mod.children():
            kids = list(child.children())
            if is_weighted(child) or P.is_activation(child) or not kids:
                units.append(child)
            else:
                walk(child)

    walk(model)
    pending: dict[nn.Module, tuple[Stat, torch.Tensor]] = {}

    def lookup(x: torch.Tensor) -> tuple[Stat, bool]:
        hit = known.get(id(x))
        if hit is not None and hit[0] is x:
            return hit[1], True
        return measured_stat(x, False), False

    def pre(m: nn.Module, args: tuple, kwargs: dict) -> None:
        x = next((a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)), None)
        if x is None:
            return
        a, ok = lookup(x)
        pending[m] = (a, x)
        if is_weighted(m):
            pending[m] = (run.weighted(m, a, x, input_known=ok, before_norm=run.center == "auto"), x)

    def post(m: nn.Module, args: tuple, kwargs: dict, out: Any) -> None:
        if m not in pending or not tensors_of(out):
            return
        a, x = pending.pop(m)
        y = _first_tensor(out)
        s = a if is_weighted(m) else module_rule(m, a, x, y, run.seed) if x.is_floating_point() or isinstance(
            m, nn.Embedding
        ) else None
        if s is None:
            s = run.unsupported(f"module {run.names[m]!r} ({type(m).__name__})", y)
        known[id(y)] = (y, s)

    handles = [u.register_forward_pre_hook(pre, with_kwargs=True) for u in units]
    handles += [u.register_forward_hook(post, with_kwargs=True) for u in units]
    try:
        model(batch)
    finally:
        for h in handles:
            h.remove()
