"""Measures what an activation costs relative to native ReLU, measured in the same run.

Every figure is a ratio against ``torch.relu`` (elementwise) or a ReLU model (model step) timed in
the same process with warm-up, device synchronisation and the median of repeats, because the
machines are noisy. Saved-activation memory is counted exactly with
``torch.autograd.graph.saved_tensors_hooks`` (bytes of the tensors autograd keeps for backward).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch

from ..activations import activation_info, create_activation, list_activations
from ..activations import has_fused

__all__ = ["ElementwiseProfile", "ModelProfile", "profile_elementwise", "profile_model_step", "saved_bytes"]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_time(fn: Callable[[], None], device: torch.device, repeats: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def saved_bytes(fn: Callable[[], torch.Tensor]) -> int:
    """Bytes of distinct tensors that autograd saves for backward while running ``fn()``."""
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor):
        key = t.untyped_storage().data_ptr() if t.device.type != "meta" else id(t)
        seen[key] = max(seen.get(key, 0), t.untyped_storage().nbytes())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    del out
    return sum(seen.values())


@dataclass
class ElementwiseProfile:
    """Per-activation costs, as multiples of native ReLU in the same run (lower is better)."""

    name: str
    device: str
    dtype: str
    numel: int
    relu_fwd_s: float
    relu_fwdbwd_s: float
    relu_saved_bytes: int
    eager_fwd: float
    eager_fwdbwd: float
    eager_saved: float
    fused_fwd: float | None = None
    fused_fwdbwd: float | None = None
    fused_saved: float | None = None
    compiled_fwd: float | None = None
    compiled_fwdbwd: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _timings(mod: Callable, x: torch.Tensor, device, repeats, warmup) -> tuple[float, float, int]:
    xg = x.detach().requires_grad_(True)
    g = torch.ones_like(x)

    def fwd():
        with torch.no_grad():
            mod(x)

    def fwdbwd():
        y = mod(xg)
        y.backward(g)
        xg.grad = None

    tf = _median_time(fwd, device, repeats, warmup)
    tb = _median_time(fwdbwd, device, repeats, warmup)
    sb = saved_bytes(lambda: mod(xg))
    return tf, tb, sb


def profile_elementwise(
    names: list[str] | None = None,
    device: str = "cpu",
    dtype: torch.dtype = torch.float32,
    numel: int = 1 << 22,
    repeats: int = 10,
    warmup: int = 3,
    compiled: bool = True,
) -> list[ElementwiseProfile]:
    """Forward and forward+backward time and saved memory per activation vs native ReLU.

    Args:
        names: activations to profile (default: every elementwise one).
        device: ``"cpu"`` or ``"cuda"``.
        dtype: input dtype.
        numel: elements of the 1-D... laid out as (numel // 256, 256) input.
        repeats / warmup: timing repeats (median reported) and warm-up calls.
        compiled: also time ``torch.compile`` of the eager module.
    """
    dev = torch.device(device)
    names = names or [n for n in list_activations() if activation_info(n).elementwise]
    gen = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(numel // 256, 256, generator=gen).to(dev, dtype)
    relu_f, relu_b, relu_s = _timings(torch.relu, x, dev, repeats, warmup)
    out = []
    for name in names:
        info = activation_info(name)
        if not info.elementwise:
            continue
        eager = create_activation(name, impl="eager").to(dev)
        ef, eb, es = _timings(eager, x, dev, repeats, warmup)
        prof = ElementwiseProfile(
            name, device, str(dtype).replace("torch.", ""), numel, relu_f, relu_b, relu_s,
            ef / relu_f, eb / relu_b, es / max(relu_s, 1),
        )
        if has_fused(eager):
            fused = create_activation(name, impl="fused").to(dev)
            ff, fb, fs = _timings(fused, x, dev, repeats, warmup)
            prof.fused_fwd, prof.fused_fwdbwd, prof.fused_saved = ff / relu_f, fb / relu_b, fs / max(relu_s, 1)
        else:
            prof.notes.append("no fused path (eager formula is a native kernel)")
        if compiled:
            # All activations share Activation.forward's code object; reset so each gets its own
            # compile instead of exhausting one recompile budget (and silently running eager).
            torch._dynamo.reset()
            comp = torch.compile(create_activation(name, impl="auto").to(dev), dynamic=False)
            cf, cb, _ = _timings(comp, x, dev, repeats, warmup)
            prof.compiled_fwd, prof.compiled_fwdbwd = cf / relu_f, cb / relu_b
        out.append(prof)
    return out


@dataclass
class ModelProfile:
    """Training-step throughput and memory of a model with each activation vs the ReLU model."""

    name: str
    impl: str
    model: str
    device: str
    batch: int
    images_per_s: float
    speed_vs_relu: float
    peak_bytes: int
    memory_vs_relu: float

    def to_dict(self) -> dict:
        return asdict(self)


def profile_model_step(
    names: list[str],
    device: str = "cpu",
    model: str | None = None,
    batch: int | None = None,
    impls: tuple[str, ...] = ("eager", "auto"),
    steps: int = 10,
    warmup: int = 3,
) -> list[ModelProfile]:
    """One SGD step of a CNN per activation and implementation, relative to native ReLU.

    On CUDA: ResNet-18 (CIFAR stem), batch 512, bf16 autocast, channels_last; peak memory is
    ``torch.cuda.max_memory_allocated``. On CPU: ``lenet5``-sized CNN on 32x32 inputs, batch 64;
    memory is the bytes saved for backward (CPU has no allocator peak counter).
    """
    from ..models import create_model

    dev = torch.device(device)
    cuda = dev.type == "cuda"
    model = model or ("resnet18" if cuda else "simple_cnn")
    batch = batch or (512 if cuda else 64)
    gen = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(batch, 3, 32, 32, generator=gen).to(dev)
    y = torch.randint(0, 10, (batch,), generator=gen).to(dev)
    if cuda:
        x = x.contiguous(memory_format=torch.channels_last)

    def measure(act, impl: str) -> tuple[float, int]:
        act_spec = act if impl == "native" else (act, {"impl": impl})
        net = create_model(model, num_classes=10, in_chans=3, act=act_spec).to(dev)
        if cuda:
            net = net.to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)

        def step():
            opt.zero_grad(set_to_none=True)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cuda):
                loss = torch.nn.functional.cross_entropy(net(x), y)
            loss.backward()
            opt.step()

        if cuda:
            torch.cuda.reset_peak_memory_stats(dev)
        t = _median_time(step, dev, steps, warmup)
        if cuda:
            peak = torch.cuda.max_memory_allocated(dev)
        else:
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=False):
                peak = saved_bytes(lambda: torch.nn.functional.cross_entropy(net(x), y))
        return batch / t, peak

    base_speed, base_mem = measure(torch.nn.ReLU, "native")
    out = [ModelProfile("relu(native)", "native", model, device, batch, base_speed, 1.0, base_mem, 1.0)]
    for name in names:
        for impl in impls:
            s, m = measure(name, impl)
            out.append(ModelProfile(name, impl, model, device, batch, s, s / base_speed, m, m / base_mem))
    return out
