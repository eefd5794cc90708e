"""Data for one run: load, split off validation, standardize, move to the device, augment batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .config import TrainConfig

__all__ = ["Split", "prepare_data"]


@dataclass(frozen=True)
class Split:
    """One split on the training device.

    Args:
        x, y: inputs (standardized) and int64 labels; for a sequence task int64 token ids and
            per-position targets, both ``(N, T)`` (:data:`actlab.data.IGNORE_INDEX`: not scored).
        num_classes: classes of the dataset (the vocabulary of a sequence task).
        transform: batch augmentation ``t(x, generator)`` applied in :meth:`augment` (``None``: none).
    """

    x: torch.Tensor
    y: torch.Tensor
    num_classes: int
    transform: Callable[..., torch.Tensor] | None = None

    def augment(self, xb: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return xb if self.transform is None else self.transform(xb, gen)


def prepare_data(cfg: TrainConfig, device: torch.device, seed: int) -> tuple[Split, Split | None, Split]:
    """(train, val or None, test) for ``cfg``: ``cfg.val_fraction`` of the training set (a seeded
    random subset) is held out; inputs are standardized with the statistics of the training part
    (per channel for inputs with a channel axis, per feature for flat inputs; a constant
    channel gets std 1). ``augment="crop_flip"`` is :class:`actlab.data.transforms.RandomCrop`
    (``crop_padding``, ``crop_padding_mode``) then ``RandomHorizontalFlip``, applied per batch to
    the standardized images, so zero padding pads with the training mean. Token ids (sequence
    tasks, int64 ``x``) are never standardized: ``normalize`` applies to float inputs only."""
    from ..data import channel_stats, load_dataset
    from ..data.transforms import Compose, RandomCrop, RandomHorizontalFlip

    tr = load_dataset(cfg.dataset, root=cfg.data_root, split="train", **cfg.dataset_kwargs)
    te = load_dataset(cfg.dataset, root=cfg.data_root, split="test", **cfg.dataset_kwargs)
    x, y = tr.x, tr.y
    xv: torch.Tensor | None = None
    yv: torch.Tensor | None = None
    if cfg.val_fraction > 0:
        n_val = round(cfg.val_fraction * len(y))
        if not 0 < n_val < len(y):
            raise ValueError(
                f"val_fraction={cfg.val_fraction} leaves no validation or no training data for {len(y)} samples"
            )
        perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
        xv, yv = x[perm[:n_val]], y[perm[:n_val]]
        x, y = x[perm[n_val:]], y[perm[n_val:]]
    if cfg.normalize and x.is_floating_point():
        mean, std = channel_stats(x)
        shape = [1, len(mean)] + [1] * (x.dim() - 2)
        m = torch.tensor(mean, dtype=torch.float32).view(shape)
        s = torch.tensor([v if v > 1e-8 else 1.0 for v in std], dtype=torch.float32).view(shape)
        norm = lambda t: (t - m) / s  # noqa: E731
    else:
        norm = lambda t: t  # noqa: E731
    fmt = torch.channels_last if cfg.channels_last and x.dim() == 4 else torch.contiguous_format
    move = lambda t: norm(t).to(device).contiguous(memory_format=fmt)  # noqa: E731
    transform = None
    if cfg.augment == "crop_flip":
        if x.dim() != 4:
            raise ValueError(
                f"augment='crop_flip' needs image data (N, C, H, W); {cfg.dataset} has shape {tuple(x.shape)}"
            )
        transform = Compose(
            RandomCrop(padding=cfg.crop_padding, padding_mode=cfg.crop_padding_mode), RandomHorizontalFlip()
        )
    train = Split(move(x), y.to(device), tr.num_classes, transform)
    val = None if xv is None or yv is None else Split(move(xv), yv.to(device), tr.num_classes)
    test = Split(move(te.x), te.y.to(device), te.num_classes)
    return train, val, test
