"""Issue 14, the library's faults: validation before training, divergence for every optimizer,
JSON without NaN, the pre-flight check of a grid, strict image folders and dataset kwargs,
activation inputs and parameters, and pau / gelu_tanh / rowdy at extreme finite inputs."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
import torch
from PIL import Image

from actlab.activations import activation_class, create_activation, list_activations
from actlab.activations.laaf import laaf_global
from actlab.bench import BenchConfig
from actlab.bench.preflight import check_cells, format_problems
from actlab.data import DatasetArgumentError, DatasetError, load_dataset
from actlab.errors import UserError
from actlab.init.batch import sample_batch
from actlab.models import create_model
from actlab.train import ConfigError, RunResult, TrainConfig, check_config, train_one
from actlab.train.config import OPTIMIZERS
from actlab.train.result import EvalMetrics

pytestmark = pytest.mark.usefixtures("one_thread")

FLOAT_FIELDS = [f.name for f in dataclasses.fields(TrainConfig) if f.type in ("float", float)]


# ------------------------------------------------------------------ validation before training
def test_the_float_fields_table_is_not_empty():
    assert {"lr", "weight_decay", "momentum", "label_smoothing"} <= set(FLOAT_FIELDS)


@pytest.mark.parametrize("field", FLOAT_FIELDS)
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_float_fields_are_rejected_with_their_name(field, value):
    with pytest.raises(ConfigError, match=rf"^{field} must be a finite number"):
        TrainConfig(**{field: value})


def test_an_int_beyond_the_float_range_is_rejected():
    with pytest.raises(ConfigError, match="lr must be a finite number, got an int too large"):
        TrainConfig(lr=10**400)


@pytest.mark.parametrize("field, value", [("act_params", {"alpha": math.nan}),
                                          ("model_kwargs", {"widths": [4, math.inf]}),
                                          ("dataset_kwargs", {"noise": -math.inf})])
def test_non_finite_values_inside_dicts_are_rejected_with_their_path(field, value):
    key = next(iter(value))
    with pytest.raises(ConfigError, match=rf"^{field}\.{key}(\[1\])? must be a finite number"):
        TrainConfig(**{field: value})


@pytest.mark.parametrize("kw, needle", [({"momentum": -0.1}, "momentum must be >= 0"),
                                        ({"gamma": 0.0}, "gamma must be > 0"), ({"lr": 0.0}, "lr must be > 0"),
                                        ({"weight_decay": -1e-4}, "weight_decay")])
def test_out_of_range_values_are_rejected(kw, needle):
    with pytest.raises(ConfigError, match=needle):
        TrainConfig(**kw)


@pytest.mark.parametrize("field, key", [("model_kwargs", "act"), ("model_kwargs", "num_classes"),
                                        ("model_kwargs", "in_chans"), ("dataset_kwargs", "root"),
                                        ("dataset_kwargs", "split")])
def test_kwargs_that_train_one_sets_itself_are_rejected(field, key):
    with pytest.raises(ConfigError, match=rf"{field}\.{key} is set by train_one"):
        TrainConfig(**{field: {key: 1}})


@pytest.mark.parametrize("make", [lambda: create_activation("relux"), lambda: create_activation("pvlu", alhpa=1.0),
                                  lambda: create_model("mlp", widht=3), lambda: create_model("mlpp"),
                                  lambda: load_dataset("digitz"), lambda: load_dataset("xor", encodng="x")])
def test_unknown_names_and_arguments_are_user_errors(make):
    """So that the CLI and the benchmark's failure taxonomy know the config caused them."""
    with pytest.raises(UserError):
        make()


def test_dataset_kwargs_typo_names_the_valid_ones():
    with pytest.raises(DatasetArgumentError, match=r"'encodng' \(did you mean 'encoding'\?\)"):
        load_dataset("xor", encodng="bipolar")
    with pytest.raises(DatasetArgumentError, match="valid dataset_kwargs: none"):
        load_dataset("digits", seed=1)


