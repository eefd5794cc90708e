"""Turns the ``act`` argument that every builder accepts into fresh modules, one per site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from ._base import Activation
from ._registry import ACTIVATIONS, activation_arguments, create_activation

__all__ = ["ActSite", "PerLayer", "per_layer", "build_act", "ActSpec"]


@dataclass(frozen=True)
class ActSite:
    """Where an activation is placed in a model.

    Args:
        name: a stable, dotted site name (``"layer1.0.act1"``).
        index: position of the site in build order, counted from the input (0-based).
        num_channels: channels of the activation's input, when known.
        channel_dim: channel dimension of the input (1 for NCHW/NCL, -1 for (B, T, C)).
    """

    name: str
    index: int
    num_channels: int | None = None
    channel_dim: int = 1


@dataclass(frozen=True)
class PerLayer:
    """A per-layer activation choice: ``fn(site) -> act spec`` (any accepted ``act`` form)."""

    fn: Callable[[ActSite], Any]


def per_layer(fn: Callable[[ActSite], Any]) -> PerLayer:
    """Marks ``fn(site: ActSite)`` as a per-layer choice, e.g.
    ``per_layer(lambda s: "relu" if s.index < 2 else "pvlu")``."""
    return PerLayer(fn)


ActSpec = str | type | Callable[[], nn.Module] | tuple | PerLayer | nn.Module


def build_act(act: ActSpec, site: ActSite) -> nn.Module:
    """A fresh activation module for ``site`` from any accepted ``act`` form.

    Accepted forms: a registry name (``"pvlu"``); a ``(name, {params})`` pair; an ``nn.Module``
    subclass; a zero-argument callable returning a module; :func:`per_layer`. Registry
    activations get ``num_channels``/``channel_dim`` when they are per-channel or always need
    them (``requires_channels``: FReLU, Meta-ACON), and ``channel_dim`` when they reduce channels
    (``arity > 1``).

    Raises:
        ValueError: unknown names, wrong forms, or a per-channel activation at a site whose
            channel count is unknown.
    """
    if isinstance(act, PerLayer):
        return build_act(act.fn(site), site)
    if isinstance(act, nn.Module):
        raise ValueError(
            "act must build a fresh module per site; pass a name, class or factory "
            f"(e.g. lambda: {type(act).__name__}(...)) instead of the instance {act!r}"
        )
    if isinstance(act, tuple):
        if len(act) != 2 or not isinstance(act[0], str) or not isinstance(act[1], dict):
            raise ValueError(f"a tuple act must be (name, params_dict), got {act!r}")
        return _from_name(act[0], dict(act[1]), site)
    if isinstance(act, str):
        return _from_name(act, {}, site)
    if isinstance(act, type) and issubclass(act, nn.Module):
        kwargs = _site_kwargs(act, {}, site)
        return act(**kwargs)
    if callable(act):
        mod = act()
        if not isinstance(mod, nn.Module):
            raise ValueError(f"the act factory {act!r} returned {type(mod).__name__}, not an nn.Module")
        return mod
    raise ValueError(
        f"act must be a registry name, (name, params), an nn.Module class, a factory or per_layer(...); got {act!r}"
    )


def _from_name(name: str, params: dict, site: ActSite) -> nn.Module:
    cls = ACTIVATIONS.get(name)
    return create_activation(name, **_site_kwargs(cls, params, site))


def _site_kwargs(cls: type, params: dict, site: ActSite) -> dict:
    if not (isinstance(cls, type) and issubclass(cls, Activation)):
        return params
    valid = activation_arguments(cls) or []
    out = dict(params)
    needs = bool(getattr(cls, "requires_channels", False))
    per_channel = out.get("shape") == "channel" or needs
    if per_channel and "num_channels" not in out:
        if site.num_channels is None:
            fix = "pass num_channels" if needs else "use shape='scalar' or pass num_channels"
            raise ValueError(
                f"site {site.name!r}: per-channel activation {cls.__name__} needs a channel count "
                f"that this site does not know; {fix}"
            )
        out["num_channels"] = site.num_channels
    # a reducing activation (arity > 1: AND/OR/XNOR, maxout, gated units) groups along the site's channels
    reduces = cls.info is not None and cls.info.arity > 1
    if (per_channel or reduces) and "channel_dim" in valid and "channel_dim" not in out:
        out["channel_dim"] = site.channel_dim
    return out
