"""``actlab train``: flags and --set build a TrainConfig; --json prints the RunResult."""

from __future__ import annotations

import json

import pytest

from actlab.cli.main import main
from actlab.train import RunResult

pytestmark = pytest.mark.usefixtures("one_thread")


def test_train_json(capsys):
    rc = main(["train", "--data", "xor", "--model", "single_neuron", "--act", "gcu", "--seed", "1", "--steps", "20",
               "--lr", "0.1", "--set", "normalize=false", "--set", "batch_size=4", "--set", "eval_every=1000",
               "--json", "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0
    r = RunResult.from_dict(json.loads(out))
    assert r.steps == 20 and r.config["seed"] == 1 and r.config["epochs"] is None and r.config["normalize"] is False


def test_train_progress_goes_to_stderr(capsys):
    rc = main(["train", "--data", "xor", "--model", "single_neuron", "--steps", "3", "--set", "batch_size=4"])
    cap = capsys.readouterr()
    assert rc == 0 and "final test acc" in cap.out and "single_neuron/relu/xor" in cap.err


@pytest.mark.parametrize("argv, needle", [(["--set", "lrr=1"], "did you mean 'lr'"), (["--set", "oops"], "KEY=VALUE"),
                                          (["--optimizer", "adm"], "adam")])
def test_train_errors(argv, needle, capsys):
    assert main(["train", "--data", "xor", *argv]) == 2
    assert needle in capsys.readouterr().err
