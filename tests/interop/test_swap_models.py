"""Surgery on the 27 third-party models of issue 12 (random weights, small inputs).

Per model: a cold swap whose census finds every executed activation of the requested kind, a
forward and backward pass, a warm start exact from every base activation the model uses (max
|difference| = 0 in float32 eval mode), the model keeping its class and methods, and a
state_dict round trip. A summary line per model is printed (``-s``) for the issue's closing note.
"""

from __future__ import annotations

import copy

import pytest
import torch
from _models import MODELS, build, output_tensor

from actlab import create_activation, swap_activations
from actlab.surgery import is_activation_module
from actlab.surgery._sites import base_name

NAMES = list(MODELS)


def _bases(model) -> set[str]:
    return {b for m in model.modules() if is_activation_module(m) and (b := base_name(m)) is not None}


@pytest.mark.parametrize("name", NAMES)
def test_warm_start_is_exact_and_keeps_the_model(name):
    case = MODELS[name]
    model, x = build(case)
    assert set(case.bases) <= _bases(model) | set(case.gates) | {"tanh"}, f"{name}: bases {sorted(_bases(model))}"
    cls = type(model)
    with torch.no_grad():
        before = output_tensor(model(x))
    report = swap_activations(model, "gpvlu", warm_start=True, example_input=x)
    assert report.model is model and type(model) is cls
    for attr in case.methods:
        assert hasattr(model, attr), f"{name} lost {attr}"
    with torch.no_grad():
        after = output_tensor(model(x))
    diff = float((after - before).abs().max())
    assert diff == 0.0 and report.output_diff == 0.0, f"{name}: warm start differs by {diff}"
    assert report.missed == [], f"{name}: still runs after the swap: {report.missed}"
    assert all(s.warm_diff == 0.0 for s in report.sites)
    gates = [s for s in report.left if s.reason.startswith("gate")]
    assert bool(gates) == bool(case.gates), f"{name}: gates left {len(gates)}, expected some: {case.gates}"
    print(f"\n[interop] {name}: sites changed {len(report.sites)}, left {len(report.left)} "
          f"({len(gates)} gates), warm-start max|diff| {diff:g}, census: {report.census}")


@pytest.mark.parametrize("name", NAMES)
def test_cold_swap_trains_and_round_trips(name):
    model, x = build(MODELS[name])
    report = swap_activations(model, ("gpvlu", {"shape": "channel"}), example_input=x)
    assert len(report) > 0 and report.missed == []
    new = {id(sub) for m in model.modules() if type(m).__name__ == "GPVLU" for sub in m.modules()}
    hidden = [m for m in model.modules() if is_activation_module(m) and id(m) not in new]
    left_names = {s.name for s in report.left}
    for m in hidden:  # every activation still there is one the report lists as left
        path = next(n for n, sub in model.named_modules() if sub is m)
        assert path in left_names or any(n.startswith(path) for n in left_names), f"{name}: {path} silently kept"
    model.train()
    out = model(x)
    parts = list(out.values()) if isinstance(out, dict) else [output_tensor(out)]  # HF outputs: every field
    sum(t.float().pow(2).mean() for t in parts if isinstance(t, torch.Tensor)).backward()
    acts = [m for m in model.modules() if type(m).__name__ == "GPVLU"]
    assert acts and all(m.alpha.grad is not None for m in acts)
    state = copy.deepcopy(model.state_dict())
    fresh, _ = build(MODELS[name], seed=1)
    swap_activations(fresh, ("gpvlu", {"shape": "channel"}), example_input=x)
    fresh.load_state_dict(state)
    model.eval()
    fresh.eval()
    with torch.no_grad():
        assert torch.equal(output_tensor(fresh(x)), output_tensor(model(x)))


@pytest.mark.parametrize("name", NAMES)
def test_warm_start_with_laaf_and_an_inferred_census_input(name):
    """LAAF over the replaced activation: exact too (n a = 1); no example_input: the census infers one."""
    model, x = build(MODELS[name])
    with torch.no_grad():
        before = output_tensor(model(x))
    report = swap_activations(model, "laaf", warm_start=True)
    assert report.census.startswith("ran on") and report.missed == [] and report.output_diff == 0.0
    with torch.no_grad():
        assert torch.equal(output_tensor(model(x)), before)


def test_gelu_model_refuses_pvlu_with_the_candidates():
    model, x = build(MODELS["timm/vit_tiny_patch16_224"])
    with pytest.raises(ValueError, match=r"equal 'gelu'.*gpvlu"):
        swap_activations(model, "pvlu", warm_start=True, example_input=x)
    assert create_activation("gpvlu") is not None
