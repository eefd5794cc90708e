"""``actlab profile [NAMES] [--device cpu|cuda] [--dtype ...] [--json]``: cost vs native ReLU."""

from __future__ import annotations

import argparse
import json
import platform
import sys

_DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16",
           "float16": "float16", "fp16": "float16"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profile", help="time and memory of activations relative to native ReLU")
    p.add_argument("names", nargs="*", help="activations (default: every elementwise one)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--dtype", default="float32", choices=sorted(_DTYPES))
    p.add_argument("--numel", type=int, default=None,
                   help="elements per input, a positive multiple of 256 (default 4M CPU, 64M CUDA)")
    p.add_argument("--repeats", type=int, default=10, help="timed (ReLU, candidate) pairs per figure, >= 1")
    p.add_argument("--no-compile", action="store_true", help="skip the torch.compile columns")
    p.add_argument("--no-sanity", action="store_true", help="omit the relu row (native vs native, should read ~1.00x)")
    p.add_argument("--model", action="store_true", help="also time a model training step per activation")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=_run)


def _cell(r) -> str:
    """``median q1-q3`` of a Ratio, ``-`` for None."""
    return "-" if r is None else f"{r.median:.2f} {r.q1:.2f}-{r.q3:.2f}"


def _mem(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def _run(args: argparse.Namespace) -> int:
    import torch

    from .. import __version__
    from ..activations import activation_info
    from ..bench.store import provenance
    from ..perf import profile_elementwise, profile_model_step

    if args.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda requested but torch.cuda.is_available() is False; use --device cpu")
    dtype = getattr(torch, _DTYPES[args.dtype])
    numel = (1 << 26 if args.device == "cuda" else 1 << 22) if args.numel is None else args.numel
    elem_names = args.names or None
    if args.model and args.names:  # reducing activations can still be timed inside the model
        reducing = [n for n in args.names if not activation_info(n).elementwise]
        elem_names = [n for n in args.names if n not in reducing]
        if reducing:
            print(f"not elementwise, timed in the model step only: {', '.join(reducing)}", file=sys.stderr)
    rows = []
    if elem_names is None or elem_names:
        rows = profile_elementwise(elem_names, args.device, dtype, numel, args.repeats,
                                   compiled=not args.no_compile, sanity=not args.no_sanity)
    model_rows = []
    if args.model:
        names = args.names or [r.name for r in rows]
        model_rows = profile_model_step(names, args.device, steps=args.repeats)
    env = {
        "actlab": __version__, "torch": torch.__version__, "python": platform.python_version(),
        "device": torch.cuda.get_device_name() if args.device == "cuda" else platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(), "dtype": args.dtype, "numel": numel, "repeats": args.repeats,
        "commit": provenance()["git_commit"],
    }
    if args.json:
        print(json.dumps({"env": env, "elementwise": [r.to_dict() for r in rows],
                          "model": [m.to_dict() for m in model_rows]}, indent=1))
        return 0
    print(" ".join(f"{k}={v}" for k, v in env.items()))
    if rows:
        r0 = rows[0]
        print(f"native ReLU: fwd {r0.eager_fwd.baseline_s * 1e3:.3f} ms, "
              f"fwd+bwd {r0.eager_fwdbwd.baseline_s * 1e3:.3f} ms (medians). Times: median and interquartile range "
              f"of {args.repeats} paired ratios candidate/ReLU, timed alternately; memory: saved-for-backward bytes / "
              "ReLU's (exact). Lower is better.")
    cols = ["eager fwd", "eager f+b", "fused fwd", "fused f+b", "compiled fwd", "compiled f+b"]
    print(f"{'activation':<18} " + " ".join(f"{c:>15}" for c in cols) + f" {'eager mem':>9} {'fused mem':>9}")
    for r in rows:
        cells = [r.eager_fwd, r.eager_fwdbwd, r.fused_fwd, r.fused_fwdbwd, r.compiled_fwd, r.compiled_fwdbwd]
        print(f"{r.name:<18} " + " ".join(f"{_cell(c):>15}" for c in cells)
              + f" {_mem(r.eager_saved):>9} {_mem(r.fused_saved):>9}")
    if model_rows:
        m0 = model_rows[0]
        print(f"\nmodel step: {m0.model}, batch {m0.batch}, {m0.device}; ReLU {m0.images_per_s:.0f} img/s; "
              f"step time: median and IQR of {m0.step_time.n} paired ratios vs the ReLU model; "
              f"memory: {m0.memory_kind}")
        print(f"{'activation':<18} {'impl':<7} {'img/s':>9} {'step time':>15} {'memory':>7}")
        for m in model_rows:
            print(f"{m.name:<18} {m.impl:<7} {m.images_per_s:>9.0f} {_cell(m.step_time):>15} {m.memory_vs_relu:>6.2f}x")
    return 0
