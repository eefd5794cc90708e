"""``InitReport``: predicted vs measured pre-activation moments per weighted layer, and the
measurement itself (a seeded forward pass on an ``N(input_mean, input_var)`` batch)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from . import mha
from .batch import embedding_guard, preserved_state, resolve_input
from .layers import fan_in, is_weighted, weight_of

__all__ = ["InitReport", "LayerRecord", "kind_of", "measure_init", "measure_layers"]


@dataclass
class LayerRecord:
    """One weighted layer of an :class:`InitReport` (NaN where a value does not apply).

    Attributes:
        name: qualified module name. kind: layer type (``Conv2d(groups=4)``).
        depth: execution order among weighted layers (0 = closest to the input).
        fan_in: inputs per output unit. weight_var: variance the weights were drawn with.
        in_second: predicted ``E[x^2]`` of the layer's input.
        pred_mean, pred_var: predicted moments of the layer's output (the pre-activation).
        meas_mean, meas_var: measured moments of the output on the seeded batch.
        method: ``autoinit`` (analytic), ``autoinit-measured`` (hook mode: input moments measured
            because the op producing them is invisible to hooks), ``lsuv`` (data-driven fallback
            after an unsupported module) or ``default`` (not re-initialized).
    """

    name: str
    kind: str
    depth: int = -1
    fan_in: int = 0
    weight_var: float = math.nan
    in_second: float = math.nan
    pred_mean: float = math.nan
    pred_var: float = math.nan
    meas_mean: float = math.nan
    meas_var: float = math.nan
    method: str = "default"


@dataclass
class InitReport:
    """What an initialization did, per weighted layer, in execution order.

    Attributes:
        layers: one :class:`LayerRecord` per weighted layer.
        target_var: the pre-activation variance aimed at.
        input_mean, input_var, seed, batch_size: the measurement batch (for :func:`actlab.autoinit`
            a held-out one, seed ``seed + 1`` of its call).
        mode: ``fx`` (graph traced), ``hooks`` (tracing failed; forward hooks on leaf modules) or
            ``measure`` (no re-initialization, e.g. PyTorch's default init).
        notes: why tracing failed, layers that were shared, etc.
        unruled: the modules/operations AutoInit had no rule for (the layers after them: ``lsuv``).
        not_initialized: weighted layers that never ran as modules and kept their initialization
            (their weights used directly by an operation, e.g. torchvision's ``shifted_window_attention``).
        held_out: whether the measurement batch is a fresh draw (``False``: the given example input).
        vocab: token ids of the drawn batches lie in ``[0, vocab)`` (0: a float batch).
    """

    layers: list[LayerRecord]
    target_var: float = 1.0
    input_mean: float = 0.0
    input_var: float = 1.0
    seed: int = 0
    batch_size: int = 0
    mode: str = "fx"
    notes: list[str] = field(default_factory=list)
    unruled: list[str] = field(default_factory=list)
    not_initialized: list[str] = field(default_factory=list)
    held_out: bool = True
    vocab: int = 0

    def ratios(self) -> list[float]:
        """Measured pre-activation variance / target, per layer."""
        return [r.meas_var / self.target_var for r in self.layers]

    def within(self, lo: float = 0.5, hi: float = 2.0) -> bool:
        """Whether every layer's measured variance lies in ``[lo, hi] x target_var``."""
        return all(lo <= q <= hi for q in self.ratios())

    def methods(self) -> dict[str, str]:
        return {r.name: r.method for r in self.layers}

    def to_dict(self) -> dict:
        return asdict(self)

    def to_table(self) -> str:
        """A fixed-width text table, one row per weighted layer."""
        head = (
            f"{'#':>3} {'layer':<28} {'kind':<18} {'fan_in':>6} {'pred mean':>9} {'pred var':>9} "
            f"{'meas mean':>9} {'meas var':>9} {'ratio':>7}  method"
        )
        rows = [head, "-" * len(head)]
        for r in self.layers:
            ratio = r.meas_var / self.target_var
            rows.append(
                f"{r.depth:>3} {r.name[-28:]:<28} {r.kind[:18]:<18} {r.fan_in:>6} "
                f"{r.pred_mean:>9.4f} {r.pred_var:>9.4f} "
                f"{r.meas_mean:>9.4f} {r.meas_var:>9.4f} {ratio:>7.3f}  {r.method}"
            )
        q = self.ratios()
        if q:
            rows.append(
                f"{len(q)} weighted layers ({self.mode}); measured var / target in [{min(q):.3g}, {max(q):.3g}] "
                + (
                    f"on a {'held-out ' if self.mode != 'measure' else ''}"
                    + (f"batch of token ids in [0, {self.vocab})" if self.vocab else
                       f"N({self.input_mean:g}, {self.input_var:g}) batch")
                    + f" of {self.batch_size}, seed {self.seed}"
                    if self.held_out
                    else f"on the example input (the traversal batch, {self.batch_size} samples)"
                )
            )
        rows += [f"note: {n}" for n in self.notes]
        return "\n".join(rows)

    def plot(
        self, path: str, other: InitReport | None = None, label: str = "autoinit", other_label: str = "default"
    ) -> None:
        """Saves predicted vs measured pre-activation variance per depth (log scale) to ``path``."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4))
        depth = [r.depth for r in self.layers]
        ax.plot(depth, [r.pred_var for r in self.layers], "k--", label=f"{label}: predicted")
        ax.plot(depth, [r.meas_var for r in self.layers], "o-", ms=3, label=f"{label}: measured")
        if other is not None:
            depth, var = [r.depth for r in other.layers], [r.meas_var for r in other.layers]
            ax.plot(depth, var, "s-", ms=3, label=f"{other_label}: measured")
        ax.axhspan(0.5 * self.target_var, 2 * self.target_var, color="g", alpha=0.1, label="[0.5, 2] x target")
        ax.set_yscale("log")
        ax.set_xlabel("weighted layer (depth)")
        ax.set_ylabel("pre-activation variance")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)


def measure_layers(model: nn.Module, batch: torch.Tensor, seed: int) -> list[tuple[str, nn.Module, float, float]]:
    """``(name, module, mean, var)`` of each weighted layer's output (first call), in execution order;
    the projections of ``nn.MultiheadAttention`` count as weighted layers (:mod:`actlab.init.mha`)."""
    names = {m: n for n, m in model.named_modules()}
    seen: dict[nn.Module, tuple[float, float]] = {}

    def hook(m: nn.Module, args: tuple, out: torch.Tensor) -> None:
        if m not in seen:
            y = out.detach().double()
            seen[m] = (float(y.mean()), float(y.var(unbiased=False)))

    def attention_hook(m: nn.Module, args: tuple, kwargs: dict, out: object) -> None:
        assert isinstance(m, nn.MultiheadAttention)
        suffixes = {id(p): s for s, p in mha.projections(m)}
        for layer, mean, var in mha.measure(m, args, kwargs, out):
            if layer not in names:  # a projection (out_proj is a registered module)
                names[layer] = f"{names[m]}.{suffixes[id(layer)]}"
            seen.setdefault(layer, (mean, var))

    handles = [m.register_forward_hook(hook) for m in model.modules() if is_weighted(m)]
    handles += [
        m.register_forward_hook(attention_hook, with_kwargs=True)
        for m in model.modules()
        if isinstance(m, nn.MultiheadAttention)
    ]
    try:
        with preserved_state(model, seed):
            model(batch)
    finally:
        for h in handles:
            h.remove()
    return [(names[m], m, mv[0], mv[1]) for m, mv in seen.items()]


def measure_init(
    model: nn.Module,
    example_input: torch.Tensor | None = None,
    input_shape: tuple[int, ...] | None = None,
    input_mean: float = 0.0,
    input_var: float = 1.0,
    target_var: float = 1.0,
    seed: int = 0,
    batch_size: int = 128,
    *,
    input_dtype: torch.dtype | None = None,
) -> InitReport:
    """An :class:`InitReport` of the model's *current* initialization (nothing is changed).

    Use it to contrast PyTorch's default init with :func:`actlab.autoinit`; the batch is built as
    :func:`actlab.autoinit` builds its held-out one (``example_input`` is used as given).
    """
    spec = resolve_input(model, example_input, input_shape, input_dtype)
    batch = spec.batch(model, batch_size, input_mean, input_var, seed)
    with embedding_guard(model):
        measured = measure_layers(model, batch, seed)
    layers = [
        LayerRecord(
            name, kind_of(m), i, fan_in(m), float(weight_of(m).detach().double().var(unbiased=False)),
            meas_mean=mm, meas_var=mv,
        )
        for i, (name, m, mm, mv) in enumerate(measured)
    ]
    return InitReport(
        layers, target_var, input_mean, input_var, seed, len(batch), mode="measure", held_out=spec.given is None,
        vocab=spec.vocab,
    )


def kind_of(m: nn.Module) -> str:
    groups = getattr(m, "groups", 1)
    return type(m).__name__ + (f"(groups={groups})" if groups != 1 else "")
