"""On-disk dataset formats, read from small fixture files written into tmp_path."""

from __future__ import annotations

import gzip
import pickle
import struct

import numpy as np
import pytest
import scipy.io
import torch
from PIL import Image

from actlab.data import DatasetError, DatasetNotFoundError, load_dataset
from actlab.data.idx import parse_idx


def _idx_bytes(a: np.ndarray) -> bytes:
    return bytes([0, 0, 0x08, a.ndim]) + struct.pack(f">{a.ndim}i", *a.shape) + a.astype(np.uint8).tobytes()


def _write_idx(folder, split_images: dict, gz: bool):
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, (imgs, labels) in split_images.items():
        for stem, arr in ((f"{prefix}-images-idx3-ubyte", imgs), (f"{prefix}-labels-idx1-ubyte", labels)):
            data = _idx_bytes(arr)
            if gz:
                (folder / (stem + ".gz")).write_bytes(gzip.compress(data))
            else:
                (folder / stem).write_bytes(data)


@pytest.fixture
def idx_arrays():
    rng = np.random.default_rng(0)
    return {
        "train": (rng.integers(0, 256, (6, 28, 28)), np.array([0, 1, 2, 3, 4, 9])),
        "t10k": (rng.integers(0, 256, (3, 28, 28)), np.array([5, 6, 7])),
    }


@pytest.mark.parametrize(
    "name, sub, gz",
    [
        ("mnist", "", True),
        ("mnist", "", False),
        ("mnist", "MNIST/raw", True),
        ("fashion_mnist", "FashionMNIST/raw", False),
    ],
)
def test_idx_roundtrip(tmp_path, idx_arrays, name, sub, gz):
    _write_idx(tmp_path / sub if sub else tmp_path, idx_arrays, gz)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        d = load_dataset(name, root=tmp_path, split=split)
        imgs, labels = idx_arrays[prefix]
        assert d.input_shape == (1, 28, 28) and d.num_classes == 10
        torch.testing.assert_close(d.x[:, 0], torch.tensor(imgs / 255.0, dtype=torch.float32))
        assert d.y.tolist() == labels.tolist()
    if name == "fashion_mnist":
        assert d.classes[9] == "Ankle boot"


def test_parse_idx_other_types():
    a = np.arange(6, dtype=">i4").reshape(2, 3)
    data = bytes([0, 0, 0x0C, 2]) + struct.pack(">2i", 2, 3) + a.tobytes()
    assert parse_idx(data).tolist() == a.tolist()


@pytest.mark.parametrize(
    "corrupt, match",
    [
        (lambda b: b"\x08\x03" + b[2:], "not an IDX file"),
        (lambda b: b[:-10], "truncated or corrupt"),
        (lambda b: b[:6], "header truncated"),
    ],
)
def test_idx_corrupt_names_the_file(tmp_path, idx_arrays, corrupt, match):
    _write_idx(tmp_path, idx_arrays, gz=False)
    f = tmp_path / "train-images-idx3-ubyte"
    f.write_bytes(corrupt(f.read_bytes()))
    with pytest.raises(DatasetError, match=match) as e:
        load_dataset("mnist", root=tmp_path)
    assert str(f) in str(e.value)


def test_idx_bad_gzip_and_mismatched_counts(tmp_path, idx_arrays):
    _write_idx(tmp_path, idx_arrays, gz=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DatasetError, match=r"cannot read .*t10k-labels-idx1-ubyte\.gz"):
        load_dataset("mnist", root=tmp_path, split="test")
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(np.array([1, 2]))))
    with pytest.raises(DatasetError, match="same N"):
        load_dataset("mnist", root=tmp_path, split="test")


def test_missing_files_say_where_and_what(tmp_path):
    with pytest.raises(DatasetNotFoundError) as e:
        load_dataset("mnist", root=tmp_path)
    msg = str(e.value)
    assert "train-images-idx3-ubyte" in msg and str(tmp_path / "MNIST" / "raw") in msg and "expected layout" in msg
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, ValueError)


def test_default_root_is_used(tmp_path, monkeypatch, idx_arrays):
    monkeypatch.setenv("ACTLAB_DATA", str(tmp_path))
    _write_idx(tmp_path / "mnist", idx_arrays, gz=True)
    assert len(load_dataset("mnist")) == 6
    with pytest.raises(DatasetNotFoundError, match=str(tmp_path / "cifar10")):
        load_dataset("cifar10")


