"""The model registry: ``create_model(name, ...)`` and ``list_models()``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from torch import nn

from ..registry import Registry

__all__ = ["ModelInfo", "register_model", "create_model", "list_models", "model_info", "MODELS"]


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


MODELS: Registry[ModelInfo] = Registry("model")


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
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering a public builder ``fn(num_classes=, in_chans=, act=, norm=, **kw)``."""

    def deco(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
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
        act: any activation form accepted by :func:`actlab.build_act`: a registry name, a
            ``(name, params)`` pair, an ``nn.Module`` class, a factory, or :func:`actlab.per_layer`.
            ``None`` keeps the builder's default (``"relu"`` for most families, ``"ada"`` for PyNADA).
        **kw: family-specific options (``norm``, ``width``, ``depth``, ``stochastic_depth``...).
    """
    info = MODELS.get(name)
    if in_chans is None:
        in_chans = info.input_shape[0]
    if act is not None:
        kw["act"] = act
    if num_classes is not None:
        kw["num_classes"] = num_classes
    return info.builder(in_chans=in_chans, **kw)


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a registered model (raises ``ValueError`` with suggestions)."""
    return MODELS.get(name)


def list_models(pattern: str | None = None) -> list[str]:
    return MODELS.names(pattern)
