"""TrainConfig: strict parsing, round trip, stable hash; RunResult JSON round trip."""

from __future__ import annotations

import json

import pytest

from actlab.train import ConfigError, EvalMetrics, RunResult, TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")


def test_round_trip_and_hash_stable():
    cfg = TrainConfig(dataset="mnist1d", model="cnn1d", lr=1e-2, milestones=[2, 4], model_kwargs={"channels": 8})
    d = json.loads(json.dumps(cfg.to_dict()))
    again = TrainConfig.from_dict(d)
    assert again == cfg
    assert again.config_hash() == cfg.config_hash()
    assert len(cfg.config_hash()) == 64
    # int for a float field hashes like the float; any change of a field changes the hash
    assert TrainConfig(lr=1).config_hash() == TrainConfig(lr=1.0).config_hash()
    assert TrainConfig(seed=1).config_hash() != TrainConfig(seed=2).config_hash()
    assert cfg.replace(seed=3).seed == 3


@pytest.mark.parametrize(
    "bad, field, needle",
    [
        ({"lrr": 0.1}, "lrr", "did you mean 'lr'"),
        ({"batchsize": 4}, "batchsize", "batch_size"),
        ({"lr": "0.1"}, "lr", "must be float"),
        ({"epochs": True}, "epochs", "must be int or None"),
        ({"epochs": 2.5}, "epochs", "must be int or None"),
        ({"normalize": 1}, "normalize", "must be bool"),
        ({"model_kwargs": [1]}, "model_kwargs", "must be dict"),
        ({"optimizer": "adm"}, "optimizer", "did you mean 'adam'"),
        ({"schedule": "cos"}, "schedule", "cosine"),
        ({"epochs": 3, "steps": 5}, "steps", "only one of epochs and steps"),
        ({"val_fraction": 1.5}, "val_fraction", "outside"),
        ({"lr": -1.0}, "lr", "> 0"),
        ({"milestones": [5, 2]}, "milestones", "increasing"),
    ],
)

def test_strict_errors_name_the_field(bad, field, needle):
    with pytest.raises(ConfigError) as e:
        TrainConfig.from_dict(bad)
    assert field in str(e.value) and needle in str(e.value)


def test_budget_defaults():
    assert TrainConfig().epochs == 10 and TrainConfig().steps is None
    assert TrainConfig(steps=7).epochs is None


def test_act_spec():
    assert TrainConfig(act="pvlu").act_spec == "pvlu"
    assert TrainConfig(act="pvlu", act_params={"alpha": 0.2}).act_spec == ("pvlu", {"alpha": 0.2})


def test_run_result_json_round_trip_with_nan():
    m = EvalMetrics(acc=0.5, loss=float("nan"), recall=(1.0, 0.0), f1=(0.6, 0.0), n=4)
    r = RunResult(config=TrainConfig().to_dict(), config_hash="x", test=m, best_val=m, test_at_best_val=m,
                  best_val_epoch=1, curves={"train_loss": [1.0, float("inf")]}, act_params=[{"a.alpha": 0.1}],
                  diverged=True, diverged_step=3, message="diverged")
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    back = RunResult.from_dict(d)
    assert back.curves["train_loss"][1] == float("inf")
    assert back.test.acc == 0.5 and back.test.recall == (1.0, 0.0) and back.diverged_step == 3
    assert back.test.balanced_acc == 0.5 and back.test.macro_f1 == pytest.approx(0.3)
    with pytest.raises(ValueError, match="unknown keys"):
        RunResult.from_dict({**d, "bogus": 1})
