"""``TrainConfig``: everything one training run depends on, as a frozen, strictly parsed dataclass."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import UserError

__all__ = ["TrainConfig", "ConfigError", "OPTIMIZERS", "SCHEDULES", "INITS", "AUGMENTS", "DEVICES"]

OPTIMIZERS = ("sgd", "nesterov", "adam", "adamw", "rmsprop", "langevin_sgd", "langevin_adam", "langevin_rmsprop")
SCHEDULES = ("constant", "multistep", "cosine", "inverse_time")
INITS = ("default", "kaiming", "lecun", "siren", "autoinit", "autoinit-fit")  # = actlab.init.SCHEMES (a test checks)
AUGMENTS = ("none", "crop_flip")
DEVICES = ("auto", "cpu", "cuda")
PAD_MODES = ("zeros", "reflect", "replicate")


# keys of the kwargs dicts that train_one sets itself, and where their value comes from
_RESERVED: dict[str, dict[str, str]] = {
    "model_kwargs": {
        "act": "set the activation with TrainConfig.act and its parameters with act_params",
        "num_classes": "it is the dataset's number of classes",
        "in_chans": "it is the dataset's channel (or feature) count",
    },
    "dataset_kwargs": {
        "root": "set the folder with TrainConfig.data_root",
        "split": "the run loads the train and test splits (use val_fraction for a validation split)",
    },
}


class ConfigError(UserError, ValueError):
    """A configuration value or key is invalid; the message names the field and the fix."""


@dataclass(frozen=True)
class TrainConfig:
    """One training run: data, model, activation, optimizer, schedule, budget and seed.

    At most one of ``epochs`` and ``steps`` is set (neither: 10 epochs). ``steps`` counts
    optimizer updates; the run then stops mid-epoch when the budget is spent.

    Args:
        dataset: dataset name for :func:`actlab.load_dataset` (``"mnist1d"``, ``"digits"``...).
        data_root: folder of on-disk datasets (``None``: the loader's default).
        dataset_kwargs: extra loader arguments (``{"encoding": "bipolar"}`` for ``xor``).
        model: model registry name; ``model_kwargs`` are passed to its builder.
        act: activation registry name; ``act_params`` are its constructor arguments.
        init: ``"default"`` (the modules' own init), ``"kaiming"``, ``"lecun"``, ``"siren"`` (for sine
            networks), ``"autoinit"`` (the paper's rule) or ``"autoinit-fit"`` (centred and fitted; see
            :func:`actlab.init.init_model`).
        optimizer: one of ``OPTIMIZERS``; ``"nesterov"`` is SGD with Nesterov momentum.
        lr: base learning rate. ``momentum``: momentum of sgd, nesterov and langevin_sgd.
        weight_decay: L2 decay of the network weights (coupled, as ``torch.optim.SGD/Adam``;
            decoupled for ``adamw``). Biases and norm parameters are decayed too unless the
            model-surgery param groups say otherwise.
        act_weight_decay: weight decay of activation parameters (0 = excluded from decay).
        act_lr_scale: learning-rate multiplier of activation parameters.
        schedule: ``"constant"``, ``"multistep"`` (``milestones`` x ``gamma``), ``"cosine"``
            (to 0 at the end of the budget) or ``"inverse_time"`` (``lr / (1 + t / (decay_epochs
            * steps_per_epoch))``, Bras 2022).
        milestones: multistep milestones, in epochs when training by ``epochs``, in steps when
            training by ``steps``; the factor changes at the first step of that epoch (WRN:
            ``[60, 120, 160]``, gamma 0.2; Spiking ResNet, 70 epochs: ``[50, 57, 64]``, gamma 0.1).
        gamma: multistep factor.
        warmup_steps: linear warm-up from ``lr / warmup_steps`` to ``lr`` over the first steps,
            multiplied onto any schedule.
        decay_epochs: time constant of ``inverse_time`` and of the Langevin noise decay (20 in
            the Layer Langevin code).
        epochs / steps: the budget; at most one may be set.
        batch_size: training batch size; ``eval_batch_size`` for evaluation.
        label_smoothing: cross-entropy label smoothing (for one-output models the BCE target
            is smoothed towards 0.5).
        augment: ``"none"`` or ``"crop_flip"`` (random crop after ``crop_padding`` pixels of
            ``crop_padding_mode`` padding (``"zeros"``, ``"reflect"`` as in WRN, ``"replicate"``),
            then a horizontal flip; image data only).
        normalize: standardize inputs with training-set statistics (per channel for data with
            a channel axis, one mean/std for flat features); token ids are never standardized.
        val_fraction: fraction of the training set held out for validation (0 = none); the
            best-validation checkpoint is then evaluated on the test set as well.
        seed: the run's seed (model init, data order, augmentation, dropout, Langevin noise).
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        amp_bf16: bfloat16 autocast (CUDA only). channels_last: NHWC memory format (CUDA only).
        compile: wrap the model in ``torch.compile``.
        langevin_sigma: initial noise level sigma_0 of the Langevin optimizers.
        langevin_rho: fraction of layers, from the input, that receive Langevin noise.
        langevin_decay: decay sigma as ``sigma_0 / sqrt(ln(e + t / (decay_epochs * S)))``.
        reinit_generations: layer-wise reinitialization generations G (0 or 1 = off); each
            generation trains with the full budget.
        eval_every: evaluate on test (and validation) every this many epochs (and at the end).
    """

    dataset: str = "digits"
    data_root: str | None = None
    dataset_kwargs: dict = field(default_factory=dict)
    model: str = "mlp"
    model_kwargs: dict = field(default_factory=dict)
    act: str = "relu"
    act_params: dict = field(default_factory=dict)
    init: str = "default"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    act_weight_decay: float = 0.0
    act_lr_scale: float = 1.0
    schedule: str = "constant"
    milestones: tuple = ()
    gamma: float = 0.1
    warmup_steps: int = 0
    decay_epochs: float = 20.0
    epochs: int | None = None
    steps: int | None = None
    batch_size: int = 128
    eval_batch_size: int = 1024
    label_smoothing: float = 0.0
    augment: str = "none"
    crop_padding: int = 4
    crop_padding_mode: str = "zeros"
    normalize: bool = True
    val_fraction: float = 0.0
    seed: int = 0
    device: str = "auto"
    amp_bf16: bool = False
    channels_last: bool = False
    compile: bool = False
    langevin_sigma: float = 0.0
    langevin_rho: float = 1.0
    langevin_decay: bool = True
    reinit_generations: int = 0
    eval_every: int = 1

    def __post_init__(self) -> None:
        for name, hint in _hints().items():
            _check_type(name, getattr(self, name), hint)
        object.__setattr__(self, "milestones", tuple(self.milestones))
        for name, hint in _hints().items():  # canonical types, so that equal configs hash equally
            if hint is float:
                try:
                    object.__setattr__(self, name, float(getattr(self, name)))
                except OverflowError as e:  # an int beyond the float range, e.g. 10**400
                    raise ConfigError(f"{name} must be a finite number, got an int too large for a float") from e
                if not math.isfinite(getattr(self, name)):
                    raise ConfigError(f"{name} must be a finite number, got {getattr(self, name)}")
        for name in ("dataset_kwargs", "model_kwargs", "act_params"):
            _check_finite(name, getattr(self, name))
        for name, reserved in _RESERVED.items():
            clash = sorted(set(getattr(self, name)) & set(reserved))
            if clash:
                raise ConfigError(f"{name}.{clash[0]} is set by train_one: {reserved[clash[0]]}")
        if self.epochs is None and self.steps is None:
            object.__setattr__(self, "epochs", 10)
        for m in self.milestones:
            _check_type("milestones[]", m, int)
        _choice("init", self.init, INITS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("augment", self.augment, AUGMENTS)
        _choice("device", self.device, DEVICES)
        _choice("crop_padding_mode", self.crop_padding_mode, PAD_MODES)
        if (self.epochs is None) == (self.steps is None):
            raise ConfigError(
                f"set only one of epochs and steps (got epochs={self.epochs}, steps={self.steps}); "
                "e.g. TrainConfig(epochs=10, ...) or TrainConfig(epochs=None, steps=6000, ...)"
            )
        for name in ("epochs", "steps", "batch_size", "eval_batch_size", "eval_every"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ConfigError(f"{name} must be >= 1, got {v}")
        for name in ("lr", "decay_epochs", "gamma"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in (
            "momentum", "weight_decay", "act_weight_decay", "act_lr_scale", "langevin_sigma", "warmup_steps",
            "crop_padding", "reinit_generations",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("label_smoothing", "val_fraction", "langevin_rho"):
            v = getattr(self, name)
            if not 0.0 <= v <= (1.0 if name == "langevin_rho" else 0.99):
                raise ConfigError(f"{name}={v} is outside its valid range")
        if list(self.milestones) != sorted(self.milestones):
            raise ConfigError(f"milestones must be increasing, got {list(self.milestones)}")

    # ------------------------------------------------------------------ (de)serialization
    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainConfig:
        """Builds a config from a mapping; unknown keys and wrong types raise :class:`ConfigError`."""
        if not isinstance(d, Mapping):
            raise ConfigError(f"TrainConfig.from_dict needs a mapping, got {type(d).__name__}")
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = [k for k in d if k not in valid]
        if unknown:
            hints = []
            for k in unknown:
                close = difflib.get_close_matches(str(k), valid, n=3, cutoff=0.5)
                hints.append(f"{k!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else ""))
            raise ConfigError(f"unknown TrainConfig key(s): {'; '.join(hints)}. Valid keys: {', '.join(valid)}")
        return cls(**dict(d))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict that :meth:`from_dict` turns back into an equal config."""
        out = dataclasses.asdict(self)
        out["milestones"] = list(self.milestones)
        return out

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated like a new config)."""
        return TrainConfig.from_dict({**self.to_dict(), **changes})

    def config_hash(self) -> str:
        """sha256 of the canonical JSON (sorted keys, no spaces) of :meth:`to_dict`."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def act_spec(self) -> Any:
        """The ``act`` argument for model builders: a name or ``(name, params)``."""
        return (self.act, dict(self.act_params)) if self.act_params else self.act


