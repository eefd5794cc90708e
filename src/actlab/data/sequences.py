"""Synthetic sequence tasks, generated offline and deterministic per ``seed``: token ids in, next tokens out.

Each split is a :class:`~actlab.data.TensorData` with int64 token ids ``x`` of shape ``(N, T)`` and
targets ``y`` of the same shape: ``y[:, t]`` is the token that should follow ``x[:, :t + 1]``,
:data:`~actlab.data.IGNORE_INDEX` where the next token is not determined by the task (the
operands, the random keys). The metric is the accuracy of the next-token predictions at the
scored positions (for ``modular_add`` and ``associative_recall``: the one answer token).
``num_classes`` is the vocabulary; ``classes`` name the tokens.

==================  ======  ============================================================================
name                T       task (defaults)
==================  ======  ============================================================================
modular_add         4       ``[a, +, b, =] -> (a + b) mod p``, p = 97; all p^2 pairs, a seeded permutation
                            split at ``train_fraction`` = 0.5 (4704 / 4705): the algorithmic task of
                            Power et al., "Grokking", arXiv 2201.02177 (train accuracy reaches 100 % long
                            before test accuracy does).
associative_recall  2n + 1  ``[k1, v1, ..., kn, vn, q] -> v`` with ``q = ki``: n = 8 distinct keys of 16,
                            values of 16; 10000 / 1000 sequences. Ba et al., "Using Fast Weights to Attend
                            to the Recent Past", arXiv 1610.06258; the single-query case of Zoology's MQAR
                            (Arora et al., arXiv 2312.04927).
sort                2L      ``[s1 .. sL, |, o1 .. o(L-1)]`` predicts ``o1 .. oL`` (the sorted input) at the
                            last L positions; L = 8 values of 16; 10000 / 1000 sequences. The sorting demo
                            of Karpathy's minGPT.
==================  ======  ============================================================================

Randomness: ``numpy.random.default_rng((seed, split))`` streams of their own (never the global
state); the random tasks draw train and test independently (a test sequence may, rarely, also
occur in training).
"""

from __future__ import annotations

import numpy as np
import torch

from ._registry import IGNORE_INDEX, TensorData, register_dataset

__all__ = ["make_modular_add", "make_associative_recall", "make_sort"]

_SPLIT_STREAM = {"train": 0, "test": 1}


def _tensors(name: str, split: str, x: np.ndarray, y: np.ndarray, classes: tuple[str, ...]) -> TensorData:
    xt, yt = (torch.as_tensor(a, dtype=torch.int64).contiguous() for a in (x, y))
    return TensorData(name, split, xt, yt, len(classes), classes)


def _check(name: str, **positive: float) -> None:
    for k, v in positive.items():
        if not v >= 1:
            raise ValueError(f"{name}: {k} must be >= 1, got {v}")


