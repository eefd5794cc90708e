"""One AutoInit call's state: it re-initializes each weighted layer it is handed (the rule of
:mod:`actlab.init.weights` on the layer's input moments, then the draw), records it, and keeps
the list of what it could not rule on (raising, or falling back to LSUV with a warning)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torch import nn

from .layers import bias_of, fan_in, weight_rows
from .ops import SUPPORTED_KINDS
from .propagate import Stat, measured_stat
from .report import LayerRecord, kind_of
from .weights import draw_, effective_second, weight_variance
from .windows import coverage_stats, fit_output, window_second

__all__ = ["AutoInitFallbackWarning", "FALLBACKS", "Run"]

FALLBACKS = (None, "lsuv", "auto")


class AutoInitFallbackWarning(UserWarning):
    """AutoInit met modules or operations it has no rule for and used LSUV after them (``fallback="auto"``)."""


#: ``center="auto"`` leaves a layer uncentred when its input's ``mean^2 / var`` exceeds this. Chosen on the
#: 50 x 256 MLP over the registry: 2 keeps softplus, squareplus and logsigmoid (mean^2 / var ~ 2.5-3) in
#: [0.5, 2] x target and every activation that was in range there with centring (1.5 drops and_il/or_il)
AUTO_CENTER_MAX = 2.0


class Run:
    """State shared by the fx and hook traversals: re-initializes weighted layers, records them."""

    def __init__(
        self, model: nn.Module, target_var: float, fallback: str | None, seed: int, generator: torch.Generator | None
    ) -> None:
        self.names = {m: n or type(m).__name__ for n, m in model.named_modules()}
        self.target_var, self.fallback, self.seed, self.generator = target_var, fallback, seed, generator
        self.records: dict[nn.Module, LayerRecord] = {}
        self.notes: list[str] = []
        self.unruled: list[str] = []
        self.calibrate: bool | str = False
        self.center: bool | str = False
        self._shared: set[nn.Module] = set()

    def _center(self, before_norm: bool, a: Stat | None = None) -> bool:
        """Whether to centre the layer's rows: ``True``; or, for ``"auto"``, where no norm follows and the
        input's mean does not dominate its spread (``mean^2 <= AUTO_CENTER_MAX * var``: centring the rows
        of a softplus-like input, whose mean is far from 0, leaves only its sample-specific part)."""
        if self.center is True:
            return True
        if self.center != "auto" or before_norm:
            return False
        return a is None or not a.mean**2 > AUTO_CENTER_MAX * a.var

    def weighted(
        self, m: nn.Module, a: Stat, x: torch.Tensor, input_known: bool = True, before_norm: bool = False
    ) -> Stat:
        """Re-initializes layer ``m`` fed ``x`` (moments ``a``); returns its output moments."""
        (rho, q), fi, w = coverage_stats(m, x.shape), fan_in(m), weight_rows(m)
        center = self._center(before_norm, a) and fi > 1
        if m in self.records:  # shared layer: keep the first call's weights
            rec = self.records[m]
            if m not in self._shared:
                self._shared.add(m)
                self.notes.append(f"{self.names[m]} is called more than once; initialized for its first call")
            offsets = a.shared + (0.0 if center else a.mean**2)
            eff = effective_second(a.var, a.mean, rho=rho, q=q, fan_in=fi, center=center)
            return Stat(0.0, rec.weight_var * fi * eff, shared=rec.weight_var * fi * rho * offsets)
        method = "lsuv" if a.measured else ("autoinit" if input_known else "autoinit-measured")
        calibrated = bool(self.calibrate) and method != "lsuv"  # closed loop: the real input on the batch
        stat = measured_stat(x, False) if calibrated and method == "autoinit" else a
        method = "autoinit-calibrated" if calibrated else method
        # one weight feeding one unit (e.g. a Linear(1, 1) readout): nothing to centre, but the
        # fixed-norm constraint still applies, and the unit's offset w mu is a constant, not variance
        single = self._center(before_norm, a) and fi == 1 and w.shape[0] == 1
        eff = effective_second(stat.var, stat.mean, rho=rho, q=q, fan_in=fi, center=center, single=single)
        if calibrated and not single:  # the exact mean over the batch's real windows
            eff = window_second(m, x, center)
        if eff <= 0 or not math.isfinite(eff):
            raise ValueError(
                f"the input of {self.names[m]!r} has {'variance' if center else 'E[x^2]'} {eff:g}: a constant "
                "input, or predicted moments that overflowed (activations whose variance map is unstable, e.g. "
                "polynomial ones like SQU in deep nets); check input_var, or pass calibrate=True (if the model's own "
                "forward overflows too, no initialization can fix it: see docs/autoinit_study.md)"
            )
        var_w = weight_variance(self.target_var, fi, eff)
        draw_(w, var_w, center=center, single=single, bias=bias_of(m), generator=self.generator)
        if method == "lsuv" or self.calibrate == "output":
            with torch.no_grad():
                var_w *= fit_output(m, x, self.target_var)
            method = "lsuv" if method == "lsuv" else "autoinit-fit"
        self.records[m] = LayerRecord(
            self.names[m], kind_of(m), len(self.records), fi, var_w, stat.second, 0.0, self.target_var, method=method
        )
        offsets = stat.shared + (0.0 if center else stat.mean**2)  # channel offsets sum_j w_cj m_j
        if single:  # one unit: its offset w mu is its (known) mean, not part of its variance
            return Stat(float(w.reshape(-1)[0]) * rho * stat.mean, self.target_var, shared=var_w * rho * stat.shared)
        return Stat(0.0, self.target_var, shared=var_w * fi * rho * offsets)

    def unsupported(self, what: str, out: Any) -> Stat:
        """Moments of the output of something without a rule: raises, or measures (LSUV after it)."""
        if self.fallback is None:
            raise ValueError(
                f"AutoInit has no rule for {what}. Supported: {SUPPORTED_KINDS}. Pass fallback='lsuv' (or leave the "
                "default fallback='auto') to initialize the weighted layers after it from moments measured on a "
                "seeded sample batch"
            )
        key = what.split(" (")[0] if what.startswith("operation") else what.split(" ", 2)[-1]
        if key not in {u.split(" (")[0] if u.startswith("operation") else u.split(" ", 2)[-1] for u in self.unruled}:
            self.unruled.append(what)
            self.notes.append(f"no rule for {what} (and any like it): output moments measured, lsuv downstream")
        return measured_stat(out, True)

    def finish_warnings(self) -> None:
        if self.unruled and self.fallback == "auto":
            warnings.warn(
                f"AutoInit has no rule for {len(self.unruled)} kind(s) of module/operation "
                f"({'; '.join(self.unruled)}); "
                "the weighted layers after them were initialized by LSUV on the seeded sample batch (method 'lsuv' "
                "in the report). Pass fallback='lsuv' to accept this silently or fallback=None to make it an error",
                AutoInitFallbackWarning,
                stacklevel=3,
            )
