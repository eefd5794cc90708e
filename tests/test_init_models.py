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
    with pytest.raises(ValueError, match="RoutingCapsules"):
        _init(model, shape)
    report = _init(model, shape, fallback="lsuv")
    assert report.mode == "hooks" and report.within(0.5, 2.0)
    assert any("RoutingCapsules" in n for n in report.notes)


# Pairs where analytic AutoInit (and its variants) are known to leave [0.5, 2] at tiny test widths.
KNOWN_OUTSIDE = {
    "squ": "SQU's variance map v -> ~v^2 has an unstable fixed point: deep nets explode",
}
OPTIONS = {"center": "auto", "calibrate": True}


@pytest.mark.slow
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("name", [n for n in list_models() if model_info(n).has_activation])
def test_every_family_and_activation(name, act):
    model, shape = _build(name, act)
    report = _init(model, shape, fallback="lsuv", **OPTIONS)
    if act in KNOWN_OUTSIDE or (name, act) in KNOWN_OUTSIDE:
        pytest.skip(KNOWN_OUTSIDE.get(act) or KNOWN_OUTSIDE[(name, act)])
    assert report.within(0.5, 2.0), report.to_table()
