"""train_one end to end on the embedded datasets, tiny budgets; metrics; schedules; param groups."""

from __future__ import annotations

import math

import pytest
import torch
from sklearn.metrics import f1_score, recall_score

from actlab.train import TrainConfig, per_class_metrics, schedule_factor, train_one
from actlab.train.optim import param_groups_for

pytestmark = pytest.mark.usefixtures("one_thread")


DIGITS = TrainConfig(dataset="digits", model="mlp", model_kwargs={"width": 32}, optimizer="adam", lr=1e-2,
                     epochs=3, batch_size=64, device="cpu")


def test_digits_learns_and_is_deterministic():
    a = train_one(DIGITS)
    b = train_one(DIGITS)
    assert a.test_acc >= 0.85, a.test_acc
    assert a.curves == b.curves and a.test == b.test  # same seed, same everything
    assert len(a.curves["test_acc"]) == 3 and a.curves["test_acc"][-1] == a.test_acc
    assert a.steps == 3 * math.ceil(1438 / 64) and a.epochs == pytest.approx(3.0)
    assert len(a.test.recall) == 10 and len(a.test.f1) == 10 and a.n_params > 0
    assert not a.diverged and a.device == "cpu" and a.memory_kind == "cpu_saved_bytes_per_sample"
    assert a.best_val is None and "val_acc" not in a.curves
    c = train_one(DIGITS.replace(seed=1))
    assert c.curves["train_loss"] != a.curves["train_loss"]


def test_cpu_memory_is_saved_bytes_per_sample_and_repeatable():
    """Every run in a process reports the same exact figure (peak RSS would read ~0 after the first)."""
    cfg = DIGITS.replace(epochs=1)
    a, b = train_one(cfg), train_one(cfg)
    wide = train_one(cfg.replace(model_kwargs={"width": 64}))
    assert a.memory_kind == b.memory_kind == wide.memory_kind == "cpu_saved_bytes_per_sample"
    assert a.peak_memory_bytes == b.peak_memory_bytes > 0
    assert wide.peak_memory_bytes > a.peak_memory_bytes
    # per sample: the batch size does not change it (up to rounding of per-batch terms)
    half = train_one(cfg.replace(batch_size=32))
    assert abs(half.peak_memory_bytes - a.peak_memory_bytes) <= 0.05 * a.peak_memory_bytes


def test_memory_probe_leaves_model_and_results_untouched():
    """The extra forward (BatchNorm in train mode, dropout) changes no buffer, mode or RNG draw."""
    from actlab.memory import forward_saved_bytes

    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Dropout(0.5))
    net.eval()
    state = {k: v.clone() for k, v in net.state_dict().items()}
    x = torch.randn(16, 4)
    rng = torch.get_rng_state()
    n = forward_saved_bytes(net, x)
    assert n > 0 and not net.training and torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(v, state[k]) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())
    # parameters are not counted: twice the batch, twice the bytes (BatchNorm's per-channel
    # mean and invstd aside)
    assert forward_saved_bytes(net, torch.randn(32, 4)) - 2 * n <= 2 * 8 * 4


def test_caller_rng_untouched():
    state = torch.get_rng_state()
    train_one(DIGITS.replace(epochs=1))
    assert torch.equal(torch.get_rng_state(), state)


def test_mnist5k_with_validation_split_and_callback():
    seen = []
    r = train_one(TrainConfig(dataset="mnist5k", model="mlp", model_kwargs={"width": 64}, lr=2e-3, epochs=2,
                              val_fraction=0.1, device="cpu"), on_epoch=seen.append)
    assert r.test_acc >= 0.8, r.test_acc
    assert r.best_val is not None and r.best_val.n == 400 and r.test_at_best_val.n == 1000
    assert r.best_val_epoch in (1, 2) and len(r.curves["val_acc"]) == 2
    assert max(r.curves["val_acc"]) == r.best_val.acc
    assert [e["epoch"] for e in seen] == [1, 2] and seen[-1]["test_acc"] == r.test_acc
    assert r.steps == 2 * math.ceil(3600 / 128)


def test_step_budget_stops_mid_epoch():
    r = train_one(DIGITS.replace(epochs=None, steps=30))
    assert r.steps == 30 and r.epochs == pytest.approx(30 / math.ceil(1438 / 64))


def test_divergence_is_reported_with_step():
    r = train_one(DIGITS.replace(optimizer="sgd", lr=1e12, epochs=5, model_kwargs={"width": 32, "depth": 3}))
    assert r.diverged and r.diverged_step is not None and r.diverged_step < r.steps <= 5 * 23
    assert f"step {r.diverged_step}" in r.message


@pytest.mark.parametrize("act, solves", [("gcu", True), ("relu", False)])
def test_single_neuron_xor(act, solves):
    """A one-output model trains with BCE; an oscillating unit solves XOR, a monotone one cannot."""
    cfg = TrainConfig(dataset="xor", model="single_neuron", act=act, lr=0.1, epochs=None, steps=300, batch_size=4,
                      normalize=False, eval_every=10**6, device="cpu")
    r = train_one(cfg)
    assert (r.test_acc == 1.0) == solves, r.test_acc
    assert len(r.test.recall) == 2


