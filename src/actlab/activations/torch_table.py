"""The one table of torch's activations, and the zoo activation each one equals.

Every part of actlab that meets a torch activation (surgery's sites and warm start, AutoInit's
rules, the tests) reads it here; nothing else lists torch activations. Three kinds of rows:

* :class:`TorchModule`: a ``torch.nn`` activation class, the registry name of the zoo
  activation it equals, which zoo constructor argument is read from which module attribute
  (``nn.LeakyReLU`` -> ``"leaky_relu"`` with ``negative_slope``), and the attribute values a row
  needs (``nn.GELU(approximate="tanh")`` -> ``"gelu_tanh"``).
* :class:`TorchCall`: a function (``torch.nn.functional.relu``, ``torch.relu``, ``F.relu_``) or a
  tensor method (``torch.Tensor.relu``), the module class it is a call form of, and the names of
  its positional arguments after the input.
* :data:`NOT_ELEMENTWISE` and :data:`EXCLUDED_CALLS`: what torch calls an activation but this
  table leaves out, with the reason.

Properties (monotonic, bounds, f(0), ...) are not repeated here: they are the zoo rows',
``activation_info(row.name)``.

Example:
    >>> from torch import nn
    >>> zoo_equivalent(nn.LeakyReLU(0.2))
    ('leaky_relu', {'negative_slope': 0.2})
    >>> zoo_equivalent(nn.GELU(approximate="tanh"))
    ('gelu_tanh', {})
    >>> module, inplace = module_for_call(torch.nn.functional.elu, (None, 2.0), {"inplace": True})
    >>> module, inplace
    (ELU(alpha=2.0), True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "TorchModule",
    "TorchCall",
    "TORCH_MODULES",
    "TORCH_CALLS",
    "TORCH_ACTIVATION_CLASSES",
    "NOT_ELEMENTWISE",
    "EXCLUDED_CALLS",
    "is_torch_activation",
    "torch_module_row",
    "zoo_equivalent",
    "torch_call",
    "module_for_call",
]


@dataclass(frozen=True)
class TorchModule:
    """One ``torch.nn`` activation class and the zoo activation it equals.

    Args:
        cls: the ``torch.nn`` class.
        name: registry name of the zoo activation it equals exactly.
        args: zoo constructor argument -> the module attribute its value is read from.
        when: module attribute values this row needs (``{"approximate": "tanh"}``); a class may
            have several rows, the first whose ``when`` holds applies.
        trainable: the module holds trainable parameters (``nn.PReLU``): it equals the zoo
            activation at its current values, never a fixed function.
    """

    cls: type[nn.Module]
    name: str
    args: Mapping[str, str] = field(default_factory=dict)
    when: Mapping[str, Any] = field(default_factory=dict)
    trainable: bool = False

    def matches(self, module: nn.Module) -> bool:
        """Whether ``module`` is an instance of this row's class whose attributes meet ``when``."""
        return isinstance(module, self.cls) and all(getattr(module, k) == v for k, v in self.when.items())


@dataclass(frozen=True)
class TorchCall:
    """One call form of a torch activation: a function or a tensor method.

    Args:
        path: dotted name, ``"torch.nn.functional.relu"``, ``"torch.relu_"`` or ``"torch.Tensor.relu"``.
        module: the ``torch.nn`` class whose forward it is.
        args: names of its positional arguments after the input (the module's constructor
            arguments, plus ``inplace``, ``training`` and ``generator`` where the call has them).
        inplace: the call always writes into its input (``torch.relu_``, ``x.relu_()``).
    """

    path: str
    module: type[nn.Module]
    args: tuple[str, ...] = ()
    inplace: bool = False

    @property
    def kind(self) -> str:
        """``"method"`` for tensor methods, ``"function"`` otherwise (as ``torch.fx`` node ops say)."""
        return "method" if self.path.startswith("torch.Tensor.") else "function"

    @property
    def fn(self) -> Any:
        """The function or the (unbound) tensor method the path names."""
        space, _, attr = self.path.rpartition(".")
        return getattr(_NAMESPACES[space], attr)

    @property
    def target(self) -> Any:
        """What ``torch.fx`` records as the node target: the method name, or the function itself."""
        return self.path.rpartition(".")[2] if self.kind == "method" else self.fn


