"""Spiking ResNet: leaky integrate-and-fire neurons, surrogate gradients, one BatchNorm per time step.

Vicente-Sola, Manna, Kirkland, Di Caterina & Bihl, "Keys to accurate feature extraction using
residual spiking neural networks", Neuromorph. Comput. Eng. 2:044001 (2022), arXiv 2111.05955.

The network has no conventional activation site: its only nonlinearity is the spike of the LIF
neuron, which is part of the architecture (as the squash is of a capsule network). It is therefore
registered with ``has_activation=False`` and its builder refuses an ``act``; the spike's surrogate
gradient is chosen with ``surrogate_scale``.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn

from ._common import NormFactory, make_norm
from ._registry import register_model

__all__ = ["SpikeFunction", "spike", "bntt_norm", "LIFConv", "SpikingBlock", "SpikingResNet", "spiking_resnet"]


# ---------------------------------------------------------------------------------- helpers
class SpikeFunction(torch.autograd.Function):
    r"""Heaviside spike with a triangular surrogate gradient.

    Forward: :math:`s = H(m)` (1 where :math:`m > 0`). Backward:
    :math:`\partial s / \partial m \approx \text{scale} \cdot \max(0, 1 - |m|)`, i.e. 0.3 at
    :math:`m = 0` and zero for :math:`|m| \ge 1` (scale 0.3 in the authors' code).
    """

    @staticmethod
    def forward(ctx: Any, m: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(m)
        ctx.scale = scale
        return (m > 0).to(m.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (m,) = ctx.saved_tensors
        return grad * ctx.scale * torch.clamp(1.0 - m.abs(), min=0.0), None


def spike(m: torch.Tensor, scale: float = 0.3) -> torch.Tensor:
    """``H(m)`` forward, ``scale * max(0, 1 - |m|)`` backward (see :class:`SpikeFunction`)."""
    return SpikeFunction.apply(m, scale)


def bntt_norm(num_features: int) -> nn.Module:
    """The paper's per-time-step BatchNorm: ``BatchNorm2d(eps=1e-4, momentum=0.1, affine=True)``.

    The authors' code tries to switch BN biases off through an attribute of the containing list,
    which has no effect, so the biases stay trainable; we keep them, as trained.
    """
    return nn.BatchNorm2d(num_features, eps=1e-4, momentum=0.1)


# ---------------------------------------------------------------------------------- layers
class LIFConv(nn.Module):
    r"""A 3x3 convolution feeding leaky integrate-and-fire neurons, one norm layer per time step.

    Per time step :math:`t`: :math:`u_t = \lambda u_{t-1} + \mathrm{BN}_t(\mathrm{conv}(x_t))`,
    :math:`s_t = H(u_t/\theta - 1)`, then reset by subtraction :math:`u_t \leftarrow u_t - \theta s_t`.
    As in the authors' code the reset term is not differentiated.

    Args:
        in_chans / out_chans: channels. stride: convolution stride.
        time_steps: T, the number of per-step norm layers.
        norm: factory for the per-step norm layers (``None``: no normalisation).
        leak: membrane leak :math:`\lambda`. threshold: firing threshold :math:`\theta`.
        surrogate_scale: peak of the triangular surrogate gradient.
    """

    def __init__(
        self, in_chans: int, out_chans: int, stride: int, time_steps: int, norm: NormFactory,
        leak: float, threshold: float, surrogate_scale: float,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_chans, out_chans, 3, stride=stride, padding=1, bias=False)
        self.bntt = nn.ModuleList([make_norm(norm, out_chans) for _ in range(time_steps)])
        self.leak, self.threshold, self.surrogate_scale = leak, threshold, surrogate_scale

    def step(self, x: torch.Tensor, u: torch.Tensor | None, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """One time step: input spikes (or the image) and membrane -> output spikes, new membrane."""
        current = self.bntt[t](self.conv(x))
        u = current if u is None else self.leak * u + current
        m = u / self.threshold - 1.0
        s = spike(m, self.surrogate_scale)
        u = u - self.threshold * (m > 0).to(u.dtype)  # reset by subtraction (constant, not differentiated)
        return s, u


class SpikingBlock(nn.Module):
    """Two LIF convolutions; the skip path's spikes are added to the output spikes (sums may exceed 1).

    A downsampling block's skip is a 1x1 stride-2 convolution followed by per-step norm layers; its
    (analog) output is added without firing, as in the authors' code.
    """

    def __init__(
        self, in_chans: int, out_chans: int, stride: int, time_steps: int, norm: NormFactory, **lif: Any
    ) -> None:
        super().__init__()
        self.lif1 = LIFConv(in_chans, out_chans, stride, time_steps, norm, **lif)
        self.lif2 = LIFConv(out_chans, out_chans, 1, time_steps, norm, **lif)
        self.downsample = stride != 1 or in_chans != out_chans
        if self.downsample:
            self.skip_conv = nn.Conv2d(in_chans, out_chans, 1, stride=stride, bias=False)
            self.skip_bntt = nn.ModuleList([make_norm(norm, out_chans) for _ in range(time_steps)])

    def step(self, s: torch.Tensor, state: tuple, t: int) -> tuple[torch.Tensor, tuple]:
        s1, u1 = self.lif1.step(s, state[0], t)
        s2, u2 = self.lif2.step(s1, state[1], t)
        skip = self.skip_bntt[t](self.skip_conv(s)) if self.downsample else s
        return s2 + skip, (u1, u2)


# ---------------------------------------------------------------------------------- network
class SpikingResNet(nn.Module):
    """Spiking ResNet: LIF stem, three stages of ``n`` two-convolution blocks, voltage readout.

    The image drives the stem directly at every time step (direct encoding). The readout is a
    bias-free linear layer whose membrane accumulates over the T steps without firing; the logits
    are the mean voltage, ``sum_t fc(pool(s_t)) / T``.

    Args:
        num_classes: outputs. in_chans: image channels.
        n: blocks per stage (2n convolutions; the network has 6n + 1 spiking convolutions).
        width: channels of the first stage (F = nFilters); stages use F, 2F, 4F.
        time_steps: T.
        norm: factory for the per-step norm layers.
        leak: membrane leak. threshold: firing threshold. surrogate_scale: surrogate gradient peak.
    """

    def __init__(
        self, num_classes: int, in_chans: int, n: int, width: int, time_steps: int, norm: NormFactory,
        leak: float, threshold: float, surrogate_scale: float,
    ) -> None:
        super().__init__()
        if n < 1 or width < 1 or time_steps < 1:
            raise ValueError(
                f"spiking_resnet needs n, width, time_steps >= 1; got n={n}, width={width}, T={time_steps}"
            )
        lif = dict(leak=leak, threshold=threshold, surrogate_scale=surrogate_scale)
        self.time_steps = time_steps
        self.stem = LIFConv(in_chans, width, 1, time_steps, norm, **lif)
        blocks, c = [], width
        for stage in range(3):
            out = width * 2**stage
            for b in range(n):
                blocks.append(SpikingBlock(c, out, 2 if stage > 0 and b == 0 else 1, time_steps, norm, **lif))
                c = out
        self.blocks = nn.ModuleList(blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes, bias=False)
        for m in self.modules():  # the authors' init: Xavier-uniform with gain 2 on convs and the readout
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight, gain=2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u_stem, states = None, [(None, None)] * len(self.blocks)
        voltage = None
        for t in range(self.time_steps):
            s, u_stem = self.stem.step(x, u_stem, t)
            for i, block in enumerate(self.blocks):
                s, states[i] = cast(SpikingBlock, block).step(s, states[i], t)
            v = self.fc(torch.flatten(self.pool(s), 1))
            voltage = v if voltage is None else voltage + v
        assert voltage is not None  # time_steps >= 1, checked in __init__
        return voltage / self.time_steps


@register_model(
    "spiking_resnet",
    family="spiking_resnet",
    paper="Vicente-Sola et al., Keys to accurate feature extraction using residual spiking neural networks, "
    "Neuromorph. Comput. Eng. 2022 (arXiv 2111.05955)",
    input_shape=(3, 32, 32),
    test_shape=(3, 8, 8),
    test_kwargs={"n": 1, "width": 4, "time_steps": 2},
    has_activation=False,
    act_kwargs=(),
)
def spiking_resnet(
    num_classes: int = 10, in_chans: int = 3, act: Any = None, norm: NormFactory = bntt_norm,
    n: int = 6, width: int = 32, time_steps: int = 50, leak: float = 0.8744, threshold: float = 1.0,
    surrogate_scale: float = 0.3,
) -> SpikingResNet:
    """Spiking ResNet of Vicente-Sola et al. 2022 (arXiv 2111.05955), CIFAR form.

    Defaults follow the authors' code and README: n = 6, F = 32, T = 50, leak 0.8744 (README
    command; the argparse default is 0.874, the class default 0.95), threshold 1, surrogate peak 0.3,
    BatchNorm per time step (eps 1e-4). Which depth/width gave the paper's best numbers is unconfirmed.
    Recipe: SGD lr 0.026844, momentum 0.9, wd 1e-4, 70 epochs, lr / 10 after epochs 49, 56, 63.
    Not implemented: Poisson input encoding and the "boosting" readout (10 units per class).

    Args:
        num_classes: outputs. in_chans: image channels.
        act: must be ``None``: the network's nonlinearity is the LIF spike (``has_activation=False``).
        norm: per-time-step norm factory (default :func:`bntt_norm`; ``None``: none).
        n: blocks per stage. width: first-stage channels. time_steps: T.
        leak: membrane leak. threshold: firing threshold. surrogate_scale: surrogate gradient peak.
    """
    if act is not None:
        raise ValueError(
            "spiking_resnet has no activation site: its nonlinearity is the LIF spike of the architecture "
            "(choose its surrogate gradient with surrogate_scale=); leave act unset"
        )
    return SpikingResNet(num_classes, in_chans, n, width, time_steps, norm, leak, threshold, surrogate_scale)
