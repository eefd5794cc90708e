"""Units that take a maximum over more than one input: maxout (over groups of channels) and
FReLU (each element against a condition computed from its spatial window).

Neither is elementwise, so neither has a fused path; both are covered by the generated
conformance suite through their numpy references (``tests/activation_refs/modern.py``).
"""

from __future__ import annotations

import torch
from torch import nn

from ._base import HALF_DTYPES, Activation
from ._info import ActivationInfo, Paper
from ._registry import register_activation
from .logical import LogicalActivation

__all__ = ["Maxout", "FReLU"]


@register_activation(ActivationInfo(
    name="maxout", formula="max_i x_i over groups of k consecutive channels (C -> C/k)", latex=r"\max_i x_i",
    paper=Paper("Maxout Networks", "1302.4389", 2013), monotonic=True, smoothness="C0", f0=0.0, df0=None,
    elementwise=False, arity=2, category="modern",
    notes="Reduces groups of k consecutive channels (default k=2) along channel_dim, like the logical units: C "
    "inputs -> C/k outputs, C % k != 0 raises. The preceding layer (Goodfellow et al.'s k linear pieces) "
    "must output k times the channels. Ties split the gradient evenly (amax). Scalar properties describe "
    "t -> f(t, ..., t).",
))
class Maxout(LogicalActivation):
    """Maxout (Goodfellow et al., arXiv 1302.4389): the maximum over groups of ``k`` consecutive channels.

    ``C`` input channels give ``C / k`` outputs (the grouping of the logical units,
    :class:`~actlab.activations.logical.LogicalActivation`).

    Example:
        >>> Maxout(k=2)(torch.tensor([[1.0, -2.0, 0.5, 3.0]]))
        tensor([[1., 3.]])

    Args:
        k: group size (>= 2); ``C`` must be divisible by ``k``.
        channel_dim: dimension holding the channels (1 for NCHW/NCL, -1 for (B, T, C)).
        **kw: other :class:`Activation` arguments (``impl``); there are no parameters.
    """

    def _reduce(self, z: torch.Tensor, d: int) -> torch.Tensor:
        return z.amax(d)


_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_NORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


@register_activation(ActivationInfo(
    name="frelu", formula="max(x, BN(depthwise_conv_kxk(x))), k = 3", latex=r"\max(x, \mathbb{T}(x))",
    paper=Paper("Funnel Activation for Visual Recognition", "2007.11824", 2020), aliases=("funnel_relu",),
    smoothness="C0", f0=0.0, df0=None, elementwise=False, batch_dependent=True, category="modern",
    notes="Needs num_channels; the funnel condition T(x) is a depthwise k x k convolution (no bias: the "
    "BatchNorm after it has one; the authors' code keeps a redundant conv bias, yolov5 drops it) and a "
    "BatchNorm, so in training mode the output depends on the batch (batch statistics). spatial_dims=2 "
    "(images, NCHW) by default; 1 for (N, C, L) signals, 3 for volumes. Scalar properties: f(0) = 0; "
    "the range is unbounded, monotonicity depends on the learned convolution.",
))
class FReLU(Activation):
    r"""Funnel activation (Ma, Zhang & Sun, arXiv 2007.11824): ``max(x, T(x))``, ``T = BN(DWConv_kxk(x))``.

    The spatial condition ``T(x)`` looks at each element's ``k x k`` window in its own channel
    (a depthwise convolution followed by BatchNorm), extending ReLU's ``max(x, 0)``. Needs the
    input's channel count; the input must be ``(N, C, *spatial)`` with ``spatial_dims`` spatial
    dimensions after the channels (the channels may sit at ``channel_dim=-1``, e.g. ``(N, L, C)``
    with ``spatial_dims=1``). Half inputs with float32 weights are computed in float32.

    Example:
        >>> m = FReLU(num_channels=3)
        >>> tuple(m(torch.randn(2, 3, 8, 8)).shape)
        (2, 3, 8, 8)

    Args:
        num_channels: the channel count ``C`` (required).
        kernel_size: odd window size ``k``, default 3.
        spatial_dims: number of spatial dimensions (1, 2 or 3), default 2.
        **kw: ``channel_dim``, ``impl`` (see :class:`Activation`).
    """

    requires_channels = True

    def __init__(self, *, num_channels: int, kernel_size: int = 3, spatial_dims: int = 2, **kw) -> None:
        if int(kernel_size) != kernel_size or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(
                f"FReLU: kernel_size must be an odd positive integer (the window is centred), got {kernel_size!r}"
            )
        if spatial_dims not in _CONV:
            raise ValueError(f"FReLU: spatial_dims must be 1, 2 or 3, got {spatial_dims!r}")
        if int(num_channels) != num_channels or num_channels < 1:
            raise ValueError(f"FReLU: num_channels must be a positive int, got {num_channels!r}")
        super().__init__(num_channels=num_channels, **kw)  # (shape changes nothing: no scalar parameters)
        c, k = int(num_channels), int(kernel_size)
        self.num_channels, self.kernel_size, self.spatial_dims = c, k, int(spatial_dims)
        self.conv = _CONV[self.spatial_dims](c, c, k, padding=k // 2, groups=c, bias=False)
        self.bn = _NORM[self.spatial_dims](c)

    def forward_eager(self, x: torch.Tensor) -> torch.Tensor:
        want = 2 + self.spatial_dims
        d = self.channel_dim % x.dim() if x.dim() else 0
        if x.dim() != want or d == 0 or x.shape[d] != self.num_channels:
            raise ValueError(
                f"FReLU(spatial_dims={self.spatial_dims}): expected a {want}-d input (N, C, *spatial) with "
                f"C = {self.num_channels} along dim {self.channel_dim}, got shape {tuple(x.shape)}; FReLU needs a "
                "spatial window (use spatial_dims=1 for sequences, or an elementwise activation for vectors)"
            )
        w = self.conv.weight
        z = x.to(w.dtype) if x.dtype in HALF_DTYPES and w.dtype not in HALF_DTYPES else x
        z = z.movedim(d, 1)
        t = self.bn(self.conv(z))
        return torch.maximum(z, t).movedim(1, d).to(x.dtype)

    def extra_repr(self) -> str:
        parts = [f"num_channels={self.num_channels}", f"kernel_size={self.kernel_size}"]
        if self.spatial_dims != 2:
            parts.append(f"spatial_dims={self.spatial_dims}")
        if self.channel_dim != 1:
            parts.append(f"channel_dim={self.channel_dim}")
        return ", ".join(parts)

