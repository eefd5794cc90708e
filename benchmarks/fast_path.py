"""Renders the fast-path results page from ``actlab profile --json`` output.

    actlab profile --json > elementwise.json
    actlab profile pvlu colu gcu nish swish ada --model --no-compile --json > model.json
    python benchmarks/fast_path.py elementwise.json model.json -o benchmarks/RESULTS.md

Every time ratio is against native ReLU timed alternately with the candidate in the same process
(``actlab.perf``: median of paired ratios, with the interquartile range); the page states the
device and versions of each run and checks the issue's CPU target (fused fwd+bwd >= 2x faster
than the eager composite, saving only the input). JSON written before the paired profiler (plain
floats, ``speed_vs_relu``) still renders, without spreads.
"""

from __future__ import annotations

import argparse
import json


def _med(v: dict | float | None) -> float | None:
    """The median of a paired ratio (``actlab.perf.Ratio`` as a dict), or an older plain float."""
    return v["median"] if isinstance(v, dict) else v


def _f(v: dict | float | None) -> str:
    if v is None:
        return "-"
    if isinstance(v, dict):
        return f"{v['median']:.2f}x [{v['q1']:.2f}, {v['q3']:.2f}]"
    return f"{v:.2f}x"


def render(elem: dict, model: dict | None) -> str:
    env = elem["env"]
    lines = [
        "## Elementwise, forward+backward",
        "",
        f"Device: {env['device']} CPU, {env['threads']} threads; torch {env['torch']}, actlab {env['actlab']}, "
        f"Python {env['python']}; commit {env.get('commit') or 'not recorded'}; {env['dtype']}, "
        f"{env['numel']:,} elements; "
        f"{str(env['repeats']) + ' timed pairs per figure' if 'repeats' in env else 'median of repeats'} "
        "after warm-up.",
        "",
        "Times and saved-for-backward memory as multiples of native ReLU in the same run (lower is better); "
        "times are medians of paired ratios (ReLU and candidate timed alternately) with [q1, q3]. The `relu` row "
        "is native against native (~1.00x): its spread is the run's noise. `compiled` is torch.compile against "
        "eager native ReLU.",
        "`speed-up` = eager f+b / fused f+b; target >= 2x for composites, fused memory = the input only.",
        "",
        "| activation | eager fwd | eager f+b | eager mem | fused fwd | fused f+b | fused mem | compiled fwd "
        "| compiled f+b | speed-up | CPU target |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in elem["elementwise"]:
        native = any("runs eager" in n for n in r.get("notes", ()))  # one native kernel: auto keeps eager
        if r["fused_fwdbwd"]:
            sp = _med(r["eager_fwdbwd"]) / _med(r["fused_fwdbwd"])
            ok = "met" if sp >= 2 and r["fused_saved"] <= 1.01 else f"missed ({sp:.2f}x)"
            spt = f"{sp:.2f}x"
        else:
            spt, ok = "-", "no fused path"
        if native:
            ok = "native kernel (auto keeps eager)"
        lines.append(
            f"| {r['name']} | {_f(r['eager_fwd'])} | {_f(r['eager_fwdbwd'])} | {_f(r['eager_saved'])} | "
            f"{_f(r['fused_fwd'])} | {_f(r['fused_fwdbwd'])} | {_f(r['fused_saved'])} | "
            f"{_f(r.get('compiled_fwd'))} | {_f(r['compiled_fwdbwd'])} | {spt} | {ok} |"
        )
    if model and model.get("model"):
        m0 = model["model"][0]
        menv = model["env"]
        lines += [
            "",
            "## Model-level training step",
            "",
            f"`{m0['model']}`, batch {m0['batch']}, SGD-Nesterov step, {m0['device']} ({menv['device']}, "
            f"{menv['threads']} threads, torch {menv['torch']}). Native ReLU: {m0['images_per_s']:.0f} img/s. "
            f"Step time: median [q1, q3] of paired ratios vs the ReLU model (lower is faster). Memory: "
            f"{m0.get('memory_kind', 'cpu: bytes saved for backward; cuda: peak allocated')}.",
            "",
            "| activation | impl | img/s | step time vs ReLU | memory vs ReLU |",
            "|---|---|---|---|---|",
        ]
        for m in model["model"]:
            # older JSON has a throughput ratio (higher is faster); step time is its inverse
            step = m["step_time"] if "step_time" in m else 1.0 / m["speed_vs_relu"]
            lines.append(
                f"| {m['name']} | {m['impl']} | {m['images_per_s']:.0f} | {_f(step)} | {m['memory_vs_relu']:.2f}x |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("elementwise", help="JSON from `actlab profile --json`")
    p.add_argument("model", nargs="?", help="JSON from `actlab profile NAMES --model --json`")
    p.add_argument("-o", "--out", help="write here instead of stdout")
    a = p.parse_args()
    elem = json.load(open(a.elementwise))
    model = json.load(open(a.model)) if a.model else None
    text = render(elem, model)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
