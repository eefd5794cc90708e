"""The table from an operation to its propagation rule: which rule of :mod:`actlab.init.propagate`
AutoInit applies to a module, a ``torch`` function or a tensor method it meets.

Two tables, one lookup each: :data:`MODULE_RULES` (module classes, most specific first) and
:data:`OP_RULES` (a function's or method's name: ``torch.matmul`` and ``x.matmul`` share a row).
A rule gets the :class:`Call` (input moments, real tensors of the pass) and returns the output
:class:`~actlab.init.propagate.Stat`, or ``None`` where it cannot rule on that call (then AutoInit
raises or falls back; nothing is skipped silently). Activations come first, from the torch table
(:mod:`actlab.activations.torch_table`) and actlab's own classes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..activations.torch_table import module_for_call
from . import propagate as P
from .propagate import Stat

__all__ = [
    "Call", "MODULE_RULES", "OP_RULES", "SUPPORTED_KINDS", "function_rule", "is_elementwise", "is_named_norm",
    "module_rule", "op_name",
]  # fmt: skip


@dataclass
class Call:
    """One call met on the traversal: its target, real arguments, their moments, and its output."""

    name: str
    args: tuple
    kwargs: dict
    sargs: tuple
    out: Any
    seed: int = 0
    module: nn.Module | None = None

    @property
    def first(self) -> Stat | None:  # the first tensor's moments (``scalar * x`` puts x second)
        return next((s for s in self.sargs if isinstance(s, Stat)), None)

    @property
    def x(self) -> Any:
        return self.args[0] if self.args else self.kwargs.get("input")

    def arg(self, i: int, key: str, default: Any = None) -> Any:
        return self.kwargs.get(key, self.args[i] if len(self.args) > i else default)

    def ratio(self) -> int:  # input elements per output element (pooling, reductions)
        x, out = self.x, self.out
        return max(1, round(x.numel() / max(out.numel(), 1))) if isinstance(out, torch.Tensor) else 1


Rule = Callable[[Call], "Stat | None"]


def _tuple(k: Any, n: int) -> tuple[int, ...]:
    return tuple(k) if isinstance(k, (tuple, list)) else (int(k),) * max(n, 1)


def _kernel(c: Call) -> int:
    size = getattr(c.module, "kernel_size", None) if c.module is not None else c.arg(1, "kernel_size")
    if size is None:
        raise TypeError(f"{c.name} needs a kernel_size, got none")
    return math.prod(_tuple(size, c.x.dim() - 2))


def _affine(c: Call) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    if c.module is not None:
        return getattr(c.module, "weight", None), getattr(c.module, "bias", None)
    w, b = c.kwargs.get("weight"), c.kwargs.get("bias")
    if c.name == "layer_norm":
        w, b = c.arg(2, "weight"), c.arg(3, "bias")
    elif c.name == "rms_norm":
        w = c.arg(2, "weight")
    elif c.name == "group_norm":
        w, b = c.arg(2, "weight"), c.arg(3, "bias")
    elif c.name in ("batch_norm", "instance_norm"):
        w, b = c.arg(3, "weight"), c.arg(4, "bias")
    return w, b


# ---------------------------------------------------------------- module rules
def _norm(c: Call) -> Stat | None:
    a = c.first
    if a is None:
        return None
    m = c.module
    per_channel = isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm))
    return P.norm(a, *_affine(c), per_channel=per_channel or c.name in ("batch_norm", "instance_norm"))


def _rms(c: Call) -> Stat | None:
    return None if c.first is None else P.rms_norm(c.first, _affine(c)[0])


def _dropout_module(c: Call) -> Stat | None:
    assert c.module is not None
    return P.dropout(c.sargs[0], float(getattr(c.module, "p", 0.0))) if c.module.training else c.sargs[0]


def _embedding(c: Call) -> Stat | None:
    return P.table(getattr(c.module, "weight", None) if c.module is not None else c.arg(1, "weight"))


def _zero_pad(c: Call) -> Stat | None:
    return P.zero_pad(c.sargs[0], c.x.numel() / max(c.out.numel(), 1))


MODULE_RULES: tuple[tuple[tuple[type, ...], Rule], ...] = (
    ((nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm, nn.modules.instancenorm._InstanceNorm), _norm),
    ((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else (), _rms),  # torch >= 2.4
    ((nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout), _dropout_module),
    ((nn.Identity, nn.Flatten, nn.Unflatten, nn.ChannelShuffle, nn.PixelShuffle, nn.PixelUnshuffle), lambda c: c.first),
    ((nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d), _zero_pad),
    ((nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d), lambda c: P.avg_pool(c.sargs[0], _kernel(c))),
    ((nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d), lambda c: P.max_pool(c.sargs[0], _kernel(c), c.seed)),
    ((nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d), lambda c: P.avg_pool(c.sargs[0], c.ratio())),
    ((nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d),
     lambda c: P.max_pool(c.sargs[0], c.ratio(), c.seed)),
    ((nn.Embedding,), _embedding),
    ((nn.Softmax,), lambda c: _softmax(c)),
)  # fmt: skip

#: third-party modules recognised by the end of their class name (timm ``LayerNorm2d``, Hugging
#: Face ``LlamaRMSNorm``; rotary tables are positional encodings: computed from positions only)
_NAMED: dict[str, Rule] = {
    "RMSNorm": _rms,
    "LayerNorm": _norm,
    "RotaryEmbedding": lambda c: P.measured_stat(c.out, False),
}


def is_named_norm(module: nn.Module) -> bool:
    """A norm layer AutoInit knows by its class name (``*RMSNorm``, ``*LayerNorm``) or by its type."""
    name = type(module).__name__
    return isinstance(module, P.NORMS) or name.endswith(("RMSNorm", "LayerNorm")) or (
        hasattr(nn, "RMSNorm") and isinstance(module, nn.RMSNorm)
    )


def is_elementwise(module: nn.Module, seed: int = 0) -> bool:
    """Whether a parameter-free leaf module acts elementwise: it commutes with a random permutation
    of the elements of a seeded probe (softmax, norms and reductions do not). Used for activation
    modules outside the torch table and actlab's zoo (e.g. Hugging Face ``GELUActivation``)."""
    if any(True for _ in module.parameters()) or any(True for _ in module.children()):
        return False
    g = torch.Generator().manual_seed(seed)
    x = 3 * torch.randn(4, 33, generator=g)
    perm = torch.randperm(x.numel(), generator=g)
    try:
        with torch.no_grad():
            y, yp = module.forward(x.clone()), module.forward(x.reshape(-1)[perm].reshape(4, 33))  # no hooks
    except Exception:  # noqa: BLE001 - a module that cannot take a (4, 33) float tensor is not elementwise here
        return False
    if not (isinstance(y, torch.Tensor) and isinstance(yp, torch.Tensor) and y.shape == x.shape == yp.shape):
        return False
    return torch.allclose(y.reshape(-1)[perm].reshape(4, 33), yp, atol=1e-6, equal_nan=True)


