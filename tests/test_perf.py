"""The profiler (actlab.perf) and ``actlab profile``: paired-ratio statistics, structure, errors.

Tiny inputs and 2 pairs: these check what is reported and how, never how fast anything is.
"""

from __future__ import annotations

import json
import math

import pytest

from actlab.activations import set_compile_kernels
from actlab.cli.main import main
from actlab.perf import BASELINE_ROW, SANITY_ROW, Ratio, paired_ratio, profile_elementwise, profile_model_step
from actlab.perf.timing import ratio_stats

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = {"numel": 4096, "repeats": 2, "warmup": 1}


@pytest.fixture
def analytic_kernels():
    """Fused path without code generation: same formulas and saved tensors, no compile time."""
    prev = set_compile_kernels(False)
    yield
    set_compile_kernels(prev)


def _ok(r: Ratio, n: int) -> None:
    assert r.n == n
    for v in (r.median, r.q1, r.q3, r.lo, r.hi, r.baseline_s, r.candidate_s):
        assert math.isfinite(v) and v > 0
    assert r.lo <= r.q1 <= r.median <= r.q3 <= r.hi


def test_ratio_stats_closed_form():
    r = ratio_stats([2.0, 4.0, 6.0, 8.0], [1.0, 1.0, 2.0, 2.0])  # paired ratios 2, 4, 3, 4
    assert (r.median, r.q1, r.q3, r.lo, r.hi, r.n) == (3.5, 2.75, 4.0, 2.0, 4.0, 4)
    assert (r.baseline_s, r.candidate_s) == (1.5, 5.0)
    one = ratio_stats([3.0], [2.0])
    assert (one.median, one.q1, one.q3, one.n) == (1.5, 1.5, 1.5, 1)
    with pytest.raises(ValueError, match="equal, non-empty"):
        ratio_stats([1.0], [1.0, 2.0])


def test_paired_ratio_alternates_baseline_and_candidate():
    calls: list[str] = []
    r = paired_ratio(lambda: calls.append("B"), lambda: calls.append("A"), repeats=3, warmup=2)
    assert "".join(calls) == "AB" * 5  # 2 warm-up pairs, then 3 timed pairs
    _ok(r, 3)
    with pytest.raises(ValueError, match="repeats must be an integer >= 1"):
        paired_ratio(lambda: None, lambda: None, repeats=0)
    with pytest.raises(ValueError, match="warmup must be an integer >= 0"):
        paired_ratio(lambda: None, lambda: None, warmup=-1)


def test_profile_elementwise_rows_ratios_and_saved_bytes(analytic_kernels):
    rows = profile_elementwise(["swish", "softplus"], compiled=False, **TINY)
    assert [r.name for r in rows] == [SANITY_ROW, "swish", "softplus"]  # the sanity row comes first
    relu, swish, _ = rows
    for r in rows:
        _ok(r.eager_fwd, 2), _ok(r.eager_fwdbwd, 2)
        assert r.compiled_fwd is None and any("compile" in n for n in r.notes)
        assert (r.numel, r.dtype, r.relu_saved_bytes) == (4096, "float32", 4096 * 4)
    assert relu.eager_saved == 1.0 and relu.fused_fwd is not None
    assert any("auto' runs eager" in n for n in relu.notes)
    _ok(swish.fused_fwd, 2), _ok(swish.fused_fwdbwd, 2)
    assert swish.fused_saved < swish.eager_saved  # fused saves only the input (exact byte counts)
    d = json.loads(json.dumps(swish.to_dict()))
    assert set(d["eager_fwdbwd"]) == {"median", "q1", "q3", "lo", "hi", "n", "baseline_s", "candidate_s"}
    assert [r.name for r in profile_elementwise(["swish"], compiled=False, sanity=False, **TINY)] == ["swish"]


def test_compiled_columns_are_against_eager_native_relu():
    """The relu row's compiled columns show what compiling ReLU itself costs (no second, compiled baseline)."""
    (relu,) = profile_elementwise(["relu"], compiled=True, **TINY)
    _ok(relu.compiled_fwd, 2), _ok(relu.compiled_fwdbwd, 2)
    assert relu.name == "relu" and not any("compile" in n for n in relu.notes)


@pytest.mark.parametrize("kw, message", [
    ({"numel": 100}, "positive multiple of 256"),
    ({"numel": 0}, "positive multiple of 256"),
    ({"numel": -256}, "positive multiple of 256"),
    ({"repeats": 0}, "repeats must be an integer >= 1"),
    ({"warmup": -1}, "warmup must be an integer >= 0"),
    ({"names": ["abrelu"]}, "not elementwise"),
    ({"names": ["swsh"]}, "did you mean 'swish'"),
])
def test_profile_elementwise_errors(kw, message):
    args = {"names": ["swish"], "numel": 4096, **kw}
    with pytest.raises(ValueError, match=message):
        profile_elementwise(compiled=False, **args)


def test_profile_model_step_pairs_and_memory(analytic_kernels):
    rows = profile_model_step(["swish"], impls=("eager", "fused"), batch=4, steps=2, warmup=0)
    assert [(r.name, r.impl) for r in rows] == [(BASELINE_ROW, "native"), ("swish", "eager"), ("swish", "fused")]
    base, eager, fused = rows
    for r in rows:
        _ok(r.step_time, 2)
        assert r.memory_kind == "cpu_saved_bytes" and r.memory_bytes > 0 and r.images_per_s > 0
    assert base.memory_vs_relu == 1.0
    assert eager.memory_vs_relu > fused.memory_vs_relu >= 1.0  # eager swish saves more than the input
    with pytest.raises(ValueError, match="impl must be one of"):
        profile_model_step(["swish"], impls=("fast",))
    with pytest.raises(ValueError, match="batch must be a positive integer"):
        profile_model_step(["swish"], batch=0)


def test_cli_profile_json_has_spread(capsys, analytic_kernels):
    assert main(["profile", "swish", "--numel", "4096", "--repeats", "2", "--no-compile", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["env"]["repeats"] == 2 and [r["name"] for r in out["elementwise"]] == ["relu", "swish"]
    cell = out["elementwise"][1]["fused_fwdbwd"]
    assert cell["n"] == 2 and cell["q1"] <= cell["median"] <= cell["q3"]


def test_cli_profile_table_prints_spread(capsys, analytic_kernels):
    assert main(["profile", "swish", "--numel", "4096", "--repeats", "2", "--no-compile", "--no-sanity"]) == 0
    out = capsys.readouterr().out
    assert "interquartile range of 2 paired ratios" in out
    row = next(line for line in out.splitlines() if line.startswith("swish"))
    assert len(row.split()) == 1 + 2 * 4 + 2 + 2  # name, 4 timed cells "median q1-q3", 2 "-" compiled, 2 memory


@pytest.mark.parametrize("argv, message", [
    (["--numel", "1000"], "numel must be a positive multiple of 256"),
    (["--numel", "0"], "numel must be a positive multiple of 256"),
    (["--repeats", "0"], "repeats must be an integer >= 1"),
    (["abrelu"], "not elementwise"),
])
def test_cli_profile_errors_say_what_to_do(capsys, argv, message):
    assert main(["profile", *argv, "--no-compile"]) == 2
    assert message in capsys.readouterr().err
