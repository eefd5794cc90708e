"""Tracing one module's own ``forward`` (its children kept as leaves) and rewriting it in place.

Functional activation calls (``F.relu(x)`` in a forward) and a module called at several places
can only be changed by editing the forward that makes them. actlab traces just that module
with ``torch.fx``, every child kept as an opaque leaf (so nothing below it needs to trace),
edits the graph, and sets the regenerated ``forward`` on the module *instance*: the model keeps
its class, methods and attributes, and the new activation modules are registered in that module
(they appear in its ``state_dict``, move with ``.to()``).
"""

from __future__ import annotations

import importlib
import inspect
import operator
import types
from collections.abc import Callable
from typing import Any

import torch
from torch import fx, nn

from ..activations.torch_table import module_for_call, torch_call
from ._census import GATE_BASES
from ._sites import UntraceableError, base_name, out_channels

__all__ = [
    "trace_owner", "call_nodes", "rewrite_forward", "RewrittenForward", "mode_independent", "graph_hints", "feeds_mul",
]


class _OwnTracer(fx.Tracer):
    """Traces the root's own forward only: every submodule is a leaf."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return True


def trace_owner(owner: nn.Module, path: str) -> fx.Graph:
    """The graph of ``owner.forward`` with its children as leaves; arguments defaulting to ``None``
    are traced as ``None`` (fx then asserts they are ``None`` at run time)."""
    sig = inspect.signature(owner.forward)
    concrete = {n: None for n, p in sig.parameters.items() if p.default is None}
    try:
        return _OwnTracer().trace(owner, concrete_args=concrete or None)
    except Exception as e:  # fx raises many types (TraceError, TypeError, RuntimeError...)
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise UntraceableError(
            f"torch.fx cannot trace the forward of {type(owner).__name__} at {path or '<root>'!r}: "
            f"{type(e).__name__}: {msg}. Its functional activation calls cannot be swapped; call activation "
            "modules there instead, or pass functional=False to swap modules only"
        ) from e


def mode_independent(owner: nn.Module, path: str) -> bool:
    """Whether the traced forward is the same in train and eval mode (no ``if self.training:``)."""
    mode = owner.training
    try:
        codes = []
        for flag in (True, False):
            owner.training = flag  # this module's own flag only: its children are leaves
            codes.append(trace_owner(owner, path).python_code(root_module="self").src)
    finally:
        owner.training = mode
    return codes[0] == codes[1]


def call_nodes(graph: fx.Graph) -> list[tuple[fx.Node, nn.Module, bool]]:
    """Activation calls of a graph: (node, the equivalent ``torch.nn`` module, in place?)."""
    out = []
    for node in graph.nodes:
        if node.op not in ("call_function", "call_method") or torch_call(node.target) is None:
            continue
        given = [*node.args[1:], *(v for k, v in node.kwargs.items() if k != "input")]
        if any(isinstance(v, fx.Node) for v in given):
            continue  # tensor-valued arguments: no module reproduces the call
        eq = module_for_call(node.target, tuple(node.args), dict(node.kwargs))
        if eq is not None:
            out.append((node, eq[0], eq[1]))
    return out


def node_input(node: fx.Node) -> fx.Node:
    """The tensor an activation call reads (its first argument or ``input=``)."""
    x = node.args[0] if node.args else node.kwargs["input"]
    assert isinstance(x, fx.Node), f"{node.format_node()} does not act on a traced tensor"
    return x


def input_reused(node: fx.Node) -> bool:
    """Whether an in-place call's input is read again after the call (swapping it would change that read)."""
    order = {n: i for i, n in enumerate(node.graph.nodes)}
    return any(order[u] > order[node] for u in node_input(node).users if u is not node)


def replace_with_module(graph: fx.Graph, node: fx.Node, target: str) -> None:
    """Replaces an activation node by a call of the module ``target`` (a child of the traced module)."""
    with graph.inserting_before(node):
        new = graph.call_module(target, (node_input(node) if node.op != "call_module" else node.args[0],))
    node.replace_all_uses_with(new)
    graph.erase_node(node)


