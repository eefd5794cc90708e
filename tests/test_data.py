"""Dataset registry, TensorData, the embedded datasets (digits, mnist5k, mnist1d, xor, spirals) and the
batched transforms (crop+pad, flip, normalisation, Gaussian blur against scipy)."""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import pytest
import scipy.ndimage
import torch
import torch.nn.functional as F

import actlab
from actlab.data import (
    Compose,
    DatasetError,
    GaussianBlur,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    TensorData,
    channel_stats,
    dataset_info,
    default_root,
    embedded,
    gaussian_kernel1d,
    list_datasets,
    load_dataset,
    transform_dataset,
)

ALL = [
    "cifar10", "cifar100", "digits", "fashion_mnist", "hurricane_damage", "imagefolder",
    "mnist", "mnist1d", "mnist5k", "spirals", "svhn", "xor",
]  # fmt: skip


@pytest.fixture(scope="module")
def mnist1d_train_fresh():
    """Generates MNIST-1D once for the module, checking the caller's global RNG state survives."""
    embedded._mnist1d_arrays.cache_clear()
    np.random.seed(123)
    random.seed(123)
    np_before, py_before = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    d = load_dataset("mnist1d", split="train")
    return d, (np_before, np.random.random()), (py_before, random.random())


def test_registry_lists_everything_and_api_exports():
    embedded_only = [n for n in ALL if not dataset_info(n).on_disk]
    assert embedded_only == ["digits", "mnist1d", "mnist5k", "spirals", "xor"]
    assert set(ALL) <= set(list_datasets())
    assert list_datasets("*mnist*") == ["fashion_mnist", "mnist", "mnist1d", "mnist5k"]
    assert actlab.load_dataset is load_dataset and actlab.TensorData is TensorData
    assert "load_dataset" in actlab.__all__ and "list_datasets" in actlab.__all__


def test_unknown_name_and_split_raise_helpfully():
    with pytest.raises(ValueError, match=r"unknown dataset 'digitz'.*'digits'"):
        load_dataset("digitz")
    with pytest.raises(ValueError, match=r"no split 'val'.*\['train', 'test'\]"):
        load_dataset("digits", split="val")


@pytest.mark.parametrize(
    "name, n_train, n_test, shape, num_classes, lo, hi",
    [
        ("digits", 1438, 359, (1, 8, 8), 10, 0.0, 1.0),
        ("mnist5k", 4000, 1000, (1, 28, 28), 10, 0.0, 1.0),
        ("xor", 4, 4, (2,), 2, 0.0, 1.0),
        ("spirals", 1000, 1000, (2,), 2, -1.0, 1.0),
    ],
)
def test_embedded_table(name, n_train, n_test, shape, num_classes, lo, hi):
    tr, te = load_dataset(name, split="train"), load_dataset(name, split="test")
    assert (len(tr), len(te)) == (n_train, n_test)
    for d, split in ((tr, "train"), (te, "test")):
        assert d.name == name and d.split == split
        assert d.input_shape == shape and d.x.dtype == torch.float32 and d.y.dtype == torch.int64
        assert d.num_classes == num_classes and len(d.classes) == num_classes
        assert float(d.x.min()) >= lo and float(d.x.max()) <= hi
        assert set(d.y.tolist()) == set(range(num_classes))
    # the documented normalisation statistics are those of the train split
    assert tr.mean == te.mean and tr.std == te.std
    assert tr.mean == pytest.approx(channel_stats(tr.x)[0]) and tr.std == pytest.approx(channel_stats(tr.x)[1])
    # fixed splits: loading again gives the same tensors
    again = load_dataset(name, split="test")
    assert torch.equal(again.x, te.x) and torch.equal(again.y, te.y)


def test_mnist5k_is_balanced_400_100_and_pixels_are_images():
    tr, te = load_dataset("mnist5k"), load_dataset("mnist5k", split="test")
    assert tr.y.bincount().tolist() == [400] * 10 and te.y.bincount().tolist() == [100] * 10
    assert tr.x.amax(dim=(1, 2, 3)).min() > 0.5  # every image has ink
    assert 0.1 < tr.mean[0] < 0.15  # MNIST's well-known mean intensity, 0.1307