def make_modular_add(p: int, train_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` of ``a + b mod p`` over all ``p^2`` pairs.

    Tokens ``0 .. p-1`` are the numbers, ``p`` is ``+`` and ``p + 1`` is ``=``; the pairs are
    permuted by ``default_rng(seed)`` and the first ``round(train_fraction * p^2)`` train.
    """
    if p < 2:
        raise ValueError(f"modular_add: p must be >= 2, got {p}")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"modular_add: train_fraction must lie in (0, 1), got {train_fraction}")
    a, b = (g.reshape(-1) for g in np.meshgrid(np.arange(p), np.arange(p), indexing="ij"))
    x = np.stack([a, np.full_like(a, p), b, np.full_like(a, p + 1)], axis=1)
    y = np.full_like(x, IGNORE_INDEX)
    y[:, -1] = (a + b) % p
    perm = np.random.default_rng(seed).permutation(p * p)
    n = int(round(train_fraction * p * p))
    if not 0 < n < p * p:
        raise ValueError(f"modular_add: train_fraction={train_fraction} leaves no training or no test pair for p={p}")
    tr, te = perm[:n], perm[n:]
    return x[tr], y[tr], x[te], y[te]


@register_dataset(
    "modular_add", splits=("train", "test"), on_disk=False,
    description="a + b mod p as [a, +, b, =] -> answer token (grokking task; generated)",
)
def load_modular_add(root: None, split: str, p: int = 97, train_fraction: float = 0.5, seed: int = 0) -> TensorData:
    """Modular addition (see :func:`make_modular_add`): x ``(4,)`` token ids, the answer scored at ``=``.

    Args:
        p: the modulus (97 as in Power et al.); the vocabulary has ``p + 2`` tokens.
        train_fraction: share of the ``p^2`` pairs in the train split (0.5); the rest is the test split.
        seed: which permutation of the pairs.
    """
    x_tr, y_tr, x_te, y_te = make_modular_add(p, train_fraction, seed)
    classes = (*(str(i) for i in range(p)), "+", "=")
    x, y = (x_tr, y_tr) if split == "train" else (x_te, y_te)
    return _tensors("modular_add", split, x, y, classes)


def make_associative_recall(
    n: int, pairs: int, keys: int, values: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences ``[k1, v1, ..., k_pairs, v_pairs, q]`` and their targets (the value of ``q``).

    Keys are distinct tokens of ``[0, keys)``, values tokens of ``[keys, keys + values)`` drawn with
    replacement, the query one of the sequence's keys, uniformly.
    """
    _check("associative_recall", n=n, pairs=pairs, values=values)
    if keys < pairs:
        raise ValueError(f"associative_recall needs keys >= pairs (distinct keys), got keys={keys}, pairs={pairs}")
    k = np.argsort(rng.random((n, keys)), axis=1)[:, :pairs]
    v = keys + rng.integers(0, values, (n, pairs))
    q = rng.integers(0, pairs, n)
    rows = np.arange(n)
    x = np.concatenate([np.stack([k, v], axis=2).reshape(n, 2 * pairs), k[rows, q][:, None]], axis=1)
    y = np.full_like(x, IGNORE_INDEX)
    y[:, -1] = v[rows, q]
    return x, y


@register_dataset(
    "associative_recall", splits=("train", "test"), on_disk=False,
    description="[k1, v1, ..., kn, vn, q] -> value of key q (in-context recall; generated)",
)
def load_associative_recall(
    root: None, split: str, pairs: int = 8, keys: int = 16, values: int = 16, n_train: int = 10000,
    n_test: int = 1000, seed: int = 0,
) -> TensorData:
    """Associative recall (see :func:`make_associative_recall`): x ``(2 pairs + 1,)``, the value scored at ``q``.

    Args:
        pairs: key-value pairs per sequence. keys: key vocabulary (>= pairs). values: value vocabulary.
        n_train / n_test: sequences per split.
        seed: the pair of streams (train and test are drawn independently).
    """
    rng = np.random.default_rng((seed, _SPLIT_STREAM[split]))
    x, y = make_associative_recall(n_train if split == "train" else n_test, pairs, keys, values, rng)
    classes = (*(f"k{i}" for i in range(keys)), *(f"v{i}" for i in range(values)))
    return _tensors("associative_recall", split, x, y, classes)


def make_sort(n: int, length: int, values: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences ``[s, |, sorted(s)[:-1]]`` (``|`` is token ``values``), targets ``sorted(s)`` at the
    last ``length`` positions."""
    _check("sort", n=n, length=length, values=values)
    s = rng.integers(0, values, (n, length))
    o = np.sort(s, axis=1)
    x = np.concatenate([s, np.full((n, 1), values), o[:, :-1]], axis=1)
    y = np.full_like(x, IGNORE_INDEX)
    y[:, length:] = o
    return x, y


@register_dataset(
    "sort", splits=("train", "test"), on_disk=False,
    description="[s1 .. sL, |] -> the sorted sequence, next token by next token (generated)",
)
def load_sort(
    root: None, split: str, length: int = 8, values: int = 16, n_train: int = 10000, n_test: int = 1000, seed: int = 0
) -> TensorData:
    """Sorting (see :func:`make_sort`): x ``(2 length,)``, the ``length`` output tokens scored (teacher forcing).

    Args:
        length: numbers per sequence. values: number vocabulary (the separator is one more token).
        n_train / n_test: sequences per split.
        seed: the pair of streams.
    """
    rng = np.random.default_rng((seed, _SPLIT_STREAM[split]))
    x, y = make_sort(n_train if split == "train" else n_test, length, values, rng)
    return _tensors("sort", split, x, y, (*(str(i) for i in range(values)), "|"))
