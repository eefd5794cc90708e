"""Transforms on whole batches ``(N, C, H, W)``, on any device, with explicit randomness.

Every transform is a callable ``t(x, generator=None) -> Tensor``. Random ones (crop, flip)
*require* a ``torch.Generator`` (on the CPU or on ``x``'s device) and draw one decision per
sample; deterministic ones ignore it. Compose them with :class:`Compose`::

    g = torch.Generator().manual_seed(seed)
    augment = Compose(RandomCrop(padding=4, padding_mode="reflect"), RandomHorizontalFlip(),
                      Normalize(train.mean, train.std))
    xb = augment(train.x[idx], g)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from ._registry import TensorData

__all__ = [
    "Compose",
    "RandomCrop",
    "RandomHorizontalFlip",
    "Normalize",
    "GaussianBlur",
    "gaussian_kernel1d",
    "transform_dataset",
]

Transform = Callable[..., torch.Tensor]
_PAD_MODES = ("zeros", "reflect", "replicate")


def _check_images(x: torch.Tensor, who: str) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError(f"{who} expects a batch of images (N, C, H, W), got shape {tuple(getattr(x, 'shape', ()))}")


def _rand(shape: tuple[int, ...], g: torch.Generator | None, x: torch.Tensor, who: str) -> torch.Tensor:
    if not isinstance(g, torch.Generator):
        raise ValueError(f"{who} is random: pass a torch.Generator, e.g. t(x, torch.Generator().manual_seed(seed))")
    return torch.rand(shape, generator=g, device=g.device).to(x.device)


class Compose:
    """Applies transforms in order, passing the same generator to each."""

    def __init__(self, *transforms: Transform) -> None:
        self.transforms = transforms

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        for t in self.transforms:
            x = t(x, generator)
        return x

    def __repr__(self) -> str:
        return f"Compose({', '.join(map(repr, self.transforms))})"


@dataclasses.dataclass(frozen=True)
class RandomCrop:
    """Pads each image by ``padding`` pixels and crops a random ``size`` window (one offset per sample).

    The standard CIFAR augmentation (e.g. WRN: 4 px reflection padding, 32 x 32 crop).

    Args:
        size: ``(H, W)`` of the crop (int: square); ``None`` = the input's size.
        padding: pixels added on every side.
        padding_mode: ``"zeros"``, ``"reflect"`` (mirror without repeating the edge) or ``"replicate"``.
    """

    size: int | tuple[int, int] | None = None
    padding: int = 4
    padding_mode: str = "zeros"

    def __post_init__(self) -> None:
        if self.padding_mode not in _PAD_MODES:
            raise ValueError(f"RandomCrop padding_mode must be one of {_PAD_MODES}, got {self.padding_mode!r}")
        if self.padding < 0:
            raise ValueError(f"RandomCrop padding must be >= 0, got {self.padding}")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_images(x, "RandomCrop")
        n, _, h, w = x.shape
        th, tw = (h, w) if self.size is None else ((self.size, self.size) if isinstance(self.size, int) else self.size)
        p = self.padding
        if p:
            mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
            x = F.pad(x, (p, p, p, p), mode=mode)
        hp, wp = h + 2 * p, w + 2 * p
        if th > hp or tw > wp:
            raise ValueError(f"RandomCrop size {(th, tw)} is larger than the padded image {(hp, wp)}")
        u = _rand((n, 2), generator, x, "RandomCrop")
        oy = (u[:, 0] * (hp - th + 1)).long().clamp_max(hp - th)
        ox = (u[:, 1] * (wp - tw + 1)).long().clamp_max(wp - tw)
        rows = oy[:, None] + torch.arange(th, device=x.device)  # (N, th)
        cols = ox[:, None] + torch.arange(tw, device=x.device)  # (N, tw)
        idx = torch.arange(n, device=x.device)[:, None, None]
        return x.permute(0, 2, 3, 1)[idx, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()


@dataclasses.dataclass(frozen=True)
class RandomHorizontalFlip:
    """Mirrors each image left-right with probability ``p`` (independently per sample)."""

    p: float = 0.5

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_images(x, "RandomHorizontalFlip")
        flip = _rand((x.shape[0],), generator, x, "RandomHorizontalFlip") < self.p
        return torch.where(flip[:, None, None, None], x.flip(-1), x)


@dataclasses.dataclass(frozen=True)
class Normalize:
    """Per-channel standardisation ``(x - mean[c]) / std[c]``; works on any ``(N, C, ...)``.

    Use the train split's statistics: ``Normalize(train.mean, train.std)``.
    """

    mean: Sequence[float]
    std: Sequence[float]

    def __post_init__(self) -> None:
        if self.mean is None or self.std is None or len(self.mean) != len(self.std):
            raise ValueError(f"Normalize needs mean and std of one length per channel, got {self.mean} and {self.std}")
        if any(s <= 0 for s in self.std):
            raise ValueError(f"Normalize std must be > 0, got {self.std}")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if x.dim() < 2 or x.shape[1] != len(self.mean):
            raise ValueError(f"Normalize has {len(self.mean)} channels but x has shape {tuple(x.shape)} (N, C, ...)")
        shape = (1, -1) + (1,) * (x.dim() - 2)
        mean = torch.as_tensor(self.mean, dtype=x.dtype, device=x.device).view(shape)
        std = torch.as_tensor(self.std, dtype=x.dtype, device=x.device).view(shape)
        return (x - mean) / std


def gaussian_kernel1d(sigma: float, truncate: float = 4.0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Normalised samples of ``exp(-t^2 / (2 sigma^2))`` at ``t = -r..r``, ``r = int(truncate * sigma + 0.5)``.

    The same kernel as ``scipy.ndimage.gaussian_filter`` (radius rule included).
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    r = int(truncate * sigma + 0.5)
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return (k / k.sum()).to(dtype)


@dataclasses.dataclass(frozen=True)
class GaussianBlur:
    """Gaussian low-pass filter with standard deviation ``sigma`` pixels, as a separable convolution.

    Used for the PVLU paper's "Gaussian-filtered CIFAR-10" (Gupta & Ahuja, arXiv 2110.12246);
    the paper's sigma is UNCONFIRMED (no public code), so it is a required argument. Each channel
    is filtered with the 1-d kernel :func:`gaussian_kernel1d` along H, then along W; equals
    ``scipy.ndimage.gaussian_filter(x, (0, 0, sigma, sigma), mode="mirror", truncate=truncate)``
    with the default ``padding_mode="reflect"``. ``sigma=0`` is the identity.

    Args:
        sigma: standard deviation in pixels (>= 0).
        truncate: kernel radius in units of sigma.
        padding_mode: border handling, ``"reflect"`` or ``"replicate"`` (``"zeros"`` darkens borders).
    """

    sigma: float
    truncate: float = 4.0
    padding_mode: str = "reflect"

    def __post_init__(self) -> None:
        if not self.sigma >= 0 or math.isinf(self.sigma):
            raise ValueError(f"GaussianBlur sigma must be a finite number >= 0, got {self.sigma}")
        if self.padding_mode not in _PAD_MODES:
            raise ValueError(f"GaussianBlur padding_mode must be one of {_PAD_MODES}, got {self.padding_mode!r}")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_images(x, "GaussianBlur")
        if self.sigma == 0:
            return x
        k = gaussian_kernel1d(self.sigma, self.truncate, x.dtype).to(x.device)
        r, c = k.numel() // 2, x.shape[1]
        if self.padding_mode == "reflect" and r >= min(x.shape[-2:]):
            raise ValueError(
                f"GaussianBlur radius {r} (sigma={self.sigma}) needs images larger than {tuple(x.shape[-2:])} "
                f"for reflect padding; use padding_mode='replicate' or a smaller sigma"
            )
        mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
        x = F.pad(x, (r, r, r, r), mode=mode)
        x = F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
        return F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)


def transform_dataset(data: TensorData, transform: Transform, batch_size: int = 4096) -> TensorData:
    """A copy of ``data`` whose ``x`` went through a deterministic ``transform`` in chunks.

    For fixed preprocessing of a whole split, e.g. the Gaussian-filtered CIFAR-10 variant:
    ``transform_dataset(load_dataset("cifar10", split=s), GaussianBlur(1.0))`` for both splits.
    ``mean`` / ``std`` are reset to ``None`` because they no longer describe ``x``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    with torch.no_grad():
        x = torch.cat([transform(xb) for xb in data.x.split(batch_size)]) if len(data) else data.x
    return dataclasses.replace(data, x=x.contiguous(), mean=None, std=None)
