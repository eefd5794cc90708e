r"""AutoInit for PyTorch (Bingham & Miikkulainen, "AutoInit: Analytic Signal-Preserving Weight
Initialization for Neural Networks", AAAI 2023, arXiv 2109.08958).

The model's data flow is followed from the input, carrying the (mean, variance) of every tensor
through the rules of the op -> rule table (:mod:`actlab.init.ops`, the rules in
:mod:`actlab.init.propagate`); each weighted layer (Linear, Conv1d/2d/3d, Hugging Face ``Conv1D``)
met on the way is re-initialized (:mod:`actlab.init.weights`) so that its output -- the
pre-activation -- has mean 0 and variance ``target_var``:

.. math:: W \sim N\!\left(0,\ \frac{\sigma^2_{target}}{fan_{in}\,\rho\,(v + \mu^2)}\right),\quad b = 0,

where ``(mu, v)`` are the predicted moments of the layer's input and ``rho`` the zero-padding
coverage of a conv window (1 for Linear). After ReLU this is He's ``2/fan_in``, after the identity
LeCun's ``1/fan_in``. Biases are zeroed (AutoInit assumes zero biases; PyTorch's default ones are not).

**The default** is the variant that keeps deep networks in range (measured below): rows centred
where no BatchNorm follows (``center="auto"``) and the scale taken from each layer's real input
windows on the seeded traversal batch (``calibrate=True``); ``calibrate=False, center=False`` is
the paper's analytic rule. On a 50-layer, 256-wide MLP (batch 128, ``tests/test_autoinit_registry.py``)
the default keeps every weighted layer in [0.5, 2] x target for every registered activation
except those in :data:`UNSTABLE` (no per-layer scale can: the network itself is unstable); the
paper's rule, e.g., lets GCU reach 2e10. ``"auto"`` leaves the rows of a layer uncentred where its
input's mean dominates its spread (softplus-like inputs; ``actlab.init.run.AUTO_CENTER_MAX``).

Inputs: ``example_input`` is used as given (values, dtype: token ids for a language model); else
a batch of ``input_shape`` is drawn: ``N(input_mean, input_var)``, or with an integer
``input_dtype`` token ids uniform in the first ``nn.Embedding``'s range (:mod:`actlab.init.batch`).
A float batch reaching an embedding is a ``ValueError`` saying what to pass.

Traversal (:mod:`actlab.init.traverse`): ``torch.fx`` symbolic tracing (activations, torch.nn
layers, norms named ``*Norm`` and parameter-free elementwise modules are leaves), evaluated node by
node on the batch so shapes are known and every layer is re-initialized before its output is used
downstream; nodes computed from parameters and positions only (masks, positional tables) take their
own moments. Where tracing fails (data-dependent control flow; Hugging Face models), forward hooks
on leaf modules are used instead, in execution order. Limits of the hook mode: functional
operations between modules (residual ``+``, attention, ``view``...) are invisible, so the input
moments of a module fed by such an operation are *measured* on the sample batch rather than
predicted (method ``autoinit-measured`` in the report); modules called more than once are
initialized on their first call.

Fallback: with the default ``fallback="auto"``, a module or operation without a rule has its
output measured on the batch, the weighted layers fed by it are initialized by LSUV (Mishkin &
Matas, arXiv 1511.06422: drawn with the measured ``E[x^2]``, then rescaled once so their output
variance on the batch equals the target; method ``lsuv``), the report lists it (``unruled``,
``notes``) and an :class:`~actlab.init.run.AutoInitFallbackWarning` says so; ``"lsuv"`` does the
same without the warning, ``None`` raises a ``ValueError`` naming it and listing the supported
kinds. ``nn.MultiheadAttention`` counts as four weighted layers (its query/key/value projections
and ``out_proj``, :mod:`actlab.init.mha`). Weighted layers that never run as modules (their weights
used directly by an operation: torchvision Swin's ``shifted_window_attention``) and parameters
outside Linear/Conv, norm and activation modules (embeddings, class tokens, capsule routing
matrices...) keep their initialization, and the report names them (``not_initialized``, ``notes``).

State: the traversal and the measurement run with norm and dropout layers in training mode (batch
statistics, masks) and every other module in eval mode, so stochastic depth contributes all its
blocks (scaled by their survival probability) instead of one random draw; they run under forked
RNGs seeded with ``seed`` and ``seed + 1``, on two different batches (traversal, held-out
measurement). Modes are restored through each module's ``.train(mode)`` (modules with
mode-dependent caches, such as timm LeViT's attention biases, rebuild them), buffers are restored,
and a call that raises restores the parameters too: the model is left as it was.
"""

