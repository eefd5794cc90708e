"""The model registry: ``create_model(name, ...)`` and ``list_models()``."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import nn

from ..errors import UserError
from ..registry import Registry

__all__ = ["ModelArgumentError", "ModelInfo", "register_model", "create_model", "list_models", "model_info", "MODELS"]


class ModelArgumentError(UserError, ValueError):
    """A keyword argument the model's builder does not take; the message lists the valid ones."""


@dataclass(frozen=True)
class ModelInfo:
    """What the tests and the benchmark need to know about a model builder.

    Args:
        name: registry name.
        family: the family file it lives in (``"resnet_cifar"``).
        paper: citation string.
        input_shape: default per-sample input shape (C, H, W) / (C, L) / (F,).
        test_shape: a tiny per-sample shape that still builds and runs (for the default test run).
        test_kwargs: builder kwargs that make it tiny for tests (width, depth, ...).
        has_activation: False for models whose nonlinearity is fixed by design (none so far).
        act_kwargs: the builder keywords that take an activation spec (``("act",)``; PyNADA also
            has ``"basal_act"``). Tests and surgery use it to reach every activation role.
        tokens: the model reads int64 token ids of shape ``(B, T)`` and returns per-position
            logits ``(B, T, num_classes)`` (the transformer ``gpt``); ``in_chans`` is then its
            input vocabulary and ``input_shape`` is ``(T,)``, the sequence length.
    """

    name: str
    family: str
    paper: str
    input_shape: tuple[int, ...]
    test_shape: tuple[int, ...]
    test_kwargs: dict
    builder: Callable[..., nn.Module]
    has_activation: bool = True
    act_kwargs: tuple[str, ...] = ("act",)
    tokens: bool = False

    def example_input(
        self,
        batch: int,
        in_chans: int | None = None,
        shape: tuple[int, ...] | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """A random input batch this model accepts.

        Args:
            batch: number of samples.
            in_chans: channels (features) of a float model, replacing ``shape[0]``; for a token
                model, the vocabulary: ids are drawn uniformly from ``[0, in_chans)``
                (default ``shape[0]``, the convention of the tiny test models).
            shape: per-sample shape (default ``test_shape``).
            generator: the random stream (``None``: PyTorch's global one).

        Returns:
            ``N(0, 1)`` float32 inputs of shape ``(batch, *shape)``, or int64 ids ``(batch, T)``.
        """
        shape = tuple(shape or self.test_shape)
        if self.tokens:
            vocab = in_chans if in_chans is not None else shape[0]
            return torch.randint(0, vocab, (batch, *shape), generator=generator)
        if in_chans is not None:
            shape = (in_chans, *shape[1:])
        return torch.randn(batch, *shape, generator=generator)

    def arguments(self) -> list[str] | None:
        """The keyword arguments the builder takes, in signature order.

        ``None`` when the builder takes ``**kw`` (a user's builder forwarding to something else):
        then any keyword may be valid and :func:`create_model` leaves the check to the builder.
        Wrappers made with ``functools.wraps`` report the wrapped builder's arguments.
        """
        params = inspect.signature(self.builder).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return None
        return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


MODELS: Registry[ModelInfo] = Registry("model")

B = TypeVar("B", bound=Callable[..., nn.Module])  # a builder keeps its own signature when registered


def register_model(
    name: str,
    *,
    family: str,
    paper: str,
    input_shape: tuple[int, ...],
    test_shape: tuple[int, ...] | None = None,
    test_kwargs: dict | None = None,
    has_activation: bool = True,
    act_kwargs: tuple[str, ...] = ("act",),
    tokens: bool = False,
) -> Callable[[B], B]:
    """Decorator registering a public builder ``fn(num_classes=, in_chans=, act=, norm=, ...)``.

    Name every keyword in the builder's signature (no ``**kw``): :func:`create_model` checks the
    keywords it is given against that signature and suggests the closest ones for a typo.
    """

    def deco(fn: B) -> B:
        MODELS.add(
            name,
            ModelInfo(
                name=name,
                family=family,
                paper=paper,
                input_shape=tuple(input_shape),
                test_shape=tuple(test_shape or input_shape),
                test_kwargs=dict(test_kwargs or {}),
                builder=fn,
                has_activation=has_activation,
                act_kwargs=tuple(act_kwargs),
                tokens=tokens,
            ),
        )
        return fn

    return deco


def create_model(
    name: str, num_classes: int | None = None, in_chans: int | None = None, act: Any = None, **kw: Any
) -> nn.Module:
    """Builds a registered model.

    Args:
        name: registry name (``"resnet20"``, ``"wrn16_8"``).
        num_classes: size of the classifier head; ``None`` keeps the builder's default (10 for
            most families, 100 for ``simple_cnn``, 2 for ``damage_cnn`` and ``single_neuron``).
        in_chans: input channels (features for MLPs); defaults to the model's ``input_shape[0]``.
            For token models (``model_info(name).tokens``, e.g. ``gpt``) it is the vocabulary
            size and defaults to the builder's own default.
        act: any activation form accepted by :func:`actlab.build_act`: a registry name, a
            ``(name, params)`` pair, an ``nn.Module`` class, a factory, or :func:`actlab.per_layer`.
            ``None`` keeps the builder's default (``"relu"`` for most families, ``"ada"`` for PyNADA).
        **kw: family-specific options (``norm``, ``width``, ``depth``, ``stochastic_depth``...);
            ``model_info(name).arguments()`` lists them and the builder's docstring explains them.

    Raises:
        ValueError: unknown name, or a keyword the builder does not take (with the closest valid
            keywords and the full list).
    """
    info = MODELS.get(name)
    if act is not None:
        kw["act"] = act
    if num_classes is not None:
        kw["num_classes"] = num_classes
    _check_arguments(info, kw)
    if in_chans is None and info.tokens:
        return info.builder(**kw)  # the vocabulary is the builder's default, not input_shape[0] = T
    if in_chans is None:
        in_chans = info.input_shape[0]
    return info.builder(in_chans=in_chans, **kw)


def _check_arguments(info: ModelInfo, kw: dict[str, Any]) -> None:
    valid = info.arguments()
    if valid is None:
        return
    bad = [k for k in kw if k not in valid]
    if not bad:
        return
    hints = []
    for k in bad:
        close = difflib.get_close_matches(k, valid, n=3, cutoff=0.5)
        hints.append(f"{k!r}" + (f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""))
    raise ModelArgumentError(
        f"model {info.name!r} does not take the keyword argument(s) {', '.join(hints)}; "
        f"valid arguments: {', '.join(valid)}"
    )


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a registered model (raises ``ValueError`` with suggestions)."""
    return MODELS.get(name)


def list_models(pattern: str | None = None) -> list[str]:
    """Sorted registry names, optionally filtered by a shell-style pattern (``"resnet*"``)."""
    return MODELS.names(pattern)
