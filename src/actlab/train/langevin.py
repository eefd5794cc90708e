"""Layer Langevin optimizers (Bras, arXiv 2212.14718; code bras-p/deep-layer-langevin).

Preconditioned Langevin dynamics add Gaussian noise scaled by the preconditioner to the base
update, with fresh ``xi ~ N(0, I)`` each step and ``lambda`` the preconditioner's epsilon:

* L-SGD: ``theta <- theta - eta g + sigma sqrt(eta) xi``
* L-RMSprop: ``v <- a v + (1-a) g^2``, ``P = 1/(lambda + sqrt(v))``,
  ``theta <- theta - eta P g + sigma sqrt(eta P) xi``
* L-Adam: ``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g^2``, ``P = 1/((1-b1^t)(lambda + sqrt(v/(1-b2^t))))``,
  ``theta <- theta - eta P m + sigma sqrt(eta P) xi``

Layer Langevin puts the noise only on the first ``floor(rho * L)`` layers counted from the input
(the "deepest" layers, far from the loss). Here a *layer* is a leaf module that owns parameters,
in registration order (:func:`model_layers`); the Keras code also counts weightless layers, so
the same ``rho`` can select slightly different sets. Param groups carry ``langevin=True/False``.

The noise level follows ``sigma_t = sigma_0 / sqrt(ln(e + t / decay_steps))`` when the group's
``sigma_decay_steps`` is set (``20 * steps_per_epoch`` in the paper), else it is constant;
``t`` counts the steps taken before the current one.

With ``sigma = 0`` every optimizer performs exactly the arithmetic of its PyTorch counterpart
(``torch.optim.SGD``, ``Adam`` and ``RMSprop`` in their single-tensor form, same operation
order), so results match bit for bit; ``eps`` plays the role of ``lambda`` (default 1e-6 as in
the paper, where PyTorch's defaults are 1e-8).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import nn

__all__ = [
    "LangevinSGD",
    "LangevinAdam",
    "LangevinRMSprop",
    "model_layers",
    "langevin_layer_groups",
    "langevin_sigma_at",
]


def model_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model's layers for Layer Langevin and reinitialization: leaf-level modules that own
    parameters directly (``recurse=False``), in registration order, from the input side."""
    return [(n, m) for n, m in model.named_modules() if any(True for _ in m.parameters(recurse=False))]


def langevin_layer_groups(model: nn.Module, rho: float) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """Splits parameters into (noisy, plain): the parameters of the first ``floor(rho * L)`` layers
    of :func:`model_layers` are noisy.

    Raises:
        ValueError: ``rho`` outside [0, 1].
    """
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"rho must be in [0, 1] (fraction of layers from the input), got {rho}")
    layers = model_layers(model)
    k = math.floor(rho * len(layers))
    noisy = [p for _, m in layers[:k] for p in m.parameters(recurse=False)]
    ids = {id(p) for p in noisy}
    plain = [p for p in model.parameters() if id(p) not in ids]
    return noisy, plain


def langevin_sigma_at(sigma0: float, t: int, decay_steps: float | None) -> float:
    """``sigma_t = sigma_0 / sqrt(ln(e + t / decay_steps))`` (constant when ``decay_steps`` is None)."""
    if decay_steps is None or sigma0 == 0.0:
        return sigma0
    return sigma0 / math.sqrt(math.log(math.e + t / decay_steps))