def module_rule(module: nn.Module, a: Stat, x: torch.Tensor, out: torch.Tensor, seed: int = 0) -> Stat | None:
    """Output moments of a non-weighted module for input moments ``a``; ``None`` when it has no rule.

    ``x`` and ``out`` are the module's real input and output on the sample batch (used for shapes).
    Order: activations (the zoo, the torch table), :data:`MODULE_RULES`, class-name suffixes
    (``*RMSNorm``, ``*LayerNorm``, ``*RotaryEmbedding``), then any other elementwise module
    (:func:`is_elementwise`), treated as an activation.
    """
    if P.is_activation(module):
        return P.activation(module, a, seed)
    c = Call(type(module).__name__, (x,), {}, (a,), out, seed, module)
    for kinds, rule in MODULE_RULES:
        if kinds and isinstance(module, kinds):
            return rule(c)
    name = type(module).__name__
    named = next((r for suffix, r in _NAMED.items() if name.endswith(suffix)), None)
    if named is not None and isinstance(out, torch.Tensor) and (out.shape == x.shape or "Rotary" in name):
        return named(c)
    if isinstance(out, torch.Tensor) and out.shape == x.shape and x.is_floating_point() and is_elementwise(module):
        return P.activation(module, a, seed)
    return None


# ---------------------------------------------------------------- function / method rules
def _pair(c: Call, both: Callable[[Stat, Stat], Stat], one: Callable[[Stat, float, bool], Stat]) -> Stat | None:
    stats = [s for s, a in zip(c.sargs, c.args, strict=True) if isinstance(a, torch.Tensor)]
    nums = [a for a in c.args if isinstance(a, (int, float)) and not isinstance(a, bool)]
    if len(stats) == 2 and all(isinstance(s, Stat) for s in stats):
        return both(stats[0], stats[1])
    if len(stats) == 1 and len(nums) == 1 and isinstance(stats[0], Stat):
        return one(stats[0], float(nums[0]), isinstance(c.args[0], torch.Tensor))
    return None