def test_langevin_and_reinit_generations_run():
    cfg = DIGITS.replace(
        optimizer="langevin_adam", langevin_sigma=1e-3, langevin_rho=0.5, reinit_generations=2, epochs=1
    )
    r = train_one(cfg)
    assert r.curves["generation"] == [0, 1] and r.steps == 2 * math.ceil(1438 / 64)
    assert r.test_acc > 0.5 and not r.diverged


def test_cuda_only_options_fail_on_cpu():
    with pytest.raises(ValueError, match="CUDA-only"):
        train_one(DIGITS.replace(amp_bf16=True))


@pytest.mark.parametrize(
    "schedule, t, expected",
    [("constant", 50, 1.0), ("multistep", 19, 1.0), ("multistep", 20, 0.2), ("multistep", 40, 0.04),
     ("cosine", 0, 1.0), ("cosine", 50, 0.5), ("cosine", 100, 0.0), ("inverse_time", 40, 0.5)],
)
def test_schedule_factor(schedule, t, expected):
    cfg = TrainConfig(schedule=schedule, epochs=10, milestones=[2, 4], gamma=0.2, decay_epochs=4.0)
    assert schedule_factor(cfg, t, total_steps=100, steps_per_epoch=10) == pytest.approx(expected, abs=1e-12)


def test_warmup_and_step_milestones():
    cfg = TrainConfig(schedule="multistep", epochs=None, steps=100, milestones=[30], warmup_steps=10)
    assert schedule_factor(cfg, 0, 100, 10) == pytest.approx(0.1)
    assert schedule_factor(cfg, 9, 100, 10) == pytest.approx(1.0)
    assert schedule_factor(cfg, 30, 100, 10) == pytest.approx(0.1)  # milestones in steps here


def test_activation_params_excluded_from_decay():
    from actlab import create_model

    net = create_model("mlp", num_classes=3, in_chans=4, act="pvlu", width=5)
    groups = param_groups_for(net, TrainConfig(weight_decay=5e-4, act_lr_scale=0.1, lr=1.0))
    by_name = {g["name"]: g for g in groups}
    assert by_name["activation"]["weight_decay"] == 0.0 and by_name["activation"]["lr"] == pytest.approx(0.1)
    assert by_name["decay"]["weight_decay"] == 5e-4 and "lr" not in by_name["decay"]
    n_act = sum(p.numel() for p in by_name["activation"]["params"])
    assert n_act == sum(p.numel() for n, p in net.named_parameters() if ".act." in n) > 0
    lg = param_groups_for(net, TrainConfig(optimizer="langevin_sgd", langevin_rho=0.5))
    assert {g["langevin"] for g in lg} == {True, False}
    assert sum(len(g["params"]) for g in lg) == len(list(net.parameters()))


def test_per_class_metrics_match_sklearn():
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 4, (200,), generator=g)
    pred = torch.where(torch.rand(200, generator=g) < 0.6, y, torch.randint(0, 4, (200,), generator=g))
    pred[pred == 3] = 2  # class 3 never predicted: F1 0
    recall, f1 = per_class_metrics(y, pred, 5)  # class 4 absent: recall and F1 0
    assert recall == pytest.approx(list(recall_score(y, pred, labels=range(5), average=None, zero_division=0)))
    assert f1 == pytest.approx(list(f1_score(y, pred, labels=range(5), average=None, zero_division=0)))


def test_prepare_data_standardizes_and_augments():
    from actlab.train.data_prep import prepare_data

    cfg = TrainConfig(dataset="digits", augment="crop_flip", crop_padding=2, val_fraction=0.25, device="cpu")
    train, val, test = prepare_data(cfg, torch.device("cpu"), seed=0)
    assert len(train.y) + len(val.y) == 1438 and len(val.y) == round(0.25 * 1438)
    assert float(train.x.mean()) == pytest.approx(0.0, abs=1e-5)
    assert float(train.x.std()) == pytest.approx(1.0, abs=1e-2)
    xb = train.x[:16]
    a = train.augment(xb, torch.Generator().manual_seed(1))
    b = train.augment(xb, torch.Generator().manual_seed(1))
    assert a.shape == xb.shape and torch.equal(a, b) and not torch.equal(a, xb)
    assert val.transform is None and test.transform is None  # never augment evaluation data
    with pytest.raises(ValueError, match="crop_flip"):
        prepare_data(cfg.replace(dataset="xor", val_fraction=0.0), torch.device("cpu"), seed=0)


def test_langevin_sgd_sigma_zero_run_equals_sgd_run():
    base = DIGITS.replace(optimizer="sgd", lr=0.05, epochs=1, weight_decay=1e-3)
    a = train_one(base)
    b = train_one(base.replace(optimizer="langevin_sgd", langevin_sigma=0.0, langevin_rho=0.5))
    assert a.curves["train_loss"] == b.curves["train_loss"] and a.test == b.test


@pytest.mark.parametrize("init", ["kaiming", "lecun", "autoinit"])
def test_init_schemes_run_deterministically(init):
    cfg = DIGITS.replace(init=init, epochs=2, eval_every=2)
    a, b = train_one(cfg), train_one(cfg)
    assert a.test == b.test and a.test_acc > 0.5
    assert a.curves["epoch"] == [2]  # eval_every=2: one evaluated epoch