def _cifar_batch(n, labels_key, rng, bytes_keys, extra=None):
    d = {"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8), labels_key: list(rng.integers(0, 10, n))}
    d.update(extra or {})
    return {k.encode(): v for k, v in d.items()} if bytes_keys else d


def _dump(path, obj, numpy1_paths=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = pickle.dumps(obj, protocol=2)
    if numpy1_paths:  # the real archives were pickled under numpy 1 (numpy.core.multiarray._reconstruct)
        data = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    path.write_bytes(data)


@pytest.mark.parametrize("bytes_keys", [True, False])
def test_cifar10(tmp_path, bytes_keys):
    rng = np.random.default_rng(1)
    base = tmp_path / "cifar-10-batches-py"
    batches = [_cifar_batch(2, "labels", rng, bytes_keys) for _ in range(5)]
    for i, b in enumerate(batches, 1):
        _dump(base / f"data_batch_{i}", b, numpy1_paths=bytes_keys)
    _dump(base / "test_batch", _cifar_batch(3, "labels", rng, bytes_keys))
    tr, te = load_dataset("cifar10", root=tmp_path), load_dataset("cifar10", root=base, split="test")
    assert (len(tr), len(te)) == (10, 3) and tr.input_shape == (3, 32, 32) and tr.classes[0] == "airplane"
    key = b"data" if bytes_keys else "data"
    first = batches[0][key][1].reshape(3, 32, 32) / 255.0  # channel-major rows
    torch.testing.assert_close(tr.x[1], torch.tensor(first, dtype=torch.float32))
    lkey = b"labels" if bytes_keys else "labels"
    assert tr.y.tolist() == [int(v) for b in batches for v in b[lkey]]
    assert len(tr.mean) == 3 and len(tr.std) == 3


@pytest.mark.parametrize("mode, n_classes", [("fine", 100), ("coarse", 20)])
def test_cifar100(tmp_path, mode, n_classes):
    rng = np.random.default_rng(2)
    base = tmp_path / "cifar-100-python"
    meta = {
        b"fine_label_names": [f"f{i}".encode() for i in range(100)],
        b"coarse_label_names": [f"c{i}".encode() for i in range(20)],
    }
    _dump(base / "meta", meta)
    for split, n in (("train", 4), ("test", 2)):
        d = {
            b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8),
            b"fine_labels": [99] * n,
            b"coarse_labels": [19] * n,
        }
        _dump(base / split, d)
    d = load_dataset("cifar100", root=tmp_path, split="test", label_mode=mode)
    assert d.num_classes == n_classes and d.classes[-1] == ("f99" if mode == "fine" else "c19")
    assert d.y.tolist() == [n_classes - 1] * 2 and len(load_dataset("cifar100", root=tmp_path)) == 4


def test_cifar_corrupt_and_hostile_pickles(tmp_path):
    base = tmp_path / "cifar-10-batches-py"
    rng = np.random.default_rng(3)
    for i in range(1, 6):
        _dump(base / f"data_batch_{i}", _cifar_batch(1, "labels", rng, True))
    (base / "data_batch_3").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match=r"data_batch_3 is not a readable CIFAR pickle"):
        load_dataset("cifar10", root=tmp_path)
    _dump(base / "data_batch_3", {b"data": np.zeros((1, 100), np.uint8), b"labels": [0]})
    with pytest.raises(DatasetError, match=r"data_batch_3 has data uint8\(1, 100\)"):
        load_dataset("cifar10", root=tmp_path)
    _dump(base / "data_batch_3", {b"labels": [0]})
    with pytest.raises(DatasetError, match="no 'data' entry"):
        load_dataset("cifar10", root=tmp_path)
    import os  # a pickle that would call os.system must be refused, not run

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    _dump(base / "data_batch_3", Evil())
    with pytest.raises(DatasetError, match="refusing to load"):
        load_dataset("cifar10", root=tmp_path)
    with pytest.raises(ValueError, match="label_mode"):
        load_dataset("cifar100", root=tmp_path, label_mode="medium")


