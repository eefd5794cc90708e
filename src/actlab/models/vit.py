"""A small Vision Transformer for the image sets (8x8 digits, 28x28 mnist5k, 32x32 CIFAR).

Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
ICLR 2021, arXiv 2010.11929, in timm's layout: a strided convolution cuts the image into
``patch_size`` x ``patch_size`` patches and embeds each one, a learned position embedding is
added (and a class token prepended when ``pool="cls"``), ``depth`` pre-norm encoder blocks
(:class:`~actlab.models.blocks.TransformerBlock` without the causal mask), a final norm, and a
linear head on the class token (``pool="cls"``, the paper) or on the mean of the patch tokens
(``pool="mean"``). The MLP takes any activation, gated ones included, with the parameter count
matched as in :mod:`~actlab.models.gpt`. Init: GPT-2's normal(0, 0.02) on every linear layer and
embedding, class token and position embedding included.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, make_norm
from ._registry import register_model
from .blocks import GatedMLP, TransformerBlock, init_transformer_, norm_rows

__all__ = ["ViT", "vit"]

POOLS = ("cls", "mean")


@torch.fx.wrap  # a leaf under fx tracing (surgery), a plain check when run
def _check_size(shape: torch.Size, image_size: int) -> None:
    if tuple(shape[-2:]) != (image_size, image_size):
        raise ValueError(
            f"vit: the input is {tuple(shape[-2:])} but the model was built for image_size={image_size}; "
            "build it with the data's size (the training loop sets it)"
        )


class ViT(nn.Module):
    """Patch embedding, (class token), position embedding, pre-norm encoder blocks, norm, head.

    Arguments as for :func:`vit`, with ``hidden`` resolved (``4 * dim`` when the builder got ``None``).
    """

    def __init__(
        self, num_classes: int, in_chans: int, act: Any, norm: NormFactory, image_size: int, patch_size: int,
        dim: int, depth: int, heads: int, hidden: int, pool: str, match_params: bool, dropout: float,
        recompute_mlp: bool = False,
    ) -> None:
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"vit pool must be one of {POOLS}, got {pool!r}")
        if patch_size < 1 or image_size % patch_size:
            raise ValueError(
                f"vit: patch_size={patch_size} must divide image_size={image_size}; e.g. patch_size=4 for 8, 28 or 32"
            )
        sites = ActSites(channel_dim=-1)
        self.image_size, self.pool = image_size, pool
        n = (image_size // patch_size) ** 2 + (pool == "cls")
        self.patch = nn.Conv2d(in_chans, dim, patch_size, patch_size)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim)) if pool == "cls" else None
        self.pos = nn.Parameter(torch.zeros(1, n, dim))
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.blocks = nn.Sequential(*[
            TransformerBlock(
                dim, heads, hidden, act, norm, False, sites, f"blocks.{i}", match_params, dropout, recompute_mlp
            )
            for i in range(depth)
        ])
        self.norm = make_norm(norm, dim)
        self.head = nn.Linear(dim, num_classes)
        init_transformer_(self, depth)
        for p in (self.pos, self.cls):
            if p is not None:
                nn.init.normal_(p, 0.0, 0.02)

    def mlp_widths(self) -> list[int]:
        """Hidden width after the activation of each block's MLP, from the input."""
        return [m.width for m in self.modules() if isinstance(m, GatedMLP)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_size(x.shape, self.image_size)
        x = self.patch(x).flatten(2).transpose(1, 2)  # (B, patches, dim)
        if self.cls is not None:
            x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        x = norm_rows(self.norm, self.blocks(self.drop(x + self.pos)))
        return self.head(x[:, 0] if self.pool == "cls" else x.mean(1))


@register_model(
    "vit", family="vit",
    paper="Dosovitskiy et al., An Image is Worth 16x16 Words, ICLR 2021, arXiv 2010.11929",
    input_shape=(1, 28, 28), test_shape=(1, 8, 8),
    test_kwargs={"image_size": 8, "patch_size": 4, "dim": 8, "depth": 1, "heads": 2},
)
def vit(
    num_classes: int = 10, in_chans: int = 1, act: Any = "gelu", norm: NormFactory = nn.LayerNorm,
    image_size: int = 28, patch_size: int = 4, dim: int = 64, depth: int = 4, heads: int = 4,
    hidden: int | None = None, pool: str = "cls", match_params: bool = True, dropout: float = 0.0,
    recompute_mlp: bool = False,
) -> ViT:
    """Small ViT (205,066 parameters at the defaults: 28x28 input, 49 patches of 4x4).

    Args:
        num_classes: logits. in_chans: image channels.
        act: the MLP's activation spec (gated units widen the MLP's first projection by their arity).
        norm: ``norm(dim)`` factory (default ``nn.LayerNorm``; ``None`` for none), on the token rows.
        image_size: input height = width (28; the training loop passes the data's size).
        patch_size: patch side; must divide ``image_size`` (4: 49 patches at 28, 4 at 8).
        dim: width. depth: encoder blocks. heads: attention heads.
        hidden: dense MLP width (``None``: ``4 * dim``).
        pool: ``"cls"`` (class token, the paper) or ``"mean"`` (mean of the patch tokens).
        match_params: match a gated activation's MLP to the dense parameter count (see :func:`actlab.models.gpt.gpt`).
        dropout: on the embeddings, attention, MLP and residual branches (0: none).
        recompute_mlp: recompute each MLP's first projection and activation in backward instead of
            saving them (same results; see :class:`~actlab.models.blocks.GatedMLP`).
    """
    return ViT(
        num_classes, in_chans, act, norm, image_size, patch_size, dim, depth, heads,
        4 * dim if hidden is None else hidden, pool, match_params, dropout, recompute_mlp,
    )
