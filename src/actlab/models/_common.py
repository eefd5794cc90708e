"""Helpers shared by the model families: activation sites in build order, injected norm layers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from ..activations import ActSite, PerLayer, build_act

__all__ = ["NormFactory", "ActSites", "make_norm", "conv_out"]

NormFactory = Callable[[int], nn.Module] | None


class ActSites:
    """Hands out activation modules for one model, numbering the sites in build order.

    Families build their layers from the input towards the output, so the build order is the
    order from the input that :class:`~actlab.ActSite` promises. A model may have several
    activation roles (PyNADA's apical ``act`` and basal ``basal_act``); all roles share one
    counter so every site of a model has a distinct index.

    Args:
        channel_dim: channel dimension of the tensors the activations see.
    """

    def __init__(self, channel_dim: int = 1) -> None:
        self.channel_dim = channel_dim
        self.count = 0

    def choose(self, act: Any, name: str) -> Any:
        """``act`` with a :func:`~actlab.per_layer` choice made for the next site, before it is built.

        For blocks whose width depends on the activation (an MLP block sizes its first projection
        by the activation's arity): the choice is made once, with the site's name and index but
        ``num_channels=None`` (not known until the activation is chosen); build the result with
        :meth:`__call__` under the same name.
        """
        while isinstance(act, PerLayer):
            act = act.fn(ActSite(name=name, index=self.count, num_channels=None, channel_dim=self.channel_dim))
        return act

    def __call__(self, act: Any, name: str, num_channels: int | None) -> nn.Module:
        """A fresh activation for the site ``name`` (the dotted path of the module in the model)."""
        site = ActSite(name=name, index=self.count, num_channels=num_channels, channel_dim=self.channel_dim)
        self.count += 1
        return build_act(act, site)


def make_norm(norm: NormFactory, num_features: int) -> nn.Module:
    """``norm(num_features)``, or ``nn.Identity()`` when ``norm`` is ``None`` (no normalisation)."""
    if norm is None:
        return nn.Identity()
    if not callable(norm):
        raise ValueError(
            f"norm must be a factory norm(num_features) -> nn.Module (e.g. nn.BatchNorm2d or "
            f"lambda c: nn.GroupNorm(8, c)) or None, got {norm!r}"
        )
    mod = norm(num_features)
    if not isinstance(mod, nn.Module):
        raise ValueError(f"norm({num_features}) returned {type(mod).__name__}, not an nn.Module")
    return mod


def conv_out(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Spatial size after a convolution or pooling (floor mode), for sizing dense heads."""
    out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise ValueError(
            f"input of size {size} is too small for kernel {kernel}, stride {stride}, padding {padding}; "
            "use a larger input (or the model's documented input size)"
        )
    return out


def kaiming_convs_(model: nn.Module) -> None:
    """He (fan-out) init of every Conv2d, as the residual-network papers' code does."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
