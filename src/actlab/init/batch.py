"""What AutoInit needs before it looks at any layer: the input it feeds the model (drawn, or the
user's own batch as given), and the model's state kept around its passes.

* :func:`resolve_input` turns ``example_input`` / ``input_shape`` / ``input_dtype`` into an
  :class:`InputSpec`. A given batch is used as it is (values, dtype); a float ``input_dtype`` (the
  default) draws ``N(input_mean, input_var)``; an integer one draws token ids uniformly in
  ``[0, num_embeddings)`` of the model's first ``nn.Embedding``.
* :func:`preserved_state` runs the passes in AutoInit's regime (norms and dropout in training mode,
  everything else in eval mode) and restores every module's mode with ``.train(mode)`` -- so the
  modules that keep mode-dependent caches (timm LeViT's attention biases) rebuild them -- with the
  buffers and the RNG; if the block raises, the parameters are restored too, so a failed call
  leaves the model as it was.
* :func:`batch_generator`: the batch is drawn from a stream derived from ``seed`` by hashing, never
  ``manual_seed(seed)`` itself, which a user is likely to pass as the weights' generator: a batch
  equal to the first weight rows would correlate weights and inputs (measured: a 5-layer GELU MLP
  came out at 0.16-0.26 x target on a fresh batch when both were seeded 0, 0.96-0.99 once apart).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "InputSpec", "TRAIN_KINDS", "batch_generator", "embedding_guard", "preserved_state", "resolve_input",
    "sample_batch",
]  # fmt: skip

TRAIN_KINDS = (
    nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm,
    nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
)  # fmt: skip


def batch_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator for AutoInit's sample batches, seeded by a hash of ``seed`` (see module doc)."""
    digest = hashlib.blake2b(f"actlab.init.batch:{int(seed)}".encode(), digest_size=8).digest()
    return torch.Generator(device).manual_seed(int.from_bytes(digest, "little") >> 1)


def _device_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    p = next(iter(model.parameters()), None)
    return (p.device, p.dtype) if p is not None else (torch.device("cpu"), torch.float32)


