"""Issue 14, the CLI's faults: every user-caused error ends in one line ``actlab CMD: error: ...``
and exit status 2 (``--debug`` / ``ACTLAB_DEBUG=1`` show the traceback, internal errors keep
theirs); bad hyper-parameters are rejected before training; ``--dry-run`` builds every distinct
cell and reports each problem once; each embedded dataset's recipe is used when none is given."""

from __future__ import annotations

import json

import pytest
import torch

import actlab.cli.train_cmd as train_cmd
from actlab.cli.main import main

pytestmark = pytest.mark.usefixtures("one_thread")


def _forbid_training(monkeypatch):
    """A case that must fail before training: train_one raising here would show up as a traceback."""

    def boom(*a, **k):
        raise AssertionError("train_one was called: the error was not caught before training")

    monkeypatch.setattr("actlab.train.train_one", boom)


def _error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    lines = [ln for ln in err if ln.startswith(f"actlab {command}: error: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in "\n".join(err)
    return lines[0]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "bad.json").write_text("{oops")
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("x")
    return tmp_path


# (argv, needle): each is one fault kind of finding 9 and the silent cases, now one line and exit 2
CASES = [
    (["train", "--data", "digits", "--model", "cnn1d"], "models that fit this dataset: "),
    (["train", "--data", "digits", "--set", 'model_kwargs={"widht": 64}'], "did you mean 'width'"),
    (["train", "--data", "digits", "--set", 'model_kwargs={"act": "gelu"}'], "model_kwargs.act is set by train_one"),
    (["train", "--data", "digits", "--set", 'model_kwargs={"num_classes": 3}'], "model_kwargs.num_classes"),
    (["train", "--data", "xor", "--set", 'dataset_kwargs={"encodng": "bipolar"}'], "did you mean 'encoding'"),
    (["train", "--data", "xor", "--set", 'dataset_kwargs={"split": "test"}'], "dataset_kwargs.split"),
    (["train", "--config", "{tmp}/list.json"], "holds a JSON list, not an object"),
    (["train", "--config", "{tmp}/bad.json"], "is not valid JSON"),
    (["train", "--config", "{tmp}/folder"], "is a folder; give a file path"),
    (["train", "--config", "{tmp}/missing.json"], "does not exist"),
    (["bench", "--config", "{tmp}/folder", "--dry-run"], "is a folder"),
    (["bench", "--db", "{tmp}/folder", "--dry-run"], "--db '{tmp}/folder' is a folder"),
    (["bench", "--out", "{tmp}/file.txt", "--dry-run"], "is a file, not a folder"),
    (["report", "{tmp}/folder"], "is a folder"),
    (["train", "--data", "xor", "--threads", "-1"], "--threads must be a positive"),
    (["profile", "relu", "--numel", "-5"], "numel must be a positive multiple of 256"),
    (["profile", "relu", "--numel", "0"], "got 0"),
    (["init-report", "mlp", "--tiny", "--num-classes", "0"], "--num-classes must be a positive integer"),
    (["init-report", "mlp", "--tiny", "--batch-size", "0"], "--batch-size must be >= 2"),
    (["plot", "relu", "-o", "{tmp}/folder"], "is a folder"),
]

# finding 10: non-finite and out-of-range values, the field named, before train_one is called
VALUE_CASES = [
    (["train", "--data", "digits", "--lr", "inf"], "lr must be a finite number, got inf"),
    (["train", "--data", "digits", "--weight-decay", "nan"], "weight_decay must be a finite number"),
    (["train", "--data", "digits", "--act", "pvlu", "--set", 'act_params={"alpha": NaN}'], "act_params.alpha"),
    (["train", "--data", "digits", "--lr", "-1"], "lr must be > 0"),
    (["train", "--data", "digits", "--set", "momentum=-0.5"], "momentum must be >= 0"),
    (["train", "--data", "digits", "--act", "pvlu", "--set", 'act_params={"alhpa": 0.1}', "--dry-run"], "alhpa"),
    (["bench", "--set", "grid.optimizers=[{name='adam',lr=inf}]", "--dry-run"], "lr must be a finite number"),
    (["bench", "--set", "recipe.weight_decay=nan", "--dry-run"], "weight_decay must be a finite number"),
    # the quick preset's optimizer entry sets lr: a recipe.lr used to be ignored without a word
    (["bench", "--set", "recipe.lr=0.01", "--dry-run"], "recipe.lr = 0.01 would be overridden by grid.optimizers[0]"),
]


@pytest.mark.parametrize("argv, needle", CASES, ids=[" ".join(a[:4]) for a, _ in CASES])
def test_user_error_is_one_line_and_exit_2(argv, needle, files, capsys):
    argv = [a.replace("{tmp}", str(files)) for a in argv]
    assert main([*argv, "--no-progress"] if argv[0] == "train" else argv) == 2
    assert needle.replace("{tmp}", str(files)) in _error_line(capsys, argv[0])


@pytest.mark.parametrize("argv, needle", VALUE_CASES, ids=[" ".join(a[:6]) for a, _ in VALUE_CASES])
def test_bad_values_are_rejected_before_training(argv, needle, capsys, monkeypatch):
    _forbid_training(monkeypatch)
    assert main(argv) == 2
    assert needle in _error_line(capsys, argv[0])


def test_contradictory_list_flags_are_an_error(capsys):
    assert main(["list", "--trainable", "--fixed"]) == 2
    assert "not allowed with argument --trainable" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["flag_before", "flag_after", "env"])
