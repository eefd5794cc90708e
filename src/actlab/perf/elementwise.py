"""Elementwise cost of each activation as multiples of native ``torch.relu`` timed beside it.

Every time figure is a :class:`~actlab.perf.timing.Ratio`: native ReLU and the candidate are
timed alternately (``A B A B ...``) on the same input, and the figure is the median of the
paired ratios with its quartiles, range and n. Saved memory is exact (bytes autograd saves for
backward, :func:`actlab.memory.saved_bytes`), as a ratio to native ReLU's.

The ``relu`` row is a sanity check: actlab's eager ReLU calls ``torch.relu``, so its eager
columns read ~1.00x and their spread shows how noisy the machine was during the run.

The compiled columns time ``torch.compile`` of the activation (``impl="auto"``) against the
same *eager* native ReLU, so they show what compiling costs or earns, ReLU included.

Measured (2026-12, AMD EPYC with AVX512, 2 cores shared with other agents' jobs, torch 2.13 CPU,
fp32, 4M elements, medians of 10-15 calls): ``torch.compile(torch.relu)`` is at parity in
inference (1.04 vs 1.00 ms under ``no_grad``), but a forward under autograd took 30 ms vs 0.8 ms
eager and forward+backward 39 ms vs 2.7 ms (~15x; on one thread later, 73 vs 4.6 ms; the
profiler's paired ratio on the loaded machine: compiled f+b 11.9x [11.6, 13.2], compiled fwd
1.14x; an earlier report said ~9.5x, 18 vs 2.8 ms). The cause is in Inductor's generated forward
kernel: for backward it also stores the mask ``relu(x) <= 0`` as a bool tensor, and that
vectorised bool store is slow on CPU (a compiled ``(relu(x), relu(x) <= 0)`` took ~60 ms, with
``.to(uint8)`` ~13 ms, with a second float output instead ~1.6 ms). So on CPU, compiled training
through ReLU is slower than eager; other activations whose compiled forward stores a bool mask
may pay the same (not measured one by one here; hardtanh read 1.1x, no slower than eager).
Under load, two-thread timings came in 4 ms steps (native ReLU 8.00 / 16.00 ms): the paired
ratios still read 1.00x for native against native.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch

from ..activations import activation_info, create_activation, has_fused, is_composite, list_activations
from ..memory import saved_bytes
from .timing import Ratio, check_counts, paired_ratio

__all__ = ["SANITY_ROW", "ElementwiseProfile", "profile_elementwise"]

SANITY_ROW = "relu"
_LAYOUT = 256  # the input is (numel // 256, 256)


@dataclass
class ElementwiseProfile:
    """One activation's costs as multiples of native ReLU in the same run (lower is better).

    Args:
        name / device / dtype / numel: what was measured.
        relu_saved_bytes: bytes native ReLU saves for backward on this input.
        eager_fwd / eager_fwdbwd: ``impl="eager"``, forward under ``no_grad`` and forward+backward.
        eager_saved: saved-for-backward bytes over native ReLU's (exact).
        fused_fwd / fused_fwdbwd / fused_saved: the same for ``impl="fused"``; None without a
            fused path (``notes`` says so).
        compiled_fwd / compiled_fwdbwd: ``torch.compile`` of ``impl="auto"``, against eager
            native ReLU; None when ``compiled=False``.
        notes: what was not measured, and why.
    """

    name: str
    device: str
    dtype: str
    numel: int
    relu_saved_bytes: int
    eager_fwd: Ratio
    eager_fwdbwd: Ratio
    eager_saved: float
    fused_fwd: Ratio | None = None
    fused_fwdbwd: Ratio | None = None
    fused_saved: float | None = None
    compiled_fwd: Ratio | None = None
    compiled_fwdbwd: Ratio | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-safe; each ratio as ``{"median", "q1", "q3", "lo", "hi", "n", "baseline_s", "candidate_s"}``."""
        return asdict(self)