_NAMESPACES = {"torch": torch, "torch.nn.functional": F, "torch.Tensor": torch.Tensor}


def _same(*names: str) -> dict[str, str]:
    return {n: n for n in names}


TORCH_MODULES: tuple[TorchModule, ...] = (
    TorchModule(nn.ReLU, "relu"),
    TorchModule(nn.ReLU6, "relu6", when={"min_val": 0.0, "max_val": 6.0}),  # a Hardtanh subclass: first
    TorchModule(nn.LeakyReLU, "leaky_relu", _same("negative_slope")),
    TorchModule(nn.PReLU, "prelu", {"alpha": "weight"}, trainable=True),
    TorchModule(nn.RReLU, "rrelu", _same("lower", "upper")),
    TorchModule(nn.ELU, "elu", _same("alpha")),
    TorchModule(nn.CELU, "celu", _same("alpha")),
    TorchModule(nn.SELU, "selu"),
    TorchModule(nn.GELU, "gelu", when={"approximate": "none"}),
    TorchModule(nn.GELU, "gelu_tanh", when={"approximate": "tanh"}),
    TorchModule(nn.SiLU, "silu"),
    TorchModule(nn.Mish, "mish"),
    TorchModule(nn.Softplus, "softplus", _same("beta", "threshold")),
    TorchModule(nn.Softsign, "softsign"),
    TorchModule(nn.Tanh, "tanh"),
    TorchModule(nn.Sigmoid, "sigmoid"),
    TorchModule(nn.LogSigmoid, "logsigmoid"),
    TorchModule(nn.Hardtanh, "hardtanh", _same("min_val", "max_val")),
    TorchModule(nn.Hardsigmoid, "hardsigmoid"),
    TorchModule(nn.Hardswish, "hardswish"),
    TorchModule(nn.Softshrink, "softshrink", _same("lambd")),
    TorchModule(nn.Hardshrink, "hardshrink", _same("lambd")),
    TorchModule(nn.Tanhshrink, "tanhshrink"),
    TorchModule(nn.Threshold, "threshold", {"threshold": "threshold", "fill": "value"}),
)