def test_debug_shows_the_traceback(how, monkeypatch):
    argv = ["train", "--data", "xor", "--threads", "-1"]
    if how == "env":
        monkeypatch.setenv("ACTLAB_DEBUG", "1")
    argv = ["--debug", *argv] if how == "flag_before" else [*argv, "--debug"] if how == "flag_after" else argv
    with pytest.raises(ValueError, match="--threads must be a positive"):
        main(argv)


def test_internal_error_keeps_its_traceback(monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("an actlab bug")

    monkeypatch.setattr(train_cmd, "build_config", broken)
    with pytest.raises(RuntimeError, match="an actlab bug"):
        main(["train", "--data", "xor"])


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys):
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("actlab.train.train_one", interrupted)
    assert main(["train", "--data", "xor", "--no-progress"]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "actlab train: interrupted"


def test_train_dry_run_builds_without_training(capsys, monkeypatch):
    _forbid_training(monkeypatch)
    assert main(["train", "--data", "xor", "--model", "single_neuron", "--act", "gcu", "--dry-run"]) == 0
    assert "builds and is ready to train" in capsys.readouterr().out


def _bench_dry(capsys, *sets: str) -> tuple[int, str]:
    argv = ["bench", "--dry-run", "--set", "grid.seeds=[0,1]", "--set", "grid.activations=['relu','gelu']"]
    for s in sets:
        argv += ["--set", s]
    rc = main(argv)
    return rc, capsys.readouterr().err


def test_bench_dry_run_builds_every_distinct_cell(capsys, monkeypatch):
    _forbid_training(monkeypatch)
    built = []
    monkeypatch.setattr("actlab.train.setup.check_config", built.append)
    rc, err = _bench_dry(capsys, "grid.tasks=[{dataset='digits',model='mlp'},{dataset='xor',model='single_neuron'}]")
    assert rc == 0 and "all 4 distinct cells (8 runs) build" in err
    assert sorted((c.dataset, c.act) for c in built) == [("digits", "gelu"), ("digits", "relu"), ("xor", "gelu"),
                                                         ("xor", "relu")]


@pytest.mark.parametrize("sets, needle, runs", [
    (["grid.tasks=[{dataset='digits',model='mlp',model_kwargs={widht=64}}]"], "did you mean 'width'", 4),
    (["grid.activations=[{name='pvlu',params={alhpa=0.1}},'relu']", "grid.tasks=[{dataset='xor',model='mlp'}]"],
     "does not take argument(s) ['alhpa']", 2),
    (["recipe.data_root='{tmp}/nowhere'", "grid.tasks=[{dataset='cifar10',model='mlp'}]"], "not found", 4),
    (["grid.tasks=[{dataset='digits',model='cnn1d'}]"], "models that fit this dataset", 4),
])
def test_bench_dry_run_reports_each_problem_once(sets, needle, runs, capsys, monkeypatch, tmp_path):
    _forbid_training(monkeypatch)
    rc, err = _bench_dry(capsys, *[s.replace("{tmp}", str(tmp_path)) for s in sets])
    assert rc == 2 and err.count(needle) == 1, err
    assert f"({runs} runs: " in err


def test_bench_dry_run_cuda_without_gpu(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    rc, err = _bench_dry(capsys, "recipe.device='cuda'")
    assert rc == 2 and err.count("torch.cuda.is_available() is False") == 1 and "(12 runs: " in err  # 3 tasks


# ------------------------------------------------------------------ recommended recipes
def test_recipes_are_shown_in_train_help(capsys):
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "recommended recipes" in out and "xor        optimizer=adam, lr=0.1, epochs=300" in out


def test_recipe_fills_only_unset_fields():
    p = train_cmd.argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command")
    train_cmd.add_parser(sub)
    cfg = train_cmd.build_config(p.parse_args(["train", "--data", "xor"]), quiet=True)
    assert (cfg.optimizer, cfg.lr, cfg.epochs) == ("adam", 0.1, 300)
    cfg = train_cmd.build_config(p.parse_args(["train", "--data", "xor", "--steps", "7", "--lr", "0.5"]), quiet=True)
    assert (cfg.lr, cfg.epochs, cfg.steps) == (0.5, None, 7)
    cfg = train_cmd.build_config(p.parse_args(["train", "--data", "xor", "--optimizer", "sgd"]), quiet=True)
    assert (cfg.optimizer, cfg.lr, cfg.epochs) == ("sgd", 1e-3, 300)  # adam's lr is not sgd's


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_single_neuron_gcu_solves_with_no_recipe_flags(seed, capsys):
    rc = main(["train", "--data", "xor", "--model", "single_neuron", "--act", "gcu", "--seed", str(seed),
               "--json", "--no-progress", "--set", "eval_every=1000"])
    r = json.loads(capsys.readouterr().out)
    assert rc == 0 and r["test"]["acc"] == 1.0 and r["diverged"] is False