def _check(names: list[str] | None, numel: int, repeats: int, warmup: int) -> list[str]:
    """Validated arguments; the canonical activation names to profile."""
    if not isinstance(numel, int) or isinstance(numel, bool) or numel <= 0 or numel % _LAYOUT:
        raise ValueError(
            f"numel must be a positive multiple of {_LAYOUT} (the input is laid out as "
            f"(numel // {_LAYOUT}, {_LAYOUT})), got {numel!r}; e.g. {1 << 22} (4M)"
        )
    check_counts(repeats, warmup)
    if names is None:
        return [n for n in list_activations() if activation_info(n).elementwise]
    canonical = [activation_info(n).name for n in names]  # unknown names raise with suggestions
    reducing = [n for n in canonical if not activation_info(n).elementwise]
    if reducing:
        raise ValueError(
            f"not elementwise (output[i] depends on more than input[i]), so not profiled here: {reducing}; "
            "time them inside a model with profile_model_step (`actlab profile NAMES --model`)"
        )
    return list(dict.fromkeys(canonical))


def _pair(mod: Callable, base: Callable, x: torch.Tensor, repeats: int, warmup: int) -> tuple[Ratio, Ratio]:
    """(forward, forward+backward) ratios of ``mod`` against ``base``, timed in pairs."""
    xg = x.detach().clone().requires_grad_(True)
    g = torch.ones_like(x)

    def fwd(f):
        def run():
            with torch.no_grad():
                f(x)
        return run

    def fwdbwd(f):
        def run():
            f(xg).backward(g)
            xg.grad = None
        return run

    cf, bf, cb, bb = fwd(mod), fwd(base), fwdbwd(mod), fwdbwd(base)
    cf(), cb()  # first calls may compile kernels (seconds): keep them out of every pair
    return (paired_ratio(cf, bf, x.device, repeats, warmup),
            paired_ratio(cb, bb, x.device, repeats, warmup))


def profile_elementwise(
    names: list[str] | None = None,
    device: str = "cpu",
    dtype: torch.dtype = torch.float32,
    numel: int = 1 << 22,
    repeats: int = 10,
    warmup: int = 3,
    compiled: bool = True,
    sanity: bool = True,
) -> list[ElementwiseProfile]:
    """Forward and forward+backward time and saved memory per activation vs native ReLU.

    Args:
        names: activations to profile (registry names or aliases; default: every elementwise one).
        device: ``"cpu"`` or ``"cuda"``.
        dtype: input dtype.
        numel: input elements, a positive multiple of 256 (laid out as ``(numel // 256, 256)``).
        repeats: timed pairs per figure (>= 1). warmup: untimed calls of each side first (>= 0).
        compiled: also time ``torch.compile`` of each activation (slow: one compile each).
        sanity: put the ``relu`` row first (added if ``names`` lacks it): it should read ~1.00x.

    Returns:
        One :class:`ElementwiseProfile` per activation, in order.

    Raises:
        ValueError: a bad ``numel``/``repeats``/``warmup``, an unknown or non-elementwise name.
    """
    names = _check(names, numel, repeats, warmup)
    if sanity:
        names = [SANITY_ROW, *(n for n in names if n != SANITY_ROW)]
    dev = torch.device(device)
    gen = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(numel // _LAYOUT, _LAYOUT, generator=gen).to(dev, dtype)
    xg = x.detach().clone().requires_grad_(True)
    relu_saved = saved_bytes(lambda: torch.relu(xg))
    dtype_name = str(dtype).replace("torch.", "")
    out = []
    for name in names:
        eager = create_activation(name, impl="eager").to(dev)
        ef, eb = _pair(eager, torch.relu, x, repeats, warmup)
        prof = ElementwiseProfile(name, device, dtype_name, numel, relu_saved, ef, eb,
                                  saved_bytes(functools.partial(eager, xg)) / max(relu_saved, 1))
        if has_fused(eager):
            fused = create_activation(name, impl="fused").to(dev)
            prof.fused_fwd, prof.fused_fwdbwd = _pair(fused, torch.relu, x, repeats, warmup)
            prof.fused_saved = saved_bytes(functools.partial(fused, xg)) / max(relu_saved, 1)
            if not is_composite(eager):
                prof.notes.append("impl='auto' runs eager: the formula is one native kernel")
        else:
            prof.notes.append("no fused path (not elementwise)")
        if compiled:
            # All activations share Activation.forward's code object; reset so each gets its own
            # compile instead of exhausting one recompile budget (and silently running eager).
            torch._dynamo.reset()
            comp = torch.compile(create_activation(name, impl="auto").to(dev), dynamic=False)
            prof.compiled_fwd, prof.compiled_fwdbwd = _pair(comp, torch.relu, x, repeats, warmup)
        else:
            prof.notes.append("torch.compile not timed (compiled=False)")
        out.append(prof)
    return out
