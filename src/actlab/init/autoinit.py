r"""AutoInit for PyTorch (Bingham & Miikkulainen, "AutoInit: Analytic Signal-Preserving Weight
Initialization for Neural Networks", AAAI 2023, arXiv 2109.08958).

The model's data flow is followed from the input, carrying the (mean, variance) of every tensor
through the rules of :mod:`actlab.init.propagate`; each weighted layer (Linear, Conv1d/2d/3d) met
on the way is re-initialized so that its output -- the pre-activation -- has mean 0 and variance
``target_var``:

.. math:: W \sim N\!\left(0,\ \frac{\sigma^2_{target}}{fan_{in}\,\rho\,(v + \mu^2)}\right),\quad b = 0,

where ``(mu, v)`` are the predicted moments of the layer's input and ``rho`` the zero-padding
coverage of a conv window (1 for Linear). After ReLU this is He's ``2/fan_in``, after the identity
LeCun's ``1/fan_in``. Biases are zeroed (AutoInit assumes zero biases; PyTorch's default ones are not).

Traversal: ``torch.fx`` symbolic tracing (activations and torch.nn layers are leaves), evaluated
node by node on a seeded ``N(input_mean, input_var)`` batch so shapes are known and every layer is
re-initialized before its output is used downstream. Where tracing fails (data-dependent control
flow, e.g. stochastic depth), forward hooks on leaf modules are used instead, in execution order.
Limits of the hook mode: functional operations between modules (residual ``+``, ``torch.cat``,
``view``...) are invisible, so the input moments of a module fed by such an operation are
*measured* on the sample batch rather than predicted (method ``autoinit-measured`` in the
report); modules called more than once are initialized on their first call.

Unsupported modules raise ``ValueError`` naming them and listing the supported kinds, unless
``fallback="lsuv"``: then the output of the unsupported module is measured on the batch and the
weighted layers fed by it are initialized by LSUV (Mishkin & Matas, arXiv 1511.06422): drawn with
the measured ``E[x^2]``, then rescaled once so their output variance on the batch equals the target
(exact, since biases are 0; method ``lsuv`` in the report). Parameters outside Linear/Conv, norm and activation modules
(capsule routing matrices, embeddings...) keep their initialization, and the report's notes name them.

The traversal and the measurement run with norm and dropout layers in training mode (batch
statistics, masks) and every other module in eval mode, so stochastic depth contributes all its
blocks (scaled by their survival probability) instead of one random draw; they run under forked
RNGs seeded with ``seed`` and ``seed + 1``, on two different ``N(input_mean, input_var)`` batches
(traversal, held-out measurement), and BatchNorm running statistics and modes are restored.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import torch
from torch import fx, nn

from . import propagate as P
from .layers import bias_of, fan_in, is_weighted, weight_of
from .propagate import Stat
from .propagate import measured_stat as _measured
from .report import InitReport, LayerRecord, kind_of, measure_layers, preserved_state, resolve_shape, sample_batch
from .windows import coverage_stats, fit_output, window_second

__all__ = ["autoinit"]


def _is_tensors(v: Any) -> bool:
    return isinstance(v, torch.Tensor) or (
        isinstance(v, (tuple, list)) and len(v) > 0 and all(isinstance(t, torch.Tensor) for t in v)
    )


class _Run:
    """State shared by the fx and hook traversals: re-initializes weighted layers, records them."""

    def __init__(
        self, model: nn.Module, target_var: float, fallback: str | None, seed: int, generator: torch.Generator | None
    ) -> None:
        self.names = {m: n or type(m).__name__ for n, m in model.named_modules()}
        self.target_var, self.fallback, self.seed, self.generator = target_var, fallback, seed, generator
        self.records: dict[nn.Module, LayerRecord] = {}
        self.notes: list[str] = []
        self.calibrate: bool | str = False
        self.center: bool | str = False
        self._shared: set[nn.Module] = set()
        self._unsupported: set[str] = set()

    def weighted(
        self, m: nn.Module, a: Stat, x: torch.Tensor, input_known: bool = True, before_norm: bool = False
    ) -> Stat:
        (rho, q), fi, w = coverage_stats(m, x.shape), fan_in(m), weight_of(m)
        if m in self.records:  # shared layer: keep the first call's weights
            rec = self.records[m]
            if m not in self._shared:
                self._shared.add(m)
                self.notes.append(f"{self.names[m]} is called more than once; initialized for its first call")
            c = self._center(before_norm) and fi > 1
            offsets = a.shared + (0.0 if c else a.mean**2)
            eff = rho * a.var + q * fi / (fi - 1) * a.mean**2 if c else rho * a.second
            return Stat(0.0, rec.weight_var * fi * eff, shared=rec.weight_var * fi * rho * offsets)
        method = "lsuv" if a.measured else ("autoinit" if input_known else "autoinit-measured")
        calibrated = bool(self.calibrate) and method != "lsuv"  # closed loop: the real input on the batch
        stat = _measured(x, False) if calibrated and method == "autoinit" else a
        method = "autoinit-calibrated" if calibrated else method
        center = self._center(before_norm) and fi > 1
        # one weight feeding one unit (e.g. a Linear(1, 1) readout): nothing to centre, but the
        # fixed-norm constraint still applies, and the unit's offset w mu is a constant, not variance
        single = self._center(before_norm) and fi == 1 and w.shape[0] == 1
        second = stat.var if center or single else stat.second  # centred rows cancel the mean...
        # ...except at zero-padded borders, where the taps inside a window no longer sum to 0
        eff = rho * second + (q * fi / (fi - 1) * stat.mean**2 if center else 0.0)
        if calibrated and not single:  # the exact mean over the batch's real windows
            eff = window_second(m, x, center)
        if second <= 0 or not math.isfinite(eff):
            raise ValueError(
                f"the input of {self.names[m]!r} has {'variance' if center else 'E[x^2]'} {second:g}: a constant "
                "input, or predicted moments that overflowed (activations whose variance map is unstable, e.g. "
                "polynomial ones like SQU in deep nets); check input_var, or pass calibrate=True (if the model's own "
                "forward overflows too, no initialization can fix it: see docs/autoinit_study.md)"
            )
        var_w = self.target_var / (fi * eff)
        with torch.no_grad():
            w.normal_(0.0, math.sqrt(var_w), generator=self.generator)
            if center:  # zero-mean rows of fixed squared norm var_w * fan_in
                rows = w.view(w.shape[0], -1)
                rows.sub_(rows.mean(1, keepdim=True))
                rows.mul_(math.sqrt(var_w * fi) / rows.norm(dim=1, keepdim=True).clamp_min(1e-12))
            if single:  # |w| fixed: output variance exactly var_w rho v
                w.copy_(w.sign().where(w.ne(0), 1.0) * math.sqrt(var_w))
            if (bias := bias_of(m)) is not None:
                bias.zero_()
            if method == "lsuv" or self.calibrate == "output":
                var_w *= fit_output(m, x, self.target_var)
                method = "lsuv" if method == "lsuv" else "autoinit-fit"
        self.records[m] = LayerRecord(
            self.names[m], kind_of(m), len(self.records), fi, var_w, stat.second, 0.0, self.target_var, method=method
        )
        offsets = stat.shared + (0.0 if center else stat.mean**2)  # channel offsets sum_j w_cj m_j
        if single:  # one unit: its offset w mu is its (known) mean, not part of its variance
            return Stat(
                float(w.reshape(-1)[0]) * rho * stat.mean, self.target_var, shared=var_w * rho * stat.shared
            )
        return Stat(0.0, self.target_var, shared=var_w * fi * rho * offsets)

    def _center(self, before_norm: bool) -> bool:
        return self.center is True or (self.center == "auto" and not before_norm)

    def unsupported(self, what: str, out: Any) -> Stat:
        if self.fallback != "lsuv":
            raise ValueError(
                f"AutoInit has no rule for {what}. Supported: {P.SUPPORTED_KINDS}. Pass fallback='lsuv' "
                "to initialize the weighted layers after it from moments measured on a seeded sample batch"
            )
        key = what.split(" (")[0] if what.startswith("operation") else what.split(" ", 2)[-1]
        if key not in self._unsupported:
            self._unsupported.add(key)
            self.notes.append(f"no rule for {what} (and any like it): output moments measured, lsuv downstream")
        return _measured(out, True)


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return P.is_activation(m) or is_weighted(m) or super().is_leaf_module(m, qualname)


class _Propagator(fx.Interpreter):
    def __init__(self, gm: fx.GraphModule, run: _Run, input_stat: Stat) -> None:
        super().__init__(gm)
        self.run_, self.input_stat = run, input_stat
        self.stats: dict[fx.Node, Any] = {}

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
        elif n.op == "get_attr":
            self.stats[n] = _measured(out, False) if isinstance(out, torch.Tensor) else None
        elif n.op == "call_module":
            m = self._submodule(n)
            a = sargs[0] if sargs and isinstance(sargs[0], Stat) else None
            s = P.module_rule(m, a, self._input(n), out, self.run_.seed) if a is not None else None
            if s is None and _is_tensors(out):
                s = self.run_.unsupported(f"module {n.target!r} ({type(m).__name__})", out)
            self.stats[n] = s
        elif n.op in ("call_function", "call_method"):
            args, kwargs = self.fetch_args_kwargs_from_env(n)
            s = None
            if _is_tensors(out):
                if n.target is operator.getitem and isinstance(sargs[0], Stat):
                    s = sargs[0]
                else:
                    s = P.function_rule(n.target, args, kwargs, sargs, out, self.run_.seed)
                if s is None:
                    s = self.run_.unsupported(f"operation {P.op_name(n.target)!r} (node {n.name})", out)
            self.stats[n] = s
        return out


def _hook_pass(model: nn.Module, batch: torch.Tensor, run: _Run, input_stat: Stat) -> None:
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
        return _measured(x, False), False

    def pre(m: nn.Module, args: tuple) -> None:
        x = next((a for a in args if isinstance(a, torch.Tensor)), None)
        if x is None:
            return
        a, ok = lookup(x)
        pending[m] = (a, x)
        if is_weighted(m):
            pending[m] = (run.weighted(m, a, x, input_known=ok, before_norm=run.center == "auto"), x)

    def post(m: nn.Module, args: tuple, out: Any) -> None:
        if m not in pending or not isinstance(out, torch.Tensor):
            return
        a, x = pending.pop(m)
        s = a if is_weighted(m) else P.module_rule(m, a, x, out, run.seed)
        if s is None:
            s = run.unsupported(f"module {run.names[m]!r} ({type(m).__name__})", out)
        known[id(out)] = (out, s)

    handles = [u.register_forward_pre_hook(pre) for u in units] + [u.register_forward_hook(post) for u in units]
    try:
        model(batch)
    finally:
        for h in handles:
            h.remove()


def autoinit(
    model: nn.Module,
    example_input: torch.Tensor | None = None,
    input_shape: tuple[int, ...] | None = None,
    input_mean: float = 0.0,
    input_var: float = 1.0,
    target_var: float = 1.0,
    fallback: str | None = None,
    seed: int = 0,
    *,
    generator: torch.Generator | None = None,
    batch_size: int = 128,
    calibrate: bool | str = False,
    center: bool | str = False,
) -> InitReport:
    """Re-initializes ``model`` in place so every pre-activation has mean 0, variance ``target_var``.

    See the module docstring for the algorithm, the per-layer rules and the fallbacks.

    Args:
        model: any ``nn.Module``; its Linear and Conv1d/2d/3d layers are re-initialized.
        example_input: a batch; only its per-sample shape ``shape[1:]`` is used.
        input_shape: per-sample input shape, instead of ``example_input``.
        input_mean, input_var: moments of the input data (0, 1 for standardized data).
        target_var: variance aimed at for every weighted layer's output.
        fallback: ``None`` (unsupported modules raise) or ``"lsuv"`` (see module docstring).
        seed: seed of the ``N(input_mean, input_var)`` traversal batch, of dropout masks during
            the passes and of Monte Carlo moments. The report measures on a second, held-out batch
            drawn with ``seed + 1`` (its ``seed`` field), so a calibration never sees it.
        generator: random source of the new weights; ``None`` uses PyTorch's global generator.
        batch_size: size of the traversal batch and of the held-out measurement batch.
        calibrate: closed-loop variants, still data-free (they look at the real inputs of each
            layer on the seeded ``N(input_mean, input_var)`` traversal batch, never at data):

            * ``False``: the paper's analytic prediction (method ``autoinit``).
            * ``True`` or ``"moments"``: the scale is the exact *expected* output second moment
              over the weight draw, from the layer's real input windows (:func:`~actlab.init.windows.window_second`:
              ``E ||x_p||^2 / n``, or ``E ||x_p - mean(x_p)||^2 / (n - 1)`` for centred rows)
              instead of the predicted ``rho (v + mu^2)``. It removes what the independence /
              Gaussian model misses -- correlation inside a window (spatial smoothness, a
              per-sample scale shared by all channels, which centred rows cancel), heavy tails of
              polynomial activations (SQU, NCU) whose variance map ``v -> v^2`` has an unstable
              fixed point (method ``autoinit-calibrated``). The draw itself stays random: at 16
              units, one draw's output variance still has a standard deviation of 0.27-0.39
              of the target where the window covariance is far from isotropic (measured over 20
              draws: resnet110 and vgg13 with sigmoid).
            * ``"output"``: as ``"moments"``, then the drawn weights are rescaled once so the
              layer's output variance on the traversal batch is exactly ``target_var`` (method
              ``autoinit-fit``): LSUV (Mishkin & Matas) on the synthetic batch, in AutoInit's
              traversal order, one exact step since biases are 0. It removes the finite-width
              draw noise that dominates narrow layers (2-8 channels). The report's measurement
              batch is held out, so its ratios show how well the fit carries to new inputs.

            Any calibration means the report no longer tests the analytic prediction.
        center: make each output unit's weights zero-mean over its fan-in, with squared norm
            ``target_var / (rho v)`` (AutoInit's optional zero-mean, fixed-norm weights). The input
            mean then no longer reaches the output, so the variance ``v`` replaces ``v + mu^2``
            (after ReLU the gain is ``1/0.3408 = 2.93``, not He's 2). It removes the per-unit
            offsets ``mu sum_j w_ij`` that dominate the pre-activation variance of narrow layers
            after non-zero-mean activations (sigmoid, ReLU family) and the sampling noise of ``|w_i|``.
            At zero-padded borders the taps inside a window do not sum to 0, so the mean leaks
            back: the scale is then ``target_var / (fan_in (rho v + q mu^2 n/(n-1)))`` with ``q``
            from :func:`~actlab.init.windows.coverage_stats` (without this term, a centred
            3x3 conv on a 2x2 map after sigmoid comes out 4x too large).
            ``"auto"`` centres every layer except those feeding a BatchNorm/InstanceNorm directly
            (the norm removes the offsets anyway, and centring there only enlarges the weights);
            in hook mode, where the consumers are unknown, ``"auto"`` centres nothing. A layer with
            one input and one output (e.g. a ``Linear(1, 1)`` readout) cannot be centred; under
            ``center`` its single weight gets the fixed magnitude ``sqrt(target_var / (rho v))``
            (random sign), so its output variance over the batch is exactly ``target_var``.

    Returns:
        An :class:`InitReport` with predicted and measured moments per weighted layer.

    Raises:
        ValueError: an unsupported module or operation without ``fallback``, or a bad argument.
    """
    if fallback not in (None, "lsuv"):
        raise ValueError(f"fallback must be None or 'lsuv', got {fallback!r}")
    if not (target_var > 0 and input_var >= 0):
        raise ValueError(f"need target_var > 0 and input_var >= 0, got {target_var}, {input_var}")
    shape = resolve_shape(example_input, input_shape)
    batch = sample_batch(shape, batch_size, input_mean, input_var, seed, model)
    if generator is None:  # draw from the caller's global RNG before the passes fork and seed it
        generator = torch.Generator(batch.device).manual_seed(int(torch.randint(2**62, (), dtype=torch.int64)))
    run = _Run(model, target_var, fallback, seed, generator)
    if center not in (True, False, "auto"):
        raise ValueError(f"center must be True, False or 'auto', got {center!r}")
    if calibrate not in (True, False, "moments", "output"):
        raise ValueError(f"calibrate must be False, True (= 'moments') or 'output', got {calibrate!r}")
    run.calibrate, run.center = ("moments" if calibrate is True else calibrate), center
    input_stat = Stat(float(input_mean), float(input_var))
    mode = "fx"
    with preserved_state(model, seed):
        try:  # preserved_state: only norms and dropout train, so stochastic depth traces in full
            root = nn.Sequential(model) if _Tracer().is_leaf_module(model, "") else model  # a bare layer
            gm = fx.GraphModule(root, _Tracer().trace(root))
        except Exception as e:  # noqa: BLE001 - any tracing failure means: use hooks
            mode = "hooks"
            first = str(e).splitlines()[0][:120] if str(e) else ""
            run.notes.append(f"torch.fx could not trace the model ({type(e).__name__}: {first}); used forward hooks")
        if mode == "fx":
            _Propagator(gm, run, input_stat).run(batch)
        else:
            _hook_pass(model, batch, run, input_stat)
    missed = [run.names[m] for m in model.modules() if is_weighted(m) and m not in run.records]
    if missed:
        run.notes.append(
            f"{len(missed)} weighted layer(s) never ran on the sample batch and kept their init: "
            f"{', '.join(missed[:5])}"
        )
    kept = [
        f"{name}.{pname}" if name else pname
        for name, m in model.named_modules()
        if not (is_weighted(m) or isinstance(m, P.NORMS) or P.is_activation(m))
        for pname, _ in m.named_parameters(recurse=False)
    ]
    if kept:  # e.g. capsule routing matrices, embeddings, positional parameters
        run.notes.append(
            f"{len(kept)} parameter(s) outside Linear/Conv/norm/activation modules kept their init: "
            f"{', '.join(kept[:5])}"
            + (", ..." if len(kept) > 5 else "")
        )
    # measured on a held-out batch: a calibration may look at the traversal batch, never at this one
    layers: list[LayerRecord] = []
    held_out = sample_batch(shape, batch_size, input_mean, input_var, seed + 1, model)
    for name, m, mm, mv in measure_layers(model, held_out, seed + 1):
        rec = run.records.get(m) or LayerRecord(name, kind_of(m), fan_in=fan_in(m), method="default")
        rec.depth, rec.meas_mean, rec.meas_var = len(layers), mm, mv
        layers.append(rec)
    return InitReport(layers, target_var, float(input_mean), float(input_var), seed + 1, batch_size, mode, run.notes)
