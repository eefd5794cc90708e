"""MoCapsNet: capsule networks made deep with momentum reversible residual blocks.

Gugglberger, Peer & Rodríguez-Sánchez, "Momentum Capsule Networks", TMLR 2022, arXiv 2201.11091.
Momentum residual blocks after Sander, Ablin, Blondel & Peyré, "Momentum Residual Neural
Networks", ICML 2021 (arXiv 2102.07870).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._common import ActSites, conv_out
from ._registry import register_model

__all__ = [
    "squash", "margin_loss", "PrimaryCapsules", "RoutingCapsules", "MomentumCapsBlock", "MoCapsNet", "mocapsnet",
]


# ---------------------------------------------------------------------------------- helpers
def squash(s: torch.Tensor, dim: int = -1, eps: float = 1e-8) -> torch.Tensor:
    r"""Capsule squash :math:`v = \frac{|s|^2}{1 + |s|^2} \frac{s}{|s| + \epsilon}` (Sabour et al. 2017).

    :math:`|v| < 1`.
    """
    n2 = (s * s).sum(dim, keepdim=True)
    return n2 / (1.0 + n2) * s / (n2.sqrt() + eps)


def margin_loss(
    lengths: torch.Tensor,
    target: torch.Tensor,
    m_pos: float = 0.9,
    m_neg: float = 0.1,
    lam: float = 0.5,
    reconstruction: torch.Tensor | None = None,
    images: torch.Tensor | None = None,
    recon_weight: float = 5e-4,
    reduction: str = "sum",
) -> torch.Tensor:
    r"""Capsule margin loss, optionally with the reconstruction regulariser.

    :math:`L = \sum_k T_k \max(0, m^+ - |v_k|)^2 + \lambda (1 - T_k) \max(0, |v_k| - m^-)^2`
    (Sabour et al. 2017), plus ``recon_weight`` times the summed squared reconstruction error.
    MoCapsNet's code sums over classes and batch (``reduction="sum"``) with m+ = 0.9, m- = 0.1,
    lambda = 0.5 and weight 5e-4.

    Args:
        lengths: class capsule lengths, (B, K).
        target: class indices (B,).
        m_pos / m_neg / lam: margins and down-weighting of absent classes.
        reconstruction / images: decoder output and the input images (both or neither).
        recon_weight: weight of the reconstruction term.
        reduction: ``"sum"`` over the batch (the paper's code) or ``"mean"``.
    """
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    if (reconstruction is None) != (images is None):
        raise ValueError("pass both reconstruction= and images= for the reconstruction term, or neither")
    t = F.one_hot(target, lengths.shape[-1]).to(lengths.dtype)
    per = (t * F.relu(m_pos - lengths) ** 2 + lam * (1 - t) * F.relu(lengths - m_neg) ** 2).sum(-1)
    if reconstruction is not None and images is not None:  # both or neither, checked above
        per = per + recon_weight * ((reconstruction - images) ** 2).flatten(1).sum(-1)
    return per.sum() if reduction == "sum" else per.mean()


# ---------------------------------------------------------------------------------- capsule layers
class PrimaryCapsules(nn.Module):
    """A strided convolution whose channels are grouped into ``types`` capsules of ``dim`` values.

    Output: (B, types * H' * W', dim), squashed. Each capsule takes ``dim`` consecutive channels at
    one position (the authors' code reshapes the NCHW buffer directly, grouping values differently).
    """

    def __init__(self, in_chans: int, types: int, dim: int, kernel_size: int, stride: int = 2) -> None:
        super().__init__()
        self.types, self.dim = types, dim
        self.conv = nn.Conv2d(in_chans, types * dim, kernel_size, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        b, _, h, w = out.shape
        out = out.view(b, self.types, self.dim, h, w).permute(0, 1, 3, 4, 2)
        return squash(out.reshape(b, self.types * h * w, self.dim))


class RoutingCapsules(nn.Module):
    r"""Fully connected capsule layer with dynamic routing by agreement (Sabour et al. 2017).

    Predictions :math:`\hat u_{j|i} = W_{ij} u_i`; logits :math:`b_{ij} = 0`; for ``iterations``
    rounds: :math:`c = \mathrm{softmax}_j(b)`, :math:`v_j = \mathrm{squash}(\sum_i c_{ij} \hat u_{j|i})`,
    :math:`b_{ij} \mathrel{+}= \hat u_{j|i} \cdot v_j`. As in the authors' code the predictions are
    detached in all but the last round. Weights start at :math:`0.01 \cdot N(0, 1)`.
    """

    def __init__(self, in_caps: int, in_dim: int, num_caps: int, dim: int, iterations: int = 3) -> None:
        super().__init__()
        if iterations < 1:
            raise ValueError(f"routing needs iterations >= 1, got {iterations}")
        self.iterations = iterations
        self.W = nn.Parameter(0.01 * torch.randn(1, num_caps, in_caps, dim, in_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u_hat = torch.matmul(self.W, x[:, None, :, :, None]).squeeze(-1)  # (B, out caps, in caps, dim)
        detached = u_hat.detach()
        b = torch.zeros_like(u_hat[..., :1])
        for _ in range(self.iterations - 1):
            v = squash((F.softmax(b, dim=1) * detached).sum(2))
            b = b + torch.matmul(detached, v.unsqueeze(-1))
        return squash((F.softmax(b, dim=1) * u_hat).sum(2))


class _MomentumFunction(torch.autograd.Function):
    """Momentum steps that store only their output and rebuild inputs by the exact inverse in backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, v: torch.Tensor, block: MomentumCapsBlock, *params: torch.Tensor):
        with torch.no_grad():
            x, v = block._steps(x, v)
        ctx.block = block
        ctx.save_for_backward(x, v)
        return x.clone(), v.clone()

    @staticmethod
    def backward(ctx: Any, gx: torch.Tensor, gv: torch.Tensor):
        x, v = ctx.saved_tensors
        block = ctx.block
        g = block.gamma
        params = list(block.functions.parameters())
        grads = [torch.zeros_like(p) for p in params]
        for f in reversed(block.functions):
            x_prev = (x - v).detach().requires_grad_(True)
            with torch.enable_grad():
                fx = f(x_prev)
            v_prev = (v - (1 - g) * fx.detach()) / g
            gv_new = gv + gx  # x_new = x_prev + v_new
            f_params = list(f.parameters())
            out = torch.autograd.grad(fx, [x_prev, *f_params], (1 - g) * gv_new, allow_unused=True)
            gx = gx + out[0]
            gv = g * gv_new
            for p, gp in zip(f_params, out[1:], strict=True):
                if gp is not None:
                    k = next(i for i, q in enumerate(params) if q is p)
                    grads[k] = grads[k] + gp
            x, v = x_prev.detach(), v_prev
        return (gx, gv, None, *grads)


class MomentumCapsBlock(nn.Module):
    r"""Residual block of capsule layers with momentum (Momentum ResNet, Sander et al. 2021).

    For each function :math:`f_i` (a 32 -> 32 routing capsule layer) with velocity :math:`v_0 = 0`:
    :math:`v \leftarrow \gamma v + (1 - \gamma) f_i(x)`, :math:`x \leftarrow x + v` (the code of
    michaelsdr/momentumnet; its docstring swaps the roles of gamma and 1 - gamma). The step is exactly
    invertible, :math:`x_{prev} = x - v`, :math:`v_{prev} = (v - (1 - \gamma) f_i(x_{prev})) / \gamma`,
    so with ``memory_efficient=True`` the backward pass rebuilds the inputs instead of storing the
    activations of every layer (momentumnet additionally stores v in fixed point to stop the
    division by gamma from drifting; we use floating point, exact to ~1e-6 for two steps). The
    recomputation needs deterministic, stateless functions (no dropout or batch norm in them) and
    supports first-order gradients only.

    Args:
        functions: the residual functions.
        gamma: momentum. mode: ``"momentum"``, ``"residual"`` (x <- x + f(x)) or ``"plain"`` (x <- f(x)).
        memory_efficient: recompute instead of store (momentum mode only).
    """

    def __init__(self, functions: Sequence[nn.Module], gamma: float = 0.9, mode: str = "momentum",
                 memory_efficient: bool = True) -> None:
        super().__init__()
        if mode not in ("momentum", "residual", "plain"):
            raise ValueError(f"mode must be 'momentum', 'residual' or 'plain', got {mode!r}")
        if mode == "momentum" and not 0.0 < gamma < 1.0:
            raise ValueError(f"gamma must be in (0, 1) for an invertible momentum block, got {gamma}")
        self.functions = nn.ModuleList(functions)
        stateful = any(isinstance(m, nn.modules.dropout._DropoutNd) for m in self.functions.modules())
        if memory_efficient and mode == "momentum" and (stateful or any(True for _ in self.functions.buffers())):
            raise ValueError(
                "memory_efficient=True recomputes the functions in backward, so they must be deterministic and "
                "stateless (no dropout, batch norm or other buffers); pass memory_efficient=False"
            )
        self.gamma, self.mode, self.memory_efficient = gamma, mode, memory_efficient

    def _steps(self, x: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for f in self.functions:
            v = self.gamma * v + (1 - self.gamma) * f(x)
            x = x + v
        return x, v

    def forward_with_velocity(
        self, x: torch.Tensor, v: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Momentum steps from velocity ``v`` (zeros by default); returns (x, v)."""
        v = torch.zeros_like(x) if v is None else v
        if self.memory_efficient and torch.is_grad_enabled():
            return _MomentumFunction.apply(x, v, self, *self.functions.parameters())
        return self._steps(x, v)

    def inverse(self, x: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The block's input (x, v) from its output (x, v)."""
        with torch.no_grad():
            for f in reversed(self.functions):
                x = x - v
                v = (v - (1 - self.gamma) * f(x)) / self.gamma
        return x, v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "momentum":
            return self.forward_with_velocity(x)[0]
        for f in self.functions:
            x = x + f(x) if self.mode == "residual" else f(x)
        return x


# ---------------------------------------------------------------------------------- network
class MoCapsNet(nn.Module):
    """Conv + act -> primary capsules -> routing layer -> momentum residual capsule blocks -> class capsules.

    ``forward`` returns the class capsule lengths (B, num_classes) as scores; train them with
    :func:`margin_loss`. :meth:`capsules` gives the class capsules and, with ``decoder=True``,
    :meth:`reconstruct` the image reconstructed from the target's (or predicted) capsule.

    Args:
        num_classes / in_chans / input_size: classes, image channels and (square) image size.
        act: activation spec for the first convolution and the decoder's hidden layers.
        channels: conv1 channels (256). primary_dim: primary capsule size (8); there are
            ``channels // primary_dim`` capsule types. kernel_size: of conv1 and the primary conv (9).
        num_caps: capsules of the routing layer and of every residual layer (32).
        out_dim: class capsule size (16). num_blocks: residual blocks of 2 capsule layers each.
        gamma / mode / memory_efficient: see :class:`MomentumCapsBlock`.
        iterations: dynamic routing iterations (3). decoder: build the 512-1024 reconstruction decoder.
    """

    def __init__(
        self, num_classes: int, in_chans: int, input_size: int, act: Any, channels: int, primary_dim: int,
        kernel_size: int, num_caps: int, out_dim: int, num_blocks: int, gamma: float, mode: str,
        memory_efficient: bool, iterations: int, decoder: bool,
    ) -> None:
        super().__init__()
        if channels % primary_dim:
            raise ValueError(f"channels ({channels}) must be a multiple of primary_dim ({primary_dim})")
        sites = ActSites()
        self.image_shape = (in_chans, input_size, input_size)
        self.conv1 = nn.Conv2d(in_chans, channels, kernel_size)
        self.act1 = sites(act, "act1", channels)
        self.primary = PrimaryCapsules(channels, channels // primary_dim, primary_dim, kernel_size)
        side = conv_out(conv_out(input_size, kernel_size), kernel_size, stride=2)
        self.num_primary = channels // primary_dim * side * side
        self.caps1 = RoutingCapsules(self.num_primary, primary_dim, num_caps, primary_dim, iterations)
        self.blocks = nn.ModuleList(
            MomentumCapsBlock(
                [RoutingCapsules(num_caps, primary_dim, num_caps, primary_dim, iterations) for _ in range(2)],
                gamma, mode, memory_efficient,
            )
            for _ in range(num_blocks)
        )
        self.caps2 = RoutingCapsules(num_caps, primary_dim, num_classes, out_dim, iterations)
        self.decoder = None
        if decoder:
            pixels = in_chans * input_size * input_size
            self.decoder = nn.Sequential(
                nn.Linear(out_dim * num_classes, 512), sites(act, "decoder.1", 512),
                nn.Linear(512, 1024), sites(act, "decoder.3", 1024), nn.Linear(1024, pixels),
            )

    def capsules(self, x: torch.Tensor) -> torch.Tensor:
        """Class capsules (B, num_classes, out_dim)."""
        out = self.primary(self.act1(self.conv1(x)))
        out = self.caps1(out)
        for block in self.blocks:
            out = block(out)
        return self.caps2(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.capsules(x).norm(dim=-1)

    def reconstruct(self, caps: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        """Image from the capsule of ``target`` (the longest capsule when ``None``), others masked.

        The output layer is a logistic sigmoid (pixel intensities in (0, 1)), part of the decoder's
        design rather than an activation site.
        """
        if self.decoder is None:
            raise ValueError("this MoCapsNet was built without a decoder; pass decoder=True to reconstruct")
        idx = caps.norm(dim=-1).argmax(-1) if target is None else target
        mask = F.one_hot(idx, caps.shape[1]).to(caps.dtype).unsqueeze(-1)
        return torch.sigmoid(self.decoder((caps * mask).flatten(1))).view(-1, *self.image_shape)


@register_model(
    "mocapsnet",
    family="mocapsnet",
    paper="Gugglberger, Peer & Rodriguez-Sanchez, Momentum Capsule Networks, TMLR 2022 (arXiv 2201.11091)",
    input_shape=(1, 28, 28),
    test_shape=(1, 20, 20),
    test_kwargs={"input_size": 20, "channels": 16, "primary_dim": 4, "kernel_size": 5, "num_caps": 4,
                 "out_dim": 4, "num_blocks": 1},
)
def mocapsnet(
    num_classes: int = 10, in_chans: int = 1, act: Any = "relu", input_size: int = 28, channels: int = 256,
    primary_dim: int = 8, kernel_size: int = 9, num_caps: int = 32, out_dim: int = 16, num_blocks: int = 3,
    gamma: float = 0.9, mode: str = "momentum", memory_efficient: bool = True, iterations: int = 3,
    decoder: bool = False,
) -> MoCapsNet:
    """MoCapsNet of Gugglberger et al. 2022 (arXiv 2201.11091).

    Defaults follow the authors' code: conv 9x9 256, 32 types of 8-D primary capsules (1152 for
    28x28 inputs, 2048 for 32x32), a routing layer to 32 8-D capsules, residual blocks of two
    32 -> 32 routing layers with momentum gamma = 0.9, 16-D class capsules, 3 routing iterations.
    Choices: ``num_blocks=3`` (the authors sweep 1-5); the velocity restarts at 0 in every block;
    the reconstruction decoder is opt-in (``decoder=True``; the paper trains with it, weight 5e-4
    in :func:`margin_loss`). The model has no normalisation layers, so it takes no ``norm``.
    Recipe: Adam lr 1e-3, lr x 0.96 per epoch, batch 128, 30 epochs, random crop with 2-px padding.

    Args: see :class:`MoCapsNet`.
    """
    return MoCapsNet(
        num_classes, in_chans, input_size, act, channels, primary_dim, kernel_size, num_caps, out_dim,
        num_blocks, gamma, mode, memory_efficient, iterations, decoder,
    )
