"""SVHN (Netzer et al. 2011), cropped digits, from the MATLAB files ``{train,test,extra}_32x32.mat``.

Each file holds ``X`` (32 x 32 x 3 x N uint8) and ``y`` (N x 1, labels 1..10 where 10 means the
digit 0). x is float32 ``(N, 3, 32, 32)`` in [0, 1]; labels are the digits 0..9.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ._files import find_file
from ._registry import DatasetError, TensorData, register_dataset

__all__: list[str] = []

SVHN_STATS = ((0.4377, 0.4438, 0.4728), (0.1980, 0.2010, 0.1970))


@register_dataset(
    "svhn", splits=("train", "test", "extra"), on_disk=True, description="SVHN cropped digits (.mat), 73257/26032"
)
def load_svhn(root: Path, split: str) -> TensorData:
    """SVHN from ``<root>/{split}_32x32.mat`` (default root ``<default_root()>/svhn``).

    ``extra`` is the 531k extra set.
    """
    import scipy.io

    layout = f"{root}/train_32x32.mat, test_32x32.mat [, extra_32x32.mat] (format-2 cropped digits)"
    path = find_file(root, (f"{split}_32x32.mat",), ("", "svhn"), "svhn", layout)
    try:
        mat = scipy.io.loadmat(str(path))
    except Exception as e:  # scipy raises ValueError / TypeError / OSError on bad files
        raise DatasetError(f"svhn: cannot read {path} as a MATLAB file ({e}); expected layout: {layout}") from e
    if "X" not in mat or "y" not in mat:
        raise DatasetError(
            f"svhn: {path} lacks the 'X' and 'y' arrays (has {sorted(k for k in mat if not k.startswith('__'))})"
        )
    X, y = np.asarray(mat["X"]), np.asarray(mat["y"]).reshape(-1).astype(np.int64)
    if X.dtype != np.uint8 or X.ndim != 4 or X.shape[:3] != (32, 32, 3) or X.shape[3] != len(y):
        raise DatasetError(
            f"svhn: {path} has X {X.dtype}{X.shape} and {len(y)} labels; expected uint8 (32, 32, 3, N) and N labels"
        )
    if y.size and (y.min() < 1 or y.max() > 10):
        raise DatasetError(f"svhn: {path} has labels outside 1..10 (10 stands for the digit 0)")
    x = torch.from_numpy(np.ascontiguousarray(X.transpose(3, 2, 0, 1)).astype(np.float32) / 255.0)
    return TensorData("svhn", split, x, torch.from_numpy(y % 10), 10, tuple(str(i) for i in range(10)), *SVHN_STATS)
