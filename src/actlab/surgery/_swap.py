"""swap_activations: replace the activations of an existing model, optionally warm-started."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn

from ..activations import Activation, ActSite, build_act
from ..activations._base import Identity
from ..activations.torch_table import zoo_equivalent
from ._sites import (
    Site,
    UntraceableError,
    Where,
    base_name,
    graph_channels,
    graph_sites,
    mode_independent,
    module_sites,
    same_name,
    selector,
    trace,
)

__all__ = ["SwapSite", "SwapReport", "swap_activations"]


@dataclass(frozen=True)
class SwapSite:
    """One replaced activation.

    Args:
        name: site name: the module path (``"layer1.0.relu"``) for modules, ``"<module path>.<op>()"``
            for functional calls (``"layer1.0.relu()"``); a module called at several places gets
            ``"[k]"`` appended for its k-th extra call, a repeated call ``"_k"``.
        kind: ``"module"``, ``"function"`` or ``"method"``.
        old: repr of the replaced module (of the equivalent ``torch.nn`` module for calls).
        new: repr of the new module.
        num_channels: channel count given to the new module (``None`` where unknown).
        path: where the new module lives in ``report.model``.
        warm_started: whether its parameters were set to reproduce the old activation.
    """

    name: str
    kind: str
    old: str
    new: str
    num_channels: int | None
    path: str
    warm_started: bool = False


@dataclass
class SwapReport:
    """What :func:`swap_activations` changed.

    Attributes:
        model: the swapped model; continue with this one (see :func:`swap_activations`).
        sites: every replaced site, in forward order (module registration order when not traced).
        trace_error: why ``torch.fx`` could not trace the model (``functional="auto"`` only), else ``None``.
    """

    model: nn.Module
    sites: list[SwapSite]
    trace_error: str | None = None

    def __len__(self) -> int:
        return len(self.sites)

    def __str__(self) -> str:
        lines = [f"swapped {len(self.sites)} activation site(s)"]
        lines += [f"  {s.name} [{s.kind}]: {s.old} -> {s.new} (channels {s.num_channels})" for s in self.sites]
        if self.trace_error:
            lines.append(f"  functional calls not searched: {self.trace_error}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------- warm start
def _warm_start(new: nn.Module, old: nn.Module, site: str) -> None:
    """Sets ``new``'s parameters from ``ActivationInfo.warm_start`` so that ``new(x) == old(x)``."""
    base = base_name(old)
    if base is None and _same_function(new, old):
        _check_equal(new, old, site)  # e.g. nn.Softshrink(0.3) -> create_activation("softshrink", lambd=0.3)
        return
    if base is None:
        raise ValueError(
            f"site {site!r}: warm_start=True needs the old activation to be a fixed registered function, but "
            f"{old!r} is not (it is trainable or has non-default parameters); use warm_start=False"
        )
    info = getattr(new, "info", None)
    table = info.warm_start if isinstance(new, Activation) and info is not None else {}
    values = next((v for k, v in table.items() if same_name(k, base)), None)
    if values is None:
        new_base = base_name(new)
        if new_base is not None and same_name(new_base, base):
            return  # the same fixed function: nothing to initialize
        raise ValueError(
            f"site {site!r}: no parameter values make {type(new).__name__} equal {base!r} (its warm starts: "
            f"{sorted(table) or 'none'}); choose an activation whose ActivationInfo.warm_start lists {base!r} "
            "(e.g. 'pvlu' for relu) or pass warm_start=False"
        )
    assert isinstance(new, Activation)  # only an Activation has a warm_start table to take values from
    with torch.no_grad():
        for pname, value in values.items():
            if pname not in new._constraints:
                raise ValueError(f"{type(new).__name__} has no parameter {pname!r} named in its warm_start row")
            c = new._constraints[pname]
            getattr(new, pname if isinstance(c, Identity) else f"{pname}_raw").fill_(c.to_raw(value))
    _check_equal(new, old, site)


