"""How one claim run trains: a plain bench run, or a protocol (transfer, 1-D regression).

:func:`train_cell` is the ``train_fn`` the claims hand to the bench runner (module-level, so
process pools and Ray can ship it). A plain cell is a TrainConfig dict and goes to
:func:`actlab.bench.default_train`. A protocol cell is ``{"protocol": name, ...}``, built from
the study's grid by :func:`make_config` (the protocol's keys ride in the recipe):

* ``transfer``: train the source model (the TrainConfig part: dataset, model, activation,
  recipe), then on ``target_dataset``: fixed-feature logistic regression on its penultimate
  features (:func:`actlab.train.fixed_feature_eval`) and fine-tuning of all weights for
  ``target_epochs`` (:func:`actlab.train.finetune`), optionally after swapping the activations to
  ``finetune_act`` with a warm start. The source run is repeated per cell (same seed: the same
  source model), which keeps each cell self-contained.
* ``regression``: :func:`actlab.claims.regression.train_regression`.
* ``prebuilt``: builds the model here (:func:`build_model`) and trains it with
  :func:`actlab.train_one`; for models without an activation site (``spiking_resnet``), which
  ``train_one`` cannot build itself because it always passes ``cfg.act`` to the builder.
"""

from __future__ import annotations

import copy
import inspect
import math
from typing import Any

from . import datasets as _datasets  # noqa: F401  (registers the derived datasets in this process)

__all__ = ["PROTOCOLS", "make_config", "train_cell", "build_model"]

# protocol -> {recipe key: default}; these keys are taken out of the TrainConfig part.
PROTOCOLS: dict[str, dict[str, Any]] = {
    "transfer": {"target_dataset": "m5k_5to9", "target_epochs": 3, "target_lr": 1e-3, "finetune_act": "",
                 "finetune_act_params": {}, "fixed_features": True},
    "regression": {"n_train": 300, "slope_recovery": False},
    "prebuilt": {},
}
# Whether a protocol's dataset and model names are registry names (checked by BenchConfig).
REGISTRY_NAMES = {"transfer": True, "regression": False, "prebuilt": True}


def make_config(protocol: str):
    """The ``make_config`` for :meth:`actlab.bench.BenchConfig.cells` of a protocol study."""
    from ..train.config import TrainConfig

    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown claims protocol {protocol!r}; valid: {sorted(PROTOCOLS)}")
    defaults = PROTOCOLS[protocol]

    def make(raw: dict) -> dict:
        own = {k: raw.get(k, v) for k, v in defaults.items()}
        unknown_type = [k for k, v in own.items() if type(v) is not type(defaults[k]) and not (
            isinstance(defaults[k], float) and isinstance(v, int))]
        if unknown_type:
            k = unknown_type[0]
            raise ValueError(f"protocol {protocol}: {k} must be a {type(defaults[k]).__name__}, got {own[k]!r}")
        train = TrainConfig.from_dict({k: v for k, v in raw.items() if k not in defaults}).to_dict()
        return {"protocol": protocol, "train": train, **own}

    return make


def build_model(cfg: Any, num_classes: int, input_shape: tuple[int, ...]) -> Any:
    """Builds ``cfg.model`` for inputs of ``input_shape`` under ``cfg.seed`` (as :func:`train_one` does)."""
    import torch

    from ..models import create_model, model_info
    from ..train.loop import derive_seed

    info = model_info(cfg.model)
    in_chans = math.prod(input_shape) if len(info.input_shape) == 1 else input_shape[0]
    kw = dict(cfg.model_kwargs)
    if "image_size" in inspect.signature(info.builder).parameters and "image_size" not in kw and len(input_shape) == 3:
        kw["image_size"] = input_shape[1]
    with torch.random.fork_rng():
        torch.manual_seed(derive_seed(cfg.seed, "global"))
        act = cfg.act_spec if info.has_activation else None  # spiking_resnet: the LIF spike is its nonlinearity
        return create_model(cfg.model, num_classes=num_classes, in_chans=in_chans, act=act, **kw)


def _transfer(config: dict) -> dict:
    from ..data import load_dataset
    from ..train import TrainConfig, finetune, fixed_feature_eval, train_one

    src = TrainConfig.from_dict(config["train"])
    src_train = load_dataset(src.dataset, split="train")
    net = build_model(src, src_train.num_classes, tuple(src_train.x.shape[1:]))
    source = train_one(src, model=net)
    out: dict[str, Any] = {"source_acc": source.test.acc, "source_wall_time_s": source.wall_time_s}
    tgt_train = load_dataset(config["target_dataset"], split="train")
    tgt_test = load_dataset(config["target_dataset"], split="test")
    if config["fixed_features"]:
        ff = fixed_feature_eval(net, tgt_train, tgt_test, Cs=(1e-2, 1e-1, 1.0, 10.0), seed=src.seed)
        out["fixed_feature_acc"] = ff.test_acc
    tgt = src.replace(dataset=config["target_dataset"], epochs=config["target_epochs"], steps=None,
                      lr=config["target_lr"])
    act = None
    if config["finetune_act"]:
        act = (config["finetune_act"], dict(config["finetune_act_params"])) if config["finetune_act_params"] \
            else config["finetune_act"]
    res, _ = finetune(copy.deepcopy(net), tgt, act=act, warm_start=True)
    result = res.to_dict()
    result["wall_time_s"] = float(result["wall_time_s"]) + source.wall_time_s
    result["protocol"] = out
    return result


def _regression(config: dict) -> dict:
    from ..train import TrainConfig
    from .regression import train_regression

    cfg = TrainConfig.from_dict(config["train"])
    r = train_regression(cfg, n_train=config["n_train"], slope_recovery=config["slope_recovery"])
    return {"protocol": r, "test": {"acc": float("nan"), "loss": r["test_mse"], "recall": [], "f1": [], "n": 0},
            "wall_time_s": r["wall_time_s"], "n_params": r["n_params"], "diverged": r["diverged"], "device": "cpu",
            "curves": {}}


def _prebuilt(config: dict) -> dict:
    from ..data import load_dataset
    from ..train import TrainConfig, train_one

    cfg = TrainConfig.from_dict(config["train"])
    data = load_dataset(cfg.dataset, root=cfg.data_root, split="train", **cfg.dataset_kwargs)
    return train_one(cfg, model=build_model(cfg, data.num_classes, tuple(data.x.shape[1:]))).to_dict()


def train_cell(config: dict) -> dict:
    """Trains one claims cell (plain TrainConfig dict or protocol dict) and returns its result dict."""
    from ..bench import default_train

    protocol = config.get("protocol")
    if protocol is None:
        return default_train(config)
    if protocol == "transfer":
        return _transfer(config)
    if protocol == "regression":
        return _regression(config)
    if protocol == "prebuilt":
        return _prebuilt(config)
    raise ValueError(f"unknown claims protocol {protocol!r}; valid: {sorted(PROTOCOLS)}")