@pytest.mark.parametrize("kw, needle", [
    ({"model": "cnn1d"}, "models that fit this dataset: .*mlp"),
    ({"model": "gpt"}, "reads token ids"),
    ({"model": "mlp", "model_kwargs": {"widht": 8}}, "did you mean 'width'"),
    ({"act": "pvlu", "act_params": {"alhpa": 0.1}}, "alhpa"),
    ({"data_root": "/nonexistent/actlab", "dataset": "cifar10"}, "not found"),
    ({"amp_bf16": True, "device": "cpu"}, "CUDA-only"),
])
def test_check_config_raises_what_the_run_would(kw, needle):
    with pytest.raises(ValueError, match=needle):
        check_config(TrainConfig(**{"dataset": "digits", **kw}))


def test_check_config_passes_a_good_config_and_keeps_the_rng():
    state = torch.get_rng_state()
    check_config(TrainConfig(dataset="digits", model="mlp", model_kwargs={"width": 8}, init="kaiming"))
    assert torch.equal(state, torch.get_rng_state())


# ------------------------------------------------------------------ divergence, every optimizer
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_huge_lr_is_recorded_as_diverged_for_every_optimizer(optimizer):
    cfg = TrainConfig(dataset="digits", model="mlp", model_kwargs={"width": 8, "depth": 1}, optimizer=optimizer,
                      lr=1e6, epochs=3, eval_every=100)
    r = train_one(cfg)
    assert r.diverged and r.diverged_step is not None and r.message.startswith("diverged:")
    assert r.steps < 3 * 12  # stopped early: 1438 samples / 128 = 12 steps per epoch
    json.dumps(r.to_dict(), allow_nan=False)


def test_adam_at_lr_1e6_reads_diverged_although_its_loss_stays_finite():
    cfg = TrainConfig(dataset="digits", model="mlp", model_kwargs={"width": 8, "depth": 1}, lr=1e6, epochs=2)
    r = train_one(cfg)
    assert r.diverged and "stayed above 100 x" in r.message
    assert all(math.isfinite(v) for v in r.curves["train_loss"])


def test_a_normal_run_is_not_diverged():
    r = train_one(TrainConfig(dataset="digits", model="mlp", model_kwargs={"width": 8, "depth": 1}, lr=1e-2, epochs=2))
    assert not r.diverged and r.diverged_step is None and r.test_acc > 0.5


# ------------------------------------------------------------------ JSON: null + a flag
def _result(**kw) -> RunResult:
    test = EvalMetrics(acc=0.5, loss=math.nan, recall=(1.0, math.inf), f1=(0.5, 0.5), n=4)
    return RunResult(config=TrainConfig().to_dict(), config_hash="h", test=test, **kw)


def test_non_finite_values_become_null_with_a_flag_and_round_trip():
    r = _result(curves={"train_loss": [1.0, math.inf, -math.inf]}, act_params=[{"blocks.0.act.alpha": math.nan}],
                wall_time_s=math.nan)
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)  # JSON never sees NaN or inf
    assert d["test"]["loss"] is None and d["curves"]["train_loss"] == [1.0, None, None]
    assert [["test", "loss"], "nan"] in d["nonfinite"] and [["curves", "train_loss", 2], "-inf"] in d["nonfinite"]
    back = RunResult.from_dict(json.loads(text))
    assert math.isnan(back.test.loss) and back.test.recall == (1.0, math.inf)
    assert back.curves["train_loss"][1:] == [math.inf, -math.inf] and math.isnan(back.wall_time_s)
    assert math.isnan(back.act_params[0]["blocks.0.act.alpha"])
    assert _result().to_dict()["nonfinite"] == [[["test", "loss"], "nan"], [["test", "recall", 1], "inf"]]


def test_old_rows_with_nan_strings_still_load_and_bad_flags_raise():
    d = _result().to_dict()
    del d["nonfinite"]
    d["test"]["loss"] = "nan"
    assert math.isnan(RunResult.from_dict(d).test.loss)
    d["nonfinite"] = [[["test", "nope"], "nan"]]
    with pytest.raises(ValueError, match="not in the result"):
        RunResult.from_dict(d)


# ------------------------------------------------------------------ the grid's pre-flight check
def _grid(**grid) -> BenchConfig:
    base = {"tasks": [{"dataset": "digits", "model": "mlp", "model_kwargs": {"width": 8}}],
            "activations": ["relu", "gelu"], "seeds": [0, 1, 2]}
    return BenchConfig.from_dict({"grid": {**base, **grid}, "recipe": {"device": "cpu"}})


