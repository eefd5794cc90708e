"""How stable is a pre-activation variance measured on a batch of 64? SQU vs ReLU after AutoInit.

For each model family (registered test widths, or ``--widths matrix``) and activation, AutoInit
with ``center="auto", calibrate="output"`` fits every layer on the traversal batch (seed 0); the
net is then measured on held-out ``N(0, 1)`` batches with seeds 1..K. Per pair, one JSON line:
the fraction of held-out batches on which every weighted layer is in [0.5, 2] x target, the
spread (min-max over batches) of the worst layer's ratio, and the median over batches of the share
of that layer's summed per-sample ``E[y^2]`` held by the 3 largest of the 64 samples (3/64 = 0.05
for a light-tailed output). Pairs whose forward explodes whatever the weights are skipped.

    python benchmarks/autoinit_tails.py --acts squ relu > tails.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics

import torch

from autoinit_variance import act_peak, config, init_independent_blowup


def per_layer(model: torch.nn.Module, shape: tuple[int, ...], seed: int) -> dict[str, torch.Tensor]:
    """Each weighted layer's output on the held-out batch ``seed`` (float64)."""
    from actlab.init import WEIGHTED_LAYERS
    from actlab.init.batch import preserved_state, sample_batch

    outs: dict[str, torch.Tensor] = {}
    hs = [m.register_forward_hook(lambda mod, a, o, n=n: [outs.setdefault(n, o.detach().double()), None][1])
          for n, m in model.named_modules() if isinstance(m, WEIGHTED_LAYERS)]  # fmt: skip
    try:
        with preserved_state(model, seed):
            model(sample_batch(shape, 64, 0.0, 1.0, seed, model))
    finally:
        for h in hs:
            h.remove()
    return outs


def run(models: list[str], acts: list[str], widths: str, k: int) -> None:
    from actlab.init import autoinit
    from actlab.models import create_model, list_models, model_info

    for name in models or list_models():
        if not model_info(name).has_activation or name == "mocapsnet":
            continue
        kw, shape = config(name, widths)
        for act in acts:
            def build(name=name, act=act, kw=kw):  # bind this iteration's values
                torch.manual_seed(0)
                return create_model(name, act=(act, {"impl": "eager"}), **kw)

            if init_independent_blowup(build, shape, 64, act_peak(build(), shape, 64)):
                continue
            m = build()
            autoinit(m, input_shape=shape, batch_size=64, generator=torch.Generator().manual_seed(0),
                     center="auto", calibrate="output")  # fmt: skip
            ok, worst, share = 0, [], []
            for seed in range(1, k + 1):
                outs = per_layer(m, shape, seed)
                q = {n: float(y.var(unbiased=False)) for n, y in outs.items()}
                ok += all(0.5 <= v <= 2.0 for v in q.values())
                n = max(q, key=lambda n: abs(torch.tensor(q[n]).log().item()))  # farthest from 1
                worst.append(q[n])
                per = outs[n].flatten(1).pow(2).mean(1).sort().values
                share.append(float(per[-3:].sum() / per.sum()))
            row = {"model": name, "act": act, "in_range": ok / k, "worst": [min(worst), max(worst)],
                   "top3_share": statistics.median(share)}  # fmt: skip
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=[])
    p.add_argument("--acts", nargs="*", default=["squ", "relu"])
    p.add_argument("--widths", choices=("matrix", "test"), default="test")
    p.add_argument("--batches", type=int, default=8)
    a = p.parse_args()
    torch.set_num_threads(1)
    run(a.models, a.acts, a.widths, a.batches)
