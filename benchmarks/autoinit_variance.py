"""Pre-activation variance after initialization, every registered model x 10 activations.

For each model family and activation, builds the model under ``torch.manual_seed(0)``, measures
PyTorch's default init, then applies :func:`actlab.autoinit` in several variants and measures again
(seeded N(0, 1) batch of 64). Prints one JSON line per (model, activation) with, per variant, the
min and max over weighted layers of measured variance / target, the layers outside [0.5, 2] and
the largest activation-output variance met in the forward pass (``inf`` once float32 overflows);
``--markdown`` turns a results file into the docs table.

Widths (``--widths matrix``, the default): the registered ``test_kwargs`` of most families use
2-8 channels, where one weight draw of a layer cannot have a predictable variance (the variance of
a conv's output is then dominated by a handful of per-channel offsets ``mu sum_j w_cj``, a sample
of C values). :data:`MATRIX_KWARGS` overrides them per family with the smallest configuration whose
narrowest weighted layer has >= 16 output channels/units, everything else (depth, input size) as in
``test_kwargs``. ``--widths test`` uses ``test_kwargs`` unchanged.

    python benchmarks/autoinit_variance.py > results.jsonl
    python benchmarks/autoinit_variance.py --markdown results.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

import torch

ACTS = ["relu", "selu", "tanh", "sigmoid", "gelu", "gcu", "colu", "ada", "pvlu", "squ"]
VARIANTS = {
    "autoinit": {},  # paper-faithful
    "calibrate": {"calibrate": True},
    "auto+calibrate": {"center": "auto", "calibrate": True},
    "auto+output": {"center": "auto", "calibrate": "output"},  # recommended
}
RECOMMENDED = "auto+output"
# per family: builder overrides giving >= 16 channels/units in the narrowest weighted layer
# (lenet5 / pynada_lenet have fixed widths, 6 and 16 channels; single_neuron has one unit by
# definition, so only its input grows: its readout stays a Linear(1, 1)).
MATRIX_KWARGS: dict[str, dict[str, Any]] = {
    "allcnn_c": {"width_mult": 1 / 6},  # 16 / 32 channels
    "cnn1d": {"channels": 16},
    "damage_cnn": {"widths": (16, 16), "hidden": 32},
    "densenet121": {"growth_rate": 16},
    "mlp": {"width": 16},
    "mobilenet": {"width_mult": 0.5},  # 16 ... 512 channels
    "preact_resnet18": {"base_width": 16},
    "pynada_mlp": {"widths": (16, 16)},
    "resnet18": {"base_width": 16},
    "resnet34": {"base_width": 16},
    "resnet50": {"base_width": 16},
    **{f"resnet{d}": {"widths": (16, 16, 16)} for d in (20, 32, 44, 56, 110)},
    "simple_cnn": {"widths": (16, 16), "hidden": 32},
    "single_neuron": {"in_chans": 16},
    **{f"vgg{d}": {"width_mult": 0.25} for d in (11, 13, 16, 19)},  # 16 ... 128 channels
    "wrn": {"base_width": 16},
    **{n: {"base_width": 8} for n in ("wrn16_8", "wrn28_10", "wrn40_4")},  # widen 2: 16 / 32 / 64
}


def config(name: str, widths: str = "matrix") -> tuple[dict[str, Any], tuple[int, ...]]:
    """Builder kwargs (``in_chans`` included) and per-sample input shape of ``name`` in the matrix."""
    from actlab.models import model_info

    info = model_info(name)
    kw = {"in_chans": info.test_shape[0], **info.test_kwargs}
    if widths == "matrix":
        kw.update(MATRIX_KWARGS.get(name, {}))
    shape = (kw["in_chans"], *info.test_shape[1:])
    return kw, shape


def act_peak(model: torch.nn.Module, shape: tuple[int, ...], batch: int) -> float:
    """Largest output variance of any activation module on the seeded batch (inf on overflow)."""
    from actlab.init import propagate as P
    from actlab.init.batch import preserved_state, sample_batch

    peak = [0.0]

    def hook(m, args, out):
        if isinstance(out, torch.Tensor):
            v = float(out.detach().double().var()) if torch.isfinite(out).all() else math.inf
            peak[0] = max(peak[0], v if math.isfinite(v) else math.inf)

    hs = [m.register_forward_hook(hook) for m in model.modules() if P.is_activation(m)]
    try:
        x = sample_batch(shape, batch, 0.0, 1.0, 0, model)
        with preserved_state(model, 0):
            model(x)
    finally:
        for h in hs:
            h.remove()
    return peak[0]


def init_independent_blowup(build: Any, shape: tuple[int, ...], batch: int, peak: float) -> bool:
    """Whether the forward's activation variance explodes (> 1e6) whatever the weights' scale.

    Measured: the largest activation-output variance under PyTorch's default init exceeds 1e6 and
    is unchanged (within 1 %) after multiplying every Linear/Conv weight by 10. Then no weight
    initialization can bring it back (e.g. SQU on a post-activation residual stream: BatchNorm
    fixes every branch at unit variance, and the stream goes through ``x -> (x + b)^2 + (x + b)``
    once per block).
    """
    from actlab.init import WEIGHTED_LAYERS

    if not peak > 1e6:
        return False
    m = build()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, WEIGHTED_LAYERS):
                mod.weight.mul_(10.0)
    scaled = act_peak(m, shape, batch)
    return scaled == peak or abs(scaled - peak) <= 0.01 * peak


def _summary(report: Any, model: torch.nn.Module, shape: tuple[int, ...], batch: int) -> dict[str, Any]:
    q = report.ratios()
    bad = [
        (r.name, round(r.meas_var / report.target_var, 3))
        for r in report.layers
        if not 0.5 <= r.meas_var / report.target_var <= 2.0
    ]
    return {"range": [min(q), max(q)], "misses": bad[:6], "n_miss": len(bad), "peak": act_peak(model, shape, batch)}


def run(models: list[str], acts: list[str], batch: int, widths: str, variants: list[str]) -> None:
    from actlab.init import autoinit, measure_init
    from actlab.models import create_model, list_models, model_info

    for name in models or list_models():
        if not model_info(name).has_activation or model_info(name).tokens:
            continue  # token models (gpt) take int64 ids, not the N(0, 1) batch measured here
        kw, shape = config(name, widths)
        for act in acts:
            row: dict[str, Any] = {"model": name, "act": act, "kwargs": {k: v for k, v in kw.items()}, "shape": shape}

            def build(name=name, act=act, kw=kw):  # bind this iteration's values
                torch.manual_seed(0)
                return create_model(name, act=(act, {"impl": "eager"}), **kw)

            m = build()
            # the same held-out batch (seed 1) autoinit's reports measure on
            row["default"] = _summary(measure_init(m, input_shape=shape, batch_size=batch, seed=1), m, shape, batch)
            row["excluded"] = init_independent_blowup(build, shape, batch, row["default"]["peak"])
            for v, opts in ((v, VARIANTS[v]) for v in variants):
                t = time.perf_counter()
                m = build()
                try:
                    r = autoinit(m, input_shape=shape, batch_size=batch, generator=torch.Generator().manual_seed(0),
                                 fallback="lsuv" if name == "mocapsnet" else None, **opts)  # fmt: skip
                    row[v] = _summary(r, m, shape, batch)
                    row[v]["methods"] = sorted(set(r.methods().values()))
                    row[v]["fallback"] = any(n.startswith("no rule for") for n in r.notes)
                except ValueError as e:  # a row records the error (e.g. overflowing predicted moments)
                    row[v] = {"error": str(e).splitlines()[0][:200], "peak": act_peak(m, shape, batch)}
                row[v]["s"] = round(time.perf_counter() - t, 2)
            print(json.dumps(row), flush=True)


def _cell(c: dict[str, Any]) -> tuple[str, bool]:
    if "error" in c:
        return "error", False
    lo, hi = c["range"]
    good = 0.5 <= lo and hi <= 2.0
    mark = "†" if c.get("fallback") else ""  # ran with fallback="lsuv": some op has no rule
    return f"{'**' if good else ''}{lo:.2g}–{hi:.3g}{'**' if good else ''}{mark}", good


def markdown(path: str) -> str:
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    cols = ["default", *(v for v in VARIANTS if v in rows[0])]
    out = ["| model | act | " + " | ".join(cols) + " |", "|" + "---|" * (2 + len(cols))]
    ok = {c: 0 for c in cols}
    for r in rows:
        if r.get("excluded"):
            out.append(f"| {r['model']} | {r['act']} | excluded: activation variance {r['default']['peak']:.3g} under "
                       "the default init, unchanged with weights x10 |" + " |" * (len(cols) - 1))  # fmt: skip
            continue
        cells = []
        for c in cols:
            text, good = _cell(r[c])
            ok[c] += good
            cells.append(text)
        out.append(f"| {r['model']} | {r['act']} | " + " | ".join(cells) + " |")
    n = sum(not r.get("excluded") for r in rows)
    out += ["", f"Within [0.5, 2] x target at every weighted layer (bold), out of {n} ({len(rows) - n} excluded): "
            + ", ".join(f"{c} {ok[c]}" for c in cols),
            "", f"Misses of the recommended variant ({RECOMMENDED}):", ""]  # fmt: skip
    for r in rows:
        c = r[RECOMMENDED]
        if not r.get("excluded") and ("error" in c or c["n_miss"]):
            what = c.get("error") or f"{c['n_miss']} layer(s) out of range: " + ", ".join(
                f"{n} {q}" for n, q in c["misses"]
            )
            out.append(f"* {r['model']}/{r['act']}: {what}; largest activation-output variance {c['peak']:.3g} "
                       f"(default init: {r['default']['peak']:.3g})")  # fmt: skip
    return "\n".join(out)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=[])
    p.add_argument("--acts", nargs="*", default=ACTS)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--widths", choices=("matrix", "test"), default="matrix")
    p.add_argument("--variants", nargs="*", choices=list(VARIANTS), default=list(VARIANTS))
    p.add_argument("--markdown", metavar="RESULTS.jsonl")
    a = p.parse_args()
    if a.markdown:
        print(markdown(a.markdown))
        sys.exit(0)
    torch.set_num_threads(1)
    run(a.models, a.acts, a.batch, a.widths, a.variants)