def _add(c: Call) -> Stat | None:
    alpha = float(c.kwargs.get("alpha", 1.0))
    return _pair(c, lambda a, b: P.add(a, P.scale(b, alpha)), lambda a, k, _: P.shift(a, k))


def _sub(c: Call) -> Stat | None:
    alpha = float(c.kwargs.get("alpha", 1.0))
    def one(a: Stat, k: float, x_first: bool) -> Stat:  # x - k, or k - x
        return P.shift(a, -k) if x_first else P.shift(P.scale(a, -1.0), k)

    return _pair(c, lambda a, b: P.sub(a, P.scale(b, alpha)), one)


def _mul(c: Call) -> Stat | None:
    return _pair(c, P.mul, lambda a, k, _: P.scale(a, k))


def _div(c: Call) -> Stat | None:
    if len(c.args) == 2 and isinstance(c.args[0], torch.Tensor) and isinstance(c.args[1], (int, float)):
        return P.scale(c.sargs[0], 1.0 / float(c.args[1])) if c.first is not None else None
    return None


def _cat(c: Call) -> Stat | None:
    seq, stats = c.arg(0, "tensors"), c.sargs[0] if c.sargs else None
    if not isinstance(stats, (list, tuple)) or not all(isinstance(s, Stat) for s in stats):
        return None
    dim = c.arg(1, "dim", 0)
    return P.concat(list(stats), [1 if c.name == "stack" else t.shape[dim] for t in seq])


def _matmul(c: Call) -> Stat | None:
    a, b = (c.sargs + (None, None))[:2]
    if not (isinstance(a, Stat) and isinstance(b, Stat)):
        return None
    return P.matmul(a, b, int(c.args[0].shape[-1]))


def _attention(c: Call) -> Stat | None:
    q, k, v = (c.arg(i, key) for i, key in enumerate(("query", "key", "value")))
    sv = c.sargs[2] if len(c.sargs) > 2 else None
    if not isinstance(sv, Stat):
        return None
    mask, causal, scale = c.arg(3, "attn_mask"), bool(c.arg(5, "is_causal", False)), c.kwargs.get("scale")
    return P.attention(sv, P.attention_weights(q, k, mask, causal, scale))


def _softmax(c: Call) -> Stat | None:
    """Softmax (attention probabilities): the moments of the real probabilities of the pass -- like
    the pattern of :func:`_attention`, they depend on the sequence, not on the value weights."""
    if c.first is None or not isinstance(c.out, torch.Tensor):
        return None
    dim = c.module.dim if isinstance(c.module, nn.Softmax) else c.arg(1, "dim")
    last = dim is None or dim in (-1, c.out.dim() - 1)
    return dataclasses.replace(P.measured_stat(c.out, False), simplex=last)


def _dropout(c: Call) -> Stat | None:
    if c.first is None:
        return None
    training = c.arg(2, "training", True)
    return P.dropout(c.first, float(c.arg(1, "p", 0.5))) if training else c.first


def _pad(c: Call) -> Stat | None:
    if c.first is None or c.arg(2, "mode", "constant") != "constant" or c.arg(3, "value"):
        return None
    return P.zero_pad(c.first, c.x.numel() / max(c.out.numel(), 1))


def _pool(c: Call) -> Stat | None:
    if c.first is None:
        return None
    k = _kernel(c) if "adaptive" not in c.name else c.ratio()
    return P.avg_pool(c.first, k) if "avg" in c.name else P.max_pool(c.first, k, c.seed)


def _same(c: Call) -> Stat | None:
    return c.first


_PASS = (
    "flatten", "view", "reshape", "permute", "transpose", "contiguous", "squeeze", "unsqueeze", "expand",
    "expand_as", "repeat", "clone", "detach", "to", "float", "double", "half", "type_as", "t", "chunk",
    "split", "unbind", "narrow", "roll", "flip", "movedim", "swapaxes", "reshape_as", "view_as",
    "unflatten", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "tensor_split",
)  # fmt: skip