def test_check_cells_builds_each_distinct_cell_once():
    seen = []
    assert check_cells(_grid().cells(), check=seen.append) == []
    assert sorted(c.act for c in seen) == ["gelu", "relu"]  # 6 runs, 2 distinct builds
    assert "all 2 distinct cells (6 runs) build" in format_problems([], _grid().cells())


def test_check_cells_groups_each_problem_once():
    cells = _grid(tasks=[{"dataset": "digits", "model": "mlp", "model_kwargs": {"widht": 8}},
                         {"dataset": "digits", "model": "cnn1d"},
                         {"dataset": "digits", "model": "mlp", "model_kwargs": {"width": 8}}],
                  activations=["relu", {"name": "pvlu", "params": {"alhpa": 0.1}}]).cells()
    typo, mismatch, param = check_cells(cells)  # in grid order, one per distinct message
    assert "did you mean 'width'" in typo.message and typo.runs == 6 and len(typo.cells) == 2
    assert "models that fit" in mismatch.message and mismatch.runs == 6
    assert "alhpa" in param.message and param.cells == ("digits/mlp x pvlu(alhpa=0.1)",) and param.runs == 3
    assert "3 problem(s) in 6 distinct cells; 15 of 18 runs would fail" in format_problems([typo, mismatch, param],
                                                                                           cells)


def test_check_cells_reports_internal_errors_as_such():
    def broken(cfg):
        raise RuntimeError("bug")

    (p,) = check_cells(_grid().cells(), check=broken)
    assert not p.user_error and p.message == "internal error RuntimeError: bug" and p.runs == 6


# ------------------------------------------------------------------ image folders, nothing skipped
def _image(path, size=(4, 4), fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 20, 30)).save(path, format=fmt)


def test_empty_class_folder_is_an_error_naming_it(tmp_path):
    _image(tmp_path / "train" / "cat" / "a.png")
    (tmp_path / "train" / "dog").mkdir()
    with pytest.raises(DatasetError, match=r"class folder .*dog holds no images"):
        load_dataset("imagefolder", root=tmp_path, split="train")


@pytest.mark.parametrize("name, fmt", [("b.bmp", "BMP"), ("notes.txt", None), ("sub", "dir")])
def test_unsupported_files_are_errors_naming_them(tmp_path, name, fmt):
    _image(tmp_path / "train" / "cat" / "a.png")
    _image(tmp_path / "train" / "dog" / "c.png")
    target = tmp_path / "train" / "dog" / name
    if fmt == "dir":
        target.mkdir()
    elif fmt is None:
        target.write_text("x")
    else:
        _image(target, fmt=fmt)
    with pytest.raises(DatasetError, match=rf"{name} is "):
        load_dataset("imagefolder", root=tmp_path, split="train")


def test_hurricane_with_an_empty_class_is_an_error(tmp_path):
    _image(tmp_path / "test" / "damage" / "-95.1_29.1.jpeg", size=(8, 8), fmt="JPEG")
    (tmp_path / "test" / "no_damage").mkdir()
    with pytest.raises(DatasetError, match="no_damage holds no images"):
        load_dataset("hurricane_damage", root=tmp_path, split="test")


# ------------------------------------------------------------------ activations: inputs and params
def _build(name):
    kw = {"num_channels": 4} if getattr(activation_class(name), "requires_channels", False) else {}
    return create_activation(name, **kw)


@pytest.mark.parametrize("name", list_activations())
@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.complex64])
def test_activations_reject_integer_bool_and_complex_input(name, dtype):
    x = torch.ones(2, 4, 3, 3).to(dtype)
    with pytest.raises(TypeError, match="expects a floating-point tensor"):
        _build(name)(x)


def test_ada_int64_no_longer_returns_zeros():
    with pytest.raises(TypeError, match=r"got dtype torch.int64; convert the input first"):
        create_activation("ada")(torch.tensor([1, 2, 3]))


@pytest.mark.parametrize("name, kw", [("ada", {"alpha": math.inf}), ("ada", {"beta": math.nan}),
                                      ("pvlu", {"alpha": -math.inf}),
                                      ("gcu", {"shape": "channel", "num_channels": 2.7}),
                                      ("prelu", {"shape": "channel", "num_channels": 0}),
                                      ("prelu", {"shape": "channel", "num_channels": True}),
                                      ("prelu", {"shape": "channel", "num_channels": 2.0})])
