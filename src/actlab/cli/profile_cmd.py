"""``actlab profile [NAMES] [--device cpu|cuda] [--dtype ...] [--json]``: cost vs native ReLU."""

from __future__ import annotations

import argparse
import json
import platform

_DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16",
           "float16": "float16", "fp16": "float16"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profile", help="time and memory of activations relative to native ReLU")
    p.add_argument("names", nargs="*", help="activations (default: every elementwise one)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--dtype", default="float32", choices=sorted(_DTYPES))
    p.add_argument("--numel", type=int, default=None, help="elements per input (default 4M CPU, 64M CUDA)")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--no-compile", action="store_true", help="skip the torch.compile column")
    p.add_argument("--model", action="store_true", help="also time a model training step per activation")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=_run)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def _run(args: argparse.Namespace) -> int:
    import torch

    from .. import __version__
    from ..fast.profile import profile_elementwise, profile_model_step

    if args.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda requested but torch.cuda.is_available() is False; use --device cpu")
    dtype = getattr(torch, _DTYPES[args.dtype])
    numel = args.numel or (1 << 26 if args.device == "cuda" else 1 << 22)
    rows = profile_elementwise(args.names or None, args.device, dtype, numel, args.repeats,
                               compiled=not args.no_compile)
    model_rows = []
    if args.model:
        names = args.names or [r.name for r in rows]
        model_rows = profile_model_step(names, args.device)
    env = {
        "actlab": __version__, "torch": torch.__version__, "python": platform.python_version(),
        "device": torch.cuda.get_device_name() if args.device == "cuda" else platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(), "dtype": args.dtype, "numel": numel,
    }
    if args.json:
        print(json.dumps({"env": env, "elementwise": [r.to_dict() for r in rows],
                          "model": [m.to_dict() for m in model_rows]}, indent=1))
        return 0
    print(" ".join(f"{k}={v}" for k, v in env.items()))
    print(f"native ReLU: fwd {rows[0].relu_fwd_s * 1e3:.2f} ms, fwd+bwd {rows[0].relu_fwdbwd_s * 1e3:.2f} ms"
          if rows else "no activations selected")
    print(f"{'activation':<18} {'eager fwd':>9} {'eager f+b':>9} {'eager mem':>9} {'fused fwd':>9} "
          f"{'fused f+b':>9} {'fused mem':>9} {'compiled f+b':>12}  (x native ReLU; lower is better)")
    for r in rows:
        print(f"{r.name:<18} {_fmt(r.eager_fwd):>9} {_fmt(r.eager_fwdbwd):>9} {_fmt(r.eager_saved):>9} "
              f"{_fmt(r.fused_fwd):>9} {_fmt(r.fused_fwdbwd):>9} {_fmt(r.fused_saved):>9} {_fmt(r.compiled_fwdbwd):>12}")
    if model_rows:
        m0 = model_rows[0]
        print(f"\nmodel step: {m0.model}, batch {m0.batch}, {m0.device}; ReLU {m0.images_per_s:.0f} img/s")
        print(f"{'activation':<18} {'impl':<7} {'img/s':>9} {'speed':>7} {'memory':>7}")
        for m in model_rows:
            print(f"{m.name:<18} {m.impl:<7} {m.images_per_s:>9.0f} {m.speed_vs_relu:>6.2f}x {m.memory_vs_relu:>6.2f}x")
    return 0
