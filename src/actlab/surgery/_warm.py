"""Warm start: set a replacement so that it computes exactly what the activation it replaces did.

Two ways, tried in order:

* a family over a base (:class:`~actlab.activations.over_base.OverBase`: ``gpvlu``, ``laaf``,
  ``rowdy``) is rebuilt over the replaced activation at its identity values. The base is the zoo
  activation the old one equals when the zoo's function reproduces it bit for bit (``nn.GELU`` ->
  ``"gelu"``: the composed formula and the fused path), else the old module itself (a Hugging
  Face ``NewGELUActivation`` writes its formula in Python). Exact: max |difference| = 0.
* any other activation takes the values of its ``ActivationInfo.warm_start`` row for the old
  activation's zoo name (``swish`` from ``silu``: beta = 1), checked on a probe grid (equal up to
  float rounding: ``x * sigmoid(x)`` is not ``F.silu`` bit for bit).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ..activations import ACTIVATIONS, Activation, activation_info, create_activation
from ..activations._base import Identity
from ..activations.over_base import OverBase
from ..activations.torch_table import is_torch_activation, zoo_equivalent
from ._sites import base_name, same_name

__all__ = ["warm_start", "starters"]


def _probe(m: nn.Module) -> torch.Tensor:
    ref = next(iter(m.parameters()), None)
    kw: dict[str, Any] = {"device": ref.device, "dtype": ref.dtype} if ref is not None else {}
    x = torch.cat([torch.linspace(-8.0, 8.0, 161, **kw), torch.randn(96, generator=torch.Generator().manual_seed(0))
                   .to(**kw) * 3])
    x = x.view(1, 1, -1)
    if isinstance(m, Activation) and m.shape == "channel" and m.num_channels is not None:
        x = x.expand(1, m.num_channels, x.shape[-1]).movedim(1, m.channel_dim % 3).contiguous()
    return x


def max_diff(new: nn.Module, old: nn.Module) -> float:
    """max |new(x) - old(x)| on a probe grid, both in eval mode (where RReLU is a fixed function)."""
    x = _probe(new)
    modes = [(m, m.training) for m in (*new.modules(), *old.modules())]
    try:
        new.eval()
        old.eval()
        with torch.no_grad():
            a, b = new(x), old(x.clone())
    finally:
        for m, t in modes:
            m.train(t)
    return float((a - b).abs().max())


def exact_base(old: nn.Module) -> tuple[str | nn.Module, dict[str, Any]]:
    """The base that reproduces ``old`` bit for bit: its zoo name (and constructor arguments) when
    the zoo's function does, else the module ``old`` itself."""
    name, kwargs = base_name(old), dict[str, Any]()
    if is_torch_activation(old) and name is None:
        eq = zoo_equivalent(old)
        if eq is not None and not any(True for _ in old.parameters()):
            name, kwargs = eq  # nn.LeakyReLU(0.2): leaky_relu with negative_slope 0.2
    if name is not None:
        try:
            candidate = create_activation(name, **kwargs)
        except (TypeError, ValueError):
            candidate = None
        if candidate is not None and max_diff(candidate, old) == 0.0:
            return name, kwargs
    return old, {}


def starters(base: str | None) -> list[str]:
    """Zoo activations that can start from ``base``: every family over a base, and every activation
    whose warm_start row lists ``base``."""
    out = []
    for name in sorted(ACTIVATIONS):
        cls = ACTIVATIONS.get(name)
        info = activation_info(name)
        if name == info.name and (
            (isinstance(cls, type) and issubclass(cls, OverBase))
            or (base is not None and any(same_name(k, base) for k in info.warm_start))
        ):
            out.append(name)
    return out


def warm_start(new: nn.Module, old: nn.Module, site: str) -> tuple[nn.Module, float]:
    """The warm-started replacement (``new`` itself, or a rebuilt one) and its max |difference| from ``old``."""
    if isinstance(new, OverBase):
        if any(True for _ in old.parameters()):
            raise ValueError(
                f"site {site!r}: warm_start=True over {old!r}, which holds trainable parameters: a base is a fixed "
                "function; use warm_start=False"
            )
        over, kwargs = exact_base(old)
        ref = next(iter(new.parameters()), None)
        warm = new.rebased(over, kwargs)
        warm.train(new.training)
        if ref is not None:
            warm = warm.to(device=ref.device, dtype=ref.dtype)
        diff = max_diff(warm, old)
        if diff != 0.0:
            raise ValueError(f"site {site!r}: {type(new).__name__} over {over!r} differs from {old!r} by {diff:.3g}")
        return warm, diff
    base: str | None = base_name(old)
    eq = zoo_equivalent(old)
    info = getattr(new, "info", None)
    if base is None and eq is not None and isinstance(new, Activation) and info and same_name(eq[0], info.name):
        if _same_hyperparameters(new, eq[1]):  # nn.Softshrink(0.3) -> ("softshrink", {"lambd": 0.3})
            return new, max_diff(new, old)
    table = info.warm_start if isinstance(new, Activation) and info is not None else {}
    values = next((v for k, v in table.items() if base is not None and same_name(k, base)), None)
    if values is None:
        new_base = base_name(new)
        if base is not None and new_base is not None and same_name(new_base, base):
            return new, max_diff(new, old)  # the same fixed function: nothing to initialize
        cls = type(new).__name__
        if base is None:
            fixed = not any(True for _ in old.parameters())
            raise ValueError(
                f"site {site!r}: {old!r} is trainable or has non-default parameters, so no fixed zoo function "
                f"equals it and {cls} cannot start from it"
                + (f"; families over a base can ({', '.join(starters(None))}: the base becomes {old!r})" if fixed
                   else "") + "; or pass warm_start=False"
            )
        can = starters(base)
        raise ValueError(
            f"site {site!r}: no parameter values make {cls} equal {base!r} (the replaced activation is {old!r}; "
            f"{cls}'s warm starts: {sorted(table) or 'none'}). Zoo activations that can start from {base!r}: "
            f"{', '.join(can)}; e.g. swap_activations(model, {can[0]!r}, warm_start=True), or pass warm_start=False"
        )
    assert isinstance(new, Activation)  # only an Activation has a warm_start table to take values from
    with torch.no_grad():
        for pname, value in values.items():
            if pname not in new._constraints:
                raise ValueError(f"{type(new).__name__} has no parameter {pname!r} named in its warm_start row")
            c = new._constraints[pname]
            getattr(new, pname if isinstance(c, Identity) else f"{pname}_raw").fill_(c.to_raw(value))
    diff = max_diff(new, old)
    if not diff <= 1e-5:
        raise ValueError(
            f"site {site!r}: the warm_start values of {type(new).__name__} do not reproduce {old!r} "
            f"(max difference {diff:.3g}); its ActivationInfo.warm_start row is wrong"
        )
    return new, diff


def _same_hyperparameters(new: Activation, want: dict[str, Any]) -> bool:
    for key, value in want.items():
        have: object
        if key in new._constraints:
            v = new.value(key).detach()
            if v.numel() != 1:
                return False
            have = float(v.reshape(()))
        else:
            have = getattr(new, key, None)
        if not isinstance(have, (int, float)) or not math.isclose(have, value, rel_tol=1e-6, abs_tol=1e-12):
            return False
    return True