def rewrite_forward(owner: nn.Module, graph: fx.Graph) -> None:
    """Binds the forward generated from ``graph`` to ``owner`` (this instance only, not its class)."""
    graph.lint()
    code = graph.python_code(root_module="self")
    owner.forward = RewrittenForward(owner, code.src, _globals_spec(code.globals))


class RewrittenForward:
    """``owner.forward`` after a rewrite: the code ``torch.fx`` generates for the edited graph.

    The code is what ``torch.fx.GraphModule`` itself generates and compiles; it reads submodules
    and parameters as ``self.<name>``, so called with ``owner`` it runs on the module's own state.
    It pickles (``torch.save(model)``, ``copy.deepcopy``) as its source and the names its globals
    refer to, and is compiled again when loaded.
    """

    def __init__(self, owner: nn.Module, src: str, spec: dict[str, tuple]) -> None:
        self.owner, self.src, self.spec = owner, src, spec
        namespace: dict[str, Any] = {name: _resolve(ref) for name, ref in spec.items()}
        # fx's own code generation, compiled as GraphModule.recompile() compiles it (no user input reaches it)
        exec(compile(src, f"<actlab rewrite of {type(owner).__name__}.forward>", "exec"), namespace)  # noqa: S102
        self.fn: Callable = namespace["forward"]
        sig = inspect.signature(self.fn)
        self.__signature__ = sig.replace(parameters=list(sig.parameters.values())[1:])  # without self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(self.owner, *args, **kwargs)

    def __reduce__(self) -> tuple:
        return (RewrittenForward, (self.owner, self.src, self.spec))

    def __repr__(self) -> str:
        return f"<forward of {type(self.owner).__name__} rewritten by actlab.swap_activations>"


def _globals_spec(namespace: dict[str, Any]) -> dict[str, tuple]:
    """The globals of generated code as picklable references: modules and importable objects by name."""
    spec: dict[str, tuple] = {}
    for name, value in namespace.items():
        if isinstance(value, types.ModuleType):
            spec[name] = ("module", value.__name__)
        elif _importable(value):
            spec[name] = ("object", value.__module__, value.__qualname__)
        else:
            spec[name] = ("value", value)  # a constant (inf, nan)
    return spec


def _importable(value: Any) -> bool:
    """Whether ``value`` is found again by its module and qualified name (a function, a class)."""
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return False
    try:
        return _resolve(("object", module, qualname)) is value
    except (ImportError, AttributeError):
        return False


def _resolve(ref: tuple) -> Any:
    if ref[0] == "module":
        return importlib.import_module(ref[1])
    if ref[0] == "object":
        obj: Any = importlib.import_module(ref[1])
        for part in ref[2].split("."):
            obj = getattr(obj, part)
        return obj
    return ref[1]


def graph_hints(node: fx.Node, children: dict[str, nn.Module]) -> list[tuple[int, int]]:
    """(channels, dim) of the nearest layer upstream of an activation call (breadth first)."""
    frontier, seen = [node], set()
    for _ in range(32):
        nxt = []
        for n in frontier:
            for a in n.all_input_nodes:
                if a in seen:
                    continue
                seen.add(a)
                if a.op == "call_module" and out_channels(children[str(a.target)]) is not None:
                    return [out_channels(children[str(a.target)])]  # type: ignore[list-item]
                nxt.append(a)
        if not nxt:
            break
        frontier = nxt
    return []


_VIEW_OPS = {"view", "reshape", "expand", "expand_as", "unsqueeze", "squeeze", "flatten", "contiguous",
             operator.getitem}
_MUL_OPS = {operator.mul, torch.mul, "mul", "mul_", operator.imul}


def feeds_mul(node: fx.Node, eq: nn.Module) -> bool:
    """Whether a sigmoid-like call's output (through views) multiplies another tensor in the traced forward."""
    if base_name(eq) not in GATE_BASES:
        return False
    todo = [node]
    while todo:
        n = todo.pop()
        for u in n.users:
            if u.target in _MUL_OPS:
                return True
            if u.target in _VIEW_OPS:
                todo.append(u)
    return False
