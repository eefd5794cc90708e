"""The property-table row every registered activation carries."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Paper", "ParamSpec", "ActivationInfo"]

_SMOOTHNESS = ("C0", "C1", "C2", "Cinf", "discontinuous")
_SHAPES = ("scalar", "channel")


@dataclass(frozen=True)
class Paper:
    """Where an activation comes from.

    Args:
        title: paper title.
        arxiv: arXiv identifier (``"2110.12246"``) or ``""`` when the paper has none.
        year: publication year.
    """

    title: str
    arxiv: str = ""
    year: int = 0

    def __str__(self) -> str:
        ax = f", arXiv:{self.arxiv}" if self.arxiv else ""
        return f"{self.title} ({self.year}{ax})"


@dataclass(frozen=True)
class ParamSpec:
    """A trainable (or fixed) parameter of an activation.

    Args:
        name: constructor keyword and attribute name (``alpha``).
        init: documented initial value.
        shape: default shape policy, ``"scalar"`` or ``"channel"``.
        constraint: human-readable constraint, realised by reparameterization (``"> 0 (softplus)"``).
        trainable: whether it is an ``nn.Parameter`` by default (else a buffer).
    """

    name: str
    init: float
    shape: str = "scalar"
    constraint: str = "none"
    trainable: bool = True

    def __post_init__(self) -> None:
        if self.shape not in _SHAPES:
            raise ValueError(f"ParamSpec {self.name!r}: shape must be one of {_SHAPES}, got {self.shape!r}")


@dataclass(frozen=True)
class ActivationInfo:
    """One row of the property table. Properties describe the function at its default parameters.

    Args:
        name: canonical registry name.
        formula: plain-text formula.
        latex: LaTeX formula.
        paper: the source paper, ``None`` for folklore functions.
        aliases: other accepted names.
        params: trainable/fixed parameters with their initial values.
        monotonic: non-decreasing on the real line.
        smoothness: ``"C0"``, ``"C1"``, ``"C2"``, ``"Cinf"`` or ``"discontinuous"``.
        bounded_below / bounded_above: whether the range is bounded on that side.
        output_range: (inf, sup) of the range at default parameters (may be +-inf).
        f0: f(0).
        df0: f'(0), or ``None`` where f is not differentiable at 0.
        elementwise: output[i] depends only on input[i] (False for reducing/batch-dependent ones).
        arity: number of channels reduced into one output (logical activations), else 1.
        batch_dependent: output depends on other elements of the batch (ABReLU).
        category: ``"classic"``, ``"dubey"``, ``"seed"``, ``"modern"`` (what today's stacks ship),
            ``"gated"`` (the gated linear units) or ``"user"``.
        warm_start: maps a base activation name to the parameter values under which this
            activation equals it exactly (used by ``swap_activations(warm_start=True)``).
        notes: choices made where the source is unconfirmed, hazards.
    """

    name: str
    formula: str
    latex: str
    paper: Paper | None = None
    aliases: tuple[str, ...] = ()
    params: tuple[ParamSpec, ...] = ()
    monotonic: bool = False
    smoothness: str = "Cinf"
    bounded_below: bool = False
    bounded_above: bool = False
    output_range: tuple[float, float] = (-math.inf, math.inf)
    f0: float = 0.0
    df0: float | None = 1.0
    elementwise: bool = True
    arity: int = 1
    batch_dependent: bool = False
    category: str = "classic"
    warm_start: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    notes: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.params, tuple) or not all(isinstance(p, ParamSpec) for p in self.params):
            raise TypeError(
                f"ActivationInfo {self.name!r}: params must be a tuple of ParamSpec, got {self.params!r}"
            )
        if isinstance(self.aliases, str) or not all(isinstance(a, str) for a in self.aliases):
            raise TypeError(f"ActivationInfo {self.name!r}: aliases must be a tuple of str, got {self.aliases!r}")
        if self.smoothness not in _SMOOTHNESS:
            raise ValueError(
                f"ActivationInfo {self.name!r}: smoothness must be one of {_SMOOTHNESS}, got {self.smoothness!r}"
            )
        lo, hi = self.output_range
        if self.bounded_below != math.isfinite(lo) or self.bounded_above != math.isfinite(hi):
            raise ValueError(
                f"ActivationInfo {self.name!r}: output_range {self.output_range} disagrees with "
                f"bounded_below={self.bounded_below}, bounded_above={self.bounded_above}"
            )

    @property
    def trainable(self) -> bool:
        return any(p.trainable for p in self.params)

    def as_rows(self) -> list[tuple[str, str]]:
        """(field, value) pairs for printing (``actlab show``)."""
        params = (
            "; ".join(
                f"{p.name}: init {p.init:g}, {p.shape}, constraint {p.constraint}"
                + ("" if p.trainable else ", fixed")
                for p in self.params
            )
            or "none"
        )
        fmt = lambda v: "inf" if v == math.inf else "-inf" if v == -math.inf else f"{v:g}"  # noqa: E731
        return [
            ("name", self.name),
            ("aliases", ", ".join(self.aliases) or "-"),
            ("category", self.category),
            ("formula", self.formula),
            ("latex", self.latex),
            ("paper", str(self.paper) if self.paper else "-"),
            ("parameters", params),
            ("monotonic", str(self.monotonic)),
            ("smoothness", self.smoothness),
            ("bounded below", str(self.bounded_below)),
            ("bounded above", str(self.bounded_above)),
            ("output range", f"({fmt(self.output_range[0])}, {fmt(self.output_range[1])})"),
            ("f(0)", f"{self.f0:g}"),
            ("f'(0)", "undefined" if self.df0 is None else f"{self.df0:g}"),
            ("elementwise", str(self.elementwise)),
            ("arity", str(self.arity)),
            ("batch dependent", str(self.batch_dependent)),
            ("warm start from", ", ".join(self.warm_start) or "-"),
            ("notes", self.notes or "-"),
        ]
