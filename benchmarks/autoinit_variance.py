"""Pre-activation variance after initialization, every registered model x 10 activations.

For each model family (tiny test configuration, ``model_info(name).test_kwargs``) and activation,
builds the model under ``torch.manual_seed(0)``, measures PyTorch's default init, then applies
:func:`actlab.autoinit` in several variants and measures again (seeded N(0, 1) batch of 64).
Prints one JSON line per (model, activation, variant) with the min and max over weighted layers
of measured variance / target; ``--markdown`` turns a results file into the docs table.

    python benchmarks/autoinit_variance.py > results.jsonl
    python benchmarks/autoinit_variance.py --markdown results.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

ACTS = ["relu", "selu", "tanh", "sigmoid", "gelu", "gcu", "colu", "ada", "pvlu", "squ"]
VARIANTS = {
    "autoinit": {},
    "center": {"center": True},
    "calibrate": {"calibrate": True},
    "center+calibrate": {"center": True, "calibrate": True},
    "auto": {"center": "auto"},
    "auto+calibrate": {"center": "auto", "calibrate": True},
}


def run(models: list[str], acts: list[str], batch: int) -> None:
    from actlab.init import autoinit, measure_init
    from actlab.models import create_model, list_models, model_info

    for name in models or list_models():
        info = model_info(name)
        if not info.has_activation:
            continue
        for act in acts:
            row = {"model": name, "act": act}

            def build():
                torch.manual_seed(0)
                return create_model(name, act=act, in_chans=info.test_shape[0], **info.test_kwargs)

            try:
                q = measure_init(build(), input_shape=info.test_shape, batch_size=batch).ratios()
                row["default"] = [min(q), max(q)]
                for v, kw in VARIANTS.items():
                    t = time.perf_counter()
                    r = autoinit(build(), input_shape=info.test_shape, batch_size=batch,
                                 generator=torch.Generator().manual_seed(0), **kw)  # fmt: skip
                    q = r.ratios()
                    row[v] = [min(q), max(q)]
                    row[v + "_s"] = round(time.perf_counter() - t, 2)
                    row["mode"] = r.mode
            except Exception as e:  # noqa: BLE001 - a row records the error
                row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
            print(json.dumps(row), flush=True)


def markdown(path: str) -> str:
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    cols = ["default", *VARIANTS]
    out = ["| model | act | " + " | ".join(cols) + " |", "|" + "---|" * (2 + len(cols))]
    ok = {c: 0 for c in cols}
    for r in rows:
        if "error" in r:
            out.append(f"| {r['model']} | {r['act']} | " + r["error"].replace("|", "/")[:90] + " |" + " |" * (len(cols) - 1))
            continue
        cells = []
        for c in cols:
            lo, hi = r[c]
            good = 0.5 <= lo and hi <= 2.0
            ok[c] += good
            cells.append(f"{'**' if good else ''}{lo:.2g}–{hi:.3g}{'**' if good else ''}")
        out.append(f"| {r['model']} | {r['act']} | " + " | ".join(cells) + " |")
    n = sum("error" not in r for r in rows)
    out.append("")
    out.append("Within [0.5, 2] x target at every weighted layer (bold): " + ", ".join(f"{c} {ok[c]}/{n}" for c in cols))
    return "\n".join(out)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=[])
    p.add_argument("--acts", nargs="*", default=ACTS)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--markdown", metavar="RESULTS.jsonl")
    a = p.parse_args()
    if a.markdown:
        print(markdown(a.markdown))
        sys.exit(0)
    torch.set_num_threads(1)
    run(a.models, a.acts, a.batch)
