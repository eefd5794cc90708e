"""``actlab train``: one training run from the command line (parses, builds a TrainConfig, calls train_one)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

# flag -> TrainConfig field, for the common options; anything else goes through --set KEY=VALUE
_FLAGS = {
    "data": ("dataset", str), "model": ("model", str), "act": ("act", str), "seed": ("seed", int),
    "epochs": ("epochs", int), "steps": ("steps", int), "lr": ("lr", float), "optimizer": ("optimizer", str),
    "batch_size": ("batch_size", int), "init": ("init", str), "schedule": ("schedule", str),
    "weight_decay": ("weight_decay", float), "val_fraction": ("val_fraction", float), "device": ("device", str),
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="train one model (train_one) and print its result",
        description="Train one model. Example: actlab train --data mnist1d --model cnn1d --act relu --seed 0 "
        "--steps 6000 --lr 1e-2 --batch-size 100 --json",
    )
    for flag, (field, typ) in _FLAGS.items():
        p.add_argument(f"--{flag.replace('_', '-')}", dest=flag, type=typ, default=None, help=f"TrainConfig.{field}")
    p.add_argument("--config", default=None, help="JSON file with TrainConfig fields (flags override it)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="any TrainConfig field; VALUE is JSON "
                        "(--set act_params='{\"alpha\": 0.1}' --set amp_bf16=true)")
    p.add_argument(
        "--threads", type=int, default=None, help="torch intra-op threads (1 is fastest for tiny models on shared CPUs)"
    )
    p.add_argument("--json", action="store_true", help="print the RunResult as JSON on stdout")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar on stderr")
    p.set_defaults(func=_train)


def _parse_set(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise ValueError(f"--set expects KEY=VALUE, got {item!r} (e.g. --set label_smoothing=0.1)")
    try:
        return key.strip(), json.loads(raw)
    except json.JSONDecodeError:
        return key.strip(), raw  # a bare string: --set augment=crop_flip


def build_config(args: argparse.Namespace) -> Any:
    from ..train import TrainConfig

    d: dict[str, Any] = {}
    if args.config:
        with open(args.config) as f:
            d.update(json.load(f))
    for flag, (field, _) in _FLAGS.items():
        v = getattr(args, flag)
        if v is not None:
            d[field] = v
    for item in args.sets:
        k, v = _parse_set(item)
        d[k] = v
    if "steps" in d and d.get("steps") is not None and "epochs" not in d:
        d["epochs"] = None  # --steps alone means a step budget
    return TrainConfig.from_dict(d)


def _train(args: argparse.Namespace) -> int:
    import torch

    from ..train import train_one

    cfg = build_config(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    bar = None
    if args.progress:
        from tqdm import tqdm

        bar = tqdm(total=None, unit="epoch", file=sys.stderr, desc=f"{cfg.model}/{cfg.act}/{cfg.dataset}", leave=False)

    def on_epoch(e: dict) -> None:
        if bar is None:
            return
        bar.total = e["epochs_total"] * max(1, cfg.reinit_generations)
        bar.update(1)
        post = {"loss": f"{e['train_loss']:.4f}"}
        if e["test_acc"] is not None:
            post["test"] = f"{e['test_acc']:.4f}"
        bar.set_postfix(post)

    try:
        r = train_one(cfg, on_epoch=on_epoch)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        json.dump(r.to_dict(), sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    else:
        print(f"{cfg.model} / {cfg.act} / {cfg.dataset}, seed {cfg.seed}: final test acc {r.test_acc:.4f} "
              f"(macro F1 {r.test.macro_f1:.4f}), {r.steps} steps, {r.wall_time_s:.1f} s on {r.device}")
        if r.best_val is not None and r.test_at_best_val is not None:
            print(f"best validation acc {r.best_val.acc:.4f} at epoch {r.best_val_epoch}; "
                  f"its test acc {r.test_at_best_val.acc:.4f}")
        if r.diverged:
            print(r.message)
    return 1 if r.diverged else 0
