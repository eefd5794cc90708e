"""The generated sequence tasks: exact targets, deterministic per seed, the TensorData contract for tokens."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from actlab.data import IGNORE_INDEX, TensorData, dataset_info, list_datasets, load_dataset

SEQUENCE_TASKS = ["associative_recall", "modular_add", "sort"]
SMALL = {
    "modular_add": {"p": 11},
    "associative_recall": {"n_train": 300, "n_test": 50},
    "sort": {"n_train": 300, "n_test": 50},
}


@pytest.mark.parametrize("name", SEQUENCE_TASKS)
def test_registered_generated_and_deterministic(name):
    assert name in list_datasets() and not dataset_info(name).on_disk
    kw = SMALL[name]
    tr, te = load_dataset(name, split="train", **kw), load_dataset(name, split="test", **kw)
    for d in (tr, te):
        assert d.is_sequence and d.x.dtype == torch.int64 and d.y.shape == d.x.shape
        assert d.mean is None and d.std is None and len(d.classes) == d.num_classes
        assert int(d.x.min()) >= 0 and int(d.x.max()) < d.num_classes
        scored = d.y[d.y != IGNORE_INDEX]
        assert scored.numel() > 0 and int(scored.max()) < d.num_classes
    again = load_dataset(name, split="train", **kw)
    assert torch.equal(again.x, tr.x) and torch.equal(again.y, tr.y)
    other = load_dataset(name, split="train", **kw, seed=1)
    assert not torch.equal(other.x, tr.x)


def test_modular_add_targets_and_split():
    p = 13
    tr, te = load_dataset("modular_add", p=p), load_dataset("modular_add", split="test", p=p)
    assert (len(tr), len(te)) == (round(0.5 * p * p), p * p - round(0.5 * p * p))
    assert tr.input_shape == (4,) and tr.num_classes == p + 2 and tr.classes[-2:] == ("+", "=")
    for d in (tr, te):
        a, plus, b, eq = d.x.unbind(1)
        assert (plus == p).all() and (eq == p + 1).all()
        assert (d.y[:, :3] == IGNORE_INDEX).all() and torch.equal(d.y[:, 3], (a + b) % p)
    pairs = {tuple(r) for r in torch.cat([tr.x, te.x])[:, [0, 2]].tolist()}
    assert len(pairs) == p * p  # train and test partition all p^2 pairs
    assert len(load_dataset("modular_add", p=p, train_fraction=0.8)) == round(0.8 * p * p)


def test_associative_recall_answers_the_query():
    d = load_dataset("associative_recall", pairs=5, keys=7, values=3, n_train=200)
    assert d.input_shape == (11,) and d.num_classes == 10
    keys, vals, q = d.x[:, 0:10:2], d.x[:, 1:10:2], d.x[:, 10]
    assert (keys < 7).all() and ((vals >= 7) & (vals < 10)).all()
    assert all(len(set(r)) == 5 for r in keys.tolist())  # distinct keys per sequence
    hit = keys == q[:, None]
    assert (hit.sum(1) == 1).all()
    assert torch.equal(d.y[:, 10], vals[hit]) and (d.y[:, :10] == IGNORE_INDEX).all()


def test_sort_targets_are_the_sorted_sequence_next_token_by_token():
    d = load_dataset("sort", length=5, values=9, n_train=100)
    s, sep, tail = d.x[:, :5], d.x[:, 5], d.x[:, 6:]
    o = s.sort(dim=1).values
    assert (sep == 9).all() and torch.equal(tail, o[:, :-1])  # teacher forcing
    assert torch.equal(d.y[:, 5:], o) and (d.y[:, :5] == IGNORE_INDEX).all()


@pytest.mark.parametrize(
    "name, kw, match",
    [
        ("modular_add", {"p": 1}, "p must be >= 2"),
        ("modular_add", {"train_fraction": 1.0}, "train_fraction must lie in"),
        ("associative_recall", {"pairs": 9, "keys": 8}, "keys >= pairs"),
        ("sort", {"length": 0}, "length must be >= 1"),
    ],
)
def test_bad_arguments_raise(name, kw, match):
    with pytest.raises(ValueError, match=match):
        load_dataset(name, **kw)


def test_tensordata_checks_token_data():
    x = torch.tensor([[0, 1, 2]])
    y = torch.tensor([[IGNORE_INDEX, IGNORE_INDEX, 1]])
    d = TensorData("t", "train", x, y, 3, ("a", "b", "c"))
    assert d.is_sequence and d.input_shape == (3,)
    with pytest.raises(ValueError, match="same shape"):
        TensorData("t", "train", x, y[:, 1:], 3, ("a", "b", "c"))
    with pytest.raises(ValueError, match="token ids must lie in"):
        TensorData("t", "train", x + 1, y, 3, ("a", "b", "c"))
    with pytest.raises(ValueError, match="labels must lie in"):
        TensorData("t", "train", x, y + 104, 3, ("a", "b", "c"))
    with pytest.raises(TypeError, match="1-d for float inputs"):
        TensorData("t", "train", x.float(), y, 3, ("a", "b", "c"))
    with pytest.raises(TypeError, match="float32 tensor"):
        TensorData("t", "train", x.int(), y, 3, ("a", "b", "c"))


def test_sequence_generators_use_their_own_streams():
    np.random.seed(5)
    before = np.random.random()
    np.random.seed(5)
    load_dataset("associative_recall", n_train=10)
    assert np.random.random() == before
