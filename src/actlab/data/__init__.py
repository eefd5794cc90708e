"""Datasets as tensors (:func:`load_dataset` -> :class:`TensorData`) and batched transforms."""

from . import cifar, embedded, idx, imagefolder, svhn  # noqa: F401  (register the datasets)
from ._registry import (
    DATASETS,
    DatasetError,
    DatasetInfo,
    DatasetNotFoundError,
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
    "DatasetNotFoundError",
    "TensorData",
    "channel_stats",
    "dataset_info",
    "default_root",
    "list_datasets",
    "load_dataset",
    "register_dataset",
]
