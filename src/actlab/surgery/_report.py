"""What a swap did: every site changed, every site left and why, and the census that checked it."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

__all__ = ["SwapSite", "LeftSite", "SwapReport"]


@dataclass(frozen=True)
class SwapSite:
    """One replaced activation.

    Args:
        name: site name: the module path (``"layer1.0.relu"``) for modules, ``"<module path>.<op>()"``
            for functional calls (``"features.relu()"``); a module called at several places gets
            ``"[k]"`` appended for its k-th extra call, a repeated call ``"_k"``.
        kind: ``"module"``, ``"function"`` or ``"method"``.
        old: repr of the replaced module (of the equivalent ``torch.nn`` module for calls).
        new: repr of the new module.
        num_channels: channel count given to the new module (``None`` where unknown).
        path: where the new module lives in the model.
        warm_started: whether it was set to reproduce the old activation.
        channel_dim: the channel axis given to the new module (``None`` where unknown).
        warm_diff: with a warm start, max |new(x) - old(x)| on a probe grid (0.0: bit-exact).
    """

    name: str
    kind: str
    old: str
    new: str
    num_channels: int | None
    path: str
    warm_started: bool = False
    channel_dim: int | None = None
    warm_diff: float | None = None


@dataclass(frozen=True)
class LeftSite:
    """An activation (or what looks like one) that the swap did not replace, and why.

    Args:
        name: site name, as for :class:`SwapSite`.
        kind: ``"module"``, ``"function"``, ``"method"``, ``"softmax"`` or ``"unknown"``.
        old: repr of the module (or the call's torch path).
        reason: why it was left (a gate, an attention softmax, untraceable code, an unknown
            activation-like module, not selected by ``where``).
    """

    name: str
    kind: str
    old: str
    reason: str


@dataclass
class SwapReport:
    """What :func:`swap_activations` changed.

    Attributes:
        model: the swapped model: the user's model object itself (swapped in place).
        sites: every replaced site, in forward order (registration order where no census ran).
        left: every activation site left unchanged, with the reason.
        census: how the swap was checked: ``"ran on <input>: ..."`` or why no census ran.
        missed: activations of the requested kind that the census saw still running after the swap
            (empty when the swap is complete).
        output_diff: with a warm start and a census, max |output after - output before| on the
            example input in eval mode (0.0: bit-exact).
    """

    model: nn.Module
    sites: list[SwapSite]
    left: list[LeftSite] = field(default_factory=list)
    census: str = "not run"
    missed: list[str] = field(default_factory=list)
    output_diff: float | None = None

    @property
    def trace_error(self) -> str | None:
        """The reasons of the sites left because their module's forward could not be traced, else ``None``."""
        reasons = [s.reason for s in self.left if s.reason.startswith("untraceable")]
        return "; ".join(dict.fromkeys(reasons)) or None

    def __len__(self) -> int:
        return len(self.sites)

    def __str__(self) -> str:
        lines = [f"swapped {len(self.sites)} activation site(s), left {len(self.left)}"]
        for s in self.sites:
            warm = "" if s.warm_diff is None else f", warm start max|diff| {s.warm_diff:.3g}"
            lines.append(f"  {s.name} [{s.kind}]: {s.old} -> {s.new} (channels {s.num_channels}{warm})")
        lines += [f"  left {s.name} [{s.kind}]: {s.old}: {s.reason}" for s in self.left]
        lines.append(f"  census: {self.census}")
        if self.output_diff is not None:
            lines.append(f"  output max|after - before| on the example input (eval): {self.output_diff:.3g}")
        lines += [f"  MISSED (still runs): {m}" for m in self.missed]
        return "\n".join(lines)
