"""``actlab init-report MODEL --act NAME``.

Options: ``[--center off|on|auto] [--calibrate off|moments|output] [--fallback auto|lsuv|none]
[--plot FILE.png] [--compare-default]`` (defaults: AutoInit's own, ``auto``, ``moments``, ``auto``).
"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init-report", help="AutoInit a model and print predicted vs measured pre-activation moments")
    p.add_argument("model", help="registered model name (see actlab.list_models())")
    p.add_argument("--act", default="relu", help="activation name (default relu)")
    p.add_argument("--num-classes", type=int, default=10)
    p.add_argument("--tiny", action="store_true", help="use the model's tiny test configuration")
    p.add_argument("--target-var", type=float, default=1.0)
    p.add_argument("--fallback", choices=["auto", "lsuv", "none"], default="auto",
                   help="LSUV after modules/operations without a rule (auto: with a warning; none: an error)")
    p.add_argument("--center", choices=["off", "on", "auto"], default="auto",
                   help="zero-mean weight rows (auto, the default: not before BatchNorm)")
    p.add_argument("--calibrate", choices=["off", "moments", "output"], default="moments",
                   help="closed loop on the synthetic batch: expected scale from real inputs (moments, the default), "
                        "or fit each drawn layer; off: the paper's analytic rule")
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the weights and the traversal batch (measured on seed + 1)"
    )
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--plot", metavar="FILE.png", default=None, help="save predicted vs measured variance per depth")
    p.add_argument("--compare-default", action="store_true", help="also measure PyTorch's default init")
    p.set_defaults(func=_run)


_CENTER: dict[str, bool | str] = {"off": False, "on": True, "auto": "auto"}


def _run(args: argparse.Namespace) -> int:
    import torch

    from ..init import autoinit, measure_init
    from ..models import create_model, model_info

    if args.num_classes < 1:
        raise ValueError(f"--num-classes must be a positive integer, got {args.num_classes}")
    if args.batch_size < 2:
        raise ValueError(f"--batch-size must be >= 2 (a variance needs two samples), got {args.batch_size}")
    info = model_info(args.model)
    kw = dict(info.test_kwargs) if args.tiny else {}
    shape = info.test_shape if args.tiny else info.input_shape
    kw.setdefault("num_classes", args.num_classes)
    torch.manual_seed(args.seed)
    model = create_model(args.model, act=args.act, in_chans=shape[0], **kw)
    # the default init is measured on the same held-out batch (seed + 1) as AutoInit's report
    default = measure_init(
        model, input_shape=shape, target_var=args.target_var, seed=args.seed + 1, batch_size=args.batch_size
    )
    report = autoinit(
        model, input_shape=shape, target_var=args.target_var,
        fallback=None if args.fallback == "none" else args.fallback,
        seed=args.seed, generator=torch.Generator().manual_seed(args.seed), batch_size=args.batch_size,
        center=_CENTER[args.center],
        calibrate=False if args.calibrate == "off" else args.calibrate,
    )  # fmt: skip
    print(f"AutoInit: {args.model} with {args.act}, input {shape}")
    print(report.to_table())
    if args.compare_default:
        print(f"\nPyTorch default init: {args.model} with {args.act}")
        print(default.to_table())
    if args.plot:
        report.plot(args.plot, other=default if args.compare_default else None)
        print(f"wrote {args.plot}")
    return 0
