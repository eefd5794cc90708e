"""Datasets as tensors (:func:`load_dataset` -> :class:`TensorData`) and batched transforms."""

from . import embedded  # noqa: F401  (registers the embedded datasets)
from ._registry import (
    DATASETS,
    DatasetError,
    DatasetInfo,
    TensorData,
    channel_stats,
    dataset_info,
    default_root,
    list_datasets,
    load_dataset,
    register_dataset,
)

__all__ = [
    "DATASETS",
    "DatasetError",
    "DatasetInfo",
    "TensorData",
    "channel_stats",
    "dataset_info",
    "default_root",
    "list_datasets",
    "load_dataset",
    "register_dataset",
]
