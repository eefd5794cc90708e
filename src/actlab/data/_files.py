"""Finding dataset files under a root and reading them, with errors that say where to put them."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

from ._registry import DatasetError, DatasetNotFoundError

__all__ = ["find_file", "read_bytes"]


def find_file(root: Path, names: Sequence[str], subdirs: Sequence[str], dataset: str, layout: str) -> Path:
    """The first existing ``root/subdir/name`` (subdirs tried in order, ``""`` = root itself).

    Raises:
        DatasetNotFoundError: none exists; the message lists every path tried and ``layout``.
    """
    tried = [root / sub / name if sub else root / name for sub in subdirs for name in names]
    for path in tried:
        if path.is_file():
            return path
    listing = "\n  ".join(str(p) for p in tried)
    raise DatasetNotFoundError(
        f"{dataset}: file {names[0]!r} not found; looked for:\n  {listing}\n"
        f"expected layout: {layout}\n"
        f"pass root=<folder> to load_dataset or set $ACTLAB_DATA (see actlab.data.default_root())"
    )


def read_bytes(path: Path, dataset: str, layout: str) -> bytes:
    """The content of ``path``, gunzipped if its name ends in ``.gz``; unreadable files raise DatasetError."""
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if path.suffix == ".gz" else data
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DatasetError(
            f"{dataset}: cannot read {path} ({e}); expected layout: {layout}; re-download the file"
        ) from e