def _hints() -> dict[str, Any]:
    hints = typing.get_type_hints(TrainConfig)
    return {f.name: hints[f.name] for f in dataclasses.fields(TrainConfig)}


def _check_finite(path: str, value: Any) -> None:
    """Raises :class:`ConfigError` naming the first non-finite float inside ``value`` (dicts and lists)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{path} must be a finite number, got {value}")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_finite(f"{path}.{k}", v)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_finite(f"{path}[{i}]", v)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        close = difflib.get_close_matches(value, choices, n=2, cutoff=0.4)
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        raise ConfigError(f"{name}={value!r} is not one of {choices}{hint}")


def _check_type(name: str, value: Any, hint: Any) -> None:
    """Strict check: bool is not an int, an int is accepted for a float, a list for a tuple."""
    options = (
        typing.get_args(hint)
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
        else (hint,)
    )
    for opt in options:
        if opt is type(None) and value is None:
            return
        if opt is bool and isinstance(value, bool):
            return
        if opt is int and isinstance(value, int) and not isinstance(value, bool):
            return
        if opt is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return
        if opt is str and isinstance(value, str):
            return
        if opt is dict and isinstance(value, dict):
            return
        if opt is tuple and isinstance(value, (tuple, list)):
            return
    names = " or ".join("None" if o is type(None) else getattr(o, "__name__", str(o)) for o in options)
    raise ConfigError(f"TrainConfig.{name} must be {names}, got {type(value).__name__}: {value!r}")
