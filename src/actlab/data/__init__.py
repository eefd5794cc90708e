"""Datasets as tensors (:func:`load_dataset` -> :class:`TensorData`) and batched transforms."""

from . import cifar, embedded, idx, imagefolder, sequences, svhn  # noqa: F401  (register the datasets)
from ._registry import (
    DATASETS,
    IGNORE_INDEX,
    DatasetArgumentError,
    DatasetError,
    DatasetInfo,
    DatasetNotFoundError,
    TensorData,
    channel_stats,
    dataset_arguments,
    dataset_info,
    default_root,
    list_datasets,
    load_dataset,
    register_dataset,
)
from .transforms import (
    Compose,
    GaussianBlur,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    gaussian_kernel1d,
    transform_dataset,
)

__all__ = [
    "Compose",
    "GaussianBlur",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "gaussian_kernel1d",
    "transform_dataset",
    "DATASETS",
    "IGNORE_INDEX",
    "DatasetArgumentError",
    "DatasetError",
    "DatasetInfo",
    "DatasetNotFoundError",
    "TensorData",
    "channel_stats",
    "dataset_arguments",
    "dataset_info",
    "default_root",
    "list_datasets",
    "load_dataset",
    "register_dataset",
]
