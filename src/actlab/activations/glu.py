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
tests' shapes (exact for ReGLU and bilinear; see ``tests/test_glu_fused.py``). No compiled
kernel can be bit-exact in general: ATen's eager kernels themselves give other bits for the same
values in other layouts (a row's vectorised body and its scalar tail round differently; on this
machine ``F.gelu`` of a transposed input differs from the contiguous result in 62 % of the
elements), so eager is one function of the values only layout by layout
(``benchmarks/glu_fused.py`` counts it). For bit-exact results choose the tensor-op kernels
(``actlab.activations.set_compile_kernels(False)``).
To save less than the unit's input, recompute it: ``GatedMLP(recompute=True)`` keeps only the
block's input for the first projection and the unit (``actlab.models.blocks``).

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

import math
from typing import Any

from ._base import FormulaCall
from ._gated import SPLITS, GatedLinearUnit, GatedUnit, T, gated, halves, split_formula, swiglu_oai
from ._info import ActivationInfo, Paper
from ._registry import ACTIVATIONS, activation_info, canonical_activation_name, register_activation

__all__ = [
    "SPLITS", "GatedUnit", "GatedLinearUnit", "GLU", "BilinearGLU", "ReGLU", "GEGLU", "GEGLUTanh", "SwiGLU",
    "SwiGLUOAI", "bilinear", "gated", "gated_class", "halves", "split_formula", "swiglu_oai",
]

FAMILY_SUFFIX = "_glu"  # "<act>_glu" (or "<act>-glu") names the unit gated by <act>

_DAUPHIN = Paper("Language Modeling with Gated Convolutional Networks", "1612.08083", 2016)
_SHAZEER = Paper("GLU Variants Improve Transformer", "2002.05202", 2020)
_GPT_OSS = Paper("gpt-oss model card (OpenAI); reference code: transformers modeling_gpt_oss.py", "", 2025)


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
