"""Data for one run: load, split off validation, standardize, move to the device, augment batches."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .config import TrainConfig

__all__ = ["Split", "prepare_data", "random_crop_flip"]


@dataclass(frozen=True)
class Split:
    """One split on the training device.

    Args:
        x, y: inputs (standardized) and int64 labels. num_classes: classes of the dataset.
        crop_flip_padding: apply :func:`random_crop_flip` with this padding in :meth:`augment`
            (``None``: no augmentation).
    """

    x: torch.Tensor
    y: torch.Tensor
    num_classes: int
    crop_flip_padding: int | None = None

    def augment(self, xb: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        if self.crop_flip_padding is None:
            return xb
        return random_crop_flip(xb, self.crop_flip_padding, gen)


def random_crop_flip(x: torch.Tensor, padding: int, gen: torch.Generator) -> torch.Tensor:
    """Per-sample random ``H x W`` crop of the zero-padded batch, then a horizontal flip with
    probability 1/2 (the CIFAR augmentation of the ResNet/WRN papers), all on ``x``'s device.

    Args:
        x: ``(N, C, H, W)`` batch. padding: zero padding on each side. gen: the randomness.
    """
    if x.dim() != 4:
        raise ValueError(f"crop_flip augmentation needs image batches (N, C, H, W), got shape {tuple(x.shape)}; use augment='none'")
    n, _, h, w = x.shape
    dev = x.device
    xp = torch.nn.functional.pad(x, (padding,) * 4)
    oy = torch.randint(0, 2 * padding + 1, (n,), generator=gen, device=dev)
    ox = torch.randint(0, 2 * padding + 1, (n,), generator=gen, device=dev)
    flip = torch.rand(n, generator=gen, device=dev) < 0.5
    cols = torch.arange(w, device=dev)
    cols = torch.where(flip[:, None], w - 1 - cols, cols) + ox[:, None]
    rows = torch.arange(h, device=dev)[None, :] + oy[:, None]
    i = torch.arange(n, device=dev)[:, None, None]
    out = xp[i, :, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
    out = out.permute(0, 3, 1, 2)  # a channels_last view
    return out if x.is_contiguous(memory_format=torch.channels_last) else out.contiguous()


def prepare_data(cfg: TrainConfig, device: torch.device, seed: int) -> tuple[Split, Split | None, Split]:
    """(train, val or None, test) for ``cfg``: ``cfg.val_fraction`` of the training set (a seeded
    random subset) is held out; inputs are standardized with the statistics of the training part
    (per channel for inputs with a channel axis, per feature for flat inputs; a constant
    channel gets std 1)."""
    from ..data import channel_stats, load_dataset

    tr = load_dataset(cfg.dataset, root=cfg.data_root, split="train", **cfg.dataset_kwargs)
    te = load_dataset(cfg.dataset, root=cfg.data_root, split="test", **cfg.dataset_kwargs)
    x, y = tr.x, tr.y
    xv = yv = None
    if cfg.val_fraction > 0:
        n_val = round(cfg.val_fraction * len(y))
        if not 0 < n_val < len(y):
            raise ValueError(f"val_fraction={cfg.val_fraction} leaves no validation or no training data for {len(y)} samples")
        perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
        xv, yv = x[perm[:n_val]], y[perm[:n_val]]
        x, y = x[perm[n_val:]], y[perm[n_val:]]
    if cfg.normalize:
        mean, std = channel_stats(x)
        shape = [1, len(mean)] + [1] * (x.dim() - 2)
        m = torch.tensor(mean, dtype=torch.float32).view(shape)
        s = torch.tensor([v if v > 1e-8 else 1.0 for v in std], dtype=torch.float32).view(shape)
        norm = lambda t: (t - m) / s  # noqa: E731
    else:
        norm = lambda t: t  # noqa: E731
    fmt = torch.channels_last if cfg.channels_last and x.dim() == 4 else torch.contiguous_format
    move = lambda t: norm(t).to(device).contiguous(memory_format=fmt)  # noqa: E731
    pad = cfg.crop_padding if cfg.augment == "crop_flip" else None
    if pad is not None and x.dim() != 4:
        raise ValueError(f"augment='crop_flip' needs image data (N, C, H, W); {cfg.dataset} has shape {tuple(x.shape)}")
    train = Split(move(x), y.to(device), tr.num_classes, pad)
    val = None if xv is None else Split(move(xv), yv.to(device), tr.num_classes)
    test = Split(move(te.x), te.y.to(device), te.num_classes)
    return train, val, test