def _same_function(new: nn.Module, old: nn.Module) -> bool:
    """Whether ``new`` is the zoo activation a ``torch.nn`` module ``old`` equals (the torch table), with
    the same hyperparameters (read from ``old``), so there is nothing to initialize."""
    eq = zoo_equivalent(old)
    info = getattr(new, "info", None)
    if eq is None or not isinstance(new, Activation) or info is None or not same_name(eq[0], info.name):
        return False
    for key, want in eq[1].items():
        have: object  # a number when it can match; checked below
        if key in new._constraints:
            value = new.value(key).detach()
            if value.numel() != 1:
                return False
            have = float(value.reshape(()))
        else:
            have = getattr(new, key, None)
        if not isinstance(have, (int, float)) or not math.isclose(have, want, rel_tol=1e-6, abs_tol=1e-12):
            return False
    return True


def _check_equal(new: nn.Module, old: nn.Module, site: str) -> None:
    """Guards against a wrong warm_start row: compares both functions on a probe grid, in eval mode
    (where a random activation such as RReLU is a fixed function)."""
    ref = next(iter(new.parameters()), None)
    kw: dict[str, Any] = {"device": ref.device, "dtype": ref.dtype} if ref is not None else {}
    x = torch.linspace(-6.0, 6.0, 121, **kw).view(1, 1, -1)
    if isinstance(new, Activation) and new.shape == "channel" and new.num_channels is not None:
        x = x.expand(1, new.num_channels, 121).movedim(1, new.channel_dim % 3)
    modes = {m: m.training for m in (*new.modules(), *old.modules())}
    try:
        new.eval()
        old.eval()
        with torch.no_grad():
            a, b = new(x), old(x.clone())
    finally:
        for m, t in modes.items():
            m.training = t
    if not torch.allclose(a, b, rtol=1e-5, atol=1e-6):
        raise ValueError(
            f"site {site!r}: the warm_start values of {type(new).__name__} do not reproduce {old!r} "
            f"(max difference {(a - b).abs().max().item():.3g}); its ActivationInfo.warm_start row is wrong"
        )


# ---------------------------------------------------------------------------------- swap
def swap_activations(
    model: nn.Module,
    act: Any,
    where: Where = None,
    warm_start: bool = False,
    *,
    functional: bool | str = "auto",
    example_input: torch.Tensor | None = None,
) -> SwapReport:
    """Replaces the activations of ``model`` by fresh ``act`` modules, one per site.

    Sites are activation modules (every ``torch.nn`` activation of the torch table,
    :data:`actlab.activations.torch_table.TORCH_MODULES`: ReLU ... Softsign, PReLU, RReLU, LogSigmoid,
    the shrinks, Threshold; every actlab :class:`~actlab.Activation` and registered class) and, when
    ``torch.fx`` can trace the model, activation calls in ``forward``
    (:data:`~actlab.activations.torch_table.TORCH_CALLS`): ``torch.relu``, ``F.relu``, ``x.relu()``,
    ``F.gelu``, ``torch.tanh``, ``torch.sigmoid``, ``F.softshrink``, ``F.threshold``, ... (and their
    in-place forms).

    **In place or a new model.** Module sites are replaced in place, so ``report.model is model``.
    Functional calls, and modules called at several places (each call gets its own module), cannot
    be changed in place: then ``report.model`` is a new ``torch.fx.GraphModule`` that shares all
    other layers (and their parameters) with ``model``, and ``model`` is left unchanged. Always
    continue with ``report.model``. A model whose ``forward`` branches on ``self.training`` is refused
    on that path, because tracing would freeze one branch.

    **Channels.** Each site gets ``ActSite(name, index, num_channels, channel_dim)``. ``num_channels``
    comes from the nearest conv / linear / norm layer upstream in the traced graph (in module
    registration order when the model is not traced); with ``example_input`` (a tiny batch), from the
    shape the site actually sees (propagated with the model in eval mode, under ``no_grad``).

    **Warm start.** ``warm_start=True`` sets the new module's parameters to
    ``activation_info(new).warm_start[old]``, where ``old`` is the registry name of the function the
    replaced activation computes (``nn.ReLU`` -> ``"relu"``, ``nn.Tanh`` -> ``"tanh"``,
    ``F.gelu`` -> ``"gelu"``), so the swapped model's output equals the original's at step 0
    (checked on a probe grid, in eval mode). Replacing a ``torch.nn`` module by the zoo activation it
    equals with the same hyperparameters (``nn.Softshrink(0.3)`` by ``("softshrink", {"lambd": 0.3})``)
    needs no values. Raises ``ValueError`` where no such values exist.

    Args:
        model: the network.
        act: any form :func:`actlab.build_act` accepts (``"pvlu"``, ``("pvlu", {"shape": "channel"})``,
            a class, a factory, :func:`actlab.per_layer`).
        where: which sites: ``None`` (all), a module class or tuple of classes (calls match by their
            equivalent module: ``nn.ReLU`` matches ``F.relu``), a glob over site names
            (``"layer1.*"``), or a predicate ``fn(name, module) -> bool``.
        warm_start: initialize each replacement to equal the activation it replaces.
        functional: ``"auto"`` (trace; if tracing fails, warn, swap modules only and record the
            reason in ``report.trace_error``), ``True`` (tracing failure raises
            :class:`UntraceableError` naming the module), ``False`` (modules only, no tracing).
        example_input: optional batch used to read exact channel counts.

    Returns:
        A :class:`SwapReport` listing every replaced site.

    Example:
        >>> import torch
        >>> from torch import nn
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> x = torch.randn(5, 4)
        >>> before = model(x)
        >>> report = swap_activations(model, "pvlu", warm_start=True)
        >>> print(report)
        swapped 1 activation site(s)
          1 [module]: ReLU() -> PVLU(alpha=0, beta=1) (channels 8)
        >>> report.model is model, torch.allclose(model(x), before)  # in place; warm start: same outputs
        (True, True)
    """
    if functional not in ("auto", True, False):
        raise ValueError(f"functional must be 'auto', True or False, got {functional!r}")
    select = selector(where)
    gm, trace_error = None, None
    if functional is not False:
        try:
            gm = trace(model)
        except UntraceableError as e:
            if functional is True:
                raise
            trace_error = str(e)
            warnings.warn(f"{e} Swapping activation modules only.", stacklevel=2)
    ref = next(iter(model.parameters()), None)
    if gm is None:
        swapped, done = _swap_modules(model, act, select, warm_start, example_input, ref)
        return SwapReport(swapped, done, trace_error)
    return _swap_graph(model, gm, act, select, warm_start, example_input, ref)


