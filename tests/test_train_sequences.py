"""Training a token model on the sequence tasks: next-token loss and accuracy over the scored positions only,
the data's vocabulary and length reach the builder, and mismatched model/data pairs fail with a fix."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from actlab import TrainConfig, train_one
from actlab.data import IGNORE_INDEX, load_dataset
from actlab.models import create_model
from actlab.train.metrics import evaluate

pytestmark = pytest.mark.usefixtures("one_thread")

SORT = {"length": 4, "values": 6, "n_train": 600, "n_test": 100}
GPT = {"dim": 16, "depth": 1, "heads": 2}


def _cfg(**kw) -> TrainConfig:
    base = dict(dataset="sort", dataset_kwargs=SORT, model="gpt", model_kwargs=GPT, act="gelu", lr=1e-2,
                epochs=3, batch_size=50, device="cpu")
    return TrainConfig(**{**base, **kw})


def test_gpt_learns_to_sort_deterministically():
    a, b = train_one(_cfg()), train_one(_cfg())
    assert a.test.acc == b.test.acc and a.curves == b.curves
    assert a.test.n == 100 * 4  # the four output positions of every test sequence are scored
    assert a.test.acc > 0.6 > 1 / 6 and a.curves["train_acc"][-1] > 0.5  # chance: 1 / 6
    assert len(a.test.recall) == 7 and a.n_params > 0 and a.peak_memory_bytes > 0


def test_answer_token_accuracy_is_what_the_model_predicts_at_the_answer():
    cfg = _cfg(dataset="modular_add", dataset_kwargs={"p": 7}, epochs=2, batch_size=8)
    te = load_dataset("modular_add", split="test", p=7)
    torch.manual_seed(0)
    model = create_model("gpt", in_chans=9, context=4, **GPT)
    r = train_one(cfg, model=model)
    model.eval()
    with torch.no_grad():
        logits = model(te.x)
    pred = logits[:, -1].argmax(-1)
    assert r.test.n == len(te)
    assert r.test.acc == pytest.approx(float((pred == te.y[:, -1]).double().mean()))
    assert r.test.loss == pytest.approx(float(F.cross_entropy(logits[:, -1], te.y[:, -1])), rel=1e-5)


class _Fixed(nn.Module):
    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits[: len(x)]


def test_evaluate_scores_only_the_targets_that_are_not_ignored():
    logits = torch.tensor([[[5.0, 0.0], [0.0, 5.0], [5.0, 0.0]]])  # predicts 0, 1, 0
    y = torch.tensor([[IGNORE_INDEX, 0, 0]])  # position 0 unscored, position 1 wrong, position 2 right
    m = evaluate(_Fixed(logits), torch.zeros(1, 3, dtype=torch.long), y, 2, binary=False)
    assert (m.acc, m.n) == (0.5, 2)
    assert m.loss == pytest.approx(float(F.cross_entropy(logits[0, 1:], y[0, 1:])))
    assert m.recall == (0.5, 0.0)


def test_context_and_vocabulary_come_from_the_data():
    r = train_one(_cfg(epochs=1))
    # tok 7 x 16 + pos 8 x 16 + block (2 LN 64, qkv 816, proj 272, fc1 1,088, fc2 1,040) + LN 32 + head 7 x 16
    assert r.n_params == 112 + 128 + 64 + 816 + 272 + 1088 + 1040 + 32 + 112


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"model": "mlp", "model_kwargs": {}}, "is a sequence task .* use a token model"),
        ({"dataset": "digits", "dataset_kwargs": {}}, "reads token ids .* holds float inputs"),
        ({"init": "autoinit"}, "AutoInit has no rule for token embeddings"),
    ],
)
def test_model_and_data_mismatch_raise_with_the_fix(kw, match):
    with pytest.raises(ValueError, match=match):
        train_one(_cfg(**kw))


def test_vit_trains_on_digits():
    kw = {"patch_size": 2, "dim": 16, "depth": 1, "heads": 2}
    cfg = TrainConfig(dataset="digits", model="vit", model_kwargs=kw, lr=1e-2, epochs=6, batch_size=32, device="cpu")
    r = train_one(cfg)
    assert r.test.n == 359 and r.test.acc > 0.5 and not r.diverged  # chance: 0.1
