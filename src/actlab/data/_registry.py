"""The dataset registry: ``load_dataset(name, root, split, **kw) -> TensorData`` and ``list_datasets()``.

Every dataset is returned whole, as tensors (the sets actlab benchmarks on fit in memory; batching
happens on the training device, no DataLoader workers). Images are float32 in ``[0, 1]``, shape
``(N, C, H, W)``, *not* standardised: standardise with :class:`actlab.data.transforms.Normalize`
using ``TensorData.mean`` / ``TensorData.std`` (the per-channel statistics of the train split).
Sequence tasks (:mod:`actlab.data.sequences`) hold int64 token ids ``(N, T)`` and per-position
next-token targets ``(N, T)``, :data:`IGNORE_INDEX` where a position is not scored.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..errors import UserError
from ..registry import Registry

__all__ = [
    "IGNORE_INDEX",
    "TensorData",
    "DatasetInfo",
    "DatasetArgumentError",
    "DatasetError",
    "DatasetNotFoundError",
    "DATASETS",
    "register_dataset",
    "load_dataset",
    "list_datasets",
    "dataset_arguments",
    "dataset_info",
    "default_root",
    "channel_stats",
]


#: target of a sequence position that is not scored (``torch.nn.functional.cross_entropy``'s default)
IGNORE_INDEX = -100


class DatasetError(UserError, ValueError):
    """A dataset file is missing, unreadable or not in the expected format.

    Subclasses ``ValueError`` so that callers (and the CLI) treat it as a bad input.
    """


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset file or folder does not exist; the message says where it was looked for."""


class DatasetArgumentError(UserError, TypeError):
    """A keyword argument that the dataset's loader does not take; the message lists the valid ones."""


