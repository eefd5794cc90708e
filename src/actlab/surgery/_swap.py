"""swap_activations: replace the activations of an existing model in place, optionally warm-started."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from ..activations import ActSite, build_act
from ..activations.torch_table import torch_call
from ._census import Census, activation_like, census_on, run_census
from ._report import LeftSite, SwapReport, SwapSite
from ._sites import (
    UntraceableError,
    Where,
    choose_channels,
    in_channels,
    is_activation_module,
    out_channels,
    selector,
)
from ._trace import (
    call_nodes,
    feeds_mul,
    graph_hints,
    input_reused,
    mode_independent,
    replace_with_module,
    rewrite_forward,
    trace_owner,
)
from ._warm import warm_start as _warm

__all__ = ["SwapSite", "SwapReport", "swap_activations"]

#: reasons of a left site that mean the swap could not do what was asked (they warn)
_INCOMPLETE = ("untraceable", "in-place")
_GATE = "gate: its output multiplies a tensor (squeeze-excitation style); where='all' or where='gates' swaps it"


@dataclass
class _Site:
    name: str
    kind: str
    old: nn.Module
    owner: nn.Module  # the module the new activation is registered in
    attr: str | None = None  # registration sites: the attribute of ``owner`` that holds it
    node: fx.Node | None = None  # traced sites: the graph node to replace
    shape: tuple[int, ...] | None = None
    hints: list[tuple[int, int]] = field(default_factory=list)
    gate: bool = False


def swap_activations(
    model: nn.Module,
    act: Any,
    where: Where = None,
    warm_start: bool = False,
    *,
    functional: bool | str = "auto",
    example_input: Any = None,
    channel_dim: int | None = None,
) -> SwapReport:
    """Replaces the activations of ``model`` by fresh ``act`` modules, one per site, in place.

    **Sites.** Activation modules (every ``torch.nn`` activation of
    :mod:`actlab.activations.torch_table`, every actlab activation, transformers' ``ACT2FN``
    classes and timm's activation modules, recognised by name: :mod:`actlab.activations.ecosystem`),
    each ONE site (the ``torch.tanh`` inside a ``NewGELUActivation`` is never a site), and functional
    calls (``F.gelu``, ``torch.relu``, ``x.tanh()``...) in the forward of the module that makes them.

    **In place.** ``report.model is model``: modules are replaced by ``setattr`` on their parent; a
    module called at several places gets a fresh instance per call, and functional calls become
    modules, by rewriting only the forward of the module that makes those calls (traced with
    ``torch.fx``, its children kept as leaves) and binding it to that instance. The model keeps its
    class, methods and attributes; tracing is never needed when every site is a module. A rewritten
    forward pickles (``torch.save(model)``) and deep-copies with its module.

    **Census.** With ``example_input`` (or one inferred from the model: a Hugging Face config, timm's
    ``pretrained_cfg``, the first layer), one forward pass in eval mode finds every activation that
    runs, the shapes it sees and which sigmoid-like outputs multiply a tensor (gates); a second
    pass after the swap checks that none of the requested kind still runs (``report.missed``,
    with a warning). ``report.left`` lists each site left and why: gates, attention softmax,
    untraceable code, unknown activation-like modules (no parameters, elementwise on a probe).

    **Channels.** ``num_channels`` and ``channel_dim`` come from the shape the site sees and the
    layers before and after it (-1 for Linear / LayerNorm, 1 for conv / BatchNorm): the axis whose
    size is that layer's channel count, never the token axis of a (B, N, C) tensor.
    ``channel_dim`` overrides the axis for every site.

    **Warm start.** ``warm_start=True`` makes each replacement compute what the old activation
    did: families over a base (``"gpvlu"``, ``"laaf"``, ``"rowdy"``) start from ANY activation,
    bit for bit (the base becomes the replaced activation); others take the values of their
    ``ActivationInfo.warm_start`` row (``"pvlu"`` from ReLU, ``"swish"`` from SiLU). Where no values
    exist, ``ValueError`` names the old activation and the zoo activations that can start from it.

    Args:
        model: the network.
        act: any form :func:`actlab.build_act` accepts (``"gpvlu"``, ``("pvlu", {"shape": "channel"})``,
            a class, a factory, :func:`actlab.per_layer`).
        where: ``None`` or ``"hidden"`` (every activation but gates), ``"gates"``, ``"all"``, or among the
            hidden ones: a module class or tuple of classes (calls match by their equivalent module),
            a glob over site names (``"layer1.*"``), a predicate ``fn(name, module) -> bool``.
        warm_start: initialize each replacement to equal the activation it replaces.
        functional: ``"auto"`` (swap functional calls where their module traces, report the others),
            ``True`` (raise :class:`UntraceableError` where one cannot be swapped), ``False`` (modules only).
        example_input: a small batch (a tensor, or what the model's forward takes as one argument).
        channel_dim: the channel axis of every site (``None``: inferred).

    Returns:
        A :class:`SwapReport`: sites changed and left, the census, warm-start differences.

    Example:
        >>> import torch
        >>> from torch import nn
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2))
        >>> x = torch.randn(5, 4)
        >>> before = model(x)
        >>> report = swap_activations(model, "gpvlu", warm_start=True, example_input=x)
        >>> print(report)
        swapped 1 activation site(s), left 0
          1 [module]: GELU(approximate='none') -> GPVLU(base='gelu', alpha=0, beta=1) (channels 8, ...)
          census: ran on the example_input: 1 activation call(s) before the swap, 0 of the replaced kind after
          output max|after - before| on the example input (eval): 0
        >>> report.model is model, torch.equal(model(x), before)  # in place; warm start: same outputs
        (True, True)
    """
    if functional not in ("auto", True, False):
        raise ValueError(f"functional must be 'auto', True or False, got {functional!r}")
    choose = _chooser(where)
    census, x, how = census_on(model, example_input)
    sites, left = _module_sites(model, census)
    traced_sites, traced_left, graphs = _traced_sites(model, census, functional)
    sites += traced_sites
    left += traced_left
    left += _census_left(census)
    chosen = []
    for s in sites:
        if choose(s):
            chosen.append(s)
        else:
            left.append(LeftSite(s.name, s.kind, _one_line(s.old), _GATE if s.gate else "not selected by where"))
    ref = next(iter(model.parameters()), None)
    # every replacement is built (and warm-started) before the model changes: an error leaves it unchanged
    news = [(s, *_fresh(act, s, i, warm_start, ref, channel_dim)) for i, s in enumerate(chosen)]
    edited: set[int] = set()
    for s, new, _ch, _d in news:
        if s.node is None:
            assert s.attr is not None  # a registration site
            setattr(s.owner, s.attr, new)
            continue
        target = _free_name(s.owner, f"{s.name.rsplit('.', 1)[-1].split('(')[0].split('[')[0]}_act")
        s.owner.add_module(target, new)
        replace_with_module(s.node.graph, s.node, target)
        edited.add(id(s.owner))
    for owner, graph in graphs.values():
        if id(owner) in edited:
            rewrite_forward(owner, graph)
    done = [SwapSite(s.name, s.kind, _one_line(s.old), _one_line(new), ch[0], _path_of(model, new), warm_start,
                     ch[1], d) for s, new, ch, d in news]
    report = SwapReport(model, done, left)
    _check(report, model, x, how, census, {id(n) for _, n, _, _ in news}, warm_start)
    return report


def _chooser(where: Where):
    if where is None or where == "hidden":
        return lambda s: not s.gate
    if where == "gates":
        return lambda s: s.gate
    if where == "all":
        return lambda s: True
    select = selector(where)
    return lambda s: not s.gate and select(s.name, s.old)


def _module_sites(model: nn.Module, census: Census | None) -> tuple[list[_Site], list[LeftSite]]:
    """Every registration of an activation module (not descending into it), in registration order,
    with the layers before and after it, and the unknown modules that look like activations."""
    sites: list[_Site] = []
    left: list[LeftSite] = []
    layers: list[tuple[int, nn.Module]] = []  # (position in sites, conv / linear / norm layer)

    def walk(parent: nn.Module, prefix: str) -> None:
        for attr, child in parent._modules.items():
            if child is None:
                continue
            path = f"{prefix}{attr}"
            if is_activation_module(child):
                sites.append(_Site(path, "module", child, parent, attr))
            elif out_channels(child) is not None:  # a layer; timm's BatchNormAct2d holds its activation
                layers.append((len(sites), child))
                walk(child, path + ".")
            elif activation_like(child):
                left.append(LeftSite(path, "unknown", repr(child), "unknown activation-like module (no parameters, "
                                     "elementwise on a probe) that actlab does not recognise; it is left unchanged"))
            else:
                walk(child, path + ".")

    if is_activation_module(model):
        raise ValueError("the model itself is an activation; build the new activation directly instead")
    walk(model, "")
    calls = {} if census is None else {c.module_id: c for c in reversed(census.calls) if c.kind == "module"}
    gates = set() if census is None else {c.module_id for c in census.calls if c.kind == "module" and c.gate}
    for i, s in enumerate(sites):
        before = [m for pos, m in layers if pos <= i]
        after = [m for pos, m in layers if pos > i]
        near = (out_channels(before[-1]) if before else None, in_channels(after[0]) if after else None)
        siblings = [h for c in s.owner.children() for h in (out_channels(c), in_channels(c))]  # an MLP's own layers
        s.hints = [h for h in (*near, *siblings) if h is not None]
        call = calls.get(id(s.old))
        s.shape = call.shape if call is not None else None
        s.gate = id(s.old) in gates
    return sites, left


def _owners(model: nn.Module, census: Census | None) -> dict[str, nn.Module]:
    """Modules whose own forward must be traced: those making functional activation calls or calling one
    activation module more than once (from the census); without a census, every non-torch module."""
    mods = dict(model.named_modules())
    if census is None:
        return {p: m for p, m in mods.items() if not is_activation_module(m) and not activation_like(m)
                and not type(m).__module__.startswith("torch.nn.")}
    counts: dict[tuple[str, int | None], int] = {}
    for c in census.calls:
        if c.kind == "module":
            counts[(c.caller, c.module_id)] = counts.get((c.caller, c.module_id), 0) + 1
    paths = {c.caller for c in census.calls if c.kind in ("function", "method")}
    paths |= {caller for (caller, _), n in counts.items() if n > 1}
    return {p: mods[p] for p in sorted(paths) if p in mods}


def _traced_sites(model, census, functional) -> tuple[list[_Site], list[LeftSite], dict]:
    sites: list[_Site] = []
    left: list[LeftSite] = []
    graphs: dict[str, tuple[nn.Module, fx.Graph]] = {}
    calls = [] if census is None else [c for c in census.calls if c.kind in ("function", "method")]
    for path, owner in _owners(model, census).items():
        mine = [c for c in calls if c.caller == path]
        where = f"{path}." if path else ""
        try:
            if functional is False:
                raise UntraceableError("functional=False: functional calls are not swapped")
            graph = trace_owner(owner, path)
            if not mode_independent(owner, path):
                raise UntraceableError(
                    f"{type(owner).__name__}.forward at {path or '<root>'!r} branches on self.training: a traced "
                    "copy would keep one branch; call activation modules there instead")
        except UntraceableError as e:
            if functional is True and (mine or census is None):
                raise
            reason = str(e) if functional is False else f"untraceable code: {e}"
            left += [LeftSite(_call_name(c.caller, c.path, c.index), c.kind, c.path, reason) for c in mine]
            if census is None and functional is not False:  # no census to say whether it calls an activation
                left.append(LeftSite(f"{where}forward", "unsearched", type(owner).__name__,
                                     f"untraceable code, not searched for functional activation calls (no census "
                                     f"ran: pass example_input): {e}"))
            continue
        graphs[path] = (owner, graph)
        children = dict(owner.named_modules())
        seen: dict[str, int] = {}
        for node in graph.nodes:
            if node.op == "call_module" and is_activation_module(children[node.target]):
                k = seen[node.target] = seen.get(node.target, -1) + 1
                if k:  # the first call keeps the registered module (a registration site)
                    m = children[node.target]
                    rec = next((c for c in census.calls if c.module_id == id(m) and c.caller == path
                                and c.index == k), None) if census is not None else None
                    sites.append(_Site(f"{where}{node.target}[{k}]", "module", m, owner, node=node,
                                       shape=rec.shape if rec else None, hints=graph_hints(node, children),
                                       gate=bool(rec and rec.gate)))
        found: dict[str, int] = {}
        for node, eq, inplace in call_nodes(graph):
            row = torch_call(node.target)
            assert row is not None  # call_nodes found it in the torch table
            k = found[row.path] = found.get(row.path, -1) + 1
            name = _call_name(path, row.path, k)
            if inplace and input_reused(node):
                left.append(LeftSite(name, "function", row.path, "in-place call whose input is used again afterwards: "
                                     "use the out-of-place form in the model's code"))
                continue
            rec = next((c for c in mine if c.path == row.path and c.index == k), None)
            if "training" not in row.args:  # a call runs in its module's mode (F.rrelu has its own)
                eq.train(owner.training)
            sites.append(_Site(name, row.kind, eq, owner, node=node, shape=rec.shape if rec else None,
                               hints=graph_hints(node, children), gate=bool(rec and rec.gate) or feeds_mul(node, eq)))
    return sites, left, graphs


def _call_name(scope: str, path: str, k: int) -> str:
    """Site name of the k-th call of ``path`` in the forward of module ``scope``: ``"b1.relu()"``, ``"relu()_1"``."""
    return f"{scope + '.' if scope else ''}{path.rpartition('.')[2]}()" + (f"_{k}" if k else "")


def _census_left(census: Census | None) -> list[LeftSite]:
    if census is None:
        return []
    return [LeftSite(f"{c.caller + '.' if c.caller else ''}{c.path}()", "softmax", c.path,
                     "attention softmax: normalises along a dimension, not an elementwise activation")
            for c in census.calls if c.kind == "softmax"]


def _fresh(act, s: _Site, index: int, warm: bool, ref, channel_dim):
    ch = choose_channels(s.shape, s.hints, channel_dim)
    try:
        new = build_act(act, ActSite(s.name, index, ch[0], ch[1] if ch[1] is not None else 1))
    except ValueError as e:
        if ch[0] is not None:
            raise
        raise ValueError(
            f"site {s.name!r}: cannot tell the channel axis of its input (shape {s.shape}) for a per-channel "
            f"activation ({e}); pass channel_dim=-1 (channels last, (B, N, C)) or channel_dim=1 (NCHW), or an "
            "example_input"
        ) from e
    new.train(s.old.training)  # the replaced activation's mode (RReLU is random in training mode only)
    if ref is not None:
        new = new.to(device=ref.device, dtype=ref.dtype) if ref.is_floating_point() else new.to(ref.device)
    diff = None
    if warm:
        new, diff = _warm(new, s.old, s.name)
    return new, ch, diff


def _check(report: SwapReport, model, x, how, census: Census | None, new_ids: set[int], warm: bool) -> None:
    """The census after the swap: nothing of the replaced kind still runs; with a warm start, same outputs."""
    if census is None:
        report.census = f"not run: {how}"
    else:
        news = {m for m in model.modules() if id(m) in new_ids}
        after = run_census(model, x, skip=news)
        if after.error is not None:
            raise RuntimeError(f"the swapped model fails on {how}: {after.error}")
        left_ids = {id(model.get_submodule(s.name)) for s in report.left if s.kind == "module" and "[" not in s.name}
        left_calls = {s.name for s in report.left}
        for c in after.calls:
            if c.kind == "module" and c.module_id not in left_ids:
                report.missed.append(f"module {c.path} (called from {c.caller or '<root>'})")
            elif c.kind in ("function", "method"):
                if _call_name(c.caller, c.path, c.index) not in left_calls:
                    report.missed.append(f"{c.path} called in {c.caller or '<root>'}")
        report.census = (f"ran on {how}: {sum(c.kind != 'softmax' for c in census.calls)} activation call(s) before "
                         f"the swap, {len(report.missed)} of the replaced kind after")
        if warm:
            report.output_diff = _output_diff(census.output, after.output)
    if report.missed or any(s.reason.startswith(_INCOMPLETE) for s in report.left):
        warnings.warn(f"swap_activations did not replace everything asked for:\n{report}", stacklevel=3)


def _tensors(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [t for v in out.values() for t in _tensors(v)]
    if isinstance(out, (tuple, list)):
        return [t for v in out for t in _tensors(v)]
    return []


def _output_diff(a: Any, b: Any) -> float | None:
    ta, tb = _tensors(a), _tensors(b)
    if not ta or len(ta) != len(tb):
        return None
    return max(float((p.float() - q.float()).abs().max()) if p.numel() else 0.0 for p, q in zip(ta, tb, strict=True))


def _one_line(m: nn.Module) -> str:
    """``Name(extra_repr)`` without the children (a family over a base holds its base as a child)."""
    return f"{type(m).__name__}({m.extra_repr()})"


def _path_of(model: nn.Module, m: nn.Module) -> str:
    return next((n for n, sub in model.named_modules() if sub is m), "")


def _free_name(root: nn.Module, base: str) -> str:
    name, k = base, 0
    while hasattr(root, name):
        k += 1
        name = f"{base}_{k}"
    return name