def test_bad_parameters_are_rejected_at_construction(name, kw):
    with pytest.raises(ValueError, match="must be a finite number|num_channels must be a positive int"):
        create_activation(name, **kw)


def test_parameters_outside_add_param_are_checked_too():
    with pytest.raises(ValueError, match="PAU: coefficients must be finite numbers, got nan"):
        create_activation("pau", numerator=(0.0, 1.0, 0.0, 0.0, 0.0, math.nan))
    with pytest.raises(ValueError, match="laaf_global: parameter a must be a finite number"):
        laaf_global("tanh", a=math.inf)


@pytest.mark.parametrize("name, kw", [("laaf", {"n": math.inf}), ("rowdy", {"n": math.inf}),
                                      ("leaky_ada", {"leak": math.inf}), ("srs", {"eps": math.inf})])
def test_non_finite_constants_are_rejected_at_construction(name, kw):
    with pytest.raises(ValueError, match="must be a finite number"):
        create_activation(name, **kw)


# ------------------------------------------------------------------ numerics at extreme finite inputs
EXTREME = [5e9, -5e9, 2e19, -2e19, 1e30, -1e30, 3e38, -3e38]


@pytest.mark.parametrize("name, kw", [("pau", {}), ("pau", {"denominator_form": "sum_abs"}),
                                      ("pau", {"degrees": (3, 3)}), ("gelu_tanh", {}), ("rowdy", {}),
                                      ("rowdy", {"base": "relu"})])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("impl", ["eager", "auto"])
def test_no_nan_at_extreme_finite_inputs(name, kw, dtype, impl):
    m = create_activation(name, impl=impl, **kw)
    big = torch.finfo(dtype).max
    x = torch.tensor([*EXTREME, big, -big, 0.5, -2.0], dtype=dtype, requires_grad=True)
    y = m(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert y.dtype == dtype and not torch.isnan(y).any() and not torch.isnan(g).any(), (y, g)


def test_pau_is_its_float64_formula_at_extreme_inputs():
    m = create_activation("pau")
    x = torch.tensor([5e9, -5e9, 1e20, 3e38])
    a = torch.tensor([0.0, 0.505, 2.484346, 3.672461, 1.910105, 0.336652], dtype=torch.float64)
    b = torch.tensor([0.0, 7.272201, 0.0, 0.666638], dtype=torch.float64)
    z = x.double()
    want = sum(a[k] * z**k for k in range(6)) / (1 + (sum(b[k] * z ** (k + 1) for k in range(4))).abs())
    torch.testing.assert_close(m(x).double(), want, rtol=1e-6, atol=0)
    assert torch.isfinite(m(x)).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_gelu_tanh_is_relu_beyond_10_with_gradient_0_or_1(dtype):
    x = torch.tensor([2e19, -2e19, 11.0, -11.0, 3e38], dtype=dtype, requires_grad=True)
    y = create_activation("gelu_tanh")(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(y.detach(), torch.relu(x.detach())) and g.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]
    x = torch.linspace(-10, 10, 201, dtype=torch.float64)
    torch.testing.assert_close(create_activation("gelu_tanh")(x), torch.nn.functional.gelu(x, approximate="tanh"))


def test_sample_batch_needs_two_samples():
    with pytest.raises(ValueError, match="batch_size must be an int >= 2"):
        sample_batch((3,), 1, 0.0, 1.0, 0, torch.nn.Linear(3, 3))


def test_model_without_an_activation_trains_and_refuses_one():
    """spiking_resnet's nonlinearity is its spike: train_one builds it without ``act`` and refuses one."""
    from actlab.train import TrainConfig, train_one
    from actlab.train.config import ConfigError

    kw = {"n": 1, "width": 4, "time_steps": 2}
    r = train_one(TrainConfig(dataset="digits", model="spiking_resnet", model_kwargs=kw, epochs=None, steps=2,
                              device="cpu"))
    assert r.steps == 2 and 0.0 <= r.test.acc <= 1.0 and r.test.n > 0 and not r.diverged
    with pytest.raises(ConfigError, match="has no activation"):
        train_one(TrainConfig(dataset="digits", model="spiking_resnet", model_kwargs=kw, act="gcu", epochs=None,
                              steps=2, device="cpu"))
