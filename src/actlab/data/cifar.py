"""CIFAR-10 and CIFAR-100 from the "python version" archives (pickled batches), read directly.

Layouts (Krizhevsky 2009, https://www.cs.toronto.edu/~kriz/cifar.html):

* ``cifar10``: ``<root>/cifar-10-batches-py/{data_batch_1..5, test_batch}``, each a pickled dict
  with ``data`` (N x 3072 uint8, channel-major 3 x 32 x 32) and ``labels``.
* ``cifar100``: ``<root>/cifar-100-python/{train, test, meta}`` with ``fine_labels`` and
  ``coarse_labels``; ``meta`` holds ``fine_label_names`` / ``coarse_label_names``.

The batch folder itself may also be passed as ``root``. x is float32 ``(N, 3, 32, 32)`` in
[0, 1]; ``mean`` / ``std`` are the real train sets' per-channel statistics.

The files are pickles; they are read with an unpickler that only admits plain containers and
numpy arrays, so a tampered file cannot run code.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._files import find_file, read_bytes
from ._registry import DatasetError, TensorData, register_dataset

__all__ = ["CIFAR10_CLASSES", "read_cifar_pickle"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_STATS = ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))
CIFAR100_STATS = ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762))

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file")
        return super().find_class(module, name)


def read_cifar_pickle(path: Path, dataset: str, layout: str) -> dict[str, Any]:
    """One CIFAR pickle as a dict with ``str`` keys (Python 2 ``bytes`` keys are decoded)."""
    try:
        obj = _ArrayUnpickler(io.BytesIO(read_bytes(path, dataset, layout)), encoding="bytes").load()
    except DatasetError:
        raise
    except Exception as e:  # any unpickling failure means a corrupt or foreign file
        raise DatasetError(f"{dataset}: {path} is not a readable CIFAR pickle ({e}); expected layout: {layout}") from e
    if not isinstance(obj, dict):
        raise DatasetError(
            f"{dataset}: {path} holds a {type(obj).__name__}, expected a dict; expected layout: {layout}"
        )
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _field(d: dict[str, Any], key: str, path: Path, dataset: str) -> Any:
    if key not in d:
        raise DatasetError(f"{dataset}: {path} has no {key!r} entry (keys: {sorted(d)}); is it the right file?")
    return d[key]


def _stack(batches: list[tuple[Path, dict]], label_key: str, dataset: str, num_classes: int):
    xs, ys = [], []
    for path, d in batches:
        data = np.asarray(_field(d, "data", path, dataset))
        labels = np.asarray(_field(d, label_key, path, dataset), dtype=np.int64)
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
            raise DatasetError(
                f"{dataset}: {path} has data {data.dtype}{data.shape} and {len(labels)} labels; "
                f"expected uint8 (N, 3072) and N labels"
            )
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise DatasetError(f"{dataset}: {path} has labels outside [0, {num_classes})")
        xs.append(data)
        ys.append(labels)
    x = torch.from_numpy(np.concatenate(xs).reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    return x, torch.from_numpy(np.concatenate(ys))


def _names(meta: dict[str, Any], key: str, path: Path, dataset: str) -> tuple[str, ...]:
    return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in _field(meta, key, path, dataset))


@register_dataset(
    "cifar10", splits=("train", "test"), on_disk=True, description="CIFAR-10 (python pickles), 50000/10000"
)
def load_cifar10(root: Path, split: str) -> TensorData:
    """CIFAR-10 from ``<root>/cifar-10-batches-py`` (default root ``<default_root()>/cifar10``)."""
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    layout = f"{root}/cifar-10-batches-py/{{data_batch_1, ..., data_batch_5, test_batch}} (python-version archive)"
    subdirs = ("cifar-10-batches-py", "")
    batches = []
    for n in names:
        path = find_file(root, (n,), subdirs, "cifar10", layout)
        batches.append((path, read_cifar_pickle(path, "cifar10", layout)))
    x, y = _stack(batches, "labels", "cifar10", 10)
    return TensorData("cifar10", split, x, y, 10, CIFAR10_CLASSES, *CIFAR10_STATS)


@register_dataset(
    "cifar100", splits=("train", "test"), on_disk=True, description="CIFAR-100 (python pickles), 50000/10000"
)
def load_cifar100(root: Path, split: str, label_mode: str = "fine") -> TensorData:
    """CIFAR-100 from ``<root>/cifar-100-python/{train,test,meta}`` (default root ``<default_root()>/cifar100``).

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (the 20 superclasses).
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100 label_mode must be 'fine' or 'coarse', got {label_mode!r}")
    layout = f"{root}/cifar-100-python/{{train, test, meta}} (python-version archive)"
    subdirs = ("cifar-100-python", "")
    meta_path = find_file(root, ("meta",), subdirs, "cifar100", layout)
    classes = _names(
        read_cifar_pickle(meta_path, "cifar100", layout), f"{label_mode}_label_names", meta_path, "cifar100"
    )
    path = find_file(root, (split,), subdirs, "cifar100", layout)
    x, y = _stack(
        [(path, read_cifar_pickle(path, "cifar100", layout))], f"{label_mode}_labels", "cifar100", len(classes)
    )
    return TensorData("cifar100", split, x, y, len(classes), classes, *CIFAR100_STATS)
