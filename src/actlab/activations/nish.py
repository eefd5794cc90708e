"""Nish: Negative Stimulated Hybrid Activation Function (Anagun & Isik, arXiv 2210.09083).

Both readings of its negative branch are UNCONFIRMED (the paper's equation could not be read):
``form="h1"`` (default, the first reading) and ``form="h2"`` (the SinLU-like second reading of
the 2026-12 review). See the class docstring.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._base import Activation, FormulaCall
from ._info import ActivationInfo, Paper
from ._registry import register_activation

__all__ = ["Nish", "NISH_FORMS"]

# minimum of x*sigmoid(x) + sin(x)/2 over x <= 0 (at x = -1.490967), found with scipy in float64
_NISH_MIN = -0.7724125567983047
# minimum of (x + sin x) sigmoid(x) over x <= 0 (at x = -1.082865; = SinLU's at a = b = 1), scipy, float64
NISH_H2_MIN = -0.4973705541899911


def nish(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, x, x * torch.sigmoid(x) + 0.5 * torch.sin(x))


def nish_h2(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, x, (x + torch.sin(x)) * torch.sigmoid(x))


#: the readings of the negative branch: ``form`` -> formula
NISH_FORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"h1": nish, "h2": nish_h2}


@register_activation(
    ActivationInfo(
        name="nish",
        formula="x if x > 0 else x * sigmoid(x) + sin(x) / 2   (negative branch UNCONFIRMED, hypothesis H1; "
        "form='h2': (x + sin x) * sigmoid(x))",
        latex=r"\begin{cases} x & x > 0 \\ x\,\sigma(x) + \tfrac12 \sin x & x \le 0 \end{cases}",
        paper=Paper("Nish: A Novel Negative Stimulated Hybrid Activation Function", "2210.09083", 2022),
        monotonic=False,
        smoothness="C1",
        bounded_below=True,
        output_range=(_NISH_MIN, float("inf")),
        f0=0.0,
        df0=1.0,
        category="seed",
        notes="UNCONFIRMED: the paper's negative-branch equation could not be read. form='h1' (default) is the "
        "spec's hypothesis H1, x*sigmoid(x) + sin(x)/2; form='h2' is its second reading H2, (x + sin x) * "
        "sigmoid(x) (SinLU with a = b = 1, 'sinus-sigmoidal'), minimum -0.497371 at x = -1.082865. Both are C1 "
        "at 0 (one-sided slopes 1) and the row's other properties hold for both; the identity branch for x > 0 "
        "is certain. No trainable parameters (UNCONFIRMED).",
    )
)
class Nish(Activation):
    r"""Nish(x) = x for x > 0 and a "sinus-sigmoidal" negative branch (two UNCONFIRMED readings).

    Anagun & Isik, "Nish: A Novel Negative Stimulated Hybrid Activation Function",
    arXiv 2210.09083: identity on the positive side and a "sinus-sigmoidal" negative branch.

    **UNCONFIRMED formula.** The abstract only describes the negative branch in words (a sigmoid
    combined with a sine); the exact equation could not be checked against the paper. Two
    readings are offered, neither confirmed:

    * ``form="h1"`` (default): ``x sigma(x) + sin(x)/2``, the project spec's hypothesis H1,
      chosen because it makes the function C1 at 0 (left slope 1/2 + 1/2 = 1). Bounded below by
      -0.772413 (at x = -1.490967).
    * ``form="h2"``: ``(x + sin x) sigma(x)``, the spec's second reading H2: the words match SinLU
      ("Sinu-sigmoidal Linear Unit", Paul et al. 2022, with a = b = 1). Also C1 at 0; bounded
      below by -0.497371 (at x = -1.082865).

    Re-derive from the PDF before using either as an oracle. Non-monotonic, no parameters.

    Args:
        form: ``"h1"`` or ``"h2"``, the reading of the negative branch.
        **kw: ``impl`` (see :class:`Activation`).
    """

    formula = staticmethod(nish)

    def __init__(self, *, form: str = "h1", **kw) -> None:
        if form not in NISH_FORMS:
            raise ValueError(
                f"Nish: form must be one of {sorted(NISH_FORMS)} (the two UNCONFIRMED readings of the negative "
                f"branch: 'h1' = x sigmoid(x) + sin(x)/2, 'h2' = (x + sin x) sigmoid(x)), got {form!r}"
            )
        super().__init__(**kw)
        self.form = form
        self._prepare_fused(NISH_FORMS[form])

    def formula_call(self, x: torch.Tensor) -> FormulaCall:
        return FormulaCall(NISH_FORMS[self.form], [], ())

    def extra_repr(self) -> str:
        return ", ".join(p for p in (super().extra_repr(), f"form={self.form!r}") if p)