def _getitem(c: Call) -> Stat | None:
    """Slicing keeps the moments; picking positions by index (``x[:, 0]``, a ViT's class token) takes
    that slice's own moments on the pass, since one position need not be distributed like the rest."""
    if not isinstance(c.x, torch.Tensor) or c.first is None:
        return c.first  # an item of a tuple (chunk, split, unbind) or of a module's outputs
    index = c.args[1] if isinstance(c.args[1], tuple) else (c.args[1],)
    if any(isinstance(i, (int, torch.Tensor)) and not isinstance(i, bool) for i in index):
        return P.measured_stat(c.out, False) if isinstance(c.out, torch.Tensor) and c.out.numel() > 1 else c.first
    return c.first


def _drop_path(c: Call) -> Stat | None:
    """Stochastic depth / DropPath: the identity outside training (AutoInit's regime runs every block)."""
    training = c.arg(3, "training", True) if c.name == "stochastic_depth" else c.arg(2, "training", False)
    return None if training else c.first

OP_RULES: dict[str, Rule] = {
    **dict.fromkeys(_PASS, _same),
    "getitem": _getitem,
    **dict.fromkeys(("stochastic_depth", "drop_path"), _drop_path),
    **dict.fromkeys(("add", "add_", "iadd", "__add__", "__radd__"), _add),
    **dict.fromkeys(("sub", "sub_", "isub", "__sub__"), _sub),
    **dict.fromkeys(("mul", "mul_", "imul", "__mul__", "__rmul__"), _mul),
    **dict.fromkeys(("truediv", "div", "div_", "itruediv", "__truediv__"), _div),
    "neg": lambda c: None if c.first is None else P.scale(c.first, -1.0),
    **dict.fromkeys(("cat", "concat", "concatenate", "stack"), _cat),
    **dict.fromkeys(("matmul", "bmm", "__matmul__", "mm"), _matmul),
    "scaled_dot_product_attention": _attention,
    "softmax": _softmax,
    **dict.fromkeys(("layer_norm", "batch_norm", "group_norm", "instance_norm"), _norm),
    "rms_norm": _rms,
    **dict.fromkeys(("dropout", "dropout1d", "dropout2d", "dropout3d"), _dropout),
    "pad": _pad,
    "_patch_merging_pad": lambda c: None if c.first is None else P.zero_pad(c.first, c.x.numel() / c.out.numel()),
    "embedding": _embedding,
    "mean": lambda c: None if c.first is None else P.avg_pool(c.first, c.ratio()),
    "sum": lambda c: None if c.first is None else P.scale(P.avg_pool(c.first, c.ratio()), float(c.ratio())),
    "amax": lambda c: None if c.first is None else P.max_pool(c.first, c.ratio(), c.seed),
    **dict.fromkeys(
        [f"{k}_pool{d}d" for k in ("avg", "max", "adaptive_avg", "adaptive_max") for d in (1, 2, 3)], _pool
    ),
}

SUPPORTED_KINDS = (
    "Linear, Conv1d/2d/3d (grouped, depthwise); activations (any actlab Activation; the torch.nn "
    "activations, functional calls and tensor methods of actlab.activations.torch_table); "
    "BatchNorm/LayerNorm/GroupNorm/InstanceNorm/RMSNorm (and modules named *LayerNorm, *RMSNorm); "
    "Dropout; Embedding; Softmax; AvgPool, MaxPool, AdaptiveAvgPool, AdaptiveMaxPool (1d/2d/3d); "
    "ZeroPad; Identity, Flatten, Unflatten; *RotaryEmbedding; any parameter-free elementwise module; and the "
    "operations " + ", ".join(sorted(OP_RULES))
)


def op_name(target: Any) -> str:
    name = target if isinstance(target, str) else getattr(target, "__name__", str(target))
    return name.removeprefix("__").removesuffix("__") if name.startswith("__i") else name  # __iadd__ -> iadd


def function_rule(target: Any, args: tuple, kwargs: dict, sargs: tuple, out: Any, seed: int) -> Stat | None:
    """Output moments of a functional op / tensor method; ``None`` when there is no rule."""
    c = Call(op_name(target), tuple(args), dict(kwargs), tuple(sargs), out, seed)
    rule = OP_RULES.get(c.name)
    if rule is not None:
        return rule(c)
    if c.first is None or not isinstance(c.x, torch.Tensor):
        return None
    try:  # an activation call of the torch table
        eq = module_for_call(target, tuple(args), dict(kwargs))
    except (TypeError, ValueError):  # e.g. torch.rrelu(x, generator=g): no module equals it
        eq = None
    return P.activation(eq[0], c.first, seed) if eq is not None else None
