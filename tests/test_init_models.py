"""AutoInit on the model zoo: measured pre-activation variance stays within [0.5, 2] x target.

Default run: a 50-layer MLP, resnet56 and one small network per mechanism (pooling, grouped
convs, hook mode, LSUV fallback). Slow run (``-m slow``): every registered model family (tiny
test configuration) x 10 activations; the pairs where the analytic model is known to miss (tiny
widths, SQU's unstable variance map, sigmoid behind BatchNorm) are listed with the reason and
checked to still run, see docs/autoinit_study.md for the measured table.
"""

from __future__ import annotations

import pytest
import torch

from actlab.init import autoinit, measure_init
from actlab.models import create_model, list_models, model_info

ACTS = ["relu", "selu", "tanh", "sigmoid", "gelu", "gcu", "colu", "ada", "pvlu", "squ"]


def _build(name: str, act: str, **over) -> tuple[torch.nn.Module, tuple[int, ...]]:
    info = model_info(name)
    kw = {**info.test_kwargs, **over}
    torch.manual_seed(0)
    # eager activations: the fused fast path would compile kernels, which is not what is tested here
    return create_model(name, act=(act, {"impl": "eager"}), in_chans=info.test_shape[0], **kw), info.test_shape


def _init(model, shape, **kw):
    return autoinit(model, input_shape=shape, batch_size=64, generator=torch.Generator().manual_seed(0), **kw)


DEFAULT_CASES = [
    # (model, act, builder overrides, autoinit options)
    ("mlp", "tanh", {"depth": 50, "width": 64}, {}),
    ("mlp", "selu", {"depth": 50, "width": 64}, {}),
    ("mlp", "sigmoid", {"depth": 50, "width": 64}, {"center": "auto"}),
    ("resnet56", "tanh", {}, {}),
    ("resnet56", "relu", {}, {}),
    ("lenet5", "colu", {}, {}),
    ("mobilenet", "tanh", {}, {}),
    ("damage_cnn", "relu", {}, {"center": "auto"}),
    ("cnn1d", "tanh", {"channels": 16}, {}),  # hook mode (fx cannot trace its input-rank branch)
]


@pytest.mark.parametrize("name,act,over,opts", DEFAULT_CASES, ids=[f"{c[0]}-{c[1]}" for c in DEFAULT_CASES])
def test_preactivation_variance_within_bounds(name, act, over, opts):
    model, shape = _build(name, act, **over)
    default = measure_init(model, input_shape=shape, batch_size=64)
    report = _init(model, shape, **opts)
    q = report.ratios()
    assert len(q) == len(default.layers) > 0
    assert report.within(0.5, 2.0), report.to_table()
    if name == "mlp":  # PyTorch's default init shrinks the signal layer after layer
        assert min(default.ratios()) < 0.1


def test_unsupported_family_module_with_lsuv_fallback():
    model, shape = _build("mocapsnet", "relu")
    with pytest.raises(ValueError, match="AutoInit has no rule for"):
        _init(model, shape)
    report = _init(model, shape, fallback="lsuv")
    assert report.within(0.5, 2.0) and any("no rule for" in n for n in report.notes)


SLOW_MODELS = [n for n in list_models() if model_info(n).has_activation]


@pytest.mark.slow
def test_every_family_and_activation_matrix():
    """Share of (model, activation) pairs whose every weighted layer lands in [0.5, 2] x target.

    Floors sit a little under the values measured when this was written (docs/autoinit_study.md:
    default 0/273, autoinit 141/273, center="auto" + calibrate 191/273 at the tiny test widths);
    the misses are tiny widths (3-4 channels), SQU's unstable variance map and sigmoid behind
    BatchNorm in residual nets.
    """
    counts = {"default": 0, "autoinit": 0, "auto+calibrate": 0}
    misses = []
    n = 0
    for name in SLOW_MODELS:
        for act in ACTS:
            model, shape = _build(name, act)
            n += 1
            counts["default"] += measure_init(model, input_shape=shape, batch_size=64).within(0.5, 2.0)
            for key, opts in (("autoinit", {}), ("auto+calibrate", {"center": "auto", "calibrate": True})):
                try:
                    ok = _init(_build(name, act)[0], shape, fallback="lsuv", **opts).within(0.5, 2.0)
                except ValueError:  # predicted moments overflowed (SQU in deep residual nets)
                    ok = False
                counts[key] += ok
                if not ok and key == "auto+calibrate":
                    misses.append(f"{name}/{act}")
    assert counts["default"] <= 0.05 * n, counts
    assert counts["autoinit"] >= 0.5 * n, (counts, n)
    assert counts["auto+calibrate"] >= 0.68 * n, (counts, n, misses)


@pytest.mark.gpu
def test_autoinit_on_cuda_matches_cpu():
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    model, shape = _build("resnet20", "pvlu")
    report = autoinit(model.cuda(), input_shape=shape, batch_size=64)
    assert report.within(0.5, 2.0) and next(model.parameters()).is_cuda
    cpu, _ = _build("resnet20", "pvlu")
    ref = autoinit(cpu, input_shape=shape, batch_size=64)
    assert [r.weight_var for r in report.layers] == pytest.approx([r.weight_var for r in ref.layers], rel=1e-4)


def test_stochastic_depth_initializes_every_block():
    # traced with blocks in eval mode: every block contributes (scaled by survival), none is skipped
    model, shape = _build("resnet20", "relu", widths=(8, 8, 8), stochastic_depth=0.5)
    report = _init(model, shape)
    assert report.mode == "fx" and set(report.methods().values()) == {"autoinit"}
    assert len(report.layers) == 20 and report.within(0.5, 2.0)
