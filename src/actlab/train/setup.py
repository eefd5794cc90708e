"""Everything :func:`actlab.train_one` does before its first step, and :func:`check_config`, which
does exactly that and stops: resolve the device, load the data, build and initialize the model,
check that its outputs fit the dataset, build the optimizer and its schedule.

``check_config`` is the pre-flight check of a run (``actlab train --dry-run``, and the benchmark's
:func:`actlab.bench.preflight.check_cells`): a config that passes it fails later only for reasons
that depend on training itself (divergence, memory).
"""

from __future__ import annotations

import hashlib
import inspect
import math
from typing import Any

import torch
from torch import nn

from .config import ConfigError, TrainConfig
from .data_prep import Split, prepare_data
from .optim import make_optimizer, make_schedule

__all__ = ["build_model", "check_config", "check_outputs", "derive_seed", "resolve_device"]


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without a GPU raises :class:`ConfigError`."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device='cuda' but torch.cuda.is_available() is False; use device='cpu' or 'auto'")
    return torch.device(device)


def check_device_options(cfg: TrainConfig, device: torch.device) -> None:
    """CUDA-only options on another device raise :class:`ConfigError`."""
    if device.type != "cuda" and (cfg.amp_bf16 or cfg.channels_last):
        raise ConfigError(
            f"amp_bf16 and channels_last are CUDA-only but the run is on {device}; set them to False or use "
            "device='cuda'"
        )


def derive_seed(seed: int, *tags: Any) -> int:
    """A 63-bit seed derived from ``seed`` and tags, so that each random stream is independent."""
    h = hashlib.sha256(repr((seed, *tags)).encode()).digest()
    return int.from_bytes(h[:8], "little") >> 1


def check_config(cfg: TrainConfig) -> None:
    """Builds everything a run of ``cfg`` needs, on CPU, without training; raises what the run would.

    Loads the dataset (on-disk files included), builds the model with its kwargs and activation
    params, applies ``cfg.init``, runs two training samples through it, and builds the optimizer
    and its schedule. The device is checked (``device="cuda"`` without a GPU raises) but the
    model is not moved there. The caller's RNG state is left as it was.

    Raises:
        ConfigError, DatasetError, ValueError: what :func:`actlab.train_one` would raise before training.
    """
    device = resolve_device(cfg.device)
    check_device_options(cfg, device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(cfg.seed, "global"))
        train, _, _ = prepare_data(cfg, torch.device("cpu"), seed=derive_seed(cfg.seed, "split"))
        net = build_model(cfg, train)
        check_outputs(net, train)
        steps_per_epoch = math.ceil(len(train.y) / cfg.batch_size)
        total = cfg.steps if cfg.steps is not None else (cfg.epochs or 0) * steps_per_epoch
        opt = make_optimizer(net, cfg, steps_per_epoch, seed=derive_seed(cfg.seed, "langevin", 0))
        make_schedule(opt, cfg, total, steps_per_epoch)


def build_model(cfg: TrainConfig, train: Split) -> nn.Module:
    """Builds ``cfg.model`` on CPU under the (forked, seeded) global RNG, then applies ``cfg.init``.

    ``in_chans`` is the data's channel count (the flattened feature count for models whose
    ``input_shape`` is flat; the vocabulary for token models); builders that take ``image_size``,
    ``length`` or ``context`` get the data's spatial size or sequence length unless
    ``model_kwargs`` sets it."""
    from ..init import init_model
    from ..models import create_model, model_info

    info = model_info(cfg.model)
    _check_model_fits_data(cfg, info, train)
    shape = train.x.shape[1:]
    in_chans = train.num_classes if info.tokens else math.prod(shape) if len(info.input_shape) == 1 else shape[0]
    kw = dict(cfg.model_kwargs)
    accepted = inspect.signature(info.builder).parameters
    if "image_size" in accepted and "image_size" not in kw and len(shape) == 3 and shape[1] == shape[2]:
        kw["image_size"] = shape[1]  # builders sized for 32x32 by default also take 28x28 data
    if "length" in accepted and "length" not in kw and len(shape) == 2:
        kw["length"] = shape[1]
    if info.tokens and "context" in accepted and "context" not in kw:
        kw["context"] = shape[0]
    if info.has_activation:
        kw["act"] = cfg.act_spec
    elif cfg.act != "relu" or cfg.act_params:  # relu: TrainConfig's default, i.e. no choice was made
        raise ConfigError(
            f"model {cfg.model!r} has no activation to choose (its nonlinearity is fixed by design), got "
            f"act={cfg.act!r}{f' with act_params {dict(cfg.act_params)}' if cfg.act_params else ''}; leave act unset"
        )
    net = create_model(cfg.model, num_classes=train.num_classes, in_chans=in_chans, **kw)
    example = train.x[: min(len(train.x), 256)].cpu()
    gen = torch.Generator().manual_seed(derive_seed(cfg.seed, "init"))
    if cfg.init.startswith("autoinit"):  # data-free: a seeded N(0, 1) batch of the data's shape
        init_model(net, cfg.init, input_shape=tuple(example.shape[1:]))
    else:
        init_model(net, cfg.init, example, **({} if cfg.init == "default" else {"generator": gen}))
    return net


