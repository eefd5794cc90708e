"""Transfer protocols: fixed-feature logistic regression and fine-tuning with activation surgery."""

from __future__ import annotations

import pytest
import torch

from actlab.data import load_dataset
from actlab.train import TrainConfig, train_one
from actlab.train.transfer import finetune, fixed_feature_eval, penultimate_features, replace_head

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def source_model():
    """An MLP trained on 3-arm spirals (the source task)."""
    from actlab import create_model

    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = create_model("mlp", num_classes=3, in_chans=2, act="relu", width=32)
    cfg = TrainConfig(dataset="spirals", dataset_kwargs={"arms": 3}, lr=1e-2, epochs=15, device="cpu")
    r = train_one(cfg, model=net)
    assert r.test_acc > 0.6
    return net


def test_penultimate_features_are_head_inputs(source_model):
    x = torch.randn(5, 2)
    f = penultimate_features(source_model, x)
    assert f.shape == (5, 32)
    torch.testing.assert_close(source_model.head(f), source_model.eval()(x))


def test_fixed_feature_protocol(source_model):
    tr = load_dataset("spirals", split="train", arms=2)
    te = load_dataset("spirals", split="test", arms=2)
    before = [p.detach().clone() for p in source_model.parameters()]
    res = fixed_feature_eval(source_model, tr, te, Cs=(0.01, 1.0, 100.0))
    assert res.n_features == 32 and res.C in (0.01, 1.0, 100.0) and set(res.val_acc) == {0.01, 1.0, 100.0}
    assert res.test_acc > 0.7 and 0 <= res.mean_class_acc <= 1
    assert all(torch.equal(a, b) for a, b in zip(before, source_model.parameters(), strict=True))  # features are fixed


def test_finetune_with_pvlu_warm_start(source_model):
    import copy

    net = copy.deepcopy(source_model)
    x = torch.randn(7, 2)
    f0 = penultimate_features(net, x)
    cfg = TrainConfig(dataset="spirals", dataset_kwargs={"arms": 2}, lr=1e-2, epochs=3, device="cpu", seed=1)
    from actlab.surgery import swap_activations

    swapped = swap_activations(copy.deepcopy(net), "pvlu", warm_start=True).model
    torch.testing.assert_close(penultimate_features(swapped, x), f0)  # same function at step 0
    r, tuned = finetune(net, cfg, act="pvlu")
    assert tuned.head.out_features == 2 and r.test_acc > 0.7
    assert r.act_params and all(k.endswith((".alpha", ".beta")) for k in r.act_params[0])


def test_replace_head_is_seeded():
    from actlab import create_model

    a, b = (
        create_model("mlp", num_classes=3, in_chans=2, width=4),
        create_model("mlp", num_classes=3, in_chans=2, width=4),
    )
    ha, hb = replace_head(a, 5, seed=3), replace_head(b, 5, seed=3)
    assert a.head is ha and ha.out_features == 5 and torch.equal(ha.weight, hb.weight)
