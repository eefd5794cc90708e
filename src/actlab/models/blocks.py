"""Transformer building blocks: the MLP block for any activation (gated ones included), attention, the
pre-norm block, and the GPT-2 initialisation. Used by :mod:`~actlab.models.gpt` and :mod:`~actlab.models.vit`.

The MLP block sizes its first projection by the activation's *arity* k, the number of channels
its row says it reduces into one output (:attr:`actlab.ActivationInfo.arity`): 1 for elementwise
activations, 2 for the gated linear units (``swiglu``: ``silu(a) * b``) and the logical units
(``and_ail``), k for ``maxout``-like ones. ``in -> k * h`` is one fused projection (the
concatenated ``[a | b]`` layout of Llama-style MLPs), the activation brings it to ``h``, and
``h -> out`` closes the block. With ``match_params`` the width ``h`` is chosen so that the block
has the parameters of the dense block of width ``hidden`` (:func:`matched_hidden`).

Tensors are ``(B, T, C)``, channels last: activations are built with ``channel_dim=-1``, and an
injected norm factory ``norm(C)`` is applied to the ``(B * T, C)`` rows (:func:`norm_rows`), so
``nn.LayerNorm`` (the default), ``nn.RMSNorm``, ``nn.GroupNorm(g, C)`` and ``nn.BatchNorm1d``
(statistics over the tokens of the batch) all fit.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from ..activations import ActivationInfo, activation_info
from ._common import ActSites, NormFactory, make_norm

__all__ = [
    "act_arity", "matched_hidden", "norm_rows", "GatedMLP", "SelfAttention", "TransformerBlock", "init_transformer_",
]


def act_arity(act: Any) -> int:
    """The arity of an activation spec: how many input channels make one output channel.

    Read from the property row: a registry name or ``(name, params)`` pair gives
    ``activation_info(name).arity``, an :class:`~actlab.Activation` subclass its ``info.arity``.
    Factories and other ``nn.Module`` classes (which carry no row) count as elementwise (1).
    Resolve :func:`~actlab.per_layer` choices first (:meth:`ActSites.choose`).

    Example:
        >>> act_arity("relu"), act_arity(("and_ail", {})), act_arity(nn.ReLU)
        (1, 2, 1)
    """
    if isinstance(act, tuple) and act and isinstance(act[0], str):
        act = act[0]
    if isinstance(act, str):
        return int(activation_info(act).arity)
    info = getattr(act, "info", None)
    return int(info.arity) if isinstance(info, ActivationInfo) else 1


def matched_hidden(hidden: int, arity: int) -> int:
    """Width after an arity-``k`` activation that matches a dense MLP block of width ``hidden``.

    A dense block ``d -> h -> d`` has ``2 d h`` weights; an arity-k block ``d -> k h' -> h' -> d``
    has ``(k + 1) d h'``. Equal counts give ``h' = 2 h / (k + 1)``: for the gated units (k = 2)
    the 2/3 of Shazeer, "GLU Variants Improve Transformer" (2020, arXiv 2002.05202, section 2).
    Biases (``(k + 1) h'`` against ``2 h``) and the rounding leave a difference of a few per mille.

    Example:
        >>> matched_hidden(256, 1), matched_hidden(256, 2), matched_hidden(3072, 2)
        (256, 171, 2048)
    """
    if hidden < 1 or arity < 1:
        raise ValueError(f"matched_hidden needs hidden >= 1 and arity >= 1, got hidden={hidden}, arity={arity}")
    return max(1, round(2 * hidden / (arity + 1)))


def norm_rows(norm: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``norm`` applied to the ``(B * T, C)`` rows of a ``(..., C)`` tensor, reshaped back."""
    return norm(x.reshape(-1, x.shape[-1])).reshape(x.shape)


class GatedMLP(nn.Module):
    """The transformer MLP block for any activation: ``fc2(drop(act(fc1(x))))``.

    ``fc1: in -> arity * width`` (one fused projection), ``act: arity * width -> width``,
    ``fc2: width -> out``. For an elementwise activation (arity 1) this is the plain two-layer MLP
    of GPT-2; for a gated unit it is the GLU MLP of Shazeer (2020) as Llama-style models fuse it.

    Args:
        in_features / out_features: model width in and out.
        hidden: hidden width of the *dense* block (``4 * dim`` in GPT-2).
        act: activation spec (any form :func:`actlab.build_act` takes); its arity comes from its row.
        sites: the model's :class:`~actlab.models._common.ActSites` (``channel_dim=-1``).
        path: dotted module path of this block (the activation's site is ``f"{path}.act"``).
        match_params: use :func:`matched_hidden` (``2 * hidden / (arity + 1)``) so that the block
            has the dense block's parameter count; ``False`` keeps ``width = hidden`` whatever the arity.
        bias: biases in both projections. dropout: after the activation.
        recompute: keep only the block's input for backward and recompute ``act(fc1(x))`` there
            (activation checkpointing of the first projection and the activation, with
            :func:`torch.utils.checkpoint.checkpoint`, RNG state preserved). Outputs and gradients
            are the same bit for bit; what the first projection and the activation keep for backward
            drops from ``x + fc1(x) + what act saves`` to ``x``, for one more ``fc1`` and activation
            forward in backward (figures: ``benchmarks/glu_fused.py``).

    Attributes:
        arity: the activation's arity. width: the hidden width after the activation.
    """

    def __init__(
        self, in_features: int, hidden: int, out_features: int, act: Any, sites: ActSites, path: str,
        match_params: bool = True, bias: bool = True, dropout: float = 0.0, recompute: bool = False,
    ) -> None:
        super().__init__()
        self.recompute = bool(recompute)
        name = f"{path}.act" if path else "act"
        spec = sites.choose(act, name)
        self.arity = act_arity(spec)
        self.width = matched_hidden(hidden, self.arity) if match_params else hidden
        self.fc1 = nn.Linear(in_features, self.arity * self.width, bias=bias)
        self.act = sites(spec, name, self.arity * self.width)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc2 = nn.Linear(self.width, out_features, bias=bias)

    def _hidden(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc1(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.recompute and torch.is_grad_enabled():
            h = checkpoint(self._hidden, x, use_reentrant=False)
        else:
            h = self._hidden(x)
        return self.fc2(self.drop(h))

    def extra_repr(self) -> str:
        return f"arity={self.arity}, width={self.width}" + (", recompute=True" if self.recompute else "")


class SelfAttention(nn.Module):
    """Multi-head self-attention over ``(B, T, C)`` with :func:`torch.nn.functional.scaled_dot_product_attention`.

    One fused ``qkv`` projection, ``heads`` heads of ``C / heads`` channels, an output projection.

    Args:
        dim: channels C (divisible by ``heads``). heads: attention heads.
        causal: mask attention to the past (``is_causal=True``: position t sees positions <= t).
        bias: biases of the projections. dropout: attention-probability dropout (training only).
    """

    def __init__(self, dim: int, heads: int, causal: bool, bias: bool = True, dropout: float = 0.0) -> None:
        super().__init__()
        if heads < 1 or dim % heads:
            raise ValueError(f"attention needs dim divisible by heads, got dim={dim}, heads={heads}")
        self.heads, self.causal, self.dropout = heads, causal, dropout
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.proj = nn.Linear(dim, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        y = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=self.causal
        )
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class TransformerBlock(nn.Module):
    """Pre-norm block: ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))`` (GPT-2, ViT).

    Args:
        dim: width. heads: attention heads. hidden: dense MLP width (see :class:`GatedMLP`).
        act: the MLP's activation spec. norm: ``norm(dim)`` factory or ``None`` (no norm).
        causal: causal attention (decoder) or not (encoder). sites / path: see :class:`GatedMLP`.
        match_params: see :class:`GatedMLP`. dropout: after attention, in the MLP, on both residual branches.
        recompute_mlp: the MLP's ``recompute`` (see :class:`GatedMLP`).
    """

    def __init__(
        self, dim: int, heads: int, hidden: int, act: Any, norm: NormFactory, causal: bool, sites: ActSites,
        path: str, match_params: bool = True, dropout: float = 0.0, recompute_mlp: bool = False,
    ) -> None:
        super().__init__()
        self.norm1 = make_norm(norm, dim)
        self.attn = SelfAttention(dim, heads, causal, dropout=dropout)
        self.norm2 = make_norm(norm, dim)
        self.mlp = GatedMLP(dim, hidden, dim, act, sites, f"{path}.mlp", match_params=match_params, dropout=dropout,
                            recompute=recompute_mlp)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(norm_rows(self.norm1, x)))
        return x + self.drop(self.mlp(norm_rows(self.norm2, x)))


def init_transformer_(model: nn.Module, depth: int, std: float = 0.02) -> None:
    """GPT-2's initialisation (Radford et al. 2019; nanoGPT): every ``Linear`` and ``Embedding``
    weight ``N(0, std^2)``, biases 0, and the two projections that write into the residual stream
    (``attn.proj``, ``mlp.fc2``) ``N(0, std^2 / (2 depth))``. Norm layers keep their own init."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, std)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)
    for m in model.modules():
        if isinstance(m, TransformerBlock):
            nn.init.normal_(m.attn.proj.weight, 0.0, std / math.sqrt(2 * depth))
            nn.init.normal_(m.mlp.fc2.weight, 0.0, std / math.sqrt(2 * depth))
