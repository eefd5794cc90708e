"""Activation surgery: swap_activations (modules, traced calls, warm start, channels) and param_groups."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import actlab
from actlab import swap_activations
from actlab.surgery import UntraceableError, is_activation_module


# ------------------------------------------------------------------------------ small models
def seq_model() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
        nn.Conv2d(6, 5, 3, padding=1), nn.Tanh(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3),
    )


class Block(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class FunctionalNet(nn.Module):
    """Functional relu / method relu / torch.tanh, and one module used at two places."""

    def __init__(self) -> None:
        super().__init__()
        self.b1, self.b2 = Block(3, 4), Block(4, 6)
        self.shared = nn.ReLU()
        self.fc = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.shared(self.b1(x))
        x = self.b2(x).relu()
        x = torch.tanh(self.shared(x))
        return self.fc(x.mean((2, 3)))


X = torch.randn(4, 3, 6, 6)


def activations_in(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if is_activation_module(m)]


# ------------------------------------------------------------------------------ module sites
def test_module_swap_in_place_report_and_fresh_instances():
    model = seq_model()
    report = swap_activations(model, "pvlu")
    assert report.model is model
    assert [s.name for s in report.sites] == ["2", "4", "8"]
    assert [s.old for s in report.sites] == ["ReLU()", "Tanh()", "ReLU()"]
    assert [s.num_channels for s in report.sites] == [6, 5, 7]
    assert {s.kind for s in report.sites} == {"module"}
    acts = activations_in(model)
    assert all(type(a).__name__ == "PVLU" for a in acts) and len(acts) == 3
    assert len({id(a) for a in acts}) == 3  # a fresh module per site
    assert model(X).shape == (4, 3)
    assert "swapped 3 activation site(s)" in str(report)


@pytest.mark.parametrize(
    "where, expected",
    [
        (None, ["2", "4", "8"]),
        (nn.ReLU, ["2", "8"]),
        ((nn.Tanh,), ["4"]),
        ("[24]", ["2", "4"]),
        (lambda name, m: int(name) > 3, ["4", "8"]),
    ],
)
def test_where_selection(where, expected):
    report = swap_activations(seq_model(), "pvlu", where=where)
    assert [s.name for s in report.sites] == expected


def test_where_rejects_other_forms():
    with pytest.raises(ValueError, match="where must be"):
        swap_activations(seq_model(), "pvlu", where=3)


def test_per_channel_counts_and_channel_dim():
    """Channels come from the layer upstream; after Linear the channel dimension is the last one."""
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    report = swap_activations(model, ("pvlu", {"shape": "channel"}))
    act = model[1]
    assert act.num_channels == 8 and act.channel_dim == -1
    assert model(torch.randn(2, 5, 4)).shape == (2, 5, 2)  # (B, T, F) input works with channel_dim=-1
    assert report.sites[0].num_channels == 8
    conv = seq_model()
    swap_activations(conv, ("pvlu", {"shape": "channel"}))
    assert [conv[2].num_channels, conv[4].num_channels, conv[8].num_channels] == [6, 5, 7]
    assert conv[2].channel_dim == 1


def test_example_input_gives_exact_channels():
    """An activation right after Flatten: only the propagated shape knows its width."""
    model = nn.Sequential(nn.Conv2d(3, 2, 1), nn.Flatten(), nn.ReLU(), nn.Linear(72, 3))
    with pytest.raises(ValueError):  # the heuristic finds the conv (2 channels), the forward then fails
        swap_activations(model, ("pvlu", {"shape": "channel"}))
        model(X)
    model = nn.Sequential(nn.Conv2d(3, 2, 1), nn.Flatten(), nn.ReLU(), nn.Linear(72, 3))
    report = swap_activations(model, ("pvlu", {"shape": "channel"}), example_input=X[:1])
    assert report.sites[0].num_channels == 72
    assert model(X).shape == (4, 3)


def test_unknown_channels_raise_for_per_channel_act():
    """A (B, N, C) tensor with no layer to say which axis holds channels: ambiguous, never guessed."""
    model = nn.Sequential(nn.Tanh(), nn.Flatten())
    x = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="channel axis"):
        swap_activations(model, ("pvlu", {"shape": "channel"}), example_input=x)
    report = swap_activations(model, ("pvlu", {"shape": "channel"}), example_input=x, channel_dim=-1)
    assert report.sites[0].num_channels == 4 and model[0].channel_dim == -1


# ------------------------------------------------------------------------------ functional sites
def test_functional_sites_rewritten_in_place():
    model = FunctionalNet()
    before = model(X)
    report = swap_activations(model, "pvlu", where=nn.ReLU, warm_start=True, example_input=X)
    assert report.model is model and type(model) is FunctionalNet  # the user's object, its class
    names = sorted((s.name, s.kind) for s in report.sites)
    assert names == sorted([
        ("b1.relu()", "function"),
        ("shared", "module"),
        ("b2.relu()", "function"),
        ("relu()", "method"),
        ("shared[1]", "module"),
    ])
    assert {s.name: s.num_channels for s in report.sites}["b1.relu()"] == 4
    assert {s.name: s.num_channels for s in report.sites}["relu()"] == 6
    swapped = [m for m in model.modules() if type(m).__name__ == "PVLU"]
    assert len(swapped) == 5 and len({id(a) for a in swapped}) == 5  # one module per call of the shared one
    assert torch.equal(model(X), before)
    assert [(s.name, s.reason) for s in report.left] == [("tanh()", "not selected by where")]
    assert report.missed == [] and report.output_diff == 0.0
    sd = model.state_dict()  # the new modules are registered where the calls were
    assert "b1.relu_act.alpha" in sd and "shared.alpha" in sd


def test_functional_tanh_and_glob_over_call_names():
    model = FunctionalNet()
    report = swap_activations(model, "relu", where="*tanh*", example_input=X)
    assert [(s.name, s.kind, s.old) for s in report.sites] == [("tanh()", "function", "Tanh()")]
    assert type(model.tanh_act) is type(actlab.create_activation("relu")) and report.missed == []


def test_functional_false_only_touches_modules():
    model = FunctionalNet()
    report = swap_activations(model, "pvlu", functional=False)
    assert report.model is model and [s.name for s in report.sites] == ["shared"]


def test_inplace_call_whose_input_is_reused_is_left_with_the_reason():
    class InPlace(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            y = self.fc(x)
            y.relu_()
            return y

    with pytest.warns(UserWarning, match="in-place"):
        report = swap_activations(InPlace(), "pvlu")
    assert len(report) == 0 and "in-place" in report.left[0].reason


def test_inplace_call_with_used_result_is_swapped():
    class InPlaceOk(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return F.relu(self.fc(x), inplace=True) * 2

    model = InPlaceOk()
    x = torch.randn(2, 3)
    before = model(x)
    report = swap_activations(model, "pvlu", warm_start=True)
    assert len(report) == 1 and torch.equal(report.model(x), before)


class Untraceable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
        self.gate = DataDependent()

    def forward(self, x):
        return self.gate(self.inner(x))


class DataDependent(nn.Module):
    def forward(self, x):
        return F.relu(x) if x.sum() > 0 else x


def test_untraceable_model_names_the_module():
    with pytest.raises(UntraceableError, match=r"DataDependent at 'gate'"):
        swap_activations(Untraceable(), "pvlu", functional=True)


def test_untraceable_auto_warns_and_swaps_modules():
    model = Untraceable()
    with pytest.warns(UserWarning, match="modules only"):
        report = swap_activations(model, "pvlu")
    assert report.trace_error and "gate" in report.trace_error
    assert [s.name for s in report.sites] == ["inner.1"] and report.model is model


def test_training_branch_is_refused_for_functional_sites():
    class ModeDependent(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            x = self.fc(x)
            return F.relu(x) if self.training else torch.tanh(x)

    with pytest.warns(UserWarning, match="self.training"):
        report = swap_activations(ModeDependent(), "pvlu")
    assert len(report) == 0 and "self.training" in report.left[0].reason


# ------------------------------------------------------------------------------ warm start
def test_warm_start_relu_to_pvlu_equal_then_trains():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    x = torch.randn(64, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()
    before = model(x)
    report = swap_activations(model, ("pvlu", {"shape": "channel"}), warm_start=True)
    assert all(s.warm_started for s in report.sites)
    assert torch.equal(model(x), before)  # identical at step 0
    pv = [m for m in model.modules() if type(m).__name__ == "PVLU"]
    assert all(torch.all(m.value("alpha") == 0) for m in pv)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(20):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert any(m.value("alpha").abs().max() > 0 for m in pv)  # the PVLU parameters moved


@pytest.mark.parametrize(
    "old, new",
    [
        (nn.Tanh(), "adaptive_tanh"),
        (nn.Sigmoid(), "adaptive_sigmoid"),
        (nn.ReLU(), "adaptive_relu"),
        (nn.ReLU(), "prelu"),
        (nn.LeakyReLU(), "prelu"),
        (nn.SiLU(), "swish"),
        (nn.ReLU(), "relu"),
    ],
)
def test_warm_start_table(old, new):
    model = nn.Sequential(nn.Linear(3, 4), old, nn.Linear(4, 2))
    x = torch.randn(5, 3)
    before = model(x)
    swap_activations(model, new, warm_start=True)
    assert not isinstance(model[1], type(old)) or new == "relu"
    torch.testing.assert_close(model(x), before, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "old, new, match",
    [
        (nn.Tanh(), "pvlu", "no parameter values make PVLU equal 'tanh'"),
        (nn.LeakyReLU(0.2), "pvlu", "non-default parameters"),
        (nn.PReLU(), "pvlu", "non-default parameters"),
        (nn.ReLU(), "tanh", "no parameter values"),
        (nn.GELU(), "pvlu", r"no parameter values make PVLU equal 'gelu'.*start from 'gelu': .*gpvlu.*laaf.*rowdy"),
    ],
)
def test_warm_start_unsupported_raises(old, new, match):
    with pytest.raises(ValueError, match=match):
        swap_activations(nn.Sequential(nn.Linear(3, 4), old), new, warm_start=True)


def test_warm_start_on_registered_model():
    name = "resnet20" if "resnet20" in actlab.list_models() else "mlp"
    info = actlab.models.model_info(name)
    model = actlab.create_model(name, **info.test_kwargs).eval()
    x = torch.randn(2, *info.test_shape)
    before = model(x)
    report = swap_activations(model, ("pvlu", {"shape": "channel"}), warm_start=True)
    assert len(report) > 0 and report.trace_error is None
    assert not any(isinstance(m, nn.ReLU) or type(m).__name__ == "ReLU" for m in report.model.modules())
    assert torch.equal(report.model(x), before)


_WITH_ACT = [n for n in actlab.list_models() if actlab.models.model_info(n).has_activation]
_FAST = {"resnet20", "cnn1d", "mocapsnet", "pynada_mlp", "vgg11"}  # traced, untraceable, two roles, plain


@pytest.mark.parametrize(
    "name", [n if n in _FAST else pytest.param(n, marks=pytest.mark.slow) for n in _WITH_ACT]
)
def test_registered_models_relu_to_pvlu_warm_start(name):
    """Every ReLU site of every registered model swaps to per-channel PVLU with an identical output."""
    info = actlab.models.model_info(name)
    kw = {"num_classes": 3, "in_chans": info.test_shape[0], **info.test_kwargs}
    if not any(type(m).__name__ == "ReLU" for m in actlab.create_model(name, **kw).modules()):
        kw["act"] = "relu"  # the transformers default to GELU
    model = actlab.create_model(name, **kw).eval()
    x = info.example_input(2, kw["in_chans"])
    before = model(x)
    is_relu = lambda n, m: type(m).__name__ == "ReLU"  # noqa: E731  (nn.ReLU and actlab's ReLU)
    n_relu = sum(is_relu("", m) for m in model.modules())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # untraceable families warn that only modules are swapped
        report = swap_activations(model, ("pvlu", {"shape": "channel"}), where=is_relu, warm_start=True,
                                  example_input=x)
    assert len(report) >= n_relu > 0
    assert not any(is_relu("", m) for m in report.model.modules())
    assert torch.equal(report.model(x), before)


# ------------------------------------------------------------------------------ third party
@pytest.mark.thirdparty
def test_torchvision_resnet18_swap():
    tv = pytest.importorskip("torchvision")
    model = tv.models.resnet18(num_classes=10).eval()
    x = torch.randn(1, 3, 32, 32)
    before = model(x)
    report = swap_activations(model, ("pvlu", {"shape": "channel"}), warm_start=True)
    # torchvision reuses one nn.ReLU per block: every call becomes its own module
    assert len(report) == 17 and report.model is model and isinstance(model, tv.models.ResNet)
    assert torch.equal(model(x), before)


@pytest.mark.thirdparty
def test_timm_swap():
    timm = pytest.importorskip("timm")
    model = timm.create_model("resnet18", num_classes=10).eval()
    x = torch.randn(1, 3, 32, 32)
    before = model(x)
    report = swap_activations(model, "pvlu", warm_start=True)
    assert len(report) > 0 and not any(isinstance(m, nn.ReLU) for m in report.model.modules())
    assert torch.equal(report.model(x), before)


def test_failed_warm_start_leaves_model_unchanged():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh())
    with pytest.raises(ValueError):
        swap_activations(model, "pvlu", warm_start=True)  # ReLU works, Tanh has no warm start
    assert isinstance(model[1], nn.ReLU) and isinstance(model[3], nn.Tanh)