class _LangevinBase(torch.optim.Optimizer):
    """Shared noise logic: per-device generators seeded from ``seed``, or the given generator."""

    def __init__(self, params: Any, defaults: dict, seed: int | None, generator: torch.Generator | None) -> None:
        for k in ("lr", "sigma"):
            if defaults[k] < 0:
                raise ValueError(f"{type(self).__name__}: {k} must be >= 0, got {defaults[k]}")
        defaults.setdefault("langevin", True)
        defaults["t"] = 0  # steps taken, per group (saved in state_dict, so the sigma schedule resumes)
        super().__init__(params, defaults)
        self._seed = seed
        self._generators: dict[torch.device, torch.Generator] = {}
        if generator is not None:
            self._generators[torch.device(generator.device)] = generator

    def _generator(self, device: torch.device) -> torch.Generator | None:
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        if device not in self._generators:
            if self._seed is None:
                return None  # PyTorch's default generator, like dropout
            g = torch.Generator(device=device)
            g.manual_seed(self._seed)
            self._generators[device] = g
        return self._generators[device]

    def _noise_std(self, group: dict) -> float:
        if not group["langevin"]:
            return 0.0
        return langevin_sigma_at(group["sigma"], group["t"], group.get("sigma_decay_steps"))

    def _update(self, group: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _grads(group: dict) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """``(p, g)`` for each parameter with a gradient; ``g`` includes coupled weight decay."""
        wd = group["weight_decay"]
        for p in group["params"]:
            if p.grad is not None:
                yield p, (p.grad if wd == 0 else p.grad.add(p, alpha=wd))

    def _state(self, p: torch.Tensor, *buffers: str) -> dict:
        """``p``'s state with its step counter advanced; ``buffers`` start as zeros."""
        state = self.state[p]
        if not state:
            state["step"] = 0
            for name in buffers:
                state[name] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["step"] += 1
        return state

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        """One update of every group (``_update``), then the groups' step counters advance."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update(group)
        for group in self.param_groups:
            group["t"] += 1
        return loss

    def _add_noise(self, p: torch.Tensor, scale: torch.Tensor | float) -> None:
        """``p += scale * xi`` with ``xi ~ N(0, I)``; ``scale`` is ``sigma sqrt(eta P)``."""
        xi = torch.randn(p.shape, generator=self._generator(p.device), device=p.device, dtype=p.dtype)
        p.add_(xi.mul_(scale))


class LangevinSGD(_LangevinBase):
    """Langevin SGD: ``theta <- theta - eta d + sigma_t sqrt(eta) xi`` (Bras 2022), where ``d`` is
    the :class:`torch.optim.SGD` direction (gradient, plus weight decay and momentum if set).

    Args:
        params: parameters or param groups; a group with ``langevin=False`` gets no noise.
        lr: eta. sigma: sigma_0. sigma_decay_steps: decay time constant (None = constant).
        momentum, dampening, nesterov, weight_decay: as in ``torch.optim.SGD``.
        seed / generator: the noise source (``None`` for both: PyTorch's default generator).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 5e-3,
        sigma: float = 5e-3,
        *,
        sigma_decay_steps: float | None = None,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires momentum > 0 and dampening = 0")
        defaults = dict(lr=lr, sigma=sigma, sigma_decay_steps=sigma_decay_steps, momentum=momentum,
                        dampening=dampening, nesterov=nesterov, weight_decay=weight_decay)
        super().__init__(params, defaults, seed, generator)

    def _update(self, group: dict) -> None:
        lr, mom, damp = group["lr"], group["momentum"], group["dampening"]
        sigma = self._noise_std(group)
        for p, d_p in self._grads(group):
            if mom != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = torch.clone(d_p).detach()
                    state["momentum_buffer"] = buf
                else:
                    buf.mul_(mom).add_(d_p, alpha=1 - damp)
                d_p = d_p.add(buf, alpha=mom) if group["nesterov"] else buf
            p.add_(d_p, alpha=-lr)
            if sigma > 0:
                self._add_noise(p, sigma * math.sqrt(lr))


class LangevinRMSprop(_LangevinBase):
    """Langevin RMSprop (Bras 2022): ``v <- alpha v + (1-alpha) g^2``, ``P = 1/(eps + sqrt(v))``,
    ``theta <- theta - eta P g + sigma_t sqrt(eta P) xi``.

    Args:
        params: parameters or param groups (``langevin=False`` groups get no noise).
        lr: eta. sigma: sigma_0. alpha: 0.9 as in the paper (PyTorch's default is 0.99).
        eps: lambda, 1e-6 as in the paper. weight_decay: coupled, as ``torch.optim.RMSprop``.
        sigma_decay_steps, seed, generator: as :class:`LangevinSGD`.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 5e-3,
        sigma: float = 5e-3,
        *,
        alpha: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        sigma_decay_steps: float | None = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        defaults = dict(lr=lr, sigma=sigma, sigma_decay_steps=sigma_decay_steps, alpha=alpha, eps=eps,
                        weight_decay=weight_decay)
        super().__init__(params, defaults, seed, generator)

    def _update(self, group: dict) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        sigma = self._noise_std(group)
        for p, grad in self._grads(group):
            square_avg = self._state(p, "square_avg")["square_avg"]
            square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
            avg = square_avg.sqrt().add_(eps)  # 1 / P
            p.addcdiv_(grad, avg, value=-lr)
            if sigma > 0:
                self._add_noise(p, avg.reciprocal_().mul_(lr).sqrt_().mul_(sigma))


class LangevinAdam(_LangevinBase):
    """Langevin Adam (Bras 2022): with bias-corrected moments,
    ``P = 1/((1-b1^t)(eps + sqrt(v/(1-b2^t))))`` and ``theta <- theta - eta P m + sigma_t sqrt(eta P) xi``.

    Args:
        params: parameters or param groups (``langevin=False`` groups get no noise).
        lr: eta. sigma: sigma_0. betas: (0.9, 0.999). eps: lambda, 1e-6 as in the paper.
        weight_decay: coupled L2 as ``torch.optim.Adam``.
        sigma_decay_steps, seed, generator: as :class:`LangevinSGD`.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 5e-3,
        sigma: float = 5e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        sigma_decay_steps: float | None = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        defaults = dict(lr=lr, sigma=sigma, sigma_decay_steps=sigma_decay_steps, betas=tuple(betas), eps=eps,
                        weight_decay=weight_decay)
        super().__init__(params, defaults, seed, generator)

    def _update(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        sigma = self._noise_std(group)
        for p, grad in self._grads(group):
            state = self._state(p, "exp_avg", "exp_avg_sq")
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = float(state["step"])
            step_size = lr / (1 - beta1**step)
            denom = (exp_avg_sq.sqrt() / (1 - beta2**step) ** 0.5).add_(eps)
            p.addcdiv_(exp_avg, denom, value=-step_size)  # eta P m, P m = m / ((1-b1^t) denom)
            if sigma > 0:
                self._add_noise(p, denom.reciprocal_().mul_(step_size).sqrt_().mul_(sigma))