def models_for_shape(shape: tuple[int, ...], tokens: bool) -> list[str]:
    """Registered models that take inputs of per-sample ``shape`` (flat models take any float input)."""
    from ..models import list_models, model_info

    out = []
    for name in list_models():
        info = model_info(name)
        if info.tokens != tokens:
            continue
        if tokens or len(info.input_shape) == 1 or len(info.input_shape) == len(shape):
            out.append(name)
    return out


def _check_model_fits_data(cfg: TrainConfig, info: Any, train: Split) -> None:
    """Token models need a sequence task, the other models float inputs of their rank (flat models
    flatten any input); AutoInit has no rule for embeddings."""
    sequence = not train.x.is_floating_point()
    shape = tuple(train.x.shape[1:])
    if info.tokens and not sequence:
        raise ConfigError(
            f"model {cfg.model!r} reads token ids (a sequence task such as modular_add, associative_recall or sort), "
            f"but dataset {cfg.dataset!r} holds float inputs of shape {shape}; models for these inputs: "
            f"{', '.join(models_for_shape(shape, False))}"
        )
    if sequence and not info.tokens:
        raise ConfigError(
            f"dataset {cfg.dataset!r} is a sequence task (int64 token ids, per-position targets) but model "
            f"{cfg.model!r} takes float inputs; use a token model: {', '.join(models_for_shape(shape, True))}"
        )
    if not sequence and len(info.input_shape) > 1 and len(info.input_shape) != len(shape):
        raise ConfigError(
            f"model {cfg.model!r} takes inputs shaped like {info.input_shape} but dataset {cfg.dataset!r} has "
            f"samples of shape {shape}; models that fit this dataset: {', '.join(models_for_shape(shape, False))}"
        )
    if sequence and cfg.init.startswith("autoinit"):
        raise ConfigError(
            f"init={cfg.init!r}: AutoInit has no rule for token embeddings; use init='default' (GPT-2's "
            "initialization), 'kaiming' or 'lecun' for a token model"
        )


def check_outputs(net: nn.Module, train: Split) -> bool:
    """True for a one-output (binary, BCE) model; raises :class:`ConfigError` when outputs and classes disagree."""
    with torch.no_grad():
        was = net.training
        net.eval()
        out = net(train.x[:2])
        net.train(was)
    if train.y.dim() > 1 and tuple(out.shape[:-1]) != tuple(train.y[:2].shape):
        raise ConfigError(
            f"a sequence task needs logits (B, T, vocabulary) for its targets (B, T) = {tuple(train.y[:2].shape)}, "
            f"but the model returns {tuple(out.shape)}"
        )
    k = out.shape[-1] if out.dim() > 1 else 1
    if k == 1:
        if train.num_classes != 2:
            raise ConfigError(f"a one-output model needs a 2-class dataset, got {train.num_classes} classes")
        return True
    if k != train.num_classes:
        raise ConfigError(f"the model has {k} outputs but the dataset has {train.num_classes} classes")
    return False