from __future__ import annotations

import torch
from torch import fx, nn

from . import propagate as P
from .batch import embedding_guard, preserved_state, resolve_input
from .layers import fan_in, is_weighted
from .ops import is_named_norm
from .propagate import Stat, measured_stat
from .report import InitReport, LayerRecord, kind_of, measure_layers
from .run import FALLBACKS, Run
from .traverse import Tracer, fx_pass, hook_pass

__all__ = ["UNSTABLE", "autoinit"]

#: activations whose deep networks no per-layer weight scale keeps in [0.5, 2] x target (measured on
#: the 50 x 256 MLP with the default and with ``center=False``; ``tests/test_autoinit_registry.py``)
UNSTABLE: dict[str, str] = {
    **dict.fromkeys(
        ("bilinear", "glu", "geglu", "geglu_tanh", "reglu", "swiglu", "swiglu_oai"),
        "a product of two pre-activation halves (x * g(y)): its gain grows with the input's magnitude, so each "
        "sample's magnitude drifts away from the batch's layer after layer",
    ),
    **dict.fromkeys(
        ("squ", "ncu", "relu2", "star_relu", "xielu"),
        "a polynomial (quadratic or cubic) branch: the variance map v -> ~v^2 has an unstable fixed point, and "
        "the heavy tails it breeds make a batch's variance a different number on every batch",
    ),
    **dict.fromkeys(
        ("softshrink", "tanhshrink"),
        "a gain that vanishes near 0 (a dead zone, or x - tanh x ~ x^3/3): small samples die and large ones "
        "survive, so a fresh batch's variance is carried by a few samples (measured: 0 after ~30 layers)",
    ),
    "meta_acon": "its switching factor comes from a per-sample MLP over the channel means, a per-sample gain "
    "that compounds with depth (measured 0.04-3.3 x target whatever the centring)",
}


