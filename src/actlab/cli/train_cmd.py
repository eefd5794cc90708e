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
        epilog=recipes_help(), formatter_class=argparse.RawDescriptionHelpFormatter,
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
    p.add_argument("--dry-run", action="store_true",
                   help="build the data, model, init and optimizer of the run, check them, and stop before training")
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


def recipes_help() -> str:
    """The ``actlab train --help`` epilog: each dataset's recommended recipe."""
    from ..data import dataset_info, list_datasets

    lines = ["recommended recipes (used for the TrainConfig fields you do not set; any flag overrides its field):"]
    for name in list_datasets():
        recipe = dataset_info(name).recipe
        if recipe:
            lines.append(f"  {name:<10} " + ", ".join(f"{k}={v}" for k, v in recipe.items()))
    return "\n".join(lines)


def apply_recipe(d: dict[str, Any]) -> dict[str, Any]:
    """The dataset's recommended recipe, restricted to what ``d`` (the user's fields) leaves unset.

    The budget (``epochs``/``steps``) is taken only when the user sets neither; ``lr`` and
    ``momentum`` only when the user's optimizer (if any) is the recipe's.
    """
    from ..data import dataset_info
    from ..train import TrainConfig

    recipe = dict(dataset_info(d.get("dataset", TrainConfig.dataset)).recipe)
    if "epochs" in d or "steps" in d:
        recipe.pop("epochs", None)
        recipe.pop("steps", None)
    if "optimizer" in d and d["optimizer"] != recipe.get("optimizer", d["optimizer"]):
        for k in ("optimizer", "lr", "momentum"):
            recipe.pop(k, None)
    return {k: v for k, v in recipe.items() if k not in d}


def _read_config_file(path: str) -> dict[str, Any]:
    from ..train import ConfigError

    with open(path) as f:
        text = f.read()
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"--config {path!r} is not valid JSON ({e}); expected an object of TrainConfig fields") from e
    if not isinstance(d, dict):
        raise ConfigError(
            f"--config {path!r} holds a JSON {type(d).__name__}, not an object; expected TrainConfig fields, "
            'e.g. {"dataset": "digits", "act": "gelu", "epochs": 5}'
        )
    return d


def build_config(args: argparse.Namespace, quiet: bool = False) -> Any:
    """The run's TrainConfig: ``--config`` file, then flags, then ``--set``; the dataset's recommended
    recipe fills the fields none of them set (said on stderr unless ``quiet``)."""
    from ..train import TrainConfig

    d: dict[str, Any] = {}
    if args.config:
        d.update(_read_config_file(args.config))
    for flag, (field, _) in _FLAGS.items():
        v = getattr(args, flag)
        if v is not None:
            d[field] = v
    for item in args.sets:
        k, v = _parse_set(item)
        d[k] = v
    recipe = apply_recipe(d) if isinstance(d.get("dataset", ""), str) else {}
    if recipe and not quiet:
        print(f"recommended recipe of {d.get('dataset', TrainConfig.dataset)!r}: "
              + ", ".join(f"{k}={v}" for k, v in recipe.items()) + " (set a flag to override)", file=sys.stderr)
    d = {**recipe, **d}
    if "steps" in d and d.get("steps") is not None and "epochs" not in d:
        d["epochs"] = None  # --steps alone means a step budget
    return TrainConfig.from_dict(d)


def _train(args: argparse.Namespace) -> int:
    import torch

    from ..train import ConfigError, check_config, train_one

    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"--threads must be a positive number of threads, got {args.threads} (e.g. --threads 1)")
    cfg = build_config(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.dry_run:
        check_config(cfg)
        budget = f"{cfg.epochs} epochs" if cfg.epochs is not None else f"{cfg.steps} steps"
        print(f"dry run: {cfg.model} / {cfg.act} / {cfg.dataset} builds and is ready to train "
              f"({cfg.optimizer}, lr {cfg.lr:g}, {budget})")
        return 0
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
