"""Derived datasets the claim studies need, registered in the dataset registry on import.

* ``m5k_0to4`` / ``m5k_5to9``: the mnist5k images of digits 0-4 / 5-9 (``5to9`` relabelled
  0-4), 2000/500 each: a source and a target task for the transfer studies (PVLU fine-tuning,
  Kornblith et al.) with the same input size and no shared classes.
* ``digits_subset``: a class-balanced subset of the 8x8 digits training split (``n_per_class``
  samples per class, chosen with ``subset_seed``); the test split is the full digits test split.
  The small-training-set setting of layer-wise reinitialization.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from ..data import TensorData, load_dataset, register_dataset

__all__ = ["class_subset", "balanced_subset"]


def class_subset(data: TensorData, classes: tuple[int, ...], name: str) -> TensorData:
    """The samples of ``data`` whose label is in ``classes``, relabelled ``0 .. len(classes) - 1``."""
    keep = torch.isin(data.y, torch.tensor(classes))
    remap = torch.full((data.num_classes,), -1, dtype=torch.int64)
    remap[torch.tensor(classes)] = torch.arange(len(classes))
    return dataclasses.replace(data, name=name, x=data.x[keep], y=remap[data.y[keep]], num_classes=len(classes),
                               classes=tuple(data.classes[c] for c in classes), mean=None, std=None)


def balanced_subset(data: TensorData, n_per_class: int, seed: int, name: str) -> TensorData:
    """``n_per_class`` samples of every class of ``data``, drawn with ``numpy.random.default_rng(seed)``.

    Raises:
        ValueError: a class has fewer than ``n_per_class`` samples, or ``n_per_class < 1``.
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be >= 1, got {n_per_class}")
    rng = np.random.default_rng(seed)
    y = data.y.numpy()
    idx = []
    for c in range(data.num_classes):
        members = np.flatnonzero(y == c)
        if len(members) < n_per_class:
            raise ValueError(f"{data.name}: class {c} has {len(members)} samples, fewer than n_per_class={n_per_class}")
        idx.append(rng.permutation(members)[:n_per_class])
    sel = torch.from_numpy(np.sort(np.concatenate(idx)))
    return dataclasses.replace(data, name=name, x=data.x[sel], y=data.y[sel], mean=None, std=None)


@register_dataset("m5k_0to4", splits=("train", "test"), on_disk=False,
                  description="mnist5k digits 0-4 (claims transfer source), 2000/500")
def load_m5k_0to4(root: None, split: str) -> TensorData:
    """mnist5k restricted to digits 0-4."""
    return class_subset(load_dataset("mnist5k", split=split), (0, 1, 2, 3, 4), "m5k_0to4")


@register_dataset("m5k_5to9", splits=("train", "test"), on_disk=False,
                  description="mnist5k digits 5-9 relabelled 0-4 (claims transfer target), 2000/500")
def load_m5k_5to9(root: None, split: str) -> TensorData:
    """mnist5k restricted to digits 5-9, relabelled 0-4."""
    return class_subset(load_dataset("mnist5k", split=split), (5, 6, 7, 8, 9), "m5k_5to9")


@register_dataset("digits_subset", splits=("train", "test"), on_disk=False,
                  description="8x8 digits with n_per_class training samples per class (full test split)")
def load_digits_subset(root: None, split: str, n_per_class: int = 10, subset_seed: int = 0) -> TensorData:
    """The digits training split cut to ``n_per_class`` samples per class; the test split unchanged."""
    data = load_dataset("digits", split=split)
    if split != "train":
        return dataclasses.replace(data, name="digits_subset")
    return balanced_subset(data, n_per_class, subset_seed, "digits_subset")
