"""MNIST and Fashion-MNIST from their IDX files (LeCun's format), gzipped or not.

IDX: two zero bytes, a type code (``0x08`` = uint8, ...), the number of dimensions ``d``, then
``d`` big-endian int32 sizes and the big-endian data. Images become float32 ``(N, 1, H, W)`` in
[0, 1] (pixels / 255); ``mean`` / ``std`` are the real train sets' published statistics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ._files import find_file, read_bytes
from ._registry import DatasetError, TensorData, register_dataset

__all__ = ["parse_idx", "IDX_FILES"]

# type code -> big-endian numpy dtype
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decodes one IDX file's bytes into an array of its stored shape and type.

    Raises:
        DatasetError: bad magic number, unknown type code, or a size that does not match the header.
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DatasetError(
            f"{source} is not an IDX file: expected magic bytes 00 00 <type in {sorted(_IDX_TYPES)}> <ndim>, "
            f"got {data[:4].hex(' ')}; re-download the file"
        )
    dtype, ndim = np.dtype(_IDX_TYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{source}: IDX header truncated ({len(data)} bytes for {ndim} dimensions); re-download it")
    shape = tuple(int(s) for s in np.frombuffer(data, ">i4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise DatasetError(
            f"{source}: header says shape {shape} ({expected} data bytes) but the file holds {len(data) - header}; "
            f"the file is truncated or corrupt, re-download it"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(shape)


def _load_idx(name: str, root: Path, split: str, subdirs: tuple[str, ...], classes, mean, std) -> TensorData:
    img_name, lbl_name = IDX_FILES[split]
    layout = (
        f"{root}/train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
        f"t10k-labels-idx1-ubyte (each optionally .gz; also accepted under {' or '.join(s for s in subdirs if s)})"
    )
    arrays = []
    for base in (img_name, lbl_name):
        path = find_file(root, (base, base + ".gz"), subdirs, name, layout)
        arrays.append((path, parse_idx(read_bytes(path, name, layout), str(path))))
    (img_path, images), (lbl_path, labels) = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetError(
            f"{name}: {img_path} holds shape {images.shape} and {lbl_path} holds {labels.shape}; "
            f"expected images (N, H, W) and labels (N,) with the same N"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        raise DatasetError(f"{name}: {lbl_path} has labels outside [0, {len(classes)}); is it the right file?")
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return TensorData(name, split, x, y, len(classes), classes, mean, std)


@register_dataset("mnist", splits=("train", "test"), on_disk=True, description="MNIST (IDX files), 60000/10000")
def load_mnist(root: Path, split: str) -> TensorData:
    """MNIST from ``train-images-idx3-ubyte`` etc. (``.gz`` or not) in ``root``, ``root/raw`` or ``root/MNIST/raw``.

    Default root: ``<default_root()>/mnist``. x ``(1, 28, 28)`` in [0, 1].
    """
    return _load_idx(
        "mnist", root, split, ("", "raw", "MNIST/raw"), tuple(str(i) for i in range(10)), (0.1307,), (0.3081,)
    )


@register_dataset(
    "fashion_mnist", splits=("train", "test"), on_disk=True, description="Fashion-MNIST (IDX files), 60000/10000"
)
def load_fashion_mnist(root: Path, split: str) -> TensorData:
    """Fashion-MNIST (Xiao et al. 2017), same IDX file names as MNIST.

    Looked for in ``root``, ``root/raw`` or ``root/FashionMNIST/raw`` (torchvision's layout).
    Default root: ``<default_root()>/fashion_mnist``. x ``(1, 28, 28)`` in [0, 1].
    """
    return _load_idx(
        "fashion_mnist", root, split, ("", "raw", "FashionMNIST/raw"), FASHION_CLASSES, (0.2860,), (0.3530,)
    )
