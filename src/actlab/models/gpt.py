"""A small pre-norm decoder-only transformer (GPT-2 form) for the sequence tasks.

Radford et al., "Language Models are Unsupervised Multitask Learners" (GPT-2, 2019), in the layout of
Karpathy's nanoGPT: token embedding + learned position embedding, ``depth`` pre-norm blocks
(:class:`~actlab.models.blocks.TransformerBlock`: causal self-attention through
``scaled_dot_product_attention``, then the MLP block), a final norm and a linear head that gives
next-token logits at every position. Input: int64 token ids ``(B, T)`` with ``T <= context``;
output: ``(B, T, num_classes)``.

The MLP takes any activation, gated ones included: its first projection is ``arity x`` wide
(:class:`~actlab.models.blocks.GatedMLP`), and with ``match_params=True`` (the default) a gated
unit gets ``2/3`` of the dense hidden width (Shazeer 2020), so a ``swiglu`` model has the
parameter count of a ``gelu`` one to within a few per mille; :meth:`GPT.mlp_widths` and
:func:`parameter_count` say what each model got.

Choices: the norm is injected (``nn.LayerNorm`` by default, ``None`` for none); the head is
untied by default (``tie_head=True`` shares the token embedding, as GPT-2 does, and needs
``num_classes == in_chans``); weights follow GPT-2's init (:func:`~actlab.models.blocks.init_transformer_`).
The default activation is ``"gelu"`` (erf); GPT-2's own is the tanh approximation, ``"gelu_tanh"``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, make_norm
from ._registry import register_model
from .blocks import GatedMLP, TransformerBlock, init_transformer_, norm_rows

__all__ = ["GPT", "gpt", "parameter_count"]


@torch.fx.wrap  # a leaf under fx tracing (surgery), a plain check when run
def _check_length(length: int, context: int) -> None:
    if length > context:
        raise ValueError(
            f"gpt: the sequence has {length} tokens but the model's context is {context}; build it with "
            f"context >= {length} (the training loop sets it from the data)"
        )


def parameter_count(model: nn.Module) -> int:
    """Trainable parameters of ``model``, each shared tensor once (a tied head counts once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class GPT(nn.Module):
    """Decoder-only transformer: embeddings, pre-norm causal blocks, final norm, linear head.

    Arguments as for :func:`gpt`, with ``vocab`` for the builder's ``in_chans`` and ``hidden``
    resolved (``4 * dim`` when the builder got ``None``).
    """

    def __init__(
        self, num_classes: int, vocab: int, act: Any, norm: NormFactory, dim: int, depth: int, heads: int,
        hidden: int, context: int, tie_head: bool, match_params: bool, dropout: float,
        recompute_mlp: bool = False,
    ) -> None:
        super().__init__()
        for name, v in (("in_chans", vocab), ("num_classes", num_classes), ("dim", dim), ("depth", depth),
                        ("hidden", hidden), ("context", context)):
            if v < 1:
                raise ValueError(f"gpt needs {name} >= 1, got {v}")
        if tie_head and num_classes != vocab:
            raise ValueError(
                f"gpt: tie_head=True shares the token embedding with the head, so num_classes ({num_classes}) must "
                f"equal the vocabulary in_chans ({vocab}); pass tie_head=False or num_classes={vocab}"
            )
        sites = ActSites(channel_dim=-1)
        self.context = context
        self.tok_emb = nn.Embedding(vocab, dim)
        self.pos_emb = nn.Embedding(context, dim)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.blocks = nn.Sequential(*[
            TransformerBlock(
                dim, heads, hidden, act, norm, True, sites, f"blocks.{i}", match_params, dropout, recompute_mlp
            )
            for i in range(depth)
        ])
        self.norm = make_norm(norm, dim)
        self.head = nn.Linear(dim, num_classes, bias=False)
        init_transformer_(self, depth)
        if tie_head:
            self.head.weight = self.tok_emb.weight

    def mlp_widths(self) -> list[int]:
        """Hidden width after the activation of each block's MLP, from the input."""
        return [m.width for m in self.modules() if isinstance(m, GatedMLP)]

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        T = idx.shape[1]
        _check_length(T, self.context)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T, device=idx.device)))
        return self.head(norm_rows(self.norm, self.blocks(x)))


@register_model(
    "gpt", family="gpt", tokens=True,
    paper="Radford et al., Language Models are Unsupervised Multitask Learners (GPT-2), OpenAI 2019",
    input_shape=(64,), test_shape=(6,), test_kwargs={"dim": 8, "depth": 1, "heads": 2, "context": 6},
)
def gpt(
    num_classes: int | None = None, in_chans: int = 99, act: Any = "gelu", norm: NormFactory = nn.LayerNorm,
    dim: int = 128, depth: int = 2, heads: int = 4, hidden: int | None = None, context: int = 64,
    tie_head: bool = False, match_params: bool = True, dropout: float = 0.0,
    recompute_mlp: bool = False,
) -> GPT:
    """Small GPT: pre-norm decoder-only transformer over token ids (430,336 parameters at the defaults).

    Args:
        num_classes: output vocabulary (logits per position); ``None``: ``in_chans``.
        in_chans: input vocabulary (99: the tokens of ``modular_add`` at p = 97).
        act: the MLP's activation spec; gated units (``swiglu``, ``"<act>-glu"``) and other
            reducing activations (``and_ail``) widen the MLP's first projection by their arity.
        norm: ``norm(dim)`` factory before attention, before the MLP and before the head
            (default ``nn.LayerNorm``; ``None`` for none), applied to the ``(B * T, dim)`` rows.
        dim: model width. depth: blocks. heads: attention heads (``dim`` divisible by it).
        hidden: dense MLP width (``None``: ``4 * dim``).
        context: longest sequence (size of the position embedding).
        tie_head: share the token embedding with the head (GPT-2); needs ``num_classes == in_chans``.
        match_params: a gated (arity-k) activation gets ``round(2 * hidden / (k + 1))`` hidden
            units, matching the dense MLP's parameter count (Shazeer 2020); ``False``: ``hidden``.
        dropout: on the embeddings, attention, MLP and residual branches (0: none, and no modules).
        recompute_mlp: recompute each MLP's first projection and activation in backward instead of
            saving them (same results; see :class:`~actlab.models.blocks.GatedMLP`).
    """
    return GPT(
        in_chans if num_classes is None else num_classes, in_chans, act, norm, dim, depth, heads,
        4 * dim if hidden is None else hidden, context, tie_head, match_params, dropout, recompute_mlp,
    )