def test_svhn(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.integers(0, 256, (32, 32, 3, 4)).astype(np.uint8)
    scipy.io.savemat(tmp_path / "test_32x32.mat", {"X": X, "y": np.array([[10], [1], [5], [10]])})
    d = load_dataset("svhn", root=tmp_path, split="test")
    assert d.y.tolist() == [0, 1, 5, 0] and d.input_shape == (3, 32, 32)
    torch.testing.assert_close(d.x[2, 1], torch.tensor(X[:, :, 1, 2] / 255.0, dtype=torch.float32))
    with pytest.raises(DatasetNotFoundError, match="train_32x32.mat"):
        load_dataset("svhn", root=tmp_path)
    (tmp_path / "train_32x32.mat").write_bytes(b"junk")
    with pytest.raises(DatasetError, match="cannot read .*train_32x32.mat"):
        load_dataset("svhn", root=tmp_path)
    scipy.io.savemat(tmp_path / "train_32x32.mat", {"X": X, "y": np.array([[0], [1], [5], [10]])})
    with pytest.raises(DatasetError, match="outside 1..10"):
        load_dataset("svhn", root=tmp_path)


def _image(path, color, size=(6, 4), fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, format=fmt)


def test_imagefolder_png_and_jpeg(tmp_path):
    _image(tmp_path / "train" / "cat" / "a.png", (255, 0, 0))
    _image(tmp_path / "train" / "cat" / "b.JPG", (0, 0, 255), fmt="JPEG")
    _image(tmp_path / "train" / "dog" / "c.jpeg", (0, 255, 0), fmt="JPEG")
    (tmp_path / "train" / "dog" / ".DS_Store").write_text("hidden files are ignored")
    d = load_dataset("imagefolder", root=tmp_path, split="train")
    assert d.classes == ("cat", "dog") and d.y.tolist() == [0, 0, 1] and d.input_shape == (3, 4, 6)
    assert d.x[0, :, 0, 0].tolist() == [1.0, 0.0, 0.0]  # PNG is lossless
    assert d.x[1, 2].mean() > 0.9 and d.x[2, 1].mean() > 0.9  # JPEG: close to pure blue / green
    grey = load_dataset("imagefolder", root=tmp_path, split="train", size=3, mode="L")
    assert grey.input_shape == (1, 3, 3)


def test_imagefolder_errors(tmp_path):
    _image(tmp_path / "train" / "a" / "x.png", 0, size=(4, 4))
    _image(tmp_path / "train" / "a" / "y.png", 0, size=(5, 4))
    with pytest.raises(DatasetError, match="pass size="):
        load_dataset("imagefolder", root=tmp_path, split="train")
    with pytest.raises(DatasetNotFoundError, match=r"split folder .*valid.* not found .*\['train'\]"):
        load_dataset("imagefolder", root=tmp_path, split="valid")
    (tmp_path / "train" / "a" / "y.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DatasetError, match=r"cannot decode image .*y\.png"):
        load_dataset("imagefolder", root=tmp_path, split="train")
    with pytest.raises(DatasetError, match="do not match classes"):
        load_dataset("imagefolder", root=tmp_path, split="train", classes=("b",))


def test_hurricane_layout_and_split_names(tmp_path):
    counts = {"train_another": (2, 2), "validation_another": (1, 1), "test": (1, 1), "test_another": (3, 1)}
    for folder, (n_dmg, n_ok) in counts.items():
        for cls, n in (("damage", n_dmg), ("no_damage", n_ok)):
            for i in range(n):
                _image(tmp_path / folder / cls / f"-95.{i}_29.{i}.jpeg", (i * 40, 0, 0), size=(8, 8), fmt="JPEG")
    aliases = {"train": "train_another", "val": "validation_another", "test": "test", "test_another": "test_another"}
    for split, folder in aliases.items():
        d = load_dataset("hurricane", root=tmp_path, split=split)
        assert d.name == "hurricane_damage" and d.split == split and d.classes == ("damage", "no_damage")
        assert d.y.bincount(minlength=2).tolist() == list(counts[folder])
    assert load_dataset("hurricane_damage", root=tmp_path, split="train", size=4).input_shape == (3, 4, 4)
    with pytest.raises(DatasetNotFoundError, match=r"validation_another not found.*\{damage, no_damage\}"):
        load_dataset("hurricane_damage", root=tmp_path / "elsewhere", split="val")
    with pytest.raises(ValueError, match="no split 'validation'"):
        load_dataset("hurricane_damage", root=tmp_path, split="validation")