_F, _T, _M = "torch.nn.functional.", "torch.", "torch.Tensor."
TORCH_CALLS: tuple[TorchCall, ...] = (
    TorchCall(_F + "relu", nn.ReLU, ("inplace",)),
    TorchCall(_T + "relu", nn.ReLU),
    TorchCall(_F + "relu_", nn.ReLU, inplace=True),
    TorchCall(_T + "relu_", nn.ReLU, inplace=True),
    TorchCall(_M + "relu", nn.ReLU),
    TorchCall(_M + "relu_", nn.ReLU, inplace=True),
    TorchCall(_F + "relu6", nn.ReLU6, ("inplace",)),
    TorchCall(_F + "leaky_relu", nn.LeakyReLU, ("negative_slope", "inplace")),
    TorchCall(_F + "leaky_relu_", nn.LeakyReLU, ("negative_slope",), inplace=True),
    TorchCall(_F + "rrelu", nn.RReLU, ("lower", "upper", "training", "inplace")),
    TorchCall(_T + "rrelu", nn.RReLU, ("lower", "upper", "training", "generator")),
    TorchCall(_F + "rrelu_", nn.RReLU, ("lower", "upper", "training", "generator"), inplace=True),
    TorchCall(_T + "rrelu_", nn.RReLU, ("lower", "upper", "training", "generator"), inplace=True),
    TorchCall(_F + "elu", nn.ELU, ("alpha", "inplace")),
    TorchCall(_F + "elu_", nn.ELU, ("alpha",), inplace=True),
    TorchCall(_F + "celu", nn.CELU, ("alpha", "inplace")),
    TorchCall(_T + "celu", nn.CELU, ("alpha",)),
    TorchCall(_F + "celu_", nn.CELU, ("alpha",), inplace=True),
    TorchCall(_T + "celu_", nn.CELU, ("alpha",), inplace=True),
    TorchCall(_F + "selu", nn.SELU, ("inplace",)),
    TorchCall(_T + "selu", nn.SELU),
    TorchCall(_F + "selu_", nn.SELU, inplace=True),
    TorchCall(_T + "selu_", nn.SELU, inplace=True),
    TorchCall(_F + "gelu", nn.GELU, ("approximate",)),
    TorchCall(_F + "silu", nn.SiLU, ("inplace",)),
    TorchCall(_F + "mish", nn.Mish, ("inplace",)),
    TorchCall(_F + "softplus", nn.Softplus, ("beta", "threshold")),
    TorchCall(_F + "softsign", nn.Softsign),
    TorchCall(_F + "tanh", nn.Tanh),
    TorchCall(_T + "tanh", nn.Tanh),
    TorchCall(_T + "tanh_", nn.Tanh, inplace=True),
    TorchCall(_M + "tanh", nn.Tanh),
    TorchCall(_M + "tanh_", nn.Tanh, inplace=True),
    TorchCall(_F + "sigmoid", nn.Sigmoid),
    TorchCall(_T + "sigmoid", nn.Sigmoid),
    TorchCall(_T + "sigmoid_", nn.Sigmoid, inplace=True),
    TorchCall(_M + "sigmoid", nn.Sigmoid),
    TorchCall(_M + "sigmoid_", nn.Sigmoid, inplace=True),
    TorchCall(_F + "logsigmoid", nn.LogSigmoid),
    TorchCall(_F + "hardtanh", nn.Hardtanh, ("min_val", "max_val", "inplace")),
    TorchCall(_F + "hardtanh_", nn.Hardtanh, ("min_val", "max_val"), inplace=True),
    TorchCall(_F + "hardsigmoid", nn.Hardsigmoid, ("inplace",)),
    TorchCall(_F + "hardswish", nn.Hardswish, ("inplace",)),
    TorchCall(_F + "softshrink", nn.Softshrink, ("lambd",)),
    TorchCall(_F + "hardshrink", nn.Hardshrink, ("lambd",)),
    TorchCall(_T + "hardshrink", nn.Hardshrink, ("lambd",)),
    TorchCall(_M + "hardshrink", nn.Hardshrink, ("lambd",)),
    TorchCall(_F + "tanhshrink", nn.Tanhshrink),
    TorchCall(_F + "threshold", nn.Threshold, ("threshold", "value", "inplace")),
    TorchCall(_T + "threshold", nn.Threshold, ("threshold", "value")),
    TorchCall(_F + "threshold_", nn.Threshold, ("threshold", "value"), inplace=True),
    TorchCall(_T + "threshold_", nn.Threshold, ("threshold", "value"), inplace=True),
)

#: ``torch.nn.modules.activation`` classes that are not in :data:`TORCH_MODULES`, and why.
NOT_ELEMENTWISE: Mapping[type[nn.Module], str] = {
    nn.GLU: "halves a dimension: a * sigmoid(b) over two halves of the input, not elementwise",
    nn.MultiheadAttention: "an attention layer, not an activation",
    nn.Softmax: "normalizes along a dimension",
    nn.Softmin: "normalizes along a dimension",
    nn.Softmax2d: "normalizes over channels",
    nn.LogSoftmax: "normalizes along a dimension",
}

#: call forms of activations that are not in :data:`TORCH_CALLS`, and why.
EXCLUDED_CALLS: Mapping[str, str] = {
    _F + "prelu": "its slope is a tensor argument (a model parameter): no module can be built from the call",
    _T + "prelu": "its slope is a tensor argument (a model parameter): no module can be built from the call",
    _M + "prelu": "its slope is a tensor argument (a model parameter): no module can be built from the call",
    _F + "glu": NOT_ELEMENTWISE[nn.GLU],
}

#: every class of :data:`TORCH_MODULES`, for ``isinstance`` checks.
TORCH_ACTIVATION_CLASSES: tuple[type[nn.Module], ...] = tuple(dict.fromkeys(r.cls for r in TORCH_MODULES))


