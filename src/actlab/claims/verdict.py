"""Verdict rules: an effect's 95 % interval -> ``supported`` / ``not supported`` / ``inconclusive``.

A rule is fixed in the study, before anything runs, and its sentence (:meth:`Rule.text`) is
printed next to the verdict. Effects are oriented by the claim: ``direction = +1`` when the paper
says the effect is positive (``a`` better than ``b``, a correlation above the reference, ...),
``-1`` when it says the effect is negative. The interval ``[lo, hi]`` is first mapped to the
claim's orientation, ``[l, h] = [d (lo - ref), d (hi - ref)]`` (swapped when ``d = -1``), then:

* ``superior`` (the paper claims a difference): supported if ``l > 0`` (the interval excludes the
  reference in the claimed direction); not supported if ``h < 0`` (it excludes it in the other
  direction) or ``-delta <= l`` and ``h <= delta`` (it lies within the band of no practical
  effect); else inconclusive.
* ``noninferior`` (the paper claims "without loss"): supported if ``l > -delta``; not supported if
  ``h < -delta``; else inconclusive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Rule", "VERDICTS", "decide"]

VERDICTS = ("supported", "not supported", "inconclusive", "needs data", "not run")
_KINDS = ("superior", "noninferior")


@dataclass(frozen=True)
class Rule:
    """How a study's interval becomes a verdict.

    Args:
        direction: ``+1`` (the claim says the effect is above ``ref``) or ``-1`` (below).
        kind: ``"superior"`` or ``"noninferior"`` (see the module docstring).
        delta: the band of no practical effect (superior) or the tolerated loss (noninferior), in
            the effect's units.
        ref: the reference value the effect is compared with (0 for differences).
        unit: the effect's unit, for the rule's sentence (``"pp"``, ``""``).
    """

    direction: int = 1
    kind: str = "superior"
    delta: float = 0.0
    ref: float = 0.0
    unit: str = ""

    def __post_init__(self) -> None:
        if self.direction not in (1, -1):
            raise ValueError(f"Rule.direction must be +1 or -1, got {self.direction!r}")
        if self.kind not in _KINDS:
            raise ValueError(f"Rule.kind must be one of {_KINDS}, got {self.kind!r}")
        if not self.delta >= 0:
            raise ValueError(f"Rule.delta must be >= 0, got {self.delta!r}")

    def text(self) -> str:
        """The rule in one sentence, as the report prints it."""
        u = f" {self.unit}" if self.unit else ""
        side = ">" if self.direction > 0 else "<"
        other = "<" if self.direction > 0 else ">"
        ref = f"{self.ref:g}{u}"
        if self.kind == "noninferior":
            lim = f"{self.ref - self.direction * self.delta:g}{u}"
            return (f"supported if the 95% CI lies entirely {side} {lim} (no loss beyond {self.delta:g}{u}); not "
                    f"supported if it lies entirely {other} {lim}; else inconclusive")
        band = f" or lies within {ref} +- {self.delta:g}{u}" if self.delta > 0 else ""
        return (f"supported if the 95% CI lies entirely {side} {ref}; not supported if it lies entirely {other} "
                f"{ref}{band}; else inconclusive")


def decide(lo: float, hi: float, rule: Rule) -> str:
    """The verdict of the interval ``[lo, hi]`` under ``rule``; a NaN bound gives ``inconclusive``.

    Examples:
        >>> decide(0.5, 2.0, Rule())
        'supported'
        >>> decide(-2.0, -0.5, Rule())
        'not supported'
        >>> decide(-0.5, 2.0, Rule())
        'inconclusive'
        >>> decide(-0.3, 0.2, Rule(delta=0.5))
        'not supported'
        >>> decide(-0.3, 0.2, Rule(kind="noninferior", delta=0.5))
        'supported'
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "inconclusive"
    if lo > hi:
        raise ValueError(f"decide: interval bounds out of order, lo={lo} > hi={hi}")
    d = rule.direction
    low, high = sorted((d * (lo - rule.ref), d * (hi - rule.ref)))
    if rule.kind == "noninferior":
        if low > -rule.delta:
            return "supported"
        return "not supported" if high < -rule.delta else "inconclusive"
    if low > 0:
        return "supported"
    if high < 0 or (rule.delta > 0 and low >= -rule.delta and high <= rule.delta):
        return "not supported"
    return "inconclusive"
