"""Image folders ``<root>/<split>/<class>/<image>.{jpg,jpeg,png}`` read with PIL, and the
hurricane damage set (Cao & Choe, arXiv 1807.01688) stored that way.

Images become float32 ``(N, C, H, W)`` in [0, 1] (C = 3 for ``mode="RGB"``, 1 for ``"L"``).
All images of a split must have one size unless ``size`` resizes them. The whole split is held
in memory: 10,000 RGB images of 128 x 128 take 1.9 GB as float32 (pass ``size=64`` for a quarter).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ._registry import DatasetError, DatasetNotFoundError, TensorData, register_dataset

__all__ = ["IMAGE_SUFFIXES", "HURRICANE_SPLITS"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

# actlab split name -> folder of the qcao10/DamageDetection layout; `test` is balanced (1000 + 1000),
# `test_another` unbalanced (8000 damage + 1000 no_damage).
HURRICANE_SPLITS = {
    "train": "train_another",
    "val": "validation_another",
    "test": "test",
    "train_another": "train_another",
    "validation_another": "validation_another",
    "test_another": "test_another",
}


def _read_image(path: Path, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = im.convert(mode)
            if size is not None and im.size != (size[1], size[0]):
                im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            a = np.asarray(im, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise DatasetError(f"imagefolder: cannot decode image {path} ({e}); delete or replace the file") from e
    return a[:, :, None] if a.ndim == 2 else a


def _class_files(cls_dir: Path, name: str, layout: str) -> list[Path]:
    """The sorted image files of one class folder; a missing or empty class folder, a file of another
    type or a sub-folder raises :class:`DatasetError` naming the path (hidden files, ``.*``, are ignored)."""
    if not cls_dir.is_dir():
        raise DatasetNotFoundError(f"{name}: class folder {cls_dir} not found; expected layout: {layout}")
    entries = sorted(p for p in cls_dir.iterdir() if not p.name.startswith("."))
    other = [p for p in entries if not (p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)]
    if other:
        kind = "a folder" if other[0].is_dir() else f"not a {'/'.join(IMAGE_SUFFIXES)} image"
        raise DatasetError(
            f"{name}: {other[0]} is {kind} ({len(other)} such entries in {cls_dir}); convert images to "
            f"{', '.join(IMAGE_SUFFIXES)} or move other files out of the class folders; expected layout: {layout}"
        )
    if not entries:
        raise DatasetError(
            f"{name}: class folder {cls_dir} holds no images; add its images, or remove the folder and pass "
            f"classes=[...] to keep the label order; expected layout: {layout}"
        )
    return entries


def load_image_folder(
    root: Path,
    split: str,
    *,
    name: str = "imagefolder",
    classes: Sequence[str] | None = None,
    size: int | tuple[int, int] | None = None,
    mode: str = "RGB",
    layout: str | None = None,
) -> TensorData:
    """Reads ``<root>/<split>/<class>/*.{jpg,jpeg,png}`` (suffix case-insensitive), files in sorted order.

    Nothing is skipped: a missing or empty class folder, a file that is not a ``.jpg/.jpeg/.png``
    image (``.bmp``, ``.txt``...) or an image that cannot be decoded raises :class:`DatasetError`
    naming its path. Hidden files (names starting with ``.``) are ignored.

    Args:
        root: the folder holding the split folders.
        split: the split folder's name.
        name: the ``TensorData.name`` to report.
        classes: class folder names in label order; default the sorted sub-folders of the split.
            Every class folder must exist and hold at least one image.
        size: resize every image to ``size`` (int: square) with bilinear filtering.
        mode: PIL mode, ``"RGB"`` or ``"L"`` (grey).
        layout: the expected layout quoted in error messages (default: the generic one).
    """
    layout = layout or f"{root}/<split>/<class>/<image>.jpg|.jpeg|.png"
    folder = root / split
    if not folder.is_dir():
        have = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        raise DatasetNotFoundError(
            f"{name}: split folder {folder} not found (folders under {root}: {have or 'none'}); "
            f"expected layout: {layout}"
        )
    found = sorted(p.name for p in folder.iterdir() if p.is_dir())
    classes = tuple(classes) if classes is not None else tuple(found)
    extra = sorted(set(found) - set(classes))
    if extra or not classes:
        raise DatasetError(
            f"{name}: class folders {extra or found} in {folder} do not match classes={list(classes)}; "
            f"expected layout: {layout}"
        )
    hw = None if size is None else (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    images, labels = [], []
    for label, cls in enumerate(classes):
        files = _class_files(folder / cls, name, layout)
        images += [_read_image(p, mode, hw) for p in files]
        labels += [label] * len(files)
    shapes = {a.shape for a in images}
    if len(shapes) > 1:
        raise DatasetError(
            f"{name}: images in {folder} have different sizes {sorted(shapes)[:4]}; pass size=(H, W) to resize them"
        )
    x = torch.from_numpy(np.stack(images).transpose(0, 3, 1, 2).astype(np.float32) / 255.0)
    return TensorData(name, split, x, torch.tensor(labels, dtype=torch.int64), len(classes), classes)


@register_dataset("imagefolder", splits=None, on_disk=True, description="<root>/<split>/<class>/*.jpg|png (PIL)")
def load_imagefolder(
    root: Path, split: str, classes: Sequence[str] | None = None, size: int | tuple[int, int] | None = None,
    mode: str = "RGB",
) -> TensorData:
    """Any image-folder dataset; ``split`` is the split folder's name. See :func:`load_image_folder`."""
    return load_image_folder(root, split, classes=classes, size=size, mode=mode)


@register_dataset(
    "hurricane_damage",
    splits=tuple(HURRICANE_SPLITS),
    on_disk=True,
    description="Hurricane Harvey building damage (image folders), 10000/2000/2000/9000",
    aliases=("hurricane",),
)
def load_hurricane(root: Path, split: str, size: int | tuple[int, int] | None = None) -> TensorData:
    """Post-Hurricane-Harvey satellite patches, damage vs no_damage (Cao & Choe, Natural Hazards 2020).

    Layout of qcao10/DamageDetection: ``<root>/{train_another, validation_another, test,
    test_another}/{damage, no_damage}/<lon>_<lat>.jpeg``, 128 x 128 RGB; labels damage = 0,
    no_damage = 1. ``train``/``val`` are aliases of ``train_another``/``validation_another``;
    ``test`` is the balanced test set (1000 + 1000), ``test_another`` the unbalanced one
    (8000 + 1000; report per-class recall/F1 there). Default root ``<default_root()>/hurricane_damage``.
    """
    layout = f"{root}/{{train_another, validation_another, test, test_another}}/{{damage, no_damage}}/<lon>_<lat>.jpeg"
    data = load_image_folder(
        root, HURRICANE_SPLITS[split], name="hurricane_damage", classes=("damage", "no_damage"), size=size,
        layout=layout,
    )
    return dataclasses.replace(data, split=split)