def test_stratified_split_is_a_disjoint_cover_with_exact_class_counts():
    y = np.repeat(np.arange(3), [10, 20, 30])
    tr, te = embedded.stratified_split(y, 0.2, seed=5)
    assert np.intersect1d(tr, te).size == 0 and np.union1d(tr, te).tolist() == list(range(60))
    assert np.bincount(y[te]).tolist() == [2, 4, 6]
    assert embedded.stratified_split(y, 0.2, seed=5)[1].tolist() == te.tolist()
    assert embedded.stratified_split(y, 0.2, seed=6)[1].tolist() != te.tolist()


def test_mnist1d_published_split_without_touching_global_rng(mnist1d_train_fresh):
    tr, np_pair, py_pair = mnist1d_train_fresh
    te = load_dataset("mnist1d", split="test")
    assert (len(tr), len(te)) == (4000, 1000)
    assert tr.input_shape == (1, 40) and te.input_shape == (1, 40)
    assert np_pair[0] == np_pair[1] and py_pair[0] == py_pair[1]
    x = torch.cat([tr.x, te.x]).double()
    assert abs(float(x.mean())) < 1e-3 and abs(float(x.std(correction=0)) - 1) < 1e-3  # package standardises
    assert tr.y.bincount().min() > 350 and te.y.bincount().min() > 70


@pytest.mark.parametrize("encoding, values", [("binary", {0.0, 1.0}), ("bipolar", {-1.0, 1.0})])
def test_xor_labels_are_xor(encoding, values):
    d = load_dataset("xor", encoding=encoding)
    assert set(d.x.flatten().tolist()) == values
    a, b = (d.x > d.x.min()).long().unbind(1)
    assert torch.equal(d.y, a ^ b)


def test_xor_bad_encoding():
    with pytest.raises(ValueError, match="bipolar"):
        load_dataset("xor", encoding="ternary")


def test_spirals_lie_on_their_arms_and_are_seeded():
    arms, turns = 3, 1.5
    d = load_dataset("spirals", arms=arms, n_per_class=50, noise=0.0, turns=turns, seed=1)
    r = d.x.double().norm(dim=1)
    theta = torch.atan2(d.x[:, 1].double(), d.x[:, 0].double())
    resid = theta - 2 * math.pi * d.y / arms - 2 * math.pi * turns * r
    wrapped = torch.remainder(resid + math.pi, 2 * math.pi) - math.pi
    assert wrapped.abs().max() < 1e-5 and r.max() <= 1 + 1e-6
    assert d.num_classes == 3 and d.y.bincount().tolist() == [50] * 3
    same = load_dataset("spirals", arms=arms, n_per_class=50, noise=0.0, turns=turns, seed=1)
    other = load_dataset("spirals", arms=arms, n_per_class=50, noise=0.0, turns=turns, seed=2)
    test = load_dataset("spirals", split="test", arms=arms, n_per_class=50, noise=0.0, turns=turns, seed=1)
    assert torch.equal(same.x, d.x) and not torch.equal(other.x, d.x) and not torch.equal(test.x, d.x)


def test_spirals_reject_bad_arguments():
    with pytest.raises(ValueError, match="arms >= 2"):
        load_dataset("spirals", arms=1)


def test_tensordata_contract():
    d = TensorData("t", "train", torch.zeros(3, 1, 2, 2), torch.tensor([0, 1, 1]), 2, ("a", "b"))
    assert d.input_shape == (1, 2, 2) and len(d) == 3
    moved = d.to("cpu")
    assert isinstance(moved, TensorData) and torch.equal(moved.x, d.x) and moved.classes == d.classes
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.name = "u"


