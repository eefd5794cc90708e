"""``nn.MultiheadAttention``, whose projections run inside its own forward (its ``in_proj_weight``
is a bare parameter and ``out_proj`` is never called as a module): AutoInit treats it as four
weighted layers -- the query, key and value projections (views of ``in_proj_weight``, or the
separate ``q/k/v_proj_weight``) and ``out_proj`` -- and measures each of them.

The input of ``out_proj`` is read exactly by running the module with ``out_proj`` set to the
identity (it is the last linear map of the forward); its predicted moments follow the attention
rule (:func:`actlab.init.propagate.attention`) with the pattern's concentration from the module's
own attention weights.
"""

from __future__ import annotations

import weakref
from typing import Any

import torch
from torch import nn

from . import propagate as P
from .propagate import Stat

__all__ = ["initialize", "measure", "projections"]

_PROXIES: weakref.WeakKeyDictionary[nn.MultiheadAttention, list[tuple[str, nn.Linear]]] = weakref.WeakKeyDictionary()
_ARGS = ("query", "key", "value", "key_padding_mask", "need_weights", "attn_mask", "average_attn_weights", "is_causal")


def _view_linear(weight: torch.Tensor, bias: torch.Tensor | None) -> nn.Linear:
    """An ``nn.Linear`` whose weight and bias are views of another module's tensors (not registered)."""
    lin = nn.Linear.__new__(nn.Linear)
    nn.Module.__init__(lin)
    lin.in_features, lin.out_features = weight.shape[1], weight.shape[0]
    lin.weight, lin.bias = weight, bias  # type: ignore[assignment]  # plain attributes: views, not parameters
    return lin


def projections(m: nn.MultiheadAttention) -> list[tuple[str, nn.Linear]]:
    """``[("in_proj[q]", layer), ("in_proj[k]", ...), ("in_proj[v]", ...)]``: the same objects on every call."""
    if m not in _PROXIES:
        e, b = m.embed_dim, m.in_proj_bias
        if m.in_proj_weight is not None:
            ws = [m.in_proj_weight[i * e:(i + 1) * e] for i in range(3)]
        else:
            ws = [m.q_proj_weight, m.k_proj_weight, m.v_proj_weight]
        bs = [None if b is None else b[i * e:(i + 1) * e] for i in range(3)]
        _PROXIES[m] = [(f"in_proj[{k}]", _view_linear(w, bb)) for k, w, bb in zip("qkv", ws, bs, strict=True)]
    return _PROXIES[m]


def _call(args: tuple, kwargs: dict) -> dict[str, Any]:
    return {**dict(zip(_ARGS, args, strict=False)), **kwargs}


def initialize(run: Any, name: str, m: nn.MultiheadAttention, args: tuple, kwargs: dict, stats: tuple) -> Stat:
    """Re-initializes the four projections of ``m`` (through ``run.weighted``); returns the output's moments."""
    call = _call(args, kwargs)
    xs = [call["query"], call["key"], call["value"]]
    given = tuple(stats) + (None,) * 3
    ss = [s if isinstance(s, Stat) else P.measured_stat(x, False) for s, x in zip(given, xs, strict=False)]
    out_stats = []
    for (suffix, lin), x, a in zip(projections(m), xs, ss, strict=True):
        run.names[lin] = f"{name}.{suffix}"
        out_stats.append(run.weighted(lin, a, x))
    with torch.no_grad():  # the input of out_proj: the forward with out_proj = identity
        m.out_proj.weight.copy_(torch.eye(m.embed_dim, dtype=m.out_proj.weight.dtype))
        if m.out_proj.bias is not None:
            m.out_proj.bias.zero_()
        o, weights = m.forward(**{**call, "need_weights": True, "average_attn_weights": False})
    assert weights is not None  # need_weights=True
    concentration = float((weights.double() ** 2).sum(-1).mean())
    return run.weighted(m.out_proj, P.attention(out_stats[2], concentration), o)


def measure(m: nn.MultiheadAttention, args: tuple, kwargs: dict, out: Any) -> list[tuple[nn.Module, float, float]]:
    """``(layer, mean, var)`` of the four projections' outputs on one call of ``m``."""
    call = _call(args, kwargs)
    rows: list[tuple[nn.Module, float, float]] = []
    for (_, lin), x in zip(projections(m), (call["query"], call["key"], call["value"]), strict=True):
        y = lin.forward(x).detach().double()
        rows.append((lin, float(y.mean()), float(y.var(unbiased=False))))
    y = (out[0] if isinstance(out, tuple) else out).detach().double()
    rows.append((m.out_proj, float(y.mean()), float(y.var(unbiased=False))))
    return rows