def _fresh(act: Any, site: Site, index: int, ch: tuple[int, int] | None, warm: bool, ref: Any) -> nn.Module:
    num, dim = ch if ch is not None else (None, 1)
    new = build_act(act, ActSite(site.name, index, num, dim))
    new.train(site.old.training)  # the replaced activation's mode (RReLU is random in training mode only)
    if ref is not None:
        new = new.to(device=ref.device, dtype=ref.dtype) if ref.is_floating_point() else new.to(ref.device)
    if warm:
        _warm_start(new, site.old, site.name)
    return new


def _record(site: Site, new: nn.Module, ch: tuple[int, int] | None, path: str, warm: bool) -> SwapSite:
    return SwapSite(site.name, site.kind, repr(site.old), repr(new), ch[0] if ch else None, path, warm)


def _set_module(root: nn.Module, path: str, new: nn.Module) -> None:
    parent, _, leaf = path.rpartition(".")
    setattr(root.get_submodule(parent) if parent else root, leaf, new)


def _eval_run(model: nn.Module, fn: Callable[[], Any]) -> None:
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        with torch.no_grad():
            fn()
    finally:
        for m, t in modes.items():
            m.training = t


def _swap_modules(model, act, select, warm, example_input, ref) -> tuple[nn.Module, list[SwapSite]]:
    found = module_sites(model)
    if example_input is not None:  # read the channels each module actually sees
        shapes: dict[str, tuple[int, ...]] = {}

        def hook(name: str) -> Callable:
            def record(module: nn.Module, args: tuple) -> None:  # must return None (else it replaces args)
                shapes.setdefault(name, tuple(args[0].shape))

            return record

        hooks = [s.old.register_forward_pre_hook(hook(s.name)) for s, _ in found]
        try:
            _eval_run(model, lambda: model(example_input))
        finally:
            for h in hooks:
                h.remove()
        found = [(s, _with_shape(ch, shapes.get(s.name))) for s, ch in found]
    # build (and warm-start) every replacement before touching the model: an error leaves it unchanged
    news = [(s, ch, _fresh(act, s, i, ch, warm, ref)) for i, (s, ch) in enumerate(found) if select(s.name, s.old)]
    for site, _ch, new in news:
        _set_module(model, site.path, new)
    return model, [_record(site, new, ch, site.path, warm) for site, ch, new in news]