def autoinit(
    model: nn.Module,
    example_input: torch.Tensor | None = None,
    input_shape: tuple[int, ...] | None = None,
    input_mean: float | None = None,
    input_var: float | None = None,
    target_var: float = 1.0,
    fallback: str | None = "auto",
    seed: int = 0,
    *,
    input_dtype: torch.dtype | None = None,
    generator: torch.Generator | None = None,
    batch_size: int = 128,
    calibrate: bool | str = True,
    center: bool | str = "auto",
) -> InitReport:
    """Re-initializes ``model`` in place so every pre-activation has mean 0, variance ``target_var``.

    See the module docstring for the algorithm, the per-layer rules and the fallbacks.

    Args:
        model: any ``nn.Module``; its Linear and Conv1d/2d/3d layers are re-initialized.
        example_input: a batch, used as given (values and dtype; token ids for a language model):
            the traversal runs on it, its moments are the input moments, and the report measures on
            it (``held_out=False``) instead of a fresh draw.
        input_shape: per-sample input shape, instead of ``example_input``.
        input_mean, input_var: moments of the drawn input (default 0, 1); for a float
            ``example_input``, default its own.
        target_var: variance aimed at for every weighted layer's output.
        fallback: ``"auto"`` (default: LSUV after whatever has no rule, with a warning and a report
            entry), ``"lsuv"`` (the same, no warning) or ``None`` (raise); see the module docstring.
        seed: seed of the ``N(input_mean, input_var)`` traversal batch, of dropout masks during
            the passes and of Monte Carlo moments. The report measures on a second, held-out batch
            drawn with ``seed + 1`` (its ``seed`` field), so a calibration never sees it.
        input_dtype: with ``input_shape``: an integer dtype (``torch.long``) draws token ids uniformly in
            ``[0, num_embeddings)`` of the model's first ``nn.Embedding``; ``None``: a float batch.
        generator: random source of the new weights; ``None`` uses PyTorch's global generator.
        batch_size: size of the traversal batch and of the held-out measurement batch.
        calibrate: closed-loop variants, still data-free (they look at the real inputs of each
            layer on the seeded ``N(input_mean, input_var)`` traversal batch, never at data):

            * ``False``: the paper's analytic prediction (method ``autoinit``).
            * ``True`` or ``"moments"`` (default): the scale is the exact *expected* output second moment
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
            ``"auto"`` (default) centres every layer except those feeding a BatchNorm/InstanceNorm directly
            (the norm removes the offsets anyway, and centring there only enlarges the weights);
            in hook mode, where the consumers are unknown, ``"auto"`` centres nothing. A layer with
            one input and one output (e.g. a ``Linear(1, 1)`` readout) cannot be centred; under
            ``center`` its single weight gets the fixed magnitude ``sqrt(target_var / (rho v))``
            (random sign), so its output variance over the batch is exactly ``target_var``.

    Returns:
        An :class:`InitReport` with predicted and measured moments per weighted layer.

    Raises:
        ValueError: an unsupported module or operation with ``fallback=None``, a float batch fed to an
            embedding, a constant input, or a bad argument. The model is then left as it was.

    Warns:
        AutoInitFallbackWarning: ``fallback="auto"`` used LSUV after something without a rule.
    """
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be 'auto', 'lsuv' or None, got {fallback!r}")
    if center not in (True, False, "auto"):
        raise ValueError(f"center must be True, False or 'auto', got {center!r}")
    if calibrate not in (True, False, "moments", "output"):
        raise ValueError(f"calibrate must be False, True (= 'moments') or 'output', got {calibrate!r}")
    if not (target_var > 0 and (input_var is None or input_var >= 0)):
        raise ValueError(f"need target_var > 0 and input_var >= 0, got {target_var}, {input_var}")
    spec = resolve_input(model, example_input, input_shape, input_dtype)
    if spec.given is not None and spec.dtype is None:  # a float batch as given: its own moments
        given = measured_stat(spec.given, False)
        mean = given.mean if input_mean is None else float(input_mean)
        var = given.var if input_var is None else float(input_var)
    else:
        mean = 0.0 if input_mean is None else float(input_mean)
        var = 1.0 if input_var is None else float(input_var)
    batch = spec.batch(model, batch_size, mean, var, seed)
    if generator is None:  # draw from the caller's global RNG before the passes fork and seed it
        generator = torch.Generator(batch.device).manual_seed(int(torch.randint(2**62, (), dtype=torch.int64)))
    run = Run(model, target_var, fallback, seed, generator)
    run.calibrate, run.center = ("moments" if calibrate is True else calibrate), center
    input_stat = Stat(mean, var) if batch.is_floating_point() else measured_stat(batch, False)
    mode = "fx"
    with preserved_state(model, seed), embedding_guard(model):  # a failed call leaves the model as it was
        try:  # preserved_state: only norms and dropout train, so stochastic depth traces in full
            root = nn.Sequential(model) if Tracer().is_leaf_module(model, "") else model  # a bare layer
            gm = fx.GraphModule(root, Tracer().trace(root))
        except Exception as e:  # noqa: BLE001 - any tracing failure means: use hooks
            mode = "hooks"
            first = str(e).splitlines()[0][:120] if str(e) else ""
            run.notes.append(f"torch.fx could not trace the model ({type(e).__name__}: {first}); used forward hooks")
        if mode == "fx":
            fx_pass(gm, batch, run, input_stat)
        else:
            hook_pass(model, batch, run, input_stat)
    missed = [run.names[m] for m in model.modules() if is_weighted(m) and m not in run.records]
    if missed:
        run.notes.append(
            f"{len(missed)} weighted layer(s) never ran as modules on the sample batch and kept their init: "
            f"{', '.join(missed[:5])}" + (", ..." if len(missed) > 5 else "")
        )
    kept = [
        f"{name}.{pname}" if name else pname
        for name, m in model.named_modules()
        if not (is_weighted(m) or is_named_norm(m) or P.is_activation(m) or isinstance(m, nn.MultiheadAttention))
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
    held_out = spec.given is None
    measure_batch = spec.batch(model, batch_size, mean, var, seed + 1) if held_out else batch
    with embedding_guard(model):
        measured = measure_layers(model, measure_batch, seed + 1)
    for name, m, mm, mv in measured:
        rec = run.records.get(m) or LayerRecord(name, kind_of(m), fan_in=fan_in(m), method="default")
        rec.depth, rec.meas_mean, rec.meas_var = len(layers), mm, mv
        layers.append(rec)
    run.finish_warnings()
    return InitReport(
        layers, target_var, mean, var, seed + 1 if held_out else seed, len(measure_batch), mode, run.notes,
        unruled=list(run.unruled), not_initialized=missed, held_out=held_out, vocab=spec.vocab,
    )  # fmt: skip
