"""Default init vs AutoInit for a deep MLP on MNIST-1D: final test accuracy over seeds.

One stage per function, as in the benchmark pipeline: ``runs()`` trains every
(activation, init, seed) cell with :func:`actlab.train_one` (no file I/O), ``summarize()`` is a pure
function of the results (mean and a Student-t 95 % interval over seeds), ``markdown()`` renders it.

    python benchmarks/autoinit_study.py --out results.json   # trains, prints the table
    python benchmarks/autoinit_study.py --table results.json # table from stored results
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import subprocess
import time

import numpy as np
import torch
from scipy import stats

ACTS = ("relu", "tanh", "selu")
INITS = ("default", "autoinit")
SEEDS = (0, 1, 2)
BASE = dict(dataset="mnist1d", model="mlp", model_kwargs={"depth": 20, "width": 64}, optimizer="adam", lr=1e-3,
            epochs=30, batch_size=128, device="cpu")  # fmt: skip


def runs(acts=ACTS, inits=INITS, seeds=SEEDS, base=BASE) -> list[dict]:
    from actlab.train import TrainConfig, train_one

    out = []
    for act in acts:
        for init in inits:
            for seed in seeds:
                t = time.perf_counter()
                r = train_one(TrainConfig(**base, act=act, init=init, seed=seed))
                out.append({"act": act, "init": init, "seed": seed, "test_acc": r.test.acc,
                            "diverged": bool(getattr(r, "diverged", False)),
                            "wall_s": time.perf_counter() - t})  # fmt: skip
                print(json.dumps(out[-1]), flush=True)
    return out


def summarize(rows: list[dict], level: float = 0.95) -> list[dict]:
    """Mean test accuracy and Student-t interval per (act, init) over seeds."""
    cells: dict[tuple, list[float]] = {}
    for r in rows:
        cells.setdefault((r["act"], r["init"]), []).append(r["test_acc"])
    out = []
    for (act, init), v in cells.items():
        a = np.asarray(v, dtype=float)
        half = stats.t.ppf(0.5 + level / 2, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else math.nan
        out.append({"act": act, "init": init, "n": len(a), "mean": float(a.mean()), "lo": float(a.mean() - half),
                    "hi": float(a.mean() + half), "values": v})  # fmt: skip
    return out


def markdown(summary: list[dict]) -> str:
    lines = ["| activation | init | mean test acc | 95 % t-interval | n | per seed |", "|---|---|---|---|---|---|"]
    for s in summary:
        per = ", ".join(f"{v:.3f}" for v in s["values"])
        lines.append(
            f"| {s['act']} | {s['init']} | {s['mean']:.3f} | [{s['lo']:.3f}, {s['hi']:.3f}] | {s['n']} | {per} |"
        )
    return "\n".join(lines)


def provenance() -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    return {"commit": commit, "torch": torch.__version__, "python": platform.python_version(),
            "machine": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
            "config": BASE}  # fmt: skip


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=None, help="write runs and provenance to this JSON file")
    p.add_argument("--table", default=None, help="print the table of a stored results file")
    p.add_argument("--epochs", type=int, default=BASE["epochs"])
    a = p.parse_args()
    if a.table:
        print(markdown(summarize(json.load(open(a.table))["runs"])))
    else:
        torch.set_num_threads(1)
        BASE["epochs"] = a.epochs
        rows = runs(base=BASE)
        if a.out:
            json.dump({"provenance": provenance(), "runs": rows}, open(a.out, "w"), indent=1)
        print(markdown(summarize(rows)))
