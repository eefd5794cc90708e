"""The activation classes of the ecosystem's libraries (Hugging Face transformers, timm), by name.

Models built with these libraries hold their own activation modules (``GELUActivation``,
``NewGELUActivation``, timm's ``HardSwish``...). actlab recognises them by class name and defining
module, without importing either library, so surgery treats each as ONE activation site (never
the ``torch.tanh`` inside a ``NewGELUActivation``) and knows which zoo function it computes.
Classes deriving from a ``torch.nn`` activation (timm's ``PReLU``) are rows of
:mod:`actlab.activations.torch_table` already, through their base class.

``name`` is the zoo activation the class computes *mathematically*; where the library writes the
formula out in Python (``NewGELUActivation``: ``0.5 x (1 + tanh(...))``), the values differ from
the zoo's fused ``F.gelu(x, approximate="tanh")`` by float rounding, so a warm start that must be
bit-exact wraps the module itself (:mod:`actlab.activations.over_base`).

Example:
    >>> from torch import nn
    >>> class NewGELUActivation(nn.Module):  # stands in for transformers.activations.NewGELUActivation
    ...     pass
    >>> NewGELUActivation.__module__ = "transformers.activations"
    >>> ecosystem_row(NewGELUActivation()).name
    'gelu_tanh'
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

__all__ = ["EcosystemActivation", "ECOSYSTEM_ACTIVATIONS", "ecosystem_row"]


@dataclass(frozen=True)
class EcosystemActivation:
    """One third-party activation class.

    Args:
        library: top-level package defining it (``"transformers"``, ``"timm"``).
        cls_name: its class name.
        name: registry name of the zoo activation it computes, ``None`` where the zoo has none.
        note: how it computes it, where that matters (a Python formula, a clip).
    """

    library: str
    cls_name: str
    name: str | None
    note: str = ""

    def matches(self, cls: type) -> bool:
        module = getattr(cls, "__module__", "") or ""
        return cls.__name__ == self.cls_name and (module == self.library or module.startswith(self.library + "."))


_HF, _TIMM = "transformers", "timm"
_PY = "formula written out in Python (float rounding differs from the zoo's kernel)"

ECOSYSTEM_ACTIVATIONS: tuple[EcosystemActivation, ...] = (
    # transformers.activations (ACT2CLS / ACT2FN)
    EcosystemActivation(_HF, "GELUActivation", "gelu", "F.gelu, or the erf formula in Python (use_gelu_python)"),
    EcosystemActivation(_HF, "NewGELUActivation", "gelu_tanh", _PY),
    EcosystemActivation(_HF, "FastGELUActivation", "gelu_tanh", _PY + "; constant 0.7978845608 rounded"),
    EcosystemActivation(_HF, "AccurateGELUActivation", "gelu_tanh", _PY),
    EcosystemActivation(_HF, "GELUTanh", "gelu_tanh", "F.gelu(approximate='tanh'), or in Python"),
    EcosystemActivation(_HF, "PytorchGELUTanh", "gelu_tanh", "F.gelu(approximate='tanh')"),
    EcosystemActivation(_HF, "QuickGELUActivation", "quick_gelu", _PY),
    EcosystemActivation(_HF, "SiLUActivation", "silu"),
    EcosystemActivation(_HF, "MishActivation", "mish"),
    EcosystemActivation(_HF, "LinearActivation", "identity"),
    EcosystemActivation(_HF, "ReLUSquaredActivation", "relu2"),
    EcosystemActivation(_HF, "ClippedGELUActivation", None, "GELU clipped to [min, max]"),
    EcosystemActivation(_HF, "LaplaceActivation", None, "0.5 (1 + erf((x - mu) / (sigma sqrt 2)))"),
    EcosystemActivation(_HF, "SqrtSoftplusActivation", None, "sqrt(softplus(x))"),
    EcosystemActivation(_HF, "XIELUActivation", "xielu", "trainable"),
    # timm.layers.activations, timm.layers.activations_me
    EcosystemActivation(_TIMM, "Swish", "silu", "x * x.sigmoid()"),
    EcosystemActivation(_TIMM, "SwishMe", "silu", "custom autograd function"),
    EcosystemActivation(_TIMM, "Mish", "mish", "x * softplus(x).tanh()"),
    EcosystemActivation(_TIMM, "MishMe", "mish", "custom autograd function"),
    EcosystemActivation(_TIMM, "Sigmoid", "sigmoid"),
    EcosystemActivation(_TIMM, "Tanh", "tanh"),
    EcosystemActivation(_TIMM, "HardSwish", "hardswish", "x * relu6(x + 3) / 6"),
    EcosystemActivation(_TIMM, "HardSwishMe", "hardswish", "custom autograd function"),
    EcosystemActivation(_TIMM, "HardSigmoid", "hardsigmoid", "relu6(x + 3) / 6"),
    EcosystemActivation(_TIMM, "HardSigmoidMe", "hardsigmoid", "custom autograd function"),
    EcosystemActivation(_TIMM, "HardMish", "hard_mish", "0.5 x clamp(x + 2, 0, 2)"),
    EcosystemActivation(_TIMM, "HardMishMe", "hard_mish", "custom autograd function"),
    EcosystemActivation(_TIMM, "GELU", "gelu", "F.gelu"),
    EcosystemActivation(_TIMM, "GELUTanh", "gelu_tanh", "F.gelu(approximate='tanh')"),
    EcosystemActivation(_TIMM, "QuickGELU", "quick_gelu", "x * sigmoid(1.702 x)"),
)


def _index() -> dict[str, tuple[EcosystemActivation, ...]]:
    out: dict[str, tuple[EcosystemActivation, ...]] = {}
    for row in ECOSYSTEM_ACTIVATIONS:
        if any(r.library == row.library for r in out.get(row.cls_name, ())):
            raise ValueError(f"ecosystem table: {row.library}.{row.cls_name} is listed twice")
        out[row.cls_name] = (*out.get(row.cls_name, ()), row)
    return out


_BY_NAME = _index()


def ecosystem_row(module: nn.Module) -> EcosystemActivation | None:
    """The row of a third-party activation module (its class or a base class), else ``None``."""
    for klass in type(module).__mro__:
        for row in _BY_NAME.get(klass.__name__, ()):
            if row.matches(klass):
                return row
    return None
