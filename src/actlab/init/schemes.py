"""The ``init_model`` dispatcher over the named initialization schemes (the top of :mod:`actlab.init`)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .autoinit import autoinit
from .layers import kaiming_, lecun_, siren_

__all__ = ["SCHEMES", "init_model"]


def _default(model: nn.Module, **kw: Any) -> None:
    return None


def _kaiming(model: nn.Module, generator: torch.Generator | None = None, **kw: Any) -> None:
    kaiming_(model, generator)


def _lecun(model: nn.Module, generator: torch.Generator | None = None, **kw: Any) -> None:
    lecun_(model, generator)


def _siren(model: nn.Module, generator: torch.Generator | None = None, omega0: float = 30.0, **kw: Any) -> None:
    siren_(model, omega0, generator)


def _autoinit(model: nn.Module, example_input: torch.Tensor | None = None, **kw: Any) -> Any:
    return autoinit(model, example_input=example_input, **kw)


def _autoinit_fit(model: nn.Module, example_input: torch.Tensor | None = None, **kw: Any) -> Any:
    return _autoinit(model, example_input, **{"center": "auto", "calibrate": "output", **kw})


SCHEMES: dict[str, Callable[..., Any]] = {
    "default": _default,
    "kaiming": _kaiming,
    "lecun": _lecun,
    "siren": _siren,
    "autoinit": _autoinit,
    "autoinit-fit": _autoinit_fit,
}


def init_model(model: nn.Module, scheme: str, example_input: torch.Tensor | None = None, **kw: Any) -> Any:
    """Initializes ``model`` in place with a named scheme.

    Schemes:
        ``"default"``: leave PyTorch's own initialization untouched.
        ``"kaiming"``: He normal fan-in, ``Var(W) = 2 / fan_in``, biases 0 (see :func:`kaiming_`).
        ``"lecun"``: LeCun normal fan-in, ``Var(W) = 1 / fan_in``, biases 0 (see :func:`lecun_`).
        ``"siren"``: SIREN's uniform init for sine networks (Sitzmann et al., arXiv 2006.09661): the
        first layer ``U(-1/fan_in, 1/fan_in)``, the others ``U(-sqrt(6/fan_in)/omega0, +...)``,
        biases kept (see :func:`siren_`); ``omega0=`` (default 30) is its one option.
        ``"autoinit"``: :func:`actlab.autoinit` (Bingham & Miikkulainen, arXiv 2109.08958), which
        adapts to the model's activations, with its defaults (centred rows where no BatchNorm
        follows, scale from each layer's real inputs on the seeded batch, LSUV with a warning after
        anything without a rule); ``kw`` is forwarded to it (``calibrate=False, center=False``: the
        paper's analytic rule).
        ``"autoinit-fit"``: the same with ``center="auto", calibrate="output"`` (centred rows where
        no BatchNorm follows, each drawn layer fitted on the synthetic traversal batch), the
        variant that keeps narrow networks in range (docs/autoinit_study.md).

    Args:
        model: the model to initialize (modified in place).
        scheme: one of ``"default"``, ``"kaiming"``, ``"lecun"``, ``"siren"``, ``"autoinit"``, ``"autoinit-fit"``.
        example_input: a batch AutoInit uses as given (see :func:`actlab.autoinit`; pass
            ``input_shape=`` instead for a data-free drawn batch); ignored by the other schemes.
        **kw: ``generator=`` (all sampling schemes; ``None`` uses PyTorch's global generator),
            ``omega0=`` (``"siren"``) and AutoInit's options (``input_mean``, ``input_var``,
            ``target_var``, ``fallback``, ``seed``...).

    Returns:
        The :class:`actlab.init.InitReport` for the AutoInit schemes, else ``None``.

    Raises:
        ValueError: unknown scheme (with the closest valid names).
    """
    if scheme not in SCHEMES:
        close = difflib.get_close_matches(str(scheme), list(SCHEMES), n=2, cutoff=0.4)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown init scheme {scheme!r}{hint} (valid: {', '.join(SCHEMES)})")
    if scheme.startswith("autoinit"):
        return SCHEMES[scheme](model, example_input, **kw)
    if scheme != "default":
        allowed = {"generator", "omega0"} if scheme == "siren" else {"generator"}
        unknown = set(kw) - allowed
        if unknown:
            takes = ", ".join(f"{a}=" for a in sorted(allowed))
            raise ValueError(f"init scheme {scheme!r} takes only {takes}, got {sorted(unknown)}")
    return SCHEMES[scheme](model, **kw)