def _with_shape(ch: tuple[int, int] | None, shape: tuple[int, ...] | None) -> tuple[int, int] | None:
    if shape is None or len(shape) < 2:
        return ch
    dim = ch[1] if ch is not None else (1 if len(shape) > 2 else -1)
    return int(shape[dim]), dim


def _swap_graph(model, gm, act, select, warm, example_input, ref) -> SwapReport:
    sites = graph_sites(gm)
    calls: dict[str, int] = {}
    for s in sites:
        if s.kind == "module":
            calls[s.path] = calls.get(s.path, 0) + 1
    chosen = [(i, s) for i, s in enumerate(sites) if select(s.name, s.old)]
    need_graph = any(s.kind != "module" or calls[s.path] > 1 for _, s in chosen)
    if need_graph and not mode_independent(model):
        raise ValueError(
            f"{type(model).__name__}.forward branches on self.training, so a traced copy would keep only one "
            "branch; functional activation calls cannot be swapped in it. Pass functional=False (modules only) "
            "or replace the calls by activation modules in the model's code."
        )
    if example_input is not None:
        from torch.fx.passes.shape_prop import ShapeProp

        _eval_run(gm, lambda: ShapeProp(gm).propagate(example_input))
    modules = dict(gm.named_modules())
    chans = {s.name: graph_channels(_node(s), modules) for _, s in chosen}
    order = {n: i for i, n in enumerate(gm.graph.nodes)}
    for _, s in chosen:
        node = _node(s)
        if s.inplace and any(order[u] > order[node] for u in _input(node).users if u is not node):
            raise ValueError(
                f"site {s.name!r}: in-place activation {node.format_node()} whose input is used again "
                "afterwards cannot be swapped safely; use the out-of-place form in the model's code"
            )
    # build (and warm-start) every replacement before touching anything: an error leaves the model unchanged
    news = [(s, _fresh(act, s, index, chans[s.name], warm, ref)) for index, s in chosen]
    if not need_graph:  # every chosen site is a module called once: replace in place
        for s, new in news:
            _set_module(model, s.path, new)
        return SwapReport(model, [_record(s, new, chans[s.name], s.path, warm) for s, new in news])
    done = []
    for s, new in news:
        node, ch = _node(s), chans[s.name]
        if s.kind == "module" and calls[s.path] == 1:
            _set_module(gm, s.path, new)
            done.append(_record(s, new, ch, s.path, warm))
            continue
        x = _input(node)
        leaf = s.path if s.kind == "module" else f"{s.path}.{s.name.rsplit('.', 1)[-1].split('(')[0]}"
        target = _free_name(gm, f"{leaf.lstrip('.')}_act")
        gm.add_submodule(target, new)
        with gm.graph.inserting_before(node):
            new_node = gm.graph.call_module(target, (x,))
        node.replace_all_uses_with(new_node)
        gm.graph.erase_node(node)
        done.append(_record(s, new, ch, target, warm))
    gm.graph.lint()
    gm.delete_all_unused_submodules()
    gm.recompile()
    return SwapReport(gm, done)


def _node(s: Site) -> fx.Node:
    assert s.node is not None, f"site {s.name!r} was found in the traced graph, so it has a node"
    return s.node


def _input(node: fx.Node) -> fx.Node:
    """The tensor an activation call reads (its first argument or ``input=``)."""
    x = node.args[0] if node.args else node.kwargs["input"]
    assert isinstance(x, fx.Node), f"{node.format_node()} does not act on a traced tensor"
    return x

def _free_name(root: nn.Module, base: str) -> str:
    name, k = base, 0
    while True:
        try:
            root.get_submodule(name)
        except AttributeError:
            return name
        k += 1
        name = f"{base}_{k}"
