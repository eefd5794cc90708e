"""Gated linear units: ``act(a) * b`` over two halves of the input, C channels in, C/2 out.

The input ``x`` is split along ``dim`` (default -1, the channel dim of (B, T, C) tensors) into
a gate ``a`` and a value ``b`` of C/2 channels each, and the unit returns ``act(a) * b``
(Dauphin et al. 2016, arXiv 1612.08083; Shazeer 2020, arXiv 2002.05202). Two layouts:

* ``split="concat"``: ``x = [first | second]``, ``first, second = x.chunk(2, dim)``: one fused
  projection as in Llama/Qwen/Mistral MLPs, vLLM ``silu_and_mul``, Liger-Kernel, torch.nn.GLU;
* ``split="interleave"``: ``first = x[..., 0::2]``, ``second = x[..., 1::2]`` (GPT-OSS).

**Which half gates.** The family's convention is *gate first* (``gate_first=True``: the gate is
the first half, or the even channels): Shazeer's ``act(xW) * xV``, Llama's fused gate/up
projection, vLLM, Transformer Engine and GPT-OSS all put it there. ``glu`` alone follows
``torch.nn.GLU``, whose gate is the SECOND half (``F.glu(x) = first * sigmoid(second)``), so
``glu`` defaults to ``gate_first=False`` and equals ``torch.nn.functional.glu``. Every unit takes
``gate_first`` to choose the other order.

**Any zoo activation can gate.** The registry resolves ``"<act>-glu"`` (``"gcu-glu"``,
``"pvlu-glu"``) to a unit gated by that activation, through the one family rule
:func:`gated_class` registered below. The named units compute what their family members do
(``swiglu`` = ``silu-glu``, ``reglu`` = ``relu-glu``, ``geglu`` = ``gelu-glu``, ``geglu_tanh`` =
``gelu_tanh-glu``, ``bilinear`` = ``identity-glu``; ``sigmoid-glu`` is gate-first, unlike ``glu``);
they are registered under their own names, not as aliases of the family names, so that name
patterns (``"relu*"``) keep matching what they did.
The gate is the submodule ``.gate``; with ``shape="channel"``, ``num_channels`` is the unit's
input C and the gate holds C/2 per-channel values (one per gate channel) along ``dim``.
``swiglu_oai`` (GPT-OSS's clamped SwiGLU) has its own two-input formula and no gate module.

The formula is stated once: the gate's own formula composed with the split
(:func:`split_formula` over :func:`gated`, composed once per configuration). The eager path
evaluates it; the fused kernels (:mod:`actlab.activations._fused`; ``impl="fused"``, or
``"auto"`` by the usual policy) derive from it: one forward pass, and a backward that
recomputes the gate from the saved input, so only ``x`` and the gate's parameters are saved
(eager ``act(a) * b`` also keeps ``act(a)``).
Half inputs are computed in float32. Run as tensor ops (``set_compile_kernels(False)``) the
fused path equals eager bit for bit in float32; compiled by TorchInductor it is within
6 eps x max|eager| for outputs and input gradients and 68 eps for parameter gradients on the
tests' shapes (exact for ReGLU and bilinear; see ``tests/test_glu_fused.py``).

Row properties describe the two-input map ``(a, b) -> f`` jointly (range, monotonicity,
smoothness); ``f0 = f(0, 0)`` and ``df0 = d/dt f(t, t)`` at 0 (the diagonal, as for the logical
units; for the gated family it equals ``act(0)``).

Example:
    >>> import torch
    >>> from actlab.activations import create_activation
    >>> x = torch.tensor([[1.0, -2.0, 3.0, 4.0]])
    >>> create_activation("swiglu")(x)  # silu([1, -2]) * [3, 4]
    tensor([[ 2.1932, -0.9536]])
    >>> create_activation("glu")(x).allclose(torch.nn.functional.glu(x))
    True
    >>> create_activation("pvlu-glu", shape="channel", num_channels=4).gate.alpha.shape
    torch.Size([2])
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch

from ._base import Activation, FormulaCall, fp32_if_half
from ._info import ActivationInfo, Paper
from ._policy import probe_shape
from ._registry import ACTIVATIONS, activation_info, canonical_activation_name, create_activation, register_activation

__all__ = [
    "SPLITS", "GatedUnit", "GatedLinearUnit", "GLU", "BilinearGLU", "ReGLU", "GEGLU", "GEGLUTanh", "SwiGLU",
    "SwiGLUOAI", "bilinear", "gated", "gated_class", "halves", "split_formula", "swiglu_oai",
]

T = torch.Tensor
Formula = Callable[..., T]
SPLITS = ("concat", "interleave")
FAMILY_SUFFIX = "_glu"  # "<act>_glu" (or "<act>-glu") names the unit gated by <act>

_DAUPHIN = Paper("Language Modeling with Gated Convolutional Networks", "1612.08083", 2016)
_SHAZEER = Paper("GLU Variants Improve Transformer", "2002.05202", 2020)
_GPT_OSS = Paper("gpt-oss model card (OpenAI); reference code: transformers modeling_gpt_oss.py", "", 2025)


# ------------------------------------------------------------------------------ the formula
def halves(x: T, split: str, dim: int, gate_first: bool) -> tuple[T, T]:
    """``(gate, value)``: the two halves of ``x`` along ``dim`` (views, no copy).

    ``split="concat"``: ``x.chunk(2, dim)``; ``"interleave"``: channels ``0::2`` and ``1::2``.
    ``gate_first`` says whether the gate is the first of them.
    """
    if split == "concat":
        first, second = x.chunk(2, dim)
    else:
        head = (slice(None),) * (dim % x.dim())
        first, second = x[head + (slice(0, None, 2),)], x[head + (slice(1, None, 2),)]
    return (first, second) if gate_first else (second, first)


@functools.cache
def gated(gate: Formula) -> Formula:
    """The two-input formula ``(a, b, *gate_params, *gate_consts) -> gate(a, ...) * b`` of a gate
    formula ``gate(x, *params, *consts)`` (made once per gate formula)."""

    def pair(a: T, b: T, *rest: Any) -> T:
        return gate(a, *rest) * b

    pair.__name__ = pair.__qualname__ = f"gated_{getattr(gate, '__name__', 'gate')}"
    return pair


@functools.cache
def split_formula(pair: Formula, split: str, dim: int, gate_first: bool) -> Formula:
    """The whole-input formula ``fn(x, *rest) = pair(gate half, value half, *rest)``.

    It carries ``fn.out_like(x)`` (a view of ``x`` shaped like the output), which the fused kernels
    read for the output's shape and layout. Made once per configuration, so one fused op serves
    every module of that configuration.
    """

    def fn(x: T, *rest: Any) -> T:
        a, b = halves(x, split, dim, gate_first)
        return pair(a, b, *rest)

    order = "gate_first" if gate_first else "gate_second"
    name = f"glu_{getattr(pair, '__name__', 'pair')}_{split}_{order}_dim{'m' if dim < 0 else ''}{abs(dim)}"
    fn.__name__ = fn.__qualname__ = name
    fn.out_like = lambda x: halves(x, split, dim, True)[0]  # type: ignore[attr-defined]
    return fn


def swiglu_oai(g: T, u: T, alpha: float, limit: float) -> T:
    """GPT-OSS's clamped SwiGLU: ``g = min(g, limit)``, ``u = clamp(u, -limit, limit)``,
    ``(u + 1) * g * sigmoid(alpha * g)`` (the order of operations of transformers' ``GptOssExperts``)."""
    g = torch.clamp(g, max=limit)
    u = torch.clamp(u, min=-limit, max=limit)
    return (u + 1) * (g * torch.sigmoid(g * alpha))


# ------------------------------------------------------------------------------ the modules
class GatedUnit(Activation):
    """Base of the gated units: the split of the input; subclasses give the two-input formula.

    Args:
        split: ``"concat"`` (``x.chunk(2, dim)``) or ``"interleave"`` (channels ``0::2`` / ``1::2``);
            default: the class's (``"interleave"`` for ``swiglu_oai``, else ``"concat"``).
        dim: the dimension split in halves (default -1); the per-channel gate parameters lie along it.
        gate_first: whether the gate is the first half (default: the class's; ``False`` for ``glu``).
        channel_dim: another name for ``dim`` (what model builders pass); give one of the two.
        **kw: ``shape``, ``num_channels`` (the input's C, even), ``impl`` (see :class:`Activation`).
    """

    default_split: ClassVar[str] = "concat"
    default_gate_first: ClassVar[bool] = True
    compute_fp32 = True  # half inputs in float32: the product of two halves overflows float16 early
    whole_input_formula = True

    def __init__(
        self, *, split: str | None = None, dim: int | None = None, gate_first: bool | None = None,
        channel_dim: int | None = None, **kw: Any,
    ) -> None:
        name = type(self).__name__
        if dim is not None and channel_dim is not None and int(dim) != int(channel_dim):
            raise ValueError(
                f"{name}: dim and channel_dim name the same dimension (the one split in halves), got dim={dim} "
                f"and channel_dim={channel_dim}; pass one of them"
            )
        d = int(dim if dim is not None else channel_dim if channel_dim is not None else -1)
        super().__init__(channel_dim=d, **kw)
        split = type(self).default_split if split is None else split
        if split not in SPLITS:
            raise ValueError(f"{name}: split must be one of {SPLITS}, got {split!r}")
        if self.num_channels is not None and self.num_channels % 2:
            raise ValueError(
                f"{name}: num_channels={self.num_channels} is the input's channel count, split into a gate and a "
                "value of C/2 each, so it must be even"
            )
        self.split, self.dim = split, d
        self.gate_first = type(self).default_gate_first if gate_first is None else bool(gate_first)
        self._source: Formula | None = None  # the formula composed last, and its composition
        self._fn: Formula | None = None

    def halves(self, x: T) -> tuple[T, T]:
        """``(gate, value)`` of ``x``; an odd channel count raises."""
        c = x.shape[self.dim % x.dim()] if x.dim() else 1
        if x.dim() == 0 or c % 2:
            raise ValueError(
                f"{type(self).__name__}: the input has C={c} channels along dim {self.dim} (shape {tuple(x.shape)}), "
                "which is odd; a gated unit splits C into a gate and a value of C/2 each (C in -> C/2 out): make the "
                "preceding layer output an even number of channels (2 * hidden) or pass the right dim"
            )
        return halves(x, self.split, self.dim, self.gate_first)

    def source_call(self, gate: T) -> FormulaCall | None:  # pragma: no cover - abstract
        """The formula the unit composes with the split, bound to a gate-shaped tensor: a two-input
        ``pair(a, b, *params, *consts)`` (or the gate's own formula, see :class:`GatedLinearUnit`)."""
        raise NotImplementedError

    def _compose(self, source: Formula) -> Formula:
        return split_formula(source, self.split, self.dim, self.gate_first)

    def formula_call(self, x: T) -> FormulaCall | None:
        call = self.source_call(self.halves(x)[0])
        if call is None:
            return None
        fn = self._fn
        if fn is None or call.fn is not self._source:  # composed once per source formula, not in a trace
            fn = self._compose(call.fn)
            self._source, self._fn = call.fn, fn
        return FormulaCall(fn, call.params, call.consts)

    def _pair_module(self, a: T, b: T) -> T:  # pragma: no cover - only units with a gate module
        raise NotImplementedError

    def forward_eager(self, x: T) -> T:
        if self.formula_call(x) is None:  # a gate without a formula (random in training): call it
            a, b = self.halves(fp32_if_half(x))
            return self._pair_module(a, b).to(x.dtype)
        return super().forward_eager(x)

    def _prepare(self) -> None:
        """Makes the fused op of this configuration (at construction, never inside a compile trace)."""
        mode = self.training
        self.eval()  # a gate random in training mode (rrelu) has its formula in eval mode
        call = self.formula_call(torch.zeros(probe_shape(self)))
        self.train(mode)
        self._prepare_fused(None if call is None else call.fn)

    def extra_repr(self) -> str:
        parts = [f"split={self.split!r}", f"dim={self.dim}", f"gate_first={self.gate_first}"]
        parts += [f"{c}={getattr(self, c):g}" for c in type(self).consts]
        return ", ".join(parts + ([f"impl={self.impl!r}"] if self.impl != "auto" else []))


class GatedLinearUnit(GatedUnit):
    """``gate(a) * b``, the gate a zoo activation fixed by the class (``gate_name``).

    The registered units (``swiglu``, ...) and the derived ``"<act>-glu"`` ones are its
    subclasses; build them by name with :func:`~actlab.activations.create_activation`.

    Args:
        gate_params: constructor arguments of the gate (e.g. ``{"beta": 0.5}`` for ``swish-glu``);
            its ``shape``, ``num_channels`` and ``channel_dim`` come from the unit.
        **kw: ``split``, ``dim``, ``gate_first``, ``channel_dim`` (see :class:`GatedUnit`),
            ``shape``, ``num_channels``, ``impl``.
    """

    #: registry name of the gate activation
    gate_name: ClassVar[str] = ""

    def __init__(self, *, gate_params: Mapping[str, Any] | None = None, **kw: Any) -> None:
        cls = type(self)
        if not cls.gate_name:
            raise TypeError(
                f"{cls.__name__} has no gate: build a gated unit by name, e.g. create_activation('swiglu') or "
                "create_activation('pvlu-glu')"
            )
        super().__init__(**kw)
        gkw = dict(gate_params or {})
        clash = sorted({"shape", "num_channels", "channel_dim"} & set(gkw))
        if clash:
            raise ValueError(
                f"{cls.__name__}: gate_params may not set {clash}; pass shape='channel' and num_channels=C (the "
                "input's C) to the unit itself, which gives its gate C/2 channels along dim"
            )
        if self.shape == "channel":
            assert self.num_channels is not None
            gkw.update(shape="channel", num_channels=self.num_channels // 2, channel_dim=self.dim)
        self.gate = create_activation(cls.gate_name, **gkw)
        self._prepare()

    def source_call(self, gate: T) -> FormulaCall | None:
        """The gate's formula (composed as ``gated(formula)`` with the split)."""
        info = getattr(type(self.gate), "info", None)
        if not isinstance(self.gate, Activation) or info is None or not info.elementwise:
            return None  # batch-dependent gates run as modules
        return self.gate.formula_call(gate)

    def _compose(self, source: Formula) -> Formula:
        return split_formula(gated(source), self.split, self.dim, self.gate_first)

    def _pair_module(self, a: T, b: T) -> T:
        return self.gate(a) * b

    def param_values(self) -> dict[str, T]:
        """The gate's constrained parameter values (the unit has none of its own)."""
        return self.gate.param_values() if isinstance(self.gate, Activation) else {}


# ------------------------------------------------------------------------------ the rows
_HALVES = (
    "Halves the channel dimension: C inputs along dim -> C/2 outputs (C odd raises). split='concat' "
    "(x.chunk(2, dim)) or 'interleave' (channels 0::2 / 1::2); dim defaults to -1. "
)
_PROPS = (
    "Properties describe (a, b) -> f jointly; f0 = f(0, 0), df0 = d/dt f(t, t) at t = 0 (= gate(0))."
)


def _row(name: str, gate: str, formula: str, latex: str, paper: Paper, *, smoothness: str = "Cinf", df0: float = 0.0,
         order: str = "gate = first half (gate_first=True)", notes: str = "", **extra: Any) -> ActivationInfo:
    return ActivationInfo(
        name=name, formula=f"{formula}; {order}", latex=latex, paper=paper,
        smoothness=smoothness, f0=0.0, df0=df0, elementwise=False, arity=2, category="gated",
        notes=_HALVES + (f"Gate activation: {gate}. " if gate else "") + notes + _PROPS, **extra,
    )


@register_activation(_row(
    "glu", "sigmoid", "first * sigmoid(second), [first | second] = x.chunk(2, dim)", r"x_1 \odot \sigma(x_2)",
    _DAUPHIN, df0=0.5,
    order="gate = SECOND half (gate_first=False), torch.nn.GLU's order",
    notes="Equals torch.nn.functional.glu(x, dim). 'sigmoid-glu' is the gate-first unit (sigmoid(a) * b). ",
))
class GLU(GatedLinearUnit):
    """Gated linear unit (Dauphin et al. 2016) in torch.nn.GLU's order: ``first * sigmoid(second)``."""

    gate_name = "sigmoid"
    default_gate_first = False


def bilinear(a: T, b: T) -> T:
    return a * b


@register_activation(_row(
    "bilinear", "", "a * b", r"a \odot b", _SHAZEER,
    notes="No gate nonlinearity: the identity gate written as the one product (identity's formula copies). ",
))
class BilinearGLU(GatedUnit):
    """Bilinear unit ``a * b`` (Shazeer 2020): a GLU without a gate nonlinearity; one native kernel, so
    ``impl="auto"`` keeps it eager (the fused kernel would save the same bytes)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._prepare()

    def source_call(self, gate: T) -> FormulaCall | None:
        return FormulaCall(bilinear, [], ())


@register_activation(_row(
    "reglu", "relu", "relu(a) * b", r"\max(0, a) \odot b", _SHAZEER, smoothness="C0",
))
class ReGLU(GatedLinearUnit):
    """ReGLU ``relu(a) * b`` (Shazeer 2020)."""

    gate_name = "relu"


@register_activation(_row(
    "geglu", "gelu", "gelu(a) * b (erf GELU)", r"a \Phi(a) \odot b", _SHAZEER,
    notes="The exact (erf) GELU gate of Shazeer 2020 / T5 v1.1; geglu_tanh is the tanh-approximate one. ",
))
class GEGLU(GatedLinearUnit):
    """GEGLU ``gelu(a) * b`` with the exact (erf) GELU (Shazeer 2020)."""

    gate_name = "gelu"


@register_activation(_row(
    "geglu_tanh", "gelu_tanh", "gelu_tanh(a) * b (tanh-approximate GELU)",
    r"\tfrac12 a \left(1 + \tanh\left(\sqrt{2/\pi}(a + 0.044715 a^3)\right)\right) \odot b", _SHAZEER,
    notes="The tanh-approximate GELU gate (Gemma's gelu_pytorch_tanh); distinct from the erf geglu. ",
))
class GEGLUTanh(GatedLinearUnit):
    """GEGLU with the tanh-approximate GELU gate (Gemma style)."""

    gate_name = "gelu_tanh"


@register_activation(_row(
    "swiglu", "silu", "silu(a) * b", r"a \sigma(a) \odot b", _SHAZEER,
    notes="The Llama/Qwen/Mistral MLP gate (swish with beta = 1); 'swish-glu' has a trainable beta. ",
))
class SwiGLU(GatedLinearUnit):
    """SwiGLU ``silu(a) * b`` (Shazeer 2020; the Llama/Qwen/Mistral MLP)."""

    gate_name = "silu"


_OAI_ALPHA, _OAI_LIMIT = 1.702, 7.0
_OAI_TOP = _OAI_LIMIT / (1.0 + math.exp(-_OAI_ALPHA * _OAI_LIMIT))  # g sigmoid(alpha g) at the clamp, 6.99995...


@register_activation(_row(
    "swiglu_oai", "", "(clamp(u, -7, 7) + 1) * g * sigmoid(1.702 g), g = min(gate, 7), u = value",
    r"(\operatorname{clamp}(u, -7, 7) + 1)\, g\, \sigma(1.702 g),\ g = \min(a, 7)", _GPT_OSS,
    smoothness="C0", df0=0.5, bounded_below=True, bounded_above=True,
    output_range=((1.0 - _OAI_LIMIT) * _OAI_TOP, (1.0 + _OAI_LIMIT) * _OAI_TOP),
    order="gate = first half / even channels (gate_first=True); interleaved by default",
    notes="GPT-OSS's clamped SwiGLU (transformers GptOssExperts, vLLM swigluoai_and_mul, TE CLAMPED_SWIGLU): "
    "alpha = 1.702 and limit = 7 are keyword constants; split defaults to 'interleave' as in GPT-OSS. "
    "Bounded: -6 q(7) <= f <= 8 q(7) with q(7) = 7 sigmoid(11.914). ",
))
class SwiGLUOAI(GatedUnit):
    """GPT-OSS's clamped SwiGLU ``(clamp(u, -limit, limit) + 1) * g sigmoid(alpha g)``, ``g = min(gate, limit)``.

    Args:
        alpha: the sigmoid's slope (1.702, QuickGELU's constant).
        limit: the clamp (7.0); > 0.
        **kw: ``split`` (default ``"interleave"``), ``dim``, ``gate_first``, ``channel_dim``,
            ``shape``, ``num_channels``, ``impl`` (see :class:`GatedUnit`).
    """

    default_split = "interleave"
    consts = ("alpha", "limit")

    def __init__(self, *, alpha: float = _OAI_ALPHA, limit: float = _OAI_LIMIT, **kw: Any) -> None:
        super().__init__(**kw)
        if not float(limit) > 0:
            raise ValueError(f"SwiGLUOAI: limit must be > 0 (GPT-OSS uses 7.0), got {limit!r}")
        self.alpha, self.limit = float(alpha), float(limit)
        self._prepare()

    def source_call(self, gate: T) -> FormulaCall | None:
        return FormulaCall(swiglu_oai, [], (self.alpha, self.limit))


# ------------------------------------------------------------------------------ the family rule
def gated_class(gate: str) -> type[GatedLinearUnit]:
    """The unit gated by the activation ``gate`` (the registry's ``"<gate>_glu"`` family rule).

    The registry calls it once per derived name; ``create_activation("pvlu-glu")`` builds its modules.
    Its row: the gate's parameters, ``gate(a) * b`` with the gate first, concat split, smoothness
    of the gate, unbounded, ``df0 = gate(0)``.

    Raises:
        ValueError: a gate that reduces channels (arity > 1: the logical units, the gated units).
    """
    name = canonical_activation_name(gate)
    info = activation_info(name)
    if info.arity != 1:
        raise ValueError(
            f"{name!r} reduces {info.arity} channels into one, so it cannot gate a GLU; pick an activation that maps "
            "each channel to one (e.g. 'silu', 'gelu', 'pvlu')"
        )
    row = _row(
        f"{name}{FAMILY_SUFFIX}", name, f"{name}(a) * b", rf"\sigma_{{\mathrm{{{name}}}}}(a) \odot b", _SHAZEER,
        params=info.params, smoothness=info.smoothness, df0=info.f0, batch_dependent=info.batch_dependent,
        notes=f"Derived from the gate's row ({name}): its parameters live in .gate, per gate channel with "
        "shape='channel'. ",
    )
    doc = f"``{name}(a) * b``: the gated linear unit with the {name} gate (derived name ``{row.name}``)."
    return type(f"GLU_{name}", (GatedLinearUnit,), {"gate_name": name, "info": row, "__doc__": doc,
                                                  "__module__": __name__})


ACTIVATIONS.add_family(FAMILY_SUFFIX, gated_class)
