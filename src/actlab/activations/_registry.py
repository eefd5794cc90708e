"""The activation registry: names become modules here and nowhere else."""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from ..errors import UserError
from ..registry import Registry
from ._base import Activation
from ._info import ActivationInfo

__all__ = [
    "ActivationArgumentError",
    "register_activation",
    "create_activation",
    "list_activations",
    "activation_info",
    "activation_class",
    "canonical_activation_name",
    "ACTIVATIONS",
]

ACTIVATIONS: Registry[type[nn.Module]] = Registry("activation")


class ActivationArgumentError(UserError, ValueError):
    """An argument the activation's constructor does not take; the message lists the valid ones."""


class _FunctionActivation(Activation):
    """Wraps a user's elementwise function ``fn(x) -> Tensor`` as an activation module (its formula)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)


def register_activation(info: ActivationInfo, obj: Any = None) -> Any:
    r"""Registers an activation under ``info.name`` and ``info.aliases``.

    Usable as a decorator on an :class:`Activation` subclass, or called directly with a class
    or with a plain elementwise function ``fn(x) -> Tensor`` (wrapped in a module whose formula it
    is). An elementwise :class:`Activation` subclass states its formula as the class attribute
    ``formula = staticmethod(fn)``, ``fn(x, *params, *consts)``; from it the eager forward, the
    fused kernels and AutoInit's moments are derived, with nothing else to write.

    Args:
        info: the property-table row.
        obj: the class or function; omit to use as a decorator.

    Raises:
        ValueError: if the name or an alias is taken.
        TypeError: an elementwise :class:`Activation` subclass without a formula.

    Example:
        >>> import torch
        >>> def tanh_exp(x):
        ...     return x * torch.tanh(torch.exp(x))
        >>> info = ActivationInfo(name="doc_tanhexp", formula="x tanh(e^x)", latex=r"x\tanh(e^x)")
        >>> @register_activation(info)
        ... class DocTanhExp(Activation):
        ...     formula = staticmethod(tanh_exp)
        >>> create_activation("doc_tanhexp", impl="eager")(torch.zeros(2))
        tensor([0., 0.])
        >>> ACTIVATIONS.remove("doc_tanhexp")
    """
    if not isinstance(info, ActivationInfo):
        raise TypeError(f"register_activation needs an ActivationInfo, got {type(info).__name__}")

    def deco(target: Any) -> Any:
        if isinstance(target, type) and issubclass(target, nn.Module):
            cls = target
        elif callable(target):
            cls = type(
                f"Function_{info.name}",
                (_FunctionActivation,),
                {"formula": staticmethod(target), "__doc__": info.formula},
            )
        else:
            raise TypeError(f"cannot register {target!r}: expected an nn.Module subclass or a function")
        if (
            issubclass(cls, Activation) and info.elementwise and cls.formula is None
            and cls.formula_call is Activation.formula_call
        ):
            raise TypeError(
                f"activation {info.name!r}: the elementwise class {cls.__name__} has no formula; set "
                "`formula = staticmethod(fn)` with fn(x, *params, *consts) (the fused path and AutoInit "
                "derive from it), or mark the row elementwise=False and override forward_eager"
            )
        ACTIVATIONS.add(info.name, cls, info.aliases)
        if isinstance(cls, type) and issubclass(cls, Activation) and cls.info is None:
            cls.info = info
        _INFOS[ACTIVATIONS.canonical(info.name)] = info
        return target

    return deco if obj is None else deco(obj)


_INFOS: dict[str, ActivationInfo] = {}


def canonical_activation_name(name: str) -> str:
    """The canonical name for a name or alias (raises ``ValueError`` with suggestions)."""
    return ACTIVATIONS.canonical(name)


def activation_class(name: str) -> type[nn.Module]:
    return ACTIVATIONS.get(name)


def activation_info(name: str) -> ActivationInfo:
    """The property-table row of ``name`` (or an alias, or a derived name such as ``"pvlu_glu"``)."""
    key = ACTIVATIONS.canonical(name)
    if key in _INFOS:
        return _INFOS[key]
    info = getattr(ACTIVATIONS.get(key), "info", None)
    if not isinstance(info, ActivationInfo):  # pragma: no cover - families build Activation classes
        raise ValueError(f"activation {name!r} has no property-table row")
    return info


def create_activation(name: str, **params: Any) -> nn.Module:
    """Builds a fresh activation module by registry name.

    Args:
        name: registry name or alias (``"swish"``, ``"lrelu"``).
        **params: constructor arguments, e.g. ``alpha=0.1`` or ``shape="channel", num_channels=64``.

    Raises:
        ValueError: unknown name (with the closest names) or an argument the activation does not take.
    """
    cls = ACTIVATIONS.get(name)
    valid = activation_arguments(cls)
    if valid is not None:
        bad = [k for k in params if k not in valid]
        if bad:
            raise ActivationArgumentError(
                f"activation {name!r} does not take argument(s) {bad}; valid arguments: {valid}"
            )
    return cls(**params)


def activation_arguments(cls: type[nn.Module]) -> list[str] | None:
    """Keyword arguments a class accepts (``None`` when it accepts anything).

    Walks the ``__init__`` chain while it forwards ``**kw``; every :class:`Activation` subclass
    also accepts the base arguments (``shape``, ``num_channels``, ``channel_dim``, ``impl``).
    """
    valid: list[str] = []
    open_ended = True
    for klass in cls.__mro__:
        if klass in (nn.Module, object) or "__init__" not in vars(klass):
            continue
        sig = inspect.signature(vars(klass)["__init__"])  # the __init__ this class defines (checked above)
        valid += [
            n for n, p in sig.parameters.items()
            if n not in ("self", "kw") and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and n not in valid
        ]
        if not any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
            open_ended = False
            break
    if issubclass(cls, Activation):
        base = inspect.signature(Activation.__init__).parameters
        return valid + [n for n in base if n != "self" and n not in valid]
    return None if open_ended else valid


def list_activations(pattern: str | None = None, trainable: bool | None = None) -> list[str]:
    """Sorted canonical names, filtered by a shell pattern and/or whether they have trainable params."""
    names = ACTIVATIONS.names(pattern)
    if trainable is not None:
        names = [n for n in names if _INFOS[n].trainable == trainable]
    return names
