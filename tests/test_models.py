"""Model zoo tests, generated from the model registry: every registered model runs, takes its
activation(s) and norm layer from the caller, and numbers its activation sites from the input."""

from __future__ import annotations

import inspect
import itertools
import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import actlab
from actlab.activations import Activation, ActSite, per_layer
from actlab.activations.torch_table import TORCH_CALLS
from actlab.models import create_model, list_models, model_info
from actlab.models.stochastic_depth import expected_active_blocks, survival_probs

MODELS = list_models()
XOR_X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = torch.tensor([0.0, 1.0, 1.0, 0.0])
TORCH_ACTS = tuple(
    c for c in vars(nn.modules.activation).values()
    if isinstance(c, type) and issubclass(c, nn.Module) and c is not nn.Module and c is not nn.MultiheadAttention
)


pytestmark = pytest.mark.usefixtures("one_thread")


class Sentinel(nn.Module):
    """A unique activation: the identity, counted by the tests."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 1.0


def _tiny(name: str, **kw) -> tuple[nn.Module, torch.Tensor]:
    info = model_info(name)
    kwargs = {"num_classes": 3, "in_chans": info.test_shape[0], **info.test_kwargs, **kw}
    model = create_model(name, **kwargs)
    return model, info.example_input(2, kwargs["in_chans"])


def _all_acts(name: str, act) -> dict:
    return {k: act for k in model_info(name).act_kwargs}


def _takes_norm(name: str) -> bool:
    return "norm" in inspect.signature(model_info(name).builder).parameters


@pytest.mark.parametrize("name", MODELS)
def test_forward_backward_tiny(name):
    model, x = _tiny(name)
    model.train()
    out = model(x)
    assert out.shape[0] == 2 and out.dim() == (3 if model_info(name).tokens else 2)  # token models: (B, T, V)
    assert torch.isfinite(out).all()
    out.square().mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and any(g is not None and g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("name", [n for n in MODELS if model_info(n).has_activation])
def test_sentinel_replaces_every_activation(name, monkeypatch):
    model, x = _tiny(name, **_all_acts(name, Sentinel))
    found = [m for m in model.modules() if isinstance(m, Sentinel)]
    others = [type(m).__name__ for m in model.modules() if isinstance(m, TORCH_ACTS + (Activation,))]
    assert found, f"{name}: no sentinel site"
    assert not others, f"{name}: hard-coded activations remain: {others}"

    def boom(*a, **k):
        raise AssertionError(f"{name}: functional activation called in forward")

    for call in TORCH_CALLS:  # every functional and tensor-method form of a torch activation
        space, _, fname = call.path.rpartition(".")
        namespace = {"torch": torch, "torch.nn.functional": F, "torch.Tensor": torch.Tensor}[space]
        monkeypatch.setattr(namespace, fname, boom)
    model.eval()
    with torch.no_grad():
        model(x)


@pytest.mark.parametrize("name", [n for n in MODELS if model_info(n).has_activation])
def test_sites_are_module_paths_in_input_order(name):
    sites: list[ActSite] = []

    def record(site: ActSite):
        sites.append(site)
        return Sentinel

    model, x = _tiny(name, **_all_acts(name, per_layer(record)))
    assert [s.index for s in sites] == list(range(len(sites)))
    assert len({s.name for s in sites}) == len(sites)
    for s in sites:
        assert isinstance(model.get_submodule(s.name), Sentinel), f"{name}: site {s.name!r} is not its module path"
    # the forward pass meets the sites in index order
    calls: list[int] = []
    for s in sites:
        model.get_submodule(s.name).register_forward_hook(lambda m, i, o, idx=s.index: calls.append(idx))
    model.eval()
    with torch.no_grad():
        model(x)
    first = list(dict.fromkeys(calls))
    assert first == sorted(first) and set(first) == set(range(len(sites)))


def test_per_layer_choice_mixes_activations():
    model = create_model("resnet20", act=per_layer(lambda s: "relu" if s.index < 2 else ("pvlu", {"alpha": 0.0})))
    kinds = [type(m).__name__ for m in model.modules() if isinstance(m, Activation)]
    assert kinds[:2] == ["ReLU", "ReLU"] and set(kinds[2:]) == {"PVLU"} and len(kinds) == 19


def test_per_channel_activation_gets_site_channels():
    model = create_model("resnet20", act=("pvlu", {"shape": "channel"}))
    assert model.layer3[0].act1.value("alpha").shape == (64,)
    assert model.act1.value("alpha").shape == (16,)
    model(torch.randn(2, 3, 8, 8)).sum().backward()


@pytest.mark.parametrize("name", [n for n in MODELS if _takes_norm(n)])
@pytest.mark.parametrize("norm", ["group", None])
def test_norm_is_injected(name, norm):
    factory = (lambda c: nn.GroupNorm(1, c)) if norm == "group" else None
    model, x = _tiny(name, norm=factory)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if norm == "group":
        assert any(isinstance(m, nn.GroupNorm) for m in model.modules()), f"{name} ignored its norm argument"
    model.eval()
    assert torch.isfinite(model(x)).all()


@pytest.mark.parametrize("name", ["resnet20", "vgg11", "densenet121", "mobilenet", "wrn", "preact_resnet18"])
def test_default_norm_is_batchnorm(name):
    model, _ = _tiny(name)
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_pynada_roles_are_independent():
    model = create_model("pynada_mlp", in_chans=4, widths=(5,), act=Sentinel, basal_act="relu")
    layer = model.layers[0]
    assert isinstance(layer.act_a, Sentinel) and type(layer.act_b).__name__ == "ReLU"
    assert layer.apical.weight.data_ptr() != layer.basal.weight.data_ptr()
    x = torch.randn(3, 4)
    expected = layer.apical(x) + torch.clamp(layer.basal(x), min=0)
    assert torch.allclose(layer(x), expected)
    # defaults: apical ADA, basal ReLU
    default = create_model("pynada_lenet")
    assert type(default.features[0].act_a).__name__ != "ReLU" and type(default.features[0].act_b).__name__ == "ReLU"
    assert model_info("pynada_lenet").act_kwargs == ("act", "basal_act")


@pytest.mark.parametrize("name, plain", [("pynada_mlp", "mlp"), ("pynada_lenet", "lenet5")])
def test_pynada_doubles_hidden_parameters(name, plain):
    kw = {"widths": (100,)} if name == "pynada_mlp" else {}
    pk = {"depth": 1, "width": 100} if plain == "mlp" else {}
    p = sum(t.numel() for t in create_model(name, act="relu", **kw).parameters())
    q = create_model(plain, **pk)
    head = q.head if plain == "mlp" else q.classifier[-1]
    nq = sum(t.numel() for t in q.parameters())
    nh = sum(t.numel() for t in head.parameters())
    assert p == 2 * (nq - nh) + nh


def test_single_neuron_outputs_one_value():
    model = create_model("single_neuron", num_classes=2, act="relu", readout=False)
    with torch.no_grad():
        model.fc.weight.fill_(1.0)
        model.fc.bias.fill_(-1.0)
    assert torch.equal(model(XOR_X), torch.tensor([[0.0], [0.0], [0.0], [1.0]]))
    with pytest.raises(ValueError, match="num_classes"):
        create_model("single_neuron", num_classes=10)


def test_single_neuron_ada_separates_xor_by_hand():
    """Spec §3: w = (1, 1), b = 0, ADA alpha = 1 gives (0, e^-1, e^-1, 2e^-2); threshold 0.32."""
    model = create_model("single_neuron", act=("ada", {"alpha": 1.0}), readout=False)
    with torch.no_grad():
        model.fc.weight.fill_(1.0)
        model.fc.bias.zero_()
    out = model(XOR_X).squeeze(1)
    assert torch.allclose(out, torch.tensor([0.0, 0.367879, 0.367879, 0.270671]), atol=1e-6)
    assert torch.equal((out > 0.32).float(), XOR_Y)


def _train_xor(act: str, seed: int, steps: int = 400) -> bool:
    torch.manual_seed(seed)
    model = create_model("single_neuron", act=act)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(XOR_X).squeeze(1), XOR_Y).backward()
        opt.step()
    with torch.no_grad():
        return bool(torch.equal((model(XOR_X).squeeze(1) > 0).float(), XOR_Y))


@pytest.mark.slow
@pytest.mark.parametrize("act", ["gcu", "squ", "ncu", "ssu", "dsu"])
def test_single_neuron_learns_xor_with_oscillating_activation(act):
    assert _train_xor(act, seed=0)


@pytest.mark.slow
def test_single_neuron_cannot_learn_xor_with_monotonic_activation():
    # a * relu(w.x + b) + c is monotone along w.x: no threshold separates XOR
    assert not any(_train_xor("relu", seed) for seed in range(3))


def test_allcnn_spatial_sizes():
    model = create_model("allcnn_c", act=Sentinel)
    sizes = [32]
    hooks = [
        m.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1]))
        for m in model.modules()
        if isinstance(m, nn.Conv2d)
    ]
    model.eval()
    out = model(torch.randn(1, 3, 32, 32))
    for h in hooks:
        h.remove()
    assert sizes == [32, 32, 32, 16, 16, 16, 8, 6, 6, 6]
    assert out.shape == (1, 10)
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) for m in model.modules())


def test_cnn1d_accepts_flat_and_channel_input():
    model = create_model("cnn1d", act="relu").eval()
    x = torch.randn(3, 40)
    assert torch.equal(model(x), model(x.unsqueeze(1)))


# ---------------------------------------------------------------- stochastic depth (spec row 15)
@pytest.mark.parametrize("L, p_last", [(54, 0.5), (9, 0.5), (3, 0.2)])
def test_survival_probabilities_decay_linearly(L, p_last):
    p = survival_probs(L, p_last)
    assert p[0] == pytest.approx(1 - (1 - p_last) / L) and p[-1] == pytest.approx(p_last)
    assert all(a - b == pytest.approx((1 - p_last) / L) for a, b in itertools.pairwise(p))
    assert expected_active_blocks(L, p_last) == pytest.approx(L - (1 - p_last) * (L + 1) / 2)


def test_expected_active_blocks_110_layer_net():
    model = create_model("resnet110", stochastic_depth=0.5, act=Sentinel, widths=(1, 1, 1))
    blocks = model.blocks()
    assert len(blocks) == 54
    assert sum(b.survival for b in blocks) == pytest.approx(40.25)
    assert blocks[0].survival == pytest.approx(1 - 0.5 / 54)


@pytest.mark.parametrize("name", ["resnet20", "preact_resnet18", "wrn"])
def test_stochastic_depth_eval_scales_branch(name):
    model, x = _tiny(name, stochastic_depth=0.5, act=Sentinel)
    model.eval()
    block = model.blocks()[-1]
    assert block.survival == pytest.approx(0.5)
    captured = {}
    h = block.register_forward_hook(lambda m, i, o: captured.update(x=i[0], out=o))
    with torch.no_grad():
        model(x)
        h.remove()
        bx = captured["x"]
        block.survival = 1.0
        full = block(bx)
        block.survival = 0.0 + 1e-12  # branch scaled to ~0: the shortcut alone
        short = block(bx)
    expected = short + 0.5 * (full - short)  # identity sentinel: post-activation blocks stay linear here
    assert torch.allclose(captured["out"], expected, atol=1e-5)


def test_stochastic_depth_training_gates_whole_batch():
    torch.manual_seed(0)
    model, x = _tiny("resnet20", stochastic_depth=0.5, act=Sentinel)
    block = model.blocks()[-1]  # p = 0.5
    calls = []
    block.conv1.register_forward_hook(lambda m, i, o: calls.append(1))
    model.train()
    outs = set()
    captured = {}
    block.register_forward_hook(lambda m, i, o: captured.update(x=i[0], out=o))
    for _ in range(40):
        with torch.no_grad():
            model(x)
        skipped = torch.equal(captured["out"], block.shortcut(captured["x"]))
        outs.add(skipped)
    assert outs == {True, False}  # gate sometimes open, sometimes closed, for the whole batch at once
    assert 5 <= len(calls) <= 35  # branch computed only when open (p = 0.5 over 40 batches)


def test_create_model_errors_are_helpful():
    with pytest.raises(ValueError, match="resnet20"):
        create_model("resnet2O")
    with pytest.raises(ValueError, match="6n\\+2"):
        actlab.models.resnet_cifar._create_cifar_resnet(21, 10, 3, "relu")
    with pytest.raises(ValueError, match="6n\\+4"):
        create_model("wrn", depth=27)
    with pytest.raises(ValueError, match="norm"):
        create_model("resnet20", norm=5)
    assert math.isfinite(expected_active_blocks(1))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", MODELS)
def test_forward_backward_cuda(name):
    kw = (
        {"stochastic_depth": 0.5}
        if "stochastic_depth" in inspect.signature(model_info(name).builder).parameters
        else {}
    )
    model, x = _tiny(name, **kw)
    model, x = model.cuda().train(), x.cuda()
    out = model(x)
    out.square().mean().backward()
    assert out.is_cuda and torch.isfinite(out).all()
    model.eval()
    with torch.no_grad():
        assert torch.isfinite(model(x)).all()