@pytest.mark.parametrize(
    "x, y, classes, err, match",
    [
        (torch.zeros(2, 3, dtype=torch.float64), torch.tensor([0, 1]), ("a", "b"), TypeError, "float32"),
        (torch.zeros(2, 3), torch.tensor([0, 1], dtype=torch.int32), ("a", "b"), TypeError, "int64"),
        (torch.zeros(3, 3), torch.tensor([0, 1]), ("a", "b"), ValueError, "3 samples"),
        (torch.zeros(2, 3), torch.tensor([0, 2]), ("a", "b"), ValueError, r"\[0, 2\)"),
        (torch.zeros(2, 3), torch.tensor([0, 1]), ("a",), ValueError, "class names"),
    ],
)
def test_tensordata_validates(x, y, classes, err, match):
    with pytest.raises(err, match=match):
        TensorData("t", "train", x, y, 2, classes)


def test_channel_stats_closed_form():
    x = torch.tensor([[[1.0, 3.0]], [[5.0, 7.0]]])  # N=2, C=1, L=2
    assert channel_stats(x) == ((4.0,), (math.sqrt(5.0),))
    flat = torch.tensor([[0.0, 2.0], [2.0, 2.0]])
    assert channel_stats(flat) == ((1.0, 2.0), (1.0, 0.0))
    with pytest.raises(ValueError, match="non-empty batch"):
        channel_stats(torch.zeros(5))


def test_default_root_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ACTLAB_DATA", str(tmp_path))
    assert default_root() == tmp_path
    monkeypatch.delenv("ACTLAB_DATA")
    assert default_root().parts[-3:] == (".cache", "actlab", "data")
    assert issubclass(DatasetError, ValueError)


# ---------------------------------------------------------------- transforms


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(
    "mode, torch_mode", [("zeros", "constant"), ("reflect", "reflect"), ("replicate", "replicate")]
)
def test_random_crop_takes_a_window_of_the_padded_image(mode, torch_mode):
    x = torch.rand(64, 2, 5, 6)
    p = 2
    y = RandomCrop(padding=p, padding_mode=mode)(x, gen())
    padded = F.pad(x, (p, p, p, p), mode=torch_mode)
    offsets = set()
    for i in range(len(x)):
        hits = [
            (oy, ox)
            for oy in range(2 * p + 1)
            for ox in range(2 * p + 1)
            if torch.equal(padded[i, :, oy : oy + 5, ox : ox + 6], y[i])
        ]
        assert hits, f"sample {i} is not a window of its padded image"
        offsets.add(hits[0])
    assert len(offsets) > 10  # offsets vary per sample (25 possible)
    assert torch.equal(RandomCrop(padding=p, padding_mode=mode)(x, gen()), y)  # same generator seed, same crops


def test_random_crop_offsets_cover_the_range_uniformly():
    x = torch.arange(9.0).view(1, 1, 3, 3).expand(1800, 1, 3, 3)
    y = RandomCrop(size=1, padding=0)(x, gen(1))  # picks one of the 9 pixels
    counts = torch.bincount(y.flatten().long(), minlength=9)
    assert counts.min() > 140 and counts.max() < 260  # expected 200 each


def test_random_crop_size_and_errors():
    x = torch.rand(3, 1, 8, 8)
    assert RandomCrop(size=(4, 6), padding=0)(x, gen()).shape == (3, 1, 4, 6)
    assert torch.equal(RandomCrop(padding=0)(x, gen()), x)
    with pytest.raises(ValueError, match="torch.Generator"):
        RandomCrop()(x)
    with pytest.raises(ValueError, match="larger than the padded"):
        RandomCrop(size=20, padding=1)(x, gen())
    with pytest.raises(ValueError, match="padding_mode"):
        RandomCrop(padding_mode="circular")
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        RandomCrop()(torch.rand(3, 8), gen())


@pytest.mark.parametrize("p, lo, hi", [(0.0, 0, 0), (1.0, 400, 400), (0.5, 160, 240), (0.25, 70, 130)])
def test_flip_per_sample_with_probability_p(p, lo, hi):
    x = torch.rand(400, 1, 2, 3)
    y = RandomHorizontalFlip(p)(x, gen(2))
    flipped = torch.tensor([torch.equal(y[i], x[i].flip(-1)) for i in range(len(x))])
    kept = torch.tensor([torch.equal(y[i], x[i]) for i in range(len(x))])
    assert bool((flipped | kept).all()) and lo <= int(flipped.sum()) <= hi


