"""Training-step time and activation memory of a model per activation, vs the same model with ReLU.

Each candidate model's SGD step is timed alternately with the ReLU model's step (``A B A B ...``,
after warm-up of both), so every speed figure is a median of paired ratios measured under the
same machine conditions (see :mod:`actlab.perf.timing`). Memory is exact on CPU (bytes saved for
backward by one training forward) and the allocator's step peak on CUDA.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch.nn import functional as F

from ..activations import create_activation
from ..memory import forward_saved_bytes
from ..models import create_model, model_info
from .timing import Ratio, check_counts, paired_ratio

__all__ = ["BASELINE_ROW", "ModelProfile", "profile_model_step"]

BASELINE_ROW = "relu(native)"


@dataclass
class ModelProfile:
    """One model step with one activation and implementation, relative to the ReLU model.

    Args:
        name / impl / model / device / batch: what was measured (``impl="native"`` is ``nn.ReLU``).
        images_per_s: batch over the candidate's median step time (for reference only: compare
            through ``step_time``, which is measured against the baseline in pairs).
        step_time: paired ratios of step time, candidate over ReLU model (lower is faster); the
            baseline row is the ReLU model against itself (~1.00x: the run's noise).
        memory_bytes: see ``memory_kind``. memory_vs_relu: over the ReLU model's figure.
        memory_kind: ``"cpu_saved_bytes"`` (exact bytes saved for backward by one training
            forward of the batch, parameters excluded) or ``"cuda_step_peak_bytes"``
            (``torch.cuda.max_memory_allocated`` during one step minus what was allocated before
            it: activations, gradients and workspace, not the resident weights).
    """

    name: str
    impl: str
    model: str
    device: str
    batch: int
    images_per_s: float
    step_time: Ratio
    memory_bytes: int
    memory_vs_relu: float
    memory_kind: str

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
    """One SGD step of a model per activation and implementation, relative to the ReLU model.

    On CUDA: ResNet-18 (CIFAR stem), batch 512, bf16 autocast, channels_last. On CPU:
    ``simple_cnn``, batch 64. Inputs are random, of the model's ``input_shape``, 10 classes (token
    models such as ``gpt``: random ids of a 10-token vocabulary, a target per position).

    Args:
        names: activations (registry names); the first row is always the ReLU baseline.
        device: ``"cpu"`` or ``"cuda"``.
        model / batch: override the defaults above.
        impls: implementations to time per activation (``"eager"``, ``"auto"``, ``"fused"``).
        steps: timed pairs (>= 1). warmup: untimed steps of each model first (>= 0).

    Raises:
        ValueError: a bad count or batch, an unknown model, activation or implementation.
    """
    check_counts(steps, warmup)
    if batch is not None and (not isinstance(batch, int) or batch < 1):
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    for name in names:
        for impl in impls:
            create_activation(name, impl=impl)  # unknown names and impls raise here, before any timing
    dev = torch.device(device)
    cuda = dev.type == "cuda"
    model = model or ("resnet18" if cuda else "simple_cnn")
    batch = batch or (512 if cuda else 64)
    gen = torch.Generator(device="cpu").manual_seed(0)
    info = model_info(model)
    x = info.example_input(batch, 10 if info.tokens else None, info.input_shape, gen).to(dev)
    y = torch.randint(0, 10, x.shape if info.tokens else (batch,), generator=gen).to(dev)
    if cuda and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)

    def build(act, impl: str):
        act_spec = act if impl == "native" else (act, {"impl": impl})
        net = create_model(model, num_classes=10, act=act_spec, **({"in_chans": 10} if info.tokens else {})).to(dev)
        if cuda and x.dim() == 4:
            # torch's stubs lack Module.to(memory_format=...), which it accepts at runtime
            net = net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)

        def step():
            opt.zero_grad(set_to_none=True)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cuda):
                loss = F.cross_entropy(net(x).flatten(0, -2), y.flatten())  # per position for token models
            loss.backward()
            opt.step()

        return net, step

    def memory(net, step) -> tuple[int, str]:
        if not cuda:
            return forward_saved_bytes(net, x), "cpu_saved_bytes"
        torch.cuda.synchronize(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        before = torch.cuda.memory_allocated(dev)
        step()
        torch.cuda.synchronize(dev)
        return int(torch.cuda.max_memory_allocated(dev) - before), "cuda_step_peak_bytes"

    base_net, base_step = build(torch.nn.ReLU, "native")
    base_step()  # first step allocates optimizer state: keep it out of the memory figure
    base_mem, kind = memory(base_net, base_step)

    def row(name: str, impl: str, net, step) -> ModelProfile:
        step()
        mem, _ = memory(net, step)
        r = paired_ratio(step, base_step, dev, steps, warmup)
        return ModelProfile(name, impl, model, device, batch, batch / r.candidate_s, r, mem,
                            mem / max(base_mem, 1), kind)

    out = [row(BASELINE_ROW, "native", base_net, base_step)]
    for name in names:
        for impl in impls:
            out.append(row(name, impl, *build(name, impl)))
    return out