def sample_batch(
    shape: tuple[int, ...], batch_size: int, mean: float, var: float, seed: int, like: nn.Module
) -> torch.Tensor:
    """A seeded ``N(mean, var)`` batch of ``(batch_size, *shape)`` on ``like``'s device and dtype.

    Raises:
        ValueError: ``batch_size < 2`` (the measured variances would be NaN).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 2:
        raise ValueError(f"batch_size must be an int >= 2 (a variance needs two samples), got {batch_size!r}")
    device, dtype = _device_dtype(like)
    x = mean + math.sqrt(var) * torch.randn(batch_size, *shape, generator=batch_generator(seed))
    return x.to(device=device, dtype=dtype)


@dataclass(frozen=True)
class InputSpec:
    """How AutoInit builds its input batches.

    Attributes:
        shape: per-sample shape. dtype: ``None`` (the model's float dtype) or an integer dtype.
        given: the user's batch, used as given (then no batch is drawn).
        vocab: token ids are drawn in ``[0, vocab)`` (integer dtypes).
    """

    shape: tuple[int, ...]
    dtype: torch.dtype | None = None
    given: torch.Tensor | None = None
    vocab: int = 0

    def batch(self, model: nn.Module, batch_size: int, mean: float, var: float, seed: int) -> torch.Tensor:
        device, _ = _device_dtype(model)
        if self.given is not None:
            return self.given.to(device)
        if self.dtype is None:
            return sample_batch(self.shape, batch_size, mean, var, seed, model)
        ids = torch.randint(0, self.vocab, (batch_size, *self.shape), generator=batch_generator(seed))
        return ids.to(device=device, dtype=self.dtype)


def resolve_input(
    model: nn.Module,
    example_input: torch.Tensor | None,
    input_shape: tuple[int, ...] | None,
    input_dtype: torch.dtype | None,
) -> InputSpec:
    """The :class:`InputSpec` of a call (see module doc); ``ValueError`` saying what to pass."""
    if example_input is None and input_shape is None:
        raise ValueError(
            "AutoInit needs an input batch or the input shape: pass example_input (a batch, used as given) or "
            "input_shape (per sample, "
            "e.g. (3, 32, 32); with input_dtype=torch.long for token ids); for registered models use "
            "actlab.models.model_info(name).input_shape"
        )
    if example_input is not None:
        if not isinstance(example_input, torch.Tensor) or example_input.dim() < 1:
            raise ValueError(
                f"example_input must be a batched tensor (N, ...), got {getattr(example_input, 'shape', example_input)}"
            )
        shape = tuple(example_input.shape[1:])
        if input_shape is not None and tuple(input_shape) != shape:
            raise ValueError(
                f"example_input has per-sample shape {shape} but input_shape={tuple(input_shape)}; pass one of them"
            )
        if input_dtype is not None and example_input.dtype != input_dtype:
            raise ValueError(
                f"example_input has dtype {example_input.dtype} but input_dtype={input_dtype}; pass one of them"
            )
        return InputSpec(shape, None if example_input.is_floating_point() else example_input.dtype, example_input)
    assert input_shape is not None  # one of the two, checked above
    shape = tuple(int(s) for s in input_shape)
    if input_dtype is None or input_dtype.is_floating_point:
        if input_dtype not in (None, _device_dtype(model)[1]):
            raise ValueError(f"input_dtype={input_dtype} differs from the model's parameters' dtype; leave it None")
        return InputSpec(shape)
    if input_dtype.is_complex or input_dtype == torch.bool:
        raise ValueError(f"input_dtype must be a float or an integer dtype (token ids), got {input_dtype}")
    emb = next((m for m in model.modules() if isinstance(m, nn.Embedding)), None)
    if emb is None:
        raise ValueError(
            f"input_dtype={input_dtype} asks for token ids, but the model has no nn.Embedding to size them by; "
            "pass example_input (a batch of valid ids) instead"
        )
    return InputSpec(shape, input_dtype, vocab=int(emb.num_embeddings))


def _set_modes(model: nn.Module, modes: dict[nn.Module, bool]) -> None:
    """Each module's mode through its own ``.train(mode)``, parents first (children then override)."""
    model.train()  # every module passes through training mode once: mode-dependent caches are dropped
    for m in model.modules():
        if m in modes:
            m.train(modes[m])


@contextlib.contextmanager
def preserved_state(model: nn.Module, seed: int) -> Iterator[None]:
    """The regime AutoInit models; modes, buffers and the RNG are restored afterwards, and the
    parameters too if the block raises.

    Norm and dropout layers are in training mode (batch statistics, masks), every other module in
    eval mode, so stochastic depth runs every block scaled by its survival probability instead of a
    random subset; the RNG is forked and seeded with ``seed``.
    """
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    params = [(p, p.detach().clone()) for p in model.parameters()]
    modes = {m: m.training for m in model.modules()}
    p = next(iter(model.parameters()), None)
    devices = [p.device.index or 0] if p is not None and p.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        torch.manual_seed(seed)
        _set_modes(model, {m: isinstance(m, TRAIN_KINDS) for m in modes})
        ok = False
        try:
            yield
            ok = True
        finally:
            if not ok:
                for t, saved in params:
                    t.copy_(saved)
            for b, saved in buffers:
                b.copy_(saved)
            _set_modes(model, modes)


@contextlib.contextmanager
def embedding_guard(model: nn.Module) -> Iterator[None]:
    """Turns a float batch reaching an ``nn.Embedding`` into a ``ValueError`` that says what to pass."""
    names = {m: n for n, m in model.named_modules()}

    def check(m: nn.Module, args: tuple) -> None:
        x = args[0] if args else None
        if isinstance(x, torch.Tensor) and (x.is_floating_point() or x.is_complex()):
            raise ValueError(
                f"AutoInit fed a {x.dtype} batch of shape {tuple(x.shape)} to the embedding {names[m] or 'model'!r} "
                f"(nn.Embedding({m.num_embeddings}, {m.embedding_dim})): the model reads token ids. Pass "
                "input_dtype=torch.long with input_shape (ids are drawn in range of the first embedding), or "
                "example_input=<a batch of token ids>"
            )

    handles = [m.register_forward_pre_hook(check) for m in names if isinstance(m, nn.Embedding)]
    try:
        yield
    finally:
        for h in handles:
            h.remove()