def test_normalize_closed_form_and_dataset_stats():
    x = torch.tensor([[[1.0, 3.0], [5.0, 7.0]]]).view(1, 2, 2)
    y = Normalize((2.0, 6.0), (1.0, 0.5))(x)
    assert y.tolist() == [[[-1.0, 1.0], [-2.0, 2.0]]]
    tr = load_dataset("spirals")
    z = Normalize(tr.mean, tr.std)(tr.x).double()
    torch.testing.assert_close(z.mean(0), torch.zeros(2, dtype=torch.float64), atol=1e-6, rtol=0)
    torch.testing.assert_close(z.std(0, correction=0), torch.ones(2, dtype=torch.float64), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="3 channels"):
        Normalize((0.0,) * 3, (1.0,) * 3)(tr.x)
    with pytest.raises(ValueError, match="std must be > 0"):
        Normalize((0.0,), (0.0,))


@pytest.mark.parametrize("sigma", [0.5, 1.0, 1.7])
def test_gaussian_blur_equals_scipy(sigma):
    x = torch.rand(2, 3, 11, 13, dtype=torch.float64)
    ours = GaussianBlur(sigma)(x).numpy()
    ref = scipy.ndimage.gaussian_filter(x.numpy(), (0, 0, sigma, sigma), mode="mirror", truncate=4.0)
    np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_gaussian_blur_properties():
    k = gaussian_kernel1d(1.0)
    assert k.numel() == 9 and abs(float(k.sum()) - 1) < 1e-6 and torch.allclose(k, k.flip(0))
    assert float(k[4] / k[5]) == pytest.approx(np.exp(0.5), rel=1e-5)
    const = torch.full((1, 2, 6, 6), 0.3)
    torch.testing.assert_close(GaussianBlur(1.0, padding_mode="replicate")(const), const)
    x = torch.rand(2, 1, 8, 8)
    assert torch.equal(GaussianBlur(0.0)(x), x)
    assert float(GaussianBlur(1.0)(x).var()) < float(x.var())  # low-pass: less variance
    with pytest.raises(ValueError, match="replicate"):
        GaussianBlur(3.0)(torch.rand(1, 1, 8, 8))
    with pytest.raises(ValueError, match=">= 0"):
        GaussianBlur(-1.0)


def test_compose_and_transform_dataset():
    x = torch.rand(10, 1, 6, 6)
    data = TensorData("t", "train", x, torch.zeros(10, dtype=torch.int64), 1, ("a",), (0.5,), (0.2,))
    blurred = transform_dataset(data, GaussianBlur(1.0), batch_size=3)
    torch.testing.assert_close(blurred.x, GaussianBlur(1.0)(x))
    assert blurred.mean is None and torch.equal(blurred.y, data.y) and blurred.name == "t"
    aug = Compose(RandomCrop(padding=1), RandomHorizontalFlip(), Normalize((0.5,), (0.2,)))
    a, b = aug(x, gen(3)), aug(x, gen(3))
    assert torch.equal(a, b) and not torch.equal(a, aug(x, gen(4)))
    g = gen(3)
    manual = Normalize((0.5,), (0.2,))(RandomHorizontalFlip()(RandomCrop(padding=1)(x, g), g))
    assert torch.equal(a, manual)


@pytest.mark.gpu
def test_transforms_on_cuda_with_cpu_or_cuda_generator():
    x = torch.rand(16, 3, 8, 8, device="cuda")
    for g in (gen(0), torch.Generator(device="cuda").manual_seed(0)):
        y = Compose(RandomCrop(padding=2, padding_mode="reflect"), RandomHorizontalFlip(), GaussianBlur(1.0))(x, g)
        assert y.device.type == "cuda" and y.shape == x.shape
    cpu = RandomCrop(padding=2)(x.cpu(), gen(5))
    torch.testing.assert_close(RandomCrop(padding=2)(x, gen(5)).cpu(), cpu)