@dataclass(frozen=True, eq=False)
class TensorData:
    """A whole dataset split held as tensors.

    Args:
        name: canonical dataset name (``"cifar10"``).
        split: the split it holds (``"train"``, ``"test"``, ``"val"``, ...).
        x: float32 inputs, shape ``(N, *input_shape)``; or, for a sequence task, int64 token ids
            ``(N, T)`` in ``[0, num_classes)``.
        y: int64 labels in ``[0, num_classes)``, shape ``(N,)``; for a sequence task the target
            token of every position, shape ``(N, T)`` (``y[:, t]`` is the token that should follow
            ``x[:, :t + 1]``), :data:`IGNORE_INDEX` at positions that are not scored.
        num_classes: number of classes (also counts classes absent from this split); for a
            sequence task the vocabulary (input ids and targets share it).
        classes: class names (token names for sequence tasks), ``len(classes) == num_classes``.
        mean: per-channel mean of the *train* split's ``x`` (``None`` if not defined), for
            :class:`actlab.data.transforms.Normalize`.
        std: per-channel standard deviation of the train split's ``x`` (``None`` if not defined).
    """

    name: str
    split: str
    x: torch.Tensor
    y: torch.Tensor
    num_classes: int
    classes: tuple[str, ...]
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.x, torch.Tensor) or self.x.dtype not in (torch.float32, torch.int64):
            raise TypeError(
                "TensorData.x must be a float32 tensor (or int64 token ids for a sequence task), got "
                f"{getattr(self.x, 'dtype', type(self.x))}"
            )
        if not isinstance(self.y, torch.Tensor) or self.y.dtype != torch.int64:
            raise TypeError(f"TensorData.y must be an int64 tensor, got {getattr(self.y, 'dtype', type(self.y))}")
        if self.is_sequence:
            if self.x.dim() != 2 or self.y.shape != self.x.shape:
                raise ValueError(
                    f"TensorData: a sequence task needs token ids x (N, T) and targets y of the same shape, got "
                    f"x {tuple(self.x.shape)} and y {tuple(self.y.shape)}"
                )
            if self.x.numel() and (int(self.x.min()) < 0 or int(self.x.max()) >= self.num_classes):
                raise ValueError(f"TensorData: token ids must lie in [0, {self.num_classes}) (the vocabulary)")
        elif self.y.dim() != 1:
            raise TypeError(f"TensorData.y must be 1-d for float inputs, got shape {tuple(self.y.shape)}")
        if self.x.shape[0] != self.y.shape[0]:
            raise ValueError(f"TensorData: x has {self.x.shape[0]} samples but y has {self.y.shape[0]}")
        if len(self.classes) != self.num_classes:
            raise ValueError(f"TensorData: {len(self.classes)} class names for num_classes={self.num_classes}")
        scored = self.y[self.y != IGNORE_INDEX] if self.is_sequence else self.y
        if scored.numel() and (int(scored.min()) < 0 or int(scored.max()) >= self.num_classes):
            raise ValueError(
                f"TensorData: labels must lie in [0, {self.num_classes}), "
                f"got [{int(scored.min())}, {int(scored.max())}]"
            )

    @property
    def is_sequence(self) -> bool:
        """Whether this is a sequence task: int64 token ids in ``x``, per-position targets in ``y``."""
        return self.x.dtype == torch.int64

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Per-sample shape of ``x`` (``(C, H, W)``, ``(C, L)``, ``(F,)``, or ``(T,)`` for sequences)."""
        return tuple(self.x.shape[1:])

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def to(self, device: torch.device | str) -> TensorData:
        """A copy with ``x`` and ``y`` moved to ``device`` (the fast path: batch on the GPU)."""
        return dataclasses.replace(self, x=self.x.to(device), y=self.y.to(device))

    def __repr__(self) -> str:
        return (
            f"TensorData(name={self.name!r}, split={self.split!r}, n={len(self)}, "
            f"input_shape={self.input_shape}, num_classes={self.num_classes})"
        )


@dataclass(frozen=True)
class DatasetInfo:
    """A registered dataset.

    Args:
        name: registry name.
        loader: ``fn(root: Path | None, split: str, **kw) -> TensorData``; ``root`` is ``None``
            for embedded datasets.
        splits: the split names it accepts; ``None``: any name (image folders, whose splits are
            their sub-folders).
        on_disk: whether it reads files under ``root`` (False: embedded or generated).
        description: one line for ``actlab list``.
        recipe: the recommended training recipe (``TrainConfig`` fields: optimizer, lr, epochs...)
            that ``actlab train`` uses for the fields the user does not set; empty: the defaults.
    """

    name: str
    loader: Callable[..., TensorData]
    splits: tuple[str, ...] | None
    on_disk: bool
    description: str
    recipe: dict = dataclasses.field(default_factory=dict)


DATASETS: Registry[DatasetInfo] = Registry("dataset")


def register_dataset(
    name: str, *, splits: tuple[str, ...] | None, on_disk: bool, description: str, aliases: tuple[str, ...] = (),
    recipe: dict[str, Any] | None = None,
) -> Callable[[Callable[..., TensorData]], Callable[..., TensorData]]:
    """Decorator registering ``loader(root, split, **kw) -> TensorData`` under ``name``.

    ``recipe``: the recommended ``TrainConfig`` fields for this dataset (see :class:`DatasetInfo`).
    """

    def deco(fn: Callable[..., TensorData]) -> Callable[..., TensorData]:
        info = DatasetInfo(
            name, fn, None if splits is None else tuple(splits), on_disk, description, dict(recipe or {})
        )
        DATASETS.add(name, info, aliases=aliases)
        return fn

    return deco


def default_root() -> Path:
    """Where on-disk datasets are looked for when ``root=None``.

    ``$ACTLAB_DATA`` if set, else ``~/.cache/actlab/data``. Each dataset lives in its own
    folder below it (``<root>/cifar10/cifar-10-batches-py``, ...); see the loader docstrings.
    """
    env = os.environ.get("ACTLAB_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "actlab" / "data"


def load_dataset(name: str, root: str | os.PathLike | None = None, split: str = "train", **kw: Any) -> TensorData:
    """Loads one split of a registered dataset as tensors.

    Args:
        name: registry name (see :func:`list_datasets`).
        root: for on-disk datasets, the folder holding the files (default: :func:`default_root`
            joined with the dataset's name; the loaders also accept the files directly under
            ``root``). Ignored by embedded datasets.
        split: ``"train"`` or ``"test"`` (all datasets), ``"val"`` where defined; the hurricane
            damage image folders use their own split names.
        **kw: dataset-specific options (e.g. ``seed`` for ``spirals``, ``size`` for ``imagefolder``).

    Returns:
        TensorData: the whole split.

    Raises:
        ValueError: unknown dataset name (with the closest names) or split.
        DatasetError: a file is missing or corrupt (says which, where, and the expected layout).
    """
    info = DATASETS.get(name)
    if not isinstance(split, str) or not split:
        raise ValueError(f"split must be a non-empty str, got {split!r}")
    if info.splits is not None and split not in info.splits:
        raise ValueError(f"dataset {info.name!r} has no split {split!r}; choose one of {list(info.splits)}")
    _check_kwargs(info, kw)
    if info.on_disk:
        base = Path(root).expanduser() if root is not None else default_root() / info.name
        return info.loader(base, split, **kw)
    return info.loader(None, split, **kw)


def dataset_arguments(name: str) -> list[str] | None:
    """The keyword arguments (``dataset_kwargs``) the dataset's loader takes; ``None`` if it takes any."""
    params = list(inspect.signature(DATASETS.get(name).loader).parameters.values())[2:]  # after (root, split)
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _check_kwargs(info: DatasetInfo, kw: dict[str, Any]) -> None:
    valid = dataset_arguments(info.name)
    bad = [k for k in kw if valid is not None and k not in valid]
    if not bad:
        return
    hints = []
    for k in bad:
        close = difflib.get_close_matches(k, valid or [], n=3, cutoff=0.5)
        hints.append(f"{k!r}" + (f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""))
    raise DatasetArgumentError(
        f"dataset {info.name!r} does not take the argument(s) {', '.join(hints)}; "
        f"valid dataset_kwargs: {', '.join(valid or []) or 'none'}"
    )


def list_datasets(pattern: str | None = None) -> list[str]:
    """Sorted names of the registered datasets, optionally filtered by a shell pattern (``"*mnist*"``)."""
    return DATASETS.names(pattern)


def dataset_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of a registered dataset (unknown names raise ``ValueError``)."""
    return DATASETS.get(name)


def channel_stats(x: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and (population) standard deviation of a batch ``x`` of shape ``(N, C, ...)``.

    For flat inputs ``(N, F)`` the "channels" are the features. Computed in float64.
    """
    if x.dim() < 2 or x.shape[0] == 0:
        raise ValueError(f"channel_stats needs a non-empty batch (N, C, ...), got shape {tuple(x.shape)}")
    dims = [0, *range(2, x.dim())]
    xd = x.double()
    mean = xd.mean(dim=dims)
    std = xd.std(dim=dims, correction=0)
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)
