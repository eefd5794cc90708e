"""``RunResult``: what one training run reports, JSON-safe."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunResult", "EvalMetrics"]


@dataclass(frozen=True)
class EvalMetrics:
    """Metrics of one model on one split.

    Args:
        acc: top-1 accuracy. loss: mean loss (cross-entropy, or BCE for one-output models).
        recall / f1: per-class recall and F1 (0 for a class with no samples and no predictions).
        macro_f1: mean of ``f1``. balanced_acc: mean of ``recall`` (mean per-class accuracy).
        n: number of predictions scored: samples, or the scored tokens of a sequence task.
    """

    acc: float
    loss: float
    recall: tuple[float, ...]
    f1: tuple[float, ...]
    n: int

    @property
    def macro_f1(self) -> float:
        return sum(self.f1) / len(self.f1) if self.f1 else float("nan")

    @property
    def balanced_acc(self) -> float:
        return sum(self.recall) / len(self.recall) if self.recall else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """Plain floats (non-finite ones included; :meth:`RunResult.to_dict` makes them JSON-safe)."""
        return {"acc": self.acc, "loss": self.loss, "recall": list(self.recall), "f1": list(self.f1), "n": self.n}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EvalMetrics:
        return cls(acc=_u(d["acc"]), loss=_u(d["loss"]), recall=tuple(map(_u, d["recall"])),
                   f1=tuple(map(_u, d["f1"])), n=int(d["n"]))


@dataclass(frozen=True)
class RunResult:
    """The outcome of :func:`actlab.train_one`.

    ``test`` is the *final* model's test metrics (never the best test accuracy over epochs).
    When the config has a validation split, ``best_val`` holds the validation metrics of the
    best-validation checkpoint and ``test_at_best_val`` that checkpoint's test metrics.

    Args:
        config: ``TrainConfig.to_dict()`` of the run. config_hash: its ``config_hash()``.
        test: final test metrics. best_val / test_at_best_val / best_val_epoch: see above (epoch counted from 1).
        curves: per evaluated epoch: ``epoch`` (epochs completed in the generation, from 1), ``step``,
            ``generation``, ``lr``, ``train_loss``, ``train_acc`` (running, over the epoch's batches,
            in train mode), ``test_acc``, ``val_acc`` (when a validation split exists).
        act_params: per evaluated epoch, ``{"<module>.<param>": value}`` for every activation
            parameter (per-channel parameters as their mean, key suffixed ``[mean]``).
        wall_time_s: whole run, data loading included. time_per_epoch_s: training + evaluation
            time divided by the epochs run (fractional for step budgets).
        peak_memory_bytes / memory_kind: what the figure is depends on the device, and the
            kinds do not compare with each other. ``"cuda_max_allocated"``: peak bytes allocated
            on the GPU during the whole run (``torch.cuda.max_memory_allocated``; weights,
            optimizer state, data and activations). ``"cpu_saved_bytes_per_sample"``: exact bytes
            autograd saves for backward per sample in one training-mode forward of a training
            batch, parameters not counted (activation memory; CPU has no allocator peak counter).
            Older results may carry ``"cpu_maxrss_delta"`` (growth of the process's peak RSS,
            ~0 for every run after the first in a process): do not compare those.
        diverged: a non-finite training loss, or one that stayed above ``DIVERGENCE_FACTOR`` x
            max(initial loss, 1) for ``DIVERGENCE_STEPS`` steps (:mod:`actlab.train.loop`), stopped
            the run (at the end of that epoch: losses are checked once per epoch, not with a GPU
            sync per step); ``diverged_step`` is the first such optimizer step (0-based) and
            ``message`` says so.
        steps / epochs: optimizer steps taken, epochs (possibly fractional) run.
        n_params: trainable parameter count. device: where it ran.
    """

    config: dict
    config_hash: str
    test: EvalMetrics
    best_val: EvalMetrics | None = None
    test_at_best_val: EvalMetrics | None = None
    best_val_epoch: int | None = None
    curves: dict = field(default_factory=dict)
    act_params: list = field(default_factory=list)
    wall_time_s: float = 0.0
    time_per_epoch_s: float = 0.0
    peak_memory_bytes: int = 0
    memory_kind: str = ""
    diverged: bool = False
    diverged_step: int | None = None
    message: str = ""
    steps: int = 0
    epochs: float = 0.0
    n_params: int = 0
    device: str = "cpu"

    @property
    def test_acc(self) -> float:
        """Final test accuracy."""
        return self.test.acc

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: every non-finite float becomes ``null`` and is listed in ``"nonfinite"`` as
        ``[path, "nan" | "inf" | "-inf"]`` (``path`` a list of keys and indices), which
        :meth:`from_dict` restores. ``json.dumps(..., allow_nan=False)`` accepts the result."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for k in ("test", "best_val", "test_at_best_val"):
            out[k] = None if out[k] is None else out[k].to_dict()
        out["curves"] = {k: list(vs) for k, vs in self.curves.items()}
        out["act_params"] = [dict(row) for row in self.act_params]
        nonfinite: list[list[Any]] = []
        out = _scrub(out, [], nonfinite)
        out["nonfinite"] = nonfinite
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunResult:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        d = dict(d)
        nonfinite = d.pop("nonfinite", [])
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"RunResult.from_dict: unknown keys {sorted(unknown)}; valid: {sorted(names)}")
        kw = json_restore(d, nonfinite)
        for k in ("test", "best_val", "test_at_best_val"):
            if kw.get(k) is not None:
                kw[k] = EvalMetrics.from_dict(kw[k])
        kw["curves"] = {k: [_u(v) for v in vs] for k, vs in kw.get("curves", {}).items()}
        kw["act_params"] = [{k: _u(v) for k, v in row.items()} for row in kw.get("act_params", [])]
        for k in ("wall_time_s", "time_per_epoch_s", "epochs"):
            if k in kw:
                kw[k] = _u(kw[k])
        return cls(**kw)


def _scrub(v: Any, path: list[Any], found: list[list[Any]]) -> Any:
    """``v`` with non-finite floats replaced by ``None``, each recorded in ``found`` as ``[path, text]``."""
    if isinstance(v, float) and not math.isfinite(v):
        found.append([list(path), "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")])
        return None
    if isinstance(v, Mapping):
        return {k: _scrub(x, [*path, k], found) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_scrub(x, [*path, i], found) for i, x in enumerate(v)]
    return v


def json_restore(d: Mapping[str, Any], nonfinite: Any) -> dict[str, Any]:
    """A copy of ``d`` with the values listed in ``nonfinite`` (see :meth:`RunResult.to_dict`) put back.

    Raises:
        ValueError: an entry that is not ``[path, "nan" | "inf" | "-inf"]`` or whose path is not in ``d``.
    """
    out: Any = json.loads(json.dumps(d))  # a deep copy of plain JSON data
    for entry in nonfinite or []:
        if not (isinstance(entry, list) and len(entry) == 2 and entry[1] in ("nan", "inf", "-inf")
                and isinstance(entry[0], list) and entry[0]):
            raise ValueError(
                f"RunResult.from_dict: bad 'nonfinite' entry {entry!r}; expected [path, 'nan'|'inf'|'-inf']"
            )
        *head, last = entry[0]
        node = out
        try:
            for k in head:
                node = node[k]
            if node[last] is not None:
                raise ValueError(f"RunResult.from_dict: 'nonfinite' path {entry[0]} holds {node[last]!r}, not null")
            node[last] = float(entry[1])
        except (KeyError, IndexError, TypeError) as e:
            raise ValueError(f"RunResult.from_dict: 'nonfinite' path {entry[0]} is not in the result ({e})") from e
    return out


def _u(v: Any) -> Any:
    if isinstance(v, str) and v in ("nan", "inf", "-inf"):
        return float(v)
    return v
