"""Fused kernels derived from the formula (this tree) vs the hand-written backward (a git ref).

Until commit 4e63fa6 every fused activation had a hand-derived backward (``fast/specs.py``); now
the backward is the vector-Jacobian product of the one formula. This script measures both on
the same machine: it checks the reference commit out into a temporary worktree and runs one
child process per version, alternating (new, old, new, old, ...), so machine noise hits both
alike. Each child times fused forward+backward against native ``torch.relu`` interleaved
(A B A B ...) and reports the median of the paired ratios; the parent prints, per activation,
the median over rounds of each version's ratio and new/old.

Usage::

    python benchmarks/fused_vs_handwritten.py [--ref 4e63fa6] [--rounds 3] [--numel 4194304] [NAMES...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, statistics, sys, time, torch, actlab
names, numel, repeats = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
x = torch.randn(numel // 256, 256)
g = torch.ones_like(x)

def step(fn):
    xg = x.detach().requires_grad_(True)
    t0 = time.perf_counter()
    fn(xg).backward(g)
    return time.perf_counter() - t0

out = {}
for name in names:
    try:
        mod = actlab.create_activation(name, impl="fused")
        for _ in range(3):
            step(mod), step(torch.relu)
    except Exception as e:  # an activation the old tree had no fused path for
        out[name] = None
        continue
    ratios = [step(mod) / step(torch.relu) for _ in range(repeats)]
    out[name] = statistics.median(ratios)
print(json.dumps(out))
"""


def _run(src: Path, names: list[str], numel: int, repeats: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, "-c", CHILD, json.dumps(names), str(numel), str(repeats)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--ref", default="4e63fa6", help="commit with the hand-written backward")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--numel", type=int, default=1 << 22)
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    root = Path(__file__).resolve().parents[1]
    names = args.names or _old_fused_names()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "-q", "--detach", str(old), args.ref], check=True)
        try:
            rows: dict[str, dict[str, list[float]]] = {n: {"new": [], "old": []} for n in names}
            for r in range(args.rounds):
                for label, src in (("new", root / "src"), ("old", old / "src")):
                    for n, v in _run(src, names, args.numel, args.repeats).items():
                        if v is not None:
                            rows[n][label].append(v)
                print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(old)], check=False)
    table = []
    print(f"fused fwd+bwd, x native ReLU (median of {args.rounds} alternating rounds; numel {args.numel})")
    print(f"{'activation':<20} {'derived':>8} {'hand':>8} {'derived/hand':>13}")
    for n, v in rows.items():
        new = statistics.median(v["new"]) if v["new"] else None
        old_ = statistics.median(v["old"]) if v["old"] else None
        ratio = new / old_ if new and old_ else None
        table.append({"name": n, "derived": new, "hand": old_, "derived_over_hand": ratio})
        fmt = lambda z: "-" if z is None else f"{z:.2f}"  # noqa: E731
        print(f"{n:<20} {fmt(new):>8} {fmt(old_):>8} {fmt(ratio):>13}")
    if args.json:
        Path(args.json).write_text(json.dumps({"numel": args.numel, "rounds": args.rounds, "rows": table}, indent=1))


def _old_fused_names() -> list[str]:
    # the 31 activations that had a hand-written fused spec at 4e63fa6 (plus LAAF/Rowdy/PAU)
    return ["leaky_relu", "prelu", "hardtanh", "hardsigmoid", "hardswish", "elu", "celu", "selu", "softplus",
            "swish", "softsign", "elliott", "lisht", "srs", "pdelu", "ada", "leaky_ada", "colu",
            "adaptive_sigmoid", "adaptive_tanh", "adaptive_relu", "adaptive_relu_max", "pvlu", "gcu", "squ",
            "ncu", "ssu", "dsu", "nish", "fplus", "pfplus", "laaf", "rowdy", "pau"]


if __name__ == "__main__":
    main()