def _index_calls() -> dict[Any, TorchCall]:
    """Calls by ``torch.fx`` target; paths naming one object (``F.relu_ is torch.relu_``) must agree."""
    out: dict[Any, TorchCall] = {}
    for row in TORCH_CALLS:
        prev = out.setdefault(row.target, row)
        if (prev.module, prev.args, prev.inplace) != (row.module, row.args, row.inplace):
            raise ValueError(f"torch table: {prev.path} and {row.path} are one function but their rows differ")
    return out


_CALLS = _index_calls()


# ---------------------------------------------------------------------------------- lookups
def is_torch_activation(module: Any) -> bool:
    """Whether ``module`` is an instance of a ``torch.nn`` activation class of the table."""
    return isinstance(module, TORCH_ACTIVATION_CLASSES)


def torch_module_row(module: nn.Module) -> TorchModule | None:
    """The row of a ``torch.nn`` activation module, or ``None`` for any other module.

    The most specific class wins (``nn.ReLU6`` before its base ``nn.Hardtanh``), then the first
    row whose ``when`` holds.
    """
    for klass in type(module).__mro__:
        for row in TORCH_MODULES:
            if row.cls is klass and row.matches(module):
                return row
    return None


def zoo_equivalent(module: nn.Module) -> tuple[str, dict[str, Any]] | None:
    """``(name, kwargs)`` such that ``create_activation(name, **kwargs)`` equals ``module`` exactly.

    Values are read from the module's attributes (a one-element tensor such as ``nn.PReLU()``'s
    weight becomes a float). ``None`` for modules outside the table, and for an ``nn.PReLU`` with
    per-channel weights, which no keyword arguments reproduce (its slopes are trained state).
    """
    row = torch_module_row(module)
    if row is None:
        return None
    kwargs: dict[str, Any] = {}
    for arg, attr in row.args.items():
        v = getattr(module, attr)
        if isinstance(v, torch.Tensor):
            if v.numel() != 1:
                return None
            v = float(v.detach().reshape(()))
        kwargs[arg] = v
    return row.name, kwargs


def torch_call(target: Any) -> TorchCall | None:
    """The row of a ``torch.fx`` call target (a function object or a tensor-method name), else ``None``."""
    try:
        return _CALLS.get(target)
    except TypeError:  # an unhashable target is no torch activation
        return None


def module_for_call(target: Any, args: tuple, kwargs: Mapping[str, Any]) -> tuple[nn.Module, bool] | None:
    """The ``torch.nn`` module a call equals, and whether the call is in place.

    Args:
        target: the function or tensor-method name (a ``torch.fx`` node target).
        args: the call's positional arguments, the input first (its value is not used).
        kwargs: its keyword arguments (``input=`` is ignored).

    Returns:
        ``(module, inplace)`` (the module itself never works in place; a call with ``training``
        gives a module in that mode, ``False`` where the call omits it, as ``F.rrelu`` does), or
        ``None`` when ``target`` is not in :data:`TORCH_CALLS`.

    Raises:
        TypeError: more positional arguments than the call takes, or an unknown keyword.
        ValueError: a ``generator`` argument (``torch.rrelu``): ``nn.RReLU`` samples from torch's
            global generator and cannot reproduce another one.
    """
    row = torch_call(target)
    if row is None:
        return None
    if len(args) - 1 > len(row.args):
        raise TypeError(f"{row.path} takes {len(row.args)} argument(s) after the input, got {len(args) - 1}")
    named = dict(zip(row.args, args[1:], strict=False))  # the call may omit trailing arguments
    named.update({k: v for k, v in kwargs.items() if k not in ("input", "self")})
    unknown = sorted(set(named) - set(row.args))
    if unknown:
        raise TypeError(f"{row.path} got unknown argument(s) {unknown}; it takes {list(row.args)}")
    inplace = bool(named.pop("inplace", False)) or row.inplace
    training = bool(named.pop("training", False)) if "training" in row.args else None
    if named.pop("generator", None) is not None:
        raise ValueError(
            f"{row.path} with a generator argument has no module equivalent ({row.module.__name__} samples from "
            "torch's global generator); call it without generator= or use the module"
        )
    module = row.module(**named)
    if training is not None:
        module.train(training)
    return module, inplace
